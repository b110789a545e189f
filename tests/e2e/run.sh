#!/usr/bin/env bash
# make e2e: boots Debian's kernel in QEMU with SELinux, then AppArmor, enforcing and runs real lockvm VMs inside.
#
# Usage: tests/e2e/run.sh [selinux] [apparmor]   (default: both boots)
# Needs `make all sepolicy` done (mk/e2e.mk does it). Everything fetched
# goes under build/e2e with `apt-get download` + `dpkg -x`; nothing is
# installed on the host. Each boot has a hard timeout (E2E_BOOT_TIMEOUT,
# seconds, 600: the SELinux boot's pkg.sh rebuilds the policy twice, 30 s
# each under TCG on a quiet host, 100 s and more at a load of 10); a boot that
# hangs is killed and counted as a failure, one whose console falls silent
# (no heartbeat) is made once more. Ends with
# "N passed, N failed, N skipped" over the in-guest E2E lines of both boots.
set -u
cd "$(dirname "$0")/../.."
TOP=$PWD
B=$TOP/${LOCKVM_BUILD:-build}
E=$B/e2e
DEB=$B/lockvm_$(dpkg-parsechangelog -l debian/changelog -S Version)_amd64.deb
BOOT_TIMEOUT=${E2E_BOOT_TIMEOUT:-600}
modes=("$@")
[ ${#modes[@]} -gt 0 ] || modes=(selinux apparmor)

die() {
	echo "e2e: $*" >&2
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
}

# --- fetch: the kernel, QEMU with the libraries the host lacks, cpio ---------

# Packages are downloaded once into $E/debs and unpacked into $E/kernel
# (the kernel image) and $E/tools (QEMU, its libraries, cpio).
fetch() {
	mkdir -p "$E/debs"
	if ! apt-cache show linux-image-amd64 >/dev/null 2>&1; then
		echo "e2e: apt lists missing, running apt-get update"
		apt-get update -qq || die "apt-get update failed"
	fi
	# The running kernel's own package when Debian has it (not on these
	# hosts), else the one linux-image-amd64 depends on.
	local kpkg="linux-image-$(uname -r)"
	if ! apt-cache show "$kpkg" >/dev/null 2>&1; then
		kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
			awk '/Depends: linux-image-[0-9]/{print $2; exit}')
	fi
	[ -n "$kpkg" ] || die "cannot find Debian's kernel image package (apt-cache depends linux-image-amd64)"
	# QEMU: whatever `apt-get install qemu-system-x86` would add to this
	# host, downloaded instead (a host that has QEMU installed uses it).
	local pkgs=()
	mapfile -t pkgs < <(apt-get install -s --no-install-recommends qemu-system-x86 cpio 2>/dev/null |
		awk '/^Inst /{print $2}')
	local want=("$kpkg" "${pkgs[@]}") missing=() p
	for p in "${want[@]}"; do
		compgen -G "$E/debs/${p}_*.deb" >/dev/null || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		echo "e2e: apt-get download ${missing[*]}"
		# apt-get's own status (a pipe's is grep's): a failed download is fatal.
		(cd "$E/debs" && apt-get download "${missing[@]}" 2>&1 | grep -v '^W: Download is performed unsandboxed'
			exit "${PIPESTATUS[0]}") || die "apt-get download ${missing[*]} failed"
	fi
	local stamp="$kpkg ${pkgs[*]}"
	if [ "$(cat "$E/unpacked" 2>/dev/null)" != "$stamp" ]; then
		rm -rf "$E/kernel" "$E/tools"
		mkdir -p "$E/kernel" "$E/tools"
		dpkg -x "$(compgen -G "$E/debs/${kpkg}_*.deb" | head -n 1)" "$E/kernel" || die "dpkg -x $kpkg failed"
		for p in "${pkgs[@]}"; do
			dpkg -x "$(compgen -G "$E/debs/${p}_*.deb" | head -n 1)" "$E/tools" || die "dpkg -x $p failed"
		done
		echo "$stamp" >"$E/unpacked"
	fi
	KVER=$(ls "$E/kernel/lib/modules" | head -n 1)
	VMLINUZ=$E/kernel/boot/vmlinuz-$KVER
	[ -f "$VMLINUZ" ] || die "no kernel image in $kpkg"
	export LD_LIBRARY_PATH="$E/tools/usr/lib/x86_64-linux-gnu:$E/tools/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
	QEMU=$E/tools/usr/bin/qemu-system-x86_64
	[ -x "$QEMU" ] || QEMU=$(command -v qemu-system-x86_64) || die "no qemu-system-x86_64"
	CPIO=$E/tools/bin/cpio
	[ -x "$CPIO" ] || CPIO=$(command -v cpio) || die "no cpio"
	local v
	v=$("$QEMU" --version 2>&1 | head -n 1) ||
		die "QEMU cannot run on this machine: $v"
	echo "e2e: kernel $KVER ($kpkg), $v"
}

# --- Open vSwitch, for tests/e2e/ovs.sh ----------------------------------------

# Debian's openvswitch-switch and -common (the daemons, ovs-vsctl, ovs-ctl
# and the init script), uuid-runtime (ovs-ctl's uuidgen for
# --system-id=random) and the library packages `apt-get install` would add
# to this host, downloaded into $E/debs and unpacked into $E/ovs. A fetch
# that fails is not fatal (ovs.sh then skips, printing OVS_MISSING), except
# with CI=true, where it fails make e2e.
OVS_PKGS=(openvswitch-switch openvswitch-common uuid-runtime)
OVS_MISSING=
fetch_ovs() {
	local libs=() p missing=()
	mapfile -t libs < <(apt-get install -s --no-install-recommends "${OVS_PKGS[@]}" 2>/dev/null |
		awk '/^Inst lib/{sub(/:.*/, "", $2); print $2}')
	local want=("${OVS_PKGS[@]}" "${libs[@]}")
	for p in "${want[@]}"; do
		compgen -G "$E/debs/${p}_*.deb" >/dev/null || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		echo "e2e: apt-get download ${missing[*]}"
		if ! (cd "$E/debs" && apt-get download "${missing[@]}" 2>&1 | grep -v '^W: Download is performed unsandboxed'
			exit "${PIPESTATUS[0]}"); then
			OVS_MISSING="apt-get download ${missing[*]} failed on the build host"
			# In CI a failed download is a failure, not a reason to skip.
			[ "${CI:-}" = true ] && die "$OVS_MISSING (CI=true: the OVS tests must run)"
			return
		fi
	fi
	local stamp="${want[*]}"
	if [ "$(cat "$E/ovs-unpacked" 2>/dev/null)" != "$stamp" ]; then
		rm -rf "$E/ovs"
		mkdir -p "$E/ovs"
		for p in "${want[@]}"; do
			if ! dpkg -x "$(compgen -G "$E/debs/${p}_*.deb" | head -n 1)" "$E/ovs"; then
				OVS_MISSING="dpkg -x $p failed on the build host"
				[ "${CI:-}" = true ] && die "$OVS_MISSING (CI=true: the OVS tests must run)"
				return
			fi
		done
		echo "$stamp" >"$E/ovs-unpacked"
	fi
}

# --- the initramfs -------------------------------------------------------------

R=$E/rootfs

# copy_bin SRC DEST: a binary and every shared library it loads (ldd);
# SRC may already be $R/DEST (a binary the package unpacked).
copy_bin() {
	local src=$1 dest=$2 lib
	[ "$src" -ef "$R$dest" ] || install -D -m 0755 "$src" "$R$dest"
	for lib in $(ldd "$src" 2>/dev/null | grep -o '/[^ ]*'); do
		[ -e "$R$lib" ] || install -D -m 0755 "$(readlink -f "$lib")" "$R$lib"
	done
}

# copy_ovs_bin SRC DEST: a binary unpacked in $E/ovs, and the libraries it
# loads, from $E/ovs where the host lacks them, else from the host.
copy_ovs_bin() {
	local src=$E/ovs$1 dest=$2 lib O=$E/ovs
	install -D -m 0755 "$src" "$R$dest"
	for lib in $(LD_LIBRARY_PATH="$O/usr/lib/x86_64-linux-gnu:$O/lib/x86_64-linux-gnu" ldd "$src" 2>/dev/null |
		grep -o '/[^ ]*'); do
		[ -e "$R${lib#"$O"}" ] || install -D -m 0755 "$(readlink -f "$lib")" "$R${lib#"$O"}"
	done
}

# install_ovs: Open vSwitch where Debian's packages put it (the paths
# refpolicy's openvswitch.fc names: /usr/share/openvswitch/scripts/ovs-ctl
# is openvswitch_exec_t, /etc/openvswitch openvswitch_conf_t), and
# /etc/init.d/openvswitch-switch (initrc_exec_t), the init script that
# starts both daemons with ovs-ctl; its /lib/lsb/init-functions comes from
# this host (sysvinit-utils, essential). One exception: Debian installs
# ovs-vswitchd as /usr/lib/openvswitch-switch/ovs-vswitchd behind an
# alternatives link /usr/sbin/ovs-vswitchd; that file is lib_t under
# refpolicy, which openvswitch_t may not run (no execute_no_trans), so it
# is copied to /usr/sbin/ovs-vswitchd (bin_t, upstream's path) instead.
install_ovs() {
	local f O=$E/ovs
	if [ -n "$OVS_MISSING" ]; then
		echo "$OVS_MISSING" >"$R/e2e/ovs-missing"
		return
	fi
	for f in /usr/sbin/ovsdb-server /usr/bin/ovs-vsctl /usr/bin/ovs-appctl /usr/bin/ovsdb-tool /usr/bin/uuidgen; do
		copy_ovs_bin "$f" "$f"
	done
	copy_ovs_bin /usr/lib/openvswitch-switch/ovs-vswitchd /usr/sbin/ovs-vswitchd
	mkdir -p "$R/usr/share/openvswitch" "$R/etc/openvswitch" "$R/etc/init.d" "$R/etc/default" "$R/lib/lsb"
	cp -a "$O/usr/share/openvswitch/scripts" "$O/usr/share/openvswitch/"*.ovsschema "$R/usr/share/openvswitch/"
	install -m 0755 "$O/etc/init.d/openvswitch-switch" "$R/etc/init.d/openvswitch-switch"
	install -m 0644 "$O/etc/default/openvswitch-switch" "$R/etc/default/openvswitch-switch"
	# ovs-ctl starts each daemon under nice(1), which busybox lacks:
	# coreutils' own, from this host (essential).
	copy_bin /usr/bin/nice /usr/bin/nice
	cp -a /lib/lsb/init-functions /lib/lsb/init-functions.d "$R/lib/lsb/" ||
		echo "no /lib/lsb/init-functions on this host (sysvinit-utils)" >"$R/e2e/ovs-missing"
}

# module_with_deps NAME: the module file and what it depends on, deps
# first (modinfo on the unpacked package: it has no modules.dep).
declare -A module_seen
module_order=()
module_with_deps() {
	local name=$1 file dep
	[ -n "${module_seen[$name]:-}" ] && return 0
	module_seen[$name]=1
	file=$(find "$E/kernel/lib/modules/$KVER" -name "$name.ko*" -o -name "${name//_/-}.ko*" | head -n 1)
	[ -n "$file" ] || die "kernel module $name not in the kernel package"
	for dep in $(/sbin/modinfo -F depends "$file" | tr ',' ' '); do
		module_with_deps "$dep"
	done
	module_order+=("$file")
}

build_initramfs() {
	local f
	rm -rf "$R"
	mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,usr/lib/lockvm,proc,sys,dev,run,tmp,root,etc,var/lib/lockvm/images,var/log,e2e/bin,e2e/guests,e2e/tests/guests,e2e/modules,e2e/apparmor}
	install -m 0755 /bin/busybox "$R/bin/busybox"
	for f in $(/bin/busybox --list-full); do
		[ -e "$R/$f" ] || ln -s /bin/busybox "$R/$f"
	done
	# A shell that is a file of its own, not a link to busybox: its path
	# /usr/bin/sh is shell_exec_t, the entrypoint of an administrator's shell.
	install -m 0755 /bin/busybox "$R/usr/bin/sh"
	# lockvm as its Debian package installs it (make deb; the paths
	# lockvm.fc and profiles/lockvm name), unpacked: the initramfs has no
	# dpkg, and the policy is loaded by init (the maintainer scripts' part).
	# Then the libraries lockvm links.
	dpkg-deb -x "$DEB" "$R" || die "dpkg-deb -x $DEB failed"
	copy_bin "$R/usr/bin/lockvm" /usr/bin/lockvm
	# Its maintainer scripts, which pkg.sh runs: their AppArmor branch
	# needs aa-enabled (apparmor_parser is copied below).
	dpkg-deb -e "$DEB" "$R/e2e/debian" || die "dpkg-deb -e $DEB failed"
	copy_bin /usr/bin/aa-enabled /usr/bin/aa-enabled
	install -m 0755 "$B/e2e/e2e_probe" "$R/e2e/bin/e2e_probe"
	# The probe also poses as a compromised VMM: /usr/lib/lockvm/lockvm-vmm
	# is a VMM path in lockvm.fc (lockvm_vmm_exec_t, the entrypoint of
	# lockvm_vm_t) and in the VM abstraction (mr), so it can be started in
	# a VM's exact context to try what a VMM taken over by its guest could.
	install -m 0755 "$B/e2e/e2e_probe" "$R/usr/lib/lockvm/lockvm-vmm"
	install -m 0644 "$B"/guests/*.elf "$R/e2e/guests/"
	install -m 0644 "$B"/tests/guests/*.elf "$R/e2e/tests/guests/"
	# SELinux: the reference policy with the lockvm module linked in, and
	# its file contexts for setfiles.
	# (build/e2e/sepolicy: make sepolicy's store plus tests/e2e/lockvm_e2e.te)
	cp -a "$E/sepolicy/root/etc/selinux" "$R/etc/"
	copy_bin /usr/sbin/setfiles /usr/sbin/setfiles
	# The package's SELinux branch (pkg.sh): a module store without
	# lockvm, which init moves to /var/lib/selinux, and what its
	# maintainer scripts and libsemanage run (semodule, the pp-to-CIL
	# compiler, load_policy, sefcontext_compile, selinuxenabled,
	# restorecon: setfiles by another name).
	[ -d "$E/selinux-store" ] || die "no $E/selinux-store (mk/e2e.mk makes it)"
	mkdir -p "$R/e2e/selinux"
	cp -a "$E/selinux-store" "$R/e2e/selinux/store"
	for f in /usr/sbin/semodule /usr/libexec/selinux/hll/pp /usr/sbin/load_policy \
		/usr/sbin/sefcontext_compile /usr/sbin/selinuxenabled; do
		copy_bin "$f" "$f"
	done
	ln -sf setfiles "$R/usr/sbin/restorecon"
	# AppArmor: the parser (lockvm compiles per-VM profiles with it), the
	# stock abstractions and tunables, lockvm's abstraction, and the
	# supervisor profile compiled here.
	copy_bin /sbin/apparmor_parser /usr/sbin/apparmor_parser
	mkdir -p "$R/etc/apparmor.d" "$R/etc/apparmor"
	cp -a /etc/apparmor.d/abi /etc/apparmor.d/tunables /etc/apparmor.d/abstractions "$R/etc/apparmor.d/"
	cp -a /etc/apparmor/parser.conf "$R/etc/apparmor/" 2>/dev/null || true
	# parser.conf pins the features ABI it compiles for.
	[ -d /usr/share/apparmor-features ] && mkdir -p "$R/usr/share" &&
		cp -a /usr/share/apparmor-features "$R/usr/share/"
	# The package's profiles are in place (cp -a merged the host's
	# abstractions beside its lockvm-vm); the supervisor's is compiled here.
	[ -f "$R/etc/apparmor.d/abstractions/lockvm-vm" ] ||
		die "the package has no AppArmor abstraction lockvm-vm"
	# E2E_PERMISSIVE (debugging the policy only): complain mode.
	apparmor_parser -Q -S ${E2E_PERMISSIVE:+-C} "$R/etc/apparmor.d/usr.bin.lockvm" >"$R/e2e/apparmor/lockvm.bin" ||
		die "apparmor_parser -Q -S of the package's usr.bin.lockvm failed"
	# Host files the VMs must not reach.
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$R/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$R/etc/group"
	printf 'root:$6$e2e$notarealhash:19000:0:99999:7:::\n' >"$R/etc/shadow"
	chmod 0640 "$R/etc/shadow"
	echo "host secret" >"$R/root/host-secret"
	# KVM inside: TCG's -cpu max emulates SVM, so kvm-amd.
	module_order=()
	module_seen=()
	# openvswitch: the kernel datapath of ovs.sh's OVS bridge; its
	# libcrc32c wants the crc32c algorithm loaded first (a softdep).
	for f in kvm_amd tun bridge crc32c_generic openvswitch; do module_with_deps "$f"; done
	: >"$R/e2e/modules/order"
	for f in "${module_order[@]}"; do
		install -m 0644 "$f" "$R/e2e/modules/"
		basename "$f" >>"$R/e2e/modules/order"
	done
	install -m 0755 tests/e2e/init "$R/init"
	install -m 0755 tests/e2e/tests.sh "$R/e2e/tests.sh"
	install -m 0644 tests/e2e/net.sh "$R/e2e/net.sh"
	install -m 0644 tests/e2e/ovs.sh "$R/e2e/ovs.sh"
	install -m 0644 tests/e2e/stack.sh "$R/e2e/stack.sh"
	install -m 0644 tests/e2e/linux.sh "$R/e2e/linux.sh"
	install -m 0644 tests/e2e/pkg.sh "$R/e2e/pkg.sh"
	install_ovs
	(cd "$R" && find . | "$CPIO" -o -H newc --quiet -R 0:0 | gzip -1) >"$E/initramfs.cpio.gz" ||
		die "packing the initramfs failed"
	echo "e2e: initramfs $(du -h "$E/initramfs.cpio.gz" | cut -f1) (modules: $(tr '\n' ' ' <"$R/e2e/modules/order"))"
}

# --- boots ---------------------------------------------------------------------

passed=0 failed=0 skipped=0

# The guest's init prints a heartbeat every 10 s (tests/e2e/init). A console
# without an E2E line (a heartbeat or a result) for FREEZE_S seconds means
# the emulated machine itself froze (seen: TCG emulating SVM for the nested
# KVM), not a test that hangs: a hanging test has a bound of its own inside
# and the heartbeat goes on. Only E2E lines count: a frozen guest kernel
# still prints its own RCU-stall and soft-lockup reports (both boots of one
# make e2e did, for 600 s each; the same tree passed both boots at once).
FREEZE_S=${E2E_FREEZE_TIMEOUT:-60}

# boot_once MODE LOG: one QEMU run, its console in LOG; sets rc and frozen.
boot_once() {
	local mode=$1 log=$2 lsm qpid size last_size=-1 last_change=$SECONDS
	case $mode in
	selinux) lsm="security=selinux${E2E_PERMISSIVE:+ lockvm_e2e_permissive}" ;;
	apparmor) lsm="security=apparmor apparmor=1${E2E_PERMISSIVE:+ lockvm_e2e_permissive}" ;;
	*) die "unknown boot mode '$mode' (want selinux or apparmor)" ;;
	esac
	: >"$log"
	timeout -k 10 "$BOOT_TIMEOUT" "$QEMU" -L "$E/tools/usr/share/seabios" -L "$E/tools/usr/share/qemu" \
		-M q35 -cpu max -accel tcg -smp 2 -m 2048 \
		-display none -monitor none -serial "file:$log" -no-reboot -nic none \
		-kernel "$VMLINUZ" -initrd "$E/initramfs.cpio.gz" \
		-append "console=ttyS0 panic=-1 quiet audit=1 $lsm lockvm_e2e=$mode" </dev/null &
	qpid=$!
	frozen=0
	while kill -0 $qpid 2>/dev/null; do
		sleep 1
		size=$(grep -c '^E2E ' "$log" 2>/dev/null)
		size=${size:-0}
		if [ "$size" != "$last_size" ]; then
			last_size=$size last_change=$SECONDS
		elif [ $((SECONDS - last_change)) -ge "$FREEZE_S" ] && [ $frozen -eq 0 ]; then
			frozen=1
			kill -TERM $qpid 2>/dev/null
		fi
	done
	wait $qpid
	rc=$?
}

# boot MODE: a boot whose machine froze is made once more, saying so; its
# console is kept as console-MODE-frozen.log.
boot() {
	local mode=$1 start attempt
	local log=$E/console-$mode.log
	echo "== e2e boot: $mode enforcing (timeout ${BOOT_TIMEOUT}s, console $log)"
	start=$(date +%s)
	for attempt in 1 2; do
		boot_once "$mode" "$log"
		[ $frozen -eq 1 ] && [ $attempt -eq 1 ] || break
		mv "$log" "$E/console-$mode-frozen.log"
		echo "   note: [$mode] the console fell silent for ${FREEZE_S}s (no heartbeat: the emulated" \
			"machine froze, not a test); booting once more. Last lines of the frozen boot:"
		grep -v '^E2E ALIVE' "$E/console-$mode-frozen.log" | tail -n 5 | tr -d '\r' | sed 's/^/  | /'
	done
	local line n=0 done=0
	while IFS= read -r line; do
		line=${line%$'\r'}
		case $line in
		"E2E PASS: "*) passed=$((passed + 1)); n=$((n + 1)); [ -n "${VERBOSE:-}" ] && echo "  ${line#E2E }" ;;
		"E2E FAIL: "*) failed=$((failed + 1)); n=$((n + 1)); echo "  ${line#E2E }" ;;
		"E2E SKIP: "*) skipped=$((skipped + 1)); n=$((n + 1)); echo "  ${line#E2E }" ;;
		"E2E DONE"*) done=1 ;;
		"E2E LOG: "*) [ -n "${VERBOSE:-}" ] && echo "  | ${line#E2E LOG: }" ;;
		esac
	done <"$log"
	echo "   $mode: $n results in $(($(date +%s) - start)) s"
	if [ "$done" -ne 1 ]; then
		failed=$((failed + 1))
		if [ $frozen -eq 1 ]; then
			echo "  FAIL: [$mode] the emulated machine froze again (console silent for ${FREEZE_S}s)"
		elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
			echo "  FAIL: [$mode] boot did not finish within ${BOOT_TIMEOUT}s and was killed"
		else
			echo "  FAIL: [$mode] boot ended (QEMU exit $rc) before the tests finished"
		fi
		grep -v '^E2E ALIVE' "$log" | tail -n 40 | tr -d '\r' | sed 's/^/  | /'
	elif [ "$n" -eq 0 ]; then
		failed=$((failed + 1))
		echo "  FAIL: [$mode] the boot reported no test"
	fi
}

fetch
fetch_ovs
build_initramfs
for m in "${modes[@]}"; do boot "$m"; done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
