#!/usr/bin/env bash
# check_example.sh EXE EXPECT: run an example, require exit status 0 and that
# its output satisfies every line of EXPECT:
#   REGEX          some output line matches REGEX (grep -E)
#   =N REGEX       exactly N output lines match REGEX
#   !REGEX         no output line matches REGEX
#   order A || B   the first line matching A comes before the first matching B
set -u
exe=$1 expect=$2
out=$(timeout 60 "$exe" 2>&1)
rc=$?
printf '%s\n' "$out"
if [ $rc -ne 0 ]; then
	echo "FAIL: $exe exited with status $rc"
	exit 1
fi
fail=0
first_line() { printf '%s\n' "$out" | grep -nE -m1 -- "$1" | cut -d: -f1; }
while IFS= read -r rule || [ -n "$rule" ]; do
	[ -z "$rule" ] && continue
	case "$rule" in
	'#'*) continue ;;
	=*)
		n=${rule%% *} n=${n#=} re=${rule#* }
		got=$(printf '%s\n' "$out" | grep -cE -- "$re")
		[ "$got" -eq "$n" ] || { echo "FAIL: $got lines match '$re', want $n"; fail=1; }
		;;
	'!'*)
		re=${rule#!}
		! printf '%s\n' "$out" | grep -qE -- "$re" || { echo "FAIL: a line matches '$re'"; fail=1; }
		;;
	'order '*)
		spec=${rule#order } a=${spec%% || *} b=${spec#* || }
		la=$(first_line "$a") lb=$(first_line "$b")
		[ -n "$la" ] && [ -n "$lb" ] && [ "$la" -lt "$lb" ] ||
			{ echo "FAIL: '$a' (line ${la:-none}) not before '$b' (line ${lb:-none})"; fail=1; }
		;;
	*)
		printf '%s\n' "$out" | grep -qE -- "$rule" || { echo "FAIL: no line matches '$rule'"; fail=1; }
		;;
	esac
done <"$expect"
exit $fail
