#!/usr/bin/env bash
# test_task_example.sh MASTER WORKER: the master/worker pair of the Python
# walkthrough on 127.0.0.1 (a port the kernel picks), three workers at once,
# the key in a file. Every task is squared by some worker and each result is
# printed once by the master as "Result: N * N = M" with M = N*N.
set -u
master=$1 worker=$2
dir=$(mktemp -d)
trap 'kill $mpid 2>/dev/null; rm -rf "$dir"' EXIT
umask 077
echo "example-key" >"$dir/key"
skip_if_refused() { # the backend in $PAR_NET_BACKEND may be refused here
	grep -q "refused\|not permitted\|not supported" "$1" && { echo "backend refused: skipped"; exit 77; }
}
fail() { echo "FAIL: $*"; cat "$dir"/*.out; exit 1; }

timeout 60 "$master" --listen 127.0.0.1:0 --authkey-file "$dir/key" >"$dir/master.out" 2>&1 &
mpid=$!
for _ in $(seq 100); do
	grep -q "Master listening on" "$dir/master.out" && break
	kill -0 $mpid 2>/dev/null || break
	sleep 0.1
done
addr=$(sed -n 's/^Master listening on //p' "$dir/master.out")
[ -n "$addr" ] || { skip_if_refused "$dir/master.out"; fail "master did not listen"; }
pids=()
for i in 1 2 3; do
	timeout 60 "$worker" --connect "$addr" --authkey-file "$dir/key" >"$dir/worker$i.out" 2>&1 &
	pids+=($!)
done
for p in "${pids[@]}"; do
	wait "$p" || fail "a worker failed"
done
wait $mpid || fail "the master failed"
cat "$dir/master.out"
[ "$(grep -c '^Put task' "$dir/master.out")" -eq 10 ] || fail "not 10 tasks put"
[ "$(grep -c '^Result: ' "$dir/master.out")" -eq 10 ] || fail "not 10 results"
grep '^Result: ' "$dir/master.out" | while read -r _ n _ n2 _ m; do
	[ "$n" = "$n2" ] && [ "$m" -eq $((n * n)) ] || { echo "FAIL: bad result $n * $n2 = $m"; exit 1; }
done || exit 1
runs=$(cat "$dir"/worker*.out | grep -c '^run task')
[ "$runs" -eq 10 ] || fail "workers ran $runs tasks, not 10"
grep -q "master exit." "$dir/master.out" || fail "no master exit"
echo "ok: 10 results from 3 workers"
