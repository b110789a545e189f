#!/usr/bin/env bash
# JSON for scripts (issue 20): version, check, run (the result when the VM
# ends), save, list, inspect, stats and events print objects whose field
# names their man pages list (checked here: a new field must be documented).
. "$(dirname "$0")/../lib.sh"
L=("$LOCKVM")

# json_expect NAME JQ-FILTER: the last line of $out is JSON the filter holds
# for (jq -n and input: no JSON at all fails, where plain jq -e passes).
json_expect() {
	if tail -n 1 <<<"$out" | jq -n -e "input | ($2)" >/dev/null 2>&1; then pass "$1"; else
		fail "$1: exit $rc, output: $(tail -n 2 <<<"$out" | tr '\n' '|')"; fi
}

# documented PAGE WHAT [all]: every field name in the last line of $out
# (all: in the whole of $out, pretty-printed JSON), at any depth, is named
# (as _field_) in docs/man/PAGE.scd, where the stable field names are
# listed (lockvm(1), JSON OUTPUT).
documented() {
	local k missing= n=0 json
	[ "${3:-}" = all ] && json=$out || json=$(tail -n 1 <<<"$out")
	for k in $(jq -r '[.. | objects | keys[]] | unique[]' <<<"$json" 2>/dev/null); do
		n=$((n + 1))
		tr -d '\\' <"$TOP/docs/man/$1.scd" | grep -qF "_${k}_" || missing="$missing $k"
	done
	[ "$n" -gt 0 ] && [ -z "$missing" ] && pass "$2: its $n field names are in $1" ||
		fail "$2: field names missing from $1:${missing:- (no field at all)}"
}

run_capture "${L[@]}" version --json
json_expect "version --json" '(.version | type == "string") and (.guest_abi | type == "number")'
documented lockvm.1 "version --json"
run_capture "${L[@]}" check --json
[ "$rc" -eq 0 ] || [ "$rc" -eq 1 ] || fail "check --json: exit $rc"
out=$(jq -c . <<<"$out" 2>&1) # one object over several lines
json_expect "check --json: every check has a status and a message" \
	'(.checks | length > 3) and all(.checks[]; (.status | IN("PASS", "WARN", "FAIL")) and (.message | length > 0))'
json_expect "check --json: the counts are the checks' own" \
	'.failures == ([.checks[] | select(.status == "FAIL")] | length) and .warnings == ([.checks[] | select(.status == "WARN")] | length)'
fails=$(jq '.failures' <<<"$out")
documented lockvm-check.1 "check --json"
[ "$rc" -eq "$([ "$fails" -gt 0 ] && echo 1 || echo 0)" ] && pass "check --json: exit status follows the failures" ||
	fail "check --json: exit $rc with $fails failures"

expect "run --json and --detach refused" 125 "--json reports the VM's end" \
	"${L[@]}" run --json -d "$G/hello.elf"
have_kvm || { skip "run --json, save --json: no /dev/kvm"; exit 0; }
run_capture "${L[@]}" run --json --name "json-$$" "$G/hello.elf"
json_expect "run --json: the result is the last line" \
	".name == \"json-$$\" and .status == 0 and .reason == \"exit status 0\" and (.uuid | length == 36) and .ended >= .started and .duration_ms > 0 and .memory.peak_rss_bytes > 0"
documented lockvm-run.1 "run --json"
grep -q "^hello from lockvm" <<<"$out" && pass "run --json: the guest's output comes first" ||
	fail "run --json: guest output lost: $out"
run_capture "${L[@]}" run --json --timeout 0.3 "$G/spin.elf"
json_expect "run --json: a timeout is status 124 with its reason" '.status == 124 and (.reason | length > 0)'
[ "$rc" -eq 124 ] && pass "run --json keeps the exit status" || fail "run --json exit $rc, want 124"

vm=jsave-$$
"${L[@]}" run -d --name "$vm" "$G/counter.elf" 20 >/dev/null
sleep 0.3
run_capture "${L[@]}" inspect --json "$vm"
documented lockvm-list.1 "inspect --json" all
run_capture "${L[@]}" list --json
documented lockvm-list.1 "list --json" all
run_capture "${L[@]}" stats --no-stream --json "$vm"
documented lockvm-stats.1 "stats --json"
# A save that keeps the VM running pauses it and resumes it (lockvm-events(1)).
"${L[@]}" save --keep-running "$vm" "$T_TMP/k.snap" >/dev/null 2>&1
types=$("${L[@]}" events --no-stream --json --filter "name=$vm" | jq -r .type | tr '\n' ' ')
[[ "$types" == *"paused resumed saved "* ]] && [[ "$(jq -c 'select(.type == "paused")' < <("${L[@]}" events --no-stream --json --filter "name=$vm"))" == *'"by":"save"'* ]] &&
	pass "save --keep-running: paused (by save), resumed, saved events in order" ||
	fail "save --keep-running: event types: $types"
run_capture "${L[@]}" save --json "$vm" "$T_TMP/s.snap"
json_expect "save --json" ".vm == \"$vm\" and .file == \"$T_TMP/s.snap\" and .bytes > 0 and .running == false and .total_ms >= .downtime_ms"
documented lockvm-save.1 "save --json"
# The journal has a saved event with the same figures (lockvm-events(1)).
bytes=$(tail -n 1 <<<"$out" | jq .bytes)
run_capture "${L[@]}" events --no-stream --json --filter "name=$vm" --filter type=saved
json_expect "saved event: the save's file and bytes" ".file == \"$T_TMP/s.snap\" and .bytes == ${bytes:-0} and .running == false and .total_ms >= .downtime_ms"
documented lockvm-events.1 "events --json (a saved event)"
# The VM's exited event (its supervisor's) and saved (the save client's, once
# the answer came) are written by two processes at about the same moment:
# either may come first, so exited is left out of the order checked.
types=$("${L[@]}" events --no-stream --json --filter "name=$vm" | jq -r .type | grep -vx exited | tr '\n' ' ')
[[ "$types" == *"paused resumed saved paused saved "* ]] &&
	pass "save that ends the VM: a paused event, no resumed" ||
	fail "save: event types: $types"
run_capture "${L[@]}" events --no-stream --json --filter "name=$vm" --filter type=paused
documented lockvm-events.1 "events --json (a paused event)"
"${L[@]}" kill "$vm" >/dev/null 2>&1
exit 0
