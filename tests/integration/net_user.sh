#!/usr/bin/env bash
# --net user (issue 18): the VM's NIC on passt, user-mode NAT started by the supervisor in its own process: a --linux job fetches a file from a server on the namespace's loopback through passt's gateway, a server in the VM is reached through --publish, IPv6 (SLAAC from passt's router advertisement, there when the program starts; routes; a fetch over IPv6), bad --publish values are one line and exit 125, and no passt outlives its VM (normal end, --timeout, a killed supervisor). Everything runs in a network namespace this script makes.
. "$(dirname "$0")/../lib.sh"
if ! have_kvm; then skip "net_user: no usable /dev/kvm"; exit 0; fi
for tool in ip nsenter python3 curl; do
	command -v "$tool" >/dev/null || { skip "net_user: $tool is not installed (make deps)"; exit 0; }
done
[ -x /usr/bin/passt ] || { skip "net_user: passt is not installed (make deps)"; exit 0; }
if [ "$(id -u)" -ne 0 ]; then skip "net_user: needs root for network namespaces"; exit 0; fi
BUSYBOX=$(command -v busybox || true)

NS=lvusr$$
BR=lvub$$
BR=${BR:0:15}
SRV_PID="" SRV6_PID=""
# passt processes in the test's namespace (passt execs passt.avx2 where the CPU has it).
passts() { for p in $(ip netns pids "$NS" 2>/dev/null); do
	case $(cat /proc/"$p"/comm 2>/dev/null) in passt*) echo "$p" ;; esac
done; }
cleanup() {
	# A passt this run left (only under a mutant): ended, so none outlives the test.
	for p in $(passts); do kill -KILL "$p" 2>/dev/null; done
	[ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null
	[ -n "$SRV6_PID" ] && kill "$SRV6_PID" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$T_TMP"
}
at_exit 'cleanup'
ip netns add "$NS" || { fail "net_user: ip netns add $NS"; exit 0; }
mkdir -p "$T_TMP/bin"
printf '#!/bin/sh\nexec nsenter --net=/var/run/netns/%s "$@"\n' "$NS" >"$T_TMP/bin/in_ns"
printf '#!/bin/sh\nexec nsenter --net=/var/run/netns/%s "%s" "$@"\n' "$NS" "$LOCKVM" >"$T_TMP/bin/LV"
chmod +x "$T_TMP/bin/"*
PATH=$T_TMP/bin:$PATH
# passt copies the addresses and the default routes of the namespace's
# interface: a bridge with addresses and routes to gateways nobody has.
# A gateway, seen from the VM, is passt's way to the namespace's loopback.
GW=10.78.0.254
GW6=2001:db8:78::fe
in_ns ip link set lo up
in_ns ip link add "$BR" type bridge
in_ns ip addr add 10.78.0.1/24 dev "$BR"
in_ns ip addr add 2001:db8:78::1/64 dev "$BR" nodad
in_ns ip link set "$BR" up
in_ns ip route add default via "$GW" dev "$BR"
in_ns ip -6 route add default via "$GW6" dev "$BR"

no_passt_left() { # NAME: passt gone within 30 s of its VM's end
	local left
	for _ in $(seq 60); do
		left=$(passts)
		[ -z "$left" ] && break
		sleep 0.5
	done
	[ -z "$left" ] && pass "net_user: no passt left after $1" ||
		fail "net_user: passt left after $1: $(for p in $left; do tr '\0' ' ' </proc/"$p"/cmdline; echo; done)"
}

# The file server on the namespace's loopback only.
mkdir -p "$T_TMP/www" "$T_TMP/vmwww"
echo "payload-$$" >"$T_TMP/www/f.txt"
echo "from-the-vm-$$" >"$T_TMP/vmwww/g.txt"
(cd "$T_TMP/www" && exec nsenter --net=/var/run/netns/"$NS" python3 -m http.server --bind 127.0.0.1 8080) \
	>"$T_TMP/srv.log" 2>&1 &
SRV_PID=$!
(cd "$T_TMP/www" && exec nsenter --net=/var/run/netns/"$NS" python3 -m http.server --bind ::1 8080) \
	>"$T_TMP/srv6.log" 2>&1 &
SRV6_PID=$!
for host in 127.0.0.1 ::1; do
	for _ in $(seq 50); do
		in_ns python3 -c 'import socket, sys; socket.create_connection((sys.argv[1], 8080), 1)' "$host" 2>/dev/null && break
		sleep 0.1
	done
done

# ---- bad input: one line, exit 125 ----
bad_publish() { # NAME PATTERN VALUE [--net VALUE]
	local name=$1 pattern=$2 value=$3 net=${4:-user}
	expect "net_user: $name" 125 "$pattern" LV run --linux --fs / --net "$net" --publish "$value" /bin/true
	[ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] && pass "net_user: $name: one line" ||
		fail "net_user: $name: not one line: $(echo "$out" | tr '\n' '|')"
}
bad_publish "--publish without a guest port refused" "want HOSTPORT:GUESTPORT" 8080
bad_publish "--publish port 0 refused" "ports are numbers from 1 to 65535" 0:80
bad_publish "--publish port 70000 refused" "ports are numbers from 1 to 65535" 70000:80
bad_publish "--publish letters refused" "ports are numbers from 1 to 65535" http:80
bad_publish "--publish /sctp refused" "the protocol is tcp or udp" 8080:80/sctp
bad_publish "--publish without --net user refused" "--publish needs --net user" 8080:80 none
expect "net_user: --net usr refused" 125 "want none, user," LV run --linux --fs / --net usr /bin/true

# ---- outbound: the VM fetches from the namespace's loopback through passt ----
FETCH='import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=20).read().decode().strip())'
expect "net_user: python3 urllib fetches a file through passt (DHCP address)" 0 "payload-$$" \
	LV run --linux --fs / --net user --name "fetch-$$" --timeout 50 /usr/bin/python3 -- -c "$FETCH" \
	"http://$GW:8080/f.txt"
no_passt_left "the VM ended"
# The supervisor's own teardown ended it (not only passt's exit at the stream's end).
started=$(grep -o 'net: user (passt pid [0-9]*' "$LOCKVM_ROOT/var/log/lockvm/fetch-$$.log" | grep -o '[0-9]*$')
[ -n "$started" ] && grep -q "net: passt pid $started killed and reaped" "$LOCKVM_ROOT/var/log/lockvm/fetch-$$.log" &&
	pass "net_user: the supervisor killed and reaped passt $started at teardown" ||
	fail "net_user: no teardown of passt in the VM's log: $(grep -F 'net: ' "$LOCKVM_ROOT/var/log/lockvm/fetch-$$.log" | tr '\n' '|')"
if [ -n "$BUSYBOX" ]; then
	expect "net_user: busybox wget fetches a file through passt" 0 "payload-$$" \
		LV run --linux --fs / --net user --timeout 50 "$BUSYBOX" -- wget -q -O - "http://$GW:8080/f.txt"
else
	skip "net_user: busybox wget: busybox-static is not installed"
fi
expect "net_user: resolv.conf names passt's DNS (DHCP's)" 0 "nameserver " \
	LV run --linux --fs / --net user --timeout 50 /bin/cat /etc/resolv.conf

# ---- IPv6: passt's router advertisement, SLAAC, a fetch over IPv6 ----
# The program's first call looks: the address must be there when it starts,
# as the DHCP lease is (Debian 12's passt answers a solicitation sent from
# :: to ::, so the VM must solicit from its link-local address).
v6=$(LV run --linux --fs / --net user --timeout 50 /bin/sh -c 'ip -6 addr show dev eth0; ip -6 route' 2>&1)
grep -Eq 'inet6 2001:db8:78:0:[0-9a-f:]+/64 scope global' <<<"$v6" &&
	pass "net_user: eth0 has its SLAAC address in passt's prefix when the program starts" ||
	fail "net_user: no SLAAC address at the program's start: $(tr '\n' '|' <<<"$v6")"
grep -Eq '^2001:db8:78::/64 dev eth0 proto kernel' <<<"$v6" &&
	grep -Eq '^default via fe80::[0-9a-f:]+ dev eth0 proto ra' <<<"$v6" &&
	grep -Eq '^fe80::/64 dev eth0' <<<"$v6" &&
	pass "net_user: ip -6 route shows the prefix, fe80::/64 and the advertised default route" ||
	fail "net_user: ip -6 route: $(tr '\n' '|' <<<"$v6")"
expect "net_user: python3 urllib fetches a file over IPv6 through passt" 0 "payload-$$" \
	LV run --linux --fs / --net user --timeout 50 /usr/bin/python3 -- -c "$FETCH" "http://[$GW6]:8080/f.txt"
if [ -n "$BUSYBOX" ]; then
	expect "net_user: busybox wget fetches a file over IPv6 through passt" 0 "payload-$$" \
		LV run --linux --fs / --net user --timeout 50 "$BUSYBOX" -- wget -q -O - "http://[$GW6]:8080/f.txt"
fi

# ---- inbound: --publish reaches a server in the VM ----
PORT=$((20000 + $$ % 20000))
name=nu-$$
LV run --linux --fs / --net user --publish "$PORT:8000" --publish "$PORT:8000/udp" --name "$name" \
	--volume "$T_TMP/vmwww:/srv:ro" --timeout 120 /usr/bin/python3 -- -m http.server -d /srv 8000 \
	>"$T_TMP/pub.out" 2>&1 &
VM_PID=$!
got=""
for _ in $(seq 120); do
	got=$(in_ns curl -s -m 5 "http://127.0.0.1:$PORT/g.txt" 2>/dev/null) && [ -n "$got" ] && break
	kill -0 "$VM_PID" 2>/dev/null || break
	sleep 0.5
done
[ "$got" = "from-the-vm-$$" ] && pass "net_user: --publish $PORT:8000 reaches python3 -m http.server in the VM" ||
	fail "net_user: --publish: got '$got'; $(tail -n 3 "$T_TMP/pub.out" | tr '\n' '|')"
# passt's IPv6 socket on the port reaches the VM's SLAAC address (the server is on [::]).
got6=$(in_ns curl -s -m 10 "http://[::1]:$PORT/g.txt" 2>&1)
[ "$got6" = "from-the-vm-$$" ] && pass "net_user: --publish reaches the server in the VM over IPv6 too" ||
	fail "net_user: --publish over IPv6: got '$got6'"
info=$(LOCKVM_ROOT=$LOCKVM_ROOT "$LOCKVM" inspect "$name" 2>&1)
net_line=$(grep '^net:' <<<"$info")
grep -q 'kind=user' <<<"$net_line" && grep -q 'tx_frames=[1-9]' <<<"$net_line" &&
	pass "net_user: inspect shows kind user and the NIC's counters" ||
	fail "net_user: inspect: $net_line"
# The port is passt's: a second VM publishing it is refused, one line, 125.
expect "net_user: a published port already taken is one line, exit 125" 125 "passt did not start" \
	LV run --linux --fs / --net user --publish "$PORT:80" /bin/true
[ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] && pass "net_user: a taken port: one line" ||
	fail "net_user: a taken port: not one line: $(echo "$out" | tr '\n' '|')"
kill -TERM "$VM_PID" 2>/dev/null
wait "$VM_PID"
no_passt_left "a published VM was stopped"

# ---- lifetime: --timeout, and a supervisor killed outright ----
expect "net_user: --timeout ends a VM on --net user" 124 "" \
	LV run --linux --fs / --net user --timeout 2 /bin/sleep 60
no_passt_left "--timeout"
LV run --linux --fs / --net user --timeout 120 /bin/sleep 100 >"$T_TMP/kill.out" 2>&1 &
SUP=$!
for _ in $(seq 120); do [ -n "$(passts)" ] && break; sleep 0.5; done
if [ -n "$(passts)" ]; then
	pass "net_user: passt runs beside its VM"
	kill -KILL "$SUP"
	wait "$SUP" 2>/dev/null
	no_passt_left "its supervisor was killed (SIGKILL)"
else
	fail "net_user: no passt seen for a running VM: $(tr '\n' '|' <"$T_TMP/kill.out")"
fi
