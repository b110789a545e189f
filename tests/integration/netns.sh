#!/usr/bin/env bash
# --net netns=PATH: a VM's tap made inside another network namespace (a container engine's), with the VM's MAC, gone with the VM; never in the host's.
. "$(dirname "$0")/../lib.sh"
if ! have_kvm; then skip "netns: /dev/kvm is not usable here"; exit 0; fi
BUSYBOX=$(command -v busybox || true)
if [ -z "$BUSYBOX" ]; then skip "netns: busybox-static is not installed"; exit 0; fi
command -v ip >/dev/null || { skip "netns: iproute2 is not installed"; exit 0; }
FS=$T_TMP/fs
mkdir -p "$FS/bin"
cp "$BUSYBOX" "$FS/bin/busybox"
ns=lvt-ns-$$
ip netns add "$ns" || { fail "netns: ip netns add $ns"; exit 0; }
trap 'ip netns del "$ns" 2>/dev/null; rm -rf "$T_TMP"' EXIT
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
