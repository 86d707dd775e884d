#!/usr/bin/env bash
# check_format.sh SOURCE_DIR: every C/C++ source and header is formatted as
# .clang-format says (clang-format --dry-run --Werror). Fix with:
#   git ls-files '*.c' '*.h' '*.cc' | xargs clang-format -i
set -euo pipefail
cd "$1"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	mapfile -t files < <(git ls-files '*.c' '*.h' '*.cc')
else
	mapfile -t files < <(find include core examples tests bench -name '*.[ch]' -o -name '*.cc')
fi
[ ${#files[@]} -gt 0 ] || { echo "no sources found"; exit 1; }
clang-format --dry-run --Werror "${files[@]}"
echo "${#files[@]} files formatted as .clang-format says"
