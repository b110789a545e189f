#!/usr/bin/env bash
# Bounded VM logs (issue 20): a guest flooding its console leaves at most the
# cap on disk (NAME.log + NAME.log.1), says what was dropped and keeps every
# lifecycle line; `logs -f` follows the rotation; gc removes the logs of VMs
# gone longer than lockvm.conf's [logs] max_age, and `logs` works until then.
. "$(dirname "$0")/../lib.sh"
L=("$LOCKVM")
LOG=$LOCKVM_ROOT/var/log/lockvm
CONF=$LOCKVM_ROOT/etc/lockvm/lockvm.conf

# lockvm.conf [logs]: bad values refused in one line before anything runs.
mkdir -p "$(dirname "$CONF")"
printf '[logs]\nsize_max = 1K\n' >"$CONF"
expect "[logs] size_max below 64K refused" 125 "size_max '1K': want a size of at least 64K" \
	"${L[@]}" run "$G/hello.elf"
printf '[logs]\nmax_age = 3x\n' >"$CONF"
expect "[logs] max_age not a duration refused" 125 "max_age '3x'" "${L[@]}" gc
rm -f "$CONF"
expect "--log-size-max below 64K refused" 125 "--log-size-max '4K'" \
	"${L[@]}" run --log-size-max 4K "$G/hello.elf"

have_kvm || { skip "log cap: /dev/kvm is not usable here"; exit 0; }
BUSYBOX=$(command -v busybox || true)
if [ -z "$BUSYBOX" ] || ! file -L "$BUSYBOX" | grep -q "statically linked"; then
	skip "log cap: busybox-static is not installed (apt-get install busybox-static)"; exit 0
fi
vm=flood-$$
cap=$((1024 * 1024))
expect "a flooding guest runs detached" 0 "$vm" \
	"${L[@]}" run -d --name "$vm" --log-size-max 1M --timeout 3 --linux "$BUSYBOX" -- yes
# Started while the first part is being written: must follow into each new one.
timeout 30 "${L[@]}" logs -f "$vm" >"$T_TMP/followed" 2>&1
for _ in $(seq 100); do "${L[@]}" list | grep -q "^$vm " || break; sleep 0.1; done
on_disk=$(($(stat -c %s "$LOG/$vm.log") + $(stat -c %s "$LOG/$vm.log.1" 2>/dev/null || echo 0)))
dropped=$(grep -ao 'lockvm: log rotated.* \([0-9]*\) bytes before it dropped' "$LOG/$vm.log" |
	sed 's/.* \([0-9]*\) bytes before it dropped/\1/' | tail -n 1)
if [ "$on_disk" -le "$cap" ] && [ "${dropped:-0}" -ge $((4 * cap)) ]; then
	pass "flooding guest: $on_disk bytes on disk (cap $cap), $dropped dropped and said so"
else
	fail "flooding guest: $on_disk bytes on disk (cap $cap), dropped '${dropped:-}'"
fi
for line in "lockvm: start: $BUSYBOX" "lockvm: label:" "lockvm: vmm pid" "lockvm: exit: 124"; do
	grep -qaF "$line" "$LOG/$vm.log" && pass "lifecycle line '$line' kept in the last part" ||
		fail "lifecycle line '$line' lost from $vm.log"
done
grep -qaF "lockvm: exit: 124" "$T_TMP/followed" && pass "logs -f followed the rotated log to its end" ||
	fail "logs -f stopped in a rotated-away part: $(tail -c 200 "$T_TMP/followed" | tr '\n' '|')"

# An ended VM's log: `logs` reads both parts until gc is allowed to remove it.
run_capture "${L[@]}" logs "$vm"
[ "$rc" -eq 0 ] && [ "$(wc -c <<<"$out")" -ge $((cap / 4)) ] && grep -qF "exit: 124" <<<"$out" &&
	pass "logs of an ended VM" || fail "logs of an ended VM: exit $rc, $(wc -c <<<"$out") bytes"
live=live-$$
expect "a VM that keeps running" 0 "$live" "${L[@]}" run -d --name "$live" "$G/service.elf"
expect "gc keeps a recent log (default max_age 7d)" 0 "removed the logs of 0 VMs" "${L[@]}" gc
[ -f "$LOG/$vm.log" ] && pass "log kept by gc within max_age" || fail "gc removed a recent log"
printf '[logs]\nmax_age = 0\n' >"$CONF"
expect "gc removes the log of a VM gone longer than max_age" 0 "removed the logs of 1 VM " "${L[@]}" gc
[ ! -e "$LOG/$vm.log" ] && [ ! -e "$LOG/$vm.log.1" ] && pass "both parts removed" ||
	fail "gc left $(ls "$LOG")"
[ -f "$LOG/$live.log" ] && pass "gc keeps a running VM's log" || fail "gc removed a running VM's log"
expect "logs after gc: none" 125 "no log for '$vm'" "${L[@]}" logs "$vm"
"${L[@]}" kill "$live" >/dev/null
rm -f "$CONF"
