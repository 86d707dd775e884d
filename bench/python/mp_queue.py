#!/usr/bin/env python3
"""Python baseline for par_queue: multiprocessing.Queue between two processes.

The producer (this process) puts 64-byte bytes messages one at a time into a
multiprocessing.Queue(maxsize=1024); a forked consumer process gets them and
checks the sequence number in each message's first 8 bytes. Producer on the
first allowed CPU, consumer (and nothing else) on the second, as in
bench_shm. A run is timed from the first put until the consumer reports that
it has taken the last message; the result is the median of several runs,
written as Google Benchmark JSON (name python_mp_queue/xproc/64) so that
bench/summarize.py treats it as one more peer.

usage: mp_queue.py OUT.json [--runs N] [--seconds S]
"""
import argparse
import json
import multiprocessing as mp
import os
import platform
import sys
import time

from gbench_json import record

NAME = "python_mp_queue/xproc/64"
SIZE = 64
PAD = b"\x5a" * (SIZE - 8)


def pick_cpus():
    cpus = sorted(os.sched_getaffinity(0))
    return cpus[0], (cpus[1] if len(cpus) > 1 else cpus[0])


def consumer(q, done, cpu):
    os.sched_setaffinity(0, {cpu})
    expect = 0
    error = None
    while True:
        n = q.get()
        if n is None:
            return
        for _ in range(n):  # a run: n messages, then report
            m = q.get()
            if error is None and (len(m) != SIZE or int.from_bytes(m[:8], "little") != expect):
                error = f"message {expect} arrived as {m[:8].hex()} ({len(m)} bytes)"
            expect += 1
        done.put(error)


def one_run(q, done, n, seq):
    """Send n messages starting at seq; seconds from first put to last get."""
    q.put(n)  # announces the run (not timed)
    t0 = time.perf_counter()
    for s in range(seq, seq + n):
        q.put(s.to_bytes(8, "little") + PAD)
    error = done.get()
    t1 = time.perf_counter()
    if error:
        raise RuntimeError(error)
    return t1 - t0


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=1.5, help="target length of a run")
    args = ap.parse_args(argv[1:])

    a, b = pick_cpus()
    os.sched_setaffinity(0, {a})  # the feeder thread, made later, inherits it
    ctx = mp.get_context("fork")
    q = ctx.Queue(maxsize=1024)
    done = ctx.Queue()
    child = ctx.Process(target=consumer, args=(q, done, b), daemon=True)
    child.start()
    results = []
    try:
        seq = 0
        warm = 20000
        rate = warm / one_run(q, done, warm, seq)  # warm-up, and sizes the runs
        seq += warm
        n = int(min(1000000, max(10000, rate * args.seconds)))
        for _ in range(args.runs):
            secs = one_run(q, done, n, seq)
            seq += n
            results.append((n, secs))
        q.put(None)
        child.join(10)
    finally:
        if child.is_alive():
            child.terminate()
            child.join()
    if child.exitcode != 0:
        print(f"mp_queue.py: consumer exit code {child.exitcode}", file=sys.stderr)
        return 1

    benchmarks, med = record(NAME, results)
    doc = {
        "context": {
            "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "host_name": platform.node(),
            "executable": "bench/python/mp_queue.py",
            "num_cpus": os.cpu_count(),
            "library_build_type": "python " + platform.python_version(),
            "par_cpus": f"{a},{b}",
            "par_queue_maxsize": "1024",
        },
        "benchmarks": benchmarks,
    }
    with open(args.out, "w") as f:
        json.dump(doc, f, indent=2)
    print(f"{NAME}: {med / 1e3:.1f} k/s (median of {len(results)} runs of {results[0][0]} "
          f"messages, cpus {a},{b})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
