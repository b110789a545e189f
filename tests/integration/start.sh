#!/usr/bin/env bash
# The start of `lockvm run`: LOCKVM_DEBUG_TIMING's phase lines.
. "$(dirname "$0")/../lib.sh"
if ! have_kvm; then skip "start: /dev/kvm is not usable here"; exit 0; fi
if [ "$(id -u)" -ne 0 ]; then skip "start: needs root for the per-VM uid"; exit 0; fi

# Every phase of docs/ARCHITECTURE.md "The start, phase by phase" has its line, once the run is over.
if confined "debug timing of a confined run"; then
	run_capture env LOCKVM_DEBUG_TIMING=1 "$LOCKVM" run "$G/hello.elf"
	missing=""
	for phase in "supervisor options" "supervisor open files" "supervisor uid" \
		"supervisor registry and label" "supervisor cgroup" "compiler   policy compile" "uid        lease (NSS check)" \
		"supervisor AppArmor profile" "supervisor spawn" "child      namespaces" \
		"child      pivot_root" "child      exec of the VMM" "vmm        VMM setup" "vmm        guest load" \
		"vmm        KVM VM and memslot" "vmm        KVM setup (vCPUs)" "vmm        guest run" "vmm        VMM teardown" \
		"supervisor teardown" "supervisor registry update"; do
		grep -q "^timing: $phase *at= *[0-9.]*ms" <<<"$out" || missing+="[$phase] "
	done
	if [ "$rc" -eq 0 ] && grep -q "hello from lockvm" <<<"$out" && [ -z "$missing" ]; then
		pass "LOCKVM_DEBUG_TIMING=1 prints every phase of the start"
	else
		fail "LOCKVM_DEBUG_TIMING=1: rc=$rc, missing $missing; got: $(tr '\n' '|' <<<"$out")"
	fi
fi
# The supervisor's phases follow one another from its start (each begins
# where the one before ended) and they, and every other line, end within
# the wall time of the whole command as measured from outside.
if confined "debug timing sums"; then
	t0=$(date +%s%N)
	run_capture env LOCKVM_DEBUG_TIMING=1 "$LOCKVM" run "$G/hello.elf"
	wall_ms=$((($(date +%s%N) - t0) / 1000000 + 1))
	verdict=$(grep '^timing:' <<<"$out" | grep -v 'took=until' | sed 's/^timing: //; s/at= */at=/; s/took= */took=/; s/ms//g' |
		awk -v wall="$wall_ms" '
		{ who = $1; at = $(NF - 1); took = $NF; sub("at=", "", at); sub("took=", "", took); n++
		  if (at + took > wall) bad = bad " [" $0 " ends after " wall " ms]"
		  if (who == "supervisor") {
			if (s > 0 && (at - end > 0.002 || end - at > 0.002)) bad = bad " [" $0 " does not begin where the last ended, " end "]"
			sum += took; end = at + took; s++ } }
		END { if (s < 10) bad = bad " [only " s " supervisor phases]"
		      if (sum > wall) bad = bad " [supervisor phases sum to " sum " ms > wall " wall " ms]"
		      printf "%s|%.3f|%d", bad, sum, n }')
	IFS='|' read -r bad sum lines <<<"$verdict"
	if [ "$rc" -eq 0 ] && [ -z "$bad" ] && [ "$lines" -ge 20 ]; then
		pass "timing: the supervisor's phases are contiguous and sum to ${sum} ms within the ${wall_ms} ms wall time; all $lines lines end within it"
	else
		fail "timing sums: rc=$rc wall=${wall_ms}ms sum=${sum}ms lines=$lines:$bad"
	fi
fi
run_capture "$LOCKVM" run "$G/hello.elf"
if [ "$rc" -eq 0 ] && ! grep -q "^timing:" <<<"$out"; then
	pass "no timing lines without LOCKVM_DEBUG_TIMING"
else
	fail "without LOCKVM_DEBUG_TIMING: rc=$rc: $(tr '\n' '|' <<<"$out")"
fi
expect "LOCKVM_DEBUG_TIMING=yes refused" 125 "LOCKVM_DEBUG_TIMING='yes': want 1" \
	env LOCKVM_DEBUG_TIMING=yes "$LOCKVM" run "$G/hello.elf"
