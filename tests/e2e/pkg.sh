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
	# This boot loads a monolithic policy built on the host (make sepolicy):
	# it has no module store, so semodule cannot run here.
	skip "package postinst/postrm SELinux branch (semodule -i/-r): this boot's policy has no module store"
fi
