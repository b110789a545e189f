#!/usr/bin/env bash
# Core: example guests, hostile guests, bad input to `lockvm run`, timeouts, signals, vCPU threads.
. "$(dirname "$0")/../lib.sh"
if ! have_kvm; then skip "core: /dev/kvm is not usable here"; exit 0; fi

# --- example guests -------------------------------------------------------
expect "hello prints greeting" 0 "hello from lockvm" "$LOCKVM" run "$G/hello.elf"
run_capture "$LOCKVM" run "$G/hello.elf" -- one "two words" three
if [ "$rc" -eq 0 ] && [ "$out" = $'hello from lockvm\none\ntwo words\nthree' ]; then
	pass "hello prints each argument on its own line"
else fail "hello arguments: rc=$rc out=$out"; fi
expect "primes below 100000" 0 "primes below 100000: 9592" "$LOCKVM" run "$G/primes.elf" -- 100000
expect "primes below 2" 0 "primes below 2: 0" "$LOCKVM" run "$G/primes.elf" -- 2
for n in 1 2 4 16; do
	expect "smp on $n vCPUs" 0 "vcpus: $n of $n" "$LOCKVM" run --vcpus "$n" "$G/smp.elf" -- 300000
	grep -qF "primes below 300000: 25997" <<<"$out" || fail "smp on $n vCPUs: wrong total: $out"
done
expect "64 vCPUs start and finish" 0 "vcpus: 64 of 64" "$LOCKVM" run --vcpus 64 --mem 64M "$G/smp.elf" -- 100000

# blkcopy copies disk 0 onto disk 1 in full
head -c $((3 * 1024 * 1024 + 512)) /dev/urandom >"$T_TMP/src.img"
truncate -s $((4 * 1024 * 1024)) "$T_TMP/dst.img"
expect "blkcopy copies a disk" 0 "copied 6145 sectors" \
	"$LOCKVM" run --disk "$T_TMP/src.img,ro" --disk "$T_TMP/dst.img" "$G/blkcopy.elf"
if cmp -s "$T_TMP/src.img" <(head -c $((3 * 1024 * 1024 + 512)) "$T_TMP/dst.img"); then
	pass "blkcopy: destination equals source"
else fail "blkcopy: destination differs from source"; fi
expect "blkcopy refuses a read-only destination" 2 "disk 1 is read-only" \
	"$LOCKVM" run --disk "$T_TMP/src.img,ro" --disk "$T_TMP/dst.img,ro" "$G/blkcopy.elf"

# --- faults ---------------------------------------------------------------
expect "fault pf exits 139" 139 "guest fault: #PF at rip=" "$LOCKVM" run "$G/fault.elf" -- pf
grep -qF "addr=0x0 " <<<"$out" && pass "fault pf reports addr=0x0" || fail "fault pf address: $out"
expect "fault gp exits 139" 139 "guest fault: #GP at rip=" "$LOCKVM" run "$G/fault.elf" -- gp
expect "fault ud exits 132" 132 "guest fault: #UD at rip=" "$LOCKVM" run "$G/fault.elf" -- ud
expect "fault de exits 136" 136 "guest fault: #DE at rip=" "$LOCKVM" run "$G/fault.elf" -- de

# --- hostile guests -------------------------------------------------------
expect "hostile: buffer outside RAM" 134 \
	"guest error: vcpu0: console write: buffer [0x4001000, +0x10) is outside guest RAM" \
	"$LOCKVM" run "$TG/hc_badptr.elf"
expect "hostile: length overflow" 134 "guest error: vcpu0: console write: length 18446744073709551600 exceeds 65536" \
	"$LOCKVM" run "$TG/hc_lenoverflow.elf"
expect "hostile: address wraps" 134 \
	"guest error: vcpu0: console write: buffer [0xfffffffffffffff8, +0x10) is outside guest RAM" \
	"$LOCKVM" run "$TG/hc_lenoverflow.elf" -- wrap
expect "hostile: unknown hypercall" 134 "guest error: vcpu0: unknown hypercall 200 (port 0x5c8)" \
	"$LOCKVM" run "$TG/hc_badport.elf"
expect "hostile: 1-byte access" 134 "LOCKVM_HC_NOP: 1-byte access (x1), want one 4-byte OUT" \
	"$LOCKVM" run "$TG/hc_badsize.elf"
expect "hostile: 8-byte access" 134 "LOCKVM_HC_NOP: 8-byte access (x1), want one 4-byte OUT" \
	"$LOCKVM" run "$TG/hc_badsize.elf" -- quad
expect "hostile: read of a hypercall port" 134 "LOCKVM_HC_NOP: read from a hypercall port" \
	"$LOCKVM" run "$TG/hc_read.elf"
expect "hostile: argument struct past RAM" 134 \
	"LOCKVM_HC_CONSOLE_WRITE: argument struct [0x3fffff8, +24) is outside guest RAM" \
	"$LOCKVM" run "$TG/hc_argstruct.elf"
expect "hostile: oversized random request" 134 "random: length 1048576 exceeds 65536" \
	"$LOCKVM" run "$TG/hc_random_big.elf"
expect "hostile: misaligned wait" 134 "1 is not 4-byte aligned" \
	"$LOCKVM" run "$TG/hc_wait_unaligned.elf"
expect "hostile: MMIO poke of an unbacked doorbell slot" 134 "unknown hypercall 1000" \
	"$LOCKVM" run "$TG/mmio_poke.elf"
expect "hostile: MMIO poke of an unmapped device" 139 "addr=0xfee00000" \
	"$LOCKVM" run "$TG/mmio_poke.elf" -- apic
expect "hostile: stack exhaustion hits the guard page" 139 "guest fault: #PF" \
	"$LOCKVM" run "$TG/stack_overflow.elf"
addr=$(grep -o 'addr=0x[0-9a-f]*' <<<"$out" | cut -d= -f2)
# 64M RAM, vCPU 0: stack [64M-64K, 64M), guard page just below it
if [ -n "$addr" ] && [ $((addr)) -ge $((0x4000000 - 0x10000 - 0x1000)) ] && [ $((addr)) -lt $((0x4000000 - 0x10000)) ]; then
	pass "hostile: stack overflow faults in the guard page"
else fail "hostile: stack overflow fault address $addr not in the guard page"; fi
survivors=0
for m in write-text write-rodata exec-data exec-stack write-bootinfo write-pagetable read-idt exec-stub; do
	expect "hostile: memprot $m faults" 139 "guest fault: #PF" "$LOCKVM" run "$TG/memprot.elf" -- "$m"
done
for m in hlt lgdt wrmsr mov-cr3; do
	expect "hostile: privileged $m faults" 139 "guest fault: #GP" "$LOCKVM" run "$TG/memprot.elf" -- "$m"
done
run_capture "$LOCKVM" run "$TG/memprot.elf" -- int80
if [ "$rc" -eq 139 ] || [ "$rc" -eq 132 ]; then pass "hostile: int \$0x80 faults ($rc)"
else fail "hostile: int \$0x80: rc=$rc $out"; fi

# disks
head -c 51200 /dev/urandom >"$T_TMP/ro.img"
cp "$T_TMP/ro.img" "$T_TMP/ro.orig"
expect "hostile: write to a read-only disk gets -EROFS" 0 "write: -30" \
	"$LOCKVM" run --disk "$T_TMP/ro.img,ro" "$TG/blk_rodisk.elf"
cmp -s "$T_TMP/ro.img" "$T_TMP/ro.orig" && pass "read-only disk unchanged" || fail "read-only disk was modified"
run_capture "$LOCKVM" run --disk "$T_TMP/ro.img,ro" "$TG/blk_pastend.elf"
want=$'at end: -34\nstraddling end: -34\nwrapping: -34\nzero count: -22\ntoo many: -22\nno such disk: -19\nlast sector: 0'
[ "$rc" -eq 0 ] && [ "$out" = "$want" ] && pass "hostile: disk requests past the end get error codes" \
	|| fail "disk past end: rc=$rc out=$out"
expect "hostile: disk buffer outside RAM" 134 "disk read: buffer [0x3fffe00, +0x400) is outside guest RAM" \
	"$LOCKVM" run --disk "$T_TMP/ro.img" "$TG/blk_badbuf.elf"

# --- the runner's pages: no hypercall reads or writes them (issue 14) ------
# Addresses from the runner's layout header, so the test follows the layout.
layout() { awk -v n="$1" '$1 == "#define" && $2 == n { sub(/ULL$/, "", $3); print $3 }' "$TOP/runner/arch/x86_64/arch_x86_64.h"; }
STUBS=$(layout X86_STUBS_GPA)
declare -A RUNNER_PAGE=([pagetables]=$(layout X86_PML4_GPA) [gdt]=$(layout X86_GDT_GPA)
	[tss]=$(layout X86_TSS_GPA) [idt]=$(layout X86_IDT_GPA) [stub]=$STUBS
	[ring0-stack]=$(layout X86_RING0_STACKS_GPA) [page0]=0x0 [bootinfo]=bootinfo)
if [ -z "$STUBS" ] || [ -z "${RUNNER_PAGE[pagetables]}" ]; then fail "runner pages: layout not found in runner/arch/x86_64/arch_x86_64.h"; fi
truncate -s 4096 "$T_TMP/rw.img"
# The escape of issue 14: a fake #UD stub written to disk, read back over
# the stubs, then ud2. Refused, and the guest never ran at CPL 0.
run_capture "$LOCKVM" run --disk "$T_TMP/rw.img" "$TG/cpl_escape.elf" "$STUBS"
cs=$(grep -o 'cs before: 0x[0-9a-f]*' <<<"$out" | grep -o '0x.*')
if [ "$rc" -eq 134 ] && grep -qF "guest error: vcpu0: disk read: buffer [$STUBS, +0x200) overlaps the runner's pages" <<<"$out" &&
	[ -n "$cs" ] && [ $((cs & 3)) -eq 3 ] && ! grep -q "escaped" <<<"$out"; then
	pass "hostile: BLK_READ over the ring-0 stubs is refused; the guest stays at CPL 3 (cs=$cs)"
else fail "hostile: CPL 0 escape through the disk: rc=$rc $(tr '\n' '|' <<<"$out")"; fi
# Every writer, aimed at every kind of runner page: a guest error.
for page in "${!RUNNER_PAGE[@]}"; do
	at=${RUNNER_PAGE[$page]}
	for w in disk-read random net-recv disk-write console net-send wait wake; do
		[[ $page == bootinfo && $w =~ ^(disk-write|console|net-send|wait|wake)$ ]] && continue # readable: below
		expect "hostile: $w over the $page refused" 134 "overlaps the runner's pages" \
			"$LOCKVM" run --disk "$T_TMP/rw.img" "$TG/hc_runner.elf" "$w" "$at"
	done
	for w in args-nop args-time args-sleep args-wait args-net-wait; do
		expect "hostile: $w with its struct (ret) over the $page refused" 134 "argument struct" \
			"$LOCKVM" run "$TG/hc_runner.elf" "$w" "$at"
		grep -qF "overlaps the runner's pages" <<<"$out" || fail "hostile: $w over the $page: wrong error: $out"
	done
done
# Each fault stub, by disk read and by a `ret` field.
stub_bad=0
for v in $(seq 0 31); do
	at=$(printf '0x%x' $((STUBS + 16 * v)))
	run_capture "$LOCKVM" run --disk "$T_TMP/rw.img" "$TG/hc_runner.elf" disk-read "$at"
	r1="$rc:$(grep -c "overlaps the runner's pages" <<<"$out")"
	run_capture "$LOCKVM" run "$TG/hc_runner.elf" args-nop "$at"
	r2="$rc:$(grep -c "overlaps the runner's pages" <<<"$out")"
	[ "$r1" = 134:1 ] && [ "$r2" = 134:1 ] && continue
	fail "hostile: stub $v at $at: disk read $r1, ret field $r2 (want 134:1)"; stub_bad=1
done
[ "$stub_bad" -eq 0 ] && pass "hostile: each of the 32 fault stubs refused to disk reads and ret fields"
# A range that only straddles the end of the runner's area is refused too.
expect "hostile: disk read straddling the runner area's end refused" 134 "buffer [0x1fff00, +0x200) overlaps the runner's pages" \
	"$LOCKVM" run --disk "$T_TMP/rw.img" "$TG/hc_runner.elf" disk-read 0x1fff00
# Controls: the guest's own memory works; the boot info is readable, not writable.
expect "control: disk read into the guest's heap works" 0 "done: ret=0" \
	"$LOCKVM" run --disk "$T_TMP/rw.img" "$TG/hc_runner.elf" disk-read heap
expect "control: a ret field in the guest's own memory works" 0 "done: struct at" \
	"$LOCKVM" run "$TG/hc_runner.elf" args-wait heap
expect "control: console write of the boot info and argv (guest-readable) works" 0 "done: ret=4" \
	"$LOCKVM" run "$TG/hc_runner.elf" console args 4
expect "control: disk write from the boot info works" 0 "done: ret=0" \
	"$LOCKVM" run --disk "$T_TMP/rw.img" "$TG/hc_runner.elf" disk-write bootinfo
# CPUID: no nested virtualisation offered to the guest.
expect "cpuid: the guest sees no VMX, SMX, SVM or SGX" 0 "vmx=0 smx=0 svm=0 sgx=0 sgx_lc=0" \
	"$LOCKVM" run "$TG/cpuid_virt.elf"
grep -qF "svm_leaf=0 sev_leaf=0 sgx_leaf=0" <<<"$out" && pass "cpuid: the SVM, SEV and SGX leaves are empty" \
	|| fail "cpuid: leaves: $out"

# a spinning vCPU does not keep the VM alive after another exits
start=$(date +%s%N)
expect "hostile: vCPU spinning while another exits" 7 "" "$LOCKVM" run --vcpus 2 "$TG/spin_exit.elf"
ms=$((($(date +%s%N) - start) / 1000000))
[ "$ms" -lt 3000 ] && pass "spin_exit ended promptly (${ms} ms)" || fail "spin_exit took ${ms} ms"

# --- timeouts and signals -------------------------------------------------
start=$(date +%s%N)
expect "timeout exits 124" 124 "timeout: VM stopped after --timeout" "$LOCKVM" run --timeout 1 --vcpus 3 "$G/spin.elf"
ms=$((($(date +%s%N) - start) / 1000000))
[ "$ms" -ge 1000 ] && [ "$ms" -lt 2000 ] && pass "timeout within a second of the deadline (${ms} ms)" \
	|| fail "timeout took ${ms} ms"
"$LOCKVM" run --vcpus 2 "$G/spin.elf" >"$T_TMP/spin.out" 2>&1 &
sup=$!
vmm=""
for _ in $(seq 50); do vmm=$(pgrep -P "$sup" -x lockvm-vmm) && break; sleep 0.1; done
if [ -n "$vmm" ]; then
	pass "VMM process is named lockvm-vmm"
	# The VMM may still be setting up (its threads come last): wait up to 5 s.
	for _ in $(seq 50); do
		threads=$(cat /proc/"$vmm"/task/*/comm 2>/dev/null | sort | tr '\n' ' ')
		[[ $threads == *"vcpu0 vcpu1"* ]] && break
		sleep 0.1
	done
	[[ $threads == *"vcpu0 vcpu1"* ]] && pass "vCPU threads are named vcpu0, vcpu1" || fail "thread names: $threads"
else fail "no lockvm-vmm child of the supervisor"; fi
kill -TERM "$sup"
wait "$sup"; rc=$?
[ "$rc" -eq 143 ] && grep -q "stopped: Terminated" "$T_TMP/spin.out" && pass "SIGTERM stops the VM (143)" \
	|| fail "SIGTERM: rc=$rc $(cat "$T_TMP/spin.out")"
[ -n "$vmm" ] && ! kill -0 "$vmm" 2>/dev/null && pass "VMM gone after SIGTERM" || fail "VMM still alive after SIGTERM"

# --- bad input: exit 125 with one clear line -------------------------------
expect "missing guest" 125 "lockvm: guest /nonexistent.elf: No such file or directory" "$LOCKVM" run /nonexistent.elf
expect "no guest" 125 "run: no guest given" "$LOCKVM" run
head -c 4096 /dev/urandom | tr '\177' x >"$T_TMP/junk"
expect "not an ELF" 125 "lockvm-vmm: guest image: not an ELF file (bad magic)" "$LOCKVM" run "$T_TMP/junk"
expect "dynamic executable refused" 125 "lockvm-vmm: guest image: position-independent executable" "$LOCKVM" run /bin/true
expect "directory as guest" 125 "not a regular file" "$LOCKVM" run /tmp
expect "bad --mem" 125 "--mem 'lots': not a size" "$LOCKVM" run --mem lots "$G/hello.elf"
expect "--mem too small" 125 "--mem 1M is below the minimum of 8M" "$LOCKVM" run --mem 1M "$G/hello.elf"
expect "--mem not 2M multiple" 125 "is not a multiple of 2M" "$LOCKVM" run --mem 9M "$G/hello.elf"
expect "--mem too large" 125 "is above the maximum of 256G" "$LOCKVM" run --mem 1T "$G/hello.elf"
expect "--mem overflow" 125 "not a size" "$LOCKVM" run --mem 99999999999999999999G "$G/hello.elf"
expect "--vcpus 0" 125 "--vcpus '0': want a number from 1 to 64" "$LOCKVM" run --vcpus 0 "$G/hello.elf"
expect "--vcpus 65" 125 "--vcpus '65'" "$LOCKVM" run --vcpus 65 "$G/hello.elf"
expect "--timeout 0" 125 "--timeout '0'" "$LOCKVM" run --timeout 0 "$G/hello.elf"
expect "--timeout junk" 125 "--timeout 'x'" "$LOCKVM" run --timeout x "$G/hello.elf"
expect "missing disk" 125 "disk /nonexistent.img: No such file or directory" "$LOCKVM" run --disk /nonexistent.img "$G/hello.elf"
head -c 1000 /dev/zero >"$T_TMP/odd.img"
expect "disk size not a multiple of 512" 125 "size 1000 is not a multiple of 512 bytes" "$LOCKVM" run --disk "$T_TMP/odd.img" "$G/hello.elf"
expect "bad disk option" 125 "unknown option 'rx'" "$LOCKVM" run --disk "$T_TMP/ro.img,rx" "$G/hello.elf"
mkfifo "$T_TMP/guest.fifo" # opening a FIFO to read it blocks until a writer comes
out=$(timeout -k 2 10 "$LOCKVM" run "$T_TMP/guest.fifo" 2>&1); rc=$?
[ "$rc" -eq 125 ] && [ "$out" = "lockvm: guest $T_TMP/guest.fifo: not a regular file" ] &&
	pass "a FIFO as the guest is refused at once (no hang)" || fail "guest FIFO: rc=$rc out=$out"
expect "bad --confine" 125 "--confine 'maybe': want on or off" "$LOCKVM" run --confine maybe "$G/hello.elf"
expect "--confine off runs the VM unconfined" 0 "hello from lockvm" "$LOCKVM" run --confine off "$G/hello.elf"
expect "unknown option" 125 "run: unknown option '--bogus'" "$LOCKVM" run --bogus "$G/hello.elf"
expect "unknown command" 125 "unknown command 'frobnicate'" "$LOCKVM" frobnicate
args=(); for i in $(seq 70); do args+=("a$i"); done
expect "too many guest arguments" 125 "too many guest arguments" "$LOCKVM" run "$G/hello.elf" -- "${args[@]}"
expect "guest arguments too long" 125 "guest arguments too long" "$LOCKVM" run "$G/hello.elf" -- "$(head -c 9000 /dev/zero | tr '\0' x)"
expect "image larger than RAM segment limits" 125 "outside loadable guest memory" "$LOCKVM" run --mem 8M --vcpus 64 "$G/hello.elf"

# --- the ELF is parsed only by the confined VMM ------------------------------
# Each refusal above must carry the "lockvm-vmm:" prefix: it proves the
# untrusted bytes were parsed by the confined VMM, not by the supervisor
# (which would print "lockvm:").
for t in "not an ELF file (bad magic):$T_TMP/junk" "position-independent executable:/bin/true"; do
	run_capture "$LOCKVM" run "${t#*:}"
	if [ "$rc" -eq 125 ] && [[ $out == "lockvm-vmm: guest image: ${t%%:*}"* ]] && ! grep -q '^lockvm: ' <<<"$out"; then
		pass "ELF refusal (${t%%:*}) comes from the confined VMM"
	else fail "ELF refusal (${t%%:*}) not from lockvm-vmm: rc=$rc $out"; fi
done
expect "segment limit refusal comes from the confined VMM" 125 "lockvm-vmm: guest image: segment 0:" \
	"$LOCKVM" run --mem 8M --vcpus 64 "$G/hello.elf"
