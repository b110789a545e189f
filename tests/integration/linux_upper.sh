#!/usr/bin/env bash
# --linux upper layer: hard links in memory (link, linkat), rename of lower directories, as lx_link checks; the lower tree unchanged.
. "$(dirname "$0")/../lib.sh"
if ! have_kvm; then skip "linux_upper: /dev/kvm is not usable here"; exit 0; fi
LX=$B/tests/linux

# A small lower tree: files, a directory with children to rename, a tree two deep.
UP=$T_TMP/tree
make_tree() { # $1 = where
	mkdir -p "$1/bin" "$1/etc" "$1/data/sub" "$1/deep/inner" "$1/deep/other" "$1/ldir/sub" "$1/linkdir"
	printf 'hello\n' >"$1/etc/f"
	echo g >"$1/etc/g"
	echo aaa >"$1/data/a"
	echo y >"$1/data/sub/y"
	echo z >"$1/deep/inner/z"
	echo o >"$1/deep/other/o"
	echo x >"$1/ldir/x"
	echo y >"$1/ldir/sub/y"
}
make_tree "$UP"
cp "$LX"/lx_link.* "$UP/bin/"
mkdir -p "$T_TMP/vol-glibc" "$T_TMP/vol-musl"
chmod -R a+rX "$T_TMP"
chmod a+rwx "$T_TMP/vol-glibc" "$T_TMP/vol-musl"
tree_sum() { (cd "$UP" && find . -printf '%p %s %m %T@\n' | sort && find . -type f -exec sha256sum {} + | sort) | sha256sum; }
before=$(tree_sum)

# The checks pass natively on a copy of the tree (they say what Linux does).
make_tree "$T_TMP/native"
mkdir -p "$T_TMP/native-tmp"
native=$("$LX/lx_link.glibc" "$T_TMP/native" "$T_TMP/native-tmp" - 2>&1)
grep -qxF "all checks passed" <<<"$native" && pass "lx_link passes natively" ||
	fail "lx_link natively: $(grep -A1 FAILED <<<"$native" | tr '\n' '|')"

for libc in glibc musl; do
	[ -x "$LX/lx_link.$libc" ] || { skip "linux_upper: lx_link.$libc not built (musl-gcc missing)"; continue; }
	run_capture "$LOCKVM" run --linux --fs "$UP" --volume "$T_TMP/vol-$libc:/vol" "lx_link.$libc" -- / /tmp /vol
	while IFS= read -r line; do
		case $line in
		"ok "*) pass "$libc: ${line#ok }" ;;
		"FAILED "*) fail "$libc: ${line#FAILED }" ;;
		esac
	done <<<"$out"
	[ "$rc" -eq 0 ] && grep -qxF "all checks passed" <<<"$out" &&
		pass "$libc: lx_link: every check ran in the VM" ||
		fail "$libc: lx_link: exit $rc: $(grep -A1 FAILED <<<"$out" | tail -n 6 | tr '\n' '|')"
done
[ "$before" = "$(tree_sum)" ] && pass "the lower tree is unchanged after links and renames" ||
	fail "the lower tree changed"
