"""Benchmark records in Google Benchmark's JSON shape, so bench/summarize.py
reads the Python baselines like par's own results: one row per run and the
median as an aggregate."""
import statistics


def record(name, results):
    """results: (items, seconds) per run. Returns (rows, median items/s)."""
    out = []
    for i, (n, secs) in enumerate(results):
        out.append({
            "name": name, "run_name": name, "run_type": "iteration",
            "repetitions": len(results), "repetition_index": i, "threads": 1,
            "iterations": n, "real_time": secs / n * 1e9, "cpu_time": secs / n * 1e9,
            "time_unit": "ns", "items_per_second": n / secs,
        })
    med = statistics.median(n / secs for n, secs in results)
    out.append({
        "name": name + "_median", "run_name": name, "run_type": "aggregate",
        "aggregate_name": "median", "repetitions": len(results), "threads": 1,
        "iterations": len(results), "real_time": 1e9 / med, "cpu_time": 1e9 / med,
        "time_unit": "ns", "items_per_second": med,
    })
    return out, med
