#!/usr/bin/env bash
# Lifecycle events (issue 20): an append-only journal under the root that
# `lockvm events` prints, filters and follows; defined, started, label,
# stopped, exited, killed by OOM, killed by seccomp; a size cap.
. "$(dirname "$0")/../lib.sh"
L=("$LOCKVM")
J=$LOCKVM_ROOT/var/log/lockvm/events.jsonl

expect "events on an empty root" 0 "" "${L[@]}" events --no-stream
expect "events --filter without =" 125 "--filter 'name': want KEY=VALUE" "${L[@]}" events --no-stream --filter name
expect "events --since not a time" 125 "--since 'yesterday'" "${L[@]}" events --no-stream --since yesterday
have_kvm || { skip "events of VMs: no /dev/kvm"; exit 0; }

# types NAME: the event types of VM NAME in the journal, in order, one line.
types() { "${L[@]}" events --no-stream --json --filter "name=$1" | jq -r .type | tr '\n' ' '; }

# The follower started first must see what comes after, as it comes.
timeout 20 "${L[@]}" events --json --filter type=exited >"$T_TMP/followed" 2>&1 &
follower=$!
vm=ev-$$
printf '[vm]\nguest = %s\n' "$G/service.elf" >"$T_TMP/ev.conf"
"${L[@]}" define "$vm" "$T_TMP/ev.conf" >/dev/null
"${L[@]}" start "$vm" >/dev/null
"${L[@]}" stop "$vm" >/dev/null
for _ in $(seq 50); do [ "$(types "$vm")" = "defined started label exited stopped " ] && break; sleep 0.1; done
[ "$(types "$vm")" = "defined started label exited stopped " ] && pass "define, start, stop: defined started label exited stopped" ||
	fail "events of $vm: '$(types "$vm")'"
run_capture "${L[@]}" events --no-stream --json --filter "name=$vm" --filter type=label
[ "$(jq -r .label_kind <<<"$out")" = dynamic ] && [ "$(jq -r .uuid <<<"$out" | wc -c)" -eq 37 ] &&
	pass "label event: kind and uuid" || fail "label event: $out"

run_capture "${L[@]}" run --name "t-$$" --timeout 0.3 "$G/spin.elf"
run_capture "${L[@]}" events --no-stream --json --filter "name=t-$$" --filter type=exited
[ "$(jq -r .status <<<"$out")" = 124 ] && pass "exited event carries the status (124)" || fail "exited: $out"

if confined "oom and seccomp events" && [ "$(id -u)" -eq 0 ]; then
	"${L[@]}" run --name "oom-$$" --mem 512M --mem-limit 128M "$G/memtouch.elf" -- 256M >/dev/null 2>&1
	[ "$(types "oom-$$")" = "started label oom " ] && pass "a VM over its memory limit: oom event" ||
		fail "oom events: '$(types "oom-$$")'"
	mkdir -p "$T_TMP/policy"
	cp "$TOP"/policy/seccomp/*.policy "$T_TMP/policy/"
	sed -i '/^pwrite64:/d' "$T_TMP/policy/common.policy"
	head -c 4096 /dev/urandom >"$T_TMP/src.img"
	truncate -s 4096 "$T_TMP/dst.img"
	LOCKVM_POLICY_DIR=$T_TMP/policy "${L[@]}" run --name "sc-$$" --disk "$T_TMP/src.img,ro" \
		--disk "$T_TMP/dst.img" "$G/blkcopy.elf" >/dev/null 2>&1
	run_capture "${L[@]}" events --no-stream --json --filter "name=sc-$$" --filter type=seccomp
	[ "$(jq -r .status <<<"$out")" = 159 ] && pass "a VM killed by seccomp: seccomp event" ||
		fail "seccomp event: '$(types "sc-$$")'"
fi
sleep 0.5
kill "$follower" 2>/dev/null
wait "$follower" 2>/dev/null
grep -q "\"name\":\"$vm\"" "$T_TMP/followed" && grep -q "\"name\":\"t-$$\"" "$T_TMP/followed" &&
	! grep -q '"type":"started"' "$T_TMP/followed" && pass "events follows new events, filtered" ||
	fail "follower saw: $(tr '\n' '|' <"$T_TMP/followed")"
run_capture "${L[@]}" events --no-stream --since 1h --filter "name=$vm"
grep -q "started   $vm uuid=" <<<"$out" && pass "events as lines" || fail "events lines: $out"
run_capture "${L[@]}" events --no-stream --since 2000-01-01T00:00:00Z --filter "name=$vm"
[ "$(wc -l <<<"$out")" -eq 5 ] && pass "--since an old time: all five" || fail "--since old: $out"

# The cap: lockvm.conf's [logs] size_max holds for the journal's two parts.
mkdir -p "$LOCKVM_ROOT/etc/lockvm"
printf '[logs]\nsize_max = 64K\n' >"$LOCKVM_ROOT/etc/lockvm/lockvm.conf"
long=$(printf 'x%.0s' {1..60})
for i in $(seq 400); do "${L[@]}" define "$long$((i % 3))" "$T_TMP/ev.conf" >/dev/null; done
on_disk=$(($(stat -c %s "$J") + $(stat -c %s "$J.1" 2>/dev/null || echo 0)))
[ -e "$J.1" ] && [ "$on_disk" -le 65536 ] && pass "journal rotated once, $on_disk bytes within the 64K cap" ||
	fail "journal: $on_disk bytes, .1 $([ -e "$J.1" ] && echo present || echo missing)"
"${L[@]}" events --no-stream --json | jq -s -e 'length > 0' >/dev/null && pass "a rotated journal reads back" ||
	fail "rotated journal does not read back"
rm -f "$LOCKVM_ROOT/etc/lockvm/lockvm.conf"
