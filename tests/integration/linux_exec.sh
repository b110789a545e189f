#!/usr/bin/env bash
# --linux exec: dynamically linked host programs under --fs / (PT_INTERP from the VM's tree), #! scripts, execve/execveat and what a new image keeps and loses.
. "$(dirname "$0")/../lib.sh"
if ! have_kvm; then skip "linux_exec: /dev/kvm is not usable here"; exit 0; fi
LX=$B/tests/linux
BUSYBOX=$(command -v busybox || true)
RUN=("$LOCKVM" run --linux)

# ---- dynamic host programs under --fs / ----
file -L /bin/true | grep -q "dynamically linked" || fail "host /bin/true is not dynamically linked: this test would not load an interpreter"
expect "--fs / /bin/true: a dynamic program exits 0" 0 "" "${RUN[@]}" --fs / /bin/true
expect "--fs / /bin/false: its exit status" 1 "" "${RUN[@]}" --fs / /bin/false
expect "--fs / /bin/ls / runs" 0 "" "${RUN[@]}" --fs / /bin/ls /
host_ls=$(ls -1 / | grep -vx tmp | tr '\n' ' ')
vm_ls=$(grep -vx tmp <<<"$out" | tr '\n' ' ')
[ "$vm_ls" = "$host_ls" ] && pass "ls / lists the host's root entries" || fail "ls /: '$vm_ls', host: '$host_ls'"
expect "cat FILE (dynamic)" 0 "" "${RUN[@]}" --fs / cat /etc/os-release
[ "$out" = "$(cat /etc/os-release)" ] && pass "cat gives the file's bytes" || fail "cat /etc/os-release: $(head -c 200 <<<"$out")"
expect "/usr/bin/env prints the environment" 0 "LX_ENV=here" "${RUN[@]}" --fs / --env LX_ENV=here /usr/bin/env
v=$(printf 'pear\napple\nfig\n' | "${RUN[@]}" --fs / sort 2>&1)
[ "$v" = "$(printf 'apple\nfig\npear')" ] && pass "sort sorts its stdin" || fail "sort: $v"
expect "sha256sum (coreutils, dynamic)" 0 "" "${RUN[@]}" --fs / sha256sum /etc/os-release
[ "$out" = "$(sha256sum /etc/os-release)" ] && pass "sha256sum matches the host's" || fail "sha256sum: $out"
expect "bash -c arithmetic" 0 "" "${RUN[@]}" --fs / bash -c 'echo $((6*7))'
[ "$out" = 42 ] && pass "bash -c 'echo \$((6*7))' prints 42" || fail "bash: $out"
# gcc's cc1 makes thousands of mappings: growing the VMM's record of them
# once took mremap, which the vCPU filter refuses (the VMM died of SIGSYS).
expect "gcc compiles and links a C file in the VM, the result runs" 3 "" "${RUN[@]}" --mem 1G \
	--fs / bash -c 'cd /tmp && printf "int main(void){return 3;}" >h.c && gcc -o h h.c && ./h'
if command -v python3 >/dev/null; then
	expect "python3 -c starts and prints" 0 "" "${RUN[@]}" --fs / python3 -c 'print(2**10)'
	[ "$out" = 1024 ] && pass "python3 prints 2**10" || fail "python3: $(tail -n 3 <<<"$out")"
else
	skip "linux_exec: python3 is not installed on this host"
fi
expect "a dynamic program without --fs: its interpreter is not there" 125 \
	"interpreter /lib64/ld-linux-x86-64.so.2: No such file or directory in the VM's file tree" \
	"${RUN[@]}" /bin/true

# auxv as Linux gives it: static (glibc, musl) and dynamic (AT_BASE: the interpreter)
auxv_check() { # NAME CMD...
	local name=$1; shift
	run_capture "$@"
	local line n=0
	while IFS= read -r line; do
		case $line in
		"ok "*) n=$((n + 1)) ;;
		"FAILED "*) fail "$name: ${line#FAILED }" ;;
		esac
	done <<<"$out"
	[ "$rc" -eq 0 ] && [ "$n" -ge 16 ] && pass "$name: $n auxv checks" || fail "$name: exit $rc, $n checks: $(tail -n 2 <<<"$out" | tr '\n' '|')"
}
for libc in glibc musl; do
	[ -x "$LX/lx_exec.$libc" ] || { skip "linux_exec: lx_exec.$libc not built (musl-gcc missing)"; continue; }
	auxv_check "auxv ($libc, static)" "${RUN[@]}" "$LX/lx_exec.$libc" auxv "$LX/lx_exec.$libc"
done
# The build's programs through a volume: under --fs / the build directory
# may be beneath /tmp, which the VM's own /tmp hides.
auxv_check "auxv (dynamic, through ld.so)" "${RUN[@]}" --fs / --volume "$LX:/lx:ro" --env LX_DYNAMIC=1 \
	/lx/lx_exec.dyn auxv /lx/lx_exec.dyn
grep -qxF "ok AT_BASE: the interpreter's page-aligned base" <<<"$out" && pass "auxv: AT_BASE is the interpreter's base" || fail "auxv dynamic: no AT_BASE check"

# ---- a busybox tree: #! scripts and execve from inside ----
if [ -z "$BUSYBOX" ] || ! file -L "$BUSYBOX" | grep -q "statically linked"; then
	skip "linux_exec: no static busybox for the script tests"
	exit 0
fi
FS=$T_TMP/fs
mkdir -p "$FS/bin" "$FS/dir" "$FS/lib64"
chmod 755 "$T_TMP"
cp "$BUSYBOX" "$FS/bin/busybox"
for a in sh echo cat ls true; do ln -s busybox "$FS/bin/$a"; done
cp "$LX/lx_exec.glibc" "$FS/bin/lx_exec"
printf '#!/bin/sh\necho "script $0 arg $1"\n' >"$FS/bin/hello.sh"
printf '#!/bin/echo one argument\n' >"$FS/arg.sh"
printf '#!/nonexistent/sh\n' >"$FS/nointerp.sh"
printf '#!/loop.sh\n' >"$FS/loop.sh"
printf '#!\n' >"$FS/empty.sh"
head -c 4096 /dev/urandom | tr -d '#' >"$FS/garbage"
cp "$LX/lx_exec.glibc" "$FS/noexec"
chmod 755 "$FS"/bin/hello.sh "$FS"/*.sh "$FS/garbage"
chmod 644 "$FS/noexec"
# A dynamic program in a tree whose "ld.so" is lx_fakeld (a static-PIE that
# says so): only the tree's interpreter can run it, never the host's.
cp /bin/true "$FS/bin/dyntrue"
cp "$LX/lx_fakeld.pie" "$FS/lib64/ld-linux-x86-64.so.2"
mkdir -p "$T_TMP/nold/bin" && cp /bin/true "$T_TMP/nold/bin/dyntrue" && cp "$LX/lx_exec.glibc" "$T_TMP/nold/bin/lx_exec"

expect "#!/bin/sh script as PROGRAM, found through PATH" 0 "script /bin/hello.sh arg A1" \
	"${RUN[@]}" --fs "$FS" hello.sh A1
expect "#!/bin/sh script as PROGRAM by path" 0 "script /bin/hello.sh arg B2" \
	"${RUN[@]}" --fs "$FS" /bin/hello.sh B2
expect "#! with one optional argument: interpreter, argument, script path, args" 0 \
	"one argument /arg.sh x y" "${RUN[@]}" --fs "$FS" /arg.sh x y
expect "PT_INTERP is read from the VM's tree (its ld.so runs)" 0 "the tree's interpreter ran" \
	"${RUN[@]}" --fs "$FS" /bin/dyntrue
expect "busybox sh: exec replaces the shell" 0 "" "${RUN[@]}" --fs "$FS" sh -c 'exec /bin/echo hi; echo not-replaced'
[ "$out" = hi ] && pass "sh -c 'exec /bin/echo hi' prints only hi" || fail "exec from sh: $out"
expect "busybox sh runs a script by execve" 0 "script /bin/hello.sh arg C3" \
	"${RUN[@]}" --fs "$FS" sh -c 'exec /bin/hello.sh C3'
expect "a program execs a dynamic one through the tree's ld.so" 0 "the tree's interpreter ran" \
	"${RUN[@]}" --fs "$FS" /bin/lx_exec try /bin/dyntrue

# execve errors come back to a caller that is still intact
try() { # NAME WANT PATH
	expect "$1" 0 "execve $3: $2" "${RUN[@]}" --fs "$FS" /bin/lx_exec try "$3"
}
try "execve of garbage: ENOEXEC" ENOEXEC /garbage
try "execve of a directory: EACCES" EACCES /dir
try "execve of a file without an x bit: EACCES" EACCES /noexec
try "execve of a missing file: ENOENT" ENOENT /missing
try "execve of a script whose interpreter is missing: ENOENT" ENOENT /nointerp.sh
try "execve of a #! loop: ELOOP" ELOOP /loop.sh
try "execve of an empty #! line: ENOEXEC" ENOEXEC /empty.sh
try "execve of /dev/null: EACCES" EACCES /dev/null
expect "execve of a dynamic program without its interpreter: ENOENT" 0 "execve /bin/dyntrue: ENOENT" \
	"${RUN[@]}" --fs "$T_TMP/nold" /bin/lx_exec try /bin/dyntrue
expect "argv beyond Linux's limits: E2BIG" 0 "one 200 KiB argument: E2BIG" \
	"${RUN[@]}" --fs "$FS" /bin/lx_exec big
grep -qxF "4 MB of arguments: E2BIG" <<<"$out" && pass "4 MB of argv: E2BIG" || fail "4 MB of argv: $out"
grep -qxF "a bad argument pointer: EFAULT" <<<"$out" && pass "a bad argv pointer: EFAULT" || fail "bad argv pointer: $out"
expect "execveat relative to a dirfd: AT_EXECFN is /dev/fd/N/NAME" 0 "execfn /dev/fd/3/lx_exec" \
	"${RUN[@]}" --fs "$FS" /bin/lx_exec at /bin lx_exec
expect "execveat AT_EMPTY_PATH on an fd: AT_EXECFN is /dev/fd/N" 0 "execfn /dev/fd/4" \
	"${RUN[@]}" --fs "$FS" --env LX_AT_FD=1 /bin/lx_exec at /bin lx_exec

# the exec cache's shared pages are copy-on-write: lx_exec writes into its read-only data
# (mprotect) and execs itself again, which reads the file's bytes
expect "exec cache: a write into a program's read-only data changes the writer's copy only" 0 \
	"ok exec after a write into read-only data: the file's bytes" \
	"${RUN[@]}" --fs "$FS" /bin/lx_exec text start
grep -q FAILED <<<"$out" && fail "exec cache, text write: $(grep FAILED <<<"$out" | tr '\n' '|')"

# what survives an exec: lx_exec before sets it up and execs itself
run_capture "${RUN[@]}" --fs "$FS" /bin/lx_exec before
n=0
while IFS= read -r line; do
	case $line in
	"ok "*) pass "after exec: ${line#ok }"; n=$((n + 1)) ;;
	"FAILED "*) fail "after exec: ${line#FAILED }" ;;
	esac
done <<<"$out"
[ "$rc" -eq 0 ] && [ "$n" -eq 7 ] && pass "exec state: every check ran" || fail "exec state: exit $rc, $n checks: $(tail -n 2 <<<"$out" | tr '\n' '|')"

# exec keeps a copy of a program from the host's tree (the exec cache) only while the file is
# the same: one written over on the host in place (same size, new bytes), or cut to nothing
# (ENOEXEC: the shell runs it as an empty script), after the VM ran it, runs as it is now. The VM runs the programs once, then waits for the
# host's "goes" in /gate (a ready line, not a delay) and runs them again.
if [ -n "$BUSYBOX" ]; then
	C=$T_TMP/cache
	mkdir -p "$C/bin" && chmod 755 "$C" "$C/bin"
	cp "$BUSYBOX" "$C/bin/busybox" && cp "$BUSYBOX" "$C/bin/echo" && cp "$BUSYBOX" "$C/bin/printf"
	printf '#!/bin/busybox sh\necho one\n' >"$C/s.sh" && chmod 755 "$C/s.sh"
	printf wait >"$C/gate"
	"${RUN[@]}" --timeout 60 --fs "$C" /bin/busybox sh -c '/s.sh; /bin/echo first; /bin/printf ""
until [ "$(/bin/busybox cat /gate)" = goes ]; do :; done
/s.sh; /bin/echo second; /bin/printf "third\n"; echo end' >"$T_TMP/cache.out" 2>&1 &
	vm=$!
	until grep -qx first "$T_TMP/cache.out" || ! kill -0 "$vm" 2>/dev/null; do sleep 0.05; done
	printf '#!/bin/busybox sh\necho two\n' >"$C/s.sh" # same size, same inode
	size=$(stat -c %s "$C/bin/echo")
	{ printf '#!/bin/busybox sh\necho replaced\nexit 0\n' && head -c "$size" /dev/zero | tr '\0' '#'; } |
		head -c "$size" >"$C/bin/echo" # same size and inode, a script now
	: >"$C/bin/printf"
	printf goes >"$C/gate"
	wait "$vm"
	got=$(tr '\n' ' ' <"$T_TMP/cache.out")
	case $got in
	"one first two replaced end ") pass "exec after the host changed the file: the new bytes (a script written over in place, a program made a script of the same size, one cut to nothing runs as an empty script)" ;;
	*) fail "exec after the host changed the file: $got" ;;
	esac
fi
