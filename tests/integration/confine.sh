#!/usr/bin/env bash
# Confinement holds layer by layer: the probe tries every forbidden action with all layers on and with each one off.
. "$(dirname "$0")/../lib.sh"

PROBE=$B/tests/helpers/probe
if [ "$(id -u)" -ne 0 ]; then
	skip "confine: needs root (sandbox_spawn switches to a per-VM uid)"
	exit 0
fi
if [ ! -x "$PROBE" ] || [ ! -x "$B/tests/helpers/probe_vmm" ]; then
	fail "confine: $PROBE or probe_vmm not built (make all)"
	exit 0
fi

if ! file "$B/tests/helpers/probe_vmm" | grep -q "static"; then
	skip "confine: probe_vmm is dynamically linked (sanitizer build): it cannot start in an empty root"
	exit 0
fi

CG_PARENT=lockvm-test-$$
UNIX_NAME=lockvm-probe-$$
NACTIONS=32
victim_pid="" listener_pid="" waiter_pid=""
cleanup() {
	for p in $waiter_pid $victim_pid $listener_pid; do kill -KILL "$p" 2>/dev/null; done
	wait 2>/dev/null
	for c in memory pids cpu; do
		[ -d "/sys/fs/cgroup/$c/$CG_PARENT" ] && rmdir "/sys/fs/cgroup/$c/$CG_PARENT" 2>/dev/null
		[ -d "/sys/fs/cgroup/unified/$CG_PARENT" ] && rmdir "/sys/fs/cgroup/unified/$CG_PARENT" 2>/dev/null
	done
	rm -rf "$T_TMP"
}
at_exit 'cleanup'

# "Another VM": a process outside, and an abstract unix socket outside.
sleep 600 &
victim_pid=$!
python3 -c "
import socket, time
s = socket.socket(socket.AF_UNIX)
s.bind('\0$UNIX_NAME')
s.listen()
t = socket.socket()
t.bind(('127.0.0.1', 0))
t.listen(64)
open('$T_TMP/tcp_port.tmp', 'w').write(str(t.getsockname()[1]))
import os; os.rename('$T_TMP/tcp_port.tmp', '$T_TMP/tcp_port')
time.sleep(600)" &
listener_pid=$!
for _ in $(seq 100); do [ -s "$T_TMP/tcp_port" ] && break; sleep 0.05; done
TCP_PORT=$(cat "$T_TMP/tcp_port")
# The Landlock actions' targets (probe_vmm.c): a file, a file and a
# directory to remove, a directory to link into.
SCRATCH=$T_TMP/scratch
make_scratch() {
	rm -rf "$SCRATCH"
	mkdir -p "$SCRATCH/dir" "$SCRATCH/remove_dir"
	echo data >"$SCRATCH/file"
	echo data >"$SCRATCH/remove_me"
}
make_scratch

# The probe installs the shipped policies, compiled from here.
export LOCKVM_POLICY_DIR=$TOP/policy/seccomp
KVM_ARG=""
have_kvm && KVM_ARG=--kvm
probe() {
	out=$(timeout -k 5 30 "$PROBE" --victim="$victim_pid" --unix="$UNIX_NAME" \
		--cgroup-parent="$CG_PARENT" --scratch="$SCRATCH" --tcp-port="$TCP_PORT" $KVM_ARG "$@" 2>&1)
	rc=$?
}

# every_action_blocked NAME [EXCEPT]: checks the probe output in $out;
# EXCEPT names the one action allowed to get through (see below).
every_action_blocked() {
	local name=$1 except=${2:-} lines allowed
	lines=$(grep -cE '^[a-z_0-9]+: (blocked|ALLOWED|probe error)' <<<"$out")
	allowed=$(grep -E ': (ALLOWED|probe error)' <<<"$out" | grep -v "^$except: ALLOWED" | tr '\n' ' ')
	if [ "$rc" -ne 0 ]; then
		fail "$name: probe exited $rc: $(tail -n 2 <<<"$out" | tr '\n' '|')"
	elif [ "$lines" -ne "$NACTIONS" ]; then
		fail "$name: $lines of $NACTIONS actions reported: $(tail -n 3 <<<"$out" | tr '\n' '|')"
	elif [ -n "$allowed" ]; then
		fail "$name: not blocked: $allowed"
	else
		pass "$name: $NACTIONS/$NACTIONS actions blocked"
	fi
}

probe
every_action_blocked "confine all layers"
grep -q '^landlock: enforced' <<<"$out" || fail "confine all layers: Landlock not enforced: $(grep landlock <<<"$out")"

# KVM stays usable through the passed fd under full confinement, and a KVM
# ioctl the vCPU filter does not name (a new memory slot) is killed.
if have_kvm; then
	grep -q '^kvm: VM and vCPU created' <<<"$out" && pass "confine: KVM VM and vCPU work when confined" ||
		fail "confine: KVM under confinement: $(grep '^kvm' <<<"$out")"
	grep -q '^kvm_ioctl: blocked (signal SIGSYS)' <<<"$out" && pass "confine: KVM_SET_USER_MEMORY_REGION from a vCPU-filtered thread is killed" ||
		fail "confine: kvm_ioctl: $(grep '^kvm_ioctl' <<<"$out")"
else
	skip "confine kvm: /dev/kvm not usable here (kvm_ioctl is then blocked only for want of a VM fd)"
fi

# Each layer off in turn. pivot_root needs the private mount ns, so the
# namespaces run also turns it off (chroot then uses an empty directory).
for layer in cgroup namespaces,pivot_root mac pivot_root rlimits close_fds clear_env uid \
	keyring userns chroot caps pdeathsig landlock seccomp fd_seal; do
	probe --disable="$layer"
	if [ "$layer" = seccomp ] && [ -n "$KVM_ARG" ]; then
		# The one single-layer action: an ioctl on the VM fd the VMM needs.
		# Only seccomp sees ioctl numbers on an fd already held (SECURITY.md).
		every_action_blocked "confine without $layer" kvm_ioctl
		grep -q '^kvm_ioctl: ALLOWED' <<<"$out" && echo "info: without seccomp a KVM ioctl on the VMM's own VM fd gets through (expected: seccomp is its only layer)"
	else
		every_action_blocked "confine without $layer"
	fi
done

# Which layers stand behind each action once seccomp is off too: for the
# log (the requirement above is one layer off at a time).
for layer in namespaces,pivot_root pivot_root chroot userns uid caps keyring landlock fd_seal; do
	probe --disable="seccomp,$layer"
	echo "info: without seccomp and $layer: $(grep -E ': ALLOWED' <<<"$out" | cut -d: -f1 | tr '\n' ' ')"
done

# no_new_privs is what lets an unprivileged process install Landlock and
# seccomp at all: without it the VMM must refuse to start (fail closed).
probe --disable=no_new_privs
if [ "$rc" -eq 125 ] && grep -q landlock <<<"$out"; then
	pass "confine without no_new_privs: refuses to run (125)"
else
	fail "confine without no_new_privs: exit $rc, want 125: $(tail -n 2 <<<"$out" | tr '\n' '|')"
fi

# From outside: a confined, waiting probe_vmm as seen in /proc.
"$PROBE" --victim="$victim_pid" --unix="$UNIX_NAME" --cgroup-parent="$CG_PARENT" --wait \
	>"$T_TMP/wait.out" 2>&1 &
waiter_pid=$!
# READY comes from the confined child, PID and UID from the probe after its
# spawn returns: two processes, either first, so both are waited for.
for _ in $(seq 300); do
	grep -q READY "$T_TMP/wait.out" && grep -q '^UID ' "$T_TMP/wait.out" && break
	sleep 0.05
done
pid=$(sed -n 's/^PID //p' "$T_TMP/wait.out")
vm_uid=$(sed -n 's/^UID //p' "$T_TMP/wait.out")
if ! grep -q READY "$T_TMP/wait.out" || [ -z "$pid" ]; then
	fail "confine outside view: probe did not get ready: $(tr '\n' '|' <"$T_TMP/wait.out")"
else
	st=/proc/$pid/status
	field() { awk -v k="$1:" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "$st"; }
	for cap in CapInh CapPrm CapEff CapBnd CapAmb; do
		v=$(field $cap)
		[ "$v" = 0000000000000000 ] && pass "outside: $cap zero" || fail "outside: $cap = $v"
	done
	[ "$(field NoNewPrivs)" = 1 ] && pass "outside: NoNewPrivs 1" || fail "outside: NoNewPrivs $(field NoNewPrivs)"
	[ "$(field Seccomp)" = 2 ] && pass "outside: Seccomp 2" || fail "outside: Seccomp $(field Seccomp)"
	ids="$(field Uid) $(field Gid)"
	bad=$(tr ' \t' '\n\n' <<<"$ids" | grep -vx "$vm_uid" | grep -v '^$')
	[ -z "$bad" ] && pass "outside: uids and gids all $vm_uid" || fail "outside: uid/gid: $ids (want $vm_uid)"
	[ -z "$(field Groups)" ] && pass "outside: no supplementary groups" || fail "outside: Groups: $(field Groups)"
	same=""
	for ns in mnt pid ipc uts net cgroup user; do
		[ "$(readlink /proc/$pid/ns/$ns)" = "$(readlink /proc/self/ns/$ns)" ] && same="$same $ns"
	done
	[ -z "$same" ] && pass "outside: every namespace differs from the host's" || fail "outside: host namespaces:$same"
	if command -v nsenter >/dev/null && command -v ip >/dev/null; then
		links=$(nsenter -t "$pid" -n ip -o link show 2>&1)
		if [ "$(wc -l <<<"$links")" -eq 1 ] && grep -q ' lo: ' <<<"$links" && ! grep -q '[<,]UP[,>]' <<<"$links"; then
			pass "outside: net ns has only lo, and it is down"
		else
			fail "outside: net ns links: $(tr '\n' '|' <<<"$links")"
		fi
	fi
	entries=$(ls -A "/proc/$pid/root/" 2>&1)
	[ -z "$entries" ] && pass "outside: root is empty" || fail "outside: root has: $entries"
	[ ! -s "/proc/$pid/environ" ] && pass "outside: environment empty" || fail "outside: environ not empty"
	fds=$(ls /proc/$pid/fd | sort -n | tr '\n' ' ')
	dirs=""
	for fd in /proc/$pid/fd/*; do [ -d "$fd" ] && dirs="$dirs $(readlink "$fd")"; done
	[ -z "$dirs" ] && pass "outside: no directory fds" || fail "outside: directory fds:$dirs"
	# Kept: 0-2, the two sealed policy memfds, the probe's own result pipe (2).
	[ "$fds" = "0 1 2 3 4 5 6 " ] && pass "outside: only kept fds (0-2, policies, result pipe)" || fail "outside: fds $fds"
	kinds=$(for fd in 3 4 5 6; do readlink "/proc/$pid/fd/$fd" | sed 's/:.*//'; done | sort | tr '\n' ' ')
	[ "$kinds" = "/memfd /memfd pipe pipe " ] && pass "outside: fds 3-6 are the two BPF memfds and the result pipe" || fail "outside: fds 3-6: $kinds"
	[ "$(field TracerPid)" = 0 ] || fail "outside: traced"
	grep -q '^1$' <<<"$(awk '/^NSpid:/ {print $NF}' "$st")" &&
		pass "outside: VMM is pid 1 of its pid namespace" || fail "outside: NSpid $(field NSpid)"
	lim=$(awk '/^Max core file size/ {print $5}' /proc/$pid/limits)
	[ "$lim" = 0 ] && pass "outside: RLIMIT_CORE 0" || fail "outside: core limit $lim"
	cg=$(grep -E ':memory:' /proc/$pid/cgroup | cut -d: -f3)
	case $cg in */$CG_PARENT/probe-*) pass "outside: in its cgroup ($cg)" ;; *) fail "outside: cgroup $cg" ;; esac
	kill -KILL "$pid"
	wait "$waiter_pid"
	wrc=$?
	waiter_pid=""
	[ "$wrc" -eq 137 ] && pass "outside: supervisor reports the VMM killed (137)" || fail "outside: exit $wrc"
	left=$(ls -d /sys/fs/cgroup/*/"$CG_PARENT"/probe-* 2>/dev/null)
	[ -z "$left" ] && pass "outside: cgroup removed after exit" || fail "outside: cgroup left: $left"
fi

# Supervisor death: the VMM must die with it (PR_SET_PDEATHSIG).
"$PROBE" --victim="$victim_pid" --unix="$UNIX_NAME" --cgroup-parent="$CG_PARENT" --wait \
	>"$T_TMP/death.out" 2>&1 &
sup=$!
for _ in $(seq 100); do grep -q READY "$T_TMP/death.out" && break; sleep 0.05; done
vmm=$(sed -n 's/^PID //p' "$T_TMP/death.out")
kill -KILL "$sup"
wait "$sup" 2>/dev/null
for _ in $(seq 50); do [ -d "/proc/$vmm" ] || break; sleep 0.05; done
if [ -n "$vmm" ] && [ ! -d "/proc/$vmm" ]; then
	pass "confine: VMM dies with its supervisor"
else
	fail "confine: VMM $vmm outlived its supervisor"
	kill -KILL "$vmm" 2>/dev/null
fi
# Rootless: the same probe run by an unprivileged user (nobody) goes
# through the user-ns path of sandbox_spawn(); uid and cgroup are off.
rootless_root=$(mktemp -d /tmp/lockvm-rootless.XXXXXX)
chown 65534:65534 "$rootless_root"
out=$(LOCKVM_ROOT=$rootless_root timeout -k 5 30 setpriv --reuid=65534 --regid=65534 \
	--clear-groups "$PROBE" --victim="$victim_pid" --unix="$UNIX_NAME" 2>&1)
rc=$?
if grep -q 'rootless: not applied: uid, cgroup' <<<"$out"; then
	every_action_blocked "confine rootless (as nobody)"
else
	fail "confine rootless: no rootless report: $(tail -n 2 <<<"$out" | tr '\n' '|')"
fi
for layer in seccomp landlock fd_seal userns chroot caps pivot_root; do
	out=$(LOCKVM_ROOT=$rootless_root timeout -k 5 30 setpriv --reuid=65534 --regid=65534 \
		--clear-groups "$PROBE" --victim="$victim_pid" --unix="$UNIX_NAME" \
		--disable="$layer" 2>&1)
	rc=$?
	every_action_blocked "confine rootless without $layer"
done
rm -rf "$rootless_root"

# --- Landlock alone ------------------------------------------------------
# Every right landlock.c handles, each tried with ONLY Landlock on (and
# no_new_privs, which it needs): as root, in the host's namespaces, root
# and network, so nothing but Landlock stands between the probe and the
# scratch directory, a TCP listener on 127.0.0.1, the abstract unix socket
# and the "other VM" process. A control run with Landlock off too shows
# each action works there (so the refusal is Landlock's, not the setup's).
# IOCTL_DEV has no action: see probe_vmm.c.
LL_FS="execve fs_read_file fs_write_file fs_read_dir fs_make_reg fs_make_dir fs_make_sym fs_make_fifo
	fs_make_char fs_make_block fs_make_sock fs_remove_file fs_remove_dir fs_truncate fs_refer"
LL_NET="net_bind_tcp net_connect_tcp"
LL_SCOPE="unix_connect kill_other"
ll_actions=$(echo $LL_FS $LL_NET $LL_SCOPE | tr ' ' ,)
ll_others=cgroup,namespaces,mac,pivot_root,rlimits,close_fds,clear_env,uid,keyring,userns,chroot,caps,pdeathsig,seccomp,fd_seal
ll_probe() { # $1 = extra layer to disable (or empty)
	make_scratch
	out=$(timeout -k 5 30 "$PROBE" --victim="$victim_pid" --unix="$UNIX_NAME" \
		--cgroup-parent="$CG_PARENT" --scratch="$SCRATCH" --tcp-port="$TCP_PORT" \
		--actions="$ll_actions" --disable="$ll_others$1" 2>&1)
	rc=$?
}
ll_probe ",landlock"
bad=""
for a in $LL_FS $LL_NET $LL_SCOPE; do
	grep -qE "^$a: ALLOWED" <<<"$out" || bad="$bad $a($(grep "^$a:" <<<"$out" | cut -d' ' -f2-))"
done
[ "$rc" -eq 0 ] && [ -z "$bad" ] && pass "landlock alone, control: with Landlock off too, each action works" ||
	fail "landlock alone, control (rc=$rc): not allowed without any layer:$bad"
ll_probe ""
grep -q '^landlock: enforced' <<<"$out" || fail "landlock alone: Landlock not enforced: $(grep landlock <<<"$out")"
for a in $LL_FS $LL_NET; do
	# Landlock refuses file-system and TCP access with EACCES ...
	grep -qx "$a: blocked (errno EACCES)" <<<"$out" && pass "landlock alone blocks $a" ||
		fail "landlock alone: $(grep "^$a:" <<<"$out" || echo "$a not reported: $(tail -n 2 <<<"$out" | tr '\n' '|')")"
done
for a in $LL_SCOPE; do
	# ... and a scoped abstract-unix connect or signal with EPERM.
	grep -qx "$a: blocked (errno EPERM)" <<<"$out" && pass "landlock alone blocks $a (scope)" ||
		fail "landlock alone: $(grep "^$a:" <<<"$out" || echo "$a not reported: $(tail -n 2 <<<"$out" | tr '\n' '|')")"
done
[ -z "$(ls -A "$SCRATCH/dir")" ] && [ -f "$SCRATCH/remove_me" ] && [ -s "$SCRATCH/file" ] &&
	pass "landlock alone: the scratch directory is unchanged" || fail "landlock alone: scratch changed: $(ls -A "$SCRATCH" | tr '\n' ' ')"

# The killed supervisor could not clean up: remove what it left (the
# next lockvm command does this from the registry in real use).
for d in /sys/fs/cgroup/*/"$CG_PARENT"/probe-*; do [ -d "$d" ] && rmdir "$d" 2>/dev/null; done
exit 0
