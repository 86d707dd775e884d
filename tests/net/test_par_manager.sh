#!/usr/bin/env bash
# test_par_manager.sh PAR_MANAGER: the tool's serve and status commands,
# their key handling (file, environment; never the command line), usage
# errors and a clean stop on SIGTERM with counters.
set -u
tool=$1
dir=$(mktemp -d)
spid= wpid=
trap '[ -n "$spid" ] && kill $spid 2>/dev/null; [ -n "$wpid" ] && kill $wpid 2>/dev/null; rm -rf "$dir"' EXIT
skip_if_refused() { # the backend in $PAR_NET_BACKEND may be refused here
	grep -q "refused\|not permitted\|not supported" "$1" && { echo "backend refused: skipped"; exit 77; }
}
fail() { echo "FAIL: $*"; cat "$dir"/*.out 2>/dev/null; exit 1; }
(umask 077 && echo "tool-key" >"$dir/key" && echo "other-key" >"$dir/bad")

"$tool" >/dev/null 2>&1; [ $? -eq 2 ] || fail "no command: want exit 2"
"$tool" serve --queue q >/dev/null 2>&1; [ $? -eq 2 ] || fail "no address: want exit 2"
"$tool" serve --listen 127.0.0.1:0 --authkey bad >/dev/null 2>&1
[ $? -eq 2 ] || fail "a key on the command line must be refused"
"$tool" serve --listen 127.0.0.1:0 --authkey-file "$dir/key" --backend nope --queue q \
	>/dev/null 2>&1; [ $? -eq 2 ] || fail "bad backend: want exit 2"
cp "$dir/key" "$dir/open" && chmod 644 "$dir/open"
"$tool" serve --listen 127.0.0.1:0 --authkey-file "$dir/open" --queue q >"$dir/open.out" 2>&1
[ $? -eq 1 ] && grep -q "permission denied" "$dir/open.out" || fail "a readable key file must be refused"

# No `timeout` around the server: it forwards our SIGTERM to its whole process
# group and follows it with SIGCONT, which can catch LeakSanitizer's exit-time
# tracer (a clone of the server, ptrace-stopping it) and hang both. A
# watchdog kills the server instead if it outlives 60 s.
"$tool" serve --listen 127.0.0.1:0 --authkey-file "$dir/key" \
	--queue tasks --queue results:8 >"$dir/serve.out" 2>"$dir/serve.err" &
spid=$!
(sleep 60 && kill -9 $spid) >/dev/null 2>&1 &
wpid=$!
for _ in $(seq 100); do
	grep -q "^listening on" "$dir/serve.out" && break
	kill -0 $spid 2>/dev/null || break
	sleep 0.1
done
addr=$(sed -n 's/^listening on \([^ ]*\) .*/\1/p' "$dir/serve.out")
[ -n "$addr" ] || { skip_if_refused "$dir/serve.err"; fail "serve did not listen"; }

"$tool" status --connect "$addr" --authkey-file "$dir/key" >"$dir/status.out" 2>&1 ||
	fail "status failed"
grep -qE '^tasks +0 +65536 ' "$dir/status.out" || fail "no tasks row"
grep -qE '^results +0 +8 ' "$dir/status.out" || fail "no results row"
PAR_AUTHKEY=tool-key "$tool" status --connect "$addr" --json >"$dir/json.out" 2>&1 ||
	fail "status with the key in PAR_AUTHKEY failed"
if command -v python3 >/dev/null; then
	python3 - "$dir/json.out" <<'PY' || fail "json"
import json, sys
d = json.load(open(sys.argv[1]))
assert [q["name"] for q in d["queues"]] == ["tasks", "results"], d
assert d["queues"][1]["capacity"] == 8
assert d["auth_ok"] >= 2 and d["backend"] in ("io_uring", "epoll"), d
PY
fi
"$tool" status --connect "$addr" --authkey-file "$dir/bad" >"$dir/bad.out" 2>&1
[ $? -eq 1 ] && grep -q "authentication failed" "$dir/bad.out" || fail "wrong key: want exit 1"
grep -q "authentication failed" "$dir/serve.err" || fail "server did not log the failure"

kill -TERM $spid
wait $spid; rc=$?
spid=
[ $rc -eq 0 ] || fail "serve exit $rc after SIGTERM"
grep -q "auth: 2 ok, 1 failed" "$dir/serve.out" || fail "counters not printed"
echo "ok"
