#!/usr/bin/env bash
# bench/net_run.sh [BUILD_DIR]: the network benchmarks and their peers in one
# run on this machine: bench_net (par_net_uring / par_net_epoll beside a bare
# TCP ping-pong), Python's BaseManager, and Redis where installed; then the
# cross-file summary and the aims of issue 5, each measured against a peer
# of the same run. JSON goes to build/bench/. Run on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
out=build/bench
mkdir -p "$out"
"$build/bench/bench_net" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
	--benchmark_min_time=0.3 --benchmark_enable_random_interleaving=true \
	--benchmark_out="$out/bench_net.json" \
	--benchmark_out_format=json
json=("$out/bench_net.json")
python3 bench/python/manager_baseline.py "$out/python_manager.json" && json+=("$out/python_manager.json")
rc=0
python3 bench/python/redis_baseline.py "$out/redis.json" || rc=$?
[ $rc -eq 0 ] && json+=("$out/redis.json")
echo
python3 bench/summarize.py "${json[@]}" || true
echo
python3 - "${json[@]}" <<'PY'
import json, sys
rate = {}
for path in sys.argv[1:]:
    for b in json.load(open(path))["benchmarks"]:
        if b.get("aggregate_name", "median") == "median" and "items_per_second" in b:
            name = "/".join(b.get("run_name", b["name"]).split("/")[:3])
            rate[name] = b["items_per_second"]
def show(what, num, den, aim, invert=False):
    if num not in rate or den not in rate:
        print(f"  {what}: not measured ({num if num not in rate else den} missing)")
        return
    r = rate[den] / rate[num] if invert else rate[num] / rate[den]
    ok = r <= aim if invert else r >= aim
    print(f"  {what}: {r:.2f} (aim {'<=' if invert else '>='} {aim}) {'met' if ok else 'NOT met'}")
print("aims of issue 5 (same run):")
tcp, py = "tcp_pingpong/roundtrip/64", "python_manager/roundtrip/64"
if tcp in rate and py in rate:
    print(f"  (no blocking call beats the bare round trip: here it caps the gain over "
          f"Python at {rate[tcp] / rate[py]:.2f}x)")
for b in ("par_net_uring", "par_net_epoll"):
    print(f" {b}:")
    show("blocking call time / bare TCP round trip", f"{b}/roundtrip/64",
         "tcp_pingpong/roundtrip/64", 1.5, invert=True)
    show("blocking calls vs Python BaseManager", f"{b}/roundtrip/64",
         "python_manager/roundtrip/64", 4)
    p = f"{b}/put_pipelined/64"
    if p in rate:
        print(f"  pipelined 64 B puts: {rate[p] / 1e6:.2f} M/s (aim >= 1 M/s) "
              f"{'met' if rate[p] >= 1e6 else 'NOT met'}")
    show("pipelined 64 B puts vs Redis LPUSH -P 16", p, "redis/put_pipelined/64", 1)
    show("pipelined 64 B puts vs Python BaseManager", p, "python_manager/put_pipelined/64", 100)
PY
