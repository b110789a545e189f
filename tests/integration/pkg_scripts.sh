#!/usr/bin/env bash
# The Debian package's maintainer scripts choose their MAC branch right:
# debian/lockvm.postinst and lockvm.postrm run here with stand-ins for
# selinuxenabled, semodule, restorecon, aa-enabled and apparmor_parser
# first on PATH, which say "enabled" or not and write down how they were
# called. Only configure and remove are run (purge deletes host paths).
# The real branches run under enforcing kernels in make e2e
# (tests/e2e/pkg.sh); this is the quick check that make mutate uses.
. "$(dirname "$0")/../lib.sh"

S=$T_TMP/bin
CALLS=$T_TMP/calls
mkdir -p "$S"
# stub NAME BODY: a stand-in that logs its arguments, then runs BODY.
stub() {
	printf '#!/bin/sh\necho "%s $*" >>"%s"\n%s\n' "$1" "$CALLS" "$2" >"$S/$1"
	chmod +x "$S/$1"
}
stub selinuxenabled 'exit $STUB_SELINUX'
stub aa-enabled 'exit $STUB_APPARMOR'
stub semodule '[ "$1" = -l ] && cat "$STUB_MODULES"; exit 0'
stub restorecon 'exit 0'
stub apparmor_parser 'exit 0'

# script NAME ARG SELINUX APPARMOR [MODULE...]: runs debian/lockvm.NAME ARG
# with SELinux and AppArmor enabled (0) or not (1), semodule -l listing
# MODULE...; the MAC commands it ran, one line, in $calls; its status in $rc.
script() {
	local name=$1 arg=$2
	: >"$CALLS"
	printf '%s\n' "${@:5}" >"$T_TMP/modules"
	STUB_SELINUX=$3 STUB_APPARMOR=$4 STUB_MODULES=$T_TMP/modules PATH="$S:/usr/bin:/bin" \
		sh "$TOP/debian/lockvm.$name" "$arg" >"$T_TMP/out" 2>&1
	rc=$?
	calls=$(grep -Ev '^(selinuxenabled|aa-enabled)' "$CALLS" | grep -v '^restorecon ' | tr '\n' ';')
}
# want WHAT CALLS: the last script exited 0 and ran exactly CALLS.
want() {
	[ "$rc" -eq 0 ] && [ "$calls" = "$2" ] && pass "$1" ||
		fail "$1: exit $rc, ran '$calls', want '$2' ($(tr '\n' '|' <"$T_TMP/out"))"
}

PP=/usr/share/selinux/packages/lockvm/lockvm.pp
script postinst configure 0 1
want "postinst configure, SELinux enabled: semodule -i the installed module" "semodule -i $PP;"
script postinst configure 1 0
want "postinst configure, AppArmor enabled: apparmor_parser -r -T -W the supervisor's profile" \
	"apparmor_parser -r -T -W /etc/apparmor.d/usr.bin.lockvm;"
script postinst configure 1 1
want "postinst configure, no MAC enabled: no MAC command" ""
script postinst abort-upgrade 0 0
want "postinst abort-upgrade: no MAC command" ""

script postrm remove 0 1 base lockvm
want "postrm remove, SELinux enabled, module installed: semodule -r lockvm" "semodule -l;semodule -r lockvm;"
script postrm remove 0 1 base lockvm_other
want "postrm remove, SELinux enabled, no lockvm module: nothing removed" "semodule -l;"
script postrm upgrade 0 1 base lockvm
want "postrm upgrade: the module stays" ""
script postrm remove 1 1 base lockvm
want "postrm remove, SELinux disabled: no semodule" ""
