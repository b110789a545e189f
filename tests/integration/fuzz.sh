#!/usr/bin/env bash
# Runs each libFuzzer target for a short, bounded time (make fuzz runs them longer).
. "$(dirname "$0")/../lib.sh"
cd "$TOP"
if ! command -v clang >/dev/null; then skip "fuzz: clang not installed"; exit 0; fi
if ! make -s fuzz-build >"$T_TMP/build.log" 2>&1; then
	fail "fuzz: building the targets failed: $(tail -n 5 "$T_TMP/build.log" | tr '\n' '|')"; exit 0
fi
for f in build-fuzz/fuzz_*; do
	n=$(basename "$f")
	# A target whose source is gone (a removed parser) is an old build's leftover.
	[ -e "tests/fuzz/$n.c" ] || continue
	mkdir -p "$T_TMP/$n" build/fuzz-artifacts
	# A crashing input is kept under build/ (not the source tree) to rerun: $f FILE
	if timeout -k 5 60 "$f" -max_total_time="${FUZZ_SHORT_SECONDS:-10}" -rss_limit_mb=1024 \
		-artifact_prefix="build/fuzz-artifacts/$n-" \
		"$T_TMP/$n" "tests/fuzz/seeds/$n" >"$T_TMP/$n.log" 2>&1; then
		runs=$(grep -o 'Done [0-9]* runs' "$T_TMP/$n.log" | grep -o '[0-9]*')
		# A target that ran nothing (or whose count cannot be read) proves nothing.
		if [ -n "$runs" ] && [ "$runs" -gt 0 ]; then
			pass "fuzz: $n ran $runs inputs without a crash"
		else
			fail "fuzz: $n: no run count in its log (ran nothing?): $(tail -n 2 "$T_TMP/$n.log" | tr '\n' '|')"
		fi
	else
		fail "fuzz: $n found a crash: $(grep -m3 -E 'ERROR|SUMMARY|runtime error' "$T_TMP/$n.log" | tr '\n' '|') $(grep -m1 -o 'Test unit written to .*' "$T_TMP/$n.log")"
	fi
done
