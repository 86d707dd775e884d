#!/usr/bin/env python3
"""par-scale's Python side: the workloads of par/scale.h, run by Python's
threading (multiprocessing.pool.ThreadPool) or multiprocessing (Pool, fork),
measured the way par measures its own modes, printed as JSON on stdout.

usage: scale.py --workload compute|memory|queue|counter|counter-local
                --mode threads|processes --workers N --units U [--reps R]

Each repetition makes a fresh pool and times three rounds of one task per
worker, every task first waiting at a barrier of all workers (so each worker
takes exactly one task of a round):
  startup   pool creation + a set-up task on every worker;
  transfer  a round of empty tasks (the pool's dispatch cost);
  work      first worker start to last worker end (the workers' own
            time.perf_counter stamps: CLOCK_MONOTONIC, one clock for all
            processes).
The algorithms are par's (scale/wl_*.c), so units and checksums agree with
the C ones for the same units: compute hashes blocks of 4096 steps of the same
32-bit hash chain. Output:
  {"workload": W, "mode": M, "workers": N, "units": U, "python": "3.11.7",
   "reps": [{"startup": s, "transfer": s, "work": s, "units": u,
             "checksum": c}, ...]}
"""
import argparse
import json
import multiprocessing as mp
import os
import queue as queue_mod
import sys
import threading
import time
from multiprocessing.pool import ThreadPool

BLOCK = 4096
M32 = 0xFFFFFFFF
M64 = 0xFFFFFFFFFFFFFFFF
MSG_PAD = bytes(56)  # messages are 64 bytes: an 8-byte index and padding
SELF_BATCH = 64
MEM_BYTES = 24
MEM_MAX_ELEMS = 1 << 16  # pure Python lists: small
WAIT = 600.0

# Set before each pool is made: forked workers inherit them, threads share.
RUN = {}
LOCAL = {}


def share(total, n, i):
    """Chunk i of total split in n (the first total % n get one more)."""
    q, rem = divmod(total, n)
    return q * i + min(i, rem), q + (1 if i < rem else 0)


# ---- compute ------------------------------------------------------------------

def compute_blocks(b0, b1):
    s = 0
    for b in range(b0, b1):
        h = b & M32
        base = (b * BLOCK) & M32
        for i in range(BLOCK):
            x = (h + base + i) & M32
            x ^= x >> 16
            x = (x * 0x7FEB352D) & M32
            x ^= x >> 15
            x = (x * 0x846CA68B) & M32
            h = x ^ (x >> 16)
        s += h
    return s & M64


def compute_work(chunk):
    first, n = share(RUN["units"] // BLOCK, RUN["workers"], chunk)
    return n * BLOCK, compute_blocks(first, first + n)


# ---- memory -------------------------------------------------------------------

def local_key():
    return os.getpid(), threading.get_ident()


def memory_setup():
    n = min(MEM_MAX_ELEMS, RUN["units"] // MEM_BYTES)
    LOCAL[local_key()] = ([0.0] * n, [1.0] * n, [2.0] * n)


def memory_work(chunk):
    a, b, c = LOCAL[local_key()]
    todo = share(RUN["units"] // MEM_BYTES, RUN["workers"], chunk)[1]
    units = todo * MEM_BYTES
    s = 3.0
    while todo > 0:
        n = min(todo, len(a))
        for j in range(n):
            a[j] = b[j] + s * c[j]
        todo -= n
    return units, units


def memory_teardown():
    LOCAL.pop(local_key(), None)


# ---- queue --------------------------------------------------------------------

def lanes(workers):
    return workers // 2 + workers % 2


def queue_prepare(processes):
    make = (lambda: mp.get_context("fork").Queue(1024)) if processes else \
        (lambda: queue_mod.Queue(1024))
    RUN["queues"] = [make() for _ in range(lanes(RUN["workers"]))]


def produce(q, first, n):
    for i in range(first, first + n):
        q.put(i.to_bytes(8, "little") + MSG_PAD, timeout=WAIT)


def consume(q, n):
    s = 0
    for _ in range(n):
        m = q.get(timeout=WAIT)
        s += int.from_bytes(m[:8], "little")
    return s


def queue_work(chunk):
    workers = RUN["workers"]
    lane = chunk // 2
    first, n = share(RUN["units"], lanes(workers), lane)
    q = RUN["queues"][lane]
    if chunk == workers - 1 and workers % 2 == 1:
        s = 0
        for done in range(0, n, SELF_BATCH):
            k = min(SELF_BATCH, n - done)
            produce(q, first + done, k)
            s += consume(q, k)
        return n, s
    if chunk % 2 == 0:
        produce(q, first, n)
        return 0, 0
    return n, consume(q, n)


# ---- counter, counter-local ---------------------------------------------------

class ThreadValue:
    """multiprocessing.Value's interface for threads: a lock and a value."""

    def __init__(self):
        self.value = 0
        self.lock = threading.Lock()

    def get_lock(self):
        return self.lock


def counter_prepare(processes, n):
    ctx = mp.get_context("fork")
    RUN["values"] = [ctx.Value("q", 0) if processes else ThreadValue() for _ in range(n)]


def counter_work(chunk):
    values = RUN["values"]
    v = values[0 if len(values) == 1 else chunk]
    n = share(RUN["units"], RUN["workers"], chunk)[1]
    lock = v.get_lock()
    for _ in range(n):
        with lock:
            v.value += 1
    return n, 0


def counter_verify():
    return sum(v.value for v in RUN["values"]) & M64


# ---- the runner ---------------------------------------------------------------

WORKLOADS = {
    "compute": {"work": compute_work},
    "memory": {"setup": memory_setup, "work": memory_work, "teardown": memory_teardown},
    "queue": {"prepare": queue_prepare, "work": queue_work},
    "counter": {"prepare": lambda p: counter_prepare(p, 1), "work": counter_work,
                "verify": counter_verify},
    "counter-local": {"prepare": lambda p: counter_prepare(p, RUN["workers"]),
                      "work": counter_work, "verify": counter_verify},
}


def task(arg):
    phase, chunk = arg
    RUN["barrier"].wait(WAIT)
    hooks = WORKLOADS[RUN["workload"]]
    if phase == "work":
        t0 = time.perf_counter()
        units, checksum = hooks["work"](chunk)
        return t0, time.perf_counter(), units, checksum
    if phase in hooks:
        hooks[phase]()
    return 0.0, 0.0, 0, 0


def one_round(pool, phase):
    return pool.map(task, [(phase, c) for c in range(RUN["workers"])], chunksize=1)


def one_rep(processes):
    workers = RUN["workers"]
    hooks = WORKLOADS[RUN["workload"]]
    ctx = mp.get_context("fork")
    RUN["barrier"] = ctx.Barrier(workers) if processes else threading.Barrier(workers)
    if "prepare" in hooks:
        hooks["prepare"](processes)
    t = time.perf_counter()
    pool = ctx.Pool(workers) if processes else ThreadPool(workers)
    try:
        one_round(pool, "setup")
        startup = time.perf_counter() - t
        t = time.perf_counter()
        one_round(pool, "empty")
        transfer = time.perf_counter() - t
        done = one_round(pool, "work")
        one_round(pool, "teardown")
    finally:
        pool.close()
        pool.join()
    checksum = sum(d[3] for d in done) & M64
    if "verify" in hooks:
        checksum = hooks["verify"]()
    return {"startup": startup, "transfer": transfer,
            "work": max(d[1] for d in done) - min(d[0] for d in done),
            "units": sum(d[2] for d in done), "checksum": checksum}


def main(argv):
    ap = argparse.ArgumentParser(description="par-scale's Python workloads")
    ap.add_argument("--workload", required=True, choices=sorted(WORKLOADS))
    ap.add_argument("--mode", required=True, choices=["threads", "processes"])
    ap.add_argument("--workers", type=int, required=True)
    ap.add_argument("--units", type=int, required=True)
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args(argv)
    if a.workers < 1 or a.units < 1 or a.reps < 1:
        ap.error("--workers, --units and --reps must be >= 1")
    RUN.update(workload=a.workload, workers=a.workers, units=a.units)
    reps = [one_rep(a.mode == "processes") for _ in range(a.reps)]
    json.dump({"workload": a.workload, "mode": a.mode, "workers": a.workers,
               "units": a.units, "python": sys.version.split()[0], "reps": reps},
              sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
