#!/usr/bin/env bash
# --linux --volume HOST:GUEST[:ro|:rw]: a job's outputs reach the host directory owned by its owner, ro takes no write, no way out of a volume, the --fs tree unchanged, bad volumes refused.
. "$(dirname "$0")/../lib.sh"
if ! have_kvm; then skip "linux_volume: /dev/kvm is not usable here"; exit 0; fi
BUSYBOX=$(command -v busybox || true)
if [ -z "$BUSYBOX" ] || ! file -L "$BUSYBOX" | grep -q "statically linked"; then
	skip "linux_volume: needs a static busybox (Debian's busybox package) for the job's shell"
	exit 0
fi

# The job's tree: a static busybox as its tools, its own /etc/passwd.
FS=$T_TMP/fs
mkdir -p "$FS/bin" "$FS/etc"
cp "$BUSYBOX" "$FS/bin/busybox"
for t in sh cat echo mkdir mv rm ls chmod ln stat wc true touch; do ln -s busybox "$FS/bin/$t"; done
cp "$B/tests/linux/lx_fsesc.glibc" "$FS/bin/"
echo "tree passwd" >"$FS/etc/passwd"
chmod -R a+rX "$T_TMP"
tree_before=$(cd "$FS" && find . -printf '%p %s %m %T@ %u\n' | sort | sha256sum)

# The workspace: owned by a CI user (4242:4343), with one file of theirs,
# one of root's, a symlink and a hard link to files of theirs outside it.
OWNER=4242 GROUP=4343
W=$T_TMP/work
mkdir -p "$W/src"
echo "source" >"$W/src/main.c"
echo "root's" >"$W/rootfile"
echo "outside" >"$T_TMP/outside" && echo "linked" >"$T_TMP/linked"
chown -R "$OWNER:$GROUP" "$W" "$T_TMP/outside" "$T_TMP/linked"
chown root:root "$W/rootfile" && chmod 644 "$W/rootfile"
ln -s "$T_TMP/outside" "$W/link-out"
chown -h "$OWNER:$GROUP" "$W/link-out"
ln "$T_TMP/linked" "$W/hardlink"
outside_ctime=$(stat -c %z "$T_TMP/outside" "$T_TMP/linked")

job='mkdir /work/out && cat /work/src/main.c >/work/out/copy && echo artifact >/work/out/a.txt &&
chmod 755 /work/out/a.txt && mv /work/out/copy /work/out/main.copy && ln -s a.txt /work/out/latest &&
rm /work/src/main.c && ln /work/out/a.txt /work/out/hard && stat -c "inode %i links %h" /work/out/a.txt /work/out/hard &&
touch -d "2001-01-01 00:00:00" /work/out/main.copy && echo more >>/work/rootfile; echo "job done"'
expect "volume: a job writes its outputs into the host directory" 0 "job done" \
	"$LOCKVM" run --linux --fs "$FS" --volume "$W:/work" /bin/sh -- -c "$job"
[ "$(cat "$W/out/a.txt" 2>/dev/null)" = artifact ] && [ "$(cat "$W/out/main.copy" 2>/dev/null)" = source ] &&
	[ ! -e "$W/src/main.c" ] && [ "$(readlink "$W/out/latest")" = a.txt ] &&
	pass "volume: the host sees the files made, moved, linked and removed" ||
	fail "volume: host directory after the job: $(cd "$W" && find . | tr '\n' ' ')"
ino=$(stat -c %i "$W/out/a.txt")
[ "$(grep -c "^inode $ino links 2$" <<<"$out")" = 2 ] && [ "$(stat -c '%i %h' "$W/out/hard")" = "$ino 2" ] &&
	pass "volume: ln a b: both names share the inode and its link count, in the VM and on the host" ||
	fail "volume: hard link: host $(stat -c '%i %h' "$W/out/a.txt" "$W/out/hard" | tr '\n' ' ') VM $(grep inode <<<"$out" | tr '\n' '|')"
[ "$(stat -c %Y "$W/out/main.copy")" = "$(TZ=UTC date -d '2001-01-01 00:00:00' +%s)" ] &&
	pass "volume: touch -d sets the host file's mtime" || fail "volume: mtime $(stat -c %y "$W/out/main.copy")"
[ "$(stat -c %a "$W/out/a.txt" 2>/dev/null)" = 755 ] && pass "volume: chmod reached the host" ||
	fail "volume: a.txt mode $(stat -c %a "$W/out/a.txt" 2>/dev/null)"
grep -q "rootfile.*Permission denied" <<<"$out" && [ "$(cat "$W/rootfile")" = "root's" ] &&
	[ "$(stat -c %u "$W/rootfile")" = 0 ] &&
	pass "volume: another user's file is neither written nor handed over" ||
	fail "volume: rootfile now '$(cat "$W/rootfile")' owned by $(stat -c %u "$W/rootfile"); job said: $out"
if confined "volume ownership after the run"; then
	wrong=$(find "$W" \( ! -user "$OWNER" -o ! -group "$GROUP" \) ! -path "$W/rootfile" -printf '%p %u:%g\n')
	[ -z "$wrong" ] && pass "volume: everything the job left belongs to the directory's owner" ||
		fail "volume: not the owner's after the run: $wrong"
	[ "$(stat -c %z "$T_TMP/outside" "$T_TMP/linked")" = "$outside_ctime" ] &&
		pass "volume: files outside, behind a symlink or a hard link, never had their owner changed" ||
		fail "volume: a file outside the volume was chowned (ctime changed)"
fi

# Read-only: every write refused, the directory unchanged.
vol_before=$(cd "$W" && find . -printf '%p %s %m %T@ %u\n' | sort | sha256sum)
expect "volume :ro: the job reads it" 0 "artifact" \
	"$LOCKVM" run --linux --fs "$FS" --volume "$W:/work:ro" /bin/sh -- -c \
	'cat /work/out/a.txt; echo x >/work/new; echo x >>/work/out/a.txt; rm /work/out/a.txt; mkdir /work/d; mv /work/out /work/o2; true'
n=$(grep -c "Read-only file system" <<<"$out")
[ "$n" -ge 5 ] && pass "volume :ro: create, append, rm, mkdir and mv all give EROFS" ||
	fail "volume :ro: $n EROFS answers: $(tr '\n' '|' <<<"$out")"
[ "$(cd "$W" && find . -printf '%p %s %m %T@ %u\n' | sort | sha256sum)" = "$vol_before" ] &&
	pass "volume :ro: the host directory is unchanged" || fail "volume :ro: the host directory changed"

# No way out: "..", symlinks absolute and relative (made by the host), and
# a directory a host process swaps for a symlink to /etc during the run.
echo "inside" >"$W/out/passwd"
ln -s /etc "$W/abs" && ln -s ../../../../../../../etc "$W/rel"
expect "volume: .. at its root is the VM's /, symlinks resolve in the VM's tree" 0 "" \
	"$LOCKVM" run --linux --fs "$FS" --volume "$W:/work" /bin/sh -- -c \
	'cat /work/../etc/passwd /work/abs/passwd /work/rel/passwd /work/link-out; ls /work/..'
[ "$(grep -c "tree passwd" <<<"$out")" = 3 ] && ! grep -q "root:x:0:0" <<<"$out" &&
	! grep -q "^outside" <<<"$out" && grep -q "^work$" <<<"$out" &&
	pass "volume: .. and links out of it stay in the VM's tree" ||
	fail "volume: escape: $(tr '\n' '|' <<<"$out")"
swap_for_symlink "$W/out" /etc
expect "volume: a subdirectory swapped for a symlink to /etc during the run: /etc never read" 0 \
	"0 leaked" "$LOCKVM" run --linux --fs "$FS" --volume "$W:/work" lx_fsesc.glibc -- loop \
	/work/out/passwd 3000
kill "$swapper"
wait "$swapper" 2>/dev/null
[ -d "$W/out.real" ] && mv -T "$W/out.real" "$W/out" 2>/dev/null
rm -f "$W/abs" "$W/rel"
[ "$(cd "$FS" && find . -printf '%p %s %m %T@ %u\n' | sort | sha256sum)" = "$tree_before" ] &&
	pass "volume: the --fs tree is byte-identical after the runs" || fail "volume: the --fs tree changed"

# Refused with one line and 125, nothing run.
refuse() { # NAME PATTERN ARGS...
	local name=$1 pattern=$2
	shift 2
	expect "volume refused: $name" 125 "$pattern" "$LOCKVM" run --linux --fs "$FS" "$@" /bin/true
	[ "$(wc -l <<<"$out")" = 1 ] || fail "volume refused: $name: more than one line: $out"
}
refuse "GUEST not absolute" "must be an absolute directory path" --volume "$W:work"
refuse "GUEST with .." "must be an absolute directory path" --volume "$W:/a/../etc"
refuse "HOST missing" "No such file or directory" --volume "$T_TMP/none:/work"
refuse "HOST a file" "Not a directory" --volume "$T_TMP/outside:/work"
refuse "over /proc" "/proc is the VM's own" --volume "$W:/proc"
refuse "HOST the host's /etc" "the host system's own" --volume "/etc:/work"
refuse "HOST the host's root through .." "the host system's own" --volume "$T_TMP/../..:/work"
refuse "HOST beneath /proc" "the host system's own" --volume "/proc/self:/work"
refuse "beneath /dev" "/dev is the VM's own" -v "$W:/dev/shm/x"
refuse "overlapping volumes" "volumes may not nest" -v "$W:/a" -v "$W/src:/a/b"
refuse "over a --tmpfs" "overlaps --tmpfs /a" --tmpfs /a -v "$W:/a/x"
refuse "a bad mode" "want HOST:GUEST[:ro|:rw]" -v "$W:/a:rx"
refuse "a bad label suffix" "want HOST:GUEST[:ro|:rw][,z|,Z]" -v "$W:/a,Q"
expect "volume refused: without --linux" 125 "need --linux" "$LOCKVM" run -v "$W:/a" "$G/hello"
