#!/usr/bin/env python3
"""Redis baseline for par's remote managers, where Redis is installed.

Starts redis-server on 127.0.0.1 (a free port, no persistence, pinned to the
second allowed CPU) and runs redis-benchmark (one connection, on the first
CPU) for LPUSH and RPOP of 64- and 1024-byte values:

  redis/roundtrip/64         LPUSH and RPOP one at a time: calls/s
  redis/put_pipelined/64     LPUSH with 16 commands per pipeline: messages/s
  redis/put_pipelined/1024   the same with 1 KiB values

Written as Google Benchmark JSON, like manager_baseline.py. Exits 77 (and
writes nothing) when redis-server or redis-benchmark is missing.

usage: redis_baseline.py OUT.json [--requests N]
"""
import argparse
import csv
import io
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import time


def pick_cpus():
    cpus = sorted(os.sched_getaffinity(0))
    return cpus[0], (cpus[1] if len(cpus) > 1 else cpus[0])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench(port, cpu, test, size, pipeline, n):
    """requests/s of one redis-benchmark test."""
    out = subprocess.run(
        ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-c", "1", "-n", str(n),
         "-P", str(pipeline), "-d", str(size), "-t", test, "--csv", "-q"],
        capture_output=True, text=True, check=True,
        preexec_fn=lambda: os.sched_setaffinity(0, {cpu}))
    for row in csv.reader(io.StringIO(out.stdout)):
        if row and row[0].upper().startswith(test.upper()):
            return float(row[1])
    raise RuntimeError("no result for " + test + " in:\n" + out.stdout)


def entry(name, rate):
    return {"name": name, "run_name": name, "run_type": "iteration", "repetitions": 1,
            "repetition_index": 0, "threads": 1, "iterations": 1,
            "real_time": 1e9 / rate, "cpu_time": 1e9 / rate, "time_unit": "ns",
            "items_per_second": rate}


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--requests", type=int, default=1000000)
    args = ap.parse_args(argv[1:])
    if not shutil.which("redis-server") or not shutil.which("redis-benchmark"):
        print("redis_baseline.py: redis-server or redis-benchmark not installed: skipped")
        return 77
    a, b = pick_cpus()
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no"], stdout=subprocess.DEVNULL,
        preexec_fn=lambda: os.sched_setaffinity(0, {b}))
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), 0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        n1 = max(10000, args.requests // 10)
        push = bench(port, a, "lpush", 64, 1, n1)
        pop = bench(port, a, "rpop", 64, 1, n1)
        rows = [entry("redis/roundtrip/64", 2 / (1 / push + 1 / pop))]
        for size in (64, 1024):
            rows.append(entry(f"redis/put_pipelined/{size}",
                              bench(port, a, "lpush", size, 16, args.requests)))
    finally:
        server.terminate()
        server.wait()
    for r in rows:
        print(f"{r['name']}: {r['items_per_second'] / 1e3:.1f} k/s")
    doc = {"context": {"date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                       "host_name": platform.node(),
                       "executable": "bench/python/redis_baseline.py",
                       "num_cpus": os.cpu_count(), "par_cpus": f"{a},{b}",
                       "note": "redis-benchmark -c 1; pipelined: -P 16"},
           "benchmarks": rows}
    with open(args.out, "w") as f:
        json.dump(doc, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
