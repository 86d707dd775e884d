#!/usr/bin/env python3
"""Python workers against par-manager versus against a Python BaseManager master.

The same worker code (multiprocessing.managers proxies: register the typeids,
connect(), put then get a 64-byte bytes object) runs against two servers in
the same run, measured alternately so that drift hits both alike:

  python_master   a BaseManager serving two queue.Queue typeids
                  (get_task_queue, get_result_queue) in a child process
  par_manager_py  par-manager serve --python-listen 127.0.0.1:0 with
                  --queue get_task_queue --queue get_result_queue

Measured, each the median of --runs runs:

  <server>/pyworkers_roundtrip/64   one worker: put + get on one queue, N
                                    iterations; round trips (calls) per second
  <server>/pyworkers_w<K>/64        K worker processes (1, 2, 4), each doing
                                    put + get round trips for --seconds;
                                    calls per second, all workers together

Pinning (where there are at least two allowed CPUs): the server, either one,
on the last allowed CPU; the workers round-robin over the others. The JSON
context says which ("server_cpus", "worker_cpus").

Written as Google Benchmark JSON (run_name, items_per_second, median
aggregates) for bench/summarize.py, whose aim is par_manager_py at least 3x
python_master.

usage: interop_bench.py OUT.json [--par-manager PATH] [--runs N]
                        [--seconds S] [--workers 1,2,4]
"""
import argparse
import json
import multiprocessing as mp
import os
import platform
import queue
import re
import statistics
import subprocess
import sys
import tempfile
import time
from multiprocessing.managers import BaseManager

from gbench_json import record

MSG = b"\x01" * 64
TYPEIDS = ("get_task_queue", "get_result_queue")


# ---- the Python master ------------------------------------------------------

task_queue = queue.Queue()
result_queue = queue.Queue()


def return_task_queue():
    return task_queue


def return_result_queue():
    return result_queue


class MasterManager(BaseManager):
    pass


MasterManager.register("get_task_queue", callable=return_task_queue)
MasterManager.register("get_result_queue", callable=return_result_queue)


def serve_master(cpu, key, conn):
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    m = MasterManager(address=("127.0.0.1", 0), authkey=key)
    server = m.get_server()
    conn.send(server.address)
    server.serve_forever()


def start_master(ctx, cpu, key):
    parent, child = ctx.Pipe()
    p = ctx.Process(target=serve_master, args=(cpu, key, child), daemon=True)
    p.start()
    return p, "%s:%d" % tuple(parent.recv())


# ---- par-manager ------------------------------------------------------------

def start_par(path, cpu, keyfile):
    """par-manager serving the typeids to Python; (process, "HOST:PORT") or
    (None, why)."""
    if not os.access(path, os.X_OK):
        return None, "no %s (build it: ./run.sh build release)" % path
    cmd = [path, "serve", "--python-listen", "127.0.0.1:0", "--authkey-file", keyfile]
    for t in TYPEIDS:
        cmd += ["--queue", t]
    pre = (lambda: os.sched_setaffinity(0, {cpu})) if cpu is not None else None
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         universal_newlines=True, preexec_fn=pre)
    line = p.stdout.readline()  # "listening for Python on HOST:PORT (BACKEND)"
    m = re.search(r"listening for Python on (\S+)", line)
    if m is None:
        p.kill()
        err = p.communicate()[1].strip().splitlines()
        return None, "par-manager did not serve Python: %s" % (err[-1] if err else line.strip())
    return p, m.group(1)


# ---- the workers: the same code against either server -----------------------

class WorkerManager(BaseManager):
    pass


for _t in TYPEIDS:
    WorkerManager.register(_t)


def connect(addr, key):
    host, port = addr.rsplit(":", 1)
    m = WorkerManager(address=(host, int(port)), authkey=key)
    m.connect()
    q = m.get_task_queue()
    q.put(MSG)  # the proxy connects and authenticates on first use: not measured
    q.get()
    return m, q


def roundtrip_worker(addr, key, cpu, n, runs, conn):
    """runs x (n put+get iterations): (seconds, the worker's own CPU
    seconds) of each run."""
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    _, q = connect(addr, key)
    times = []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(n):
            q.put(MSG)
            q.get()
        times.append((time.perf_counter() - t0, time.process_time() - c0))
    conn.send(times)


def calibrate_worker(addr, key, cpu, seconds, conn):
    """Iterations that take about `seconds`."""
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    _, q = connect(addr, key)
    n = 100
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            q.put(MSG)
            q.get()
        secs = time.perf_counter() - t0
        if secs >= seconds / 4 or n >= 10_000_000:
            conn.send(max(n, int(n * seconds / max(secs, 1e-9))))
            return
        n *= 4


def load_worker(addr, key, cpu, ready, go, seconds, conn):
    """Round trips until `seconds` after go: (calls, seconds)."""
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    _, q = connect(addr, key)
    ready.release()
    go.wait()
    calls = 0
    t0 = time.perf_counter()
    end = t0 + seconds
    while True:
        q.put(MSG)
        q.get()
        calls += 2
        if (calls & 63) == 0 and time.perf_counter() >= end:
            break
    conn.send((calls, time.perf_counter() - t0))


def run_procs(ctx, target, argss):
    """Start one process per args tuple (a pipe end appended); their answers."""
    pipes, procs = [], []
    for args in argss:
        parent, child = ctx.Pipe()
        p = ctx.Process(target=target, args=args + (child,))
        p.start()
        pipes.append(parent)
        procs.append(p)
    out = [c.recv() for c in pipes]
    for p in procs:
        p.join()
    return out


def throughput(ctx, addr, key, cpus, k, seconds):
    ready = ctx.Semaphore(0)
    go = ctx.Event()
    pipes, procs = [], []
    for i in range(k):
        parent, child = ctx.Pipe()
        cpu = cpus[i % len(cpus)] if cpus else None
        p = ctx.Process(target=load_worker, args=(addr, key, cpu, ready, go, seconds, child))
        p.start()
        pipes.append(parent)
        procs.append(p)
    for _ in range(k):
        ready.acquire()
    go.set()
    res = [c.recv() for c in pipes]
    for p in procs:
        p.join()
    calls = sum(c for c, _ in res)
    secs = max(s for _, s in res)
    return calls, secs


def pick_cpus():
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return None, []
    return cpus[-1], cpus[:-1]


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--par-manager", default="build/release/tools/par-manager")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=1.0, help="target length of a run")
    ap.add_argument("--workers", default="1,2,4", help="worker counts for throughput")
    args = ap.parse_args(argv[1:])
    ks = [int(k) for k in args.workers.split(",") if k]

    ctx = mp.get_context("fork")
    key = os.urandom(16).hex().encode()
    server_cpu, worker_cpus = pick_cpus()
    one_cpu = worker_cpus[0] if worker_cpus else None
    tmp = tempfile.mkdtemp()
    keyfile = os.path.join(tmp, "key")
    fd = os.open(keyfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, key)
    os.close(fd)

    servers = {}
    master, addr = start_master(ctx, server_cpu, key)
    servers["python_master"] = addr
    par, where = start_par(args.par_manager, server_cpu, keyfile)
    if par is not None:
        servers["par_manager_py"] = where
    else:
        print("par_manager_py: not measured: " + where)
    print("servers: " + ", ".join("%s %s" % kv for kv in servers.items()) +
          "; server CPU %s, worker CPUs %s" % (server_cpu, worker_cpus or "any"))

    results, client_cpu = {}, {}
    try:
        # Round trips: one worker, the same n for both servers (calibrated
        # on the Python master), each run alternating between the servers.
        n = run_procs(ctx, calibrate_worker,
                      [(servers["python_master"], key, one_cpu, args.seconds / 2)])[0]
        for _ in range(args.runs):
            for impl, a in servers.items():
                wall, cpu = run_procs(ctx, roundtrip_worker, [(a, key, one_cpu, n, 1)])[0][0]
                results.setdefault(impl + "/pyworkers_roundtrip/64", []).append((2 * n, wall))
                client_cpu.setdefault(impl, []).append(cpu / (2 * n))
        for k in ks:
            for _ in range(args.runs):
                for impl, a in servers.items():
                    results.setdefault("%s/pyworkers_w%d/64" % (impl, k), []).append(
                        throughput(ctx, a, key, worker_cpus, k, args.seconds))
    finally:
        master.terminate()
        master.join()
        if par is not None:
            par.terminate()
            try:
                par.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                par.kill()
        os.unlink(keyfile)
        os.rmdir(tmp)

    benchmarks, meds = [], {}
    for name, res in results.items():
        rows, med = record(name, res)
        benchmarks += rows
        meds[name] = med
        print(f"{name:42s} {med / 1e3:8.2f} k calls/s ({1e6 / med:6.1f} us per call; "
              f"median of {len(res)} runs)")
    for name, med in meds.items():
        if name.startswith("par_manager_py/"):
            base = meds.get("python_master/" + name.split("/", 1)[1])
            if base:
                print(f"  {name.split('/')[1]:28s} par-manager x{med / base:.2f} "
                      f"the Python master (aim >= 3)")
    # The worker's own CPU per call bounds what any server can give it.
    cpu_us = {k: statistics.median(v) * 1e6 for k, v in client_cpu.items()}
    base = meds.get("python_master/pyworkers_roundtrip/64")
    for impl, us in cpu_us.items():
        print(f"  the Python worker's own CPU per call against {impl}: {us:.1f} us")
    if base and "python_master" in cpu_us:
        cap = 1e6 / cpu_us["python_master"] / base
        print(f"  so a server that took no time at all would give one worker at most "
              f"x{cap:.2f} the Python master's round trips")
    doc = {
        "context": {
            "worker_cpu_us_per_call": {k: round(v, 2) for k, v in cpu_us.items()},
            "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "host_name": platform.node(),
            "executable": "bench/python/interop_bench.py",
            "num_cpus": os.cpu_count(),
            "library_build_type": "python " + platform.python_version(),
            "python": sys.version.split()[0],
            "par_cpus": ",".join(map(str, sorted(os.sched_getaffinity(0)))),
            "server_cpus": "any" if server_cpu is None else str(server_cpu),
            "worker_cpus": ",".join(map(str, worker_cpus)) or "any",
            "par_manager": args.par_manager if par is not None else "not measured",
            "note": "the same Python worker code against each server; calls are "
                    "put or get round trips of a 64-byte bytes object",
        },
        "benchmarks": benchmarks,
    }
    with open(args.out, "w") as f:
        json.dump(doc, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
