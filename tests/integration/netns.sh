#!/usr/bin/env bash
# --net netns=PATH: a VM's tap made inside another network namespace (a container engine's), with the VM's MAC, gone with the VM; never in the host's.
. "$(dirname "$0")/../lib.sh"
if ! have_kvm; then skip "netns: /dev/kvm is not usable here"; exit 0; fi
BUSYBOX=$(command -v busybox || true)
if [ -z "$BUSYBOX" ]; then skip "netns: busybox-static is not installed"; exit 0; fi
for tool in ip tc nsenter python3 curl; do
	command -v "$tool" >/dev/null || { skip "netns: $tool is not installed (make deps)"; exit 0; }
done
FS=$T_TMP/fs
mkdir -p "$FS/bin"
cp "$BUSYBOX" "$FS/bin/busybox"
ns=lvt-ns-$$
eng=lvt-eng-$$ outns=lvt-out-$$ SRV_PID="" # not "out": expect sets that
cleanup() {
	[ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null
	for n in "$ns" "$eng" "$outns"; do ip netns del "$n" 2>/dev/null; done
	rm -rf "$T_TMP"
}
at_exit 'cleanup'
ip netns add "$ns" || { fail "netns: ip netns add $ns"; exit 0; }
NSP=/run/netns/$ns
name=nst-$$
mac=02:00:00:5e:$(printf '%02x:%02x' $(($$ % 256)) $(($$ / 256 % 256)))

"$LOCKVM" run --linux --fs "$FS" --name "$name" --net "netns=$NSP" --mac "$mac" busybox -- sleep 5 \
	>"$T_TMP/run.out" 2>&1 &
rp=$!
seen=""
for _ in $(seq 1 100); do
	seen=$(nsenter --net="$NSP" ip -o link show 2>/dev/null | grep -F " lv-" | grep -F "link/ether $mac")
	[ -n "$seen" ] && grep -q "LOWER_UP" <<<"$seen" && break
	sleep 0.05
done
[ -n "$seen" ] && grep -q "LOWER_UP" <<<"$seen" &&
	pass "netns: the VM's tap is in the namespace, with the VM's MAC, attached by the VMM" ||
	fail "netns: no tap with $mac in $ns: $(nsenter --net="$NSP" ip -o link show 2>&1 | tr '\n' '|')"
ifname=$(awk -F': ' '{print $2}' <<<"$seen" | head -n 1)
if [ -n "$ifname" ] && ! ip -o link show | grep -qF -- " $ifname:"; then
	pass "netns: no tap $ifname in the host's namespace"
else fail "netns: tap '$ifname' in the host's namespace too: $(ip -o link show | grep -F " lv-" | tr '\n' '|')"; fi
wait "$rp"
rc=$?
[ "$rc" -eq 0 ] && pass "netns: the VM ran and ended (0)" || fail "netns: run: rc=$rc $(cat "$T_TMP/run.out")"
left=$(nsenter --net="$NSP" ip -o link show 2>/dev/null | grep -F " lv-")
[ -z "$left" ] && pass "netns: the tap is gone with the VM" || fail "netns: left in $ns: $left"
ip -o link show lo | grep -q "UP" && pass "netns: the host's lo is still up" || fail "netns: host lo: $(ip -o link show lo)"

# ---- adopt: the VM takes over an engine's eth0 ----
# An engine's namespace as netavark or CNI leaves it: eth0 (one end of a
# veth) with 10.93.N.2/24 and a default route; the other end, 10.93.N.1,
# in a second namespace with a file server. No traffic leaves them.
sub=$(($$ % 200 + 20))
ENG=/run/netns/$eng OUT=/run/netns/$outns
in_eng() { nsenter --net="$ENG" "$@"; }
in_out() { nsenter --net="$OUT" "$@"; }
ip netns add "$eng" && ip netns add "$outns" &&
	ip link add "lvta$$" type veth peer name "lvtb$$" &&
	ip link set "lvta$$" netns "$eng" && ip link set "lvtb$$" netns "$outns" &&
	in_eng ip link set "lvta$$" name eth0 && in_eng ip addr add "10.93.$sub.2/24" dev eth0 &&
	in_eng ip link set eth0 up && in_eng ip link set lo up &&
	in_eng ip route add default via "10.93.$sub.1" &&
	in_out ip addr add "10.93.$sub.1/24" dev "lvtb$$" && in_out ip link set "lvtb$$" up ||
	fail "netns: setting up the engine's namespace"
eth0_mac=$(in_eng ip -o link show dev eth0 | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
mkdir -p "$T_TMP/www"
echo "payload-$$" >"$T_TMP/www/f.txt"
(cd "$T_TMP/www" && exec nsenter --net="$OUT" python3 -m http.server --bind "10.93.$sub.1" 8080) \
	>"$T_TMP/srv.log" 2>&1 &
SRV_PID=$!
for _ in $(seq 50); do
	in_out python3 -c "import socket; socket.create_connection(('10.93.$sub.1', 8080), 1)" \
		2>/dev/null && break
	sleep 0.1
done
ADOPT=(--net "netns=$ENG,adopt")
expect "netns adopt: the VM fetches a file from the engine's gateway side (busybox wget)" 0 \
	"payload-$$" "$LOCKVM" run --linux --fs "$FS" "${ADOPT[@]}" --timeout 60 busybox -- \
	wget -q -O - "http://10.93.$sub.1:8080/f.txt"
filters=$(in_eng tc filter show dev eth0 ingress 2>&1)
[ -z "$filters" ] && pass "netns adopt: no tc filter left on eth0 after the VM" ||
	fail "netns adopt: left on eth0: $(tr '\n' '|' <<<"$filters")"
in_eng ip -o -4 addr show dev eth0 | grep -qF "10.93.$sub.2/24" &&
	pass "netns adopt: the namespace keeps its eth0 and address" ||
	fail "netns adopt: eth0 after the VM: $(in_eng ip -o addr show 2>&1 | tr '\n' '|')"

# A server in the VM (busybox httpd), reached at the engine's address.
mkdir -p "$FS/www"
echo "served-$$" >"$FS/www/g.txt"
"$LOCKVM" run -d --linux --fs "$FS" --name "nsa-$$" "${ADOPT[@]}" busybox -- \
	httpd -f -p 8081 -h /www >/dev/null 2>"$T_TMP/a.err" || fail "netns adopt: run -d: $(cat "$T_TMP/a.err")"
got=""
for _ in $(seq 60); do
	got=$(in_out curl -s --max-time 2 "http://10.93.$sub.2:8081/g.txt" 2>/dev/null) && [ -n "$got" ] && break
	sleep 0.25
done
[ "$got" = "served-$$" ] && pass "netns adopt: a server in the VM is reached at the engine's address" ||
	fail "netns adopt: curl 10.93.$sub.2:8081 got '$got'"
expect "netns adopt: inspect shows the adopted MAC" 0 "mac=$eth0_mac" "$LOCKVM" inspect "nsa-$$"
expect "netns adopt: a second VM adopting the same interface is refused" 125 \
	"eth0 is taken over by another VM already" \
	"$LOCKVM" run --linux --fs "$FS" "${ADOPT[@]}" busybox -- true
got=$(in_out curl -s --max-time 5 "http://10.93.$sub.2:8081/g.txt" 2>/dev/null)
[ "$got" = "served-$$" ] && pass "netns adopt: the refused second VM left the first one's network alone" ||
	fail "netns adopt: after the refused second VM, curl got '$got'"
filters=$(in_eng tc filter show dev eth0 ingress 2>&1)
grep -q "mirred" <<<"$filters" && pass "netns adopt: eth0's ingress redirects to the VM's tap while it runs" ||
	fail "netns adopt: no mirred filter on eth0: $(tr '\n' '|' <<<"$filters")"
"$LOCKVM" stop "nsa-$$" >/dev/null 2>&1 || fail "netns adopt: stop"
for _ in $(seq 50); do
	filters=$(in_eng tc filter show dev eth0 ingress 2>&1)
	[ -z "$filters" ] && break
	sleep 0.1
done
[ -z "$filters" ] && pass "netns adopt: the filters are gone after stop" ||
	fail "netns adopt: left on eth0 after stop: $(tr '\n' '|' <<<"$filters")"
# A supervisor killed with -9 leaves the filters on eth0 (they would
# blackhole the engine's interface): the next lockvm command removes them.
"$LOCKVM" run -d --linux --fs "$FS" --name "nsk-$$" "${ADOPT[@]}" busybox -- sleep 1000 \
	>/dev/null 2>"$T_TMP/k.err" || fail "netns adopt: run -d nsk: $(cat "$T_TMP/k.err")"
spid=$(python3 -c "import json; print(json.load(open('$LOCKVM_ROOT/run/lockvm/vms/nsk-$$/state.json'))['pid'])" 2>/dev/null)
[ -n "$spid" ] && kill -9 "$spid"
for _ in $(seq 100); do kill -0 "$spid" 2>/dev/null || break; sleep 0.1; done
grep -q "mirred" <<<"$(in_eng tc filter show dev eth0 ingress 2>&1)" &&
	pass "netns adopt: kill -9 of the supervisor leaves its filter on eth0 (to recover)" ||
	skip "netns adopt: the filter went with the killed supervisor already"
expect "netns adopt: the next lockvm command recovers the VM" 0 "recovered 1 VM" "$LOCKVM" list
filters=$(in_eng tc filter show dev eth0 ingress 2>&1)
[ -z "$filters" ] && pass "netns adopt: recovery removed the filters from eth0" ||
	fail "netns adopt: left on eth0 after recovery: $(tr '\n' '|' <<<"$filters")"

expect "netns adopt: --ip is refused (the VM takes the namespace's)" 125 "takes the namespace's own" \
	"$LOCKVM" run --linux --fs "$FS" "${ADOPT[@]}" --ip 10.1.1.2/24 busybox -- true
expect "netns adopt: a namespace without a default route is refused, nothing left" 125 \
	"no IPv4 default route" "$LOCKVM" run --linux --fs "$FS" --net "netns=$NSP,adopt" busybox -- true
left=$(nsenter --net="$NSP" ip -o link show 2>/dev/null | grep -F " lv-")
[ -z "$left" ] && pass "netns adopt: the refused run left no tap" || fail "netns adopt: refused run left: $left"

# A detached VM with a NIC in the namespace is a registry entry like any
# other: inspect, exec and stop read it (a netns NIC has no bridge).
dn=nsd-$$
"$LOCKVM" run -d --linux --fs "$FS" --name "$dn" --net "netns=$NSP" busybox -- sleep 1000 \
	>/dev/null 2>"$T_TMP/d.err" || fail "netns: run -d: $(cat "$T_TMP/d.err")"
expect "netns: inspect shows the NIC's namespace" 0 "netns=$NSP" "$LOCKVM" inspect "$dn"
expect "netns: inspect --json shows kind netns" 0 '"kind":"netns"' "$LOCKVM" inspect --json "$dn"
expect "netns: exec into the VM" 0 "in-vm" "$LOCKVM" exec "$dn" /bin/busybox echo in-vm
expect "netns: list shows the VM" 0 "$dn" "$LOCKVM" list
expect "netns: stop" 0 "" "$LOCKVM" stop "$dn"
left=""
for _ in $(seq 1 100); do
	left=$(nsenter --net="$NSP" ip -o link show 2>/dev/null | grep -F " lv-")
	[ -z "$left" ] && break
	sleep 0.1
done
[ -z "$left" ] && pass "netns: the stopped VM's tap is gone" || fail "netns: left after stop: $left"

expect "netns: a path that is no network namespace is refused" 125 "netns=/etc/passwd: not a network namespace" \
	"$LOCKVM" run --linux --fs "$FS" --net netns=/etc/passwd busybox -- true
expect "netns: a relative path is refused" 125 "want an absolute path" \
	"$LOCKVM" run --linux --fs "$FS" --net netns=run/netns/x busybox -- true
expect "netns: --dns without --ip refused (no DHCP in a container engine's namespace)" 125 \
	"--dns with --net netns= needs --ip" \
	"$LOCKVM" run --linux --fs "$FS" --net "netns=$NSP" --dns 10.0.0.1 busybox -- true
expect "netns: the host's own network namespace is refused" 125 "the host's own network namespace" \
	"$LOCKVM" run --linux --fs "$FS" --net netns=/proc/self/ns/net busybox -- true
