#!/usr/bin/env bash
# test_par_topo.sh PAR_TOPO DATA_DIR: the tool's parsing, table, JSON schema and
# exit codes. JSON is checked with python3 (skipped, exit 77, without it).
set -u
tool=$1 data=$2
fail=0
check() { # check DESCRIPTION COMMAND...
	if ! "${@:2}"; then
		echo "FAIL: $1"
		fail=1
	fi
}
command -v python3 >/dev/null || { echo "no python3: skipped"; exit 77; }

# JSON: workers array with index, numa_node and cpus, as the scatter plan says.
json=$("$tool" --topology "package:2 numa:2 core:4 pu:2" --workers 4 --policy scatter --json)
check "json exit status" test $? -eq 0
check "json schema and values" python3 - "$json" <<'PY'
import json, sys
d = json.loads(sys.argv[1])
w = d["workers"]
assert d["policy"] == "scatter", d["policy"]
assert [x["index"] for x in w] == [0, 1, 2, 3]
assert [x["numa_node"] for x in w] == [0, 2, 1, 3]
assert [x["cpus"] for x in w] == [[0], [16], [8], [24]], w
t = d["topology"]
assert (t["packages"], t["numa_nodes"], t["cores"], t["pus"]) == (2, 4, 16, 32), t
assert t["nodes"][3]["cpus"] == list(range(24, 32))
PY

# PAR_TOPOLOGY is read when --topology is absent; default workers = cores.
json=$(PAR_TOPOLOGY="$data/asymmetric.xml" "$tool" --policy numa --json)
check "env topology" python3 - "$json" <<'PY'
import json, sys
d = json.loads(sys.argv[1])
assert len(d["workers"]) == 6, d["workers"]
assert d["workers"][1]["cpus"] == [8, 9, 10, 11]
PY

# Table: the header and one line per worker with its CPU range.
out=$("$tool" --topology "core:4 pu:2" --workers 2 --policy numa)
check "table exit status" test $? -eq 0
check "table topology line" grep -q '^topology: 0 package(s), 1 NUMA node(s), 4 core(s), 8 PU(s)$' <<<"$out"
check "table worker line" grep -Eq '^ +1 +0 +-1  0-7$' <<<"$out"

# Errors: bad policy and bad numbers are usage errors (2); a bad topology is 1.
"$tool" --policy spread >/dev/null 2>&1
check "bad policy exits 2" test $? -eq 2
"$tool" --workers 0 >/dev/null 2>&1
check "zero workers exits 2" test $? -eq 2
"$tool" --topology "nonsense:3 x" >/dev/null 2>&1
check "bad topology exits 1" test $? -eq 1
err=$("$tool" --topology /nonexistent.xml 2>&1 >/dev/null)
check "missing xml message" grep -q "cannot load topology" <<<"$err"

# This machine: as many workers as asked, each on allowed CPUs.
json=$("$tool" --workers 3 --policy compact --json)
check "machine json" python3 - "$json" <<'PY'
import json, os, sys
d = json.loads(sys.argv[1])
allowed = os.sched_getaffinity(0)
assert len(d["workers"]) == 3
assert all(set(w["cpus"]) <= allowed for w in d["workers"])
PY
exit $fail
