#!/usr/bin/env bash
# A hostile tree (issue 17): a directory of a million names in the --fs tree.
# A name in it is found; listing it is refused at once with ENOMEM
# (LINUX_DIR_MAX_ENTRIES, 65536: the VMM keeps one node per listed entry), said
# once on stderr; the VMM's memory stays small; a directory of exactly the
# bound lists whole, one more is refused.
. "$(dirname "$0")/../lib.sh"
if ! have_kvm; then skip "linux_bigdir: /dev/kvm is not usable here"; exit 0; fi
BUSYBOX=$(command -v busybox || true)
if [ -z "$BUSYBOX" ] || ! file -L "$BUSYBOX" | grep -q "statically linked"; then
	skip "linux_bigdir: needs a static busybox (Debian's busybox package) for the job"
	exit 0
fi
# The tree on a tmpfs of its own (the names cost no disk); hard links to one
# empty file, so the million entries are dentries only.
FS=$T_TMP/fs
mkdir -p "$FS"
mount -t tmpfs -o size=16m,nr_inodes=0,mode=0755 lockvm-bigdir "$FS" || { fail "linux_bigdir: mount a tmpfs"; exit 1; }
at_exit 'umount -l "$FS"; rm -rf "$T_TMP"'
mkdir -p "$FS/bin" "$FS/big" "$FS/edge" "$FS/over"
cp "$BUSYBOX" "$FS/bin/busybox"
python3 - "$FS" <<'PY'
import os, sys
top = sys.argv[1]
for d, n in (("big", 1000000), ("edge", 65536), ("over", 65537)):
    first = os.path.join(top, d, "l0000000")
    open(first, "w").close()
    for i in range(1, n):
        os.link(first, os.path.join(top, d, "l%07d" % i))
PY
[ "$(ls -f "$FS/big" | wc -l)" = 1000002 ] || fail "linux_bigdir: the host directory lacks its million names"

# 256M of RAM: below THP's 512M, so the VMM's peak is its own memory and
# what the guest touched, page by page.
run_capture "$LOCKVM" run --linux --mem 256M --stats --fs "$FS" --timeout 60 /bin/busybox sh -c \
	'ls /big/l0999999; ls /big | wc -l; ls /edge/l0000001 >/dev/null; ls /edge | wc -l; ls /over | wc -l; ls /big | wc -l'
lines=$(grep -v '^\[lockvm\]\|^stats:\|^linux:' <<<"$out" | tr '\n' ' ')
[ "$rc" -eq 0 ] && [ "$lines" = "/big/l0999999 0 65536 0 0 " ] &&
	pass "a directory of a million names: one is found, the listing is refused (none listed), a directory of 65536 lists whole (a name looked up first listed once), of 65537 is refused" ||
	fail "million names: exit $rc, lines '$lines'; $(tail -n 3 <<<"$out" | tr '\n' '|')"
said=$(grep -c "has more than 65536 entries: its listing is refused (ENOMEM)" <<<"$out")
[ "$said" = 1 ] && pass "the refused listing is said once on stderr" || fail "the refusal was said $said times"
peak=$(sed -n 's/.*peak_rss=\([0-9]*\)K.*/\1/p' <<<"$out")
[ -n "$peak" ] && [ "$peak" -lt 65536 ] && pass "the VMM's peak memory stays under 64 MiB (${peak} KiB) with a million names in its tree" ||
	fail "the VMM's peak memory: '${peak}' KiB"
