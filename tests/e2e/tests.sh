#!/bin/sh
# make e2e: the in-kernel MAC tests, run by /init with SELinux or AppArmor enforcing; one E2E PASS/FAIL/SKIP line each.
# Usage (inside the e2e initramfs): tests.sh selinux|apparmor
# SELinux: started as system_u:system_r:unconfined_t:s0-s0:c0.c1023,
# like an administrator; AppArmor: unconfined, the supervisor profile loaded.
mode=$1
L=/usr/bin/lockvm
P=/e2e/bin/e2e_probe
# The probe posing as a compromised VMM (see tests/e2e/run.sh).
EVIL=/usr/lib/lockvm/lockvm-vmm
IMAGES=/var/lib/lockvm/images
GUEST=/var/lib/lockvm/guests/service.elf
DENIED_RE='avc: +denied|apparmor="(DENIED|ALLOWED)"'

pass() { echo "E2E PASS: [$mode] $*"; }
fail() { echo "E2E FAIL: [$mode] $*"; }
skip() { echo "E2E SKIP: [$mode] $*"; }
log() { echo "E2E LOG: $*"; }
# check NAME CONDITION-COMMAND... : PASS when the command succeeds.
check() {
	name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name${why:+: $why}"; fi
	why=
}

# The kernel log since the last call (dmesg -c), appended to a file.
klog() { dmesg -c >>"$1"; }

# json_field FILE KEY: a string or number field of lockvm's JSON output.
json_field() {
	tr ',{}' '\n\n\n' <"$1" | sed -n "s/^ *\"$2\": *\"\{0,1\}\([^\"]*\)\"\{0,1\} *$/\1/p" | head -n 1
}

filecon() { $P filecon "$1" 2>&1; }

# diag WHY: what every lockvm process is doing, for a step that timed out
# (state, kernel wait channel and stack per thread, label), then the logs.
diag() {
	log "diagnostics: $*"
	for d in /proc/[0-9]*; do
		case "$(cat "$d/comm" 2>/dev/null)" in lockvm* | vcpu* | e2e_probe) ;; *) continue ;; esac
		for t in "$d"/task/*; do
			log "  ${d#/proc/}/${t##*/} $(cat "$t/comm" 2>/dev/null)" \
				"state $(cut -d' ' -f3 "$t/stat" 2>/dev/null) wchan $(cat "$t/wchan" 2>/dev/null)" \
				"label $(tr -d '\0' <"$d/attr/current" 2>/dev/null)"
			sed 's/^/E2E LOG:     /' "$t/stack" 2>/dev/null | head -n 12
		done
	done
	tail -n 15 /var/log/lockvm/*.log 2>/dev/null | sed 's/^/E2E LOG:   log: /'
	dmesg | tail -n 15 | sed 's/^/E2E LOG:   dmesg: /'
}

# run_detached NAME ARGS...: `lockvm run --name NAME -d ARGS...` with a
# bound; its output in $out. A run that does not come back is a FAIL with
# diagnostics, never a hang of the whole boot.
run_detached() {
	name=$1
	shift
	out=$(timeout -k 5 60 $L run --name "$name" -d "$@" 2>&1)
	rc=$?
	[ $rc -eq 0 ] && return 0
	fail "lockvm run --name $name -d (exit $rc): $(echo "$out" | tail -n 3 | tr '\n' '|')"
	[ $rc -ge 124 ] && diag "lockvm run --name $name -d did not return within 60 s"
	return 1
}

mkimage() { # PATH NAME: 1 MiB image whose first line names its VM
	dd if=/dev/zero of="$1" bs=1024 count=1024 2>/dev/null
	printf 'image of %s\n' "$2" | dd of="$1" conv=notrunc 2>/dev/null
}

# wait_gone PID: until the process has exited (a zombie counts as gone).
wait_gone() {
	[ -n "$1" ] && [ "$1" != 0 ] || return 1
	n=0
	while [ -e "/proc/$1/stat" ] && [ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" != Z ]; do
		n=$((n + 1))
		[ $n -gt 300 ] && return 1
		sleep 0.1
	done
	return 0
}

# The settings that make every denial reach the kernel log: no printk
# rate limit dropping audit lines.
echo 10000 >/proc/sys/kernel/printk_ratelimit_burst
echo 0 >/proc/sys/kernel/printk_ratelimit

mkdir -p $IMAGES
for v in a b c; do mkimage $IMAGES/$v.img vm-$v; done
echo "e2e host secret" >/root/host-secret

# --- host state -----------------------------------------------------------------

# Output of lockvm goes through pipes the tests make: lockvm_t may not
# write the console of kernel_t (init) or files an administrator creates
# in /tmp (user_tmp_t).
exec </dev/null
out=$($L check 2>&1)
if [ "$mode" = selinux ]; then
	check "lockvm check reports SELinux enforcing" grep -q "PASS  selinux: enabled, enforcing" <<EOF
$out
EOF
else
	check "lockvm check reports AppArmor enforcing" grep -q "PASS  apparmor: enabled" <<EOF
$out
EOF
fi
[ -n "${VERBOSE_E2E:-}" ] && echo "$out" | sed 's/^/E2E LOG: check: /'

if [ "$mode" = selinux ]; then
	c=$(filecon /usr/bin/lockvm)
	why="got $c"
	check "lockvm is lockvm_exec_t" test "$c" = system_u:object_r:lockvm_exec_t:s0
	c=$(filecon /usr/libexec/lockvm/lockvm-vmm)
	why="got $c"
	check "lockvm-vmm is lockvm_vmm_exec_t" test "$c" = system_u:object_r:lockvm_vmm_exec_t:s0
	c=$(filecon /dev/kvm)
	why="got $c"
	check "/dev/kvm is kvm_device_t" test "${c#*:object_r:kvm_device_t:}" != "$c"
	for v in a b c; do eval "orig_$v=\$(filecon $IMAGES/$v.img)"; done
	why="got $orig_a"
	check "a new image in the pool is lockvm_var_lib_t" \
		test "${orig_a#*:object_r:lockvm_var_lib_t:s0}" = ""
else
	why="$(grep lockvm /sys/kernel/security/apparmor/profiles | tr '\n' ' ')"
	check "the supervisor profile lockvm is loaded in enforce mode" \
		grep -qx "lockvm (enforce)" /sys/kernel/security/apparmor/profiles
fi

# --- two VMs at once --------------------------------------------------------------

dmesg -c >/dev/null
normal=/tmp/klog-normal probes=/tmp/klog-probes
: >$normal
: >$probes
for v in a b; do
	run_detached $v --disk $IMAGES/$v.img $GUEST 600
done
for v in a b; do
	x=$($L inspect $v --json 2>&1)
	echo "$x" >/tmp/$v.json
	eval "vmm_$v=\$(json_field /tmp/$v.json vmm_pid)"
	eval "sup_$v=\$(json_field /tmp/$v.json pid)"
	eval "uuid_$v=\$(json_field /tmp/$v.json uuid)"
done
log "a: supervisor $sup_a vmm $vmm_a uuid $uuid_a; b: supervisor $sup_b vmm $vmm_b uuid $uuid_b"
ctx_a=$(cat /proc/"$vmm_a"/attr/current 2>/dev/null | tr -d '\0')
ctx_b=$(cat /proc/"$vmm_b"/attr/current 2>/dev/null | tr -d '\0')
log "VMM a runs as '$ctx_a', VMM b as '$ctx_b'"
live=0
if [ -n "$vmm_a" ] && [ -n "$vmm_b" ] && [ "$vmm_a" != 0 ] && [ "$vmm_b" != 0 ] &&
	[ -d /proc/"$vmm_a" ] && [ -d /proc/"$vmm_b" ]; then
	live=1
	pass "two VMs run at once (VMM pids $vmm_a, $vmm_b)"
else
	fail "two VMs run at once: a $(cat /tmp/a.json | tr '\n' ' '); b $(cat /tmp/b.json | tr '\n' ' ')"
	cat /var/log/lockvm/a.log /var/log/lockvm/b.log 2>/dev/null | tail -n 20 | sed 's/^/E2E LOG: /'
fi

sup_ctx=$(cat /proc/"$sup_a"/attr/current 2>/dev/null | tr -d '\0')
if [ "$mode" = selinux ]; then
	why="got '$sup_ctx'"
	check "the supervisor runs in lockvm_t" test "${sup_ctx#*:system_r:lockvm_t:}" != "$sup_ctx"
	pair_a=${ctx_a##*:} pair_b=${ctx_b##*:}
	why="a '$ctx_a', b '$ctx_b'"
	check "each VMM runs as lockvm_vm_t with its own category pair" sh -c '
		case "$1" in system_u:system_r:lockvm_vm_t:s0:c[0-9]*,c[0-9]*) ;; *) exit 1 ;; esac
		case "$2" in system_u:system_r:lockvm_vm_t:s0:c[0-9]*,c[0-9]*) ;; *) exit 1 ;; esac
		[ "${1##*:}" != "${2##*:}" ]' - "$ctx_a" "$ctx_b"
	la=$(filecon $IMAGES/a.img) lb=$(filecon $IMAGES/b.img)
	why="a.img '$la', b.img '$lb'"
	check "each image is relabelled to its VM's pair while it runs" test \
		"$la" = "system_u:object_r:lockvm_image_t:s0:$pair_a" -a \
		"$lb" = "system_u:object_r:lockvm_image_t:s0:$pair_b"
	lr=$(filecon /run/lockvm) ll=$(filecon /var/log/lockvm/a.log)
	why="/run/lockvm '$lr', a.log '$ll'"
	check "state and logs are lockvm_var_run_t and lockvm_log_t" test \
		"${lr#*:object_r:lockvm_var_run_t:}" != "$lr" -a "${ll#*:object_r:lockvm_log_t:}" != "$ll"
else
	why="got '$sup_ctx'"
	check "the supervisor runs under profile lockvm" test "$sup_ctx" = "lockvm (enforce)"
	why="a '$ctx_a', b '$ctx_b'"
	check "each VMM runs under its own per-VM profile lockvm-<uuid>" test \
		"$ctx_a" = "lockvm-$uuid_a (enforce)" -a "$ctx_b" = "lockvm-$uuid_b (enforce)" -a \
		"$uuid_a" != "$uuid_b"
fi
why="$(tr '\n' ' ' </tmp/a.json)"
check "lockvm inspect shows the live label equals the recorded one" \
	grep -q '"label_mismatch": *false' /tmp/a.json

# lockvm audit vm NAME (drift report): exit 0, its checks printed as PASS
# lines, no DRIFT line.
x=$($L audit vm a 2>&1)
rc=$?
echo "$x" >/tmp/audit.out
if [ $rc = 0 ] && grep -q '^PASS: audit vm a: ' /tmp/audit.out && ! grep -q '^DRIFT' /tmp/audit.out; then
	pass "lockvm audit vm a reports no drift"
else
	fail "lockvm audit vm a: exit $rc: $(grep -v '^PASS' /tmp/audit.out | tail -n 5 | tr '\n' '|')"
fi
klog $normal

# --- a process in VM A's exact context -----------------------------------------------
# The probe (e2e_probe posing as a VMM, see tests/e2e/run.sh) is started in
# VM A's exact SELinux context or AppArmor profile and tries one access;
# its exit status says what happened (an MCS-constrained process may not
# write to our pipes). Where DAC would refuse first, it runs as the uid
# that owns the target, so that the MAC alone decides. Each probe: the
# result, then the kernel log it caused.

# probe NAME WANT LOGPATTERN [--uid UID:GID] [--with memfd|socket CONTEXT N]
#       ACTION ARGS...
# WANT: the exit statuses that pass (0 allowed, 1 denied, 3 allowed but
# not the expected data); LOGPATTERN: an ERE the kernel log must match.
# --with: the probe is handed, as fd N, a memfd labelled CONTEXT or a
# socketpair end created in CONTEXT (e2e_probe with).
probe() {
	pname=$1 want=$2 pat=$3
	shift 3
	uidopt= withcmd=
	while :; do
		case $1 in
		--uid) uidopt="--uid $2" && shift 2 ;;
		--with) withcmd="$P with $2 $3 $4" && shift 4 ;;
		*) break ;;
		esac
	done
	# shellcheck disable=SC2086
	$withcmd $P as "$mode" "$label_a" $uidopt $EVIL try "$@" <&- >&- 2>&-
	prc=$?
	dmesg -c >/tmp/probe.log
	cat /tmp/probe.log >>$probes
	case $prc in
	0) got=allowed ;; 1) got=denied ;; 3) got="allowed, other data" ;;
	4) got="other error" ;; *) got="probe failed to start (exit $prc)" ;;
	esac
	log "probe $pname: exit $prc ($got)"
	if ! echo " $want " | grep -q " $prc "; then
		fail "VM A's context: $pname: $got (want exit $want)"
	elif [ -n "$pat" ] && ! grep -Eq "$pat" /tmp/probe.log; then
		fail "VM A's context: $pname: $got, but the kernel log lacks /$pat/: $(grep -E "$DENIED_RE" /tmp/probe.log | tail -n 2 | tr '\n' '|')"
	else
		pass "VM A's context: $pname: $got${pat:+ (logged)}"
	fi
}

# decoy CONTEXT UID:GID: a process in CONTEXT as UID:GID that waits (e2e_probe
# try pause, dumpable), the target of the signal and ptrace probes; its pid
# in $decoy once it runs in CONTEXT. Ended at the end of the probes.
decoys=
decoy() {
	# shellcheck disable=SC2086
	$P as "$mode" "$1" --uid "$2" $EVIL try pause <&- >&- 2>&- &
	decoy=$!
	decoys="$decoys $decoy"
	n=0
	while [ "$(tr -d '\0' </proc/$decoy/attr/current 2>/dev/null)" != "$1" ]; do
		n=$((n + 1))
		[ $n -gt 100 ] && log "decoy $decoy did not start in $1" && return 1
		sleep 0.1
	done
	return 0
}

# setbool NAME 0|1: an SELinux boolean of the test-only module, committed.
setbool() {
	echo "$2" >"/sys/fs/selinux/booleans/$1" && echo 1 >/sys/fs/selinux/commit_pending_bools
	log "boolean $1: $(cat "/sys/fs/selinux/booleans/$1")"
}

# mcs_only_probes (SELinux): each MCS-only probe is the same action from VM
# A's context against two objects of the same type, with every other layer
# open (DAC: the owner's uid; path search: an inherited fd; Yama: scope 0;
# dumpability: the decoy is dumpable): one at VM A's own category pair,
# which must be allowed (the control: the type rules let it through), one
# at VM B's, which must be refused with an AVC naming VM B's pair. Only the
# MCS constraint differs between the two. (MCS in the reference policy does
# not constrain signull, file getattr/map or socket getattr: not probed.)
mcs_only_probes() {
	tmpfs_a=system_u:object_r:lockvm_vm_tmpfs_t:s0:$pair_a
	tmpfs_b=system_u:object_r:lockvm_vm_tmpfs_t:s0:$pair_b
	# Files: a memfd like the VMM's guest RAM (lockvm_vm_tmpfs_t).
	probe "MCS control: a memfd of its own pair (inherited fd): read" 0 "" \
		--with memfd "$tmpfs_a" 3 read-fd 3 --expect "memfd of $tmpfs_a"
	probe "MCS: a memfd of VM B's pair (inherited fd): read" 1 "$den tcontext=$tmpfs_b tclass=file" \
		--with memfd "$tmpfs_b" 3 read-fd 3 --expect "memfd of $tmpfs_b"
	# Sockets: a socketpair end made in the VM's context, as lockvm makes
	# the VMM's channels (mac_vmm_socketpair).
	probe "MCS control: a socket made in its own context (inherited fd): send" 0 "" \
		--with socket "$ctx_a" 3 sock-write 3
	probe "MCS: a socket made in VM B's context (inherited fd): send" 1 "$den tcontext=$ctx_b tclass=unix_stream_socket" \
		--with socket "$ctx_b" 3 sock-write 3
	# Signals, as the owner's uid: a harmless one to VM B's VMM, and both
	# to a process of VM A's own pair (SIGKILL to VM B's VMM follows).
	echo 0 >/proc/sys/kernel/yama/ptrace_scope 2>/dev/null
	if decoy "$ctx_a" "$uid_a"; then
		probe "MCS control: SIGCONT to a process of its own pair" 0 "" --uid "$uid_a" signal "$decoy" 18
		probe "MCS control: SIGKILL to a process of its own pair" 0 "" --uid "$uid_a" signal "$decoy" 9
	else
		fail "MCS control: a process in VM A's context did not start"
	fi
	probe "MCS: SIGCONT to VM B's VMM" 1 "denied +\{ signal \} .*scontext=$ctx_a tcontext=$ctx_b" --uid "$uid_b" signal "$vmm_b" 18
	# ptrace: lockvm.te grants lockvm_vm_t no ptrace, so the type rule
	# refuses it even within VM A's own pair; the test-only boolean
	# lockvm_e2e_vm_ptrace (tests/e2e/lockvm_e2e.te) allows ptrace within
	# lockvm_vm_t so that MCS alone decides, then goes off again.
	if decoy "$ctx_a" "$uid_a" && pt_a=$decoy && decoy "$ctx_b" "$uid_b" && pt_b=$decoy; then
		probe "ptrace of a process of its own pair: refused by the type rule" 1 \
			"denied +\{ ptrace \} .*scontext=$ctx_a tcontext=$ctx_a " --uid "$uid_a" ptrace "$pt_a"
		setbool lockvm_e2e_vm_ptrace 1
		probe "MCS control (test-only ptrace rule on): ptrace of a process of its own pair" 0 "" \
			--uid "$uid_a" ptrace "$pt_a"
		probe "MCS (test-only ptrace rule on): ptrace of a process of VM B's pair" 1 \
			"denied +\{ ptrace \} .*scontext=$ctx_a tcontext=$ctx_b " --uid "$uid_b" ptrace "$pt_b"
		setbool lockvm_e2e_vm_ptrace 0
	else
		fail "MCS ptrace probes: the target processes did not start"
	fi
	# shellcheck disable=SC2086
	kill $decoys 2>/dev/null
}

if [ "$live" = 1 ]; then
	for v in a b; do
		eval "uid_$v=\$(json_field /tmp/$v.json uid):\$(json_field /tmp/$v.json gid)"
	done
	log "VM uids: a $uid_a, b $uid_b"
	if [ "$mode" = selinux ]; then
		label_a=$ctx_a
		den="avc: +denied .*scontext=$ctx_a"
		# lockvm_vm_t opens nothing by path: its disks come as inherited fds.
		probe "its own image (inherited fd): read" 0 "" read-fd 3 --expect "image of vm-a" 3<$IMAGES/a.img
		probe "its own image (inherited fd): write" 0 "" write-fd 3 3<>$IMAGES/a.img
		# By path, the lookup is refused before the image: no search of /var/lib.
		probe "its own image by path: no open (fds only)" 1 "$den" --uid "$uid_a" read $IMAGES/a.img
		# The kernel checks inherited fds at exec and swaps refused ones for
		# its null file. MCS alone: "its own image (inherited fd)" above is
		# the control (same type, same action, VM A's own pair).
		probe "MCS: VM B's image (inherited fd): read" 1 "$den tcontext=system_u:object_r:lockvm_image_t:s0:$pair_b tclass=file" read-fd 3 --expect "image of vm-b" 3<$IMAGES/b.img
		# Refused by the type rules first (no search of /var/lib), not MCS.
		probe "VM B's image by path" 1 "$den" --uid "$uid_b" read $IMAGES/b.img
		probe "/etc/shadow" 1 "$den tcontext=system_u:object_r:shadow_t" read /etc/shadow
		probe "a host file (/root/host-secret)" 1 "$den" read /root/host-secret
		# VM B's VMM is not dumpable: the kernel asks for CAP_SYS_PTRACE first.
		probe "ptrace of VM B's VMM" 1 "denied +\{ (ptrace|sys_ptrace) \} .*scontext=$ctx_a" --uid "$uid_b" ptrace "$vmm_b"
		mcs_only_probes
		probe "SIGKILL to VM B's VMM" 1 "denied +\{ sigkill \} .*scontext=$ctx_a tcontext=$ctx_b" --uid "$uid_b" signal "$vmm_b" 9
	else
		label_a=lockvm-$uuid_a
		den="apparmor=\"DENIED\" .*profile=\"lockvm-$uuid_a\""
		probe "its own image by path: read" 0 "" --uid "$uid_a" read $IMAGES/a.img --expect "image of vm-a"
		probe "its own image by path: write" 0 "" --uid "$uid_a" write $IMAGES/a.img
		probe "its own image (inherited fd): read" 0 "" read-fd 3 --expect "image of vm-a" 3<$IMAGES/a.img
		probe "VM B's image by path" 1 "$den name=\"$IMAGES/b.img\"" --uid "$uid_b" read $IMAGES/b.img
		probe "/etc/shadow" 1 "$den name=\"/etc/shadow\"" read /etc/shadow
		probe "a host file (/root/host-secret)" 1 "$den name=\"/root/host-secret\"" read /root/host-secret
		probe "ptrace of VM B's VMM" 1 "apparmor=\"DENIED\" operation=\"(ptrace|capable)\" .*profile=\"lockvm-$uuid_a\"" --uid "$uid_b" ptrace "$vmm_b"
		probe "SIGKILL to VM B's VMM" 1 "operation=\"signal\" .*profile=\"lockvm-$uuid_a\" .*peer=\"lockvm-$uuid_b\"" --uid "$uid_b" signal "$vmm_b" 9
	fi
	# A SIGKILL is delivered asynchronously: look a second later, and a
	# zombie (state Z, or X) is a killed VMM, not a survivor.
	sleep 1
	vmm_b_state=$(sed 's/^.*) //' /proc/"$vmm_b"/stat 2>/dev/null | cut -d' ' -f1)
	why="VMM b $vmm_b, state '${vmm_b_state:-gone}' 1 s after the probes"
	check "VM B's VMM survived the probes" test -n "$vmm_b_state" -a "$vmm_b_state" != Z -a "$vmm_b_state" != X
	grep -E "$DENIED_RE" $probes | sed 's/^/E2E LOG: probe denial: /'
else
	skip "probes in VM A's context: the two VMs did not start (see the FAIL above)"
fi

# --- both end: originals back ---------------------------------------------------------

for v in a b; do
	x=$(timeout 60 $L stop $v 2>&1) || log "lockvm stop $v: $(echo "$x" | tr '\n' '|')"
done
gone=1
for p in "$sup_a" "$sup_b" "$vmm_a" "$vmm_b"; do
	[ -n "$p" ] && [ "$p" != 0 ] && ! wait_gone "$p" && gone=0
done
why="supervisors $sup_a $sup_b, VMMs $vmm_a $vmm_b"
check "both VMs ended after lockvm stop" test $gone = 1
klog $normal
if [ "$mode" = selinux ]; then
	la=$(filecon $IMAGES/a.img) lb=$(filecon $IMAGES/b.img)
	why="a.img '$la' (was '$orig_a'), b.img '$lb' (was '$orig_b')"
	check "every original image label is back after both VMs end" \
		test "$la" = "$orig_a" -a "$lb" = "$orig_b"
else
	why="$(grep "lockvm-" /sys/kernel/security/apparmor/profiles | tr '\n' ' ')"
	check "the per-VM profiles are removed after both VMs end" \
		sh -c '! grep -q "lockvm-$1\|lockvm-$2" /sys/kernel/security/apparmor/profiles' - "$uuid_a" "$uuid_b"
fi

# --- a normal run is denial-free --------------------------------------------------------

n=$(grep -Ec "$DENIED_RE" $normal)
why="$n denials: $(grep -E "$DENIED_RE" $normal | head -n 3 | sed 's/.*\(avc:\|apparmor=\)/\1/' | tr '\n' '|')"
[ "$mode" = selinux ] && what="no AVC denial" || what="no AppArmor denial"
check "$what in a normal run (two VMs started, inspected, stopped)" test "$n" -eq 0
grep -E "$DENIED_RE" $normal | head -n 40 | sed 's/^/E2E LOG: normal-run denial: /'

# --- the supervisor's death ---------------------------------------------------------------

dmesg -c >/dev/null
if run_detached c --disk $IMAGES/c.img $GUEST 600; then
	x=$($L inspect c --json 2>&1)
	echo "$x" >/tmp/c.json
	sup_c=$(json_field /tmp/c.json pid) vmm_c=$(json_field /tmp/c.json vmm_pid)
	uuid_c=$(json_field /tmp/c.json uuid)
	lc=$(filecon $IMAGES/c.img)
	log "c: supervisor $sup_c vmm $vmm_c, image now '$lc'; kill -9 $sup_c"
	kill -9 "$sup_c"
	why="VMM $vmm_c still running 30 s after its supervisor died"
	check "a VMM ends when its supervisor is killed" wait_gone "$vmm_c"
	# The next lockvm command that reads the registry recovers the leftovers.
	x=$($L list 2>&1)
	if [ "$mode" = selinux ]; then
		lc2=$(filecon $IMAGES/c.img)
		why="c.img '$lc2' (was '$orig_c', '$lc' while running)"
		check "a killed supervisor leaves no image with a VM label (after lockvm list)" \
			test "$lc2" = "$orig_c"
	else
		why="$(grep "lockvm-" /sys/kernel/security/apparmor/profiles | tr '\n' ' ')"
		check "a killed supervisor leaves no per-VM profile loaded (after lockvm list)" \
			sh -c '! grep -q "lockvm-$1" /sys/kernel/security/apparmor/profiles' - "$uuid_c"
	fi
	n=$(dmesg | grep -Ec "$DENIED_RE")
	why="$(dmesg | grep -E "$DENIED_RE" | head -n 3 | tr '\n' '|')"
	check "no denial while recovering from a killed supervisor" test "$n" -eq 0
else
	skip "a killed supervisor's leftovers: VM c did not start (see the FAIL above)"
fi
. /e2e/net.sh
. /e2e/ovs.sh
. /e2e/stack.sh
. /e2e/linux.sh
# Last: it unloads and reloads the supervisor's profile.
. /e2e/pkg.sh
exit 0
