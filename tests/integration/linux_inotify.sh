#!/usr/bin/env bash
# --linux inotify: lx_inotify's events in /tmp, the upper layer over a --fs tree, /dev/shm and a --volume (glibc and musl), its bounds (IN_Q_OVERFLOW, ENOSPC, EMFILE), --strace naming the calls; coreutils tail -f following a file another process appends to, and python3 reading events through ctypes, under --fs /.
. "$(dirname "$0")/../lib.sh"
if ! have_kvm; then skip "linux_inotify: /dev/kvm is not usable here"; exit 0; fi
LX=$B/tests/linux
RUN=("$LOCKVM" run --linux --timeout 60)

# A --fs tree: the program in its lower layer, the work directory made in the upper one.
FS=$T_TMP/fs
mkdir -p "$FS/bin" "$FS/data"
cp "$LX"/lx_inotify.* "$FS/bin/"
VOL=$T_TMP/vol
mkdir -p "$VOL/glibc" "$VOL/musl"
chmod -R a+rwX "$T_TMP"

for libc in glibc musl; do
	[ -x "$LX/lx_inotify.$libc" ] || { skip "linux_inotify: lx_inotify.$libc not built (musl-gcc missing)"; continue; }
	expect "$libc: inotify events, coalescing, oneshot, mask add, poll, epoll, a blocking read woken in /tmp" \
		0 "inotify ok" "${RUN[@]}" "$LX/lx_inotify.$libc" /tmp
	expect "$libc: the same in the upper layer over a --fs tree's lower directory" \
		0 "inotify ok" "${RUN[@]}" --fs "$FS" "/bin/lx_inotify.$libc" /data
	expect "$libc: the same in /dev/shm (a --tmpfs)" \
		0 "inotify ok" "${RUN[@]}" --fs "$FS" "/bin/lx_inotify.$libc" /dev/shm
	expect "$libc: the same in a --volume, changed on the host in place" \
		0 "inotify ok" "${RUN[@]}" --fs "$FS" --volume "$VOL/$libc:/vol" "/bin/lx_inotify.$libc" /vol
done

# ---- hostile: a guest that never reads, or watches without end ----
expect "bounds: IN_Q_OVERFLOW at 16384 events and at 4 MiB queued, ENOSPC past 8192 watches, EMFILE past 128 instances" \
	0 "inotify ok" "${RUN[@]}" "$LX/lx_inotify.glibc" /tmp bounds

# ---- --strace names the calls ----
expect "--strace shows inotify_init1, inotify_add_watch and inotify_rm_watch" 0 "inotify ok" \
	"${RUN[@]}" --strace "$LX/lx_inotify.glibc" /tmp
for call in 'inotify_init1(0x80800) = ' 'inotify_add_watch(' 'inotify_rm_watch('; do
	grep -qF "[lockvm] $call" <<<"$out" && pass "--strace: $call" || fail "--strace lacks $call"
done
grep -q 'inotify_add_watch(.*) = -38' <<<"$out" && fail "--strace: inotify_add_watch ENOSYS" ||
	pass "--strace: inotify_add_watch is served, not ENOSYS"

# ---- real programs from the host's root ----
if [ -x /usr/bin/tail ] && [ -x /bin/sh ]; then
	# tail -f follows with inotify: a line appended after it printed the
	# first one shows; the shell waits on tail's output, never on time.
	job='echo first >/tmp/log
tail -f /tmp/log >/tmp/out & t=$!
until read -r a </tmp/out; do :; done
echo second >>/tmp/log
until { read -r a && read -r b; } </tmp/out && [ "$b" = second ]; do :; done
kill $t; wait $t; echo "tail saw: $a $b"'
	expect "tail -f follows a file another process appends to" 0 "tail saw: first second" \
		"${RUN[@]}" --strace --fs / /bin/sh -c "$job"
	grep -qE '\[lockvm\] inotify_add_watch\([0-9]+, "/tmp/log", 0x[0-9a-f]+\) = [1-9]' <<<"$out" &&
		pass "tail -f watched /tmp/log with inotify (not polling)" ||
		fail "tail -f did not watch with inotify: $(grep inotify <<<"$out" | head -n 3 | tr '\n' '|')"
else
	skip "linux_inotify: coreutils tail or /bin/sh missing on this host"
fi
if [ -x /usr/bin/python3 ]; then
	expect "python3: inotify through ctypes sees IN_CREATE, IN_MODIFY, IN_CLOSE_WRITE of a new file" \
		0 "events: CREATE:new.txt MODIFY:new.txt CLOSE_WRITE:new.txt" \
		"${RUN[@]}" --fs / /usr/bin/python3 -c '
import ctypes, os, struct
libc = ctypes.CDLL(None, use_errno=True)
fd = libc.inotify_init1(os.O_NONBLOCK)
os.mkdir("/tmp/w")
wd = libc.inotify_add_watch(fd, b"/tmp/w", 0x100 | 0x2 | 0x8)
assert wd == 1, ctypes.get_errno()
with open("/tmp/w/new.txt", "w") as f:
    f.write("hello")
names = {0x100: "CREATE", 0x2: "MODIFY", 0x8: "CLOSE_WRITE"}
buf, out, off = os.read(fd, 4096), [], 0
while off < len(buf):
    w, mask, cookie, n = struct.unpack_from("iIII", buf, off)
    out.append(names.get(mask, hex(mask)) + ":" + buf[off + 16:off + 16 + n].rstrip(b"\0").decode())
    off += 16 + n
print("events:", " ".join(out))'
else
	skip "linux_inotify: /usr/bin/python3 is not on this host"
fi
