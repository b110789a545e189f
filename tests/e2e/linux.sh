# make e2e: --linux jobs under the enforcing MAC (issue 17): a job in the host's own tree with a volume, sourced by tests.sh.
# Uses what tests.sh defines: $mode, $L, $P, $EVIL, $DENIED_RE, pass, fail,
# log, check, json_field, wait_gone, klog. The AppArmor part: the per-VM
# profile names the --fs tree and each volume by the path the sandbox
# attaches them at in the VMM's own mount namespace (/lockvm-tree,
# /lockvm-volumeN), never by their host paths.

linux_klog=/tmp/klog-linux

linux_apparmor_tests() {
	mkdir -p /srv/w
	echo "from the host" >/srv/w/in
	rm -f /srv/w/out
	dmesg -c >/dev/null
	: >$linux_klog
	# A real program of the tree (busybox's sh and ls, found through PATH
	# by the VMM), the volume read and written, the tree listed.
	out=$(timeout -k 5 120 $L run --linux --fs / --volume /srv/w:/work,Z sh -c \
		'cat /work/in && echo made >/work/out && ls /usr/bin | grep -c . >/work/count' 2>&1 </dev/null)
	rc=$?
	klog $linux_klog
	why="exit $rc: $(echo "$out" | tail -n 3 | tr '\n' '|'); out '$(cat /srv/w/out 2>/dev/null)'"
	check "linux: a --linux --fs / --volume HOST:/work,Z job reads and writes its volume and lists the tree" \
		sh -c '[ "$1" = 0 ] && [ "$2" = "from the host" ] && [ "$(cat /srv/w/out)" = made ] &&
		[ "$(cat /srv/w/count)" -gt 10 ]' - "$rc" "$out"
	n=$(grep -Ec "$DENIED_RE" $linux_klog)
	why="$n denials: $(grep -E "$DENIED_RE" $linux_klog | head -n 3 | sed 's/.*apparmor=/apparmor=/' | tr '\n' '|')"
	check "linux: no AppArmor denial in that job" test "$n" -eq 0
	grep -E "$DENIED_RE" $linux_klog | head -n 20 | sed 's/^/E2E LOG: linux denial: /'

	# The per-VM profile names the volume at its mount in the VMM's mount
	# ns only: the probe in a running --linux VM's exact profile may not
	# read the same file by its host path.
	out=$(timeout -k 5 60 $L run --name lx -d --linux --fs / --volume /srv/w:/work sleep 600 2>&1 </dev/null)
	rc=$?
	if [ $rc -ne 0 ]; then
		fail "linux: lockvm run --name lx -d --linux (exit $rc): $(echo "$out" | tail -n 3 | tr '\n' '|')"
		return
	fi
	$L inspect lx --json >/tmp/lx.json 2>&1
	uuid_l=$(json_field /tmp/lx.json uuid) vmm_l=$(json_field /tmp/lx.json vmm_pid)
	uid_l=$(json_field /tmp/lx.json uid):$(json_field /tmp/lx.json gid)
	dmesg -c >/dev/null
	$P as apparmor "lockvm-$uuid_l" --uid "$uid_l" $EVIL try read /srv/w/in <&- >&- 2>&-
	prc=$?
	dmesg -c >/tmp/linux-probe.log
	why="exit $prc: $(grep -E "$DENIED_RE" /tmp/linux-probe.log | head -n 2 | tr '\n' '|')"
	check "linux: VM lx's profile: its volume by its host path is denied (logged)" sh -c \
		'[ "$1" = 1 ] && grep -q "apparmor=\"DENIED\" .*profile=\"lockvm-$2\" .*name=\"/srv/w/in\"" /tmp/linux-probe.log' \
		- "$prc" "$uuid_l"
	x=$(timeout 60 $L stop lx 2>&1) || log "lockvm stop lx: $(echo "$x" | tr '\n' '|')"
	why="VMM $vmm_l"
	check "linux: VM lx ends after lockvm stop" wait_gone "$vmm_l"

	# An engine's profile stacked on it (lockvm-oci's process.apparmorProfile,
	# issue 19): the same job runs under both profiles.
	if grep -qx "$STACK_ENGINE (enforce)" /sys/kernel/security/apparmor/profiles; then
		dmesg -c >/dev/null
		out=$(timeout -k 5 120 $L run --apparmor-stack $STACK_ENGINE --linux --fs / \
			--volume /srv/w:/work sh -c 'cat /work/in' 2>&1 </dev/null)
		rc=$?
		dmesg -c >/tmp/linux-stack.log
		why="exit $rc: $(echo "$out" | tail -n 3 | tr '\n' '|'); $(grep -E "$DENIED_RE" /tmp/linux-stack.log | head -n 3 | tr '\n' '|')"
		check "linux: the same job under $STACK_ENGINE stacked on the VM's profile, no denial" \
			sh -c '[ "$1" = 0 ] && [ "$2" = "from the host" ] && ! grep -Eq "$3" /tmp/linux-stack.log' \
			- "$rc" "$out" "$DENIED_RE"
		linux_oci_run "process.apparmorProfile" "$STACK_ENGINE"
	else
		fail "linux: the engine profile $STACK_ENGINE of stack.sh is not loaded"
	fi
}

# linux_oci_run KEY VALUE: lockvm-oci, as an engine drives it (issue 19),
# runs a bundle whose root is a busybox tree and whose process carries
# KEY (process.apparmorProfile or process.selinuxLabel) = VALUE: the job
# reads the bind-mounted volume and its exit status is the runtime's.
linux_oci_run() {
	mkdir -p /srv/bundle /srv/rootfs/bin /srv/rootfs/work /srv/rootfs/proc /srv/rootfs/tmp
	cp /bin/busybox /srv/rootfs/bin/busybox
	ln -sf busybox /srv/rootfs/bin/sh
	ln -sf busybox /srv/rootfs/bin/cat
	cat >/srv/bundle/config.json <<EOF
{
  "ociVersion": "1.1.0",
  "process": {
    "terminal": false,
    "user": {"uid": 0, "gid": 0},
    "args": ["sh", "-c", "cat /work/in; exit 7"],
    "env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],
    "cwd": "/",
    "${1#process.}": "$2"
  },
  "root": {"path": "/srv/rootfs", "readonly": true},
  "hostname": "oci-e2e",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs"},
    {"destination": "/work", "type": "bind", "source": "/srv/w", "options": ["rbind", "rw"]}
  ],
  "linux": {"namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"},
                           {"type": "uts"}, {"type": "mount"}]}
}
EOF
	dmesg -c >/dev/null
	out=$(timeout -k 5 120 /usr/bin/lockvm-oci --root /run/lockvm-oci-e2e run --bundle /srv/bundle oci-e2e 2>&1 </dev/null)
	rc=$?
	dmesg -c >/tmp/linux-oci.log
	why="exit $rc: $(echo "$out" | tail -n 3 | tr '\n' '|'); $(grep -E "$DENIED_RE" /tmp/linux-oci.log | head -n 3 | tr '\n' '|')"
	check "linux: lockvm-oci run of a busybox bundle with $1 $2: applied, the job's output and exit 7, no denial" \
		sh -c '[ "$1" = 7 ] && printf "%s\n" "$2" | grep -qx "from the host" &&
		! printf "%s\n" "$2" | grep -q "not stacked\|cannot be applied" && ! grep -Eq "$3" /tmp/linux-oci.log' \
		- "$rc" "$out" "$DENIED_RE"
}

if [ "$mode" = apparmor ]; then
	linux_apparmor_tests
fi
