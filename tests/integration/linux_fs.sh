#!/usr/bin/env bash
# --linux --fs: the host tree served lazily (--fs / included), PROGRAM found inside it, and every way out refused.
. "$(dirname "$0")/../lib.sh"
if ! have_kvm; then skip "linux_fs: /dev/kvm is not usable here"; exit 0; fi
LX=$B/tests/linux
BUSYBOX=$(command -v busybox || true)

# A tree whose /etc/passwd is its own, with links, a FIFO, a device node and a
# hard link to a root-only file placed by the host. World-readable, as the VMM
# runs as the VM's uid.
FS=$T_TMP/fs
mkdir -p "$FS/etc" "$FS/bin" "$FS/chain" "$FS/sw/d"
chmod 755 "$T_TMP"
echo "tree passwd" >"$FS/etc/passwd"
echo "inside" >"$FS/sw/d/passwd"
ln -s /etc/passwd "$FS/abs"
ln -s ../../../../../../../etc/passwd "$FS/rel"
ln -s /etc/passwd "$FS/chain/l1"
for i in $(seq 2 41); do ln -s "l$((i - 1))" "$FS/chain/l$i"; done
mkfifo "$FS/fifo"
mknod "$FS/null" c 1 3
echo "root only" >"$T_TMP/secret" && chmod 600 "$T_TMP/secret"
ln "$T_TMP/secret" "$FS/hard"
cp "$LX/lx_fsesc.glibc" "$FS/bin/"
before=$(cd "$FS" && find . -printf '%p %s %m %T@\n' | sort | sha256sum)

# The FIFO must never be opened: a writer blocked on it stays blocked.
(exec 3>"$FS/fifo"; echo opened) >"$T_TMP/fifo-writer" 2>&1 &
writer=$!
expect "escapes: every open of the tree's ways out is refused or stays inside" 0 "trunc: EROFS" \
	"$LOCKVM" run --linux --fs "$FS" lx_fsesc.glibc
want='dotdot: opened "tree passwd"
abs-link: opened "tree passwd"
rel-link: opened "tree passwd"
chain40: opened "tree passwd"
chain41: ELOOP
fifo: EACCES
device: EACCES
hardlink: EACCES
path4095: opened "tree passwd"
path4096: ENAMETOOLONG
write: EROFS
create: EROFS
trunc: EROFS'
while IFS= read -r line; do
	grep -qxF -- "$line" <<<"$out" && pass "escape: $line" || fail "escape: want '$line', got $(tr '\n' '|' <<<"$out")"
done <<<"$want"
sleep 0.2
if kill -0 "$writer" 2>/dev/null && ! grep -q opened "$T_TMP/fifo-writer"; then
	pass "the host's FIFO was never opened (its writer still waits)"
else
	fail "the FIFO in the tree was opened on the host"
fi
kill "$writer" 2>/dev/null; wait "$writer" 2>/dev/null
after=$(cd "$FS" && find . -printf '%p %s %m %T@\n' | sort | sha256sum)
[ "$before" = "$after" ] && pass "the host tree is unchanged" || fail "the host tree changed"

# A host process swaps a directory of the tree for a symlink to /etc while the job opens files under it.
(
	while :; do
		mv -T "$FS/sw/d" "$FS/sw/d.real" 2>/dev/null
		ln -s /etc "$FS/sw/d" 2>/dev/null
		sleep 0.001
		rm -f "$FS/sw/d" 2>/dev/null
		mv -T "$FS/sw/d.real" "$FS/sw/d" 2>/dev/null
	done
) &
swapper=$!
expect "a directory swapped for a symlink to /etc during the run: /etc never read" 0 "0 leaked" \
	"$LOCKVM" run --linux --fs "$FS" lx_fsesc.glibc -- loop /sw/d/passwd 3000
kill "$swapper"; wait "$swapper" 2>/dev/null
grep -qE "loop: 3000 opens, [1-9][0-9]* read" <<<"$out" && pass "the swapped directory was read while it was one" ||
	fail "swap loop read nothing: $out"

# PROGRAM inside the tree: a path in it, a name through PATH, not a host path.
expect "PROGRAM through PATH inside the tree" 0 "tree passwd" \
	"$LOCKVM" run --linux --fs "$FS" lx_fsesc.glibc
expect "PROGRAM absent from the tree is refused" 125 "lx_hello.glibc: No such file or directory in --fs $FS" \
	"$LOCKVM" run --linux --fs "$FS" lx_hello.glibc
expect "PROGRAM as a host path outside the tree is refused" 125 "No such file or directory in --fs" \
	"$LOCKVM" run --linux --fs "$FS" "$LX/lx_hello.glibc"
expect "PROGRAM through a symlink climbing out stays inside" 125 "Permission denied in --fs" \
	"$LOCKVM" run --linux --fs "$FS" /rel
ln -s "$LX/lx_hello.glibc" "$FS/bin/host-hello"
expect "PROGRAM through an absolute symlink to a host program resolves in the tree" 125 \
	"bin/host-hello: No such file or directory in --fs" "$LOCKVM" run --linux --fs "$FS" /bin/host-hello
expect "--fs of a file is refused" 125 "Not a directory" \
	"$LOCKVM" run --linux --fs "$FS/etc/passwd" lx_fsesc.glibc

# --fs /: the host's whole root, read lazily; its own programs by name; mounts below it not crossed.
if [ -z "$BUSYBOX" ] || ! file -L "$BUSYBOX" | grep -q "statically linked"; then
	skip "linux_fs: busybox-static is not installed (apt-get install busybox-static)"
else
	host_sum=$(sha256sum "$BUSYBOX" /etc/os-release)
	expect "--fs /: sha256sum of host files by a program found on PATH" 0 "" \
		"$LOCKVM" run --linux --fs / busybox -- sha256sum "$BUSYBOX" /etc/os-release
	[ "$out" = "$host_sum" ] && pass "--fs /: the sums equal the host's" || fail "--fs /: $out vs $host_sum"
	expect "--fs /: the host's /proc (a mount below /) is not crossed" 0 "" \
		"$LOCKVM" run --linux --fs / busybox -- ls /proc
	[ -z "$out" ] && pass "--fs /: /proc is an empty mount point" || fail "--fs /: /proc lists $(head -c 200 <<<"$out")"
	expect "--fs /: a root-only host file is not readable" 1 "Permission denied" \
		"$LOCKVM" run --linux --fs / busybox -- cat /etc/shadow
	# dynamic programs need issue 16's PT_INTERP: sha256sum from coreutils is one
	if file -L /usr/bin/sha256sum | grep -q "dynamically linked"; then
		skip "linux_fs: coreutils sha256sum under --fs / needs the dynamic loader (issue 16, PT_INTERP)"
	fi
fi
