#!/usr/bin/env bash
# Kubernetes' path: containerd's CRI plugin runs pods (host network, CNI bridge) through lockvm-oci (runtimes.lockvm, the runc shim with BinaryName), driven over the CRI v1 API as a kubelet drives it.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib_containerd.sh"
if ! have_kvm; then skip "cri: /dev/kvm is not usable here"; exit 0; fi
OCI=$B/lockvm-oci
# Debian's python3, where python3-grpcio and python3-grpc-tools put their modules
# (the python3 on PATH may be another one).
PY=/usr/bin/python3
BUSYBOX=$(command -v busybox || true)
if [ -z "$BUSYBOX" ] || ! file -L "$BUSYBOX" | grep -q static; then
	skip "cri: no static busybox (make deps installs busybox-static)"; exit 0
fi
for c in containerd ctr musl-gcc; do
	command -v "$c" >/dev/null || { skip "cri: $c is not installed (make deps)"; exit 0; }
done
for c in bridge host-local loopback; do
	[ -x "/usr/lib/cni/$c" ] || { skip "cri: /usr/lib/cni/$c: containernetworking-plugins is not installed (make deps)"; exit 0; }
done
if ! "$PY" -c 'import grpc, grpc_tools.protoc' 2>/dev/null; then
	skip "cri: python3-grpcio or python3-grpc-tools is not installed (make deps)"; exit 0
fi

# The CRI client: tests/cri/cri_v1.proto compiled here, under build/.
GEN=$B/cri
mkdir -p "$GEN"
"$PY" -m grpc_tools.protoc -I "$TOP/tests/cri" --python_out="$GEN" --grpc_python_out="$GEN" \
	"$TOP/tests/cri/cri_v1.proto" || { fail "cri: protoc of tests/cri/cri_v1.proto"; exit 0; }
C=$T_TMP/ctrd
CRI=(env PYTHONPATH="$GEN" "$PY" "$TOP/tests/cri/cri.py" "$C/sock")

# Two images from local trees (no registry): the pod's sandbox, a static
# pause program built here, and the job's, busybox.
mkdir -p "$T_TMP/pause" "$T_TMP/job/bin" "$T_TMP/job/tmp"
musl-gcc -static -Os -o "$T_TMP/pause/pause" "$TOP/tests/cri/pause.c" ||
	{ fail "cri: building the pause program"; exit 0; }
cp "$BUSYBOX" "$T_TMP/job/bin/busybox"
for a in sh echo sleep cat hostname wget; do ln -s busybox "$T_TMP/job/bin/$a"; done
"$PY" "$TOP/tests/cri/oci_image.py" "$T_TMP/pause.tar" localhost/lockvm-cri-pause:1 "$T_TMP/pause" /pause &&
	"$PY" "$TOP/tests/cri/oci_image.py" "$T_TMP/job.tar" localhost/lockvm-cri-job:1 "$T_TMP/job" /bin/sh ||
	{ fail "cri: writing the images"; exit 0; }

# The pod network: Debian's CNI plugins, a bridge of the test's own on the
# host (its address the pods' gateway), addresses from host-local, no NAT.
SUB=10.95.$(($$ % 200 + 20))
BR=lvcri$$
mkdir -p "$C/cni-conf"
cat >"$C/cni-conf/10-lockvm-cri.conflist" <<EOF
{"cniVersion": "0.4.0", "name": "lockvm-cri", "plugins": [{"type": "bridge", "bridge": "$BR",
 "isGateway": true, "ipMasq": false, "ipam": {"type": "host-local", "subnet": "$SUB.0/24",
 "routes": [{"dst": "0.0.0.0/0"}], "dataDir": "$C/cni-ipam"}}]}
EOF

# containerd's configuration as docs/kubernetes.md gives it, with the test's
# own paths: the runc shim runs build/lockvm-oci, its --root under $C
# (runc stays the default runtime: a pod picks lockvm by its handler); the
# CNI configuration above; the native snapshotter (no overlay mounts).
containerd_private "$C" "[plugins.\"io.containerd.grpc.v1.cri\"]
  sandbox_image = \"localhost/lockvm-cri-pause:1\"
  [plugins.\"io.containerd.grpc.v1.cri\".cni]
    bin_dir = \"/usr/lib/cni\"
    conf_dir = \"$C/cni-conf\"
  [plugins.\"io.containerd.grpc.v1.cri\".containerd]
    snapshotter = \"native\"
  [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc]
    runtime_type = \"io.containerd.runc.v2\"
  [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.lockvm]
    runtime_type = \"io.containerd.runc.v2\"
    [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.lockvm.options]
      BinaryName = \"$OCI\"
      Root = \"$C/oci\"
      SystemdCgroup = false"
CPID=$CONTAINERD_PID
ST=$C/oci/k8s.io # the runtime's --root for CRI's namespace
POD="" POD2="" SRV=""
cri_cleanup() {
	local p
	for p in "$POD" "$POD2"; do
		[ -n "$p" ] && "${CRI[@]}" stopp "$p" >/dev/null 2>&1 && "${CRI[@]}" rmp "$p" >/dev/null 2>&1
	done
	[ -n "$SRV" ] && kill "$SRV" 2>/dev/null
	ip link del "$BR" 2>/dev/null
	kill "$CPID" 2>/dev/null
	wait "$CPID" 2>/dev/null
	# The shim bind-mounts each bundle's root; none may stay mounted.
	grep -F " $C/" /proc/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l
	rm -rf "$T_TMP"
}
at_exit cri_cleanup
[ -S "$C/sock" ] || { fail "cri: containerd did not start: $(tail -n 3 "$C/log" | tr '\n' '|')"; exit 0; }
for i in pause job; do
	ctr --address "$C/sock" -n k8s.io images import --snapshotter native "$T_TMP/$i.tar" >"$C/import" 2>&1 ||
		{ fail "cri: ctr images import $i: $(tail -n 2 "$C/import")"; exit 0; }
done

expect "cri: containerd serves CRI v1" 0 "containerd v1" "${CRI[@]}" version

# --- a pod with runtime_handler lockvm --------------------------------
mkdir -p "$C/pods"
run_capture "${CRI[@]}" runp "pod-$$" lockvm "$C/pods" "$C/pod.json"
POD=$out
if [ "$rc" -ne 0 ] || [ -z "$POD" ]; then
	fail "cri: RunPodSandbox with runtime_handler lockvm: $out"
	POD=""
	exit 0
fi
spid=$("$OCI" --root "$ST" state "$POD" 2>/dev/null | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(d["pid"] if d["status"] == "running" else "")' 2>/dev/null)
tr '\0' ' ' <"/proc/${spid:-0}/cmdline" 2>/dev/null | grep -q -- "--linux .*/pause" &&
	pass "cri: RunPodSandbox: the pod's sandbox runs its pause program in a lockvm VM" ||
	fail "cri: the sandbox: state pid '$spid' $(tr '\0' ' ' <"/proc/${spid:-0}/cmdline" 2>&1)"

# A job: its line reaches the CRI log, its status ContainerStatus.
run_capture "${CRI[@]}" create "$POD" "$C/pod.json" job localhost/lockvm-cri-job:1 job/0.log \
	/bin/sh -c "echo line-from-pod-$$; exit 3"
job=$out
[ "$rc" -eq 0 ] && [ -n "$job" ] && pass "cri: CreateContainer" || fail "cri: CreateContainer: $out"
expect "cri: StartContainer" 0 "" "${CRI[@]}" start "$job"
expect "cri: ContainerStatus: the job exited with status 3" 0 "CONTAINER_EXITED 3" \
	"${CRI[@]}" wait "$job" CONTAINER_EXITED 60
grep -q "stdout F line-from-pod-$$\$" "$C/pods/job/0.log" 2>/dev/null &&
	pass "cri: the job's line is in its CRI log" ||
	fail "cri: CRI log: $(tr '\n' '|' <"$C/pods/job/0.log" 2>&1)"
! grep -q "stderr" "$C/pods/job/0.log" 2>/dev/null &&
	pass "cri: the pod's IPC namespace (CRI names it in every container) leaves no line in the log" ||
	fail "cri: the log has stderr lines: $(grep stderr "$C/pods/job/0.log" | tr '\n' '|')"

# A service: confined like any VM, no NIC (a host-network pod), kubectl exec.
run_capture "${CRI[@]}" create "$POD" "$C/pod.json" svc localhost/lockvm-cri-job:1 svc/0.log sleep 300
svc=$out
"${CRI[@]}" start "$svc" >/dev/null 2>&1
expect "cri: the service container runs" 0 "CONTAINER_RUNNING" "${CRI[@]}" wait "$svc" CONTAINER_RUNNING 60
cpid=$("$OCI" --root "$ST" state "$svc" 2>/dev/null | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["pid"])' 2>/dev/null)
vmm=$(cat "/proc/${cpid:-0}/task/${cpid:-0}/children" 2>/dev/null | awk '{print $1}')
if confined "cri: the container's VMM is confined"; then
	[ "$(cat "/proc/${vmm:-0}/comm" 2>/dev/null)" = lockvm-vmm ] &&
		grep -q '^Seccomp:[[:space:]]*2' "/proc/$vmm/status" && grep -q '^CapEff:[[:space:]]*0*$' "/proc/$vmm/status" &&
		pass "cri: the pod's container's VMM is lockvm-vmm, Seccomp 2, no capabilities" ||
		fail "cri: pid $cpid vmm $vmm: $(grep -E 'Seccomp:|CapEff' "/proc/${vmm:-0}/status" 2>&1 | tr '\n' '|')"
fi
tr '\0' ' ' <"/proc/${cpid:-0}/cmdline" 2>/dev/null | grep -q -- "--linux" &&
	! tr '\0' ' ' <"/proc/$cpid/cmdline" | grep -q -- "--net" &&
	pass "cri: a host-network pod's container: its sandbox's network namespace (the host's) becomes no NIC" ||
	fail "cri: the container's lockvm run: $(tr '\0' ' ' <"/proc/${cpid:-0}/cmdline" 2>&1)"
expect "cri: ExecSync (kubectl exec): output and status come back" 4 "exec-$$" \
	"${CRI[@]}" exec "$svc" 60 sh -c "echo exec-$$; exit 4"

# --- a pod's namespace paths: only the running sandbox's are taken -------
BD=$T_TMP/bundle
mkdir -p "$BD"
hostile_pod() {
	local name=$1 want=$2 edit=$3 id=cri-hostile-$RANDOM
	rm -f "$BD/config.json"
	"$OCI" spec --bundle "$BD" >/dev/null &&
		"$PY" - "$BD/config.json" <<EOF
import json, sys
d = json.load(open(sys.argv[1]))
d["process"]["terminal"] = False
d["process"]["args"] = ["sh", "-c", "true"]
d["root"]["path"] = "$T_TMP/job"
$edit
json.dump(d, open(sys.argv[1], "w"))
EOF
	# Into a file: a create that wrongly succeeds leaves an init holding its stdout.
	timeout -k 5 60 "$OCI" --root "$ST" create --bundle "$BD" "$id" >"$T_TMP/hostile.out" 2>&1
	rc=$?
	out=$(cat "$T_TMP/hostile.out")
	if [ "$rc" -ne 0 ] && grep -qF -- "$want" <<<"$out" && [ "$(wc -l <<<"$out")" -eq 1 ] && [ ! -e "$ST/$id" ]; then
		pass "cri: refused at create, one line, nothing left: $name"
	else
		"$OCI" --root "$ST" delete --force "$id" >/dev/null 2>&1
		fail "cri: $name: rc=$rc out=$(tr '\n' '|' <<<"$out")"
	fi
}
hostile_pod "an ipc path that is not the pod's sandbox's" "is not the pod's sandbox's" \
	'd["annotations"] = {"io.kubernetes.cri.container-type": "container", "io.kubernetes.cri.sandbox-id": "'"$POD"'"}
d["linux"]["namespaces"] = [{"type": "ipc", "path": "/proc/1/ns/ipc"}]'
hostile_pod "a pod's network path naming another process than its sandbox" "is not the pod's sandbox's" \
	'd["annotations"] = {"io.kubernetes.cri.container-type": "container", "io.kubernetes.cri.sandbox-id": "'"$POD"'"}
d["linux"]["namespaces"] = [{"type": "network", "path": "/proc/1/ns/net"}]'
hostile_pod "a uts path outside a pod" "a VM cannot join a host namespace" \
	'd["linux"]["namespaces"] = [{"type": "uts", "path": "/proc/'"$spid"'/ns/uts"}]'
hostile_pod "the host's own network namespace" "is the host's network namespace" \
	'd["linux"]["namespaces"] = [{"type": "network", "path": "/proc/'"$$"'/ns/net"}]'

# --- a pod on the pod network (CNI) ------------------------------------
# The sandbox keeps CNI's namespace; the job's container, which CRI tells to
# join the sandbox pid's (a supervisor on the host's network), adopts the
# interface in CNI's namespace instead and fetches from the bridge's side.
run_capture "${CRI[@]}" runp "pod2-$$" lockvm "$C/pods" "$C/pod2.json" pod
POD2=$out
if [ "$rc" -ne 0 ] || [ -z "$POD2" ]; then
	fail "cri: RunPodSandbox on the pod network: $out"
	POD2=""
else
	mkdir -p "$C/www" && echo "bridge-side-$$" >"$C/www/f.txt"
	(cd "$C/www" && exec "$PY" -m http.server --bind "$SUB.1" 8080) >"$C/srv.log" 2>&1 &
	SRV=$!
	for _ in $(seq 100); do
		"$PY" -c "import socket; socket.create_connection(('$SUB.1', 8080), 1)" 2>/dev/null && break
		sleep 0.1
	done
	run_capture "${CRI[@]}" create "$POD2" "$C/pod2.json" net localhost/lockvm-cri-job:1 net/0.log \
		sh -c "wget -q -O - http://$SUB.1:8080/f.txt && hostname"
	net=$out
	"${CRI[@]}" start "$net" >/dev/null 2>&1
	pod_ns=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1])).get("pod_netns", ""))' "$ST/$POD2/state.json" 2>/dev/null)
	expect "cri: a pod on CNI's network: its container exits 0" 0 "CONTAINER_EXITED 0" \
		"${CRI[@]}" wait "$net" CONTAINER_EXITED 60
	grep -q "stdout F bridge-side-$$\$" "$C/pods/net/0.log" 2>/dev/null &&
		pass "cri: a pod on CNI's network: its VM adopted the pod's interface and fetched from the bridge's side" ||
		fail "cri: CNI pod: $(tr '\n' '|' <"$C/pods/net/0.log" 2>&1) $(tail -n 3 "$C/log" | tr '\n' '|')"
	grep -q "stdout F pod2-$$\$" "$C/pods/net/0.log" 2>/dev/null &&
		pass "cri: the pod's UTS namespace, named as its sandbox's: the container's hostname is the pod's" ||
		fail "cri: hostname in the CNI pod: $(tr '\n' '|' <"$C/pods/net/0.log" 2>&1)"
	kill "$SRV" 2>/dev/null
	SRV=""
	expect "cri: StopPodSandbox (CNI)" 0 "" "${CRI[@]}" stopp "$POD2"
	expect "cri: RemovePodSandbox (CNI)" 0 "" "${CRI[@]}" rmp "$POD2"
	[ -n "$pod_ns" ] && [ ! -e "$pod_ns" ] && [ ! -e "$ST/$POD2" ] && [ ! -e "$ST/${net:-none}" ] &&
		pass "cri: the CNI pod's namespace ($pod_ns, its sandbox's) and runtime state are gone with it" ||
		fail "cri: after the CNI pod: namespace '$pod_ns' $(ls -A "$ST" 2>&1 | tr '\n' ' ')"
	POD2=""
fi

# --- the pod goes, and everything of lockvm with it ----------------------
expect "cri: StopPodSandbox" 0 "" "${CRI[@]}" stopp "$POD"
expect "cri: RemovePodSandbox" 0 "" "${CRI[@]}" rmp "$POD"
pod=$POD POD=""
left=""
[ -n "$(ls -A "$ST" 2>/dev/null)" ] && left+=" runtime-state:$(ls "$ST" | tr '\n' ' ')"
"$LOCKVM" list 2>/dev/null | awk 'NR > 1' | grep -q . && left+=" vm:$("$LOCKVM" list | awk 'NR > 1 {print $1}')"
for p in "$spid" "$cpid" "$vmm"; do [ -n "$p" ] && [ -e "/proc/$p" ] && left+=" pid:$p"; done
for id in "$pod" "$job" "$svc"; do compgen -G "/sys/fs/cgroup/*/lockvm/$id" >/dev/null && left+=" cgroup:$id"; done
[ -z "$left" ] && pass "cri: after RemovePodSandbox no VM, process, cgroup or lockvm-oci state is left" ||
	fail "cri: left behind:$left"
