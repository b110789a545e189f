#!/usr/bin/env bash
# --linux MAP_PRIVATE file mappings share the pages of the tree's files (the VMM's page cache of private file mappings): a write through one stays its writer's (a store, after mprotect, a read() into it, a forked child's), a file changed on the host is read afresh, memory the cache alone holds comes back when the VM runs out, a dynamic program's libraries come from it.
. "$(dirname "$0")/../lib.sh"
if ! have_kvm; then skip "linux_fcache: /dev/kvm is not usable here"; exit 0; fi
LX=$B/tests/linux
BUSYBOX=$(command -v busybox || true)
RUN=("$LOCKVM" run --linux --timeout 60)

FS=$T_TMP/fs
mkdir -p "$FS/bin"
cp "$LX/lx_fcache.glibc" "$FS/bin/lx_fcache"
pages() { # the test file: pages of $1 $2 $3, a 100-byte tail of $4
	{ for c in "$1" "$2" "$3"; do head -c 4096 /dev/zero | tr '\0' "$c"; done
	  head -c 100 /dev/zero | tr '\0' "$4"; } >"$FS/f"
}
pages A B C Z
chmod -R a+rwX "$T_TMP"

expect "private file mappings: stores (direct, after mprotect, read() into one, a child's) stay the writer's" \
	0 "private ok" "${RUN[@]}" --fs "$FS" /bin/lx_fcache private /f
run_capture "${RUN[@]}" --stats --fs "$FS" /bin/lx_fcache private /f
grep -qE '^linux: file_cache hits=[1-9][0-9]* misses=1 frames=3$' <<<"$out" &&
	pass "private file mappings: one read of the file's 3 whole pages, the other mappings share them" ||
	fail "private file mappings: cache counts: $(grep file_cache <<<"$out")"

# A file changed on the host after the VM mapped it (written in place: same inode, same
# size) is read afresh. The VM maps it, then waits for the host's "goes" in /gate (a
# ready line, not a delay) and maps it again.
if [ -n "$BUSYBOX" ]; then
	cp "$BUSYBOX" "$FS/bin/busybox"
	printf wait >"$FS/gate"
	"${RUN[@]}" --fs "$FS" /bin/busybox sh -c '/bin/lx_fcache show /f; echo first
until [ "$(/bin/busybox cat /gate)" = goes ]; do :; done
/bin/lx_fcache show /f' >"$T_TMP/host.out" 2>&1 &
	vm=$!
	until grep -qx first "$T_TMP/host.out" || ! kill -0 "$vm" 2>/dev/null; do sleep 0.05; done
	ino=$(stat -c %i "$FS/f")
	pages a b c z # in place
	[ "$(stat -c %i "$FS/f")" = "$ino" ] || fail "private file mappings: the host's rewrite changed the inode"
	printf goes >"$FS/gate"
	wait "$vm"
	got=$(tr '\n' ' ' <"$T_TMP/host.out")
	[ "$got" = "show ABCZ first show abcz " ] &&
		pass "private file mappings: a file changed on the host after the VM mapped it is read afresh" ||
		fail "private file mappings after the host changed the file: $got"
	pages A B C Z
else
	skip "linux_fcache: busybox not installed (the host-change check)"
fi

# The cache holds at most an eighth of the frames; what it alone holds goes back when the
# VM runs out (a 6 MiB file mapped and unmapped, then every MiB the VM still gives).
head -c $((6 << 20)) /dev/urandom >"$FS/big"
expect "private file mappings: pages the cache alone holds come back when memory runs out" \
	0 "fill ok" "${RUN[@]}" --mem 64M --fs "$FS" /bin/lx_fcache fill /big

# A dynamic program's libraries (ld.so maps them privately): the second start maps the first's pages.
expect "private file mappings: sh -c of two dynamic programs under --fs / shares their libraries" 0 "" \
	"${RUN[@]}" --stats --fs / /bin/sh -c '/bin/true && /bin/true'
grep -qE '^linux: file_cache hits=[1-9]' <<<"$out" &&
	pass "private file mappings: the second dynamic program's libc comes from the cache" ||
	fail "private file mappings: no cache hits: $(grep -E 'file_cache|syscalls' <<<"$out" | tr '\n' '|')"

# A program larger than the exec cache (16 MiB; cc1 is 33) is mapped from its file for its
# exec, and its read-only segments' pages come from this cache, shared copy-on-write: lx_exec
# padded to 17 MiB writes into its read-only data (mprotect) and execs itself again, which
# reads the file's bytes.
{ cat "$LX/lx_exec.glibc" && head -c $((17 << 20)) /dev/zero; } >"$FS/bin/lx_big"
chmod 755 "$FS/bin/lx_big"
expect "a program larger than the exec cache: a write into its read-only data changes the writer's copy only" 0 \
	"ok exec after a write into read-only data: the file's bytes" \
	"${RUN[@]}" --stats --fs "$FS" /bin/lx_big text start
grep -q FAILED <<<"$out" && fail "large program, text write: $(grep FAILED <<<"$out" | tr '\n' '|')"
grep -qE '^linux: file_cache hits=[1-9][0-9]* misses=1 frames=[1-9]' <<<"$out" &&
	pass "a program larger than the exec cache: its read-only pages come from the page cache" ||
	fail "large program: cache counts: $(grep file_cache <<<"$out")"
