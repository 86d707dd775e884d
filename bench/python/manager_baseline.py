#!/usr/bin/env python3
"""Python baseline for par's remote managers: multiprocessing.managers.BaseManager.

A BaseManager serving queue.Queue objects runs in a child process on
127.0.0.1 with an authkey (pinned to the second allowed CPU); this process
(on the first) talks to it through proxies, as Python's distributed
master/worker walkthrough does. Measured, each the median of several runs:

  python_manager/roundtrip/64       blocking put + get of 64 bytes: calls/s
  python_manager/put_pipelined/64   puts of 64 bytes, one after another:
  python_manager/put_pipelined/1024 messages/s (BaseManager has no
                                    pipelining: every put is a round trip)

Written as Google Benchmark JSON (run_name, items_per_second, median
aggregates) so that bench/summarize.py and bench/net_run.sh treat it as a
peer of bench_net's par_net_* and tcp_pingpong figures.

usage: manager_baseline.py OUT.json [--runs N] [--seconds S]
"""
import argparse
import json
import multiprocessing as mp
import os
import platform
import queue
import sys
import time
from multiprocessing.managers import BaseManager

from gbench_json import record

AUTHKEY = b"par-bench-python-manager"


class QueueManager(BaseManager):
    pass


def new_queue():
    return queue.Queue()


QueueManager.register("new_queue", callable=new_queue)


def pick_cpus():
    cpus = sorted(os.sched_getaffinity(0))
    return cpus[0], (cpus[1] if len(cpus) > 1 else cpus[0])


def serve(cpu, conn):
    os.sched_setaffinity(0, {cpu})
    m = QueueManager(address=("127.0.0.1", 0), authkey=AUTHKEY)
    server = m.get_server()
    conn.send(server.address)
    server.serve_forever()


def timed(fn, seconds):
    """fn(n) runs n operations and returns the seconds they took; grow n
    until a run takes about `seconds`: (n, secs)."""
    n = 100
    while True:
        secs = fn(n)
        if secs >= seconds / 4 or n >= 10_000_000:
            n = max(n, int(n * seconds / max(secs, 1e-9)))
            return n, fn(n)
        n *= 4


def fresh_queue(m):
    """A new queue whose proxy has made its connection (a proxy connects,
    and authenticates, on first use: not part of what is measured)."""
    q = m.new_queue()
    q.qsize()
    return q


def roundtrip(m, seconds):
    q = fresh_queue(m)
    msg = b"\x01" * 64

    def run(n):
        t0 = time.perf_counter()
        for _ in range(n):
            q.put(msg)
            q.get()
        return time.perf_counter() - t0

    n, secs = timed(run, seconds)
    return 2 * n, secs  # two calls, two round trips, per iteration


def puts(m, size, seconds):
    msg = b"\x02" * size

    def run(n):
        q = fresh_queue(m)  # a fresh queue per run; the old one goes away
        t0 = time.perf_counter()
        for _ in range(n):
            q.put(msg)
        return time.perf_counter() - t0

    return timed(run, seconds)




def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=1.0, help="target length of a run")
    args = ap.parse_args(argv[1:])

    a, b = pick_cpus()
    ctx = mp.get_context("fork")
    parent, child_end = ctx.Pipe()
    server = ctx.Process(target=serve, args=(b, child_end), daemon=True)
    server.start()
    os.sched_setaffinity(0, {a})
    benchmarks = []
    try:
        address = parent.recv()
        m = QueueManager(address=address, authkey=AUTHKEY)
        m.connect()
        cases = [("python_manager/roundtrip/64", lambda: roundtrip(m, args.seconds)),
                 ("python_manager/put_pipelined/64", lambda: puts(m, 64, args.seconds)),
                 ("python_manager/put_pipelined/1024", lambda: puts(m, 1024, args.seconds))]
        for name, fn in cases:
            fn()  # warm-up
            results = [fn() for _ in range(args.runs)]
            rows, med = record(name, results)
            benchmarks += rows
            print(f"{name}: {med / 1e3:.2f} k/s ({1e6 / med:.1f} us per call; "
                  f"median of {len(results)} runs)")
    finally:
        server.terminate()
        server.join()
    doc = {
        "context": {
            "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "host_name": platform.node(),
            "executable": "bench/python/manager_baseline.py",
            "num_cpus": os.cpu_count(),
            "library_build_type": "python " + platform.python_version(),
            "par_cpus": f"{a},{b}",
            "note": "BaseManager has no pipelining: put_pipelined is sequential puts",
        },
        "benchmarks": benchmarks,
    }
    with open(args.out, "w") as f:
        json.dump(doc, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
