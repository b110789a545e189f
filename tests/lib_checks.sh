# shellcheck shell=bash
# run_checks PROGRAM LIBC MODE MIN: runs $B/tests/linux/PROGRAM.LIBC -- MODE in a --linux VM and
# turns each "ok NAME" line into a pass and each "FAILED NAME" into a fail; the run must end with
# "MODE: all checks passed", exit 0 and make at least MIN checks (a hang is exit 124 by --timeout).
# Leaves the output in $out. Sourced after lib.sh.
run_checks() {
	local prog=$1 libc=$2 mode=$3 min=$4 line n=0
	out=$(timeout -k 5 200 "$LOCKVM" run --linux --timeout 180 "$B/tests/linux/$prog.$libc" -- "$mode" 2>&1)
	rc=$?
	while IFS= read -r line; do
		case $line in
		"ok "*) n=$((n + 1)); pass "$libc: $mode: ${line#ok }" ;;
		"FAILED "*) fail "$libc: $mode: ${line#FAILED }" ;;
		esac
	done <<<"$out"
	[ "$rc" -eq 0 ] && [ "$n" -ge "$min" ] && grep -qxF "$mode: all checks passed" <<<"$out" &&
		pass "$libc: $mode: every check ran ($n) and the VMM survived" ||
		fail "$libc: $mode: exit $rc after $n checks: $(tail -n 3 <<<"$out" | tr '\n' '|')"
}
