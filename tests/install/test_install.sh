#!/usr/bin/env bash
# test_install.sh BUILD_DIR CONSUMER_DIR VERSION [EXTRA_CFLAGS]
# Install the build into a temporary prefix, then build and run a consumer
# program three ways: pkg-config (shared), pkg-config --static, and CMake's
# find_package(par) (shared and static targets). Each must print the expected
# line.
set -euo pipefail
build=$1 consumer=$2 version=$3 cflags=${4:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
want="par $version value 43 timed out"

check() { # check NAME OUTPUT
	if [ "$2" != "$want" ]; then
		echo "FAIL ($1): got '$2', want '$want'"
		exit 1
	fi
	echo "ok ($1): $2"
}

cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
pc=$(find "$tmp/prefix" -name par.pc)
[ -n "$pc" ] || { echo "FAIL: no par.pc installed"; exit 1; }
for h in core sync process par; do
	[ -f "$tmp/prefix/include/par/$h.h" ] || { echo "FAIL: include/par/$h.h not installed"; exit 1; }
done
export PKG_CONFIG_PATH=$(dirname "$pc")
libdir=$(pkg-config --variable=libdir par)
[ -e "$libdir/libpar.so" ] && [ -e "$libdir/libpar.a" ] || { echo "FAIL: libraries not in $libdir"; exit 1; }

# shellcheck disable=SC2046,SC2086
cc $cflags -o "$tmp/pc_shared" "$consumer/consumer.c" $(pkg-config --cflags --libs par)
check "pkg-config" "$(LD_LIBRARY_PATH=$libdir "$tmp/pc_shared")"
# shellcheck disable=SC2046,SC2086
cc $cflags -static-libgcc -o "$tmp/pc_static" "$consumer/consumer.c" \
	$(pkg-config --cflags par) "$libdir/libpar.a" $(pkg-config --static --libs-only-other par)
check "pkg-config --static" "$("$tmp/pc_static")"

cmake -S "$consumer" -B "$tmp/cbuild" -DCMAKE_PREFIX_PATH="$tmp/prefix" \
	-DCMAKE_C_FLAGS="$cflags" -DCMAKE_EXE_LINKER_FLAGS="$cflags" >/dev/null
cmake --build "$tmp/cbuild" >/dev/null
check "find_package par::par" "$("$tmp/cbuild/consumer")"
check "find_package par::par_static" "$("$tmp/cbuild/consumer_static")"
