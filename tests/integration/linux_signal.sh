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

# ---- job control ----
for libc in glibc musl; do
	[ -x "$LX/lx_sigstop.$libc" ] || { skip "linux_signal: lx_sigstop.$libc not built (musl-gcc missing)"; continue; }
	expect "$libc: SIGSTOP/SIGTSTP stop every thread (no CPU), SIGCONT continues, WUNTRACED/WCONTINUED/waitid report, SIGCHLD unless SA_NOCLDSTOP" \
		0 "sigstop ok" "${RUN[@]}" "$LX/lx_sigstop.$libc"
done

BUSYBOX=$(command -v busybox || true)
if [ -z "$BUSYBOX" ]; then
	skip "linux_signal: busybox-static is not installed (apt-get install busybox-static)"
else
	cp "$BUSYBOX" "$FS/bin/busybox"
	for a in sh sleep cat; do ln -sf busybox "$FS/bin/$a"; done
	# /proc/PID/stat's third field: T while stopped, not T once continued (S, or R
	# if it has not reached its sleep yet).
	expect "busybox sh: kill -STOP then kill -CONT a background sleep (T, then not; TERM: 143)" \
		0 "T go 143" "${RUN[@]}" --fs "$FS" /bin/sh -c \
		'sleep 30 & p=$!; kill -STOP $p; read -r _ _ a _ </proc/$p/stat; kill -CONT $p; read -r _ _ b _ </proc/$p/stat; [ "$b" != T ] && b=go; kill $p; wait $p; echo "$a $b $?"'
fi
