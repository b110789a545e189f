# make e2e: an engine's AppArmor profile stacked on a VM's own (--apparmor-stack, issue 19), sourced by tests.sh in the AppArmor boot.
# Uses what tests.sh defines: $mode, $L, $P, $EVIL, $IMAGES, $GUEST,
# $DENIED_RE, pass, fail, log, check, json_field, wait_gone, mkimage,
# run_detached, klog. The engine's profile is this file's own: it allows
# what a container engine's broad profile allows, and denies one file that
# lockvm's own per-VM profile gives the VM (its guest, under another name).

STACK_ENGINE=e2e-engine
STACK_DENIED=/var/lib/lockvm/guests/denied-hello.elf
stack_klog=/tmp/klog-stack

stack_tests() {
	cat >/tmp/$STACK_ENGINE.aa <<EOF
abi <abi/3.0>,
profile $STACK_ENGINE flags=(attach_disconnected) {
  # As an engine's profile for a container: broad, with denials of its own.
  file,
  capability,
  network,
  signal,
  ptrace,
  unix,
  # The check: a file lockvm's own profile gives the VM, this one denies.
  audit deny /var/lib/lockvm/guests/denied-*.elf r,
}
EOF
	if ! apparmor_parser -r /tmp/$STACK_ENGINE.aa >/tmp/stack-parser.out 2>&1; then
		fail "stack: loading the engine's profile: $(tr '\n' '|' </tmp/stack-parser.out)"
		return
	fi
	why="$(grep "$STACK_ENGINE" /sys/kernel/security/apparmor/profiles | tr '\n' ' ')"
	check "stack: the engine's profile $STACK_ENGINE is loaded in enforce mode (apparmor_parser -r)" \
		grep -qx "$STACK_ENGINE (enforce)" /sys/kernel/security/apparmor/profiles

	out=$(timeout 60 $L run --apparmor-stack not-loaded-engine $GUEST 600 2>&1)
	rc=$?
	why="exit $rc: $(echo "$out" | tr '\n' '|')"
	check "stack: a profile that is not loaded is refused in one line, 125" sh -c \
		'[ "$1" = 125 ] && [ "$(printf "%s\n" "$2" | wc -l)" = 1 ] &&
		printf "%s" "$2" | grep -q "^lockvm: --apparmor-stack not-loaded-engine: no AppArmor profile of that name is loaded$"' \
		- "$rc" "$out"

	# An engine's profile that takes signals only from its own processes
	# and from runc and crun (as podman's stock containers-default does)
	# would leave a stacked VM that neither lockvm stop nor the supervisor's
	# death can end: refused before anything is made, in one line.
	cat >/tmp/containers-default-e2e.aa <<EOF
abi <abi/3.0>,
include <tunables/global>
profile containers-default-e2e flags=(attach_disconnected,mediate_deleted) {
  include <abstractions/base>
  network,
  capability,
  file,
  umount,
  signal (receive) peer=unconfined,
  signal (send,receive) peer=containers-default-e2e,
  signal (receive) peer={/usr/bin/,/usr/sbin/,}runc,
  signal (receive) peer={/usr/bin/,/usr/sbin/,}crun*,
  deny @{PROC}/* w,
  deny mount,
  ptrace (trace,read,tracedby,readby) peer=containers-default-e2e,
}
EOF
	if apparmor_parser -r /tmp/containers-default-e2e.aa >/tmp/stack-parser.out 2>&1; then
		before=$(grep -c "^lockvm-" /sys/kernel/security/apparmor/profiles)
		# Output to a file: a VMM that could not be stopped (the failure this
		# guards against) would hold a pipe open for ever.
		timeout -k 5 60 $L run --name pd --apparmor-stack containers-default-e2e $GUEST 600 \
			>/tmp/pd.out 2>&1 </dev/null
		rc=$?
		out=$(cat /tmp/pd.out)
		after=$(grep -c "^lockvm-" /sys/kernel/security/apparmor/profiles)
		why="exit $rc, lockvm-* profiles $before -> $after: $(echo "$out" | tr '\n' '|')"
		check "stack: a profile that refuses lockvm's stop signals (podman's stock kind) is refused in one line, 125, nothing left" \
			sh -c '[ "$1" = 125 ] && [ "$(printf "%s\n" "$2" | wc -l)" = 1 ] && [ "$3" = "$4" ] &&
			printf "%s" "$2" | grep -q "^lockvm: --apparmor-stack containers-default-e2e: it does not let the VMM receive signal int from lockvm.s supervisor (signal (receive) peer=lockvm), so the VM could not be stopped$" &&
			! $5 list | grep -q "^pd "' - "$rc" "$out" "$before" "$after" "$L"
	else
		fail "stack: loading containers-default-e2e: $(tr '\n' '|' </tmp/stack-parser.out)"
	fi

	# A VM under the stack: it runs, its VMM shows the stacked label, the
	# registry shows the same, normal work raises no denial.
	dmesg -c >/dev/null
	: >$stack_klog
	mkimage $IMAGES/s.img vm-s
	if ! run_detached s --apparmor-stack $STACK_ENGINE --disk $IMAGES/s.img $GUEST 600; then
		klog $stack_klog
		grep -E "$DENIED_RE" $stack_klog | head -n 20 | sed 's/^/E2E LOG: stack denial: /'
		return
	fi
	$L inspect s --json >/tmp/s.json 2>&1
	vmm_s=$(json_field /tmp/s.json vmm_pid) sup_s=$(json_field /tmp/s.json pid)
	uuid_s=$(json_field /tmp/s.json uuid) uid_s=$(json_field /tmp/s.json uid):$(json_field /tmp/s.json gid)
	ctx_s=$(tr -d '\0' </proc/"$vmm_s"/attr/current 2>/dev/null)
	log "s: supervisor $sup_s vmm $vmm_s uuid $uuid_s runs as '$ctx_s'"
	# The kernel keeps a stack's profiles in name order: e2e-engine first.
	why="got '$ctx_s'"
	check "stack: the VMM runs under $STACK_ENGINE//&lockvm-<uuid> (its own profile stacked with the engine's)" \
		test "$ctx_s" = "$STACK_ENGINE//&lockvm-$uuid_s (enforce)"
	why="$(tr '\n' ' ' </tmp/s.json)"
	check "stack: lockvm inspect shows apparmor_stack and the live label equals the recorded one" \
		sh -c 'grep -q "\"apparmor_stack\": *\"$1\"" /tmp/s.json && grep -q "\"label_mismatch\": *false" /tmp/s.json' - "$STACK_ENGINE"
	x=$($L list -Z 2>&1)
	why="$(echo "$x" | tr '\n' '|')"
	check "stack: lockvm list -Z shows the stacked label" sh -c \
		'printf "%s\n" "$1" | grep -q "^s .*$2//&lockvm-$3 *apparmor enforcing"' - "$x" "$STACK_ENGINE" "$uuid_s"

	# The probe in VM s's exact stacked label: what both allow works (its own
	# image), what lockvm's own denies stays denied.
	label_a="$STACK_ENGINE//&lockvm-$uuid_s"
	$P as apparmor "$label_a" --uid "$uid_s" $EVIL try read $IMAGES/s.img --expect "image of vm-s" <&- >&- 2>&-
	prc=$?
	why="exit $prc"
	check "stack: VM s's stacked label: its own image by path: read allowed (both profiles allow)" test $prc = 0
	# (The probe reads its own attr/current, which lockvm-<uuid> denies:
	# its log is not the VM's.)
	dmesg -c >/dev/null
	$P as apparmor "$label_a" $EVIL try read /root/host-secret <&- >&- 2>&-
	prc=$?
	dmesg -c >/tmp/stack-probe.log
	why="exit $prc: $(grep -E "$DENIED_RE" /tmp/stack-probe.log | head -n 2 | tr '\n' '|')"
	check "stack: VM s's stacked label: a host file stays denied by lockvm-<uuid> (logged)" sh -c \
		'[ "$1" = 1 ] && grep -q "apparmor=\"DENIED\" .*profile=\"lockvm-$2\" .*name=\"/root/host-secret\"" /tmp/stack-probe.log' \
		- "$prc" "$uuid_s"

	x=$(timeout 60 $L stop s 2>&1) || log "lockvm stop s: $(echo "$x" | tr '\n' '|')"
	gone=1
	for p in "$sup_s" "$vmm_s"; do
		[ -n "$p" ] && [ "$p" != 0 ] && ! wait_gone "$p" && gone=0
	done
	why="supervisor $sup_s, VMM $vmm_s"
	check "stack: the stacked VM ends after lockvm stop" test $gone = 1
	klog $stack_klog
	why="$(grep "lockvm-$uuid_s" /sys/kernel/security/apparmor/profiles | tr '\n' ' ')"
	check "stack: its own profile lockvm-<uuid> is removed after the VM, the engine's stays" sh -c \
		'! grep -q "lockvm-$1" /sys/kernel/security/apparmor/profiles &&
		grep -qx "$2 (enforce)" /sys/kernel/security/apparmor/profiles' - "$uuid_s" "$STACK_ENGINE"
	n=$(grep -Ec "$DENIED_RE" $stack_klog)
	why="$n denials: $(grep -E "$DENIED_RE" $stack_klog | head -n 3 | sed 's/.*apparmor=/apparmor=/' | tr '\n' '|')"
	check "stack: no AppArmor denial in a stacked VM's normal run (start, inspect, list, stop)" test "$n" -eq 0
	grep -E "$DENIED_RE" $stack_klog | head -n 20 | sed 's/^/E2E LOG: stack normal-run denial: /'

	# The engine's denial holds for the real VMM: the guest file lockvm's
	# own profile gives VM d is one the engine's profile denies. Without the
	# stack the same guest runs (the control); with it, the VMM's inherited
	# guest fd is revalidated at its exec against the stacked label and the
	# engine's profile refuses it, logged under the engine's name.
	cp /var/lib/lockvm/guests/hello.elf $STACK_DENIED
	out=$(timeout 60 $L run $STACK_DENIED 2>&1 </dev/null)
	rc=$?
	why="exit $rc: $(echo "$out" | tail -n 3 | tr '\n' '|')"
	check "stack: control: the guest $STACK_DENIED runs under lockvm's own profile alone" test $rc = 0
	dmesg -c >/dev/null
	out=$(timeout 60 $L run --apparmor-stack $STACK_ENGINE $STACK_DENIED 2>&1 </dev/null)
	rc=$?
	dmesg -c >/tmp/stack-denied.log
	why="exit $rc: $(echo "$out" | tail -n 2 | tr '\n' '|'); log: $(grep -E "$DENIED_RE" /tmp/stack-denied.log | head -n 3 | tr '\n' '|')"
	check "stack: a file lockvm's profile allows and the engine's denies is denied to the VMM (the run fails, logged under $STACK_ENGINE)" \
		sh -c '[ "$1" != 0 ] && grep -q "apparmor=\"DENIED\" .*profile=\"$2\" .*name=\"$3\"" /tmp/stack-denied.log &&
		! grep -q "apparmor=\"DENIED\" .*profile=\"lockvm-[^\"]*\" .*name=\"$3\"" /tmp/stack-denied.log' \
		- "$rc" "$STACK_ENGINE" "$STACK_DENIED"
	grep -E "$DENIED_RE" /tmp/stack-denied.log | head -n 10 | sed 's/^/E2E LOG: stack expected denial: /'
	rm -f $STACK_DENIED
}

if [ "$mode" = apparmor ]; then
	stack_tests
fi
