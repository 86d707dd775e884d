#!/usr/bin/env python3
"""Python's multiprocessing.Pool on the work bench_pool.cc gives par's Pool:
apply_async of empty tasks, and map with chunksize 1000 over 100,000 ints.
Pool(N) with N = the CPUs this process may use (par's default too).
Median of several runs, written as Google-Benchmark-shaped JSON so
bench/summarize.py compares par with it.

usage: pool_baseline.py OUT.json
"""
import json
import multiprocessing as mp
import os
import platform
import statistics
import sys
import time


def empty(_=None):
    return None


def work(x):
    return x * x + 3


def rate_apply(pool, n):
    t0 = time.perf_counter()
    rs = [pool.apply_async(empty) for _ in range(n)]
    for r in rs:
        r.get()
    return n / (time.perf_counter() - t0)


def rate_map(pool, n):
    t0 = time.perf_counter()
    pool.map(work, range(n), chunksize=1000)
    return n / (time.perf_counter() - t0)


def bench(name, fn, pool, n, runs=5):
    rates = [fn(pool, n) for _ in range(runs)]
    return {"name": name, "run_name": name, "run_type": "aggregate",
            "aggregate_name": "median", "items_per_second": statistics.median(rates)}


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    workers = len(os.sched_getaffinity(0))
    with mp.get_context("fork").Pool(workers) as pool:
        rows = [bench("python_pool/empty_submit/0", rate_apply, pool, 5000),
                bench("python_pool/map_chunk1000/8", rate_map, pool, 100000)]
    cpus = sorted(os.sched_getaffinity(0))
    doc = {"context": {"python": sys.version.split()[0], "workers": workers,
                       "par_cpus": ",".join(map(str, cpus)), "host_name": platform.node()},
           "benchmarks": rows}
    with open(argv[1], "w") as f:
        json.dump(doc, f, indent=1)
    for r in rows:
        print(f"{r['name']:36s} {r['items_per_second']:12.0f} items/s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
