#!/usr/bin/env bash
# test_par_scale.sh PAR_SCALE: the tool's parsing and exit codes, a tiny run of
# every workload in every mode, its JSON (schema checked with python3), CSV
# and plot (PNG/SVG when gnuplot is installed). Never asserts on speed.
set -u
tool=$1
fail=0
check() { # check DESCRIPTION COMMAND...
	if ! "${@:2}"; then
		echo "FAIL: $1"
		fail=1
	fi
}
command -v python3 >/dev/null || { echo "no python3: skipped"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# ---- usage errors: exit 2 and say what is wrong ----------------------------
usage_case() { # usage_case EXPECTED_MESSAGE ARGS...
	local err
	err=$("$tool" "${@:2}" 2>&1 >/dev/null)
	local rc=$?
	check "'${*:2}' exits 2 (got $rc)" test $rc -eq 2
	check "'${*:2}' says '$1'" grep -q -- "$1" <<<"$err"
}
usage_case "unknown workload 'bogus'" --workload bogus
usage_case "unknown mode 'fibers'" -m threads,fibers
usage_case "bad worker count '0'" --workers 0
usage_case "bad worker count '3-1'" --workers 3-1
usage_case "bad worker count 'x'" -n x
usage_case "bad worker range '1-'" -n 1-
usage_case "--reps wants" --reps 0
usage_case "--reps wants" --reps 33
usage_case "--reps wants" --reps 1.5
usage_case "bad size 'huge'" --size huge
usage_case "bad size '12q'" --size 12q
usage_case "unknown policy 'spread'" --policy spread
usage_case "--plot wants" --plot out.jpg
usage_case "--gil-interval wants" --gil-interval 0
usage_case "--timeout wants" --timeout -1
usage_case "unknown option '--bogus'" --bogus
usage_case "wants an argument" --json
usage_case "unexpected argument 'extra'" extra
usage_case "empty list" -w ,

# --help and --list: exit 0 on stdout.
out=$("$tool" --help)
check "--help exits 0" test $? -eq 0
check "--help shows usage" grep -q '^usage: par-scale' <<<"$out"
out=$("$tool" --list)
check "--list exits 0" test $? -eq 0
for w in compute memory queue counter counter-local threads-gil python-processes; do
	check "--list names $w" grep -qw -- "$w" <<<"$out"
done

# A bad topology is a runtime failure (1).
"$tool" --topology "nonsense:3 x" -s tiny >/dev/null 2>&1
check "bad topology exits 1" test $? -eq 1

# ---- every workload in every mode, tiny ------------------------------------
plot_png=$tmp/scale.png
out=$("$tool" -w all -m all -n 1,2 -r 2 -s tiny --json "$tmp/s.json" --csv "$tmp/s.csv" \
	--plot "$plot_png" 2>"$tmp/err")
rc=$?
check "tiny run exits 0 (got $rc: $(cat "$tmp/err"))" test $rc -eq 0
check "no progress line when not a terminal" test "$(tr -cd '\r' <"$tmp/err" | wc -c)" -eq 0
check "table header" grep -q '^machine: ' <<<"$out"
check "table has a threads-gil row" grep -Eq '^  threads-gil +2 ' <<<"$out"
check "JSON schema" python3 - "$tmp/s.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
m = d["machine"]
for k in ("cpu_model", "kernel", "topology", "cpus"):
    assert isinstance(m[k], str) and m[k], k
assert m["cores"] >= 1 and m["pus"] >= 1
rows = d["results"]
workloads = {"compute", "memory", "queue", "counter", "counter-local"}
modes = {"threads", "processes", "threads-gil", "python-threads", "python-processes"}
if any(s["note"].startswith("python3 not found") for s in d["skipped"]):
    modes -= {"python-threads", "python-processes"}
seen = {(r["workload"], r["mode"], r["workers"]) for r in rows}
want = {(w, m, k) for w in workloads for m in modes for k in (1, 2)}
assert want <= seen, sorted(want - seen)
for r in rows:
    for k in ("throughput", "speedup", "efficiency", "spread"):
        assert isinstance(r[k], (int, float)) and r[k] >= 0, (k, r)
    assert r["throughput"] > 0, r
    assert r["throughput_min"] <= r["throughput"] <= r["throughput_max"], r
    assert r["units"] > 0 and r["reps"] == 2 and len(r["rep_work_s"]) == 2
    for k in ("startup_s", "transfer_s", "work_s"):
        assert r[k] > 0, (k, r)
    if r["workers"] == 1:
        assert r["speedup"] == 1 and r["efficiency"] == 1, r
    assert abs(r["efficiency"] - r["speedup"] / r["workers"]) < 1e-4, r
    assert r["runtime"].startswith("python" if r["mode"].startswith("python") else "par ")
# the compute checksum does not depend on the split or the mode
c = {r["checksum"] for r in rows if r["workload"] == "compute" and r["runtime"].startswith("par")}
assert len(c) == 1, c
PY
check "CSV header" test "$(head -1 "$tmp/s.csv")" = \
	"workload,mode,workers,runtime,unit,units,reps,throughput,throughput_min,throughput_max,spread,speedup,efficiency,startup_s,transfer_s,work_s"
check "CSV rows" test "$(wc -l <"$tmp/s.csv")" -ge 21
if command -v gnuplot >/dev/null; then
	check "PNG written" test -s "$plot_png"
	check "PNG magic" test "$(head -c 8 "$plot_png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a
	check "plot named on stdout" grep -q "^plot: $plot_png" <<<"$out"
	"$tool" -w compute -m threads -n 1,2 -r 1 -s tiny -q --plot "$tmp/s.svg"
	check "SVG plot" grep -q '<svg' "$tmp/s.svg"
	check "gnuplot script kept" test -s "$tmp/s.gp"
fi

# ---- what is missing is a note, not a failure ------------------------------
# No python3: python rows skipped with a note; no gnuplot: no plot, a note.
out=$(PATH=$tmp/empty "$tool" -w compute -m threads,python-threads -n 1 -r 1 -s tiny \
	--python /nonexistent/python3 --json "$tmp/nopy.json" --plot "$tmp/nogp.png" 2>"$tmp/err")
rc=$?
check "missing python3 and gnuplot exit 0 (got $rc)" test $rc -eq 0
check "python note" grep -q 'note: /nonexistent/python3 not found' "$tmp/err"
check "gnuplot note" grep -q 'gnuplot is not installed' "$tmp/err"
check "skipped row in the table" grep -q 'skipped' <<<"$out"
check "no plot file" test ! -e "$tmp/nogp.png"
check "skipped in JSON" python3 - "$tmp/nopy.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert [r["mode"] for r in d["results"]] == ["threads"], d["results"]
assert d["skipped"][0]["mode"] == "python-threads" and d["skipped"][0]["status"] == "skipped"
PY

# The copy of scale.py built into the binary (python3 -c), as a static binary
# on another machine uses it.
"$tool" -q -w compute -m python-threads -n 1 -r 1 -s tiny --python-script builtin \
	--json "$tmp/builtin.json"
check "builtin script exits 0" test $? -eq 0
check "builtin script gives a python row" python3 - "$tmp/builtin.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert [r["mode"] for r in d["results"]] == ["python-threads"], d
assert d["results"][0]["runtime"].startswith("python ")
PY

# --quiet: nothing on stdout; a synthetic topology plans (without pinning)
# and gives the default worker list 1..cores.
out=$("$tool" -q -w compute -m threads -r 1 -s tiny --topology "core:3 pu:1" --json "$tmp/q.json")
check "quiet exits 0" test $? -eq 0
check "quiet prints nothing" test -z "$out"
check "default workers 1..cores" python3 - "$tmp/q.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert [r["workers"] for r in d["results"]] == [1, 2, 3], d["results"]
assert d["machine"]["this_machine"] is False
PY
# 1 is always measured, sizes take a count, lists and ranges mix.
out=$("$tool" -q -w counter -m threads -n 3,2-2 -r 1 -s 5k --csv "$tmp/n.csv")
check "count size exits 0" test $? -eq 0
check "workers 1,2,3 at 4992 units" test "$(cut -d, -f3,6 "$tmp/n.csv" | tail -n +2 | tr '\n' ' ')" = \
	"1,4992 2,4992 3,4992 "
exit $fail
