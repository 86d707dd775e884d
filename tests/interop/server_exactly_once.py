"""100,000 items across the language boundary, each delivered exactly once
with its checksum intact.

  c2py: the C peer (par's native client) puts (seq, payload, fnv1a(payload))
        and one None per consumer; NCONS Python consumer processes get until
        None; every seq must arrive once, checksums good.
  py2c: NPROD Python producer processes put (producer, seq, payload,
        fnv1a(payload)); the C peer gets all of them and checks the same."""
import multiprocessing
import os
import sys

from server_common import TMP, check, manager, peer

N = int(os.environ.get("PAR_ITEMS", "100000"))
WORKERS = 3


def fnv1a(b):
    h = 2166136261
    for c in b:
        h = ((h ^ c) * 16777619) & 0xFFFFFFFF
    return h


def consumer(i):
    q = manager().q()
    seen = []
    while True:
        item = q.get()
        if item is None:
            break
        seq, payload, h = item
        if fnv1a(payload) != h:
            print("bad checksum at", seq)
            sys.exit(1)
        seen.append(seq)
    with open(os.path.join(TMP, "c%d" % i), "w") as f:
        f.write("\n".join(map(str, seen)))


def producer(i):
    q = manager().q()
    for seq in range(i, N, WORKERS):
        payload = os.urandom(seq % 61)
        q.put((i, seq, payload, fnv1a(payload)))


def run(target):
    ps = [multiprocessing.Process(target=target, args=(i,)) for i in range(WORKERS)]
    for p in ps:
        p.start()
    return ps


if __name__ == "__main__":
    if sys.argv[1] == "c2py":
        c = peer("produce", "q", N, WORKERS)
        ps = run(consumer)
        check(c.wait(timeout=400) == 0, "the C producer failed")
        for p in ps:
            p.join(400)
            check(p.exitcode == 0, "a consumer failed")
        seqs = []
        for i in range(WORKERS):
            with open(os.path.join(TMP, "c%d" % i)) as f:
                seqs += [int(s) for s in f.read().split()]
        check(len(seqs) == N and sorted(seqs) == list(range(N)),
              "%d items, %d distinct, want %d" % (len(seqs), len(set(seqs)), N))
        check(manager().q().qsize() == 0, "items left over")
    else:
        ps = run(producer)
        c = peer("consume", "q", N)
        for p in ps:
            p.join(400)
            check(p.exitcode == 0, "a producer failed")
        check(c.wait(timeout=400) == 0, "the C consumer failed")
    print("ok: %s, %d items" % (sys.argv[1], N))
