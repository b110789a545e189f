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
expect "escapes: every open of the tree's ways out is refused or stays inside (--fs-upper none)" 0 \
	"trunc: EROFS" "$LOCKVM" run --linux --fs "$FS" --fs-upper none lx_fsesc.glibc
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
# With the default upper layer the same writes succeed, in memory only.
expect "escapes: writes to the tree go to the upper layer" 0 'trunc: opened' \
	"$LOCKVM" run --linux --fs "$FS" lx_fsesc.glibc
grep -qxF 'write: opened ""' <<<"$out" && grep -qxF 'create: opened ""' <<<"$out" &&
	pass "upper layer: the write-open and the create succeed" || fail "upper layer: $(tr '\n' '|' <<<"$out")"
after=$(cd "$FS" && find . -printf '%p %s %m %T@\n' | sort | sha256sum)
[ "$before" = "$after" ] && pass "the host tree is unchanged" || fail "the host tree changed"

# A host process swaps a directory of the tree for a symlink to /etc while the job opens files under it.
swap_for_symlink "$FS/sw/d" /etc
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
	expect "--fs /: the host's /proc (a mount below /) is not crossed" 0 "self" \
		"$LOCKVM" run --linux --fs / busybox -- ls /proc
	! grep -qx "$$" <<<"$out" && grep -qx 1 <<<"$out" && pass "--fs /: /proc is the VM's (linux_procfs.c), no host pid in it" ||
		fail "--fs /: /proc lists $(head -c 200 <<<"$out")"
	expect "--fs /: a root-only host file is not readable" 1 "Permission denied" \
		"$LOCKVM" run --linux --fs / busybox -- cat /etc/shadow
	# /dev is the VMM's own: no host device node is reached, under --fs / too
	expect "/dev: the VMM's nodes, not the host's" 0 "urandom" "$LOCKVM" run --linux --fs / busybox -- ls /dev
	[ "$(tr '\n' ' ' <<<"$out")" = "fd full null ptmx pts random shm stderr stdin stdout tty urandom zero " ] &&
		pass "/dev lists exactly its thirteen entries (shm a tmpfs, pts and ptmx: linux_pty.c)" || fail "/dev lists: $(tr '\n' ' ' <<<"$out")"
	# /sys is the VMM's own too: the VM's vCPUs in the files glibc's sysconf reads
	expect "/sys/devices/system/cpu/online and possible: cpu 0 (--vcpus 1)" 0 "0" \
		"$LOCKVM" run --linux --vcpus 1 --fs / busybox -- cat /sys/devices/system/cpu/online /sys/devices/system/cpu/possible
	[ "$(tr '\n' ' ' <<<"$out")" = "0 0 " ] && pass "/sys cpu online and possible are '0' on one vCPU" || fail "/sys cpu files: $out"
	expect "/sys/devices/system/cpu lists cpu0..cpu2, online, possible (--vcpus 3)" 0 "cpu0" \
		"$LOCKVM" run --linux --vcpus 3 --fs / busybox -- sh -c 'ls /sys/devices/system/cpu; cat /sys/devices/system/cpu/online'
	[ "$(tr '\n' ' ' <<<"$out")" = "cpu0 cpu1 cpu2 online possible 0-2 " ] &&
		pass "/sys cpu directory: one cpuN per vCPU, online '0-2'" ||
		fail "/sys cpu directory lists: $(tr '\n' ' ' <<<"$out")"
	expect "/sys is read-only" 1 "Read-only file system" "$LOCKVM" run --linux --fs / busybox -- touch /sys/x
	expect "/dev/zero reads zeros" 0 "" "$LOCKVM" run --linux --fs / busybox -- dd if=/dev/zero bs=4096 count=2
	n=$("$LOCKVM" run --linux --fs / busybox -- dd if=/dev/zero bs=4096 count=2 2>/dev/null | od -An -v -tx1 | tr -d ' \n' | tr -d 0 | wc -c)
	[ "$n" = 0 ] && pass "/dev/zero: 8 KiB of zero bytes" || fail "/dev/zero gave non-zero bytes"
	n=$("$LOCKVM" run --linux --fs / busybox -- dd if=/dev/urandom bs=64 count=4 2>/dev/null | wc -c)
	[ "$n" = 256 ] && pass "/dev/urandom: 256 bytes read" || fail "/dev/urandom gave $n bytes"
	expect "/dev/null reads empty" 0 "" "$LOCKVM" run --linux --fs / busybox -- cat /dev/null
	[ -z "$out" ] && pass "/dev/null: nothing" || fail "/dev/null gave: $out"
	expect "/dev/null and /dev/zero: character devices 1,3 and 1,5" 0 "1,5 character special file" \
		"$LOCKVM" run --linux --fs / busybox -- stat -c '%t,%T %F' /dev/null /dev/zero
	grep -qxF "1,3 character special file" <<<"$out" && pass "/dev/null is 1,3" || fail "/dev/null stat: $out"
	expect "/dev/full: a write gives ENOSPC" 1 "No space left on device" \
		"$LOCKVM" run --linux --fs / busybox -- cp /etc/os-release /dev/full
	v=$(echo "through /dev/stdin" | "$LOCKVM" run --linux --fs / busybox -- cat /dev/stdin 2>&1)
	[ "$v" = "through /dev/stdin" ] && pass "/dev/stdin is the runner's stdin" || fail "/dev/stdin: $v"
	v=$("$LOCKVM" run --linux --fs / busybox -- cp /etc/os-release /dev/fd/2 2>&1 >/dev/null)
	[ "$v" = "$(cat /etc/os-release)" ] && pass "/dev/fd/2 is the program's stderr" || fail "/dev/fd/2: $(head -c 100 <<<"$v")"
	# coreutils' sha256sum is dynamic: the VMM loads ld.so from the tree (PT_INTERP)
	expect "--fs /: coreutils sha256sum (dynamically linked) runs" 0 "" \
		"$LOCKVM" run --linux --fs / /usr/bin/sha256sum /etc/os-release
	[ "$out" = "$(sha256sum /etc/os-release)" ] && pass "--fs /: sha256sum matches the host's" ||
		fail "--fs /: sha256sum gave: $out"
fi

# File calls (rename, symlink, chmod, chown, utimensat, truncate, fallocate, statfs,
# memfd_create, xattrs, flock, fsync, statx) in /tmp; the tree refuses changes.
cp "$LX"/lx_fscalls.* "$FS/bin/"
tree_sum() { (cd "$FS" && find . -printf '%p %s %m %T@\n' | sort | sha256sum); }
calls_before=$(tree_sum)
for libc in glibc musl; do
	[ -x "$LX/lx_fscalls.$libc" ] || { skip "linux_fs: lx_fscalls.$libc not built (musl-gcc missing)"; continue; }
	mkdir -p "$T_TMP/native-$libc"
	native=$("$LX/lx_fscalls.$libc" "$T_TMP/native-$libc" - 2>&1)
	grep -qxF "all checks passed" <<<"$native" && pass "$libc: lx_fscalls passes natively" ||
		fail "$libc: lx_fscalls natively: $(grep FAILED <<<"$native" | tr '\n' '|')"
	run_capture "$LOCKVM" run --linux --fs "$FS" --fs-upper none "lx_fscalls.$libc" -- /tmp /etc/passwd
	while IFS= read -r line; do
		case $line in
		"ok "*) pass "$libc: ${line#ok }" ;;
		"FAILED "*) fail "$libc: ${line#FAILED }" ;;
		esac
	done <<<"$out"
	[ "$rc" -eq 0 ] && grep -qxF "all checks passed" <<<"$out" &&
		pass "$libc: lx_fscalls: every check ran in the VM" ||
		fail "$libc: lx_fscalls: exit $rc: $(tail -n 2 <<<"$out" | tr '\n' '|')"
done
[ "$calls_before" = "$(tree_sum)" ] && pass "the tree is unchanged after the file calls" ||
	fail "the file calls changed the host tree"

# The upper layer (--fs-upper memory, the default): writes, appends, truncates,
# renames and deletes all over a read-only lower tree; the tree never changes.
UP=$T_TMP/upper-tree
mkdir -p "$UP/bin" "$UP/etc" "$UP/data/sub" "$UP/deep/inner" "$UP/deep/other"
printf 'hello\n' >"$UP/etc/f"
echo g >"$UP/etc/g"
echo "tree passwd" >"$UP/etc/passwd"
echo aaa >"$UP/data/a.txt"
echo bbbb >"$UP/data/b.txt"
echo keep >"$UP/data/k"
echo y >"$UP/data/sub/y"
echo z >"$UP/deep/inner/z"
echo o >"$UP/deep/other/o"
cp "$LX"/lx_overlay.* "$UP/bin/"
chmod -R a+rX "$UP"
upper_sum() { (cd "$UP" && find . -printf '%p %s %m %T@\n' | sort && find . -type f -exec sha256sum {} + | sort) | sha256sum; }
upper_before=$(upper_sum)
for libc in glibc musl; do
	[ -x "$LX/lx_overlay.$libc" ] || { skip "linux_fs: lx_overlay.$libc not built (musl-gcc missing)"; continue; }
	run_capture "$LOCKVM" run --linux --fs "$UP" "lx_overlay.$libc"
	while IFS= read -r line; do
		case $line in
		"ok "*) pass "$libc: upper: ${line#ok }" ;;
		"FAILED "*) fail "$libc: upper: ${line#FAILED }" ;;
		esac
	done <<<"$out"
	[ "$rc" -eq 0 ] && grep -qxF "all checks passed" <<<"$out" &&
		pass "$libc: lx_overlay: every check ran in the VM" ||
		fail "$libc: lx_overlay: exit $rc: $(tail -n 2 <<<"$out" | tr '\n' '|')"
done
expect "upper full: a write gives ENOSPC, with the guest's own message" 0 "fill: No space left on device" \
	"$LOCKVM" run --linux --fs "$UP" --fs-upper memory:1m lx_overlay.glibc -- fill /data/big
n=$(sed -n 's/^fill: .* after \([0-9]*\) bytes$/\1/p' <<<"$out")
[ -n "$n" ] && [ "$n" -ge $((900 * 1024)) ] && [ "$n" -le $((1024 * 1024)) ] &&
	pass "upper full: about 1 MiB was written first ($n bytes)" || fail "upper full after ${n:-?} bytes"
expect "100,000 files in a 4 MiB upper layer: ENOSPC first" 0 "many: No space left on device" \
	"$LOCKVM" run --linux --fs "$UP" --fs-upper memory:4m lx_overlay.glibc -- many /data
n=$(sed -n 's/^many: .* after \([0-9]*\) files$/\1/p' <<<"$out")
[ -n "$n" ] && [ "$n" -gt 1000 ] && [ "$n" -le 16384 ] &&
	pass "100,000 files: bounded by the upper layer's size ($n made)" || fail "100,000 files: ${n:-?} made"
expect "--fs-upper none: the root is read-only" 0 "fill: Read-only file system" \
	"$LOCKVM" run --linux --fs "$UP" --fs-upper none lx_overlay.glibc -- fill /data/big
expect "--fs-upper with a bad size is refused" 125 "--fs-upper 'memory:1x': want memory" \
	"$LOCKVM" run --linux --fs "$UP" --fs-upper memory:1x lx_overlay.glibc
expect "--fs-upper without --linux is refused" 125 "need --linux" \
	"$LOCKVM" run --fs-upper none "$LX/lx_hello.glibc"
[ "$upper_before" = "$(upper_sum)" ] && pass "upper: the lower tree's names, modes and checksums are unchanged" ||
	fail "upper: the lower tree changed"

# --tmpfs: empty memory file systems with their own sizes; /tmp and /dev/shm are ones.
mkdir -p "$UP/work" && echo "lower" >"$UP/work/hidden" && chmod -R a+rX "$UP/work"
upper_before=$(upper_sum)
expect "--tmpfs /work:size=1m: statfs shows its size and use" 0 "df: 1048576 bytes, use grew, tmpfs" \
	"$LOCKVM" run --linux --fs "$UP" --tmpfs /work:size=1m lx_overlay.glibc -- df /work
expect "--tmpfs /work:size=1m filling gives ENOSPC" 0 "fill: No space left on device" \
	"$LOCKVM" run --linux --fs "$UP" --tmpfs /work:size=1m lx_overlay.glibc -- fill /work/big
n=$(sed -n 's/^fill: .* after \([0-9]*\) bytes$/\1/p' <<<"$out")
[ -n "$n" ] && [ "$n" -ge $((900 * 1024)) ] && [ "$n" -le $((1024 * 1024)) ] &&
	pass "--tmpfs: about 1 MiB was written first ($n bytes)" || fail "--tmpfs full after ${n:-?} bytes"
expect "--tmpfs hides what its mount point held in the tree" 0 "fill:" \
	"$LOCKVM" run --linux --fs "$UP" --tmpfs /work lx_overlay.glibc -- fill /work/hidden/x
grep -qF "fill: No such file or directory" <<<"$out" && pass "--tmpfs /work: the tree's /work/hidden is not seen" ||
	fail "--tmpfs /work showed the tree's entry: $out"
expect "/dev/shm is a tmpfs a quarter of --mem, at least 16 MiB" 0 "df: 16777216 bytes, use grew, tmpfs" \
	"$LOCKVM" run --linux --mem 32M --fs "$UP" lx_overlay.glibc -- df /dev/shm
expect "/dev/shm without --mem: a quarter of --linux's 1G" 0 "df: 268435456 bytes, use grew, tmpfs" \
	"$LOCKVM" run --linux --fs "$UP" lx_overlay.glibc -- df /dev/shm
expect "/tmp scales with --mem (a quarter)" 0 "df: 67108864 bytes, use grew, tmpfs" \
	"$LOCKVM" run --linux --mem 256M --fs "$UP" lx_overlay.glibc -- df /tmp
expect "--tmpfs /tmp:size=2m sets /tmp's size" 0 "df: 2097152 bytes" \
	"$LOCKVM" run --linux --fs "$UP" --tmpfs /tmp:size=2m lx_overlay.glibc -- df /tmp
expect "--tmpfs under a directory the tree lacks is refused" 125 "--tmpfs /nowhere/x: No such file or directory" \
	"$LOCKVM" run --linux --fs "$UP" --tmpfs /nowhere/x lx_overlay.glibc
expect "--tmpfs with '..' is refused" 125 "want an absolute directory path" \
	"$LOCKVM" run --linux --fs "$UP" --tmpfs /work/../etc lx_overlay.glibc
expect "--tmpfs with a bad size is refused" 125 "want GUEST_DIR[:size=SIZE]" \
	"$LOCKVM" run --linux --fs "$UP" --tmpfs /work:size=lots lx_overlay.glibc
expect "--tmpfs given twice is refused" 125 "--tmpfs /work: given twice" \
	"$LOCKVM" run --linux --fs "$UP" --tmpfs /work --tmpfs /work lx_overlay.glibc
[ "$upper_before" = "$(upper_sum)" ] && pass "--tmpfs: the lower tree is unchanged" || fail "--tmpfs: the lower tree changed"

# ---- times: what the job makes and changes is dated now (make compares them) ----
# /tmp, a --tmpfs and the upper layer: a new file, a new directory and a
# written file carry the time of the change; make rebuilds exactly what an
# edit made stale.
expect "mtimes: new and written files are dated now; make rebuilds after an edit" 0 "make ok" \
	"$LOCKVM" run --linux --fs / --tmpfs /work --timeout 60 sh -c '
now=$(date +%s)
for d in /tmp /work /opt; do
	mkdir "$d/m" && cd "$d/m" || exit 1
	for t in "$d/m" "$d"; do
		s=$(stat -c %Y "$t"); [ $((s - now)) -ge -2 ] && [ $((s - now)) -le 60 ] || { echo "$t dated $s, now $now"; exit 1; }
	done
	printf "out: in\n\tcp in out\n" >Makefile
	echo 1 >in
	make -s || exit 1
	make -q || { echo "$d: up to date, yet make -q says stale"; exit 1; }
	echo 2 >in
	if make -q; then echo "$d: in was edited, yet make -q says up to date"; exit 1; fi
	make -s && [ "$(cat out)" = 2 ] || { echo "$d: out is $(cat out)"; exit 1; }
done
echo make ok'

# ---- "name/": a trailing slash names a directory, as Linux answers ----------
expect "trailing slash: open, O_CREAT, stat, unlink of name/ answer as Linux" 0 "slash ok" \
	"$LOCKVM" run --linux --fs / --timeout 60 python3 -c '
import errno, os
os.mkdir("/tmp/d"); open("/tmp/f", "w").close()
W = os.O_CREAT | os.O_WRONLY
want = [(os.open, ("/tmp/new/", W, 0o644), errno.EISDIR), (os.open, ("/tmp/f/", W, 0o644), errno.EISDIR),
        (os.open, ("/tmp/d/", os.O_CREAT | os.O_RDONLY, 0o644), errno.EISDIR),
        (os.open, ("/tmp/f/", os.O_RDONLY), errno.ENOTDIR), (os.open, ("/etc/passwd/", os.O_RDONLY), errno.ENOTDIR),
        (os.stat, ("/tmp/f/",), errno.ENOTDIR), (os.lstat, ("/etc/passwd/",), errno.ENOTDIR),
        (os.unlink, ("/tmp/f/",), errno.ENOTDIR), (os.unlink, ("/tmp/d/",), errno.EISDIR),
        (os.open, ("/tmp/f/x/", W, 0o644), errno.ENOTDIR), (os.open, ("/tmp/no/x/", W, 0o644), errno.ENOENT),
        (os.open, ("", W, 0o644), errno.ENOENT)]
for fn, args, e in want:
    try:
        fn(*args)
        raise SystemExit("%s%r succeeded, want errno %d" % (fn.__name__, args, e))
    except OSError as x:
        assert x.errno == e, (fn.__name__, args, x.errno, e)
assert not os.path.exists("/tmp/new") and os.path.isfile("/tmp/f")
os.close(os.open("/tmp/d/", os.O_RDONLY)); os.stat("/bin/"); os.mkdir("/tmp/e/"); os.rmdir("/tmp/e/")
print("slash ok")'
