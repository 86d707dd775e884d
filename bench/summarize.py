#!/usr/bin/env python3
"""Summarize Google Benchmark JSON files written by ./run.sh bench.

Benchmarks are named impl/case/bytes. For every case/bytes that has a par
implementation (impl starting with "par_") and at least one other, print
par's items/s and its ratio to each other implementation measured in the same
run (medians when the run used repetitions), beside the run's cache-line
round-trip probe and the CPUs used.

usage: summarize.py FILE.json...
"""
import json
import sys
from collections import defaultdict


def rows(doc):
    """(name, items_per_second) per benchmark; medians when aggregated."""
    medians = [b for b in doc["benchmarks"] if b.get("aggregate_name") == "median"]
    chosen = medians or [b for b in doc["benchmarks"] if b.get("run_type") != "aggregate"]
    for b in chosen:
        name = b.get("run_name", b["name"])
        if "items_per_second" in b:
            yield name, b["items_per_second"]


def fmt(rate):
    for unit, div in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if rate >= div:
            return f"{rate / div:7.2f} {unit}/s"
    return f"{rate:7.2f}  /s"


def summarize(path):
    with open(path) as f:
        doc = json.load(f)
    ctx = doc.get("context", {})
    print(f"== {path}")
    print(f"   cpus {ctx.get('par_cpus', '?')}, cache-line round trip "
          f"{ctx.get('par_cacheline_rtt_ns', '?')} ns, host {ctx.get('host_name', '?')}")
    groups = defaultdict(dict)
    for name, rate in rows(doc):
        parts = name.split("/")
        if len(parts) >= 3:
            groups["/".join(parts[1:3])][parts[0]] = rate
    for case, impls in sorted(groups.items()):
        pars = {k: v for k, v in impls.items() if k.startswith("par_")}
        others = {k: v for k, v in impls.items() if not k.startswith("par_")}
        for impl, rate in sorted(pars.items()):
            line = f"   {impl + '/' + case:36s} {fmt(rate)}"
            if others:
                best = max(others.values())
                line += f"   x{rate / best:6.2f} best peer;"
                line += "".join(f"  x{rate / v:.2f} {k}" for k, v in sorted(others.items()))
            print(line)


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    for path in argv[1:]:
        summarize(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
