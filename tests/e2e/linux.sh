# make e2e: --linux jobs under the enforcing MAC (issue 17): a job in the host's own tree with a volume, sourced by tests.sh.
# Uses what tests.sh defines: $mode, $L, $P, $EVIL, $DENIED_RE, pass, fail,
# log, check, json_field, wait_gone, klog (and, for SELinux, filecon and
# setbool). The AppArmor part: the per-VM
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
		linux_oci_run "process.apparmorProfile" "$STACK_ENGINE" /srv/rootfs /srv/w
	else
		fail "linux: the engine profile $STACK_ENGINE of stack.sh is not loaded"
	fi
}

# linux_oci_run KEY VALUE ROOTFS VOLDIR [SAYS]: lockvm-oci, as an engine drives
# it (issue 19), runs a bundle whose root is a busybox tree made at ROOTFS
# and whose process carries KEY (process.apparmorProfile or
# process.selinuxLabel) = VALUE: the job reads VOLDIR/in, bind-mounted at
# /work, and its exit status is the runtime's; its output has SAYS.
linux_oci_run() {
	rfs=$3
	mkdir -p /srv/bundle $rfs/bin $rfs/work $rfs/proc $rfs/tmp
	cp /bin/busybox $rfs/bin/busybox
	ln -sf busybox $rfs/bin/sh
	ln -sf busybox $rfs/bin/cat
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
  "root": {"path": "$rfs", "readonly": true},
  "hostname": "oci-e2e",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs"},
    {"destination": "/work", "type": "bind", "source": "$4", "options": ["rbind", "rw"]}
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
		! printf "%s\n" "$2" | grep -q "not stacked\|cannot be applied" && ! grep -E "$3" /tmp/linux-oci.log | grep -q lockvm &&
		printf "%s\n" "$2" | grep -q -- "$4"' \
		- "$rc" "$out" "$DENIED_RE" "${5:-}"
}

# SELinux (the module in sepolicy/): The job runs a program of the host's tree (busybox: /bin/sh) with the boolean
# lockvm_vm_read_host_files on, writes and reads its volume, and neither the
# supervisor nor the VMM meets a denial; the volume's label is back afterwards.
# With the boolean off, and for a volume without ,z/,Z the VM may not write,
# the supervisor refuses up front (125) with one line naming the way out.
linux_selinux_tests() {
	log "linux: SELinux block starts at $(cut -d' ' -f1 /proc/uptime) s"
	W=/srv/w
	mkdir -p $W
	worig=$(filecon $W)
	setbool lockvm_vm_read_host_files 1
	dmesg -c >/dev/null
	x=$($L check 2>&1)
	why="$(echo "$x" | grep -i selinux | tr '\n' '|') $(dmesg | grep -E "$DENIED_RE" | head -n 3 | tr '\n' '|')"
	check "lockvm check names the boolean lockvm_vm_read_host_files, on" \
		sh -c 'printf "%s\n" "$1" | grep -q "selinux: boolean lockvm_vm_read_host_files on"' - "$x"
	dmesg -c >/dev/null
	out=$(timeout -k 5 120 $L run --linux --fs / --volume $W:/work,Z /bin/sh -c \
		'echo written-in-vm >/work/f && cat /work/f && ls /bin/busybox' 2>&1)
	rc=$?
	dmesg -c >/tmp/klog-linux
	why="exit $rc: $(echo "$out" | tail -n 3 | tr '\n' '|')"
	check "--linux --fs / --volume ,Z: a program of the tree writes and reads the volume" \
		sh -c '[ "$1" = 0 ] && printf "%s\n" "$2" | grep -qx written-in-vm &&
			printf "%s\n" "$2" | grep -qx /bin/busybox' - "$rc" "$out"
	why="host side: '$(cat $W/f 2>&1)'"
	check "--linux --volume ,Z: the file the job wrote is in the host directory" \
		test "$(cat $W/f 2>/dev/null)" = written-in-vm
	n=$(grep -E "$DENIED_RE" /tmp/klog-linux | grep -Ec 'scontext=[^ ]*:(lockvm_t|lockvm_vm_t):')
	why="$n denials: $(grep -E "$DENIED_RE" /tmp/klog-linux | head -n 3 | sed 's/.*avc:/avc:/' | tr '\n' '|')"
	check "--linux --fs / --volume ,Z: no AVC denial for lockvm_t or lockvm_vm_t" test "$n" -eq 0
	grep -E "$DENIED_RE" /tmp/klog-linux | head -n 20 | sed 's/^/E2E LOG: linux-job denial: /'
	wnow=$(filecon $W) fnow=$(filecon $W/f)
	why="$W '$wnow', $W/f '$fnow' (was '$worig')"
	check "--linux --volume ,Z: the volume's label is restored after the job" \
		test "$wnow" = "$worig" -a "$fnow" = "$worig"
	out=$(timeout -k 5 60 $L run --linux --fs / --volume $W:/work /bin/true 2>&1)
	rc=$?
	why="exit $rc: $(echo "$out" | tail -n 2 | tr '\n' '|')"
	check "--linux --volume without ,z/,Z of a type the VM may not write: refused (125), naming ,Z" \
		sh -c '[ "$1" = 125 ] && printf "%s\n" "$2" | grep -q "add ,Z"' - "$rc" "$out"
	out=$(timeout -k 5 60 $L run --linux --fs / --volume $W:/work,z /bin/true 2>&1)
	rc=$?
	why="exit $rc: $(echo "$out" | tail -n 2 | tr '\n' '|')"
	check "--linux --volume ,z read-write: refused (125), shared content is read-only to VMs" \
		sh -c '[ "$1" = 125 ] && printf "%s\n" "$2" | grep -q "add :ro"' - "$rc" "$out"
	# Another VM's volume: while VM lx runs with its ,Z volume, the probe
	# in lx's own context reads the volume's file (the control) and the
	# probe in another VM's (the same type at another pair, lx's uid so
	# that only MCS decides) is denied.
	echo "only lx" >$W/mine
	out=$(timeout -k 5 60 $L run --name lx -d --linux --fs / --volume $W:/work,Z sleep 600 2>&1 </dev/null)
	rc=$?
	if [ $rc -eq 0 ]; then
		# Through a pipe: lockvm_t may not write a file the administrator made.
		x=$($L inspect lx --json 2>&1)
		echo "$x" >/tmp/lx.json
		vmm_l=$(json_field /tmp/lx.json vmm_pid)
		uid_l=$(json_field /tmp/lx.json uid):$(json_field /tmp/lx.json gid)
		ctx_l=$(tr -d '\0' </proc/"$vmm_l"/attr/current 2>/dev/null)
		other=${ctx_l%:s0:*}:s0:c500,c501
		$P as selinux "$ctx_l" --uid "$uid_l" $EVIL try read $W/mine --expect "only lx" <&- >&- 2>&-
		own=$?
		dmesg -c >/dev/null
		$P as selinux "$other" --uid "$uid_l" $EVIL try read $W/mine <&- >&- 2>&-
		prc=$?
		dmesg -c >/tmp/linux-other.log
		why="own $own, other $prc ($ctx_l, $other): $(grep -E "$DENIED_RE" /tmp/linux-other.log | head -n 2 | sed 's/.*avc:/avc:/' | tr '\n' '|')"
		check "--linux --volume ,Z: another VM's context may not read VM lx's volume (MCS, logged); lx's own may" \
			sh -c '[ "$1" = 0 ] && [ "$2" = 1 ] && grep -q "avc: *denied .*scontext=[^ ]*:lockvm_vm_t:s0:c500,c501" /tmp/linux-other.log' \
			- "$own" "$prc"
		x=$(timeout 60 $L stop lx 2>&1) || log "lockvm stop lx: $(echo "$x" | tr '\n' '|')"
		wait_gone "$vmm_l" || fail "--linux: VM lx still running after lockvm stop"
	else
		fail "--linux: lockvm run --name lx -d (exit $rc): $(echo "$out" | tail -n 3 | tr '\n' '|')"
	fi
	setbool lockvm_vm_read_host_files 0
	# A tree of lockvm_content_t needs no boolean: made in the content
	# directory lockvm.fc names, its entries inherit the type.
	T=/var/lib/lockvm/guests/tree
	mkdir -p $T/bin && cp /bin/busybox $T/bin/busybox
	dmesg -c >/dev/null
	out=$(timeout -k 5 60 $L run --linux --fs $T /bin/busybox echo content-tree 2>&1)
	rc=$?
	n=$(dmesg -c | grep -E "$DENIED_RE" | grep -Ec 'scontext=[^ ]*:(lockvm_t|lockvm_vm_t):')
	why="exit $rc, $n denials, tree '$(filecon $T/bin/busybox)': $(echo "$out" | tail -n 2 | tr '\n' '|')"
	check "--linux --fs of lockvm_content_t, boolean off: runs the tree's program, no denial" \
		sh -c '[ "$1" = 0 ] && [ "$2" = 0 ] && printf "%s\n" "$3" | grep -qx content-tree' - "$rc" "$n" "$out"
	out=$(timeout -k 5 60 $L run --linux --fs / --volume $W:/work,Z /bin/true 2>&1)
	rc=$?
	why="exit $rc: $(echo "$out" | tail -n 2 | tr '\n' '|')"
	check "--linux --fs / with lockvm_vm_read_host_files off: refused (125), naming the boolean" \
		sh -c '[ "$1" = 125 ] && printf "%s\n" "$2" | grep -q "boolean lockvm_vm_read_host_files"' - "$rc" "$out"
	wnow=$(filecon $W)
	why="$W '$wnow' (was '$worig')"
	check "--linux: a refused job leaves the volume's label as it was" test "$wnow" = "$worig"
	# lockvm-oci under SELinux: the engine's process.selinuxLabel is the
	# VM's label; the engine labels what it gives the container, as podman
	# does for a :Z volume (here the VM's image type at the label's level),
	# and the image's root inherits lockvm_content_t from its directory.
	OV=/srv/ow
	mkdir -p $OV && echo "from the host" >$OV/in
	$P setfilecon $OV system_u:object_r:lockvm_image_t:s0:c100,c200 &&
		$P setfilecon $OV/in system_u:object_r:lockvm_image_t:s0:c100,c200 ||
		fail "linux: labelling $OV for the OCI job"
	# The engine's own domain, as podman gives it: the VM runs as lockvm_vm_t
	# at that level (lockvm-oci's one warning line is not a failure here).
	linux_oci_run "process.selinuxLabel" "system_u:system_r:container_t:s0:c100,c200" \
		/var/lib/lockvm/guests/ocirootfs $OV "the VM runs as system_u:system_r:lockvm_vm_t:s0:c100,c200"
	log "linux: SELinux block ends at $(cut -d' ' -f1 /proc/uptime) s"
}

if [ "$mode" = apparmor ]; then
	linux_apparmor_tests
else
	linux_selinux_tests
fi
