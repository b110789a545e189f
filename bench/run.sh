#!/usr/bin/env bash
# make bench: each figure measured side by side with its baseline in the same run.
# Prints "BENCH <name> ratio=<R> <details>".
set -u
cd "$(dirname "$0")/.."
B=${LOCKVM_BUILD:-build}
L=$B/lockvm
T=$(mktemp -d /tmp/lockvm-bench.XXXXXX)
trap 'rm -rf "$T"' EXIT
export LOCKVM_ROOT=$T/root
mkdir -p "$LOCKVM_ROOT" # lockvm wants its root to exist

secs() { # runs "$@" REPEAT times, prints the best wall time in seconds
	local best="" s e d
	for _ in $(seq "$REPEAT"); do
		s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N)
		d=$((e - s)); if [ -z "$best" ] || [ "$d" -lt "$best" ]; then best=$d; fi
	done
	awk -v n="$best" 'BEGIN { printf "%.6f", n / 1e9 }'
}
# ratio A B: A / B, or "n/a" when a figure is missing or not a positive number
# (a run that failed prints nothing: no made-up 0.000).
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a !~ /^[0-9.eE+-]+$/ || b !~ /^[0-9.eE+-]+$/ || a + 0 <= 0 || b + 0 <= 0) { printf "n/a"; exit }
		printf "%.3f", a / b }'
}

# compute: guest speed / native speed (interleaved runs, best of 3 each)
N=8000000 REPEAT=3
native=$(secs "$B/bench/primes_native" $N)
guest=$(secs "$L" run "$B/guests/primes.elf" -- $N)
echo "BENCH compute ratio=$(ratio "$native" "$guest") guest=${guest}s native=${native}s (primes below $N; target >= 0.95)"

# hypercall: null hypercall round trip / the same exit made by a raw KVM program.
# A lockvm hypercall is an MMIO write from 64-bit ring 3 (port I/O from ring 3
# faults on these hosts whatever IOPL says, see abi.h), so the like-for-like
# baseline is a raw ring-3 MMIO exit; the raw port-I/O exits (real mode and
# 64-bit ring 0, both run by the nested hypervisor's emulator) are printed too.
# Interleaved, best of 5 each: these machines are noisy.
best() { sort -g | head -1; }
raw_mmio="" hc_ns="" raw_io="" raw_io64=""
for _ in 1 2 3 4 5; do
	raw_mmio+="$("$B/bench/rawkvm" mmio 20000) "
	hc_ns+="$("$L" run "$B/guests/hcbench.elf" -- 20000 | awk '/hypercall_ns/ { print $2 }') "
done
raw_mmio=$(tr ' ' '\n' <<<"$raw_mmio" | grep . | best)
hc_us=$(tr ' ' '\n' <<<"$hc_ns" | grep . | best | awk '{ printf "%.3f", $1 / 1000 }')
raw_io=$("$B/bench/rawkvm" io 20000)
raw_io64=$("$B/bench/rawkvm" io64 20000)
echo "BENCH hypercall ratio=$(ratio "$hc_us" "$raw_mmio") hypercall=${hc_us}us raw_ring3_mmio_exit=${raw_mmio}us raw_port_io_exit=${raw_io}us (real mode) ${raw_io64}us (64-bit ring 0) (target <= 1.2)"

# start: lockvm run hello.elf start-to-exit / raw KVM program running one instruction
REPEAT=20
raw=$(secs "$B/bench/rawkvm" one)
lv=$(secs "$L" run "$B/guests/hello.elf")
echo "BENCH start ratio=$(ratio "$lv" "$raw") lockvm=${lv}s raw=${raw}s (best of $REPEAT)"

# start-vs-bwrap, start-linux-vs-bwrap: a confined lockvm VM (hello.elf; --linux with
# the static glibc hello) / bubblewrap starting a bare namespace sandbox
# (`bwrap --unshare-all`) around that same static hello. Interleaved, 20
# rounds: ratio of the bests, medians beside. Targets <= 1.0 and <= 1.2.
if command -v bwrap >/dev/null; then
	HELLO=$B/tests/linux/lx_hello.glibc
	lv="" lx="" bw=""
	for _ in $(seq 20); do
		lv+="$(REPEAT=1 secs "$L" run "$B/guests/hello.elf") "
		bw+="$(REPEAT=1 secs bwrap --unshare-all --ro-bind "$HELLO" /hello /hello) "
		lx+="$(REPEAT=1 secs "$L" run --linux "$HELLO") "
	done
	pick() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk -v w="$2" '{ v[NR] = $1 } END { print (w == "min") ? v[1] : v[int((NR + 1) / 2)] }'; }
	ms() { awk -v s="$1" 'BEGIN { printf "%.2f", s * 1000 }'; }
	echo "BENCH start-vs-bwrap ratio=$(ratio "$(pick "$lv" min)" "$(pick "$bw" min)") lockvm=$(ms "$(pick "$lv" min)")ms bwrap=$(ms "$(pick "$bw" min)")ms medians lockvm=$(ms "$(pick "$lv" med)")ms bwrap=$(ms "$(pick "$bw" med)")ms (hello.elf confined / bwrap --unshare-all of the static hello; best of 20; target <= 1.0)"
	echo "BENCH start-linux-vs-bwrap ratio=$(ratio "$(pick "$lx" min)" "$(pick "$bw" min)") lockvm=$(ms "$(pick "$lx" min)")ms bwrap=$(ms "$(pick "$bw" min)")ms medians lockvm=$(ms "$(pick "$lx" med)")ms bwrap=$(ms "$(pick "$bw" med)")ms (--linux static hello confined / bwrap of the same; best of 20; target <= 1.2)"
else
	echo "BENCH start-vs-bwrap skipped: bubblewrap not installed (make deps)"
fi
# The phases of one confined start (LOCKVM_DEBUG_TIMING=1), in order, as a table.
echo "start phases (ms from the supervisor's start; one run of hello.elf):"
LOCKVM_DEBUG_TIMING=1 "$L" run "$B/guests/hello.elf" 2>&1 >/dev/null | grep '^timing:' |
	sed 's/^timing: //; s/at= */at=/; s/took= */took=/' | sort -s -t= -k2,2g |
	awk '{ took = $NF; at = $(NF - 1); $NF = ""; $(NF - 1) = ""; printf "  %-40s %-14s %s\n", $0, at, took }'

# confine: hello.elf start-to-exit fully confined / the same with --confine off
# (interleaved, best of 20 each). Target: confinement adds under 5 ms.
on="" off=""
for _ in $(seq 20); do
	on+="$(REPEAT=1 secs "$L" run "$B/guests/hello.elf") "
	off+="$(REPEAT=1 secs "$L" run --confine off "$B/guests/hello.elf") "
done
on=$(tr ' ' '\n' <<<"$on" | grep . | sort -g | head -1)
off=$(tr ' ' '\n' <<<"$off" | grep . | sort -g | head -1)
echo "BENCH confine ratio=$(ratio "$on" "$off") confined=${on}s unconfined=${off}s added=$(awk -v a="$on" -v b="$off" 'BEGIN { printf "%.2f", (a - b) * 1000 }')ms (best of 20; target: added < 5 ms)"

# list, density, overhead of 100 VMs: detached idle VMs (service.elf) in a
# root of their own. list = `lockvm list --json` with 100 VMs / with 1;
# density = 100 detached starts at once / 100 times one start.
LR=$T/registry
mkdir -p "$LR"
LV=("$L" --root "$LR")
REPEAT=5
one_start=$(s=$(date +%s%N); "${LV[@]}" run -d --name solo --mem 16M "$B/guests/service.elf" >/dev/null 2>&1; e=$(date +%s%N); awk -v n=$((e - s)) 'BEGIN { printf "%.6f", n / 1e9 }')
list1=$(secs "${LV[@]}" list --json)
"${LV[@]}" kill solo >/dev/null 2>&1
s=$(date +%s%N)
for i in $(seq 100); do "${LV[@]}" run -d --name "d$i" --mem 16M "$B/guests/service.elf" >/dev/null 2>&1 & done
wait
e=$(date +%s%N)
started=$("${LV[@]}" list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
conc=$(awk -v n=$((e - s)) 'BEGIN { printf "%.6f", n / 1e9 }')
list100=$(secs "${LV[@]}" list --json)
anon=0 count=0
for p in $(pgrep -x lockvm-vmm); do
	grep -q "service.elf" "/proc/$p/cmdline" 2>/dev/null || continue
	a=$(awk '$1 == "RssAnon:" { print $2 }' "/proc/$p/status" 2>/dev/null) || continue
	anon=$((anon + ${a:-0})); count=$((count + 1))
done
for i in $(seq 100); do "${LV[@]}" kill "d$i" >/dev/null 2>&1 & done
wait
echo "BENCH list ratio=$(ratio "$list100" "$list1") list_100=${list100}s list_1=${list1}s (lockvm list --json, $started VMs running; best of 5)"
echo "BENCH density ratio=$(ratio "$conc" "$(awk -v o="$one_start" 'BEGIN { printf "%.6f", o * 100 }')") start_100_at_once=${conc}s one_start=${one_start}s ($started of 100 detached 16 MiB VMs running)"
[ "$count" -gt 0 ] && echo "BENCH overhead-100 ratio=$(ratio "$((anon / count))" 2048) vmm_anon_rss_per_vm=$((anon / count))KiB over $count idle VMs (guest pages included; target <= 2048KiB)"

# block: guest disk copy throughput / host pread+pwrite copy of the same image
MB=256 REPEAT=3
head -c $((MB << 20)) /dev/urandom >"$T/src.img"
truncate -s $((MB << 20)) "$T/dst.img" "$T/dst2.img"
host=$(secs "$B/bench/hostcopy" "$T/src.img" "$T/dst2.img")
guest=$(secs "$L" run --disk "$T/src.img,ro" --disk "$T/dst.img" "$B/guests/blkcopy.elf")
cmp -s "$T/src.img" "$T/dst.img" || echo "BENCH block: copy differs!"
echo "BENCH block ratio=$(ratio "$host" "$guest") guest=$(awk -v m=$MB -v s="$guest" 'BEGIN{printf "%.0f", m/s}')MB/s host=$(awk -v m=$MB -v s="$host" 'BEGIN{printf "%.0f", m/s}')MB/s (${MB} MiB; target >= 0.5)"

# memtouch: a guest writing and reading back 1 GiB of fresh RAM (each first
# touch is an EPT fault the host serves) / the same loop natively on fresh
# anonymous memory. Loop time as each side measures it (VM start excluded),
# best of 3, interleaved. memtouch: lockvm's default options (a 1280 MiB
# guest gets transparent huge pages where the host allows them) against the
# native default (4 KiB pages unless asked); memtouch-4k: 4 KiB pages on
# both sides (--hugepages=off); memtouch-hugepages: THP on both sides.
memtouch_ns() { "$@" 2>/dev/null | grep -o 'ns=[0-9]*' | cut -d= -f2; }
# Rounds outside, kinds inside, their order rotated each round: how fast
# fresh memory comes depends on what the run before freed (4 KiB or huge
# pages, which these hosts also reclaim), so each kind follows each other.
declare -A g_best=() n_best=()
for order in "default small thp" "small thp default" "thp default small"; do
	for kind in $order; do
		case $kind in
		thp) g=$(memtouch_ns "$L" run --mem 1280M --hugepages=thp "$B/guests/memtouch.elf" -- 1G)
			n=$(memtouch_ns "$B/bench/memtouch_native" 1G thp) ;;
		small) g=$(memtouch_ns "$L" run --mem 1280M --hugepages=off "$B/guests/memtouch.elf" -- 1G)
			n=$(memtouch_ns "$B/bench/memtouch_native" 1G) ;;
		*) g=$(memtouch_ns "$L" run --mem 1280M "$B/guests/memtouch.elf" -- 1G)
			n=$(memtouch_ns "$B/bench/memtouch_native" 1G) ;;
		esac
		if [ -n "$g" ] && { [ -z "${g_best[$kind]:-}" ] || [ "$g" -lt "${g_best[$kind]}" ]; }; then g_best[$kind]=$g; fi
		if [ -n "$n" ] && { [ -z "${n_best[$kind]:-}" ] || [ "$n" -lt "${n_best[$kind]}" ]; }; then n_best[$kind]=$n; fi
	done
done
for kind in default small thp; do
	g=${g_best[$kind]:-} n=${n_best[$kind]:-}
	case $kind in default) name=memtouch how="lockvm's default options: THP for this guest where the host allows it; native 4 KiB pages" ;;
	small) name=memtouch-4k how="4 KiB pages on both sides" ;;
	thp) name=memtouch-hugepages how="transparent huge pages on both sides" ;; esac
	if [ -z "$g" ] || [ -z "$n" ]; then
		echo "BENCH $name ratio=n/a (a run failed: guest='$g' native='$n')"
		continue
	fi
	echo "BENCH $name ratio=$(ratio "$n" "$g") guest=$(awk -v n="$g" 'BEGIN{printf "%.3f", n/1e9}')s native=$(awk -v n="$n" 'BEGIN{printf "%.3f", n/1e9}')s (1 GiB written and read back, $how; guest speed / native speed; target >= 0.8)"
done

# overhead: the VMM's resident memory beyond the guest's own touched pages,
# for one VM whose guest touches 64 MiB, read from outside while it holds.
# rss counts the VMM binary's text (file pages, shared by every VM); the
# cgroup charge adds KVM's kernel memory and the page tables. Target: 2 MiB.
# (The 100-VM figure needs detached VMs from the registry: not measured here.)
"$L" run --mem 128M "$B/guests/memtouch.elf" -- 64M hold=3 >"$T/overhead.out" 2>&1 &
sup=$!
for _ in $(seq 50); do grep -q holding "$T/overhead.out" && break; sleep 0.1; done
vmm=$(pgrep -P "$sup" -x lockvm-vmm | head -n 1)
rss=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$vmm/status" 2>/dev/null)
anon=$(awk '$1 == "RssAnon:" { print $2 }' "/proc/$vmm/status" 2>/dev/null)
file=$(awk '$1 == "RssFile:" { print $2 }' "/proc/$vmm/status" 2>/dev/null)
# the VMM's memory cgroup as the host sees it (v1 "N:memory:/path", v2 "0::/path")
cgrel=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3; exit }' "/proc/$vmm/cgroup" 2>/dev/null)
charge=$(cat "/sys/fs/cgroup/memory$cgrel/memory.usage_in_bytes" 2>/dev/null ||
	cat "/sys/fs/cgroup/unified$cgrel/memory.current" 2>/dev/null)
wait "$sup"
if [ -n "$rss" ]; then
	touched=$((64 * 1024))
	over=$((rss - touched))
	charge_over=n/a
	[ -n "$charge" ] && charge_over="$(((charge / 1024 - touched)))KiB"
	echo "BENCH overhead ratio=$(ratio "$over" 2048) vmm_rss_beyond_guest=${over}KiB (anon $((anon - touched))KiB, shared binary text ${file}KiB) cgroup_charge_beyond_guest=${charge_over} for 1 VM touching 64 MiB (target <= 2048KiB, ratio = overhead / target; 100 VMs: see BENCH density)"
else
	echo "BENCH overhead ratio=n/a (could not read the VMM's memory)"
fi

# linux-compute: the same static binary (bench/primes_native.c, glibc -static) in a --linux VM
# and natively; the VM's figure includes its start-up.
LX=$B/tests/linux
N=8000000 REPEAT=3
native=$(secs "$LX/primes.glibc" $N)
guest=$(secs "$L" run --linux "$LX/primes.glibc" -- $N)
echo "BENCH linux-compute ratio=$(ratio "$native" "$guest") guest=${guest}s native=${native}s (primes below $N, one static binary; target >= 0.95)"

# linux-syscall: getppid() in a --linux VM / the raw ring-3 MMIO exit of bench/rawkvm.c
# (the same exit a --linux syscall takes on these hosts). Interleaved, best of 5.
# Beside it the raw floor of a system call made this way (rawkvm syscall: SYSCALL into a
# stub that makes that exit, resumed at RCX through the sync registers): on a host whose
# SYSCALL from CPL 3 is itself a trip to the hypervisor (PVM) it costs more than the exit.
lx_ns="" raw_mmio="" raw_sys=""
for _ in 1 2 3 4 5; do
	raw_mmio+="$("$B/bench/rawkvm" mmio 20000) "
	raw_sys+="$("$B/bench/rawkvm" syscall 20000) "
	lx_ns+="$("$L" run --linux "$LX/syscall_bench.glibc" -- 20000 | awk '/getppid_ns/ { print $2 }') "
done
raw_mmio=$(tr ' ' '\n' <<<"$raw_mmio" | grep . | best)
raw_sys=$(tr ' ' '\n' <<<"$raw_sys" | grep . | best)
lx_us=$(tr ' ' '\n' <<<"$lx_ns" | grep . | best | awk '{ printf "%.3f", $1 / 1000 }')
# Exits per call and per fresh page, from the VMM's own counts (--stats):
# 20000 getppid calls, and 64 MiB touched against none (spawn_bench fork MIB 0).
per_call=$("$L" run --linux --stats "$LX/syscall_bench.glibc" -- 20000 2>&1 |
	awk '/^stats: exits=/ { sub("exits=", "", $2); e = $2 } /^linux: syscalls=/ { sub("syscalls=", "", $2); c = $2 } END { if (c) printf "%.3f", e / c }')
touch_exits() { "$L" run --linux --stats --mem 512M "$LX/spawn_bench.glibc" fork "$1" 0 2>&1 | awk '/^stats: exits=/ { sub("exits=", "", $2); print $2 }'; }
per_page=$(awk -v a="$(touch_exits 64)" -v b="$(touch_exits 0)" 'BEGIN { if (a != "" && b != "") printf "%.4f", (a - b) / 16384 }')
echo "BENCH linux-syscall ratio=$(ratio "$lx_us" "$raw_mmio") getppid=${lx_us}us/call raw_ring3_mmio_exit=${raw_mmio}us raw_ring3_syscall=${raw_sys}us vs_raw_syscall=$(ratio "$lx_us" "$raw_sys") exits_per_syscall=${per_call:-?} exits_per_fresh_page=${per_page:-?} (lower is better; target <= 1.1)"

# linux-signal: a signal sent to itself and handled (tgkill, handler, rt_sigreturn: two
# calls, the frame's FPU state saved and loaded) / two getppid() calls, both in the VM:
# what a delivery costs beyond its two exits. Best of 3; native beside.
sg_vm="" sg_call="" sg_native=""
for _ in 1 2 3; do
	out_vm=$("$L" run --linux "$LX/signal_bench.glibc" -- 20000)
	sg_vm+="$(awk '/signal_ns/ { print $2 }' <<<"$out_vm") "
	sg_call+="$(awk '/getppid_ns/ { print $2 }' <<<"$out_vm") "
	sg_native+="$("$LX/signal_bench.glibc" 200000 | awk '/signal_ns/ { print $2 }') "
done
sg_vm=$(tr ' ' '\n' <<<"$sg_vm" | grep . | sort -g | head -1)
sg_call=$(tr ' ' '\n' <<<"$sg_call" | grep . | sort -g | head -1)
sg_native=$(tr ' ' '\n' <<<"$sg_native" | grep . | sort -g | head -1)
echo "BENCH linux-signal ratio=$(ratio "$sg_vm" "$((2 * sg_call))") vm=${sg_vm}ns per delivery, getppid=${sg_call}ns, native=${sg_native}ns (a delivery / two calls in the VM; lower is better; target <= 1.5)"

# linux-unix: 256 MiB through an AF_UNIX socketpair in one process (64 KiB writes and
# reads: two exits per 64 KiB), in a --linux VM / natively. Interleaved, best of 3.
ux_vm="" ux_native=""
for _ in 1 2 3; do
	ux_native+="$("$LX/unix_bench.glibc" 256 | awk '/unix_mib_per_s/ { print $2 }') "
	ux_vm+="$("$L" run --linux "$LX/unix_bench.glibc" -- 256 | awk '/unix_mib_per_s/ { print $2 }') "
done
ux_native=$(tr ' ' '\n' <<<"$ux_native" | grep . | sort -g | tail -1)
ux_vm=$(tr ' ' '\n' <<<"$ux_vm" | grep . | sort -g | tail -1)
echo "BENCH linux-unix ratio=$(ratio "$ux_vm" "$ux_native") vm=${ux_vm}MiB/s native=${ux_native}MiB/s (256 MiB through a socketpair, 64 KiB at a time; higher is better)"

# linux-epoll: one-byte round trips between two processes over a pipe pair, each side in
# epoll_wait before it reads, in a --linux VM / natively (eight calls per round trip, two
# task switches). Interleaved, best of 3; the ratio is the slowdown (lower is better).
ep_vm="" ep_native=""
for _ in 1 2 3; do
	ep_native+="$("$LX/epoll_bench.glibc" 20000 | awk '/epoll_rtt_ns/ { print $2 }') "
	ep_vm+="$("$L" run --linux "$LX/epoll_bench.glibc" -- 5000 | awk '/epoll_rtt_ns/ { print $2 }') "
done
ep_native=$(tr ' ' '\n' <<<"$ep_native" | grep . | sort -g | head -1)
ep_vm=$(tr ' ' '\n' <<<"$ep_vm" | grep . | sort -g | head -1)
echo "BENCH linux-epoll ratio=$(ratio "$ep_vm" "$ep_native") vm=${ep_vm}ns native=${ep_native}ns per round trip (epoll_wait ping-pong over a pipe pair; lower is better)"

# linux-tcp-loopback: 128 MiB through a TCP connection over 127.0.0.1 in one process (32 KiB
# sends and the reads that take them), lwIP inside the VMM / the host kernel natively. Best of 3.
tcp_vm="" tcp_native=""
for _ in 1 2 3; do
	tcp_native+="$("$LX/tcp_bench.glibc" 128 | awk '/tcp_mib_per_s/ { print $2 }') "
	tcp_vm+="$("$L" run --linux "$LX/tcp_bench.glibc" -- 128 | awk '/tcp_mib_per_s/ { print $2 }') "
done
tcp_native=$(tr ' ' '\n' <<<"$tcp_native" | grep . | sort -g | tail -1)
tcp_vm=$(tr ' ' '\n' <<<"$tcp_vm" | grep . | sort -g | tail -1)
echo "BENCH linux-tcp-loopback ratio=$(ratio "$tcp_vm" "$tcp_native") vm=${tcp_vm}MiB/s native=${tcp_native}MiB/s (128 MiB over 127.0.0.1, 32 KiB at a time; higher is better)"

# linux-thread, linux-futex-pingpong: pthread_create+pthread_join x1000, then 1000 futex
# round trips between two threads (tests/linux/thread_bench.c), in a --linux VM / natively.
# Interleaved, best of 3; microseconds per operation, lower is better.
th_vm="" th_native="" pp_vm="" pp_native=""
for _ in 1 2 3; do
	out=$("$LX/thread_bench.glibc" 1000)
	th_native+="$(awk '/thread_create_join_us/ { print $2 }' <<<"$out") "
	pp_native+="$(awk '/futex_pingpong_us/ { print $2 }' <<<"$out") "
	out=$("$L" run --linux "$LX/thread_bench.glibc" -- 1000)
	th_vm+="$(awk '/thread_create_join_us/ { print $2 }' <<<"$out") "
	pp_vm+="$(awk '/futex_pingpong_us/ { print $2 }' <<<"$out") "
done
th_vm=$(tr ' ' '\n' <<<"$th_vm" | grep . | best)
th_native=$(tr ' ' '\n' <<<"$th_native" | grep . | best)
pp_vm=$(tr ' ' '\n' <<<"$pp_vm" | grep . | best)
pp_native=$(tr ' ' '\n' <<<"$pp_native" | grep . | best)
echo "BENCH linux-thread ratio=$(ratio "$th_vm" "$th_native") vm=${th_vm}us native=${th_native}us (pthread_create+join, best of 3 runs of 1000; lower is better)"
echo "BENCH linux-futex-pingpong ratio=$(ratio "$pp_vm" "$pp_native") vm=${pp_vm}us native=${pp_native}us (one futex round trip between two threads, best of 3 runs of 1000; lower is better)"

# linux-busybox: busybox sha256sum of a 64 MiB file, natively and in a --linux VM (file from --fs).
if command -v busybox >/dev/null; then
	mkdir -p "$T/fs/bin"
	chmod 755 "$T"
	cp "$(command -v busybox)" "$T/fs/bin/busybox"
	head -c $((64 << 20)) /dev/urandom >"$T/fs/big"
	REPEAT=3
	native=$(cd "$T/fs" && secs busybox sha256sum big)
	guest=$(secs "$L" run --linux --fs "$T/fs" busybox -- sha256sum /big)
	a=$(cd "$T/fs" && busybox sha256sum big | cut -d' ' -f1)
	b=$("$L" run --linux --fs "$T/fs" busybox -- sha256sum /big | cut -d' ' -f1)
	[ "$a" = "$b" ] || echo "BENCH linux-busybox: digests differ!"
	echo "BENCH linux-busybox ratio=$(ratio "$native" "$guest") guest=${guest}s native=${native}s (sha256sum of 64 MiB, read lazily from --fs)"
	# linux-rootfs: start and run `busybox true` with --fs / (the host's whole root)
	# vs a ten-file tree: start time must not grow with the tree (target <= 1.2).
	mkdir -p "$T/ten/bin"
	cp "$(command -v busybox)" "$T/ten/bin/busybox"
	for i in 1 2 3 4 5 6 7 8 9; do echo "$i" >"$T/ten/f$i"; done
	# Interleaved, best of 9 each: other load on the host hits both alike.
	REPEAT=1 small="" whole=""
	for _ in 1 2 3 4 5 6 7 8 9; do
		small+="$(secs "$L" run --linux --fs "$T/ten" busybox -- true) "
		whole+="$(secs "$L" run --linux --fs / busybox -- true) "
	done
	small=$(tr ' ' '\n' <<<"$small" | grep . | best)
	whole=$(tr ' ' '\n' <<<"$whole" | grep . | best)
	echo "BENCH linux-rootfs ratio=$(ratio "$whole" "$small") root=${whole}s ten_files=${small}s (--fs / vs a ten-file tree; target <= 1.2)"
	# linux-record: the same job with and without --record FILE: busybox sha256sum of the
	# 720 headers of /usr/include and /usr/include/linux (7.4 MiB) from --fs /, each file
	# read (and, with --record, hashed once more by the VMM) once. Interleaved, best of 7.
	job=(run --linux --fs / busybox -- sh -c 'busybox sha256sum /usr/include/linux/*.h /usr/include/*.h >/dev/null')
	plain="" recorded=""
	for _ in 1 2 3 4 5 6 7; do
		plain+="$(secs "$L" "${job[@]}") "
		recorded+="$(secs "$L" "${job[0]}" --record "$T/record.json" "${job[@]:1}") "
	done
	plain=$(tr ' ' '\n' <<<"$plain" | grep . | best)
	recorded=$(tr ' ' '\n' <<<"$recorded" | grep . | best)
	paths=$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["paths"]))' "$T/record.json" 2>/dev/null)
	echo "BENCH linux-record ratio=$(ratio "$recorded" "$plain") record=${recorded}s plain=${plain}s paths=${paths:-?} (sha256sum of 720 headers from --fs /, with --record vs without; target <= 1.1)"
	# linux-dynamic: the host's dynamic /bin/true (ld.so and libc read from the
	# tree, PT_INTERP) vs static busybox true, both under --fs /: what the
	# dynamic loader costs a start. Interleaved, best of 9 each.
	stat_t="" dyn_t=""
	for _ in 1 2 3 4 5 6 7 8 9; do
		stat_t+="$(secs "$L" run --linux --fs / busybox -- true) "
		dyn_t+="$(secs "$L" run --linux --fs / /bin/true) "
	done
	stat_t=$(tr ' ' '\n' <<<"$stat_t" | grep . | best)
	dyn_t=$(tr ' ' '\n' <<<"$dyn_t" | grep . | best)
	echo "BENCH linux-dynamic ratio=$(ratio "$dyn_t" "$stat_t") dynamic=${dyn_t}s static=${stat_t}s (--fs / /bin/true through ld.so vs static busybox true; lower is better)"
	# linux-spawn: posix_spawn+waitpid of static busybox true x1000 inside one --linux VM
	# (tests/linux/spawn_bench.c) and natively, the same binary; ns per spawn. linux-fork: fork,
	# _exit, wait of a process with 256 MiB touched (copy-on-write in the VM), x20.
	mkdir -p "$T/spawn/bin"
	cp "$(command -v busybox)" "$T/spawn/bin/true"
	cp "$LX/spawn_bench.glibc" "$T/spawn/bin/spawn_bench"
	vm_ns=$("$L" run --linux --fs "$T/spawn" /bin/spawn_bench spawn 1000 /bin/true | awk '/spawn_ns/ { print $2 }')
	nat_ns=$("$T/spawn/bin/spawn_bench" spawn 1000 "$T/spawn/bin/true" | awk '/spawn_ns/ { print $2 }')
	exits=$("$L" run --linux --stats --fs "$T/spawn" /bin/spawn_bench spawn 100 /bin/true 2>&1 | awk '/^stats: exits=/ { sub("exits=", "", $2); print int($2 / 100) }')
	# floor: the ratio if a spawn cost only its exits, each a raw ring-3 syscall exit (rawkvm
	# syscall, above): what no VMM work can go below on this host (147 exits, 122 of them the
	# child's rt_sigaction calls, as natively).
	floor=$(awk -v e="$exits" -v s="$raw_sys" -v n="$nat_ns" 'BEGIN { if (e > 0 && s > 0 && n > 0) printf "%.1f", e * s * 1000 / n; else printf "n/a" }')
	echo "BENCH linux-spawn ratio=$(ratio "$vm_ns" "$nat_ns") vm=${vm_ns}ns native=${nat_ns}ns exits_per_spawn=${exits} exit_floor_ratio=${floor} (posix_spawn+waitpid of static busybox true; lower is better)"
	vm_ns=$("$L" run --linux --mem 1G --fs "$T/spawn" /bin/spawn_bench fork 256 20 | awk '/fork_ns/ { print $2 }')
	nat_ns=$("$T/spawn/bin/spawn_bench" fork 256 20 | awk '/fork_ns/ { print $2 }')
	echo "BENCH linux-fork ratio=$(ratio "$vm_ns" "$nat_ns") vm=${vm_ns}ns native=${nat_ns}ns (fork+_exit+wait of a process with 256 MiB touched; lower is better)"
else
	echo "BENCH linux-busybox skipped: busybox-static not installed"
fi

# linux-build: `make -j2` of a small multi-file C project with gcc (the project of
# tests/integration/linux_thread.sh: two sources, a Makefile), wall time in a --linux VM with
# --fs / (its sources written under the VM's /tmp) / natively in a scratch directory, the
# same script. Interleaved, best of 3 each. Target <= 2.
if command -v make >/dev/null && command -v gcc >/dev/null; then
	# shellcheck disable=SC2016 # expanded by the shell that runs the project, not here
	build_sh='cd "$1" && rm -f a.c b.c a.o b.o prog Makefile &&
printf "int b(void);\n#include <stdio.h>\nint main(void){printf(\"sum %%d\\\\n\", b()+1);return 0;}\n" >a.c &&
printf "int b(void){return 41;}\n" >b.c &&
printf "prog: a.o b.o\n\tgcc -o \$@ a.o b.o\n%%.o: %%.c\n\tgcc -c -o \$@ \$<\n" >Makefile &&
make -j2 >/dev/null && ./prog'
	mkdir -p "$T/build"
	REPEAT=1 bd_vm="" bd_native=""
	for _ in 1 2 3; do
		bd_native+="$(secs /bin/sh -c "$build_sh" sh "$T/build") "
		bd_vm+="$(secs "$L" run --linux --mem 2G --fs / /bin/sh -c "$build_sh" sh /tmp) "
	done
	bd_native=$(tr ' ' '\n' <<<"$bd_native" | grep . | best)
	bd_vm=$(tr ' ' '\n' <<<"$bd_vm" | grep . | best)
	ok=$("$L" run --linux --stats --mem 2G --fs / /bin/sh -c "$build_sh" sh /tmp 2>&1)
	bd_exits=$(awk '/^stats: exits=/ { sub("exits=", "", $2); print $2 }' <<<"$ok")
	ok=$(grep -v -e '^stats: ' -e '^linux: ' <<<"$ok")
	if [ "$ok" != "sum 42" ]; then
		echo "BENCH linux-build: the VM's build printed '$ok', not 'sum 42'"
		bd_vm="" # a failed build's time is no figure
	fi
	# exit_floor_ratio: as linux-spawn's, the build's exits at the raw syscall exit's cost.
	floor=$(awk -v e="$bd_exits" -v s="$raw_sys" -v n="$bd_native" 'BEGIN { if (e > 0 && s > 0 && n > 0) printf "%.1f", e * s / 1e6 / n; else printf "n/a" }')
	echo "BENCH linux-build ratio=$(ratio "$bd_vm" "$bd_native") vm=${bd_vm}s native=${bd_native}s exits=${bd_exits:-?} exit_floor_ratio=${floor} (make -j2 of a two-file C project with gcc, --fs / vs natively; best of 3; target <= 2)"
else
	echo "BENCH linux-build skipped: make or gcc not installed"
fi

# net: frames/s from netsend.elf through the VM's tap / bench/tapsend writing the same
# 60-byte frames to its own tap, both ports of one bridge in a private network namespace
# (nothing leaves it; the frames go to a MAC no port has, so the bridge floods them to
# the other port, whose reader is idle). Interleaved, best of 3.
NS=lvbench$$
if command -v nsenter >/dev/null && ip netns add "$NS" 2>/dev/null; then
	ip netns exec "$NS" ip link add nbr type bridge && ip netns exec "$NS" ip link set nbr up
	DST=02:00:00:00:be:99 N=200000 vm_best=0 host_best=0
	for i in 1 2 3; do
		v=$(nsenter --net=/var/run/netns/"$NS" "$L" run --net bridge=nbr "$B/guests/netsend.elf" $DST $N |
			grep -o '([0-9]* frames/s' | grep -o '[0-9]*')
		h=$(nsenter --net=/var/run/netns/"$NS" "$B/bench/tapsend" lvbench$i nbr $DST $N |
			grep -o '([0-9]* frames/s' | grep -o '[0-9]*')
		[ "${v:-0}" -gt "$vm_best" ] && vm_best=$v
		[ "${h:-0}" -gt "$host_best" ] && host_best=$h
	done
	one=$(nsenter --net=/var/run/netns/"$NS" "$L" run --net bridge=nbr "$B/guests/netsend.elf" $DST 20000 1 |
		grep -o '([0-9]* frames/s' | grep -o '[0-9]*')
	ip netns del "$NS"
	if [ "$vm_best" -gt 0 ] && [ "$host_best" -gt 0 ]; then
		echo "BENCH net ratio=$(ratio "$vm_best" "$host_best") vm=${vm_best}frames/s host=${host_best}frames/s vm_one_frame_per_exit=${one:-?}frames/s ($N 60-byte frames, 64 per NET_SEND, one write(2) each on both sides; target >= 0.5)"
	else
		echo "BENCH net ratio=n/a (a run failed: vm='$vm_best' host='$host_best')"
	fi
else
	echo "BENCH net skipped: cannot make a network namespace (needs root and nsenter)"
fi

# linux-tcp, linux-rr: TCP from a --linux VM (lwIP in the VMM, frames through its tap on a bridge)
# to a sink on the bridge's host side, vs the same client in a second network namespace joined to
# that bridge by a veth (the host kernel on both ends). Bulk: 64 MiB in 64 KiB writes, MiB/s;
# rr: 2000 one-byte request/response round trips, per second. Higher is better; best of 3.
NS=lvtcp$$ NS2=lvtcp2$$
if command -v nsenter >/dev/null && ip netns add "$NS" 2>/dev/null && ip netns add "$NS2" 2>/dev/null; then
	in_ns() { nsenter --net=/var/run/netns/"$NS" "$@"; }
	in_ns2() { nsenter --net=/var/run/netns/"$NS2" "$@"; }
	in_ns ip link set lo up
	in_ns ip link add tbr type bridge && in_ns ip addr add 10.78.0.1/24 dev tbr && in_ns ip link set tbr up
	in_ns ip link add tveth type veth peer name tpeer netns /var/run/netns/"$NS2"
	in_ns ip link set tveth master tbr && in_ns ip link set tveth up
	in_ns2 ip addr add 10.78.0.3/24 dev tpeer && in_ns2 ip link set tpeer up && in_ns2 ip link set lo up
	nsenter --net=/var/run/netns/"$NS" "$LX/nic_bench.glibc" sink 5001 "$T/tcp.ready" &
	sink=$! # nsenter execs the sink: this is its pid
	for _ in $(seq 100); do [ -e "$T/tcp.ready" ] && break; sleep 0.1; done
	NIC=(--net bridge=tbr --ip 10.78.0.2/24)
	bulk_vm="" bulk_host="" rr_vm="" rr_host=""
	for _ in 1 2 3; do
		bulk_host+="$(in_ns2 "$LX/nic_bench.glibc" send 10.78.0.1 5001 64 | awk '/tcp_mib_per_s/ { print $2 }') "
		bulk_vm+="$(in_ns "$L" run --linux "${NIC[@]}" "$LX/nic_bench.glibc" -- send 10.78.0.1 5001 64 | awk '/tcp_mib_per_s/ { print $2 }') "
		rr_host+="$(in_ns2 "$LX/nic_bench.glibc" rr 10.78.0.1 5001 2000 | awk '/rr_per_s/ { print $2 }') "
		rr_vm+="$(in_ns "$L" run --linux "${NIC[@]}" "$LX/nic_bench.glibc" -- rr 10.78.0.1 5001 2000 | awk '/rr_per_s/ { print $2 }') "
	done
	kill "$sink" 2>/dev/null
	wait "$sink" 2>/dev/null
	ip netns del "$NS2"
	ip netns del "$NS"
	bulk_vm=$(tr ' ' '\n' <<<"$bulk_vm" | grep . | sort -g | tail -1)
	bulk_host=$(tr ' ' '\n' <<<"$bulk_host" | grep . | sort -g | tail -1)
	rr_vm=$(tr ' ' '\n' <<<"$rr_vm" | grep . | sort -g | tail -1)
	rr_host=$(tr ' ' '\n' <<<"$rr_host" | grep . | sort -g | tail -1)
	echo "BENCH linux-tcp ratio=$(ratio "$bulk_vm" "$bulk_host") vm=${bulk_vm}MiB/s host=${bulk_host}MiB/s (64 MiB from a --linux VM over its NIC to a sink on the bridge / from a second namespace over a veth; higher is better; target >= 0.3)"
	echo "BENCH linux-rr ratio=$(ratio "$rr_vm" "$rr_host") vm=${rr_vm}/s host=${rr_host}/s (one-byte TCP request/response round trips, the same two paths; higher is better)"
else
	ip netns del "$NS" 2>/dev/null
	echo "BENCH linux-tcp skipped: cannot make network namespaces (needs root and nsenter)"
fi

# migrate: downtime / total migration time for a 256 MiB guest that touched
# 200 MiB and keeps rewriting 4 MiB (counter.elf), over a unix socket on this
# host. Target: downtime under 50 ms. save/restore: a 64 MiB and a 1 GiB
# counter.elf guest touching 16 MiB. Best of 3 each.
SR=$T/snap
mkdir -p "$SR"
LS=("$L" --root "$SR")
"${LS[@]}" run -d --name mig --mem 256M "$B/guests/counter.elf" 10 4 200 >/dev/null 2>&1
sleep 2
"${LS[@]}" incoming --listen "unix:$SR/m.sock" --name mig2 --mem 256M -d >/dev/null 2>&1 &
for _ in $(seq 50); do [ -S "$SR/m.sock" ] && break; sleep 0.1; done
# stdout only: stderr has the progress lines
mj=$("${LS[@]}" migrate mig --to "unix:$SR/m.sock" --json 2>"$SR/m.err")
wait
"${LS[@]}" kill mig2 >/dev/null 2>&1
read -r total down bytes iters < <(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d["total_ms"], d["downtime_ms"], d["bytes"], d["iterations"])' "$mj" 2>/dev/null)
if [ -n "${total:-}" ]; then
	echo "BENCH migrate ratio=$(ratio "$down" "$total") downtime=${down}ms total=${total}ms bytes=$bytes iterations=$iters (256 MiB guest rewriting 4 MiB; target: downtime < 50 ms)"
else
	echo "BENCH migrate failed: $mj $(tail -n 2 "$SR/m.err" 2>/dev/null)"
fi
for mem in 64M 1G; do
	best_save="" best_restore=""
	for i in 1 2 3; do
		"${LS[@]}" run -d --name "s$mem$i" --mem "$mem" "$B/guests/counter.elf" 10 0 16 >/dev/null 2>&1
		sleep 0.5
		s=$(date +%s%N); "${LS[@]}" save "s$mem$i" "$SR/$mem$i.snap" >/dev/null 2>&1; e=$(date +%s%N)
		sv=$((e - s))
		# restore: command start to exit of a restored VM run for 1 ms
		# (stream parsed, VM built and run, torn down): an upper bound.
		s=$(date +%s%N); "${LS[@]}" restore "$SR/$mem$i.snap" --mem "$mem" --timeout 0.001 >/dev/null 2>&1; e=$(date +%s%N)
		rs=$((e - s))
		[ -z "$best_save" ] || [ "$sv" -lt "$best_save" ] && best_save=$sv
		[ -z "$best_restore" ] || [ "$rs" -lt "$best_restore" ] && best_restore=$rs
	done
	size=$(stat -c %s "$SR/${mem}1.snap")
	echo "BENCH save-$mem ratio=$(ratio "$best_restore" 200000000) save=$(awk -v n="$best_save" 'BEGIN { printf "%.1f", n / 1e6 }')ms restore=$(awk -v n="$best_restore" 'BEGIN { printf "%.1f", n / 1e6 }')ms stream=${size}B (counter.elf touching 16 MiB; zero pages are not sent; ratio = restore / 200 ms, target < 1 for 1G)"
done
bench/oci.sh
