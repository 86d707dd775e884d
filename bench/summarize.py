#!/usr/bin/env python3
"""Summarize Google Benchmark JSON files written by ./run.sh bench.

Benchmarks are named impl/case/bytes (anything after that, like /real_time, is
ignored). For every case/bytes that has a par implementation (impl starting
with "par_") and at least one other, print par's items/s and its ratio to
each other implementation measured in the same run, in any of the files given
(medians when the run used repetitions). A peer from another file counts
only where that file measures no par implementation itself (a baseline's
file, such as the Python baseline's), and is marked *. par_ring is compared with the lock-free rings
(RINGS), par_queue and the other par_ implementations with everything else
(the message queues). Each file's cache-line round-trip probe and
CPUs are printed first. Then the project's aims: each measured ratio beside
its aim, met or not.

usage: summarize.py FILE.json...
"""
import json
import os
import sys
from collections import defaultdict

# (par benchmark, baseline or None for the best peer of its case, aim)
AIMS = [
    # shm (issue 3)
    ("par_ring/spsc/8", None, 1.0),
    ("par_ring/spsc_burst32/8", None, 1.5),
    ("par_queue/xproc/64", "pipe/xproc/64", 10),
    ("par_queue/xproc_batch32/64", "pipe/xproc/64", 20),
    ("par_queue/xproc/64", "python_mp_queue/xproc/64", 100),
    # sched: the Pool (issue 4)
    ("par_pool_threads/empty_submit/0", "python_pool/empty_submit/0", 100),
    ("par_pool_processes/empty_submit/0", "python_pool/empty_submit/0", 50),
    ("par_pool_threads/map_chunk1000/8", "python_pool/map_chunk1000/8", 1),
    ("par_pool_processes/map_chunk1000/8", "python_pool/map_chunk1000/8", 1),
    ("par_pool_threads/map_work_chunk1000/8", "openmp/map_work_chunk1000/8", 0.5),
    ("par_pool_processes/map_work_chunk1000/8", "openmp/map_work_chunk1000/8", 0.5),
    # net: managers (issue 5); a blocking call within 1.5x of a bare round trip
    ("par_net_uring/roundtrip/64", "tcp_pingpong/roundtrip/64", 1 / 1.5),
    ("par_net_epoll/roundtrip/64", "tcp_pingpong/roundtrip/64", 1 / 1.5),
    ("par_net_uring/roundtrip/64", "python_manager/roundtrip/64", 4),
    ("par_net_uring/put_pipelined/64", "python_manager/put_pipelined/64", 100),
    # Python interop (issue 7): python workers vs par-manager >= 3x python master
    # (the same Python worker code against each, interop_bench.py)
    ("par_manager_py/pyworkers_roundtrip/64", "python_master/pyworkers_roundtrip/64", 3),
    ("par_manager_py/pyworkers_w4/64", "python_master/pyworkers_w4/64", 3),
]

# Peers that are rings of fixed-size elements: par_ring's peers.
RINGS = {"boost_spsc", "boost_queue", "ck_ring", "ck_ring_loop", "rte_ring"}


def peers_of(impl, impls):
    """The non-par implementations of a case that impl is measured against."""
    ring = impl == "par_ring"
    return {k: v for k, v in impls.items()
            if not k.startswith("par_") and (k in RINGS) == ring}


def rows(doc):
    """(name, items_per_second) per benchmark; medians when aggregated."""
    medians = [b for b in doc["benchmarks"] if b.get("aggregate_name") == "median"]
    chosen = medians or [b for b in doc["benchmarks"] if b.get("run_type") != "aggregate"]
    for b in chosen:
        name = b.get("run_name", b["name"])
        if "items_per_second" in b and not b.get("error_occurred"):
            yield name, b["items_per_second"]


def fmt(rate):
    for unit, div in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if rate >= div:
            return f"{rate / div:7.2f} {unit}/s"
    return f"{rate:7.2f}  /s"


def load(paths):
    """groups[case/bytes][impl] = (rate, index of the file)."""
    groups = defaultdict(dict)
    for i, path in enumerate(paths):
        with open(path) as f:
            doc = json.load(f)
        ctx = doc.get("context", {})
        print(f"== {path}")
        print(f"   cpus {ctx.get('par_cpus', '?')}, cache-line round trip "
              f"{ctx.get('par_cacheline_rtt_ns', '?')} ns, host {ctx.get('host_name', '?')}")
        mine = [(n.split("/"), r) for n, r in rows(doc)]
        # A file without par implementations is a baseline for every file.
        src = i if any(p[0].startswith("par_") for p, _ in mine) else -1
        for parts, rate in mine:
            if len(parts) >= 3:
                groups["/".join(parts[1:3])][parts[0]] = (rate, src)
    return groups


def table(groups):
    def order(item):  # case name, then size as a number
        kase, _, size = item[0].partition("/")
        return kase, int(size) if size.isdigit() else 0, size

    for case, impls in sorted(groups.items(), key=order):
        pars = {k: v for k, v in impls.items() if k.startswith("par_")}
        for impl, (rate, src) in sorted(pars.items()):
            others = {k: v for k, v in peers_of(impl, impls).items() if v[1] in (src, -1)}
            line = f"   {impl + '/' + case:36s} {fmt(rate)}"
            if others:
                best = max(r for r, _ in others.values())
                line += f"   x{rate / best:6.2f} best peer;"
                line += "".join(f"  x{rate / r:.2f} {k}{'*' if s == -1 else ''}"
                                for k, (r, s) in sorted(others.items()))
            print(line)
    if any(s == -1 for impls in groups.values() for _, s in impls.values()):
        print("   (* measured by another program of this run)")


def aims(groups):
    print("\n== aims (par's items/s over the baseline's, same run)")
    for par, base, aim in AIMS:
        impl, case = par.split("/", 1)
        peers = groups.get(case, {})
        mine = peers.get(impl)
        if base is None:
            others = {k: r for k, (r, s) in peers_of(impl, peers).items()
                      if mine and s in (mine[1], -1)}
            bname = max(others, key=others.get) if others else None
            label, theirs = f"best peer ({bname or '?'})", others.get(bname)
        else:
            bimpl, bcase = base.split("/", 1)
            label, theirs = base, groups.get(bcase, {}).get(bimpl, (None,))[0]
        head = f"   {par:28s} vs {label:30s}"
        if mine is None or theirs is None:
            print(f"{head}  not measured          aim >= {aim:g}")
            continue
        ratio = mine[0] / theirs
        print(f"{head}  x{ratio:9.2f}  aim >= {aim:<4g} "
              f"{'met' if ratio >= aim else 'NOT met'}")


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    paths = [p for p in argv[1:] if os.path.exists(p)]
    groups = load(paths)
    table(groups)
    aims(groups)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
