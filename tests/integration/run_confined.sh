#!/usr/bin/env bash
# `lockvm run` confines its VMM: checked from outside on a running VM, and image owners come back.
. "$(dirname "$0")/../lib.sh"
if ! have_kvm; then skip "run_confined: /dev/kvm is not usable here"; exit 0; fi
if [ "$(id -u)" -ne 0 ]; then skip "run_confined: needs root for the per-VM uid"; exit 0; fi
if [ -n "$UNCONFINED_REASON" ]; then skip "run_confined: $UNCONFINED_REASON"; exit 0; fi
head -c 1048576 /dev/zero >"$T_TMP/disk.img"
chmod 0644 "$T_TMP/disk.img"
before=$(stat -c '%u:%g %a' "$T_TMP/disk.img")
"$LOCKVM" run --timeout 60 --vcpus 2 --disk "$T_TMP/disk.img" "$G/spin.elf" >"$T_TMP/out" 2>&1 &
sup=$!
vmm=""
# Only this supervisor's own child: other tests may run VMs at the same time.
for _ in $(seq 50); do vmm=$(pgrep -P "$sup" -x lockvm-vmm) && break; sleep 0.1; done
sleep 0.3
if [ -n "$vmm" ] && [ -r /proc/"$vmm"/status ]; then
	st=/proc/$vmm/status
	for cap in CapInh CapPrm CapEff CapBnd CapAmb; do
		grep -q "^$cap:[[:space:]]*0000000000000000$" "$st" && pass "run: VMM $cap is zero" || fail "run: VMM $(grep "^$cap" "$st")"
	done
	grep -q "^NoNewPrivs:[[:space:]]*1$" "$st" && pass "run: VMM NoNewPrivs 1" || fail "run: $(grep NoNewPrivs "$st")"
	# Every thread in filter mode, and the threads are there to check (the
	# main thread and both vCPUs): an empty or unreadable task list fails.
	nthreads=0 unfiltered=""
	for t in /proc/"$vmm"/task/*; do
		[ -r "$t/status" ] || continue
		nthreads=$((nthreads + 1))
		grep -q "^Seccomp:[[:space:]]*2$" "$t/status" || unfiltered="$unfiltered $(cat "$t/comm")"
	done
	if [ "$nthreads" -ge 3 ] && [ -z "$unfiltered" ]; then
		pass "run: every VMM thread ($nthreads) is in seccomp filter mode"
	else
		fail "run: VMM threads: $nthreads seen, not in seccomp filter mode:${unfiltered:- none}"
	fi
	uid=$(awk '/^Uid:/ { print $2 }' "$st")
	[ "$uid" -ne 0 ] && pass "run: VMM uid $uid is not root" || fail "run: VMM runs as root"
	[ "$(readlink /proc/"$vmm"/ns/net)" != "$(readlink /proc/self/ns/net)" ] && pass "run: VMM has its own net namespace" || fail "run: shared net ns"
	[ -z "$(ls -A /proc/"$vmm"/root/ 2>/dev/null)" ] && pass "run: VMM root is empty" || fail "run: VMM root not empty"
	[ ! -s /proc/"$vmm"/environ ] && pass "run: VMM environment is empty" || fail "run: VMM environment not empty"
	owner=$(stat -c '%u %a' "$T_TMP/disk.img")
	[ "$owner" = "$uid 600" ] && pass "run: disk owned by the VM uid, mode 0600, while it runs" || fail "run: disk owner while running: $owner"
else
	fail "run: no running lockvm-vmm found"
fi
kill -TERM "$sup"; wait "$sup"
after=$(stat -c '%u:%g %a' "$T_TMP/disk.img")
[ "$after" = "$before" ] && pass "run: disk owner and mode restored after the VM ends" || fail "run: disk now $after, was $before"
# the VMM killed with SIGKILL: the supervisor still restores the image
"$LOCKVM" run --timeout 60 --disk "$T_TMP/disk.img" "$G/spin.elf" >"$T_TMP/out2" 2>&1 &
sup=$!
vmm=""
for _ in $(seq 50); do vmm=$(pgrep -P "$sup" -x lockvm-vmm) && break; sleep 0.1; done
sleep 0.3; kill -KILL "$vmm"; wait "$sup"; rc=$?
after=$(stat -c '%u:%g %a' "$T_TMP/disk.img")
[ "$rc" -eq 137 ] && [ "$after" = "$before" ] && pass "run: VMM SIGKILLed: exit 137, disk owner and mode restored" || fail "run: after SIGKILL rc=$rc disk $after"
