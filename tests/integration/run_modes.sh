#!/usr/bin/env bash
# `lockvm run` modes of the confinement: --seccomp kill|log|trap, --require-mac, --cpus.
. "$(dirname "$0")/../lib.sh"
if ! have_kvm; then skip "run_modes: /dev/kvm is not usable here"; exit 0; fi
if [ "$(id -u)" -ne 0 ]; then skip "run_modes: needs root for the per-VM uid"; exit 0; fi
if [ -n "$UNCONFINED_REASON" ]; then skip "run_modes: $UNCONFINED_REASON"; exit 0; fi

# The shipped allowlists are complete: normal runs under trap see no violation.
head -c $((1 << 20)) /dev/urandom >"$T_TMP/src.img"
truncate -s $((1 << 20)) "$T_TMP/dst.img"
for args in "$G/hello.elf" "--vcpus 4 $G/smp.elf -- 200000" \
	"--disk $T_TMP/src.img,ro --disk $T_TMP/dst.img $G/blkcopy.elf" "--timeout 0.5 --vcpus 2 $G/spin.elf"; do
	want=0; case $args in *spin*) want=124 ;; esac
	# shellcheck disable=SC2086
	run_capture "$LOCKVM" run --seccomp trap $args
	if [ "$rc" -eq "$want" ] && ! grep -q "seccomp" <<<"$out"; then
		pass "seccomp=trap: no violation running ${args##*/}"
	else
		fail "seccomp=trap: ${args##*/}: rc=$rc $(tr '\n' '|' <<<"$out")"
	fi
done
cmp -s "$T_TMP/src.img" "$T_TMP/dst.img" && pass "seccomp=trap: blkcopy copied the disk" || fail "seccomp=trap: copy differs"

# A policy that forgets pwrite64 (guest disk writes): each mode does what it says.
mkdir -p "$T_TMP/policy"
cp "$TOP"/policy/seccomp/*.policy "$T_TMP/policy/"
sed -i '/^pwrite64:/d' "$T_TMP/policy/common.policy"
grep -q pwrite64 "$T_TMP"/policy/*.policy && fail "test setup: pwrite64 still in the policy"
disk_run() { truncate -s 0 "$T_TMP/dst.img"; truncate -s $((1 << 20)) "$T_TMP/dst.img"
	LOCKVM_POLICY_DIR=$T_TMP/policy expect "$@" "$LOCKVM" run --seccomp "$mode" \
		--disk "$T_TMP/src.img,ro" --disk "$T_TMP/dst.img" "$G/blkcopy.elf"; }
mode=trap disk_run "seccomp=trap names the refused syscall" 159 "seccomp: thread vcpu0 called pwrite64 (syscall 18), which its policy does not allow"
mode=kill disk_run "seccomp=kill: refused syscall kills the VMM" 159 "VMM killed by seccomp (SIGSYS)"
mode=log disk_run "seccomp=log: refused syscall is allowed (learning)" 0 ""
cmp -s "$T_TMP/src.img" "$T_TMP/dst.img" && pass "seccomp=log: the copy went through" || fail "seccomp=log: copy differs"
# A setup failure after resources were taken gives them all back.
head -c 65536 /dev/zero >"$T_TMP/own.img"; chmod 0644 "$T_TMP/own.img"
LOCKVM_POLICY_DIR=$T_TMP/nopolicy expect "missing policy refused" 125 "seccomp policy $T_TMP/nopolicy/vmm.policy" \
	"$LOCKVM" run --disk "$T_TMP/own.img" "$G/hello.elf"
leases=$(ls "$LOCKVM_ROOT/run/lockvm/uids" 2>/dev/null | wc -l)
[ "$(stat -c '%u %a' "$T_TMP/own.img")" = "0 644" ] && [ "$leases" = 0 ] &&
	pass "refused setup: disk owner and mode restored, uid lease released" ||
	fail "refused setup left: disk $(stat -c '%u %a' "$T_TMP/own.img"), $leases uid leases"
# A run refused while its uid lease is still being taken (on a thread from
# the run's start) gives the lease back too: ten tries, each a missing disk.
left_runs=0
for _ in 1 2 3 4 5 6 7 8 9 10; do
	"$LOCKVM" run --disk "$T_TMP/missing.img" "$G/hello.elf" >/dev/null 2>&1
	[ $? -eq 125 ] || left_runs=$((left_runs + 1))
done
leases=$(ls "$LOCKVM_ROOT/run/lockvm/uids" 2>/dev/null | wc -l)
[ "$leases" = 0 ] && [ "$left_runs" = 0 ] &&
	pass "refused before the spawn (missing disk, ten runs): no uid lease left" ||
	fail "refused before the spawn: $leases uid leases left, $left_runs runs not refused (125)"
expect "seccomp: bad mode" 125 "--seccomp 'allow': want kill, log or trap" "$LOCKVM" run --seccomp allow "$G/hello.elf"

# --require-mac: refused unless SELinux or AppArmor enforces.
enforcing=0
[ "$(cat /sys/fs/selinux/enforce 2>/dev/null)" = 1 ] && enforcing=1
[ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ] && [ -d /sys/kernel/security/apparmor ] && enforcing=1
if [ "$enforcing" = 1 ]; then
	expect "--require-mac runs where MAC enforces" 0 "hello from lockvm" "$LOCKVM" run --require-mac "$G/hello.elf"
else
	expect "--require-mac refused without an enforcing MAC" 125 "--require-mac: neither SELinux nor AppArmor is enforcing" \
		"$LOCKVM" run --require-mac "$G/hello.elf"
fi

# --apparmor-stack (issue 19: an engine's profile, stacked on the VM's own):
# the untrusted name is checked before anything runs (125, one line);
# where AppArmor is off the VM runs under a one-line warning, and the stack
# is recorded and shown as the VM's own profile is ("not enforced"). Under
# an enforcing AppArmor, make e2e checks the stacked label and its denials.
aa_refused() { # NAME WANT-IN-THE-LINE PROFILE
	run_capture "$LOCKVM" run --apparmor-stack "$3" "$G/hello.elf"
	if [ "$rc" -eq 125 ] && [ "$(wc -l <<<"$out")" -eq 1 ] && grep -qF -- "$2" <<<"$out"; then
		pass "--apparmor-stack: $1: refused in one line, 125"
	else
		fail "--apparmor-stack: $1: rc=$rc $(tr '\n' '|' <<<"$out")"
	fi
}
aa_refused "a further stack in the name" "--apparmor-stack: AppArmor profile name 'a...': byte 1 (0x2f)" 'a//&unconfined'
aa_refused "another namespace" "byte 0 (0x3a)" ':ns:engine'
aa_refused "lockvm's own profile" "AppArmor profile 'lockvm' is one of lockvm's own" lockvm
aa_refused "a name past 128 bytes" "longer than 128 bytes" "$(printf 'a%.0s' $(seq 129))"
if [ "$enforcing" = 0 ]; then
	run_capture "$LOCKVM" run --apparmor-stack e2e-engine "$G/hello.elf"
	[ "$rc" -eq 0 ] && grep -q "hello from lockvm" <<<"$out" &&
		[ "$(grep -c "^lockvm: --apparmor-stack e2e-engine: AppArmor is not enabled on this host, so the profile cannot be applied" <<<"$out")" = 1 ] &&
		pass "--apparmor-stack without AppArmor: the VM runs, one warning line" ||
		fail "--apparmor-stack without AppArmor: rc=$rc $(tr '\n' '|' <<<"$out")"
	vm=aa-stack-$$
	run_capture "$LOCKVM" run --name "$vm" -d --apparmor-stack e2e-engine "$G/service.elf"
	run_capture "$LOCKVM" inspect --json "$vm"
	python3 -c 'import json, sys; d = json.loads(sys.argv[1])
sys.exit(not (d["apparmor_stack"] == "e2e-engine" and d["profile"] == "lockvm-" + d["uuid"]
              and d["mac_mode"] == "not enforced" and d["label_mismatch"] is False))' "$out" &&
		pass "--apparmor-stack: inspect shows the stack recorded (apparmor_stack), not enforced" ||
		fail "--apparmor-stack: inspect: $(tr '\n' ' ' <<<"$out" | head -c 600)"
	run_capture "$LOCKVM" list -Z
	grep -q "^$vm .*e2e-engine//&lockvm-" <<<"$out" &&
		pass "--apparmor-stack: list -Z shows the stacked label (in the kernel's name order)" ||
		fail "--apparmor-stack: list -Z: $(tr '\n' '|' <<<"$out")"
	"$LOCKVM" stop "$vm" >/dev/null 2>&1
fi

# --cpus: the quota is in the VM's cgroup and holds the VMM to it.
expect "--cpus: bad value" 125 "--cpus '0': want a number of CPUs above 0" "$LOCKVM" run --cpus 0 "$G/hello.elf"
expect "--cpus: too many decimals" 125 "--cpus '0.1234'" "$LOCKVM" run --cpus 0.1234 "$G/hello.elf"
cpu_root=/sys/fs/cgroup/cpu
[ -f /sys/fs/cgroup/unified/cgroup.controllers ] && grep -qw cpu /sys/fs/cgroup/unified/cgroup.controllers && cpu_root=/sys/fs/cgroup/unified
if [ ! -d "$cpu_root" ]; then
	skip "--cpus: no cpu cgroup controller here"
else
	"$LOCKVM" run --cpus 0.25 --timeout 3 --vcpus 2 "$G/spin.elf" >"$T_TMP/cpus.out" 2>&1 &
	sup=$!
	vmm="" dir=""
	for _ in $(seq 50); do vmm=$(pgrep -P "$sup" -x lockvm-vmm) && break; sleep 0.05; done
	# the VMM's cgroup as the host sees it (v1 "N:cpu,cpuacct:/path", v2 "0::/path")
	rel=$(awk -F: '$2 ~ /(^|,)cpu(,|$)/ || ($1 == 0 && "'"$cpu_root"'" ~ /unified/) { print $3; exit }' "/proc/$vmm/cgroup" 2>/dev/null)
	dir=$cpu_root$rel
	if [ -f "$dir/cpu.cfs_quota_us" ]; then quota="$(cat "$dir/cpu.cfs_quota_us") $(cat "$dir/cpu.cfs_period_us")"
	else quota=$(cat "$dir/cpu.max" 2>/dev/null); fi
	[ "$quota" = "25000 100000" ] && pass "--cpus 0.25: quota 25000 per 100000 us in the VM's cgroup" || fail "--cpus 0.25: quota '$quota' in $dir"
	sleep 1
	t0=$(awk '{ print $14 + $15 }' "/proc/$vmm/stat" 2>/dev/null); sleep 1
	t1=$(awk '{ print $14 + $15 }' "/proc/$vmm/stat" 2>/dev/null)
	wait "$sup"
	used=$(( (t1 - t0) * 100 / $(getconf CLK_TCK) ))  # percent of one CPU over 1 s
	[ -n "$t0" ] && [ "$used" -le 40 ] && pass "--cpus 0.25: two spinning vCPUs used ${used}% of a CPU" \
		|| fail "--cpus 0.25: the VMM used ${used}% of a CPU (t0=$t0 t1=$t1)"
fi

# --cpu-shares: the VM's weight under contention, in its cgroup and inspect.
expect "--cpu-shares: below 2" 125 "--cpu-shares '1': want a number from 2 to 262144" "$LOCKVM" run --cpu-shares 1 "$G/hello.elf"
expect "--cpu-shares: not a number" 125 "--cpu-shares 'lots'" "$LOCKVM" run --cpu-shares lots "$G/hello.elf"
if [ -d "$cpu_root" ]; then
	"$LOCKVM" run --detach --name shares --cpu-shares 512 --timeout 20 "$G/spin.elf" >/dev/null 2>&1
	run_capture "$LOCKVM" inspect --json shares
	"$LOCKVM" stop shares >/dev/null 2>&1
	want=512; [ "$cpu_root" = /sys/fs/cgroup/unified ] && want=20 # cpu.weight, as runc converts 512
	python3 -c 'import json, sys; j = json.loads(sys.argv[1]); c = j["cgroup"]
sys.exit(not (j["cpu_shares"] == 512 and c.get("cpu.shares", c.get("cpu.weight")) == sys.argv[2]))' "$out" "$want" &&
		pass "--cpu-shares 512: the VM's cgroup has it, inspect shows it" ||
		fail "--cpu-shares 512: inspect: $(tr '\n' ' ' <<<"$out" | head -c 600)"
fi

# Rootless: an ordinary user with access to KVM (its own node for the device
# here, so /dev/kvm is left alone) runs a VM; lockvm says what it could not
# apply, and what it could is in place.
RL=$T_TMP/rootless
mkdir -p "$RL" && chmod 755 "$T_TMP" "$RL"
if ! mknod "$RL/kvm" c $((16#$(stat -c '%t' /dev/kvm))) $((16#$(stat -c '%T' /dev/kvm))) 2>/dev/null; then
	skip "rootless: cannot make a private KVM device node here"
elif ! setpriv --reuid=nobody --regid=nogroup --clear-groups test -x "$LOCKVM"; then
	skip "rootless: user nobody cannot reach $LOCKVM"
else
	chown nobody "$RL/kvm"
	mkdir -p "$RL/root" && chown nobody "$RL/root" # the user's own state root
	as_nobody=(env LOCKVM_KVM_DEVICE="$RL/kvm" LOCKVM_ROOT="$RL/root" setpriv --reuid=nobody --regid=nogroup --clear-groups)
	expect "rootless: hello runs" 0 "hello from lockvm" "${as_nobody[@]}" "$LOCKVM" run "$G/hello.elf"
	grep -q "rootless: layer uid not applied (the VMM runs as uid $(id -u nobody)" <<<"$out" &&
		grep -q "rootless: layer cgroup not applied" <<<"$out" &&
		pass "rootless: says which layers it could not apply" || fail "rootless: report: $(tr '\n' '|' <<<"$out")"
	"${as_nobody[@]}" "$LOCKVM" run --timeout 5 "$G/spin.elf" >"$RL/out" 2>&1 &
	sup=$!
	vmm=""
	for _ in $(seq 50); do vmm=$(pgrep -P "$sup" -x lockvm-vmm) && break; sleep 0.1; done
	sleep 0.3
	if [ -n "$vmm" ]; then
		st=/proc/$vmm/status
		bad=""
		for k in CapInh CapPrm CapEff CapBnd CapAmb; do grep -q "^$k:[[:space:]]*0000000000000000$" "$st" || bad="$bad $k"; done
		grep -q "^NoNewPrivs:[[:space:]]*1$" "$st" || bad="$bad NoNewPrivs"
		for t in /proc/"$vmm"/task/*; do grep -q "^Seccomp:[[:space:]]*2$" "$t/status" || bad="$bad Seccomp($(cat "$t/comm"))"; done
		for ns in user mnt pid net; do [ "$(readlink /proc/"$vmm"/ns/$ns)" = "$(readlink /proc/self/ns/$ns)" ] && bad="$bad ns:$ns"; done
		[ -z "$(ls -A /proc/"$vmm"/root/ 2>/dev/null)" ] || bad="$bad root-not-empty"
		[ -z "$bad" ] && pass "rootless: VMM has no caps, NoNewPrivs, Seccomp 2 on every thread, own user/mnt/pid/net ns, empty root" \
			|| fail "rootless: VMM lacks:$bad"
	else
		fail "rootless: no lockvm-vmm running as nobody: $(tr '\n' '|' <"$RL/out")"
	fi
	kill -TERM "$sup" 2>/dev/null; wait "$sup" || true
fi
