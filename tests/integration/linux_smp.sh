#!/usr/bin/env bash
# --linux --vcpus N: threads run at once on several vCPUs (getcpu differs), spinners never starve others, pthreads, exit_group, exec and make -j2 on two vCPUs, --timeout stops every vCPU, more than 8 refused.
. "$(dirname "$0")/../lib.sh"
if ! have_kvm; then skip "linux_smp: /dev/kvm is not usable here"; exit 0; fi
LX=$B/tests/linux
RUN=("$LOCKVM" run --linux --timeout 20)

FS=$T_TMP/fs
mkdir -p "$FS/bin" "$FS/tmp"
cp "$LX"/lx_thread.* "$FS/bin/"

# Two threads that each see the other on another vCPU while both spin:
# only possible when they run at the same time (one vCPU: both see 0).
expect "vcpus 2: two spinning threads run at once, each on its own vCPU" 0 \
	"two threads ran at once on two vCPUs" "${RUN[@]}" --vcpus 2 --fs "$FS" /bin/lx_thread.glibc parallel
expect "vcpus 1: the same threads share the one vCPU" 1 "never ran at once" \
	"${RUN[@]}" --vcpus 1 --fs "$FS" /bin/lx_thread.glibc parallel
expect "vcpus 2: three threads that spin never starve one another or main" 0 \
	"three spinners all ran, main too" "${RUN[@]}" --vcpus 2 --fs "$FS" /bin/lx_thread.glibc spinners
for libc in glibc musl; do
	[ -x "$LX/lx_thread.$libc" ] || { skip "linux_smp: lx_thread.$libc not built (musl-gcc missing)"; continue; }
	expect "vcpus 2, $libc: mutex, condvars, join, TLS, futex calls, tgkill, masks, robust mutex" 0 \
		"thread ok" "${RUN[@]}" --vcpus 2 --fs "$FS" "/bin/lx_thread.$libc"
done
expect "vcpus 2: exit_group from a side thread ends a main blocked on the other vCPU" 42 "" \
	"${RUN[@]}" --vcpus 2 --fs "$FS" /bin/lx_thread.glibc exit-group
expect "vcpus 2: execve from a side thread: the others end, it takes the pid" 0 \
	"exec'd pid 1 tid 1" "${RUN[@]}" --vcpus 2 --fs "$FS" /bin/lx_thread.glibc exec
expect "vcpus 2: exec while a thread writes the old image on the other vCPU: no write lands in the new one" 0 \
	"new image untouched" "${RUN[@]}" --vcpus 2 --mem 256M --fs "$FS" /bin/lx_thread.glibc exec-writer
expect "vcpus 2: main's exit ends a thread spinning on the other vCPU" 0 \
	"main finished beside a spinner" "${RUN[@]}" --vcpus 2 --fs "$FS" /bin/lx_thread.glibc spin

expect "vcpus 2: --timeout stops threads spinning on every vCPU" 124 "" \
	"$LOCKVM" run --linux --vcpus 2 --timeout 1 --fs "$FS" /bin/lx_thread.glibc parallel-forever

if command -v make >/dev/null && command -v gcc >/dev/null; then
	expect "vcpus 2: make -j2 builds a two-file C project with gcc, the result runs" 0 "sum 42" \
		"${RUN[@]}" --vcpus 2 --mem 2G --fs / /bin/sh -c 'cd /tmp &&
printf "int b(void);\n#include <stdio.h>\nint main(void){printf(\"sum %%d\\\\n\", b()+1);return 0;}\n" >a.c &&
printf "int b(void){return 41;}\n" >b.c &&
printf "prog: a.o b.o\n\tgcc -o \$@ a.o b.o\n%%.o: %%.c\n\tgcc -c -o \$@ \$<\n" >Makefile &&
make -j2 && ./prog'
else
	skip "linux_smp: make or gcc is not on this host"
fi
