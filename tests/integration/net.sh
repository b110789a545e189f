#!/usr/bin/env bash
# Virtual networks (issue 10): tap NICs on a Linux bridge and on an Open
# vSwitch userspace bridge, isolation without --net, MAC anti-spoofing, and
# cleanup of taps and ports, also after kill -9 of a supervisor. Everything
# runs in a network namespace this script makes: no traffic leaves it.
. "$(dirname "$0")/../lib.sh"
if ! have_kvm; then skip "net: no usable /dev/kvm"; exit 0; fi
for tool in ip nsenter ping bridge; do
	command -v "$tool" >/dev/null || { skip "net: $tool is not installed (make deps)"; exit 0; }
done
if [ "$(id -u)" -ne 0 ]; then skip "net: needs root for network namespaces and taps"; exit 0; fi

NS=lvnet$$
OVS_DIR=$T_TMP/ovs
cleanup() {
	for n in $(ls "$LOCKVM_ROOT/run/lockvm/vms" 2>/dev/null); do
		LV kill "$n" >/dev/null 2>&1
	done
	for p in "$OVS_DIR"/*.pid; do
		[ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null
	done
	ip netns del "$NS" 2>/dev/null
	rm -rf "$T_TMP"
}
at_exit 'cleanup'
ip netns add "$NS" || { fail "net: ip netns add $NS"; exit 0; }
ip netns exec "$NS" ip link set lo up
# Commands in the namespace, as scripts so that expect's timeout runs them.
# lockvm runs with only its network namespace switched (`ip netns exec`
# would also remount /sys, hiding the cgroup hierarchy the VMs need).
mkdir -p "$T_TMP/bin"
printf '#!/bin/sh\nexec nsenter --net=/var/run/netns/%s "$@"\n' "$NS" >"$T_TMP/bin/in_ns"
printf '#!/bin/sh\nexec nsenter --net=/var/run/netns/%s "%s" "$@"\n' "$NS" "$LOCKVM" >"$T_TMP/bin/LV"
printf '#!/bin/sh\nexec ip netns exec %s "$@"\n' "$NS" >"$T_TMP/bin/nsip"
chmod +x "$T_TMP/bin/"*
PATH=$T_TMP/bin:$PATH
G_ECHO=$G/netecho.elf G_PING=$G/netping.elf

# wait_log NAME TEXT: waits up to 10 s for TEXT in the VM's log.
wait_log() {
	for _ in $(seq 100); do
		grep -qF -- "$2" "$LOCKVM_ROOT/var/log/lockvm/$1.log" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
# counter NAME KEY: a NIC counter from `lockvm inspect --json`.
counter() {
	LV inspect "$1" --json | python3 -c "import json,sys; print(json.load(sys.stdin)['net'].get('$2', -1))"
}
sup_pid() {
	python3 -c "import json; print(json.load(open('$LOCKVM_ROOT/run/lockvm/vms/$1/state.json'))['pid'])"
}
taps() { nsip ip -o link show | grep -o 'lv-[A-Za-z0-9_.-]*' | sort -u | tr '\n' ' '; }

# ---- bad input: one line, exit 125 ----
expect "net: --net with an unknown kind refused" 125 "want none, user, bridge=NAME, ovs=NAME, network=NAME or netns=PATH" \
	LV run --net wifi=x "$G_ECHO" 10.0.0.2/24
expect "net: a bridge name longer than 15 characters refused" 125 "longer than 15 characters" \
	LV run --net bridge=averyveryverylongname "$G_ECHO" 10.0.0.2/24
expect "net: --mac multicast refused" 125 "multicast or broadcast" \
	LV run --net bridge=x --mac 01:00:5e:00:00:01 "$G_ECHO" 10.0.0.2/24
expect "net: --mac malformed refused" 125 "want six hex pairs" \
	LV run --net bridge=x --mac 02:00:00:00:00 "$G_ECHO" 10.0.0.2/24
expect "net: --mac without --net refused" 125 "--mac needs --net" \
	LV run --mac 02:00:00:00:00:01 "$G_ECHO" 10.0.0.2/24
expect "net: a missing bridge refused" 125 "bridge nosuchbr does not exist" \
	LV run --net bridge=nosuchbr "$G_ECHO" 10.0.0.2/24
expect "net: an undefined network refused" 125 "no network named 'nosuch'" \
	LV run --net network=nosuch "$G_ECHO" 10.0.0.2/24
expect "net: --ip without --linux refused" 125 "--ip, --gateway and --dns need --linux and --net" \
	LV run --net bridge=x --ip 10.0.0.2/24 "$G_ECHO" 10.0.0.2/24
expect "net define: bad subnet refused" 125 "--subnet '10.0.0.0/31'" \
	LV net define bad --bridge --subnet 10.0.0.0/31
expect "net define: --bridge or --ovs required" 125 "usage: lockvm net" LV net define bad
expect "net: a refused run leaves no tap behind" 0 "" test -z "$(taps)"

# ---- no --net: no NIC at all ----
expect "net: a VM without --net has no NIC" 3 "netecho: no NIC" LV run "$G_ECHO" 10.0.0.2/24

# ---- Linux bridge ----
expect "net define lan --bridge" 0 "network lan defined (bridge lan)" \
	LV net define lan --bridge --subnet 10.91.0.0/24
expect "net define: a second definition of lan refused" 125 "already defined" \
	LV net define lan --bridge
expect "net start lan: bridge with the subnet's first address" 0 "10.91.0.1/24" LV net start lan
expect "net: the bridge has 10.91.0.1" 0 "inet 10.91.0.1/24" nsip ip addr show lan
expect "net list shows lan active" 0 '"state":"active"' LV net list --json
expect "net: VM a on lan starts" 0 "a" LV run --name a -d --net network=lan --mac 02:00:00:00:91:02 "$G_ECHO" 10.91.0.2/24
expect "net: VM b on lan starts" 0 "b" LV run --name b -d --net bridge=lan "$G_ECHO" 10.91.0.3/24
if wait_log a ready && wait_log b ready; then pass "net: both VMs report their NIC ready"; else fail "net: VMs not ready: $(cat "$LOCKVM_ROOT"/var/log/lockvm/{a,b}.log | tail -n 4 | tr '\n' '|')"; fi
expect "net: tap lv-a is a port of bridge lan" 0 "lv-a" sh -c "ip netns exec $NS bridge link show | grep 'master lan'"
expect "net: the host pings VM a on the bridge" 0 " 0% packet loss" nsip ping -c 3 -W 2 -i 0.2 10.91.0.2
expect "net: the host pings VM b on the bridge" 0 " 0% packet loss" nsip ping -c 3 -W 2 -i 0.2 10.91.0.3
expect "net: one VM pings another on the bridge" 0 "netping: 3/3 replies from 10.91.0.3" \
	LV run --net bridge=lan --seccomp trap "$G_PING" 10.91.0.9/24 10.91.0.3 3
expect "net: inspect shows the NIC, tap, bridge and MAC" 0 "net: kind=bridge network=lan bridge=lan tap=lv-a mac=02:00:00:00:91:02" LV inspect a
rx=$(counter a rx_frames) tx=$(counter a tx_frames)
if [ "$rx" -ge 4 ] && [ "$tx" -ge 4 ]; then pass "net: inspect counts a's frames (rx $rx, tx $tx)"; else fail "net: a's counters rx=$rx tx=$tx, want >= 4 each"; fi
# lockvm stats shows the same NIC counters (issue 20: metrics), in JSON and
# for Prometheus; the pings went before, so at least what inspect counted.
run_capture LV stats a --no-stream --json
if jq -n -e --argjson rx "$rx" --argjson tx "$tx" 'input | .[0].nic | .rx_frames >= $rx and .tx_frames >= $tx and .rx_bytes > 0' \
	<<<"$out" >/dev/null 2>&1; then pass "net: stats shows a's NIC counters"; else fail "net: stats NIC counters: $out"; fi
run_capture LV stats a --prometheus
grep -qE '^lockvm_vm_nic_total\{name="a",counter="tx_frames"\} [1-9]' <<<"$out" &&
	pass "net: stats --prometheus has a's NIC counters" || fail "net: stats --prometheus: $(grep nic <<<"$out" | head -n 3)"

# ---- the VMM, not the supervisor, holds the tap (its tun socket gets the VM's label) ----
inspect_a=$(LV inspect a --json)
uid_a=$(python3 -c "import json,sys; print(json.load(sys.stdin)['uid'])" <<<"$inspect_a")
vmm_a=$(python3 -c "import json,sys; print(json.load(sys.stdin)['vmm_pid'])" <<<"$inspect_a")
owner=$(nsip cat /sys/class/net/lv-a/owner 2>&1)
if ! confined "net: tap lv-a is owned by VM a's uid"; then
	:
elif [ "$uid_a" -gt 0 ] && [ "$owner" = "$uid_a" ]; then pass "net: tap lv-a is owned by VM a's uid $uid_a"; else fail "net: lv-a owner '$owner', VM a's uid '$uid_a'"; fi
flags=$(nsip cat /sys/class/net/lv-a/tun_flags 2>&1)
if [[ $flags == 0x* ]] && ! (( flags & 0x800 )); then pass "net: lv-a is no longer persistent once the VMM attached (tun_flags $flags)"; else fail "net: lv-a tun_flags '$flags' (IFF_PERSIST 0x800 should be clear)"; fi
if grep -qs "^iff:[[:space:]]*lv-a$" /proc/"$vmm_a"/fdinfo/*; then pass "net: VM a's VMM holds the queue of lv-a"; else fail "net: no fd of VMM $vmm_a is attached to lv-a"; fi
if ! grep -qs "^iff:" /proc/"$(sup_pid a)"/fdinfo/*; then pass "net: VM a's supervisor holds no tap queue"; else fail "net: supervisor $(sup_pid a) holds a tap queue: $(grep -s '^iff:' /proc/"$(sup_pid a)"/fdinfo/* | tr '\n' ' ')"; fi

# ---- MAC spoofing reaches no one ----
# A sniffer on every interface of the namespace (the taps and the bridge)
# records the source MAC and EtherType of each frame while the VMs run: a
# frame that reached a tap is seen there, whatever the bridge does later.
cat >"$T_TMP/sniff.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))  # ETH_P_ALL
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
out = open(sys.argv[1], "w", buffering=1)
open(sys.argv[1] + ".ready", "w").close()
while True:
    data, addr = s.recvfrom(65536)
    if len(data) >= 14:
        out.write("%s %s %02x%02x\n" % (addr[0], ":".join("%02x" % b for b in data[6:12]), data[12], data[13]))
PY
nsip python3 "$T_TMP/sniff.py" "$T_TMP/sniffed" &
sniffer=$!
for _ in $(seq 50); do [ -e "$T_TMP/sniffed.ready" ] && break; sleep 0.1; done
run_capture LV run --net bridge=lan --stats "$G_PING" 10.91.0.8/24 10.91.0.3 2 spoof
forged=$(grep -o 'forging source MAC [0-9a-f:]*' <<<"$out" | awk '{print $4}')
if [ "$rc" -eq 1 ] && grep -q "netping: 0/2 replies" <<<"$out" && grep -q " tx_frames=0 " <<<"$out" &&
	grep -Eq "tx_forged=[1-9]" <<<"$out"; then
	pass "net: a guest forging its source MAC gets no reply, every forged frame dropped and counted"
else
	fail "net: spoofing: rc=$rc, output: $(tail -n 4 <<<"$out" | tr '\n' '|')"
fi
# The NIC must write the frame it checked, not guest memory read again:
# vCPU 1 flips the source MAC in the buffer vCPU 0 sends (net_race.c).
run_capture LV run --net bridge=lan --vcpus 2 --mac 02:00:00:00:91:0a --stats "$TG/net_race.elf" 5000
race_rc=$rc race_out=$out
sleep 0.5 # the sniffer drains its socket
kill "$sniffer" 2>/dev/null
wait "$sniffer" 2>/dev/null
if [ ! -e "$T_TMP/sniffed.ready" ]; then
	fail "net: the sniffer did not start"
elif [ -n "$forged" ] && ! grep -qi " $forged " "$T_TMP/sniffed"; then
	pass "net: the bridge never saw the forged MAC $forged (sniffed on every interface while the VM ran)"
else
	fail "net: forged MAC '$forged' reached the namespace: $(grep -i " ${forged:-none} " "$T_TMP/sniffed" | sort | uniq -c | head -n 3 | tr '\n' '|')"
fi
own=$(grep -c " 02:00:00:00:91:0a 88b5$" "$T_TMP/sniffed")
raced=$(grep -c " 02:00:00:00:91:5f " "$T_TMP/sniffed")
if [ "$race_rc" -ne 0 ] || ! grep -q "net_race: 5000 of 5000" <<<"$race_out" || ! grep -Eq "tx_forged=[1-9]" <<<"$race_out"; then
	fail "net: race guest: rc=$race_rc (want 0 and some copies caught forged): $(tail -n 2 <<<"$race_out" | tr '\n' '|')"
elif [ "$own" -eq 0 ]; then
	fail "net: race guest: the sniffer saw none of its frames (the check below would prove nothing)"
elif [ "$raced" -eq 0 ]; then
	pass "net: a source MAC rewritten by another vCPU after the check never reaches the tap ($own own frames seen, $(grep -o 'tx_forged=[0-9]*' <<<"$race_out"))"
else
	fail "net: $raced frames with the forged MAC 02:00:00:00:91:5f reached the tap (the NIC sent guest memory, not its checked copy)"
fi

# ---- hostile NIC requests: guest errors ----
for m in oversized undersized zero toomany badbuf badlist badrecv; do
	expect "net: hostile: $m frame request is a guest error" 134 "guest error: vcpu0: net" \
		LV run --net bridge=lan "$TG/net_bad.elf" "$m"
done

# ---- the end of a VM takes its tap and port along ----
# ---- net destroy while VMs are attached: refused, unless --force ----
expect "net destroy lan with VMs attached is refused, naming them" 125 "network lan has 2 VMs attached: a, b (stop them first, or net destroy --force)" \
	LV net destroy lan
expect "net: the refused destroy left bridge lan in place" 0 "lan" nsip ip link show lan
expect "net destroy: an unknown option refused" 125 "net destroy: unknown option '--now'" LV net destroy lan --now
expect "net: lockvm stop a" 0 "a: stopped" LV stop a
expect "net: netecho on a counted the host's 3 pings" 0 "netecho: answered 3 echo requests" \
	cat "$LOCKVM_ROOT/var/log/lockvm/a.log"
expect "net: lv-a is gone after the VM ended" 0 "" sh -c "! ip netns exec $NS ip link show lv-a 2>/dev/null"
expect "net: VM c on lan starts" 0 "c" LV run --name c -d --net bridge=lan "$G_ECHO" 10.91.0.4/24
wait_log c ready
expect "net: tap lv-c exists while c runs" 0 "lv-c" nsip ip link show lv-c
kill -9 "$(sup_pid c)"
for _ in $(seq 50); do nsip ip link show lv-c >/dev/null 2>&1 || break; sleep 0.1; done
expect "net: kill -9 of c's supervisor: tap lv-c gone" 0 "" sh -c "! ip netns exec $NS ip link show lv-c 2>/dev/null"
expect "net: kill -9 of c's supervisor: no lv-c port on lan" 0 "" sh -c "! ip netns exec $NS bridge link show | grep -q lv-c"
expect "net: the next lockvm command recovers c" 0 "recovered 1 VM" LV list
expect "net: c's log says its NIC was released" 0 "NIC released" cat "$LOCKVM_ROOT/var/log/lockvm/c.log"
# A supervisor killed before its VMM attached leaves a persistent tap: the
# next lockvm command deletes it (made here by hand in its place, owned by
# the VM's uid), and leaves alone an interface of that name that is not a
# tap, and a tap of another uid.
# kill_net_vm NAME: starts VM NAME on lan, kill -9s its supervisor, waits
# until its tap went with its VMM; the VM's uid in $killed_uid.
kill_net_vm() {
	LV run --name "$1" -d --net bridge=lan "$G_ECHO" 10.91.0.5/24 >/dev/null
	wait_log "$1" ready
	killed_uid=$(python3 -c "import json; print(json.load(open('$LOCKVM_ROOT/run/lockvm/vms/$1/state.json'))['uid'])")
	kill -9 "$(sup_pid "$1")"
	for _ in $(seq 50); do nsip ip link show "lv-$1" >/dev/null 2>&1 || break; sleep 0.1; done
}
kill_net_vm d
nsip ip tuntap add dev lv-d mode tap user "$killed_uid"
run_capture LV list
if [ "$rc" -eq 0 ] && grep -q "recovered 1 VM" <<<"$out" && ! nsip ip link show lv-d >/dev/null 2>&1; then
	pass "net: a leftover persistent tap of a killed supervisor is deleted by the next lockvm command"
else
	fail "net: leftover tap lv-d: rc=$rc, $(tr '\n' '|' <<<"$out"), $(nsip ip -o link show lv-d 2>&1 | head -c 100)"
fi
kill_net_vm e
nsip ip link add lv-e type bridge
run_capture LV list
if grep -q "lv-e is not a tap device; left alone" <<<"$out" && nsip ip link show lv-e >/dev/null 2>&1; then
	pass "net: an interface that is not a tap is left alone by the recovery"
else
	fail "net: lv-e (a bridge): $(tr '\n' '|' <<<"$out"), $(nsip ip -o link show lv-e 2>&1 | head -c 100)"
fi
kill_net_vm g
nsip ip tuntap add dev lv-g mode tap user 12345
run_capture LV list
if grep -q "tap lv-g belongs to uid 12345, not $killed_uid; left alone" <<<"$out" && nsip ip link show lv-g >/dev/null 2>&1; then
	pass "net: a tap of another uid is left alone by the recovery"
else
	fail "net: lv-g (uid 12345): $(tr '\n' '|' <<<"$out"), $(nsip ip -o link show lv-g 2>&1 | head -c 100)"
fi
nsip ip link del lv-g
nsip ip link del lv-e
LV stop b >/dev/null
expect "net: no tap left after every VM ended" 0 "" test -z "$(taps)"
expect "net destroy lan removes the bridge" 0 "network lan destroyed" LV net destroy lan
# --force under a running VM: the bridge goes, the VM keeps running (cut off).
expect "net start lan again" 0 "network lan started" LV net start lan
expect "net: VM f on lan starts" 0 "f" LV run --name f -d --net network=lan "$G_ECHO" 10.91.0.6/24
wait_log f ready
run_capture LV net destroy --force lan
if [ "$rc" -eq 0 ] && grep -q "network lan destroyed" <<<"$out" &&
	grep -q "destroying it under 1 running VM: f" <<<"$out" && ! nsip ip link show lan >/dev/null 2>&1; then
	pass "net destroy --force lan removes the bridge under a running VM, with a warning naming it"
else
	fail "net destroy --force: rc=$rc: $(tr '\n' '|' <<<"$out")"
fi
expect "net: f still runs after its network was destroyed" 0 "running" LV list
expect "net: lockvm stop f" 0 "f: stopped" LV stop f
expect "net: no tap left after f ended" 0 "" test -z "$(taps)"
expect "net: bridge lan is gone" 0 "" sh -c "! ip netns exec $NS ip link show lan 2>/dev/null"
expect "net undefine lan" 0 "network lan undefined" LV net undefine lan

# ---- Open vSwitch, userspace (netdev) datapath ----
if ! command -v ovsdb-server >/dev/null || ! command -v ovs-vswitchd >/dev/null; then
	skip "net: ovs: openvswitch-switch is not installed (make deps installs it)"; exit 0
fi
mkdir -p "$OVS_DIR"
DB=unix:$OVS_DIR/db.sock
if ! { ovsdb-tool create "$OVS_DIR/conf.db" /usr/share/openvswitch/vswitch.ovsschema &&
	nsip ovsdb-server "$OVS_DIR/conf.db" --remote=punix:"$OVS_DIR/db.sock" \
		--unixctl="$OVS_DIR/ovsdb.ctl" --pidfile="$OVS_DIR/ovsdb.pid" --detach \
		--log-file="$OVS_DIR/ovsdb.log" --no-chdir &&
	ovs-vsctl --db="$DB" --no-wait init &&
	nsip ovs-vswitchd "$DB" --unixctl="$OVS_DIR/vswitchd.ctl" --pidfile="$OVS_DIR/vswitchd.pid" \
		--detach --log-file="$OVS_DIR/vswitchd.log" --no-chdir; } >"$T_TMP/ovs-start.log" 2>&1; then
	fail "net: ovs: starting ovsdb-server and ovs-vswitchd: $(tail -n 3 "$T_TMP/ovs-start.log" | tr '\n' '|')"
	exit 0
fi
pass "net: ovs: ovsdb-server and ovs-vswitchd run in a private directory"
expect "net define ovslan --ovs (netdev datapath)" 0 "network ovslan defined (ovs ovsbr)" \
	LV net define ovslan --ovs --datapath netdev --ovs-db "$DB" --bridge-name ovsbr --subnet 10.92.0.0/24
expect "net start ovslan" 0 "10.92.0.1/24" LV net start ovslan
expect "net: ovs: the bridge uses the userspace datapath" 0 "netdev" ovs-vsctl --db="$DB" get bridge ovsbr datapath_type
expect "net: ovs: VM oa starts" 0 "oa" LV run --name oa -d --net network=ovslan "$G_ECHO" 10.92.0.2/24
expect "net: ovs: VM ob starts" 0 "ob" LV run --name ob -d --net network=ovslan "$G_ECHO" 10.92.0.3/24
wait_log oa ready; wait_log ob ready
expect "net: ovs: tap lv-oa exists while oa runs" 0 "lv-oa" nsip ip link show lv-oa
expect "net: ovs: both taps are ports of ovsbr" 0 "lv-oa lv-ob" sh -c "ovs-vsctl --db=$DB list-ports ovsbr | tr '\n' ' '"
expect "net: ovs: the host pings VM oa" 0 " 0% packet loss" nsip ping -c 3 -W 2 -i 0.2 10.92.0.2
expect "net: ovs: the host pings VM ob" 0 " 0% packet loss" nsip ping -c 3 -W 2 -i 0.2 10.92.0.3
expect "net: ovs: one VM pings another" 0 "netping: 3/3 replies from 10.92.0.2" \
	LV run --net network=ovslan "$G_PING" 10.92.0.9/24 10.92.0.2 3
expect "net: ovs: inspect shows the OVS NIC" 0 "net: kind=ovs network=ovslan bridge=ovsbr tap=lv-oa" LV inspect oa
kill -9 "$(sup_pid oa)"
for _ in $(seq 50); do nsip ip link show lv-oa >/dev/null 2>&1 || break; sleep 0.1; done
expect "net: ovs: kill -9 of oa's supervisor: tap lv-oa gone" 0 "" sh -c "! ip netns exec $NS ip link show lv-oa 2>/dev/null"
expect "net: ovs: lockvm gc recovers oa" 0 "gc: recovered 1 VM" LV gc
# no_ovs_port NAME PATTERN: ovs-vsctl must answer (exit 0), and list no port matching PATTERN.
no_ovs_port() {
	local ports
	if ! ports=$(ovs-vsctl --db="$DB" list-ports ovsbr 2>&1); then
		fail "$1: ovs-vsctl list-ports ovsbr failed: $(tr '\n' '|' <<<"$ports")"
	elif grep -q -- "$2" <<<"$ports"; then
		fail "$1: ports left: $(tr '\n' ' ' <<<"$ports")"
	else
		pass "$1"
	fi
}
no_ovs_port "net: ovs: oa's port is gone from ovsbr after gc" lv-oa
expect "net: ovs: lockvm stop ob" 0 "ob: stopped" LV stop ob
no_ovs_port "net: ovs: no lockvm port is left on ovsbr" lv-
expect "net: ovs: no tap left" 0 "" test -z "$(taps)"
expect "net destroy ovslan" 0 "network ovslan destroyed" LV net destroy ovslan
expect "net: ovs: bridge ovsbr is gone" 2 "" ovs-vsctl --db="$DB" br-exists ovsbr
