# make e2e: --net ovs= under the enforcing MAC (sourced by tests.sh): Open vSwitch started as Debian's openvswitch-switch does, two VMs on an OVS bridge, pings, no denial for lockvm's domains, no port or tap left.
# Uses what tests.sh and net.sh define: $mode, $L, $DENIED_RE, pass, fail,
# skip, log, check, klog, json_field, wait_gone, net_wait_log, net_ping.
# The OVS bridge, its address and the VMs are this file's own; no traffic
# leaves the QEMU machine. Under SELinux, lockvm.te's optional openvswitch
# block is what lets the supervisor (lockvm_t) run ovs-vsctl and connect to
# ovsdb-server (openvswitch_t); under AppArmor, the ovs_vsctl child profile
# of profiles/lockvm.

OVS_BR=lvovs0
OVS_INIT=/etc/init.d/openvswitch-switch
OVS_GUEST=/var/lib/lockvm/guests/netecho.elf
ovs_klog=/tmp/klog-ovs
# Denials whose subject is one of lockvm's domains or profiles (the
# supervisor, its ovs-vsctl child, a VM); OVS's own are only logged.
OVS_LOCKVM_DENIED_RE='scontext=[^ ]*:lockvm_(t|vm_t):|profile="lockvm'

# ovs_vsctl ARGS...: the administrator's ovs-vsctl, bounded.
ovs_vsctl() { timeout -k 5 30 ovs-vsctl --timeout=20 "$@"; }

# ovs_ping ADDRESS: net_ping, with ping's own output as the reason it failed.
ovs_ping() { net_ping "$1" || { why="$(tr '\n' ' ' </tmp/ping.out)" && return 1; }; }

# ovs_ports: the ports of $OVS_BR, one line.
ovs_ports() { ovs_vsctl list-ports $OVS_BR 2>&1 | tr '\n' ' '; }

ovs_tests() {
	if [ -e /e2e/ovs-missing ]; then
		skip "ovs: Open vSwitch is not in the initramfs: $(cat /e2e/ovs-missing)"
		return
	fi
	if [ ! -c /dev/net/tun ]; then
		fail "ovs: no /dev/net/tun in the e2e kernel (tun module not loaded)"
		return
	fi
	dmesg -c >/dev/null
	: >$ovs_klog
	# As Debian starts it without systemd: its init script runs ovs-ctl
	# start (ovsdb-server, creating /etc/openvswitch/conf.db, then
	# ovs-vswitchd). Under SELinux the script is initrc_exec_t (initrc_t)
	# and ovs-ctl openvswitch_exec_t: both daemons run in openvswitch_t.
	timeout -k 5 90 $OVS_INIT start >/tmp/ovs-start.out 2>&1
	rc=$?
	sed 's/^/E2E LOG: ovs start: /' /tmp/ovs-start.out | tail -n 20
	db_pid=$(cat /run/openvswitch/ovsdb-server.pid 2>/dev/null)
	sw_pid=$(cat /run/openvswitch/ovs-vswitchd.pid 2>/dev/null)
	if [ $rc -ne 0 ] || [ -z "$db_pid" ] || [ -z "$sw_pid" ] || [ ! -d "/proc/$db_pid" ] || [ ! -d "/proc/$sw_pid" ]; then
		fail "ovs: $OVS_INIT start (exit $rc; ovsdb-server pid '$db_pid', ovs-vswitchd pid '$sw_pid'): $(tail -n 3 /tmp/ovs-start.out | tr '\n' '|')"
		tail -n 20 /var/log/openvswitch/*.log 2>/dev/null | sed 's/^/E2E LOG: ovs log: /'
		klog $ovs_klog
		grep -E "$DENIED_RE" $ovs_klog | head -n 20 | sed 's/^/E2E LOG: ovs denial: /'
		timeout -k 5 30 $OVS_INIT stop >/dev/null 2>&1
		return
	fi
	if [ "$mode" = selinux ]; then
		db_ctx=$(tr -d '\0' <"/proc/$db_pid/attr/current" 2>/dev/null)
		sw_ctx=$(tr -d '\0' <"/proc/$sw_pid/attr/current" 2>/dev/null)
		sock_ctx=$(filecon /run/openvswitch/db.sock)
		why="ovsdb-server '$db_ctx', ovs-vswitchd '$sw_ctx', db.sock '$sock_ctx'"
		check "ovs: Debian's init script runs ovsdb-server and ovs-vswitchd in openvswitch_t" sh -c '
			case "$1" in *:openvswitch_t:*) ;; *) exit 1 ;; esac
			case "$2" in *:openvswitch_t:*) ;; *) exit 1 ;; esac
			case "$3" in *:openvswitch_runtime_t:*) ;; *) exit 1 ;; esac' - "$db_ctx" "$sw_ctx" "$sock_ctx"
	else
		pass "ovs: Debian's init script started ovsdb-server ($db_pid) and ovs-vswitchd ($sw_pid)"
	fi
	if ! ovs_vsctl add-br $OVS_BR >/tmp/ovs-br.err 2>&1 || ! ip addr add 10.94.0.1/24 dev $OVS_BR 2>>/tmp/ovs-br.err ||
		! ip link set $OVS_BR up 2>>/tmp/ovs-br.err; then
		fail "ovs: making OVS bridge $OVS_BR: $(tr '\n' ' ' </tmp/ovs-br.err)"
		ovs_vsctl --if-exists del-br $OVS_BR >/dev/null 2>&1
		timeout -k 5 30 $OVS_INIT stop >/dev/null 2>&1
		return
	fi
	# What the reference policy's openvswitch_t lacks (permissive here,
	# see tests/e2e/lockvm_e2e.te), for the console log.
	klog $ovs_klog
	log "ovs: bridge $OVS_BR up; denials while OVS started: $(grep -Ec "$DENIED_RE" $ovs_klog)"
	grep -E "$DENIED_RE" $ovs_klog | head -n 40 | sed 's/^/E2E LOG: ovs start denial: /'
	: >$ovs_klog

	for v in 2 3; do
		run_detached o$v --net ovs=$OVS_BR $OVS_GUEST 10.94.0.$v/24
	done
	for v in 2 3; do
		x=$($L inspect o$v --json 2>&1)
		echo "$x" >/tmp/o$v.json
		eval "ovs_vmm_$v=\$(json_field /tmp/o$v.json vmm_pid)"
	done
	if net_wait_log o2 "ready" && net_wait_log o3 "ready"; then
		pass "ovs: two VMs with --net ovs=$OVS_BR run netecho"
	else
		fail "ovs: the VMs did not report their NIC ready: $(cat /var/log/lockvm/o2.log /var/log/lockvm/o3.log 2>/dev/null | tail -n 6 | tr '\n' '|')"
	fi
	ports=$(ovs_ports)
	why="ports of $OVS_BR: '$ports'"
	check "ovs: lockvm added each VM's tap as a port of $OVS_BR (ovs-vsctl as lockvm's supervisor)" \
		sh -c 'case " $1 " in *" lv-o2 "*) ;; *) exit 1 ;; esac; case " $1 " in *" lv-o3 "*) ;; *) exit 1 ;; esac' - "$ports"
	check "ovs: the host pings VM o2 over OVS bridge $OVS_BR" ovs_ping 10.94.0.2
	check "ovs: the host pings VM o3 over OVS bridge $OVS_BR" ovs_ping 10.94.0.3

	for v in 2 3; do
		x=$(timeout 60 $L stop o$v 2>&1) || log "lockvm stop o$v: $(echo "$x" | tr '\n' '|')"
	done
	for v in 2 3; do eval "wait_gone \$ovs_vmm_$v"; done
	why="$(grep -h "netecho" /var/log/lockvm/o2.log /var/log/lockvm/o3.log | tr '\n' '|')"
	check "ovs: netecho in each VM answered the host's pings" sh -c \
		'grep -q "answered [1-9]" /var/log/lockvm/o2.log && grep -q "answered [1-9]" /var/log/lockvm/o3.log'
	# The supervisor removes the port (ovs-vsctl del-port) as its VM ends.
	n=0
	while [ $n -lt 50 ] && { ip -o link show | grep -q ' lv-o' || [ -n "$(ovs_vsctl list-ports $OVS_BR)" ]; }; do
		n=$((n + 1))
		sleep 0.1
	done
	ports=$(ovs_ports)
	why="ports of $OVS_BR: '$ports'"
	check "ovs: no OVS port is left after the VMs ended" test -z "$(echo $ports)"
	why="$(ip -o link show | grep -o 'lv-o[0-9]*' | tr '\n' ' ')"
	check "ovs: no tap is left after the VMs ended" sh -c '! ip -o link show | grep -q " lv-o"'
	klog $ovs_klog
	n=$(grep -E "$DENIED_RE" $ovs_klog | grep -Ec "$OVS_LOCKVM_DENIED_RE")
	why="$n denials: $(grep -E "$DENIED_RE" $ovs_klog | grep -E "$OVS_LOCKVM_DENIED_RE" | head -n 3 | sed 's/.*\(avc:\|apparmor=\)/\1/' | tr '\n' '|')"
	check "ovs: no denial for lockvm's domains in a normal --net ovs= run (two VMs, pings, stop)" test "$n" -eq 0
	grep -E "$DENIED_RE" $ovs_klog | head -n 40 | sed 's/^/E2E LOG: ovs denial: /'

	ovs_vsctl --if-exists del-br $OVS_BR >/dev/null 2>&1
	timeout -k 5 30 $OVS_INIT stop >/tmp/ovs-stop.out 2>&1 ||
		log "ovs: $OVS_INIT stop: $(tail -n 3 /tmp/ovs-stop.out | tr '\n' '|')"
}

ovs_tests
