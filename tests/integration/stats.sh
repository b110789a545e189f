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
jq -n -e "input | .[0].cpu_seconds > $first" <<<"$out" >/dev/null && pass "a spinning VM's CPU time grows" ||
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
start=$(date +%s%N)
"${L[@]}" stats --no-stream "$b" >/dev/null
took=$((($(date +%s%N) - start) / 1000000))
[ "$took" -ge 900 ] && pass "a sample measures over a second ($took ms)" || fail "a sample took $took ms: CPU % over nothing"
"${L[@]}" kill "$a" >/dev/null
"${L[@]}" kill "$b" >/dev/null

# ---- exits and hypercalls, counted by the VMM --------------------------------
# hcbench.elf 5000 hold: 5000 null hypercalls (and a handful around them),
# then one sleep until it is shut down: a known count, then a rate of 0.
h=sh-$$ c=sc-$$
"${L[@]}" run -d --name "$h" "$G/hcbench.elf" 5000 hold >/dev/null
for _ in $(seq 50); do "${L[@]}" logs "$h" 2>/dev/null | grep -q hypercall_ns && break; sleep 0.1; done
run_capture "${L[@]}" stats "$h" --no-stream --json
if jq -n -e 'input | .[0] | .hypercalls >= 5000 and .hypercalls <= 5010 and .exits >= .hypercalls and
	.hypercalls_per_s == 0 and .exits_per_s == 0 and .syscalls == null' <<<"$out" >/dev/null; then
	pass "stats: the VMM's counts of a guest that made 5000 hypercalls, then a rate of 0 while it sleeps ($(jq -c '.[0] | [.exits, .hypercalls]' <<<"$out"))"
else
	fail "stats: known hypercalls: $out"
fi
# counter.elf 10: a tick each 10 ms, a few hypercalls each (about 400/s).
"${L[@]}" run -d --name "$c" "$G/counter.elf" 10 >/dev/null
sleep 0.5
run_capture "${L[@]}" stats "$c" --no-stream --json
if jq -n -e 'input | .[0] | .hypercalls_per_s >= 50 and .hypercalls_per_s <= 1000 and .exits_per_s >= .hypercalls_per_s' <<<"$out" >/dev/null; then
	pass "stats: hypercalls per second of a guest ticking every 10 ms ($(jq '.[0].hypercalls_per_s' <<<"$out")/s)"
else
	fail "stats: rates of a ticking guest: $out"
fi
run_capture "${L[@]}" stats --no-stream "$c"
if grep -qE "^$c( +[0-9.]+M?){5} +[1-9][0-9]* +[1-9][0-9]*$" <<<"$out" && grep -q "EXITS/s" <<<"$out"; then
	pass "stats table: exits and hypercalls per second"
else
	fail "stats table: $out"
fi
run_capture "${L[@]}" stats --prometheus
if grep -q "^# TYPE lockvm_vm_exits_total counter" <<<"$out" && grep -q "^# HELP lockvm_vm_hypercalls_total " <<<"$out" &&
	grep -qE "^lockvm_vm_hypercalls_total\{name=\"$h\"\} 50(0[0-9]|10)$" <<<"$out" &&
	grep -qE "^lockvm_vm_exits_total\{name=\"$c\"\} [1-9]" <<<"$out"; then
	pass "stats --prometheus: exits and hypercalls as counters with HELP and TYPE"
else
	fail "stats --prometheus counters: $(grep -E "exits|hypercalls" <<<"$out" | tr '\n' '|')"
fi
"${L[@]}" kill "$h" >/dev/null
"${L[@]}" kill "$c" >/dev/null

# Disk counters, counted by the VMM per request served: blkcopy copies
# 3 MiB in 1 MiB requests (3 reads, 3 writes), then waits for stop.
head -c 3M /dev/urandom >"$T_TMP/dsrc.img"
truncate -s 3M "$T_TMP/ddst.img"
d=sd-$$
"${L[@]}" run -d --name "$d" --disk "$T_TMP/dsrc.img,ro" --disk "$T_TMP/ddst.img" "$G/blkcopy.elf" wait >/dev/null
for _ in $(seq 100); do "${L[@]}" logs "$d" 2>/dev/null | grep -q "^copied 6144 sectors" && break; sleep 0.1; done
run_capture "${L[@]}" stats "$d" --no-stream --json
if jq -n -e 'input | .[0].disk | .reads == 3 and .writes == 3 and .read_bytes == 3145728 and .written_bytes == 3145728' \
	<<<"$out" >/dev/null 2>&1; then
	pass "stats: disk reads, writes and bytes of a guest that copied 3 MiB ($(jq -c '.[0].disk' <<<"$out"))"
else
	fail "stats: disk counters: $out"
fi
run_capture "${L[@]}" stats --prometheus
grep -qx "lockvm_vm_disk_total{name=\"$d\",counter=\"written_bytes\"} 3145728" <<<"$out" &&
	pass "stats --prometheus: the disk counters" || fail "stats --prometheus: no disk counters for $d: $(grep disk <<<"$out" | head -n 5)"
"${L[@]}" kill "$d" >/dev/null

# A --linux VM: every system call is served by the VMM, counted as such.
BUSYBOX=$(command -v busybox || true)
if [ -n "$BUSYBOX" ] && file -L "$BUSYBOX" | grep -q static; then
	mkdir -p "$T_TMP/fs/bin"
	cp "$BUSYBOX" "$T_TMP/fs/bin/busybox"
	x=sx-$$
	"${L[@]}" run -d --name "$x" --linux --fs "$T_TMP/fs" /bin/busybox -- sleep 30 >/dev/null
	run_capture "${L[@]}" stats "$x" --no-stream --json
	if jq -n -e 'input | .[0] | .syscalls > 0 and .syscalls == .hypercalls and (.syscalls_per_s | type == "number")' <<<"$out" >/dev/null; then
		pass "stats of a --linux VM: its system calls ($(jq '.[0].syscalls' <<<"$out"))"
	else
		fail "stats of a --linux VM: $out"
	fi
	run_capture "${L[@]}" stats --prometheus
	grep -qE "^lockvm_vm_syscalls_total\{name=\"$x\"\} [1-9]" <<<"$out" && pass "stats --prometheus: a --linux VM's syscalls counter" ||
		fail "stats --prometheus: no syscalls counter for $x"
	"${L[@]}" kill "$x" >/dev/null
else
	skip "stats of a --linux VM: no static busybox (make deps installs busybox-static)"
fi
