#!/usr/bin/env bash
# par's front door.
#   ./run.sh demo    install what is missing, build, run par-scale: how work
#                    scales here as threads, processes, under a GIL, in Python
#                    (table; plot in build/par-scale.png, JSON beside it)
#   ./run.sh examples  build and run the examples (the Python walkthrough in C)
#   ./run.sh test    install, build and run the whole test suite three times:
#                    normal (-Werror), ASan+UBSan, and ThreadSanitizer
#   ./run.sh bench   install, build (Release) and run the benchmark suite
#   ./run.sh static  build a fully static par-scale to copy to another machine
#   ./run.sh build [preset]   configure and build one CMakePresets.json preset
set -euo pipefail
cd "$(dirname "$0")"

# Debian packages each command needs.
PKGS_BUILD=(gcc g++ make cmake ninja-build pkg-config clang-format libcmocka-dev libnuma-dev libhwloc-dev liburing-dev libssl-dev)
PKGS_BENCH=(libbenchmark-dev python3 libboost-dev libck-dev dpdk-dev)
PKGS_DEMO=(gnuplot-nox python3)
# The tests also check JSON with python3, plots with gnuplot, and fuzz the
# frame parser with clang's libFuzzer.
PKGS_TEST=(python3 gnuplot-nox clang libclang-rt-14-dev)

missing_pkgs() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			printf '%s\n' "$p"
	done
}

# Install the packages that are not there yet (as root), or print the exact
# command to run and stop.
ensure_pkgs() {
	command -v dpkg-query >/dev/null || return 0 # not Debian: trust the system
	local missing
	mapfile -t missing < <(missing_pkgs "$@")
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "run.sh: missing packages. Install them with:" >&2
		echo "  sudo apt-get install -y ${missing[*]}" >&2
		exit 1
	fi
	echo "run.sh: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

build() {
	local preset=$1
	echo "== configure and build: $preset"
	cmake --preset "$preset" >/dev/null
	cmake --build --preset "$preset"
}

# The examples, in the order of the Python walkthrough they follow.
EXAMPLES=(process_basic pool_fanout subprocess_pipe queue_processes thread_named
	  balance thread_local)

cmd_examples() {
	ensure_pkgs "${PKGS_BUILD[@]}"
	build default
	local ex
	for ex in "${EXAMPLES[@]}"; do
		echo
		echo "== examples/$ex"
		"build/default/examples/$ex"
	done
}

# par-scale with its defaults (compute and queue, every mode, 1..cores
# workers); it says where the plot is (or why there is none), then the JSON.
cmd_demo() {
	ensure_pkgs "${PKGS_BUILD[@]}" "${PKGS_DEMO[@]}"
	build default
	echo
	echo "== par-scale (build/default/tools/par-scale --help for more)"
	build/default/tools/par-scale --plot build/par-scale.png --json build/par-scale.json
	echo "data: build/par-scale.json"
}

# One self-contained par-scale: copy build/static/tools/par-scale anywhere
# (x86-64 Linux) and run it; it carries its Python script.
cmd_static() {
	ensure_pkgs "${PKGS_BUILD[@]}"
	build static
	local bin=build/static/tools/par-scale
	file "$bin" 2>/dev/null || true
	if ldd "$bin" >/dev/null 2>&1; then
		echo "run.sh: $bin is not static" >&2
		exit 1
	fi
	"$bin" --list >/dev/null
	echo "static binary: $bin"
}

cmd_test() {
	ensure_pkgs "${PKGS_BUILD[@]}" "${PKGS_TEST[@]}"
	local preset
	# ThreadSanitizer and ASan+UBSan first, the full normal build last, so the
	# run ends with ctest's summary of every test (or stops at the first
	# failing configuration, with its summary).
	for preset in tsan asan default; do
		build "$preset"
		echo "== ctest: $preset"
		ctest --preset "$preset"
	done
}

cmd_bench() {
	ensure_pkgs "${PKGS_BUILD[@]}" "${PKGS_BENCH[@]}"
	build release
	mkdir -p build/bench
	local b json=()
	# Five repetitions each; the summary uses their medians.
	for b in build/release/bench/bench_*; do
		[ -x "$b" ] || continue
		echo "== $b"
		"$b" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
			--benchmark_min_time=0.2 \
			--benchmark_out="build/bench/$(basename "$b").json" --benchmark_out_format=json
		json+=("build/bench/$(basename "$b").json")
	done
	# The Python baselines (multiprocessing.Queue, Pool, BaseManager), Python
	# workers against par-manager and a Python master (interop_bench), and
	# Redis where it is installed: peers in the summary.
	local py
	for py in mp_queue pool_baseline manager_baseline interop_bench redis_baseline; do
		echo "== bench/python/$py.py"
		if python3 "bench/python/$py.py" "build/bench/python_$py.json"; then
			json+=("build/bench/python_$py.json")
		fi
	done
	echo
	python3 bench/summarize.py "${json[@]}"
}

case "${1:-}" in
demo) cmd_demo ;;
examples) cmd_examples ;;
test) cmd_test ;;
bench) cmd_bench ;;
static) cmd_static ;;
build)
	ensure_pkgs "${PKGS_BUILD[@]}"
	build "${2:-default}"
	;;
*)
	sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
	;;
esac
