#!/usr/bin/env bash
# --linux threads: pthreads with glibc and musl (mutex, condvars, join, TLS, futex ops and keys, signals per thread, robust mutexes), exit_group and execve from a side thread, a spinning thread beside a working one, a looping robust list; python3 threading and make -j2 with gcc under --fs /.
. "$(dirname "$0")/../lib.sh"
if ! have_kvm; then skip "linux_thread: /dev/kvm is not usable here"; exit 0; fi
LX=$B/tests/linux
RUN=("$LOCKVM" run --linux --timeout 20)

FS=$T_TMP/fs
mkdir -p "$FS/bin" "$FS/tmp"
cp "$LX"/lx_thread.* "$FS/bin/"

for libc in glibc musl; do
	[ -x "$LX/lx_thread.$libc" ] || { skip "linux_thread: lx_thread.$libc not built (musl-gcc missing)"; continue; }
	expect "$libc: mutex, condvars, join, TLS, futex calls and keys, tgkill, masks, robust mutex" 0 \
		"thread ok" "${RUN[@]}" --fs "$FS" "/bin/lx_thread.$libc"
	expect "$libc: exit_group from a side thread ends the process with its status" 42 "" \
		"${RUN[@]}" --fs "$FS" "/bin/lx_thread.$libc" exit-group
	expect "$libc: execve from a side thread: the others end, it takes the pid" 0 \
		"exec'd pid 1 tid 1" "${RUN[@]}" --fs "$FS" "/bin/lx_thread.$libc" exec
	expect "$libc: a thread spinning forever does not starve main, whose exit ends it" 0 \
		"main finished beside a spinner" "${RUN[@]}" --fs "$FS" "/bin/lx_thread.$libc" spin
	expect "$libc: a robust list that loops is walked a bounded number of steps" 0 \
		"robust loop bounded" "${RUN[@]}" --fs "$FS" "/bin/lx_thread.$libc" robust-loop
done

# ---- the host's own programs under --fs / ----
if [ -x /usr/bin/python3 ]; then
	expect "python3 threading: 4 threads, join, their results" 0 "[0, 10, 20, 30]" \
		"${RUN[@]}" --fs / /usr/bin/python3 -c '
import threading
res = [None] * 4
def work(i):
    res[i] = sum(range(5)) * i
ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]
for t in ts: t.start()
for t in ts: t.join()
print(res)'
else
	skip "linux_thread: /usr/bin/python3 is not on this host"
fi
if command -v make >/dev/null && command -v gcc >/dev/null; then
	# Two cc1 at once need more than the default --mem (reserved lazily).
	expect "make -j2 builds a two-file C project with gcc, the result runs" 0 "sum 42" \
		"${RUN[@]}" --mem 2G --fs / /bin/sh -c 'cd /tmp &&
printf "int b(void);\n#include <stdio.h>\nint main(void){printf(\"sum %%d\\\\n\", b()+1);return 0;}\n" >a.c &&
printf "int b(void){return 41;}\n" >b.c &&
printf "prog: a.o b.o\n\tgcc -o \$@ a.o b.o\n%%.o: %%.c\n\tgcc -c -o \$@ \$<\n" >Makefile &&
make -j2 && ./prog'
else
	skip "linux_thread: make or gcc is not on this host"
fi
