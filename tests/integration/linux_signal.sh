#!/usr/bin/env bash
# --linux signals and the FPU: a handler's x87/SSE use never reaches the interrupted code (timer, kill from a child), the fpstate in the frame as Linux lays it out, edited and checked on rt_sigreturn (bad ones: SIGSEGV), exec's initial FPU state; job control: stop, continue, their wait reports and SIGCHLD.
. "$(dirname "$0")/../lib.sh"
if ! have_kvm; then skip "linux_signal: /dev/kvm is not usable here"; exit 0; fi
LX=$B/tests/linux
RUN=("$LOCKVM" run --linux --timeout 90)

# A tree holding the program, so that it can exec itself by its path in the VM.
FS=$T_TMP/fs
mkdir -p "$FS/bin"
chmod 755 "$T_TMP" "$FS" "$FS/bin"

for libc in glibc musl; do
	[ -x "$LX/lx_sigfpu.$libc" ] || { skip "linux_signal: lx_sigfpu.$libc not built (musl-gcc missing)"; continue; }
	install -m 755 "$LX/lx_sigfpu.$libc" "$FS/bin/lx_sigfpu"
	expect "$libc: handlers that clobber xmm0-15, MXCSR and FCW leave the interrupted code's (setitimer)" \
		0 "sigfpu ok" "${RUN[@]}" --fs "$FS" /bin/lx_sigfpu timer
	expect "$libc: ... and across switches to a child that sends the signals (kill) and keeps its own" \
		0 "sigfpu ok" "${RUN[@]}" --fs "$FS" /bin/lx_sigfpu kill
	expect "$libc: fpstate edits take effect; bad MXCSR, header or alignment: SIGSEGV; bad magic: FXSAVE area only" \
		0 "sigfpu ok" "${RUN[@]}" --fs "$FS" /bin/lx_sigfpu edit
	expect "$libc: exec starts with FCW 0x37F and MXCSR 0x1F80; fork copies the parent's" \
		0 "exec'd image: mxcsr 0x1f80 fcw 0x37f" "${RUN[@]}" --fs "$FS" /bin/lx_sigfpu exec
	expect "$libc: a fork child starts with its parent's MXCSR" \
		0 "sigfpu ok" "${RUN[@]}" --fs "$FS" /bin/lx_sigfpu fork
done
