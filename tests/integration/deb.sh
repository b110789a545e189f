#!/usr/bin/env bash
# make deb: the package builds, passes lintian without errors, and installs
# into a test root where the installed lockvm really runs. The test root is
# the host's own root under an overlay whose upper layer is a private tmpfs
# (a private mount namespace; the host's / is never written), entered with
# pivot_root (a chroot would refuse user namespaces), with the build tree
# hidden under an empty tmpfs. dpkg -i runs the maintainer scripts there;
# after dpkg --purge the upper layer must hold nothing of lockvm's.
. "$(dirname "$0")/../lib.sh"

have_kvm || { skip "deb: no usable /dev/kvm"; exit 0; }
command -v systemd-tmpfiles >/dev/null ||
	{ skip "deb: no systemd-tmpfiles here, the postinst would make nothing to see"; exit 0; }
[ "$(id -u)" -eq 0 ] || { skip "deb: needs root (mount namespace, overlay)"; exit 0; }
confined "deb: the packaged lockvm runs a confined VM" || exit 0
command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null && command -v lintian >/dev/null ||
	{ fail "deb: dpkg-dev, debhelper or lintian missing (make deps installs them)"; exit 0; }

start=$(date +%s)
out=$(timeout -k 10 600 make -s -C "$TOP" BUILD="${LOCKVM_BUILD:-build}" deb 2>&1)
rc=$?
version=$(dpkg-parsechangelog -l "$TOP/debian/changelog" -S Version)
DEB=$B/lockvm_${version}_amd64.deb
if [ "$rc" -ne 0 ] || [ ! -f "$DEB" ]; then
	fail "make deb: exit $rc: $(tail -n 5 <<<"$out" | tr '\n' '|')"
	exit 0
fi
pass "make deb builds $(basename "$DEB") in $(($(date +%s) - start)) s"
junk=$(ls "$TOP" | grep -E '\.(deb|changes|buildinfo)$'; ls "$TOP/.." | grep -E '^lockvm.*\.(deb|changes|buildinfo)$')
[ -z "$junk" ] && pass "make deb leaves nothing at the top level or in the parent directory" ||
	fail "make deb left: $junk"

out=$(timeout -k 10 300 lintian "$DEB" 2>&1)
rc=$?
errors=$(grep '^E:' <<<"$out")
[ "$rc" -eq 0 ] && [ -z "$errors" ] && pass "lintian finds no error in the package" ||
	fail "lintian: exit $rc: $(tr '\n' '|' <<<"${errors:-$out}" | tail -c 400)"

# The package's idea of lockvm's version is the program's.
[ "$("$LOCKVM" version | awk '{print $2}')" = "$version" ] &&
	pass "lockvm version is debian/changelog's $version" ||
	fail "lockvm version '$("$LOCKVM" version)' differs from debian/changelog's $version"

. "$TOP/tests/lib_root.sh"
L=$T_TMP/layer
mkdir -p "$L"
root_script_head >"$T_TMP/inside.sh"
cat >>"$T_TMP/inside.sh" <<INSIDE
mkdir -p "$L/upper" "$L/work" "$L/merged"
mount -t overlay lockvm-deb-root -o lowerdir=/,upperdir="$L/upper",workdir="$L/work" "$L/merged"
root_prepare "$L/merged"
# A fresh host as far as lockvm goes: /run a tmpfs (as booted hosts have
# it), none of the state other lockvm runs left on this one.
mount -t tmpfs lockvm-deb-run "$L/merged/run"
rm -rf "$L/merged/var/log/lockvm" "$L/merged/var/lib/lockvm" "$L/merged/etc/lockvm"
mkdir -p "$L/merged/tmp/upper"
mount --bind -o ro "$L/upper" "$L/merged/tmp/upper"
cp "$DEB" "$L/merged/tmp/lockvm.deb"
root_enter "$L/merged" '
	# What the root holds beyond the host'"'"'s before the package comes:
	# files, links and whiteouts (a deleted host file), but for dpkg'"'"'s
	# own records, logs and the caches its triggers rebuild.
	layer() {
		(cd /tmp/upper && find . \( -type f -o -type l -o -type c \) \
			! -path "./var/lib/dpkg/*" ! -path "./var/log/*" ! -path "./var/cache/*" \
			! -path "./etc/ld.so.cache" -printf "%y %P\n" | sort)
	}
	layer >/tmp/before
	dpkg -i /tmp/lockvm.deb >/tmp/dpkg.out 2>&1; echo "DPKG-I-RC \$?"
	sed "s/^/DPKG-OUT /" /tmp/dpkg.out | tail -n 5
	# The postinst ran: its tmpfiles.d step made /run/lockvm.
	[ "\$(stat -c %a /run/lockvm 2>/dev/null)" = 700 ] && echo POSTINST-RAN
	installed_checks
	man -w lockvm-vm.conf >/dev/null 2>&1 && echo MAN-FOUND
	dpkg --purge lockvm >/tmp/purge.out 2>&1; echo "PURGE-RC \$?"
	test -e /run/lockvm && echo "LEFT /run/lockvm"
	layer | comm -13 /tmp/before - | sed "s/^/LEFT /"
	layer | comm -23 /tmp/before - | sed "s/^/LEFT removed: /"
'
INSIDE
out=$(timeout -k 10 300 unshare -m --propagation private bash "$T_TMP/inside.sh" 2>&1)
grep -qx "DPKG-I-RC 0" <<<"$out" && grep -qx POSTINST-RAN <<<"$out" &&
	pass "dpkg -i installs the package and runs its postinst" ||
	fail "dpkg -i: $(grep -E '^(DPKG|POSTINST)' <<<"$out" | tr '\n' '|' | tail -c 400)"
root_judge "the packaged lockvm"
grep -qx MAN-FOUND <<<"$out" && pass "man finds the packaged lockvm-vm.conf(5)" ||
	fail "man -w lockvm-vm.conf found nothing in the test root"
left=$(sed -n 's/^LEFT //p' <<<"$out" | tr '\n' ' ')
if grep -qx "PURGE-RC 0" <<<"$out" && [ -z "$left" ]; then
	pass "dpkg --purge leaves the root as it was"
else
	fail "dpkg --purge: $(grep PURGE-RC <<<"$out"); left: ${left:-nothing}"
fi
