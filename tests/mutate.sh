#!/usr/bin/env bash
# Security mutation testing (`make mutate`): each mutant in tests/mutants/*.txt
# breaks one SECURITY.md claim with a one-line change to code or policy; the
# test the mutant names must then fail. Mutants are applied one at a time to
# a scratch copy of the tree (build/mutate/tree, its build dir kept between
# mutants and between runs, so each mutant rebuilds only what it changed).
#
# Usage: tests/mutate.sh [ID-PART...]   (run only mutants whose id contains
#        one of the ID-PARTs)
#        tests/mutate.sh --lines [ID-PART...]   (no build and no test: each
#        mutant's line is there exactly once, and a C mutant still compiles;
#        seconds, so tests/integration/mutants_current.sh runs it in make test)
# Ends with "N mutants, N killed" and exits non-zero when a mutant survives,
# is stale (its line is not found exactly once), does not build, names a
# test that fails on the unmutated tree, or is marked "expect: survives" but
# is killed (then the mark must go). The format is in tests/mutants/README.
set -u
cd "$(dirname "$0")/.."
TOP=$PWD
lines_only=0
if [ "${1:-}" = "--lines" ]; then lines_only=1; shift; fi
patterns=("$@")
SCRATCH=$TOP/build/mutate
TREE=$SCRATCH/tree
LOGS=$SCRATCH/logs
JOBS=${MUTATE_JOBS:-2}
TEST_TIMEOUT=${MUTATE_TIMEOUT:-600}
start_all=$(date +%s)

die() { echo "mutate: $*" >&2; exit 2; }

# ---- the list ---------------------------------------------------------------
# Records are blocks of "key: value" lines separated by blank lines; lines
# starting with # are comments. Parsed into parallel arrays indexed by mutant.
ids=() claims=() files=() finds=() ops=() texts=() tests=() cmds=() expects=() builds=() srcs=()
n=-1
add_record() { # closes the record being read (if any)
	[ "$n" -ge 0 ] || return 0
	local i=$n
	[ -n "${ids[i]:-}" ] || die "${srcs[i]}: a record without id"
	[ -n "${claims[i]:-}" ] || die "${ids[i]}: no claim"
	[ -n "${files[i]:-}" ] || die "${ids[i]}: no file"
	[ -n "${finds[i]:-}" ] || die "${ids[i]}: no find"
	[ -n "${ops[i]:-}" ] || die "${ids[i]}: no replace, insert or delete"
	[ -n "${tests[i]:-}${cmds[i]:-}" ] || die "${ids[i]}: no test or cmd"
}
in_record=0
for list in tests/mutants/*.txt; do
	lineno=0
	while IFS= read -r line || [ -n "$line" ]; do
		lineno=$((lineno + 1))
		case $line in
		'#'*) continue ;;
		'' | *[![:space:]]*) ;;
		*) line='' ;;
		esac
		if [ -z "$line" ]; then
			[ "$in_record" -eq 1 ] && add_record
			in_record=0; continue
		fi
		if [ "$in_record" -eq 0 ]; then
			in_record=1; n=$((n + 1)); srcs[n]="$list:$lineno"
			ops[n]='' tests[n]='' cmds[n]='' expects[n]='' builds[n]=''
		fi
		key=${line%%:*}
		[ "$key" != "$line" ] || die "$list:$lineno: not a 'key: value' line"
		val=${line#*:}; val=${val# }
		case $key in
		id) for j in "${!ids[@]}"; do [ "${ids[j]}" = "$val" ] && die "$list:$lineno: duplicate id $val"; done
			ids[n]=$val ;;
		claim) claims[n]=$val ;;
		file) files[n]=$val ;;
		find) finds[n]=$val ;;
		replace | insert | delete)
			[ -z "${ops[n]}" ] || die "$list:$lineno: more than one of replace/insert/delete"
			ops[n]=$key texts[n]=$val ;;
		test) tests[n]=$val ;;
		cmd) cmds[n]=$val ;;
		build) builds[n]=$val ;;
		expect) expects[n]=$val ;;
		*) die "$list:$lineno: unknown key '$key'" ;;
		esac
	done <"$list"
	[ "$in_record" -eq 1 ] && add_record
	in_record=0
done
[ "$n" -ge 0 ] || die "no mutant in tests/mutants/*.txt"

selected=()
for i in "${!ids[@]}"; do
	want=$(( ${#patterns[@]} == 0 ))
	for p in "${patterns[@]}"; do [[ ${ids[i]} == *"$p"* ]] && want=1; done
	[ "$want" -eq 1 ] && selected+=("$i")
done
[ ${#selected[@]} -gt 0 ] || die "no mutant id contains any of: ${patterns[*]}"

# ---- --lines: is every mutant still a mutant of today's code? ---------------------
# mutate_file I OUT: writes mutant I's version of its file to OUT; prints the
# number of lines that matched its find line (only 1 is a mutant).
mutate_file() {
	local i=$1 out=$2
	FIND=${finds[i]} OP=${ops[i]} TEXT=${texts[i]} awk '
		function strip(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
		{
			if (strip($0) == ENVIRON["FIND"]) {
				hits++
				match($0, /^[ \t]*/); indent = substr($0, 1, RLENGTH)
				if (ENVIRON["OP"] == "replace") { print indent ENVIRON["TEXT"]; next }
				if (ENVIRON["OP"] == "delete") next
				if (ENVIRON["OP"] == "insert") { print; print indent ENVIRON["TEXT"]; next }
			}
			print
		}
		END { print hits + 0 > "/dev/stderr" }' "$TOP/${files[i]}" 2>&1 >"$out"
}

if [ "$lines_only" -eq 1 ]; then
	read -r -a cflags <<<"$(make -s --no-print-directory print-cflags)"
	tmpd=$(mktemp -d) && trap 'rm -rf "$tmpd"' EXIT
	bad=0
	for i in "${selected[@]}"; do
		id=${ids[i]} f=${files[i]}
		if [ ! -f "$f" ]; then
			echo "FAIL: mutant $id: $f does not exist"; bad=$((bad + 1)); continue
		fi
		hits=$(mutate_file "$i" "$tmpd/m")
		if [ "$hits" != 1 ]; then
			echo "FAIL: mutant $id: '${finds[i]}' matches $hits lines of $f, not exactly one"
			bad=$((bad + 1)); continue
		fi
		# a C mutant must still compile (as lint compiles each file); -iquote
		# resolves its quoted includes as from its own directory
		if [[ $f == *.c ]]; then
			cp "$tmpd/m" "$tmpd/mutant.c"
			if ! gcc "${cflags[@]}" -iquote "$(dirname "$f")" -fsyntax-only "$tmpd/mutant.c" >"$tmpd/cc" 2>&1; then
				echo "FAIL: mutant $id: does not compile: $(grep -m1 'error' "$tmpd/cc")"
				bad=$((bad + 1))
			fi
		fi
	done
	if [ "$bad" -eq 0 ]; then
		echo "PASS: all ${#selected[@]} mutants find their line exactly once, and the C ones compile"
	fi
	[ "$bad" -eq 0 ]
	exit
fi

# ---- the scratch tree ---------------------------------------------------------
# Copy the files git knows (tracked, or untracked and not ignored), only those
# whose content differs, with a fresh mtime so make sees them as changed;
# files gone from the tree are removed from the copy.
mkdir -p "$TREE" "$LOGS"
# One run at a time: the scratch tree is shared.
exec 9>"$SCRATCH/lock"
flock -n 9 || die "another tests/mutate.sh is running on $SCRATCH"
rm -f "$LOGS"/*
manifest=$SCRATCH/manifest
git ls-files -co --exclude-standard | LC_ALL=C sort -u >"$manifest.new"
copied=0
while IFS= read -r f; do
	[ -f "$f" ] || continue
	if ! cmp -s "$f" "$TREE/$f"; then
		mkdir -p "$(dirname "$TREE/$f")"
		rm -f "$TREE/$f"
		cp "$f" "$TREE/$f"
		copied=$((copied + 1))
	fi
done <"$manifest.new"
if [ -f "$manifest" ]; then
	LC_ALL=C comm -23 "$manifest" "$manifest.new" | while IFS= read -r f; do rm -f "$TREE/$f"; done
fi
mv "$manifest.new" "$manifest"
echo "mutate: scratch tree $TREE ($copied files updated)"

# .SECONDARY keeps make from deleting intermediate objects (guests, test
# helpers), which each mutant's relink would otherwise compile again.
printf '.SECONDARY:\n' >"$SCRATCH/keep.mk"
build_tree() { # $1 = log file, $2 = extra make targets
	# shellcheck disable=SC2086
	make -C "$TREE" -f Makefile -f "$SCRATCH/keep.mk" -j"$JOBS" all $2 >"$1" 2>&1
}

# One failure kills a mutant: a test file stops at its first (tests/lib.sh).
export LOCKVM_TEST_FAILFAST=${LOCKVM_TEST_FAILFAST-1} # empty: every check runs

# run_check I LOG: runs mutant I's test in the scratch tree; 0 = passed.
run_check() {
	local i=$1 log=$2 rc
	if [ -n "${cmds[i]}" ]; then
		(cd "$TREE" && timeout -k 10 "$TEST_TIMEOUT" bash -c "${cmds[i]}") >"$log" 2>&1
		rc=$?
		# a narrower command fails like tests/run.sh: non-zero exit or a failure line
		[ "$rc" -eq 0 ] && grep -qE '^(FAIL: |not ok )' "$log" && rc=1
	else
		timeout -k 10 "$TEST_TIMEOUT" "$TREE/tests/run.sh" "${tests[i]}" >"$log" 2>&1
		rc=$?
		# a pattern that names no test would pass every mutant
		if grep -q '^0 passed, 0 failed' "$log"; then
			echo "mutate: '${tests[i]}' names no test" >>"$log"; rc=3
		fi
	fi
	return "$rc"
}
check_key() { local i=$1; echo "${cmds[i]:+cmd:${cmds[i]}}${tests[i]:+test:${tests[i]}}|${builds[i]}"; }

# ---- the unmutated tree: it builds and every named test passes -----------------
t0=$(date +%s)
extra_targets=$(printf '%s\n' "${builds[@]}" | tr ' ' '\n' | sort -u | tr '\n' ' ')
build_tree "$LOGS/base-build.log" "$extra_targets" || {
	tail -n 20 "$LOGS/base-build.log"; die "the unmutated tree does not build (log: $LOGS/base-build.log)"; }
echo "mutate: unmutated tree built in $(($(date +%s) - t0)) s"
declare -A base_ok=()
base_fail=0
# When the whole suite (tests/run.sh, as `make test` runs it) passed on this
# very tree, every test file a `test:` line names passed unmutated: the
# stamp holds the digest of the tree it ran on. `cmd:` lines still run here.
suite_passed=0
if [ -f "$TOP/build/suite-passed" ] && [ "$(cat "$TOP/build/suite-passed")" = "$(tests/tree_digest.sh)" ]; then
	suite_passed=1
	echo "mutate: unmutated: every test file passed in the whole suite run on this same tree (build/suite-passed); only cmd: lines run again"
fi
for i in "${selected[@]}"; do
	k=$(check_key "$i")
	[ -n "${base_ok[$k]:-}" ] && continue
	if [ "$suite_passed" -eq 1 ] && [ -z "${cmds[i]}" ]; then
		base_ok[$k]=1; continue
	fi
	t0=$(date +%s)
	log=$LOGS/base-$(echo "$k" | tr -c 'A-Za-z0-9_.-' '_' | cut -c1-80).log
	if run_check "$i" "$log"; then
		base_ok[$k]=1
		echo "mutate: unmutated: ${k%|*} passes ($(($(date +%s) - t0)) s)"
	else
		base_ok[$k]=0; base_fail=$((base_fail + 1))
		echo "mutate: unmutated: ${k%|*} FAILS, so it can kill no mutant (log: $log)"
		grep -E '^ *(FAIL: |not ok )' "$log" | head -n 5 | sed 's/^/  | /'
	fi
done

# ---- the mutants ---------------------------------------------------------------
killed=0 survived=() stale=() nobuild=() badbase=() waiting=() marked_killed=()
total=${#selected[@]}
for i in "${selected[@]}"; do
	id=${ids[i]} f=${files[i]} t0=$(date +%s)
	log=$LOGS/$id.log
	if [ ! -f "$TOP/$f" ]; then
		stale+=("$id"); echo "STALE     $id: $f does not exist"; continue
	fi
	hits=$(mutate_file "$i" "$SCRATCH/mutant.tmp")
	if [ "$hits" != 1 ]; then
		stale+=("$id")
		echo "STALE     $id: '${finds[i]}' matches $hits lines of $f, not exactly one"
		continue
	fi
	if [ "${base_ok[$(check_key "$i")]}" != 1 ]; then
		badbase+=("$id"); echo "NO TEST   $id: its test fails on the unmutated tree"; continue
	fi
	cat "$SCRATCH/mutant.tmp" >"$TREE/$f" # keeps the file's mode, fresh mtime
	if ! build_tree "$log" "${builds[i]}"; then
		nobuild+=("$id")
		echo "NO BUILD  $id: the mutant does not build (log: $log)"
	else
		run_check "$i" "$log.test"
		rc=$?
		cat "$log.test" >>"$log"; rm -f "$log.test"
		secs=$(($(date +%s) - t0))
		what=${tests[i]:-${cmds[i]}}
		if [ "$rc" -ne 0 ]; then
			how="fails"; [ "$rc" -eq 124 ] && how="timed out"
			if [ -n "${expects[i]}" ]; then
				marked_killed+=("$id")
				echo "KILLED    $id: $what $how ($secs s), but it is marked '${expects[i]}': remove the mark"
			else
				killed=$((killed + 1)); echo "killed    $id: $what $how ($secs s)"
			fi
		elif [ -n "${expects[i]}" ]; then
			waiting+=("$id"); echo "survives  $id: $what passes ($secs s), marked: ${expects[i]}"
		else
			survived+=("$id")
			echo "SURVIVED  $id: $what still passes ($secs s); claim: ${claims[i]}"
		fi
	fi
	cat "$TOP/$f" >"$TREE/$f" # back to the original, fresh mtime: the next build redoes it
done
# Leave the scratch build matching the tree for the next run.
build_tree "$LOGS/final-build.log" "" || echo "mutate: the reverted scratch tree does not build (log: $LOGS/final-build.log)"

echo
if ((${#waiting[@]})); then
	echo "${#waiting[@]} expected to survive, waiting for a test:"
	for id in "${waiting[@]}"; do
		for i in "${!ids[@]}"; do [ "${ids[i]}" = "$id" ] && echo "  $id (${expects[i]})"; done
	done
fi
bad=0
report() { # $1 = heading, rest = ids
	local h=$1; shift
	[ $# -eq 0 ] && return 0
	bad=1; echo "$h: $*"
}
report "Survived (the claim's test does not notice)" "${survived[@]}"
report "Stale (the line to mutate is not there exactly once)" "${stale[@]}"
report "Does not build (a bad mutant)" "${nobuild[@]}"
report "Test fails on the unmutated tree" "${badbase[@]}"
report "Killed but marked to survive (remove the mark)" "${marked_killed[@]}"
echo "$total mutants, $killed killed, ${#waiting[@]} expected to survive ($(($(date +%s) - start_all)) s)"
[ "$bad" -eq 0 ] && [ "$base_fail" -eq 0 ]
