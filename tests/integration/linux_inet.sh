#!/usr/bin/env bash
# --linux AF_INET/AF_INET6 sockets (issue 18, part 2) on lwIP inside the VMM: TCP echo of 1 MiB over 127.0.0.1 and ::1, UDP datagrams, names, options, ECONNREFUSED, EADDRINUSE, non-blocking connect; hostile use (2000 sockets, a reader that never reads, backlog overflow, oversized datagrams and addresses).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib_checks.sh"
if ! have_kvm; then skip "linux_inet: /dev/kvm is not usable here"; exit 0; fi
LX=$B/tests/linux

libcs="glibc"
if [ -x "$LX/lx_inet.musl" ]; then libcs="glibc musl"; else skip "linux_inet: musl-gcc not installed, musl programs not built"; fi

for libc in $libcs; do
	run_checks lx_inet "$libc" all 34
	run_checks lx_inet "$libc" hostile 6
done

# The stack is the VMM's: the VM's sockets make no host socket, and --strace names the calls.
run_capture "$LOCKVM" run --strace --linux "$LX/lx_inet.glibc" -- all
grep -qE '^\[lockvm\] socket\(10, 0x1, 0\) = [0-9]+$' <<<"$out" &&
	pass "--strace shows socket(AF_INET6, SOCK_STREAM) served" ||
	fail "--strace AF_INET6 line: $(grep -F 'socket(10' <<<"$out" | head -n 2 | tr '\n' '|')"
grep -qE '^\[lockvm\] connect\([0-9]+, 0x[0-9a-f]+, 16\) = -111 ECONNREFUSED' <<<"$out" &&
	pass "--strace shows the refused connect (a reset from the VM's own stack)" ||
	fail "--strace: no ECONNREFUSED connect line"
