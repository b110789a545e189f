#!/usr/bin/env bash
# The test driver: runs unit tests (cmocka, TAP output), then every
# integration script, and ends with "N passed, N failed, N skipped".
# Usage: tests/run.sh [PATTERN]   (PATTERN filters test files by name)
set -u
cd "$(dirname "$0")/.."
export LOCKVM_BUILD=${LOCKVM_BUILD:-build}
export LOCKVM_TOP=$PWD
pattern=${1:-}
passed=0 failed=0 skipped=0
failures=()
tmp_top=$(mktemp -d /tmp/lockvm-tests.XXXXXX)
# A whole run that passes leaves build/suite-passed: the digest of the tree it
# ran on (tests/tree_digest.sh), unless the tree changed meanwhile.
# tests/mutate.sh then need not run those test files again on that tree.
stamp=$LOCKVM_BUILD/suite-passed
if [ -z "$pattern" ]; then
	rm -f "$stamp"
	digest=$(tests/tree_digest.sh)
fi
# Only in this shell: a subshell killed before it reset the traps it
# inherited would run it too (bash runs EXIT traps on fatal signals).
trap 'read -r self _ </proc/self/stat; [ "$self" = '$$' ] || exit; rm -rf "$tmp_top"' EXIT

count_output() { # $1 = test file, reads its output on stdin
	local file=$1 line
	while IFS= read -r line; do
		case $line in
		"ok "*"# SKIP"* | "ok "*"# skip"* | "SKIP: "*)
			skipped=$((skipped + 1)); echo "  $line" ;;
		"ok "*) passed=$((passed + 1)) ;;
		"PASS: "*) passed=$((passed + 1)); [ -n "${VERBOSE:-}" ] && echo "  $line" ;;
		"not ok "* | "FAIL: "*)
			failed=$((failed + 1)); failures+=("$file: $line"); echo "  $line" ;;
		*) [ -n "${VERBOSE:-}" ] && echo "  | $line" ;;
		esac
	done
	return 0
}

# A VM a test file left running (a file that stopped early: a failed check
# under LOCKVM_TEST_FAILFAST, a crash) is stopped before the next file, which
# it would otherwise slow down, spinning, for the rest of the run.
reap_vms() { # $1 = the file's LOCKVM_ROOT
	local name
	LOCKVM_ROOT=$1 "$LOCKVM_BUILD/lockvm" list 2>/dev/null | awk 'NR > 1 { print $1 }' |
		while read -r name; do
			LOCKVM_ROOT=$1 timeout 30 "$LOCKVM_BUILD/lockvm" kill "$name" >/dev/null 2>&1
		done
}

run_one() { # $1 = label, rest = command
	local label=$1; shift
	local out root rc before=$((passed + failed + skipped)) fails_before=$failed t0=$SECONDS
	echo "== $label"
	out=$(mktemp "$tmp_top/out.XXXXXX")
	root=$(mktemp -d "$tmp_top/root.XXXXXX")
	(export LOCKVM_ROOT=$root; "$@") >"$out" 2>&1
	rc=$?
	reap_vms "$root"
	count_output "$label" <"$out"
	if [ "$rc" -ne 0 ] && [ "$failed" -eq "$fails_before" ]; then
		failed=$((failed + 1))
		failures+=("$label: exited $rc without reporting a failure")
		echo "  FAIL: $label exited $rc"; tail -n 20 "$out" | sed 's/^/  | /'
	fi
	if [ $((passed + failed + skipped)) -eq "$before" ]; then
		failed=$((failed + 1)); failures+=("$label: reported no test")
		echo "  FAIL: $label reported no test"; tail -n 20 "$out" | sed 's/^/  | /'
	fi
	echo "   ($((SECONDS - t0)) s)" # where CI's time goes
}

for t in "$LOCKVM_BUILD"/tests/unit/test_*; do
	[ -x "$t" ] || continue
	[ -n "$pattern" ] && [[ $t != *$pattern* ]] && continue
	run_one "unit/$(basename "$t")" env CMOCKA_MESSAGE_OUTPUT=TAP "$t"
done
for t in tests/integration/*.sh; do
	[ -f "$t" ] || continue
	[ -n "$pattern" ] && [[ $t != *$pattern* ]] && continue
	run_one "${t#tests/}" bash "$t"
done

if ((${#failures[@]})); then
	echo; echo "Failures:"; printf '  %s\n' "${failures[@]}"
fi
echo
echo "$passed passed, $failed failed, $skipped skipped"
if [ -z "$pattern" ] && [ "$failed" -eq 0 ] && [ "$(tests/tree_digest.sh)" = "$digest" ]; then
	echo "$digest" >"$stamp"
fi
[ "$failed" -eq 0 ]
