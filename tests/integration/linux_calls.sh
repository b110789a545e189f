#!/usr/bin/env bash
# --linux: calls real programs make that were ENOSYS: prctl, nice values, the set*id calls, membarrier, mlock, personality (lx_prctl), FIFOs and mknod (lx_fifo), splice and tee (lx_splice), futimesat, openat2 (lx_open2), and real programs from the host's root using them.
. "$(dirname "$0")/../lib.sh"
if ! have_kvm; then skip "linux_calls: /dev/kvm is not usable here"; exit 0; fi
LX=$B/tests/linux
RUN=("$LOCKVM" run --linux --timeout 60)

FS=$T_TMP/fs
mkdir -p "$FS/bin" "$FS/tmp"
cp "$LX"/lx_prctl.* "$LX"/lx_fifo.* "$LX"/lx_splice.* "$LX"/lx_open2.* "$FS/bin/"
VOL=$T_TMP/vol
mkdir -p "$VOL"

# ---- the C test programs ----
for libc in glibc musl; do
	[ -x "$LX/lx_prctl.$libc" ] || { skip "linux_calls: lx_prctl.$libc not built (musl-gcc missing)"; continue; }
	expect "$libc: prctl name/pdeathsig/subreaper/no_new_privs/dumpable, nice, set*id, membarrier, mlock, personality" \
		0 "prctl ok" "${RUN[@]}" --fs "$FS" "/bin/lx_prctl.$libc"
done

for libc in glibc musl; do
	[ -x "$LX/lx_fifo.$libc" ] || { skip "linux_calls: lx_fifo.$libc not built (musl-gcc missing)"; continue; }
	expect "$libc: mkfifo in /tmp between two processes: open waits for the other end, O_NONBLOCK, EOF, EPIPE, poll; mknod of a file; device nodes EPERM" \
		0 "fifo ok" "${RUN[@]}" --fs "$FS" "/bin/lx_fifo.$libc"
done
expect "mkfifo in a --tmpfs" 0 "fifo ok" "${RUN[@]}" --fs "$FS" --tmpfs /mnt /bin/lx_fifo.glibc /mnt
expect "mkfifo in the root's upper layer (a directory of the --fs tree)" 0 "fifo ok" \
	"${RUN[@]}" --fs "$FS" /bin/lx_fifo.glibc /bin
expect "mkfifo and mknod of a device in a --volume: EPERM, nothing made on the host" 0 "" \
	"${RUN[@]}" --fs / -v "$VOL:/vol" /bin/sh -c '! mkfifo /vol/f && ! mknod /vol/n c 1 3'
[ -z "$(ls -A "$VOL")" ] && pass "the volume holds no FIFO or device node" || fail "the volume holds: $(ls -A "$VOL")"

for libc in glibc musl; do
	[ -x "$LX/lx_splice.$libc" ] || { skip "linux_calls: lx_splice.$libc not built (musl-gcc missing)"; continue; }
	expect "$libc: splice pipe<->file (offsets), pipe->pipe, pipe<->socket, tee, errors" 0 "splice ok" \
		"${RUN[@]}" --fs "$FS" "/bin/lx_splice.$libc"
done

for libc in glibc musl; do
	[ -x "$LX/lx_open2.$libc" ] || { skip "linux_calls: lx_open2.$libc not built (musl-gcc missing)"; continue; }
	expect "$libc: openat2: open_how sizes and flags, RESOLVE_BENEATH/IN_ROOT/NO_SYMLINKS/NO_MAGICLINKS/NO_XDEV/CACHED" \
		0 "open2 ok" "${RUN[@]}" --fs "$FS" "/bin/lx_open2.$libc"
done

# ---- real programs from the host's root ----
expect "bash: mkfifo, a writer in the background, cat reads it" 0 "hi through a fifo" "${RUN[@]}" --fs / \
	/bin/bash -c 'mkfifo /tmp/p && { echo hi through a fifo >/tmp/p & } ; cat /tmp/p; wait'
if command -v python3 >/dev/null; then
	expect "python3: os.mkfifo between a parent and a forked child" 0 "via fifo" "${RUN[@]}" --fs / /usr/bin/python3 -c '
import os
os.mkfifo("/tmp/pyfifo")
pid = os.fork()
if pid == 0:
    with open("/tmp/pyfifo", "w") as f: f.write("via fifo")
    os._exit(0)
with open("/tmp/pyfifo") as f: print(f.read())
os.waitpid(pid, 0)'
fi
expect "nice -n 5 cat /proc/self/stat: priority 25, nice 5" 0 "" "${RUN[@]}" --fs / /bin/sh -c \
	'set -- $(nice -n 5 cat /proc/self/stat | sed "s/.*) //"); [ "${16} ${17}" = "25 5" ] || { echo "fields 18-19: ${16} ${17}"; exit 1; }'
if command -v ps >/dev/null; then
	expect "nice -n 7 ps -o ni,comm shows 7" 0 "  7 ps" "${RUN[@]}" --fs / /bin/sh -c 'nice -n 7 ps -o ni=,comm='
fi
if command -v python3 >/dev/null; then
	expect "python3: prctl(PR_SET_NAME) through ctypes is /proc/self/comm, os.setpriority is kept" 0 \
		"comm=pyworker nice=4" "${RUN[@]}" --fs / /usr/bin/python3 -c '
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
libc.prctl(15, b"pyworker", 0, 0, 0)
os.setpriority(os.PRIO_PROCESS, 0, 4)
print("comm=%s nice=%d" % (open("/proc/self/comm").read().strip(), os.getpriority(os.PRIO_PROCESS, 0)))'
fi
if command -v python3 >/dev/null; then
	expect "python3: os.splice file->pipe, os.utime through futimesat's kin, os.mkfifo" 0 "spliced=abc" \
		"${RUN[@]}" --fs / /usr/bin/python3 -c '
import os
with open("/tmp/f", "w") as f: f.write("abcdef")
fd = os.open("/tmp/f", os.O_RDONLY)
r, w = os.pipe()
n = os.splice(fd, w, 3)
print("spliced=" + os.read(r, n).decode())'
fi
