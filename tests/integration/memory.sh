#!/usr/bin/env bash
# Memory: lazy big guests, the balloon, THP and hugetlb, KSM, NUMA binding, the cgroup memory limit.
# Resident memory is read from outside (/proc of the VMM) while the guest holds its memory.
. "$(dirname "$0")/../lib.sh"
if ! have_kvm; then skip "memory: /dev/kvm is not usable here"; exit 0; fi
MT=$G/memtouch.elf
MiB=1024 # in KiB, as /proc reports
# What the VMM may hold beyond the guest's touched pages; a sanitizer build's
# runtime keeps far more resident than the release VMM.
SLACK=$((16 * MiB))
[ -n "$UNCONFINED_REASON" ] && SLACK=$((128 * MiB))

# Host settings this script changes, restored however it ends.
restore=()
sups=()
cleanup() {
	local p i
	for p in "${sups[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	for ((i = ${#restore[@]} - 1; i >= 0; i--)); do eval "${restore[$i]}"; done
	rm -rf "$T_TMP"
}
at_exit 'cleanup'
# set_host FILE VALUE: writes VALUE to FILE, remembering the old value; fails if not writable.
set_host() {
	local old
	old=$(cat "$1" 2>/dev/null) || return 1
	echo "$2" >"$1" 2>/dev/null || return 1
	restore+=("echo '$old' >'$1'")
}

# start_vm OUT ARGS...: `lockvm run ARGS` in the background, output to OUT; sets SUP.
start_vm() {
	local out=$1; shift
	"$LOCKVM" run "$@" >"$out" 2>&1 &
	SUP=$!
	sups+=("$SUP")
}
# wait_for OUT TEXT [SECONDS]: waits until OUT contains TEXT.
wait_for() {
	local i
	for ((i = 0; i < ${3:-30} * 10; i++)); do
		grep -qF -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
vmm_of() { pgrep -P "$1" -x lockvm-vmm | head -n 1; }
# kib PID KEY [FILE]: a "KEY: N kB" value of /proc/PID/FILE (default status).
kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/${3:-status}" 2>/dev/null; }
# finish: waits for the background VM SUP, sets rc and out.
finish() { wait "$SUP"; rc=$?; out=$(cat "$1"); }

native=$("$B/bench/memtouch_native" 256M | grep -o 'checksum=0x[0-9a-f]*')

# --- a 64 GiB guest on this host touches 256 MiB: resident stays near that --
start_vm "$T_TMP/big.out" --mem 64G --stats "$MT" -- 256M hold=3
if wait_for "$T_TMP/big.out" "holding"; then
	vmm=$(vmm_of "$SUP"); rss=$(kib "$vmm" VmRSS)
	if [ -n "$rss" ] && [ "$rss" -ge $((256 * MiB)) ] && [ "$rss" -le $((256 * MiB + SLACK)) ]; then
		pass "64G guest touching 256M: resident ${rss} KiB (256 MiB + at most $((SLACK / MiB)) MiB)"
	else fail "64G guest touching 256M: resident '${rss}' KiB, want 256 MiB + at most $((SLACK / MiB)) MiB"; fi
else fail "64G guest: never reported touching: $(tail -n 3 "$T_TMP/big.out")"; fi
finish "$T_TMP/big.out"
grep -qF "$native" <<<"$out" && [ "$rc" -eq 0 ] &&
	pass "64G guest: checksum of 256M equals the native loop's ($native)" ||
	fail "64G guest: rc=$rc, want $native: $out"
peak=$(grep -o 'peak_rss=[0-9]*' <<<"$out" | cut -d= -f2)
[ -n "$peak" ] && [ "$peak" -le $((256 * MiB + SLACK)) ] &&
	pass "64G guest: --stats peak_rss ${peak} KiB stays within $((SLACK / MiB)) MiB of what was touched" ||
	fail "64G guest: --stats peak '$peak': $out"
run_capture "$LOCKVM" run --mem 256G --stats "$MT" -- 64M
peak=$(grep -o 'peak_rss=[0-9]*' <<<"$out" | cut -d= -f2)
[ "$rc" -eq 0 ] && [ -n "$peak" ] && [ "$peak" -le $((64 * MiB + SLACK)) ] &&
	pass "256G guest touching 64M runs; peak resident ${peak} KiB" ||
	fail "256G guest: rc=$rc peak='$peak': $out"

# --- the balloon gives memory back ---------------------------------------
start_vm "$T_TMP/balloon.out" --mem 512M "$MT" -- 256M hold=3 release hold=3 touch
if wait_for "$T_TMP/balloon.out" "holding"; then
	vmm=$(vmm_of "$SUP"); before=$(kib "$vmm" VmRSS)
	wait_for "$T_TMP/balloon.out" "released"; sleep 0.2
	after=$(kib "$vmm" VmRSS)
	if [ -n "$after" ] && [ "$before" -ge $((256 * MiB)) ] && [ "$after" -le "$SLACK" ]; then
		pass "balloon: resident ${before} KiB before, ${after} KiB after releasing 256 MiB"
	else fail "balloon: resident '$before' KiB before, '$after' KiB after, want <= $((SLACK / MiB)) MiB"; fi
else fail "balloon: memtouch never held: $(tail -n 3 "$T_TMP/balloon.out")"; fi
finish "$T_TMP/balloon.out"
[ "$rc" -eq 0 ] && grep -qF "released 268435456 bytes" <<<"$out" &&
	[ "$(grep -c "$native" <<<"$out")" -eq 2 ] &&
	pass "balloon: released pages come back zeroed and are usable again (same checksum)" ||
	fail "balloon: rc=$rc: $out"
expect "hostile: balloon of the page tables or misaligned gets EINVAL" 0 \
	"page tables: -22, misaligned: -22" "$LOCKVM" run "$TG/balloon_bad.elf"
expect "hostile: balloon past the end of RAM is a guest error" 134 \
	"balloon: buffer [0x3fff000, +0x2000) is outside guest RAM" \
	"$LOCKVM" run "$TG/balloon_bad.elf" -- past-ram

# --- transparent huge pages ----------------------------------------------
thp=/sys/kernel/mm/transparent_hugepage/enabled
if grep -qF "[never]" "$thp" 2>/dev/null || [ ! -e "$thp" ]; then
	expect "--hugepages=thp refused where THP is off" 125 "transparent huge pages" \
		"$LOCKVM" run --hugepages "$G/hello.elf"
	skip "THP backing: transparent huge pages are disabled on this host ($thp)"
else
	start_vm "$T_TMP/thp.out" --mem 256M --hugepages=thp "$MT" -- 64M hold=3
	if wait_for "$T_TMP/thp.out" "holding"; then
		huge=$(kib "$(vmm_of "$SUP")" AnonHugePages smaps_rollup)
		[ -n "$huge" ] && [ "$huge" -ge $((32 * MiB)) ] &&
			pass "--hugepages=thp: AnonHugePages ${huge} KiB for 64 MiB touched" ||
			fail "--hugepages=thp: AnonHugePages '$huge' KiB, want >= 32 MiB"
	else fail "--hugepages=thp: memtouch never held: $(tail -n 3 "$T_TMP/thp.out")"; fi
	finish "$T_TMP/thp.out"
	if grep -qF "[madvise]" "$thp"; then
		start_vm "$T_TMP/nothp.out" --mem 256M "$MT" -- 64M hold=2
		wait_for "$T_TMP/nothp.out" "holding"
		huge=$(kib "$(vmm_of "$SUP")" AnonHugePages smaps_rollup)
		[ "${huge:-x}" = 0 ] && pass "without --hugepages, 256 MiB (host THP mode madvise): no huge pages" ||
			fail "without --hugepages, 256 MiB: AnonHugePages '$huge' KiB, want 0"
		finish "$T_TMP/nothp.out"
	fi
	# From 512 MiB of RAM on, THP is the default (MEMHOST_THP_DEFAULT_MIN); off turns it off.
	start_vm "$T_TMP/dflthp.out" --mem 512M "$MT" -- 64M hold=2
	if wait_for "$T_TMP/dflthp.out" "holding"; then
		huge=$(kib "$(vmm_of "$SUP")" AnonHugePages smaps_rollup)
		[ -n "$huge" ] && [ "$huge" -ge $((32 * MiB)) ] &&
			pass "without --hugepages, 512 MiB: THP by default (AnonHugePages ${huge} KiB)" ||
			fail "without --hugepages, 512 MiB: AnonHugePages '$huge' KiB, want >= 32 MiB"
	else fail "default THP: memtouch never held: $(tail -n 3 "$T_TMP/dflthp.out")"; fi
	finish "$T_TMP/dflthp.out"
	start_vm "$T_TMP/off.out" --mem 512M --hugepages=off "$MT" -- 64M hold=2
	wait_for "$T_TMP/off.out" "holding"
	huge=$(kib "$(vmm_of "$SUP")" AnonHugePages smaps_rollup)
	[ "${huge:-x}" = 0 ] && pass "--hugepages=off, 512 MiB: no huge pages" ||
		fail "--hugepages=off, 512 MiB: AnonHugePages '$huge' KiB, want 0"
	finish "$T_TMP/off.out"
fi
expect "--hugepages=bad refused" 125 "--hugepages=gigantic: want thp, hugetlb or off" \
	"$LOCKVM" run --hugepages=gigantic "$G/hello.elf"

# --- hugetlb ---------------------------------------------------------------
pool=/sys/kernel/mm/hugepages/hugepages-2048kB
expect "--hugepages=hugetlb refused when the pool is too small" 125 "free 2 MiB huge pages" \
	"$LOCKVM" run --mem 128G --hugepages=hugetlb "$G/hello.elf"
if [ ! -d "$pool" ]; then
	skip "hugetlb backing: this kernel has no 2 MiB hugetlb pool ($pool)"
elif ! set_host "$pool/nr_hugepages" $(($(cat "$pool/nr_hugepages") + 40)); then
	skip "hugetlb backing: cannot grow $pool/nr_hugepages here (not root?)"
elif [ "$(cat "$pool/free_hugepages")" -lt 40 ]; then
	skip "hugetlb backing: the kernel found only $(cat "$pool/free_hugepages") free 2 MiB pages"
else
	free_before=$(cat "$pool/free_hugepages")
	start_vm "$T_TMP/tlb.out" --mem 64M --hugepages=hugetlb "$MT" -- 32M hold=3 release hold=3
	if wait_for "$T_TMP/tlb.out" "holding"; then
		vmm=$(vmm_of "$SUP"); tlb=$(kib "$vmm" HugetlbPages)
		[ -n "$tlb" ] && [ "$tlb" -ge $((32 * MiB)) ] &&
			pass "--hugepages=hugetlb: HugetlbPages ${tlb} KiB for 32 MiB touched" ||
			fail "--hugepages=hugetlb: HugetlbPages '$tlb' KiB, want >= 32 MiB"
		wait_for "$T_TMP/tlb.out" "released"; sleep 0.2
		tlb2=$(kib "$vmm" HugetlbPages)
		[ -n "$tlb2" ] && [ "$tlb2" -le $((tlb - 32 * MiB)) ] &&
			pass "--hugepages=hugetlb: the balloon returns whole huge pages (${tlb} -> ${tlb2} KiB)" ||
			fail "--hugepages=hugetlb: balloon left HugetlbPages at '$tlb2' KiB (was $tlb)"
	else fail "--hugepages=hugetlb: memtouch never held: $(tail -n 3 "$T_TMP/tlb.out")"; fi
	finish "$T_TMP/tlb.out"
	[ "$rc" -eq 0 ] && [ "$(cat "$pool/free_hugepages")" -eq "$free_before" ] &&
		pass "--hugepages=hugetlb: every huge page is back in the pool after the VM" ||
		fail "--hugepages=hugetlb: rc=$rc, free pages $(cat "$pool/free_hugepages"), were $free_before"
fi
expect "--ksm with hugetlb refused" 125 "KSM merges only small pages" \
	"$LOCKVM" run --ksm --hugepages=hugetlb "$G/hello.elf"

# --- KSM: two dup.elf VMs ------------------------------------------------
ksm=/sys/kernel/mm/ksm
if [ ! -e "$ksm/run" ]; then
	expect "--ksm refused without KSM" 125 "this kernel has no KSM" "$LOCKVM" run --ksm "$G/hello.elf"
	skip "KSM: this kernel has no KSM ($ksm)"
elif ! set_host "$ksm/run" 1 || ! set_host "$ksm/pages_to_scan" 5000 ||
	! set_host "$ksm/sleep_millisecs" 10; then
	skip "KSM: cannot start KSM here ($ksm/run not writable)"
else
	start_vm "$T_TMP/dup1.out" --mem 64M --ksm --stats "$G/dup.elf" -- 16M 60; sup1=$SUP
	start_vm "$T_TMP/dup2.out" --mem 64M --ksm "$G/dup.elf" -- 16M 60; sup2=$SUP
	start_vm "$T_TMP/dup3.out" --mem 64M "$G/dup.elf" -- 16M 60; sup3=$SUP
	wait_for "$T_TMP/dup1.out" "holding"; wait_for "$T_TMP/dup2.out" "holding"
	wait_for "$T_TMP/dup3.out" "holding"
	v1=$(vmm_of "$sup1") v2=$(vmm_of "$sup2") v3=$(vmm_of "$sup3")
	m1=0 m2=0
	for ((i = 0; i < 300; i++)); do
		m1=$(awk '$1 == "ksm_merging_pages" { print $2 }' "/proc/$v1/ksm_stat" 2>/dev/null)
		m2=$(awk '$1 == "ksm_merging_pages" { print $2 }' "/proc/$v2/ksm_stat" 2>/dev/null)
		[ "${m1:-0}" -ge 2048 ] && [ "${m2:-0}" -ge 2048 ] && break
		sleep 0.1
	done
	m3=$(awk '$1 == "ksm_merging_pages" { print $2 }' "/proc/$v3/ksm_stat" 2>/dev/null)
	[ "${m1:-0}" -ge 2048 ] && [ "${m2:-0}" -ge 2048 ] &&
		pass "--ksm: two dup.elf VMs have ${m1} and ${m2} pages merged (4096 identical each)" ||
		fail "--ksm: merged pages '${m1}' and '${m2}', want >= 2048 each"
	[ "${m3:-x}" = 0 ] && pass "without --ksm a dup.elf VM has no merged pages" ||
		fail "without --ksm: merged pages '${m3}', want 0"
	sleep 0.3 # one more --stats sample
	kill -TERM "$sup1" "$sup2" "$sup3"
	SUP=$sup1 finish "$T_TMP/dup1.out"
	merged=$(grep -o 'ksm_merging_pages=[0-9]*' <<<"$out" | cut -d= -f2)
	[ "$rc" -eq 143 ] && [ "${merged:-0}" -ge 2048 ] &&
		pass "--ksm: --stats reports ksm_merging_pages=$merged at exit" ||
		fail "--ksm: rc=$rc stats: $out"
	wait "$sup2" "$sup3"
fi

# --- NUMA --------------------------------------------------------------------
nodes=/sys/devices/system/node
if [ ! -e "$nodes/node0" ]; then
	skip "NUMA: this host shows no NUMA node 0 ($nodes)"
else
	start_vm "$T_TMP/numa.out" --numa 0 --vcpus 2 --mem 64M "$MT" -- 16M hold=3
	if wait_for "$T_TMP/numa.out" "holding"; then
		vmm=$(vmm_of "$SUP")
		grep -q "bind:0 .*N0=4[0-9][0-9][0-9]" "/proc/$vmm/numa_maps" &&
			pass "--numa 0: guest RAM is bound to node 0 (numa_maps bind:0, pages on N0)" ||
			fail "--numa 0: no bind:0 mapping with 16 MiB on N0: $(grep bind "/proc/$vmm/numa_maps")"
		want=$(cat "$nodes/node0/cpulist") bad=""
		for t in /proc/"$vmm"/task/*; do
			case $(cat "$t/comm") in vcpu*) ;; *) continue ;; esac
			got=$(awk '$1 == "Cpus_allowed_list:" { print $2 }' "$t/status")
			[ "$got" = "$want" ] || bad+=" $(cat "$t/comm")=$got"
		done
		[ -z "$bad" ] && pass "--numa 0: vCPU threads run on node 0's CPUs ($want)" ||
			fail "--numa 0: vCPU threads elsewhere:$bad (want $want)"
	else fail "--numa 0: memtouch never held: $(tail -n 3 "$T_TMP/numa.out")"; fi
	finish "$T_TMP/numa.out"
	[ "$rc" -eq 0 ] && pass "--numa 0 run ends normally" || fail "--numa 0: rc=$rc: $out"
fi
expect "--numa 99 refused" 125 "--numa 99: NUMA node 99 does not exist on this host" \
	"$LOCKVM" run --numa 99 "$G/hello.elf"
expect "--numa garbage refused" 125 "--numa 'zero': want a NUMA node or a list" \
	"$LOCKVM" run --numa zero "$G/hello.elf"

# --- the cgroup memory limit ---------------------------------------------------
expect "--mem-limit below 16M refused" 125 "--mem-limit '1M': want a size of at least 16M" \
	"$LOCKVM" run --mem-limit 1M "$G/hello.elf"
if [ -n "$UNCONFINED_REASON" ]; then
	skip "memory limit: $UNCONFINED_REASON (no cgroup)"
elif [ "$(id -u)" -ne 0 ]; then
	skip "memory limit: needs root for the per-VM cgroup"
else
	expect "a guest touching all its free RAM stays under the default limit" 0 \
		"touched 260046848 bytes" "$LOCKVM" run --mem 256M "$MT" -- 248M
	expect "a VM over --mem-limit ends with a clear message and exit 126" 126 \
		"lockvm: VM exceeded its memory limit (128 MiB" \
		"$LOCKVM" run --mem 512M --mem-limit 128M "$MT" -- 256M
	expect "the same guest under a big enough --mem-limit runs" 0 "touched 268435456 bytes" \
		"$LOCKVM" run --mem 512M --mem-limit 300M "$MT" -- 256M
fi
