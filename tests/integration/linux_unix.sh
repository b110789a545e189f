#!/usr/bin/env bash
# --linux AF_UNIX sockets (issue 18): socketpair, path and abstract names, SCM_RIGHTS and credentials, datagrams, seqpackets, poll, EPIPE/SIGPIPE, limits; hostile use; other families EAFNOSUPPORT, counted.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib_checks.sh"
if ! have_kvm; then skip "linux_unix: /dev/kvm is not usable here"; exit 0; fi
LX=$B/tests/linux

libcs="glibc"
if [ -x "$LX/lx_unix.musl" ]; then libcs="glibc musl"; else skip "linux_unix: musl-gcc not installed, musl programs not built"; fi

for libc in $libcs; do
	run_checks lx_unix "$libc" all 11
	expect "$libc: SIGPIPE by default ends the program (141)" 141 "guest killed by signal 13" \
		"$LOCKVM" run --linux "$LX/lx_unix.$libc" -- sigpipe
	grep -qF "still alive" <<<"$out" && fail "$libc: lived on after SIGPIPE" ||
		pass "$libc: nothing ran after SIGPIPE"
done
# 100,000 socket() calls, loops of sockets sent over themselves, malformed msghdr/cmsg.
run_checks lx_unix glibc hostile 11

# Families other than AF_UNIX: EAFNOSUPPORT, shown by --strace and counted by --stats.
run_capture "$LOCKVM" run --stats --strace --linux "$LX/lx_unix.glibc" -- all
grep -qE '^\[lockvm\] socket\(17, 0x3, 0\) = -97 EAFNOSUPPORT' <<<"$out" &&
	pass "--strace shows socket(AF_PACKET) = -97 EAFNOSUPPORT" ||
	fail "--strace AF_PACKET line: $(grep -F 'socket(17' <<<"$out" | head -n 2 | tr '\n' '|')"
grep -qE 'linux: syscalls=[0-9]+ .* eafnosupport=2( |$)' <<<"$out" &&
	pass "--stats counts the two refused families (eafnosupport=2)" ||
	fail "--stats line: $(grep -F 'linux: syscalls' <<<"$out")"
grep -qE '^\[lockvm\] sendmsg\(' <<<"$out" && grep -qE '^\[lockvm\] accept4\(' <<<"$out" &&
	pass "--strace names the socket calls" || fail "--strace: no sendmsg/accept4 lines"
