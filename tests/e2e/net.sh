# make e2e: --net under the enforcing MAC (sourced by tests.sh): two VMs on a bridge, pings, the tap's label and owner, no denial, no tap left.
# Uses what tests.sh defines: $mode, $L, $P, $EVIL, $DENIED_RE, pass,
# fail, skip, log, check, json_field, wait_gone. The bridge, its address
# and the VMs are this file's own; no traffic leaves the QEMU machine.

NET_BR=lvbr0
NET_GUEST=/var/lib/lockvm/guests/netecho.elf
net_klog=/tmp/klog-net

# net_wait_log NAME TEXT: up to 20 s for TEXT in the VM's log.
net_wait_log() {
	n=0
	until grep -qF -- "$2" "/var/log/lockvm/$1.log" 2>/dev/null; do
		n=$((n + 1))
		[ $n -gt 200 ] && return 1
		sleep 0.1
	done
}

# net_ping ADDRESS: three echo requests from the host side of the bridge.
net_ping() { ping -c 3 -W 3 "$1" >/tmp/ping.out 2>&1 && grep -q " 0% packet loss" /tmp/ping.out; }

net_tests() {
	if [ ! -c /dev/net/tun ]; then
		fail "net: no /dev/net/tun in the e2e kernel (tun module not loaded)"
		return
	fi
	if ! ip link add $NET_BR type bridge 2>/tmp/br.err || ! ip addr add 10.93.0.1/24 dev $NET_BR ||
		! ip link set $NET_BR up; then
		fail "net: making bridge $NET_BR: $(tr '\n' ' ' </tmp/br.err)"
		return
	fi
	dmesg -c >/dev/null
	: >$net_klog
	for v in 2 3; do
		run_detached n$v --net bridge=$NET_BR $NET_GUEST 10.93.0.$v/24
	done
	for v in 2 3; do
		# Through a pipe: lockvm_t may not write the administrator's /tmp.
		x=$($L inspect n$v --json 2>&1)
		echo "$x" >/tmp/n$v.json
		eval "net_vmm_$v=\$(json_field /tmp/n$v.json vmm_pid)"
		eval "net_uid_$v=\$(json_field /tmp/n$v.json uid)"
		eval "net_gid_$v=\$(json_field /tmp/n$v.json gid)"
		eval "net_ctx_$v=\$(cat /proc/\$net_vmm_$v/attr/current 2>/dev/null | tr -d '\\0')"
	done
	log "net: n2 vmm $net_vmm_2 uid $net_uid_2 '$net_ctx_2'; n3 vmm $net_vmm_3 uid $net_uid_3 '$net_ctx_3'"
	if net_wait_log n2 "ready" && net_wait_log n3 "ready"; then
		pass "net: two VMs with --net bridge=$NET_BR run netecho"
	else
		fail "net: the VMs did not report their NIC ready: $(cat /var/log/lockvm/n2.log /var/log/lockvm/n3.log 2>/dev/null | tail -n 6 | tr '\n' '|')"
	fi
	why="$(tr '\n' ' ' </tmp/ping.out)"
	check "net: the host pings VM n2 over the bridge" net_ping 10.93.0.2
	why="$(tr '\n' ' ' </tmp/ping.out)"
	check "net: the host pings VM n3 over the bridge" net_ping 10.93.0.3

	# The tap is the VM's: owned by its uid, attached by its VMM (whose
	# TUNSETIFF gave the tun socket the VM's own SELinux context).
	o2=$(cat /sys/class/net/lv-n2/owner 2>&1) o3=$(cat /sys/class/net/lv-n3/owner 2>&1)
	why="lv-n2 owner '$o2' (uid $net_uid_2), lv-n3 owner '$o3' (uid $net_uid_3)"
	check "net: each tap is owned by its VM's uid" test -n "$net_uid_2" -a "$o2" = "$net_uid_2" -a \
		"$o3" = "$net_uid_3" -a "$net_uid_2" != 0
	why="$(grep -s '^iff:' /proc/"$net_vmm_2"/fdinfo/* | tr '\n' ' ')"
	check "net: VM n2's VMM holds the queue of lv-n2" grep -qs "^iff:[[:space:]]*lv-n2$" /proc/"$net_vmm_2"/fdinfo/*

	# NIC counters in lockvm inspect (a memfd in the VM's own context).
	x=$($L inspect n2 --json 2>&1)
	echo "$x" >/tmp/n2.json
	rx=$(json_field /tmp/n2.json rx_frames) tx=$(json_field /tmp/n2.json tx_frames)
	why="rx_frames '$rx', tx_frames '$tx': $(grep -A 14 '"net"' /tmp/n2.json | tr '\n' ' ')"
	check "net: lockvm inspect shows n2's packet counters (rx $rx, tx $tx)" \
		test -n "$rx" -a -n "$tx" -a "${rx:-0}" -ge 3 -a "${tx:-0}" -ge 3

	# A tap that cannot go on the bridge (lo is not one) is deleted again
	# (netlink RTM_DELLINK) and the run refused.
	out=$(timeout 60 $L run --name n4 --net bridge=lo $NET_GUEST 10.93.0.4/24 2>&1)
	rc=$?
	why="exit $rc: $(echo "$out" | tail -n 2 | tr '\n' '|'); $(ip -o link show lv-n4 2>&1 | head -c 80)"
	check "net: a tap that cannot join the bridge is deleted, the run refused (125)" \
		sh -c '[ "$1" = 125 ] && ! ip link show lv-n4 >/dev/null 2>&1' - "$rc"
	klog $net_klog

	# From VM n2's exact context, as VM n3's uid (so the tap's owner check
	# passes): taking over n3's tap with a fresh /dev/net/tun fd.
	if [ "$mode" = selinux ] && [ -n "$net_ctx_2" ] && [ -n "$net_ctx_3" ]; then
		$P as selinux "$net_ctx_2" --uid "$net_uid_3:$net_gid_3" $EVIL try tun-attach 3 lv-n3 \
			3<>/dev/net/tun <&- >&- 2>&-
		prc=$?
		dmesg -c >/tmp/probe.log
		log "net probe: tun-attach lv-n3 from n2's context: exit $prc"
		why="exit $prc; $(grep -E "$DENIED_RE" /tmp/probe.log | tail -n 2 | tr '\n' '|')"
		check "net: VM n2's context cannot take over VM n3's tap (relabelfrom n3's tun_socket denied)" \
			sh -c '[ "$1" = 1 ] && grep -Eq "denied +\{ relabelfrom \} .*scontext=$2 tcontext=$3 tclass=tun_socket" /tmp/probe.log' \
			- "$prc" "$net_ctx_2" "$net_ctx_3"
	fi

	for v in 2 3; do
		x=$(timeout 60 $L stop n$v 2>&1) || log "lockvm stop n$v: $(echo "$x" | tr '\n' '|')"
	done
	for v in 2 3; do eval "wait_gone \$net_vmm_$v"; done
	why="$(grep -h "netecho" /var/log/lockvm/n2.log /var/log/lockvm/n3.log | tr '\n' '|')"
	check "net: netecho in each VM answered the host's pings" sh -c \
		'grep -q "answered [1-9]" /var/log/lockvm/n2.log && grep -q "answered [1-9]" /var/log/lockvm/n3.log'
	n=0
	while [ $n -lt 50 ] && ip -o link show | grep -q ' lv-n'; do
		n=$((n + 1))
		sleep 0.1
	done
	why="$(ip -o link show | grep -o 'lv-n[0-9]*' | tr '\n' ' ')"
	check "net: no tap is left after the VMs ended" sh -c '! ip -o link show | grep -q " lv-n"'
	klog $net_klog
	n=$(grep -Ec "$DENIED_RE" $net_klog)
	why="$n denials: $(grep -E "$DENIED_RE" $net_klog | head -n 3 | sed 's/.*\(avc:\|apparmor=\)/\1/' | tr '\n' '|')"
	check "net: no denial in a normal --net run (two VMs, pings, inspect, refused run, stop)" test "$n" -eq 0
	grep -E "$DENIED_RE" $net_klog | head -n 40 | sed 's/^/E2E LOG: net denial: /'
	ip link del $NET_BR 2>/dev/null
}

net_tests
