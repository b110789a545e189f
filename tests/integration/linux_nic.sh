#!/usr/bin/env bash
# --linux programs on the VM's NIC (issue 18): lwIP's eth0 on the tap, with --ip/--gateway/--dns or DHCP from dnsmasq, HTTP both ways with python3 and busybox wget, names from the generated /etc/resolv.conf and /etc/hosts, frames counted by the NIC, foreign source addresses refused. Everything runs in a network namespace this script makes: no traffic leaves it.
. "$(dirname "$0")/../lib.sh"
if ! have_kvm; then skip "linux_nic: no usable /dev/kvm"; exit 0; fi
for tool in ip nsenter python3 curl; do
	command -v "$tool" >/dev/null || { skip "linux_nic: $tool is not installed (make deps)"; exit 0; }
done
if [ "$(id -u)" -ne 0 ]; then skip "linux_nic: needs root for network namespaces and taps"; exit 0; fi
BUSYBOX=$(command -v busybox || true)

NS=lvnic$$
BR=lvnb$$
BR=${BR:0:15}
SRV_PID="" SRV6_PID="" DNS_PID=""
cleanup() {
	[ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null
	[ -n "$SRV6_PID" ] && kill "$SRV6_PID" 2>/dev/null
	[ -n "$DNS_PID" ] && kill "$DNS_PID" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	[ -n "${NS2:-}" ] && ip netns del "$NS2" 2>/dev/null
	rm -rf "$T_TMP"
}
at_exit 'cleanup'
ip netns add "$NS" || { fail "linux_nic: ip netns add $NS"; exit 0; }
# Commands in the namespace by nsenter (`ip netns exec` would remount /sys),
# as scripts so that expect's timeout runs them.
mkdir -p "$T_TMP/bin"
printf '#!/bin/sh\nexec nsenter --net=/var/run/netns/%s "$@"\n' "$NS" >"$T_TMP/bin/in_ns"
printf '#!/bin/sh\nexec nsenter --net=/var/run/netns/%s "%s" "$@"\n' "$NS" "$LOCKVM" >"$T_TMP/bin/LV"
chmod +x "$T_TMP/bin/"*
PATH=$T_TMP/bin:$PATH
in_ns ip link set lo up
in_ns ip link add "$BR" type bridge
in_ns ip addr add 10.77.0.1/24 dev "$BR"
in_ns ip -6 addr add fd77::1/64 dev "$BR" nodad # dnsmasq advertises fd77::/64 (SLAAC)
in_ns ip link set "$BR" up

# The file server on the bridge.
mkdir -p "$T_TMP/www"
echo "payload-$$" >"$T_TMP/www/f.txt"
(cd "$T_TMP/www" && exec nsenter --net=/var/run/netns/"$NS" python3 -m http.server --bind 10.77.0.1 8080) \
	>"$T_TMP/srv.log" 2>&1 &
SRV_PID=$!
# An IPv6-only file server on the bridge, for the SLAAC checks.
(cd "$T_TMP/www" && exec nsenter --net=/var/run/netns/"$NS" python3 -m http.server --bind fd77::1 8086) \
	>"$T_TMP/srv6.log" 2>&1 &
SRV6_PID=$!
# dnsmasq: DNS for files.lvtest, DHCP on the bridge (make deps installs dnsmasq-base).
DNSMASQ=$(command -v dnsmasq || true)
if [ -n "$DNSMASQ" ]; then
	in_ns "$DNSMASQ" --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
		--interface="$BR" --bind-interfaces --except-interface=lo \
		--address=/files.lvtest/10.77.0.1 --dhcp-range=10.77.0.50,10.77.0.99,255.255.255.0,1h \
		--enable-ra --dhcp-range=fd77::,ra-only,64,1h \
		--dhcp-leasefile="$T_TMP/leases" --pid-file="$T_TMP/dnsmasq.pid" \
		>"$T_TMP/dnsmasq.log" 2>&1 &
	DNS_PID=$!
fi
for _ in $(seq 50); do
	in_ns python3 -c 'import socket; socket.create_connection(("10.77.0.1", 8080), 1)' 2>/dev/null && break
	sleep 0.1
done

FETCH='import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode().strip())'
STATIC=(--net bridge="$BR" --ip 10.77.0.2/24 --gateway 10.77.0.1)

# ---- bad input: one line, exit 125 ----
expect "linux_nic: --ip with a prefix of 33 refused" 125 "prefix from 1 to 32" \
	LV run --linux --fs / --net bridge="$BR" --ip 10.77.0.2/33 /bin/true
expect "linux_nic: --ip without a prefix refused" 125 "want A.B.C.D/PREFIX" \
	LV run --linux --fs / --net bridge="$BR" --ip 10.77.0.2 /bin/true
expect "linux_nic: --gateway without --ip refused" 125 "--gateway needs --ip" \
	LV run --linux --fs / --net bridge="$BR" --gateway 10.77.0.1 /bin/true
expect "linux_nic: --ip without --net refused" 125 "need --linux and --net" \
	LV run --linux --fs / --ip 10.77.0.2/24 /bin/true
expect "linux_nic: a loopback --dns refused" 125 "not a unicast address" \
	LV run --linux --fs / --net bridge="$BR" --dns 127.0.0.1 /bin/true

# ---- static address ----
expect "linux_nic: python3 urllib fetches a file from the bridge (--ip)" 0 "payload-$$" \
	LV run --linux --fs / "${STATIC[@]}" --timeout 30 /usr/bin/python3 -- -c "$FETCH" \
	"http://10.77.0.1:8080/f.txt"
if [ -n "$BUSYBOX" ]; then
	expect "linux_nic: busybox wget fetches a file from the bridge" 0 "payload-$$" \
		LV run --linux --fs / "${STATIC[@]}" --timeout 30 "$BUSYBOX" -- wget -q -O - \
		"http://10.77.0.1:8080/f.txt"
else
	skip "linux_nic: busybox wget: busybox-static is not installed"
fi
# The frames went through the NIC device: its counters saw them.
run_capture LV run --stats --linux --fs / "${STATIC[@]}" --timeout 30 /usr/bin/python3 -- -c "$FETCH" \
	"http://10.77.0.1:8080/f.txt"
tx=$(grep -o 'tx_frames=[0-9]*' <<<"$out" | head -n 1 | cut -d= -f2)
rxf=$(grep -o ' rx_frames=[0-9]*' <<<"$out" | head -n 1 | cut -d= -f2)
if [ "$rc" -eq 0 ] && [ "${tx:-0}" -gt 3 ] && [ "${rxf:-0}" -gt 3 ]; then
	pass "linux_nic: the NIC counted the fetch's frames (tx_frames=$tx rx_frames=$rxf)"
else
	fail "linux_nic: NIC counters after a fetch: rc=$rc tx=${tx:-none} rx=${rxf:-none}: $(grep -m1 -F 'tx_' <<<"$out")"
fi

# fetch_vm URL TRIES: curl from the bridge's side until the VM's server
# answers (every 0.2 s, at most TRIES times); its answer in $got.
fetch_vm() {
	got=""
	for _ in $(seq "$2"); do
		got=$(in_ns curl -s -g --max-time 2 "$1" 2>/dev/null) && [ -n "$got" ] && return
		sleep 0.2
	done
}

# A server in the VM, reached from the bridge's side (the VM's /tmp is its own).
LV run --linux --fs / "${STATIC[@]}" --timeout 30 /usr/bin/python3 -- -c '
import http.server, os, socketserver, sys
os.makedirs("/tmp/www"); os.chdir("/tmp/www")
open("f.txt", "w").write(sys.argv[1] + "\n")
class H(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass
with socketserver.TCPServer(("0.0.0.0", 8081), H) as s:
    s.handle_request()
' "served-$$" >"$T_TMP/vmsrv.log" 2>&1 &
vm_srv=$!
fetch_vm "http://10.77.0.2:8081/f.txt" 40
wait "$vm_srv"
vm_rc=$?
if [ "$got" = "served-$$" ] && [ "$vm_rc" -eq 0 ]; then
	pass "linux_nic: curl on the bridge reaches python3's http.server in the VM"
else
	fail "linux_nic: server in the VM: curl got '$got', VM exit $vm_rc: $(tail -n 3 "$T_TMP/vmsrv.log" | tr '\n' '|')"
fi

# Source addresses: only the VM's own may be bound (no spoofed source on the bridge).
expect "linux_nic: bind to a foreign address is EADDRNOTAVAIL" 0 "EADDRNOTAVAIL" \
	LV run --linux --fs / "${STATIC[@]}" --timeout 30 /usr/bin/python3 -- -c '
import errno, socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    s.bind(("10.77.0.66", 0)); print("bound")
except OSError as e:
    print(errno.errorcode[e.errno])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("10.77.0.2", 0)); print("own address bound")
'

# ---- names: --dns and the generated /etc/hosts ----
if [ -n "$DNSMASQ" ]; then
	expect "linux_nic: a name from --dns (dnsmasq) resolves and the fetch works" 0 "payload-$$" \
		LV run --linux --fs / "${STATIC[@]}" --dns 10.77.0.1 --timeout 30 /usr/bin/python3 -- \
		-c "$FETCH" "http://files.lvtest:8080/f.txt"
	expect "linux_nic: /etc/resolv.conf names the --dns server" 0 "nameserver 10.77.0.1" \
		LV run --linux --fs / "${STATIC[@]}" --dns 10.77.0.1 --timeout 30 /bin/cat /etc/resolv.conf
else
	skip "linux_nic: --dns names: dnsmasq is not installed (make deps: dnsmasq-base)"
fi
expect "linux_nic: getaddrinfo of the VM's host name (from /etc/hosts) is eth0's address" 0 \
	"10.77.0.2" LV run --linux --fs / "${STATIC[@]}" --hostname nicvm --timeout 30 /usr/bin/python3 -- \
	-c 'import socket; print(socket.getaddrinfo("nicvm", 80, socket.AF_INET)[0][4][0])'
expect "linux_nic: the host's /etc/resolv.conf is untouched" 0 "" \
	bash -c '! grep -q "generated by lockvm" /etc/resolv.conf'

# ---- DHCP ----
if [ -n "$DNSMASQ" ]; then
	run_capture LV run --linux --fs / --net bridge="$BR" --timeout 30 /usr/bin/python3 -- -c '
import socket
c = socket.create_connection(("files.lvtest", 8080), 5)
print("addr", c.getsockname()[0])
print(open("/etc/resolv.conf").read())'
	addr=$(grep -o '^addr 10\.77\.0\.[0-9]*' <<<"$out" | cut -d' ' -f2)
	last=${addr##*.}
	if [ "$rc" -eq 0 ] && [ -n "$addr" ] && [ "$last" -ge 50 ] && [ "$last" -le 99 ] &&
		grep -q "nameserver 10.77.0.1" <<<"$out"; then
		pass "linux_nic: DHCP from dnsmasq gives eth0 $addr and its name server"
	else
		fail "linux_nic: DHCP: rc=$rc addr='$addr': $(tail -n 3 <<<"$out" | tr '\n' '|')"
	fi
else
	skip "linux_nic: DHCP: dnsmasq is not installed (make deps: dnsmasq-base); static addresses only"
fi

# ---- IPv6 on eth0: fe80:: from the MAC, fd77::/64 from dnsmasq's router advertisements (SLAAC) ----
if [ -n "$DNSMASQ" ]; then
	# --mac fixes the EUI-64 interface id: 02:00:00:4e:49:36 -> ::ff:fe4e:4936.
	V6=(--mac 02:00:00:4e:49:36)
	run_capture LV run --linux --fs / "${STATIC[@]}" "${V6[@]}" --timeout 60 /usr/bin/python3 -- -c '
import errno, os, socket, sys, time, urllib.request
for _ in range(200):  # until the advertisement came and duplicate address detection ended
    try:
        print(urllib.request.urlopen("http://[fd77::1]:8086/f.txt", timeout=5).read().decode().strip()); break
    except OSError:
        time.sleep(0.1)
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
try:
    s.bind(("fd77::66", 0)); print("bound")
except OSError as e:
    print("foreign", errno.errorcode[e.errno])
sys.stdout.flush()
os.system("ip -6 addr show dev eth0; ip -6 route")
'
	if [ "$rc" -eq 0 ] && grep -qx "payload-$$" <<<"$out"; then
		pass "linux_nic: python3 urllib fetches over IPv6 from [fd77::1] with a SLAAC address"
	else
		fail "linux_nic: IPv6 fetch: rc=$rc: $(tr '\n' '|' <<<"$out" | tail -c 400)"
	fi
	if grep -q "inet6 fd77::ff:fe4e:4936/64 scope global" <<<"$out" &&
		grep -q "inet6 fe80::ff:fe4e:4936/64 scope link" <<<"$out"; then
		pass "linux_nic: ip -6 addr shows eth0's link-local and SLAAC addresses"
	else
		fail "linux_nic: ip -6 addr: $(tr '\n' '|' <<<"$out" | tail -c 400)"
	fi
	if grep -q "^fd77::/64 dev eth0 proto kernel metric 256" <<<"$out" &&
		grep -q "^fe80::/64 dev eth0 proto kernel metric 256" <<<"$out" &&
		grep -q "^::1 dev lo proto kernel metric 256" <<<"$out"; then
		pass "linux_nic: ip -6 route shows the SLAAC prefix's, fe80::/64's and ::1's routes"
	else
		fail "linux_nic: ip -6 route: $(tr '\n' '|' <<<"$out" | tail -c 400)"
	fi
	if grep -qx "foreign EADDRNOTAVAIL" <<<"$out"; then
		pass "linux_nic: bind to a foreign IPv6 address is EADDRNOTAVAIL"
	else
		fail "linux_nic: foreign IPv6 bind: $(tr '\n' '|' <<<"$out" | tail -c 300)"
	fi
	# A server in the VM on [::], reached from the bridge's side at its SLAAC address.
	LV run --linux --fs / "${STATIC[@]}" "${V6[@]}" --timeout 60 /usr/bin/python3 -- -c '
import http.server, os, socket, socketserver, sys
os.makedirs("/tmp/www"); os.chdir("/tmp/www")
open("f.txt", "w").write(sys.argv[1] + "\n")
class S(socketserver.TCPServer):
    address_family = socket.AF_INET6
class H(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass
with S(("::", 8087), H) as s:
    s.handle_request()
' "served6-$$" >"$T_TMP/vmsrv6.log" 2>&1 &
	vm_srv=$!
	fetch_vm "http://[fd77::ff:fe4e:4936]:8087/f.txt" 150
	wait "$vm_srv"
	vm_rc=$?
	if [ "$got" = "served6-$$" ] && [ "$vm_rc" -eq 0 ]; then
		pass "linux_nic: curl on the bridge reaches the VM's http.server over IPv6"
	else
		fail "linux_nic: IPv6 server in the VM: curl got '$got', VM exit $vm_rc: $(tail -n 3 "$T_TMP/vmsrv6.log" | tr '\n' '|')"
	fi
else
	skip "linux_nic: IPv6 SLAAC: dnsmasq is not installed (make deps: dnsmasq-base)"
fi

# ---- netlink, read-only: ip addr/route/link and glibc's if_nameindex see lo and eth0 ----
run_capture LV run --linux --fs / "${STATIC[@]}" --timeout 30 /bin/sh -- -c 'ip addr; ip route'
if [ "$rc" -eq 0 ] && grep -q "inet 10.77.0.2/24 brd 10.77.0.255 scope global eth0" <<<"$out" &&
	grep -q "inet 127.0.0.1/8 scope host lo" <<<"$out" &&
	grep -q "^default via 10.77.0.1 dev eth0" <<<"$out" &&
	grep -q "^10.77.0.0/24 dev eth0 proto kernel scope link src 10.77.0.2" <<<"$out"; then
	pass "linux_nic: ip addr shows eth0 with its address, ip route its subnet and gateway"
else
	fail "linux_nic: ip addr / ip route: rc=$rc: $(tr '\n' '|' <<<"$out" | tail -c 400)"
fi
expect "linux_nic: ip link shows eth0 with the NIC's MAC" 0 "link/ether 02:00:00:4e:49:43" \
	LV run --linux --fs / "${STATIC[@]}" --mac 02:00:00:4e:49:43 --timeout 30 /bin/sh -- -c 'ip link show eth0'
expect "linux_nic: glibc's if_nameindex (RTM_GETLINK dump) lists lo and eth0" 0 "[(1, 'lo'), (2, 'eth0')]" \
	LV run --linux --fs / "${STATIC[@]}" --timeout 30 /usr/bin/python3 -- -c 'import socket; print(socket.if_nameindex())'
expect "linux_nic: ip addr add is EPERM (netlink is read-only)" 0 "RTNETLINK answers: Operation not permitted" \
	LV run --linux --fs / "${STATIC[@]}" --timeout 30 /bin/sh -- -c 'ip addr add 10.9.9.9/24 dev eth0; exit 0'
expect "linux_nic: ip route add is EPERM" 0 "RTNETLINK answers: Operation not permitted" \
	LV run --linux --fs / "${STATIC[@]}" --timeout 30 /bin/sh -- -c 'ip route add default via 10.77.0.9; exit 0'
expect "linux_nic: ip link set down is EPERM" 0 "RTNETLINK answers: Operation not permitted" \
	LV run --linux --fs / "${STATIC[@]}" --timeout 30 /bin/sh -- -c 'ip link set eth0 down; exit 0'
expect "linux_nic: without --net, ip addr shows lo only" 0 "lo-only" \
	"$LOCKVM" run --linux --fs / --timeout 30 /bin/sh -- -c 'ip addr | grep -q eth0 || echo lo-only'
run_capture LV run --linux --fs / --stats --strace "${STATIC[@]}" --timeout 30 /usr/bin/python3 -- -c '
import errno, socket
for fam, typ, proto in ((socket.AF_NETLINK, socket.SOCK_RAW, 15), (socket.AF_PACKET, socket.SOCK_RAW, 0)):
    try:
        socket.socket(fam, typ, proto); print("made")
    except OSError as e:
        print(errno.errorcode[e.errno])'
if [ "$(grep -c '^EAFNOSUPPORT$' <<<"$out")" -eq 2 ] && grep -q 'eafnosupport=2' <<<"$out" &&
	grep -qE '^\[lockvm\] socket\(16, 0x[0-9a-f]+, 15\) = -97 EAFNOSUPPORT' <<<"$out"; then
	pass "linux_nic: netlink families but route, and AF_PACKET, are EAFNOSUPPORT, counted and traced"
else
	fail "linux_nic: other families: $(grep -E 'EAFNO|made|eafno|socket\(' <<<"$out" | tr '\n' '|')"
fi

# ---- MSG_WAITALL and SO_LINGER on TCP over the NIC ----
cat >"$T_TMP/tcpsrv.py" <<'PY'
import socket, sys, time
mode, port = sys.argv[1], int(sys.argv[2])
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("10.77.0.1", port)); l.listen(1); l.settimeout(25)
open(sys.argv[3], "w").close()  # listening: the VM may connect
c, _ = l.accept()
if mode == "split":  # six bytes in two segments, 300 ms apart
    c.sendall(b"abc"); time.sleep(0.3); c.sendall(b"def"); time.sleep(0.5)
elif mode == "slow":  # a slow reader behind a small window: the VM's program ends first
    import hashlib
    c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
    c.settimeout(15)
    h, n = hashlib.sha256(), 0
    try:
        while d := c.recv(4096):
            h.update(d); n += len(d); time.sleep(0.002)
    except OSError as e:
        print("error", e)
    print("got", n, h.hexdigest(), flush=True)
elif mode == "echo":  # all until the VM's shutdown, its sha256, then all of it back
    import hashlib
    c.settimeout(60)
    chunks = []
    while d := c.recv(1 << 20):
        chunks.append(d)
    data = b"".join(chunks)
    print("host", len(data), hashlib.sha256(data).hexdigest(), flush=True)
    c.sendall(data); c.close()
else:  # linger: what the VM's close looks like from here
    c.settimeout(10)
    try:
        d = c.recv(10)
        print("eof" if d == b"" else "data")
    except ConnectionResetError:
        print("reset")
PY
# tcp_server MODE PORT: tcpsrv.py in the namespace, back once it listens.
tcp_server() {
	in_ns python3 "$T_TMP/tcpsrv.py" "$1" "$2" "$T_TMP/$1.ready" >"$T_TMP/$1.log" 2>&1 &
	srv=$!
	for _ in $(seq 200); do [ -e "$T_TMP/$1.ready" ] && break; sleep 0.1; done
}
tcp_server split 9000
expect "linux_nic: TCP recv with MSG_WAITALL waits for the whole length (two segments)" 0 "got b'abcdef'" \
	LV run --linux --fs / "${STATIC[@]}" --timeout 30 /usr/bin/python3 -- -c '
import socket
s = socket.create_connection(("10.77.0.1", 9000), 10)
s.settimeout(None)  # blocking: with a timeout python polls a non-blocking fd
print("got", s.recv(6, socket.MSG_WAITALL))'
tcp_server linger 9001
run_capture LV run --linux --fs / "${STATIC[@]}" --timeout 30 /usr/bin/python3 -- -c '
import socket, struct, time
s = socket.create_connection(("10.77.0.1", 9001), 10)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
print("linger", struct.unpack("ii", s.getsockopt(socket.SOL_SOCKET, socket.SO_LINGER, 8)))
s.close(); time.sleep(0.5)'
wait "$srv"
if [ "$rc" -eq 0 ] && grep -q "linger (1, 0)" <<<"$out" && [ "$(cat "$T_TMP/linger.log")" = "reset" ]; then
	pass "linux_nic: SO_LINGER of 0 s reads back and makes close a reset on the peer's side"
else
	fail "linux_nic: SO_LINGER 0: rc=$rc $(tr '\n' '|' <<<"$out") peer saw: $(cat "$T_TMP/linger.log")"
fi

# ---- hostile: a SYN flood from the bridge's side at a server in the VM ----
# 20,000 SYNs from 100 addresses nobody answers ARP for: the VM's stack (lwIP:
# a listen backlog, a bounded pool of connections, half-open ones dropped
# after TCP_SYN_RCVD_TIMEOUT) lives on, serves again once they expire, and
# the VM stays within its memory (not stopped, 126).
cat >"$T_TMP/synflood.py" <<'PY'
import random, socket, struct, sys
dst, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    return ~(s + (s >> 16)) & 0xFFFF
raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)  # our IP header
for i in range(count):
    src = socket.inet_aton("10.77.0.%d" % random.randint(150, 249))
    tcp = struct.pack("!HHIIBBHHH", random.randint(1024, 65535), port, random.getrandbits(32),
                      0, 5 << 4, 0x02, 64240, 0, 0)
    pseudo = src + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), i & 0xFFFF, 0, 64, 6, 0, src,
                     socket.inet_aton(dst))
    raw.sendto(ip + tcp, (dst, 0))
print("sent", count)
PY
LV run --linux --fs / "${STATIC[@]}" --name "synflood$$" --timeout 120 /usr/bin/python3 -- -c '
import http.server, os, socketserver, sys
os.makedirs("/tmp/www"); os.chdir("/tmp/www")
open("f.txt", "w").write(sys.argv[1] + "\n")
class H(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass
with socketserver.TCPServer(("0.0.0.0", 8088), H) as s:
    s.serve_forever()
' "flooded-$$" >"$T_TMP/flood-vm.log" 2>&1 &
vm_srv=$!
fetch_vm "http://10.77.0.2:8088/f.txt" 150
before=$got
in_ns python3 "$T_TMP/synflood.py" 10.77.0.2 8088 20000 >"$T_TMP/flood.log" 2>&1
fetch_vm "http://10.77.0.2:8088/f.txt" 300 # up to 60 s: lwIP drops a half-open connection after 20 s
after=$got
"$LOCKVM" stop "synflood$$" >/dev/null 2>&1
wait "$vm_srv"
vm_rc=$?
if [ "$before" = "flooded-$$" ] && grep -q "sent 20000" "$T_TMP/flood.log" && [ "$after" = "flooded-$$" ] &&
	[ "$vm_rc" -ne 126 ] && ! grep -q "guest fault\|exceeded its memory" "$T_TMP/flood-vm.log"; then
	pass "linux_nic: a SYN flood of 20,000 spoofed SYNs: the VM's server answers again after it, the VM within its memory"
else
	fail "linux_nic: SYN flood: before '$before', after '$after', VM exit $vm_rc, flood: $(tr '\n' '|' <"$T_TMP/flood.log") $(tail -n 3 "$T_TMP/flood-vm.log" | tr '\n' '|')"
fi

# ---- bulk TCP through the tap's offload: lwIP's segments leave as super-frames the host kernel cuts ----
tcp_server echo 9002
run_capture LV run --linux --fs / "${STATIC[@]}" --timeout 60 /usr/bin/python3 -- -c '
import hashlib, random, socket
s = socket.create_connection(("10.77.0.1", 9002), 10)
s.settimeout(None)
sent, back, n = hashlib.sha256(), hashlib.sha256(), 0
for _ in range(64):  # 64 MiB, 1 MiB of random bytes at a time (the VM has little memory)
    block = random.randbytes(1 << 20)
    sent.update(block); s.sendall(block)
s.shutdown(socket.SHUT_WR)
while d := s.recv(1 << 20):
    back.update(d); n += len(d)
print("sent", 64 << 20, sent.hexdigest())
print("back", n, back.hexdigest())'
wait "$srv"
sent=$(grep -o '^sent .*' <<<"$out" | cut -d' ' -f2-)
host_sum=$(sed -n 's/^host 67108864 //p' "$T_TMP/echo.log")
if [ "$rc" -eq 0 ] && [ -n "$host_sum" ] && [ "$sent" = "67108864 $host_sum" ] &&
	[ "$(grep -o '^back .*' <<<"$out" | cut -d' ' -f2-)" = "$sent" ]; then
	pass "linux_nic: 64 MiB from the VM to the bridge and back arrive intact (sha256)"
else
	fail "linux_nic: 64 MiB both ways: rc=$rc $(tr '\n' '|' <<<"$out" | tail -c 300) host: $(cat "$T_TMP/echo.log")"
fi

# VM to VM on the bridge: the kernel cuts the sender's super-frames and finishes their checksums
# in software (the receiving tap offers no offload), and the receiver's lwIP checks every one.
LV run --linux --fs / --net bridge="$BR" --ip 10.77.0.3/24 --timeout 60 /usr/bin/python3 -- -c '
import hashlib, socket
l = socket.socket(); l.bind(("10.77.0.3", 9100)); l.listen(1)
c, _ = l.accept()
h, n = hashlib.sha256(), 0
while d := c.recv(1 << 20):
    h.update(d); n += len(d)
print("got", n, h.hexdigest())' >"$T_TMP/vm_rx.log" 2>&1 &
vm_rx=$!
run_capture LV run --linux --fs / "${STATIC[@]}" --timeout 60 /usr/bin/python3 -- -c '
import hashlib, random, socket, time
for _ in range(400):  # until the other VM listens
    try:
        s = socket.create_connection(("10.77.0.3", 9100), 2); break
    except OSError:
        time.sleep(0.1)
h = hashlib.sha256()
for _ in range(16):
    block = random.randbytes(1 << 20)
    h.update(block); s.sendall(block)
s.close()
print("got", 16 << 20, h.hexdigest())'
wait "$vm_rx"
vm_rx_rc=$?
sent=$(grep -o '^got .*' <<<"$out")
if [ "$rc" -eq 0 ] && [ "$vm_rx_rc" -eq 0 ] && [ -n "$sent" ] && [ "$(grep -o '^got .*' "$T_TMP/vm_rx.log")" = "$sent" ]; then
	pass "linux_nic: 16 MiB from one VM to another on the bridge arrive intact (sha256, every segment's checksum checked by lwIP)"
else
	fail "linux_nic: VM to VM: rc=$rc/$vm_rx_rc sender: $(tr '\n' '|' <<<"$out" | tail -c 200) receiver: $(tail -n 3 "$T_TMP/vm_rx.log" | tr '\n' '|')"
fi

# The program ends right after its last send and close, its last data still unsent (the reader
# is slow): its VM sends it before it ends, as Linux sends what a process left behind.
tcp_server slow 9003
run_capture LV run --linux --fs / "${STATIC[@]}" --timeout 60 /usr/bin/python3 -- -c '
import hashlib, random, socket
s = socket.create_connection(("10.77.0.1", 9003), 10)
s.settimeout(None)
block = random.randbytes(1 << 20)
s.sendall(block); s.close()
print("got", 1 << 20, hashlib.sha256(block).hexdigest())'
wait "$srv"
sent=$(grep -o '^got .*' <<<"$out")
if [ "$rc" -eq 0 ] && [ -n "$sent" ] && [ "$(grep -o '^got .*' "$T_TMP/slow.log")" = "$sent" ]; then
	pass "linux_nic: what a program sent just before it ended reaches a slow reader whole (sha256)"
else
	fail "linux_nic: data left at the end: rc=$rc sender: $(tr '\n' '|' <<<"$out" | tail -c 200) reader: $(tr '\n' '|' <"$T_TMP/slow.log")"
fi

# ---- a peer with a smaller MSS: lwIP makes segments of up to 64 KiB, the kernel cuts them at the
# peer's MSS (536 here: it sits behind a veth of MTU 576 on a bridge of its own), not at the VM's
# MTU. The NIC counts the wire frames the kernel cuts (the size it is told): 4 MiB in segments of
# 536 bytes are at least 7826 frames (2873 if they were cut at 1460).
NS2=lvnic2$$
BR2=lvnm$$ VETH=lvmv$$
BR2=${BR2:0:15} VETH=${VETH:0:15}
ip netns add "$NS2"
in_ns ip link add "$BR2" type bridge && in_ns ip link set "$BR2" up
in_ns ip link add "$VETH" mtu 576 type veth peer name eth9 mtu 576 netns /var/run/netns/"$NS2"
in_ns ip link set "$VETH" master "$BR2" up
nsenter --net=/var/run/netns/"$NS2" sh -c 'ip link set lo up && ip addr add 10.77.9.1/24 dev eth9 && ip link set eth9 up'
nsenter --net=/var/run/netns/"$NS2" python3 -c '
import hashlib, socket, sys
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("10.77.9.1", 9004)); l.listen(1); l.settimeout(25)
open(sys.argv[1], "w").close()
c, _ = l.accept(); c.settimeout(20)
h, n = hashlib.sha256(), 0
try:
    while d := c.recv(1 << 20):
        h.update(d); n += len(d)
except OSError as e:
    print("error", e)
print("got", n, h.hexdigest(), flush=True)' "$T_TMP/mss.ready" >"$T_TMP/mss.log" 2>&1 &
srv=$!
for _ in $(seq 200); do [ -e "$T_TMP/mss.ready" ] && break; sleep 0.1; done
run_capture LV run --linux --stats --fs / --net bridge="$BR2" --ip 10.77.9.2/24 --timeout 30 /usr/bin/python3 -- -c '
import hashlib, random, socket
s = socket.create_connection(("10.77.9.1", 9004), 10)
s.settimeout(None)
h = hashlib.sha256()
for _ in range(4):
    block = random.randbytes(1 << 20)
    h.update(block); s.sendall(block)
s.close()
print("got", 4 << 20, h.hexdigest())'
wait "$srv"
sent=$(grep -o '^got .*' <<<"$out")
tx=$(grep -o 'tx_frames=[0-9]*' <<<"$out" | cut -d= -f2)
if [ "$rc" -eq 0 ] && [ -n "$sent" ] && [ "$(grep -o '^got .*' "$T_TMP/mss.log")" = "$sent" ] &&
	[ "${tx:-0}" -ge $(((4 << 20) / 536)) ]; then
	pass "linux_nic: 4 MiB to a peer of MSS 536 arrive intact, cut at its MSS ($tx wire frames)"
else
	fail "linux_nic: MSS 536 peer: rc=$rc tx_frames=$tx sender: $(tr '\n' '|' <<<"$out" | tail -c 200) reader: $(tr '\n' '|' <"$T_TMP/mss.log")"
fi
