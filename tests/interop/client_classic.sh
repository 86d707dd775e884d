#!/usr/bin/env bash
# client_classic.sh PY WORKER [C_WORKERS] [PY_WORKERS]: the classic Python
# master (classic/task_master.py, unchanged, through run_classic.py on a
# free port) served by C_WORKERS (default 1) of par's task_worker_py and
# PY_WORKERS (default 0) classic Python workers at once, all on the same
# queues. Every task the master put is run by exactly one worker, and the
# master prints each result once as "Result: N * N = M" with M = N*N.
set -u
py=$1 worker=$2 ncw=${3:-1} npw=${4:-0}
here=$(cd "$(dirname "$0")" && pwd)
[ -x "$py" ] || command -v "$py" >/dev/null || { echo "no python: skipped"; exit 77; }
dir=$(mktemp -d)
mpid=
trap '[ -n "$mpid" ] && kill $mpid 2>/dev/null; rm -rf "$dir"' EXIT
umask 077
printf 'abc' >"$dir/key" # the classic master's authkey
fail() {
	echo "FAIL: $*"
	for f in "$dir"/*.out; do echo "--- $f"; cat "$f"; done
	exit 1
}
export PYTHONUNBUFFERED=1
port=$("$py" -c 'import socket; s = socket.socket(); s.bind(("", 0)); print(s.getsockname()[1])')
timeout 120 "$py" "$here/run_classic.py" "$here/classic/task_master.py" "$port" \
	>"$dir/master.out" 2>&1 &
mpid=$!
# The master puts every task, then reads results (10 s each at most).
for _ in $(seq 300); do
	grep -q "Try get results" "$dir/master.out" && break
	kill -0 $mpid 2>/dev/null || break
	sleep 0.1
done
grep -q "Try get results" "$dir/master.out" || fail "the master did not start"
cpids=() ppids=()
# Python workers first (a task takes them 0.1 s): the C workers start once
# one has run a task, so the queue is really shared.
for i in $(seq "$npw"); do
	timeout 60 "$py" "$here/run_classic.py" "$here/classic/task_worker.py" "$port" 0.1 \
		>"$dir/pyworker$i.out" 2>&1 &
	ppids+=($!)
done
if [ "$npw" -gt 0 ]; then
	for _ in $(seq 300); do
		grep -q "^run task" "$dir/pyworker1.out" 2>/dev/null && break
		sleep 0.1
	done
	grep -q "^run task" "$dir/pyworker1.out" || fail "the Python worker ran no task"
fi
for i in $(seq "$ncw"); do
	timeout 60 "$worker" --connect "127.0.0.1:$port" --authkey-file "$dir/key" \
		>"$dir/cworker$i.out" 2>&1 &
	cpids+=($!)
done
wait $mpid || fail "the master failed"
mpid=
for p in "${cpids[@]}"; do
	wait "$p" || fail "a C worker failed"
done
# A classic Python worker makes 10 gets whatever happens; once the master
# has shut its server down it dies of that, which is its own business.
for p in "${ppids[@]}"; do
	wait "$p"
done
cat "$dir/master.out"
sed -n 's/^Put task \([0-9]*\)\.\.\.$/\1/p' "$dir/master.out" | sort -n >"$dir/put"
sed -n 's/^Result: \([0-9]*\) \* [0-9]* = [0-9]*$/\1/p' "$dir/master.out" | sort -n >"$dir/got"
cat "$dir"/*worker*.out | sed -n 's/^run task \([0-9]*\) \* [0-9]*\.\.\.$/\1/p' | sort -n >"$dir/ran"
[ "$(wc -l <"$dir/put")" -eq 10 ] || fail "not 10 tasks put"
cmp -s "$dir/put" "$dir/got" || fail "results are not the tasks put"
cmp -s "$dir/put" "$dir/ran" || fail "the workers did not run each task once"
grep '^Result: ' "$dir/master.out" | while read -r _ n _ n2 _ m; do
	[ "$n" = "$n2" ] && [ "$m" -eq $((n * n)) ] || { echo "FAIL: bad result $n * $n2 = $m"; exit 1; }
done || fail "a wrong result"
grep -q "master exit." "$dir/master.out" || fail "no master exit"
for f in "$dir"/*worker*.out; do
	echo "$(basename "$f" .out): $(grep -c '^run task' "$f") tasks"
done
echo "ok: 10 results from $ncw C and $npw Python workers"
