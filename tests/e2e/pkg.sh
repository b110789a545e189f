# make e2e: the Debian package's maintainer scripts, their MAC branches run for real (sourced by tests.sh last).
# run.sh extracts the .deb's control scripts (dpkg-deb -e) to /e2e/debian;
# the files they act on are the package's, unpacked into this initramfs.
D=/e2e/debian
PROFILES=/sys/kernel/security/apparmor/profiles
loaded() { grep -qx "lockvm (enforce)" $PROFILES; }
cached() { ls /var/cache/apparmor/*/usr.bin.lockvm >/dev/null 2>&1; }

if [ "$mode" = apparmor ]; then
	# prerm remove: AppArmor is enabled, so it unloads the supervisor's profile.
	why="prerm: $(sh $D/prerm remove 2>&1 | tr '\n' '|'); $(grep "^lockvm " $PROFILES | tr '\n' ' ')"
	check "package prerm remove unloads the lockvm profile (AppArmor branch)" sh -c '! grep -qx "lockvm (enforce)" '$PROFILES
	# postinst configure: aa-enabled says yes, apparmor_parser -r -T -W
	# loads the installed profile again and caches it, in the cache
	# directory the apparmor package makes on an installed system.
	mkdir -p /var/cache/apparmor
	out=$(sh $D/postinst configure 2>&1)
	[ -n "$out" ] && log "postinst configure said: $(echo "$out" | tr '\n' '|')"
	why="postinst: $(echo "$out" | tr '\n' '|'); profiles: $(grep "^lockvm " $PROFILES | tr '\n' ' ')"
	check "package postinst configure loads the lockvm profile in enforce mode (AppArmor branch)" loaded
	why="no /var/cache/apparmor/*/usr.bin.lockvm: $(find /var/cache/apparmor | tr '\n' ' ')"
	check "package postinst caches the compiled profile (apparmor_parser -W)" cached
	# The profile the postinst loaded confines lockvm as the harness's did.
	out=$(timeout -k 5 60 $L check 2>&1)
	why="$(echo "$out" | grep -i apparmor | tr '\n' '|')"
	check "lockvm check under the profile the postinst loaded: AppArmor enforcing" sh -c 'echo "$1" | grep -q "PASS  apparmor: enabled"' - "$out"
	# postrm purge: the cached profile goes with the package.
	why="postrm: $(sh $D/postrm purge 2>&1 | tr '\n' '|'); $(ls /var/cache/apparmor/*/ 2>&1 | tr '\n' ' ')"
	check "package postrm purge removes the cached profile" sh -c '! ls /var/cache/apparmor/*/usr.bin.lockvm >/dev/null 2>&1'
else
	# The module store init put in /var/lib/selinux/default: the reference
	# policy's as Debian installs it, without lockvm (this boot's running
	# policy was linked on the host from that store plus lockvm and the
	# test-only lockvm_e2e, see tests/e2e/run.sh). postinst configure must
	# install the package's module into it (semodule -i, which rebuilds and
	# loads the policy) and postrm purge take it out again, leaving the
	# store as it found it.
	S=/var/lib/selinux/default
	FC=/etc/selinux/default/contexts/files/file_contexts
	# store_sums FILE: a checksum of each file of the store in FILE,
	# commit_num aside (semodule counts its commits there).
	store_sums() { (cd $S && find . -type f ! -name commit_num | sort | xargs md5sum) >"$1"; }
	# in_policy CONTEXT: the running kernel policy knows CONTEXT's type.
	in_policy() { printf %s "$1" >/sys/fs/selinux/context 2>/dev/null; }
	not_in_policy() { ! in_policy "$1"; }
	both_gone() { wait_gone "$1" && wait_gone "$2"; }
	# uptime_since T: seconds since uptime T, for the log.
	uptime_since() { awk -v t="$1" '{ printf "%.1f", $1 - t }' /proc/uptime; }
	LOCKVM_T=system_u:system_r:lockvm_t:s0
	modules_before=$(semodule -l 2>&1)
	store_sums /tmp/store.before
	why="semodule -l: $(echo "$modules_before" | grep lockvm | tr '\n' ' ')"
	check "package: the module store has no lockvm module before the postinst" \
		sh -c '! echo "$1" | grep -q "^lockvm"' - "$modules_before"
	# A host before the package: the kernel runs the store's own policy
	# (the reference policy alone, as Debian's selinux-policy-default
	# installed it), so that what the postinst loads is all lockvm has.
	out=$($P load $S/active/policy.kern /sys/fs/selinux/load 2>&1)
	why="loading $S/active/policy.kern: $out"
	check "package: before the postinst, the running policy (the store's own) has no lockvm_t" \
		not_in_policy $LOCKVM_T
	# postinst configure: selinuxenabled says yes, semodule -i installs
	# the module, restorecon labels the package's paths.
	t0=$(cut -d' ' -f1 /proc/uptime)
	out=$(timeout -k 5 180 sh $D/postinst configure 2>&1)
	rc=$?
	log "postinst configure: exit $rc in $(uptime_since "$t0") s: $(echo "$out" | tr '\n' '|')"
	why="exit $rc: $(echo "$out" | tail -n 3 | tr '\n' '|')"
	check "package postinst configure exits 0 (SELinux branch)" test $rc -eq 0
	why="semodule -l: $(semodule -l 2>&1 | grep lockvm | tr '\n' ' ')"
	check "package postinst configure installs the lockvm module (semodule -l lists it)" \
		sh -c 'semodule -l | grep -qx lockvm'
	check "package postinst configure loads it: the running policy knows lockvm_t" in_policy $LOCKVM_T
	# A VM started under the policy the postinst loaded (the reference
	# policy and the package's module, no test-only rule): the module's
	# own transitions put the supervisor in lockvm_t and its VMM in
	# lockvm_vm_t, with no denial.
	dmesg -c >/dev/null
	if run_detached pkg $GUEST 600; then
		x=$($L inspect pkg --json 2>&1)
		echo "$x" >/tmp/pkg.json
		sup_p=$(json_field /tmp/pkg.json pid) vmm_p=$(json_field /tmp/pkg.json vmm_pid)
		sup_ctx=$(tr -d '\0' </proc/"$sup_p"/attr/current 2>/dev/null)
		vmm_ctx=$(tr -d '\0' </proc/"$vmm_p"/attr/current 2>/dev/null)
		why="supervisor $sup_p '$sup_ctx', VMM $vmm_p '$vmm_ctx'"
		check "a VM under the postinst's policy: supervisor in lockvm_t, VMM in lockvm_vm_t" sh -c '
			case "$1" in system_u:system_r:lockvm_t:*) ;; *) exit 1 ;; esac
			case "$2" in system_u:system_r:lockvm_vm_t:s0:c[0-9]*,c[0-9]*) ;; *) exit 1 ;; esac' - "$sup_ctx" "$vmm_ctx"
		x=$(timeout 60 $L stop pkg 2>&1) || log "lockvm stop pkg: $(echo "$x" | tr '\n' '|')"
		why="supervisor $sup_p, VMM $vmm_p"
		check "the VM under the postinst's policy ends after lockvm stop" both_gone "$sup_p" "$vmm_p"
		n=$(dmesg | grep -Ec "$DENIED_RE")
		why="$(dmesg | grep -E "$DENIED_RE" | head -n 3 | tr '\n' '|')"
		check "no AVC denial for a VM under the postinst's policy" test "$n" -eq 0
	else
		fail "a VM under the postinst's policy: VM pkg did not start (see the FAIL above)"
	fi
	# postrm purge: semodule -r takes the module out, and with it lockvm_t
	# from the running policy; the store is what it was before.
	t0=$(cut -d' ' -f1 /proc/uptime)
	out=$(timeout -k 5 180 sh $D/postrm purge 2>&1)
	rc=$?
	log "postrm purge: exit $rc in $(uptime_since "$t0") s: $(echo "$out" | tr '\n' '|')"
	why="exit $rc: $(echo "$out" | tail -n 3 | tr '\n' '|')"
	check "package postrm purge exits 0 (SELinux branch)" test $rc -eq 0
	modules_after=$(semodule -l 2>&1)
	why="$(echo "$modules_after" | grep lockvm | tr '\n' ' ')"
	check "package postrm purge removes the lockvm module (semodule -l as before the postinst)" \
		test "$modules_after" = "$modules_before"
	check "package postrm purge unloads it: the running policy has no lockvm_t" not_in_policy $LOCKVM_T
	store_sums /tmp/store.after
	why="$(diff /tmp/store.before /tmp/store.after | grep '^[-+][^-+]' | head -n 3 | tr '\n' '|')"
	check "package postrm purge leaves the module store as it was (every file but commit_num)" \
		cmp -s /tmp/store.before /tmp/store.after
	why="$(grep -c lockvm $FC) lockvm lines in $FC"
	check "package postrm purge leaves no lockvm file context" sh -c '! grep -q lockvm "$1"' - $FC
	why="$(ls -d /run/lockvm /var/log/lockvm 2>&1 | tr '\n' ' ')"
	check "package postrm purge removes /run/lockvm and /var/log/lockvm" \
		sh -c '[ ! -e /run/lockvm ] && [ ! -e /var/log/lockvm ]'
fi
