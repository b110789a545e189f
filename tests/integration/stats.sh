#!/usr/bin/env bash
# Metrics (issue 20): `lockvm stats` shows each running VM's CPU time and %,
# memory and cgroup usage and limit, as a table, JSON or Prometheus text.
. "$(dirname "$0")/../lib.sh"
L=("$LOCKVM")
expect "stats of no such VM" 125 "no running VM named 'nosuch-$$'" "${L[@]}" stats --no-stream "nosuch-$$"
expect "stats --json --prometheus refused" 125 "exclude each other" "${L[@]}" stats --json --prometheus
have_kvm || { skip "stats of running VMs: no /dev/kvm"; exit 0; }
a=sa-$$ b=sb-$$
"${L[@]}" run -d --name "$a" --mem-limit 256M "$G/spin.elf" >/dev/null
"${L[@]}" run -d --name "$b" "$G/service.elf" >/dev/null
sleep 1
run_capture "${L[@]}" stats --no-stream --json
n=$(jq "[.[] | select(.name == \"$a\" or .name == \"$b\")] | length" <<<"$out" 2>/dev/null)
[ "$rc" -eq 0 ] && [ "$n" = 2 ] && pass "stats --json: both VMs" || fail "stats --json: exit $rc, $out"
run_capture "${L[@]}" stats "$a" --no-stream --json
if [ "$(jq length <<<"$out")" = 1 ] && jq -e '.[0] | .rss_bytes > 0 and .memory_usage_bytes > 0 and
	.memory_limit_bytes == 268435456 and .cpu_seconds > 0 and .cpu_percent >= 0 and (.nic | type == "object")' \
	<<<"$out" >/dev/null; then
	pass "stats NAME --json: CPU, memory and the --mem-limit given"
else
	fail "stats NAME --json: $out"
fi
first=$(jq '.[0].cpu_seconds' <<<"$out")
sleep 1
run_capture "${L[@]}" stats "$a" --no-stream --json
jq -e ".[0].cpu_seconds > $first" <<<"$out" >/dev/null && pass "a spinning VM's CPU time grows" ||
	fail "CPU time did not grow: $first then $out"
run_capture "${L[@]}" stats --prometheus
bad=$(grep -v '^#' <<<"$out" | grep -cvE '^lockvm_vm_[a-z_]+\{name="[A-Za-z0-9_.-]+"(,counter="[a-z_]+")?\} [0-9.]+$')
if [ "$rc" -eq 0 ] && [ "$bad" = 0 ] && grep -qE "^lockvm_vm_memory_rss_bytes\{name=\"$a\"\} [1-9]" <<<"$out" &&
	grep -q "^# TYPE lockvm_vm_cpu_seconds_total counter" <<<"$out"; then
	pass "stats --prometheus: text format, one sample"
else
	fail "stats --prometheus: exit $rc, $bad bad lines: $(head -n 5 <<<"$out" | tr '\n' '|')"
fi
run_capture "${L[@]}" stats --no-stream "$b"
grep -qE "^$b +[0-9.]+ +[0-9.]+ +[0-9]+M" <<<"$out" && pass "stats as a table" || fail "table: $out"
lines=$(timeout 3.5 "${L[@]}" stats --json "$b" | wc -l)
[ "$lines" -ge 2 ] && pass "stats streams a sample a second" || fail "stats streamed $lines samples in 3.5 s"
"${L[@]}" kill "$a" >/dev/null
"${L[@]}" kill "$b" >/dev/null
