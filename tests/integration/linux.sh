#!/usr/bin/env bash
# --linux: unmodified static glibc/musl programs and busybox in a VM; hostile syscalls; bad input.
. "$(dirname "$0")/../lib.sh"
if ! have_kvm; then skip "linux: /dev/kvm is not usable here"; exit 0; fi
LX=$B/tests/linux
BUSYBOX=$(command -v busybox || true)

# A file tree for --fs: data files, nested dirs, and links that try to leave it.
FS=$T_TMP/fs
mkdir -p "$FS/data/sub/deeper" "$FS/bin"
printf 'pear\napple\nfig\nbanana\napple\n' >"$FS/data/fruit.txt"
echo "read-only" >"$FS/data/a.txt"
head -c 3000000 /dev/urandom >"$FS/data/random.bin"
: >"$FS/data/empty"
echo "deep" >"$FS/data/sub/deeper/file"
for i in $(seq 1 40); do echo "entry $i" >"$FS/data/sub/f$i"; done
ln -s fruit.txt "$FS/data/fruit-link"
ln -s /../../../etc/passwd "$FS/escape"
ln -s ../../../../../etc/hostname "$FS/data/up"
ln -s loop "$FS/loop"
# With --fs, PROGRAM is a path in the tree (or a name on PATH there).
cp "$LX"/lx_* "$FS/bin/"
[ -n "$BUSYBOX" ] && cp "$BUSYBOX" "$FS/bin/busybox"

libcs="glibc"
if [ -x "$LX/lx_hello.musl" ]; then libcs="glibc musl"; else skip "linux: musl-gcc not installed, musl programs not built"; fi

for libc in $libcs pie; do
	hello=$LX/lx_hello.$libc
	[ -x "$hello" ] || continue
	expect "$libc: argv, env and exit status" 7 "argv[2]=two words" \
		"$LOCKVM" run --linux --env EXIT_CODE=7 --env GREETING=hi "$hello" -- one "two words"
	grep -qxF "argv[0]=$hello" <<<"$out" && grep -qxF "env GREETING=hi" <<<"$out" &&
		grep -qxF "env PATH=/usr/local/bin:/usr/bin:/bin" <<<"$out" && grep -qxF "to stderr" <<<"$out" &&
		pass "$libc: argv[0] as given, minimal env plus --env, stderr" ||
		fail "$libc: argv/env/stderr: $(tr '\n' '|' <<<"$out")"
	expect "$libc: malloc of 64 MiB" 0 "malloc 64 MiB ok" \
		"$LOCKVM" run --linux --mem 256M "$LX/lx_malloc.$libc" -- 64
	expect "$libc: unmaps, rights, moves and MAP_NORESERVE take effect at once" 0 "mm ok (5 faults)" \
		"$LOCKVM" run --linux "$LX/lx_mm.$libc"
	expect "$libc: fault without a handler exits 139" 139 "guest fault: #PF at rip=" \
		"$LOCKVM" run --linux "$LX/lx_fault.$libc" -- pf
	grep -qF "addr=0x0 " <<<"$out" && pass "$libc: the fault names address 0" || fail "$libc: fault address: $out"
	expect "$libc: SIGSEGV handler gets each fault (3 rounds)" 0 "caught signal 11 addr=0x12" \
		"$LOCKVM" run --linux "$LX/lx_fault.$libc" -- segv-handler
done
for libc in $libcs; do
	expect "$libc: #UD exits 132" 132 "guest fault: #UD" "$LOCKVM" run --linux "$LX/lx_fault.$libc" -- ud
	expect "$libc: #DE exits 136" 136 "guest fault: #DE" "$LOCKVM" run --linux "$LX/lx_fault.$libc" -- de
	expect "$libc: abort() exits 134" 134 "guest killed by signal 6" \
		"$LOCKVM" run --linux "$LX/lx_fault.$libc" -- abort
	expect "$libc: a doorbell write other than SYSCALL stops the VM" 134 "a --linux guest may only make system calls" \
		"$LOCKVM" run --linux "$LX/lx_fault.$libc" -- doorbell
	expect "$libc: SIGILL handler" 0 "caught signal 4" "$LOCKVM" run --linux "$LX/lx_fault.$libc" -- ud-handler
	expect "$libc: a signal frame on a bad stack kills the process with SIGSEGV; the VM lives on" 0 \
		"bad signal stacks: SIGSEGV, 3 of 3; pid 1 lives on" "$LOCKVM" run --linux "$LX/lx_fault.$libc" -- bad-sigstack
	expect "$libc: time, sleep and random" 0 "sleep ok, wall clock ok, random ok" \
		"$LOCKVM" run --linux "$LX/lx_time.$libc"
	expect "$libc: pipes, poll, ppoll, select, pselect, fcntl flags, FIONREAD, EPIPE" 0 "pipes and poll ok" \
		"$LOCKVM" run --linux "$LX/lx_pipe.$libc"
	expect "$libc: the first process: pid 1, group and session leader, kill, wait4/waitid ECHILD" 0 \
		"process calls ok" "$LOCKVM" run --linux "$LX/lx_proc.$libc"
	expect "$libc: SIGPIPE by default ends the program (141)" 141 "guest killed by signal 13" \
		"$LOCKVM" run --linux "$LX/lx_pipe.$libc" -- sigpipe
	grep -qF "still alive" <<<"$out" && fail "$libc: lived on after SIGPIPE" || pass "$libc: nothing ran after SIGPIPE"
		expect "$libc: file reads from --fs, mmap, /tmp, chdir" 0 "/tmp round trip: 1000 lines" \
		"$LOCKVM" run --linux --fs "$FS" "/bin/lx_files.$libc" -- /data/fruit.txt /data/random.bin /data/fruit-link /data/empty /nonexistent
	grep -qF "/data/random.bin: 3000000 bytes" <<<"$out" && grep -qF "/data/fruit-link: 28 bytes" <<<"$out" &&
		grep -qF "/data/empty: 0 bytes" <<<"$out" && grep -qF "/nonexistent: No such file or directory" <<<"$out" &&
		grep -qF "/data has 9 entries" <<<"$out" && grep -qF "cwd /data" <<<"$out" && ! grep -qF DIFFERENT <<<"$out" &&
		pass "$libc: file sizes, symlink, directory listing, mmap contents match" ||
		fail "$libc: files: $(tr '\n' '|' <<<"$out")"
	expect "$libc: hostile syscalls get the right errno" 0 "all hostile calls refused" \
		"$LOCKVM" run --linux --fs "$FS" --fs-upper none "/bin/lx_hostile.$libc"
	# Removed directories (issue 14): a removed cwd, a removed directory still
	# open. Each line the program prints names the behaviour it checked.
	for mode in removed-cwd removed-dirfd; do
		run_capture "$LOCKVM" run --linux "$LX/lx_rmdir.$libc" -- "$mode"
		while IFS= read -r line; do
			case $line in
			"ok setup: "*) ;;
			"ok "*) pass "$libc: $mode: ${line#ok }" ;;
			"FAILED "*) fail "$libc: $mode: ${line#FAILED }" ;;
			esac
		done <<<"$out"
		[ "$rc" -eq 0 ] && grep -qxF "$mode: all checks passed" <<<"$out" &&
			pass "$libc: $mode: every check ran and the VMM survived" ||
			fail "$libc: $mode: exit $rc: $(tail -n 2 <<<"$out" | tr '\n' '|')"
	done
done

# The checksum the VM computes equals the host's.
rnd=$("$LOCKVM" run --linux --fs "$FS" lx_files.glibc -- /data/random.bin 2>&1 | grep -F random.bin)
nat=$(cd "$FS" && "$LX/lx_files.glibc" data/random.bin 2>/dev/null | grep -F random.bin | sed 's|^data|/data|')
[ -n "$rnd" ] && [ "$rnd" = "$nat" ] && pass "glibc: FNV of 3 MB read in the VM equals the native run" ||
	fail "checksum differs: vm=$rnd native=$nat"

# --strace and ENOSYS counting
expect "--strace prints each call with its result" 0 "[lockvm] exit_group(0) = ?" \
	"$LOCKVM" run --linux --strace "$LX/lx_hello.glibc"
grep -qF '[lockvm] write(1, ' <<<"$out" && grep -qE '\[lockvm\] rseq\(.*= -38 ENOSYS' <<<"$out" &&
	pass "--strace shows write and rseq = -38 ENOSYS" || fail "--strace lines: $(head -c 600 <<<"$out")"
# A host program named by a relative path (no --fs): /proc/self/exe is still
# absolute, which static glibc asserts at start ($ORIGIN).
expect "a relative host path runs: /proc/self/exe is absolute" 0 "" \
	sh -c 'cd "$1" && "$2" run --linux ./tests/linux/lx_hello.glibc' sh "$B" "$LOCKVM"
expect "--stats counts ENOSYS by call" 0 "rseq(334)=1" "$LOCKVM" run --stats --linux "$LX/lx_hello.glibc"
expect "unknown syscalls counted" 0 "other(>=512)=1" "$LOCKVM" run --stats --linux --fs "$FS" --fs-upper none /bin/lx_hostile.glibc

# busybox applets: byte-identical output to the native run on the same tree
if [ -z "$BUSYBOX" ] || ! file -L "$BUSYBOX" | grep -q "statically linked"; then
	skip "linux: busybox-static is not installed (apt-get install busybox-static)"
else
	bb() { # NAME APPLET ARGS... : run natively in $FS and in the VM with / = $FS
		local name=$1; shift
		local native vm rc
		native=$(cd "$FS" && "$BUSYBOX" "$@" 2>&1)
		vm=$("$LOCKVM" run --linux --fs "$FS" /bin/busybox -- "$@" 2>&1); rc=$?
		if [ "$rc" -eq 0 ] && [ "$vm" = "$native" ] && [ -n "$vm" ]; then pass "busybox $name: same output as native"
		else fail "busybox $name: rc=$rc vm=$(head -c 300 <<<"$vm" | tr '\n' '|') native=$(head -c 300 <<<"$native" | tr '\n' '|')"; fi
	}
	bb echo echo hello from busybox
	bb cat cat data/fruit.txt data/sub/deeper/file data/fruit-link
	bb sha256sum sha256sum data/fruit.txt data/random.bin data/empty
	bb wc wc data/fruit.txt data/random.bin
	bb sort sort data/fruit.txt
	bb "sort -u -r" sort -u -r data/fruit.txt
	bb ls ls data data/sub
	bb "ls -1 -R" ls -1 -R data
	bb md5sum md5sum data/random.bin
	expect "busybox cat of a missing file fails like natively" 1 "can't open 'nope'" \
		"$LOCKVM" run --linux --fs "$FS" busybox -- cat nope
	for i in 1 2 3; do # the sleep ends at the deadline too: the timeout must still win, every time
		expect "busybox sleep 5 under --timeout 1 exits 124 (round $i)" 124 "timeout: VM stopped after --timeout" \
			"$LOCKVM" run --linux --timeout 1 "$BUSYBOX" -- sleep 5
	done
	expect "busybox sh: read and while-read from a file (poll)" 0 "lines: pear apple fig banana apple " \
		"$LOCKVM" run --linux --fs "$FS" busybox -- sh -c \
		'read x < /data/fruit.txt; echo "first: $x"; printf "lines: "; while read l; do printf "%s " "$l"; done < /data/fruit.txt; echo'
	grep -qxF "first: pear" <<<"$out" && pass "busybox sh: read x < file gets the first line" ||
		fail "busybox read x < file: $(tr '\n' '|' <<<"$out")"
	v=$(printf 'one two\n' | "$LOCKVM" run --linux "$BUSYBOX" -- sh -c 'read a b; echo "$b $a"' 2>&1)
	[ "$v" = "two one" ] && pass "busybox sh: read from the runner's stdin" || fail "read from stdin: $v"
	v=$(echo "from stdin" | "$LOCKVM" run --linux "$BUSYBOX" -- cat 2>&1)
	[ "$v" = "from stdin" ] && pass "busybox cat reads the runner's stdin" || fail "stdin: $v"
fi

for mode in spin sleep; do
	expect "a program that blocks every signal and ${mode}s still ends at --timeout with 124" 124 \
		"timeout: VM stopped after --timeout" "$LOCKVM" run --linux --timeout 1 "$LX/lx_block.glibc" -- "$mode"
	grep -qxF "all signals blocked" <<<"$out" && pass "lx_block ($mode) ran before the timeout" ||
		fail "lx_block ($mode) never ran: $(tr '\n' '|' <<<"$out")"
done

# Signals from the host: SIGTERM/SIGINT to lockvm reach the program's handler; a second one ends it
sig_run() { # NAME MODE SIGNAL WANT_RC PATTERN [twice]
	local name=$1 mode=$2 sig=$3 want=$4 pattern=$5 twice=${6:-} sup rc
	sig_out=$T_TMP/sig.$mode.$sig.out # one file per run: never an earlier run's "ready"
	rm -f "$sig_out"
	"$LOCKVM" run --linux --timeout 60 "$LX/lx_sig.glibc" -- "$mode" >"$sig_out" 2>&1 &
	sup=$!
	for _ in $(seq 100); do grep -qsx ready "$sig_out" && break; sleep 0.1; done
	kill -"$sig" "$sup"
	if [ -n "$twice" ]; then sleep 0.5; kill -"$sig" "$sup"; fi
	wait "$sup"; rc=$?
	if [ "$rc" -eq "$want" ] && grep -qF -- "$pattern" "$sig_out"; then pass "host signal: $name"
	else fail "host signal: $name: rc=$rc want $want: $(tr '\n' '|' <"$sig_out")"; fi
}
sig_run "SIGTERM interrupts a blocked pipe read (EINTR), the handler runs, exit 0" read TERM 0 "read returned -1 (Interrupted system call) after signal 15"
sig_run "SIGINT too" read INT 0 "after signal 2"
sig_run "SA_RESTART: the read resumes and gets what the handler wrote" restart TERM 0 "restarted read returned 1 'w' after signal 15"
sig_run "a program that makes no calls is kicked into its handler" spin TERM 0 "spin interrupted by signal 15"
sig_run "nanosleep returns EINTR with the time left" sleep TERM 0 "nanosleep returned -1 (Interrupted system call)"
sig_run "a blocked SIGTERM stays pending and is taken on unblock" blocked TERM 0 "after unblock: signal 15"
sig_run "no handler: the default action ends the VM (143)" default TERM 143 "stopped: Terminated"
sig_run "an ignored SIGTERM: the second one ends the VM (143)" ignore TERM 143 "stopped: Terminated" twice
grep -qF "slept through" "$sig_out" && fail "host signal: the ignoring program slept through" ||
	pass "host signal: the ignoring program did not finish its sleep"

# lockvm stop: the job gets SIGTERM and cleans up; one that blocks every signal is killed
mkdir -p "$T_TMP/root"
LR=("$LOCKVM" --root "$T_TMP/root")
VN=lxstop$$
"${LR[@]}" run -d --name "$VN" --linux "$LX/lx_sig.glibc" -- read >/dev/null
for _ in $(seq 50); do "${LR[@]}" logs "$VN" 2>/dev/null | grep -qx ready && break; sleep 0.1; done
expect "lockvm stop of a --linux job" 0 "$VN: stopped" "${LR[@]}" stop "$VN" --timeout 20
run_capture "${LR[@]}" logs "$VN"
grep -qF "read returned -1 (Interrupted system call) after signal 15" <<<"$out" && grep -qF "exit: 0 (exit status 0)" <<<"$out" &&
	pass "lockvm stop: the --linux job's SIGTERM handler ran and it exited 0" || fail "stop log: $(tail -n 3 <<<"$out" | tr '\n' '|')"
"${LR[@]}" run -d --name "${VN}b" --linux "$LX/lx_block.glibc" -- spin >/dev/null
# stopped only once it blocks every signal (a SIGTERM before that ends it)
for _ in $(seq 100); do "${LR[@]}" logs "${VN}b" 2>/dev/null | grep -qx "all signals blocked" && break; sleep 0.1; done
expect "lockvm stop kills a --linux job that blocks every signal" 0 "${VN}b: killed" "${LR[@]}" stop "${VN}b" --timeout 0.5

# Bad input: one line, exit 125, nothing run
expect "--linux: a dynamic program without --fs has no interpreter to load" 125 \
	"interpreter /lib64/ld-linux-x86-64.so.2: No such file or directory in the VM's file tree (give --fs DIR" \
	"$LOCKVM" run --linux /bin/true
expect "--fs without --linux is refused" 125 "need --linux" "$LOCKVM" run --fs "$FS" /bin/lx_hello.glibc
expect "--linux on 9 vCPUs is refused" 125 "1 to 8 vCPUs" "$LOCKVM" run --linux --vcpus 9 "$LX/lx_hello.glibc"
expect "--fs of a missing directory" 125 "--fs $T_TMP/none" "$LOCKVM" run --linux --fs "$T_TMP/none" "$LX/lx_hello.glibc"
expect "a Linux program without --linux asks for it" 125 "run it with --linux" "$LOCKVM" run "$LX/lx_hello.glibc"
expect "an SDK guest with --linux does not run as one" 139 "" "$LOCKVM" run --linux "$G/hello.elf"
expect "--env without =" 125 "want NAME=VALUE" "$LOCKVM" run --linux --env FOO "$LX/lx_hello.glibc"
expect "malloc beyond guest RAM fails cleanly" 1 "malloc(512 MiB) failed" \
	"$LOCKVM" run --linux --mem 64M "$LX/lx_malloc.glibc" -- 512
