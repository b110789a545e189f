#!/usr/bin/env bash
# make install / make uninstall: the installed lockvm runs from its installed
# paths alone. It is installed with DESTDIR into a private tmpfs, seen at
# the real paths through an overlay of it on the host's own root (in a
# private mount namespace, never the host's /), and run there
# with the build tree hidden under an empty tmpfs: check, a confined run
# and audit seccomp must work with nothing of the build tree in reach.
. "$(dirname "$0")/../lib.sh"

have_kvm || { skip "install: no usable /dev/kvm"; exit 0; }
[ "$(id -u)" -eq 0 ] || { skip "install: needs root (mount namespace, overlay)"; exit 0; }
confined "install: the installed lockvm runs a confined VM" || exit 0

. "$TOP/tests/lib_root.sh"
L=$T_TMP/layer
mkdir -p "$L"
root_script_head >"$T_TMP/inside.sh"

# Run inside the namespace: install, overlay, enter. Everything it prints
# comes back to this script, which judges it.
cat >>"$T_TMP/inside.sh" <<INSIDE
mkdir -p "$L/dest" "$L/merged"
make -s -C "$TOP" BUILD="${LOCKVM_BUILD:-build}" install DESTDIR="$L/dest" PREFIX=/usr >"$L/install.log" 2>&1 ||
	{ echo "MAKE-INSTALL-FAILED"; tail -n 5 "$L/install.log"; exit 1; }
# Installed files over the host's root: the binary finds /usr/libexec/lockvm,
# /usr/share/lockvm as installed, and host libraries as they are.
mount -t overlay lockvm-install-view -o lowerdir="$L/dest":/ "$L/merged"
root_prepare "$L/merged"
root_enter "$L/merged" installed_checks
INSIDE
out=$(timeout -k 10 300 unshare -m --propagation private bash "$T_TMP/inside.sh" 2>&1)
if grep -q MAKE-INSTALL-FAILED <<<"$out"; then
	fail "make install DESTDIR: $(tr '\n' '|' <<<"$out" | tail -c 300)"
	exit 0
fi
root_judge "make install DESTDIR"

# make uninstall removes every file make install put there, and an
# administrator's lockvm.conf survives both.
U=$T_TMP/uninst
run_capture make -s -C "$TOP" BUILD="${LOCKVM_BUILD:-build}" install DESTDIR="$U" PREFIX=/usr
[ "$rc" -eq 0 ] || fail "make install DESTDIR=$U: $(tail -n 3 <<<"$out" | tr '\n' '|')"
n=$(find "$U" -type f | wc -l)
run_capture make -s -C "$TOP" BUILD="${LOCKVM_BUILD:-build}" uninstall DESTDIR="$U" PREFIX=/usr
left=$(find "$U" \( -type f -o -type l \) -printf '%P ' 2>/dev/null)
if [ "$rc" -eq 0 ] && [ "$n" -gt 20 ] && [ -z "$left" ]; then
	pass "make uninstall removes all $n installed files"
else
	fail "make uninstall: exit $rc, $n installed, left: ${left:-nothing}"
fi
left=$(find "$U" -mindepth 1 -printf '%P\n' 2>/dev/null | grep lockvm | tr '\n' ' ')
[ -z "$left" ] && pass "make uninstall leaves no lockvm directory" || fail "make uninstall left: $left"

mkdir -p "$U/etc/lockvm"
printf '[uids]\nrange = 3000000000-3000000099\n' >"$U/etc/lockvm/lockvm.conf"
cp "$U/etc/lockvm/lockvm.conf" "$T_TMP/admin.conf"
make -s -C "$TOP" BUILD="${LOCKVM_BUILD:-build}" install DESTDIR="$U" PREFIX=/usr >/dev/null 2>&1
cmp -s "$T_TMP/admin.conf" "$U/etc/lockvm/lockvm.conf" && pass "make install keeps an existing lockvm.conf" ||
	fail "make install overwrote /etc/lockvm/lockvm.conf"
make -s -C "$TOP" BUILD="${LOCKVM_BUILD:-build}" uninstall DESTDIR="$U" PREFIX=/usr >/dev/null 2>&1
cmp -s "$T_TMP/admin.conf" "$U/etc/lockvm/lockvm.conf" && pass "make uninstall keeps an edited lockvm.conf" ||
	fail "make uninstall removed the administrator's lockvm.conf"

# The bash completion make install installs offers lockvm's own commands.
words=$(PATH="$B:$PATH" bash -c '. "$1"; COMP_WORDS=(lockvm --root /x und); COMP_CWORD=3; _lockvm
	echo "${COMPREPLY[*]}"' sh "$TOP/completion/lockvm.bash")
[ "$words" = "undefine" ] && pass "bash completion: 'lockvm --root /x und' offers undefine" ||
	fail "bash completion: 'lockvm --root /x und' offers '$words', want 'undefine'"
