# Helpers for tests that run an installed lockvm (install.sh, deb.sh) in a
# test root: the host's own root seen through an overlay, entered with
# pivot_root in a private mount namespace (a chroot would refuse user
# namespaces), with the build tree hidden under an empty tmpfs.

# root_script_head: the first lines of the script the test runs in the
# namespace (unshare -m): this file's functions, and a tmpfs on $L (the
# test's layer directory) for the layers.
root_script_head() {
	printf 'set -eu\nTOP=%q G=%q\n. "$TOP/tests/lib_root.sh"\n' "$TOP" "$G"
	printf 'mount -t tmpfs -o mode=0755 lockvm-test-layer %q\n' "$L"
}

# root_prepare MERGED: inside the namespace, once MERGED (the overlay) is
# mounted: /proc, /sys, /dev, a tmpfs /tmp holding the guest, the state root
# /tmp/root, and the build tree $TOP emptied.
root_prepare() {
	local m=$1 d
	for d in proc sys dev; do mount --rbind "/$d" "$m/$d"; done
	mount -t tmpfs lockvm-test-tmp "$m/tmp"
	mkdir -p "$m/tmp/root" "$m/tmp/old"
	cp "$G/hello.elf" "$m/tmp/hello.elf"
	# A build tree under /tmp (a clone there) has no mount point in the new /tmp.
	mkdir -p "$m$TOP"
	mount -t tmpfs -o ro lockvm-test-hidden "$m$TOP"
}

# root_enter MERGED SCRIPT: makes MERGED the namespace's root and runs the
# sh SCRIPT there, after the checks every installed lockvm gets (marker
# lines BUILD-TREE-ENTRIES, CHECK-RC, RUN-RC, RUN-OUT, AUDIT-RC, AUDIT-ROLES
# that root_judge reads). Does not return.
root_enter() {
	cd "$1" && pivot_root . tmp/old || exit 1
	exec /bin/sh -c '
		umount -l /tmp/old && rmdir /tmp/old
		export LOCKVM_ROOT=/tmp/root DEBIAN_FRONTEND=noninteractive
		unset LOCKVM_VMM LOCKVM_POLICY_DIR
		ls "'"$TOP"'" | wc -l | sed "s/^/BUILD-TREE-ENTRIES /"
		installed_checks() {
			lockvm check >/tmp/check.out 2>&1; echo "CHECK-RC $?"
			lockvm run /tmp/hello.elf >/tmp/run.out 2>&1; echo "RUN-RC $?"
			sed "s/^/RUN-OUT /" /tmp/run.out
			lockvm audit seccomp >/tmp/audit.out 2>&1; echo "AUDIT-RC $?"
			grep -c "^== " /tmp/audit.out | sed "s/^/AUDIT-ROLES /"
		}
		'"$2"
}

# root_judge WHAT: pass/fail lines for the checks of root_enter, from $out.
root_judge() {
	local what=$1
	grep -qx "BUILD-TREE-ENTRIES 0" <<<"$out" && pass "$what: the build tree is out of reach" ||
		fail "$what: build tree visible: $(grep BUILD-TREE <<<"$out")"
	grep -qx "CHECK-RC 0" <<<"$out" && pass "$what: lockvm check passes" ||
		fail "$what: lockvm check: $(grep CHECK <<<"$out")"
	grep -qx "RUN-RC 0" <<<"$out" && grep -q "^RUN-OUT .*[Hh]ello" <<<"$out" &&
		pass "$what: lockvm runs a confined guest" ||
		fail "$what: lockvm run: $(grep '^RUN' <<<"$out" | tr '\n' '|' | tail -c 400)"
	grep -qx "AUDIT-RC 0" <<<"$out" && grep -qx "AUDIT-ROLES 3" <<<"$out" &&
		pass "$what: lockvm audit seccomp finds the three role policies" ||
		fail "$what: lockvm audit seccomp: $(grep AUDIT <<<"$out" | tr '\n' '|')"
}
