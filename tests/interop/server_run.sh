#!/usr/bin/env bash
# server_run.sh PAR_MANAGER PEER PYTHON SCRIPT [ARGS...]: run SCRIPT under
# PYTHON against a par-manager serving its native and Python listeners on
# kernel-picked ports (so tests may run in parallel), with queues
# get_task_queue, get_result_queue and q. The script finds them in the
# environment: PAR_ADDR (native HOST:PORT), PAR_PYPORT (the Python port),
# PAR_KEYFILE (authkey file: its bytes less the newline are the key, b'abc'),
# PAR_PEER (tests/interop/server_native_peer, a C client), PAR_TMP (a scratch
# folder). Afterwards the server must stop cleanly on SIGTERM. Exit: the
# script's status (77 skips), or 1.
set -u
tool=$1 peer=$2 py=$3
shift 3
command -v "$py" >/dev/null 2>&1 || { echo "no $py: skipped"; exit 77; }
dir=$(mktemp -d)
spid= wpid=
trap '[ -n "$spid" ] && kill $spid 2>/dev/null; [ -n "$wpid" ] && kill $wpid 2>/dev/null; rm -rf "$dir"' EXIT
(umask 077 && printf 'abc\n' >"$dir/key")

"$tool" serve --listen 127.0.0.1:0 --python-listen 127.0.0.1:0 --authkey-file "$dir/key" \
	--queue get_task_queue --queue get_result_queue --queue q \
	>"$dir/serve.out" 2>"$dir/serve.err" &
spid=$!
# a watchdog instead of timeout(1) (see tests/net/test_par_manager.sh)
(sleep 500 && kill -9 $spid) >/dev/null 2>&1 &
wpid=$!
for _ in $(seq 100); do
	grep -q "^listening for Python on" "$dir/serve.out" && break
	kill -0 $spid 2>/dev/null || break
	sleep 0.1
done
addr=$(sed -n 's/^listening on \([^ ]*\) .*/\1/p' "$dir/serve.out")
pyport=$(sed -n 's/^listening for Python on [^ ]*:\([0-9]*\) .*/\1/p' "$dir/serve.out")
if [ -z "$addr" ] || [ -z "$pyport" ]; then
	cat "$dir/serve.out" "$dir/serve.err"
	grep -q "refused\|not permitted\|not supported" "$dir/serve.err" && exit 77
	echo "FAIL: par-manager did not listen"
	exit 1
fi

mkdir "$dir/tmp"
PAR_ADDR=$addr PAR_PYPORT=$pyport PAR_KEYFILE=$dir/key PAR_PEER=$peer PAR_TMP=$dir/tmp \
	"$py" "$@"
rc=$?

kill -TERM $spid
wait $spid
src=$?
spid=
if [ $rc -ne 0 ] || [ $src -ne 0 ]; then
	echo "--- par-manager (exit $src):"
	cat "$dir/serve.out"
	tail -n 40 "$dir/serve.err"
fi
[ $src -eq 0 ] || { echo "FAIL: par-manager exit $src"; exit 1; }
exit $rc
