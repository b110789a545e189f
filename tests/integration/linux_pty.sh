#!/usr/bin/env bash
# --linux ptys: /dev/ptmx and /dev/pts/N served by the VMM (linux_pty.c) — the C checks of lx_pty (canonical lines, echo, ICRNL/ONLCR, ^D, ^C as SIGINT, SIGWINCH, a shell driven through the master) and python's pty.spawn under --fs /.
. "$(dirname "$0")/../lib.sh"
if ! have_kvm; then skip "linux_pty: /dev/kvm is not usable here"; exit 0; fi
LX=$B/tests/linux
BUSYBOX=$(command -v busybox || true)
RUN=("$LOCKVM" run --linux --timeout 60)

FS=$T_TMP/fs
mkdir -p "$FS/bin" "$FS/etc"
if [ -z "$BUSYBOX" ]; then
	skip "linux_pty: busybox-static is not installed (apt-get install busybox-static)"
	SHELL_ARG=()
else
	cp "$BUSYBOX" "$FS/bin/busybox"
	ln -sf busybox "$FS/bin/sh"
	SHELL_ARG=(/bin/sh)
fi
for libc in glibc musl; do
	[ -x "$LX/lx_pty.$libc" ] || { skip "linux_pty: lx_pty.$libc not built (musl-gcc missing)"; continue; }
	cp "$LX/lx_pty.$libc" "$FS/bin/lx_pty"
	expect "$libc: openpt, canonical lines, echo, ^D, ^C as SIGINT, SIGWINCH, a shell on the slave" 0 \
		"pty ok" "${RUN[@]}" --fs "$FS" /bin/lx_pty "${SHELL_ARG[@]}"
done
PAIRS='
import os, errno
fds = []
try:
    while True:
        fds.append(os.open("/dev/ptmx", os.O_RDWR | os.O_NOCTTY))
except OSError as e:
    print(len(fds), errno.errorcode[e.errno])
for fd in fds:
    os.close(fd)
os.close(os.open("/dev/ptmx", os.O_RDWR | os.O_NOCTTY))'
if command -v python3 >/dev/null; then
	expect "python pty.spawn: the child's output and status through the pair" 0 "status 3" \
		"${RUN[@]}" --fs / python3 -c 'import pty,os; st=pty.spawn(["/bin/sh","-c","echo spawned; tty; exit 3"]); print("status", os.waitstatus_to_exitcode(st))' </dev/null
	grep -q "^spawned" <<<"$out" && grep -q "^/dev/pts/0" <<<"$out" &&
		pass "pty.spawn: the child ran on /dev/pts/0" || fail "pty.spawn: $(tr '\n' '|' <<<"$out")"
	expect "ps in a pty.spawn'ed shell names its terminal (/proc's tty_nr)" 0 "" "${RUN[@]}" --fs / \
		python3 -c 'import pty; pty.spawn(["/bin/sh","-c","ps -o tty=,comm="])' </dev/null
	grep -Eq '^pts/0 +ps' <<<"$out" && pass "ps: pts/0 for the shell's children" || fail "ps tty: $(tr '\n' '|' <<<"$out")"
	# hostile: pairs past the table (16), then every one released
	expect "the 17th pair: ENOSPC, and every fd is released" 0 "16 ENOSPC" "${RUN[@]}" --fs / \
		python3 -c "$PAIRS"
else
	skip "linux_pty: python3 is not installed"
fi
# hostile: a slave with no master
expect "a slave without its master: EIO" 2 "Input/output error" "${RUN[@]}" --fs / sh -c 'exec 3<>/dev/pts/9'
