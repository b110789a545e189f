#!/usr/bin/env bash
# lockvm-oci: the OCI lifecycle as runc enforces it, hostile bundles, then real engines (podman, containerd).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib_containerd.sh"
if ! have_kvm; then skip "oci: /dev/kvm is not usable here"; exit 0; fi
OCI=$B/lockvm-oci
BUSYBOX=$(command -v busybox || true)
if [ -z "$BUSYBOX" ] || ! file -L "$BUSYBOX" | grep -q static; then
	skip "oci: no static busybox (make deps installs busybox-static)"; exit 0
fi
command -v python3 >/dev/null || { skip "oci: python3 is needed to write bundles"; exit 0; }
ST=$T_TMP/state # the runtime's --root
O=("$OCI" --root "$ST")

# A root file system: busybox and a few of its applets.
RFS=$T_TMP/rfs
mkdir -p "$RFS/bin" "$RFS/tmp" "$RFS/etc"
cp "$BUSYBOX" "$RFS/bin/busybox"
# sh is an absolute link, as in real images: found inside the root, never the host's.
ln -s /bin/busybox "$RFS/bin/sh"
for a in true echo sleep cat pwd hostname id wget httpd stty; do ln -s busybox "$RFS/bin/$a"; done
mkdir -p "$RFS/srv/work" "$RFS/srv/data" && echo image >"$RFS/srv/data/img-file"
ln -s /root "$RFS/out" # a workdir through it names a host directory: not in the VM's tree

# bundle DIR PYTHON: a bundle whose config.json is `spec`'s, with no
# terminal, then edited by the Python statements (d is the document).
bundle() {
	local dir=$1 edit=$2
	mkdir -p "$dir"
	ln -sfn "$RFS" "$dir/rootfs.link"
	cp -a "$RFS" "$dir/rootfs" 2>/dev/null || true
	rm -f "$dir/config.json"
	"$OCI" spec --bundle "$dir" || return 1
	python3 - "$dir/config.json" <<EOF
import json, sys
p = sys.argv[1]
d = json.load(open(p))
d["process"]["terminal"] = False
$edit
json.dump(d, open(p, "w"))
EOF
}

# left_behind NAME: what a refused create could have left (state, VM, cgroup).
left_behind() {
	local what=""
	[ -e "$ST/$1" ] && what+=" state-dir"
	"$LOCKVM" list 2>/dev/null | grep -qw -- "$1" && what+=" vm"
	compgen -G "/sys/fs/cgroup/*/lockvm/$1" >/dev/null && what+=" cgroup"
	echo "$what"
}

# --- the lifecycle, without an engine ---------------------------------
BD=$T_TMP/b1
bundle "$BD" 'd["process"]["args"] = ["sh", "-c", "echo hi; exit 3"]
d["process"]["apparmorProfile"] = "containers-default-0.50"
d["annotations"] = {"io.lockvm.record": "'"$T_TMP"'/oci-record.json"}'
expect "oci: spec refuses to overwrite config.json" 1 "exists" "$OCI" spec --bundle "$BD"
id=oci-run-$$
run_capture "${O[@]}" run --bundle "$BD" "$id"
[ "$rc" -eq 3 ] && grep -qx hi <<<"$out" && [ -z "$(left_behind "$id")" ] &&
	pass "oci: run prints hi, exits 3, leaves nothing" ||
	fail "oci: run: rc=$rc out=$(tr '\n' '|' <<<"$out") left:$(left_behind "$id")"
[ "$(grep -c "process.apparmorProfile containers-default-0.50: AppArmor is not enabled on this host, so the profile cannot be applied" <<<"$out")" = 1 ] &&
	pass "oci: the engine's process.apparmorProfile is taken; without AppArmor, said in one warning line" ||
	fail "oci: apparmorProfile: $(tr '\n' '|' <<<"$out")"
# An engine's own SELinux domain (podman, Kubernetes: container_t at the
# container's level): the VM runs in lockvm's VM domain at that level.
BD8=$T_TMP/b8
bundle "$BD8" 'd["process"]["args"] = ["sh", "-c", "echo hi"]
d["process"]["selinuxLabel"] = "system_u:system_r:container_t:s0:c3,c4"'
run_capture "${O[@]}" run --bundle "$BD8" "oci-sel-$$"
[ "$rc" -eq 0 ] && grep -qx hi <<<"$out" &&
	grep -q "process.selinuxLabel system_u:system_r:container_t:s0:c3,c4: the VM runs as system_u:system_r:lockvm_vm_t:s0:c3,c4 (lockvm's VM domain at the engine's level)" <<<"$out" &&
	pass "oci: an engine's selinuxLabel of its own domain: the VM runs as lockvm_vm_t at its level, said in one line" ||
	fail "oci: selinuxLabel container_t: rc=$rc $(tr '\n' '|' <<<"$out")"
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); p = d["processes"][0]
sys.exit(not (d["complete"] and p["argv"] == ["sh", "-c", "echo hi; exit 3"] and p["exit_status"] == 3))' \
	"$T_TMP/oci-record.json" 2>/dev/null && pass "oci: io.lockvm.record is the VM's --record (the job's argv and exit 3)" ||
	fail "oci: io.lockvm.record: $(head -c 300 "$T_TMP/oci-record.json" 2>&1)"

BD2=$T_TMP/b2
# Every hook kind, each noting its name in hooks.order; the engine's
# sVirt label and resources, which become the VM's (lockvm inspect).
bundle "$BD2" 'd["process"]["args"] = ["sleep", "300"]
def hook(kind, extra=""):
    return [{"path": "/bin/sh", "args": ["sh", "-c", extra + "echo " + kind + " >> '"$T_TMP"'/hooks.order"]}]
d["hooks"] = {"prestart": hook("prestart", "cat > '"$T_TMP"'/prestart.json; "),
              "createRuntime": hook("createRuntime"), "createContainer": hook("createContainer"),
              "startContainer": hook("startContainer"), "poststart": hook("poststart"),
              "poststop": hook("poststop", "cat > '"$T_TMP"'/poststop.json; ")}
d["process"]["selinuxLabel"] = "system_u:system_r:lockvm_vm_t:s0:c7,c9"
d["linux"]["resources"] = {"memory": {"limit": 512 << 20}, "cpu": {"quota": 50000, "period": 100000, "shares": 512}, "pids": {"limit": 77}}
d["annotations"] = {"io.lockvm.mem": "128M", "io.lockvm.seccomp": "trap", "io.lockvm.vcpus": "1", "org.example/k": "v"}'
id=oci-life-$$
expect "oci: start before create is refused" 1 "container does not exist" "${O[@]}" start "$id"
# The init keeps create's stdio (as runc's does): not a pipe the test waits on.
"${O[@]}" --log "$T_TMP/log.json" --log-format json create --bundle "$BD2" --pid-file "$T_TMP/pid" \
	"$id" </dev/null >"$T_TMP/create.out" 2>&1 && pass "oci: create" || fail "oci: create: $(cat "$T_TMP/create.out")"
run_capture "${O[@]}" state "$id"
pid=$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["status"], d["pid"], d["bundle"], d["id"])' <<<"$out" 2>/dev/null)
[ "$pid" = "created $(cat "$T_TMP/pid" 2>/dev/null) $BD2 $id" ] &&
	pass "oci: state after create: created, the pid-file's pid, the bundle" || fail "oci: state: $out"
grep -q "\"id\": *\"$id\"" "$T_TMP/prestart.json" 2>/dev/null &&
	grep -q "\"pid\": *$(cat "$T_TMP/pid" 2>/dev/null)[,}]" "$T_TMP/prestart.json" &&
	pass "oci: prestart hook ran with the state (id, the init's pid) on stdin" ||
	fail "oci: prestart hook: $(cat "$T_TMP/prestart.json" 2>&1)"
expect "oci: a second create with one id is refused" 1 "container with id exists: $id" \
	"${O[@]}" create --bundle "$BD2" "$id"
expect "oci: list shows it" 0 "$id" "${O[@]}" list
expect "oci: --debug and --systemd-cgroup are accepted" 0 "$id" "$OCI" --debug --systemd-cgroup --root "$ST" list -q
[ "$(tr '\n' ' ' <"$T_TMP/hooks.order" 2>/dev/null)" = "prestart createRuntime createContainer " ] &&
	pass "oci: create ran prestart, createRuntime, createContainer, in order, and no start hook" ||
	fail "oci: hooks after create: $(tr '\n' ' ' <"$T_TMP/hooks.order" 2>&1)"
expect "oci: exec in a created container is refused" 1 "cannot exec in a created container" \
	"${O[@]}" exec "$id" sh
"${O[@]}" start "$id" >"$T_TMP/start.out" 2>&1 && pass "oci: start" || fail "oci: start: $(cat "$T_TMP/start.out")"
expect "oci: state is running" 0 '"status": "running"' "${O[@]}" state "$id"
# exec: a new process in the container's VM, runc's grammar and exit status.
expect "oci: exec: output and exit status come back" 6 "oci-exec-$$" \
	"${O[@]}" exec "$id" sh -c "echo oci-exec-$$; exit 6"
expect "oci: exec --env --cwd" 0 "/srv/work:v-$$" "${O[@]}" exec --env "K=v-$$" --cwd /srv/work "$id" \
	sh -c 'echo $(pwd):$K'
echo '{"terminal": false, "user": {"uid": 1000, "gid": 7, "additionalGids": [9]}, "args": ["id"],
 "env": ["PATH=/bin"], "cwd": "/", "noNewPrivileges": true,
 "capabilities": {"bounding": ["CAP_CHOWN"], "effective": ["CAP_CHOWN"]}}' >"$T_TMP/process.json"
expect "oci: exec --process FILE: its args and user" 0 "uid=1000 gid=7 groups=9" \
	"${O[@]}" exec --process "$T_TMP/process.json" "$id"
echo '{"args": ["id"], "cwd": "/", "bogus": 1}' >"$T_TMP/process-bad.json"
expect "oci: exec --process with an unknown field is refused" 1 "bogus" \
	"${O[@]}" exec --process "$T_TMP/process-bad.json" "$id"
rm -f "$T_TMP/exec.pid"
"${O[@]}" exec -d --pid-file "$T_TMP/exec.pid" "$id" sh -c "echo detached-$$ > /tmp/d" >/dev/null 2>&1
epid=$(cat "$T_TMP/exec.pid" 2>/dev/null)
for _ in $(seq 1 100); do [ -n "$epid" ] && kill -0 "$epid" 2>/dev/null || break; sleep 0.05; done
expect "oci: exec -d --pid-file: the detached process ran in the VM" 0 "detached-$$" \
	"${O[@]}" exec "$id" cat /tmp/d
expect "oci: exec --tty without --console-socket is refused" 1 "--console-socket is needed" \
	"${O[@]}" exec --tty "$id" sh
expect "oci: exec --process-label is refused" 1 "the VM has one label" \
	"${O[@]}" exec --process-label system_u:system_r:spc_t:s0 "$id" id
expect "oci: exec of an unknown container" 1 "container does not exist" "${O[@]}" exec "none-$$" id
# The VM's record gains its cgroup once the supervisor has made it.
for _ in $(seq 1 100); do
	run_capture "$LOCKVM" inspect "$id"
	grep -q "^cgroup.path  *[^ ]" <<<"$out" && break
	sleep 0.05
done
grep -qx "label  *system_u:system_r:lockvm_vm_t:s0:c7,c9" <<<"$out" &&
	pass "oci: process.selinuxLabel is the VM's label" || fail "oci: label: $(grep label <<<"$out" | tr '\n' '|')"
grep -qx "cgroup.memory.limit_in_bytes 536870912" <<<"$out" && grep -qx "cgroup.cpu.cfs_quota_us 50000" <<<"$out" &&
	grep -qx "cgroup.cpu.shares  *512" <<<"$out" &&
	pass "oci: linux.resources memory.limit, cpu.quota and cpu.shares are the VM's cgroup's" ||
	fail "oci: resources: $(grep cgroup <<<"$out" | tr '\n' '|')"
grep -qx "mem  *134217728" <<<"$out" && grep -qx "seccomp_mode  *trap" <<<"$out" &&
	pass "oci: annotations io.lockvm.mem and io.lockvm.seccomp are the VM's --mem and --seccomp" ||
	fail "oci: io.lockvm annotations: $(grep -E '^(mem|seccomp_mode) ' <<<"$out" | tr '\n' '|')"
# (vcpus 1: this container runs many processes; --vcpus above 1 is not yet default, see README)
tr '\0' ' ' <"/proc/$(cat "$T_TMP/pid")/cmdline" | grep -q -- " --vcpus 1 " &&
	tr '\0' ' ' <"/proc/$(cat "$T_TMP/pid")/cmdline" | grep -q -- " --pids 77 " &&
	pass "oci: io.lockvm.vcpus is the VM's --vcpus, linux.resources.pids.limit its --pids" ||
	fail "oci: vcpus/pids: $(grep -E '^vcpus ' <<<"$out") cmdline: $(tr '\0' ' ' <"/proc/$(cat "$T_TMP/pid")/cmdline" 2>&1)"
expect "oci: state shows the engine's annotations" 0 '"org.example/k": "v"' "${O[@]}" state "$id"
expect "oci: start of a running container is refused" 1 "cannot start an already running container" "${O[@]}" start "$id"
expect "oci: delete of a running container without --force is refused" 1 \
	"cannot delete container $id that is not stopped: running" "${O[@]}" delete "$id"
spid=$(cat "$T_TMP/pid")
vmm=$(cat "/proc/$spid/task/$spid/children" 2>/dev/null | awk '{print $1}')
if confined "oci: the container's VMM is confined"; then
	[ "$(cat "/proc/$spid/comm" 2>/dev/null)" = lockvm ] && [ "$(cat "/proc/$vmm/comm" 2>/dev/null)" = lockvm-vmm ] &&
		grep -q '^Seccomp:[[:space:]]*2' "/proc/$vmm/status" && grep -q '^CapEff:[[:space:]]*0*$' "/proc/$vmm/status" &&
		pass "oci: the container's pid is the supervisor; its VMM is lockvm-vmm, Seccomp 2, no capabilities" ||
		fail "oci: pid $spid ($(cat "/proc/$spid/comm" 2>&1)), vmm $vmm: $(grep -E 'Seccomp:|CapEff' "/proc/$vmm/status" 2>&1 | tr '\n' '|')"
fi
expect "oci: ps --format json lists the supervisor and its VMM" 0 "[$spid,$vmm]" "${O[@]}" ps --format json "$id"
sort "$T_TMP/hooks.order" 2>/dev/null | tr '\n' ' ' | grep -qx "createContainer createRuntime poststart prestart startContainer " &&
	pass "oci: start ran startContainer and poststart" || fail "oci: hooks after start: $(tr '\n' ' ' <"$T_TMP/hooks.order" 2>&1)"
expect "oci: kill --all TERM" 0 "" "${O[@]}" kill --all "$id" TERM
for _ in $(seq 1 100); do "${O[@]}" state "$id" 2>/dev/null | grep -q '"stopped"' && break; sleep 0.05; done
expect "oci: the VM ended on SIGTERM: stopped" 0 '"status": "stopped"' "${O[@]}" state "$id"
expect "oci: kill of a stopped container is refused" 1 "container not running" "${O[@]}" kill "$id" KILL
expect "oci: delete of a stopped container" 0 "" "${O[@]}" delete "$id"
grep -q "\"status\": *\"stopped\"" "$T_TMP/poststop.json" 2>/dev/null && [ "$(tail -n 1 "$T_TMP/hooks.order")" = poststop ] &&
	pass "oci: poststop hook ran at delete, last" || fail "oci: poststop hook: $(cat "$T_TMP/poststop.json" 2>&1)"
expect "oci: state after delete: no such container" 1 "container does not exist" "${O[@]}" state "$id"
grep -q '"level":"error","msg":"container does not exist"' "$T_TMP/log.json" 2>/dev/null ||
	"${O[@]}" --log "$T_TMP/log.json" --log-format json state "$id" 2>/dev/null
grep -q '"level":"error","msg":"container does not exist"' "$T_TMP/log.json" &&
	pass "oci: --log-format json writes logrus-style error lines" || fail "oci: log.json: $(tail -n 2 "$T_TMP/log.json")"
expect "oci: delete --force of an unknown id is not an error" 0 "" "${O[@]}" delete --force "$id"
expect "oci: features names the spec versions" 0 '"ociVersionMax": "1.1.0"' "${O[@]}" features
expect "oci: --version" 0 "lockvm-oci version" "$OCI" --version

# --- hostile bundles: one line, exit 1, nothing left --------------------
hostile() { # NAME PATTERN PYTHON [SETUP]
	local name=$1 pattern=$2 edit=$3 setup=${4:-} dir=$T_TMP/h-$RANDOM id=oci-h-$RANDOM-$$
	bundle "$dir" "$edit" || { fail "oci: hostile $name: could not write the bundle"; return; }
	[ -n "$setup" ] && (cd "$dir" && eval "$setup")
	# To a file, not a pipe: a wrongly accepted bundle's init would hold a pipe open.
	timeout -k 5 60 "${O[@]}" create --bundle "$dir" "$id" </dev/null >"$dir.out" 2>&1
	rc=$?
	out=$(cat "$dir.out")
	local left; left=$(left_behind "$id")
	"${O[@]}" delete --force "$id" >/dev/null 2>&1
	if [ "$rc" -eq 1 ] && grep -qF -- "$pattern" <<<"$out" && [ "$(wc -l <<<"$out")" -eq 1 ] && [ -z "$left" ]; then
		pass "oci: hostile bundle refused, nothing left: $name"
	else
		fail "oci: hostile $name: rc=$rc out=$(tr '\n' '|' <<<"$out") left:$left"
	fi
}
hostile "config.json that does not parse" "does not parse as JSON" "" "echo '{\"ociVersion\": ' > config.json"
hostile "root.path leaving the bundle through a symlink" "leads out of the bundle" \
	'd["root"]["path"] = "escape"' "ln -s /tmp escape"
hostile "root.path through a symlink inside to the outside" "leads out of the bundle" \
	'd["root"]["path"] = "rootfs.link"'
hostile "root.path the host's own root" "the host's own root" 'd["root"]["path"] = "/"'
hostile "memory limit of 1 byte" "linux.resources.memory.limit" 'd["linux"]["resources"] = {"memory": {"limit": 1}}'
hostile "memory limit of 2^62 bytes" "linux.resources.memory.limit" 'd["linux"]["resources"] = {"memory": {"limit": 2**62}}'
hostile "CPU quota of 10^15 us" "linux.resources.cpu.quota" 'd["linux"]["resources"] = {"cpu": {"quota": 10**15, "period": 100000}}'
hostile "bind mount of the host's /" "the host's root, /proc, /sys and /dev" \
	'd["mounts"].append({"destination": "/host", "type": "bind", "source": "/", "options": ["rbind"]})'
hostile "bind mount of the host's /proc" "the host's root, /proc, /sys and /dev" \
	'd["mounts"].append({"destination": "/etc/hosts", "type": "bind", "source": "/proc/1/root/etc/hosts", "options": ["bind"]})'
hostile "an unknown field" "process.smuggled: unknown field" 'd["process"]["smuggled"] = 1'
hostile "an apparmorProfile that stacks another" "process.apparmorProfile: AppArmor profile name 'x...': byte 1 (0x2f)" \
	'd["process"]["apparmorProfile"] = "x//&unconfined"'
hostile "an unknown top-level field" "config.extra: unknown field" 'd["extra"] = {}'
hostile "a uid that is not a number" "process.user.uid: want an integer" 'd["process"]["user"]["uid"] = "root"'
hostile "a uid of 2^32-1" "process.user.uid: 4294967295 is out of range" 'd["process"]["user"]["uid"] = 2**32 - 1'
hostile "a hostname of 65 bytes" "hostname: 65 bytes" 'd["hostname"] = "h" * 65'
hostile "an rlimit soft above hard" "process.rlimits[0]: soft above hard" \
	'd["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 10, "hard": 5}]'
hostile "a relative cwd" "process.cwd: want an absolute path" 'd["process"]["cwd"] = "tmp"'
hostile "a host pid namespace" "a VM cannot join a host namespace" \
	'd["linux"]["namespaces"] = [{"type": "pid", "path": "/proc/1/ns/pid"}]'
hostile "a relative network namespace path" "(network).path: want an absolute path" \
	'd["linux"]["namespaces"] = [{"type": "network", "path": "ns"}]'
hostile "a program that is not in the root" "no such executable" 'd["process"]["args"] = ["/nonexistent"]'
hostile "a wrong type" "process.args: want an array" 'd["process"]["args"] = "sh"'
hostile "a tmpfs of 1 byte" "want a size of 4K to 1T" \
	'd["mounts"].append({"destination": "/srv/data", "type": "tmpfs", "source": "tmpfs", "options": ["size=1"]})'
hostile "io.lockvm.vcpus of 9" "want a number from 1 to 8" 'd["annotations"] = {"io.lockvm.vcpus": "9"}'
hostile "a relative io.lockvm.record" "io.lockvm.record: want an absolute host path" \
	'd["annotations"] = {"io.lockvm.record": "rec.json"}'
hostile "a pids limit above lockvm's" "at most 32768" 'd["linux"]["resources"] = {"pids": {"limit": 40000}}'
hostile "a prestart hook that fails" "prestart: hook /bin/false: exited 1" \
	'd["hooks"] = {"prestart": [{"path": "/bin/false"}]}'

# --- the program's view of itself: cwd, hostname, user, rlimits ---------
BD3=$T_TMP/b3
bundle "$BD3" 'd["process"]["args"] = ["sh", "-c", "pwd; ulimit -n; ulimit -Hn"]
d["process"]["cwd"] = "/srv/work"
d["hostname"] = "oci-h1"
d["process"]["user"] = {"uid": 1000, "gid": 1001, "additionalGids": [7, 8]}
d["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 40, "hard": 50},
                           {"type": "RLIMIT_NPROC", "soft": 2**64 - 1, "hard": 2**64 - 1}]'
run_capture "${O[@]}" run --bundle "$BD3" "oci-ident-$$"
[ "$rc" -eq 0 ] && [ "$(tr '\n' ' ' <<<"$out")" = "/srv/work 40 50 " ] &&
	pass "oci: process.cwd and process.rlimits reach the VM (pwd, ulimit -n, ulimit -Hn)" ||
	fail "oci: cwd/rlimits: rc=$rc out=$(tr '\n' '|' <<<"$out")"
python3 - "$BD3/config.json" <<'EOF2'
import json, sys
d = json.load(open(sys.argv[1]))
d["process"]["args"] = ["id"]
json.dump(d, open(sys.argv[1], "w"))
EOF2
expect "oci: process.user with additionalGids is what id says" 0 "uid=1000 gid=1001 groups=7,8" \
	"${O[@]}" run --bundle "$BD3" "oci-ident2-$$"
sed -i 's/"args": \["id"\]/"args": ["hostname"]/' "$BD3/config.json"
expect "oci: hostname is what the VM's uname says" 0 "oci-h1" "${O[@]}" run --bundle "$BD3" "oci-ident3-$$"
sed -i 's|"cwd": "/srv/work"|"cwd": "/out"|' "$BD3/config.json"
run_capture "${O[@]}" run --bundle "$BD3" "oci-ident4-$$"
[ "$rc" -eq 125 ] && grep -qF -- "--workdir /out: No such file or directory in the VM's tree" <<<"$out" &&
	[ "$(wc -l <<<"$out")" -eq 1 ] && [ -z "$(left_behind "oci-ident4-$$")" ] &&
	pass "oci: a cwd through a link to a host directory: 125, one line, nothing left" ||
	fail "oci: cwd out of the tree: rc=$rc out=$(tr '\n' '|' <<<"$out") left:$(left_behind "oci-ident4-$$")"

# --- the image's root: never written; root.readonly makes it read-only ---
BD6=$T_TMP/b6
bundle "$BD6" 'd["process"]["args"] = ["sh", "-c", "echo cow-'"$$"' >/etc/cow && cat /etc/cow && echo more >>/bin/true && echo changed"]
d["root"]["readonly"] = False'
run_capture "${O[@]}" run --bundle "$BD6" "oci-cow-$$"
[ "$rc" -eq 0 ] && [ "$(tr '\n' ' ' <<<"$out")" = "cow-$$ changed " ] && [ ! -e "$BD6/rootfs/etc/cow" ] &&
	cmp -s "$BD6/rootfs/bin/busybox" "$BUSYBOX" &&
	pass "oci: the VM writes its root in a copy-on-write layer; the bundle's rootfs is untouched" ||
	fail "oci: copy-on-write root: rc=$rc out=$(tr '\n' '|' <<<"$out") $(ls "$BD6/rootfs/etc")"
python3 - "$BD6/config.json" <<'EOF2'
import json, sys
d = json.load(open(sys.argv[1]))
d["root"]["readonly"] = True
d["process"]["args"] = ["sh", "-c", "(echo x >/etc/ro) 2>/dev/null || echo ro-root; cat /etc/ro 2>/dev/null; echo t >/tmp/t && cat /tmp/t"]
json.dump(d, open(sys.argv[1], "w"))
EOF2
run_capture "${O[@]}" run --bundle "$BD6" "oci-ro-$$"
[ "$rc" -eq 0 ] && [ "$(tr '\n' ' ' <<<"$out")" = "ro-root t " ] &&
	pass "oci: root.readonly: writes to / fail, /tmp is still writable" ||
	fail "oci: root.readonly: rc=$rc out=$(tr '\n' '|' <<<"$out")"
python3 - "$BD6/config.json" <<'EOF2'
import json, sys
d = json.load(open(sys.argv[1]))
d["mounts"].append({"destination": "/srv/data", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "size=1m"]})
d["process"]["args"] = ["sh", "-c", "ls /srv/data; echo w >/srv/data/w && cat /srv/data/w; df -k /srv/data | tail -n 1"]
json.dump(d, open(sys.argv[1], "w"))
EOF2
run_capture "${O[@]}" run --bundle "$BD6" "oci-tmpfs-$$"
[ "$rc" -eq 0 ] && [ "$(head -n 1 <<<"$out")" = w ] && awk 'NR == 2 {exit !($2 == 1024)}' <<<"$out" &&
	pass "oci: a tmpfs mount is the VM's own tmpfs: empty, writable under a read-only root, its size=" ||
	fail "oci: tmpfs mount: rc=$rc out=$(tr '\n' '|' <<<"$out")"

# --- bind mounts of directories become volumes (lockvm run --volume) ----
mkdir -p "$T_TMP/vol-rw" "$T_TMP/vol-ro" && echo in >"$T_TMP/vol-rw/in" && echo kept >"$T_TMP/vol-ro/f"
BD5=$T_TMP/b5
bundle "$BD5" 'd["process"]["args"] = ["sh", "-c", "cat /data/in; echo out >/data/out; (echo x >/ro/f) 2>/dev/null || echo ro-refused"]
d["mounts"].append({"destination": "/data", "type": "bind", "source": "'"$T_TMP/vol-rw"'", "options": ["rbind", "rprivate"]})
d["mounts"].append({"destination": "/ro", "type": "bind", "source": "'"$T_TMP/vol-ro"'", "options": ["rbind", "ro"]})'
run_capture "${O[@]}" run --bundle "$BD5" "oci-vol-$$"
[ "$rc" -eq 0 ] && grep -qx in <<<"$out" && grep -qx ro-refused <<<"$out" &&
	[ "$(cat "$T_TMP/vol-rw/out" 2>/dev/null)" = out ] && [ "$(cat "$T_TMP/vol-ro/f")" = kept ] &&
	pass "oci: bind mounts are volumes: read and written in place, ro refused" ||
	fail "oci: bind mounts as volumes: rc=$rc out=$(tr '\n' '|' <<<"$out")"

# --- podman ------------------------------------------------------------
podman_tests() {
	local P=$T_TMP/podman
	mkdir -p "$P"
	# Private storage (vfs: no mounts to undo), run and tmp dirs, runtime state.
	local PM=(podman --root "$P/root" --runroot "$P/runroot" --tmpdir "$P/tmp" --storage-driver vfs
		--cgroup-manager cgroupfs --events-backend none --runtime "$OCI")
	local U=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --network none)
	tar -C "$RFS" -cf "$P/rfs.tar" . && "${PM[@]}" import -q "$P/rfs.tar" localhost/lockvm-oci-test:1 >/dev/null 2>"$P/err" ||
		{ fail "podman: import of the busybox tar: $(tail -n 2 "$P/err")"; return; }
	expect "podman: run --rm sh -c 'echo hi; exit 3' prints hi, exits 3" 3 "hi" \
		"${PM[@]}" run --rm "${U[@]}" localhost/lockvm-oci-test:1 /bin/sh -c 'echo hi; exit 3'
	expect "podman: -e reaches the program" 0 "bar-$$" \
		"${PM[@]}" run --rm "${U[@]}" -e FOO="bar-$$" localhost/lockvm-oci-test:1 sh -c 'echo $FOO'
	# process.terminal: the engine's console socket gets the pty, which is the VM's stdio.
	expect "podman: run -t: the program's stdin and stdout are a terminal, 24x80" 0 "tty-yes 24 80" \
		"${PM[@]}" run --rm -t "${U[@]}" localhost/lockvm-oci-test:1 sh -c '[ -t 0 ] && [ -t 1 ] && echo tty-yes $(stty size)' </dev/null
	expect "podman: run without -t: no terminal" 0 "no-tty" \
		"${PM[@]}" run --rm "${U[@]}" localhost/lockvm-oci-test:1 sh -c '[ -t 1 ] && echo tty || echo no-tty' </dev/null
	mkdir -p "$P/vol" && echo "in-$$" >"$P/vol/in"
	expect "podman: -v HOSTDIR:/work:Z reads the host's file" 0 "in-$$" \
		"${PM[@]}" run --rm "${U[@]}" -v "$P/vol:/work:Z" localhost/lockvm-oci-test:1 \
		sh -c "cat /work/in; echo back-$$ >/work/out"
	[ "$(cat "$P/vol/out" 2>/dev/null)" = "back-$$" ] && pass "podman: -v: the file the job wrote comes back" ||
		fail "podman: -v: $P/vol holds $(ls "$P/vol" | tr '\n' ' ')"
	local name=lockvm-oci-$$
	run_capture "${PM[@]}" run -d --name "$name" "${U[@]}" localhost/lockvm-oci-test:1 sleep 300
	[ "$rc" -eq 0 ] && pass "podman: run -d" || fail "podman: run -d: $out"
	local ids="$out"
	expect "podman: ps shows it up" 0 "$name Up" "${PM[@]}" ps --format '{{.Names}} {{.Status}}'
	expect "podman: exec: output and exit status come back" 5 "podman-exec-$$" \
		"${PM[@]}" exec "$name" sh -c "echo podman-exec-$$; exit 5"
	expect "podman: exec --user -w" 0 "uid=1000 gid=0 /srv/work" \
		"${PM[@]}" exec --user 1000 -w /srv/work "$name" sh -c 'echo $(id) $(pwd)'
	out=$(echo "piped-$$" | timeout 60 "${PM[@]}" exec -i "$name" cat 2>&1)
	[ "$out" = "piped-$$" ] && pass "podman: exec -i: stdin passes through" || fail "podman: exec -i: '$out'"
	local spid vmm
	spid=$("${PM[@]}" inspect -f '{{.State.Pid}}' "$name" 2>/dev/null)
	vmm=$(cat "/proc/$spid/task/$spid/children" 2>/dev/null | awk '{print $1}')
	if confined "podman: the container's VMM is confined"; then
		[ "$(cat "/proc/$vmm/comm" 2>/dev/null)" = lockvm-vmm ] &&
			grep -q '^Seccomp:[[:space:]]*2' "/proc/$vmm/status" && grep -q '^CapEff:[[:space:]]*0*$' "/proc/$vmm/status" &&
			pass "podman: the container's VMM is lockvm-vmm, Seccomp 2, no capabilities" ||
			fail "podman: pid $spid vmm $vmm: $(grep -E 'Seccomp:|CapEff' "/proc/$vmm/status" 2>&1 | tr '\n' '|')"
	fi
	tr '\0' ' ' <"/proc/$spid/cmdline" 2>/dev/null | grep -q -- "--linux" &&
		! tr '\0' ' ' <"/proc/$spid/cmdline" | grep -q -- "--net" &&
		pass "podman: --network none gives the VM no NIC (no --net)" ||
		fail "podman: --network none: $(tr '\0' ' ' <"/proc/$spid/cmdline" 2>&1)"
	expect "podman: stop" 0 "$name" "${PM[@]}" stop -t 5 "$name"
	expect "podman: the VM ended on SIGTERM (143)" 0 "143" "${PM[@]}" inspect -f '{{.State.ExitCode}}' "$name"
	expect "podman: rm" 0 "$name" "${PM[@]}" rm "$name"
	run_capture "${PM[@]}" run -d --name "$name-log" "${U[@]}" localhost/lockvm-oci-test:1 sh -c "echo logged-$$"
	ids+=" $out"
	"${PM[@]}" wait "$name-log" >/dev/null 2>&1
	expect "podman: logs of a detached container" 0 "logged-$$" "${PM[@]}" logs "$name-log"
	"${PM[@]}" rm -f "$name-log" >/dev/null 2>&1
	# The default network (netavark here): the VM's tap is made, attached, in the container's namespace.
	run_capture "${PM[@]}" run -d --name "$name-net" --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
		localhost/lockvm-oci-test:1 sleep 300
	ids+=" $out"
	local key taps=""
	key=$("${PM[@]}" inspect -f '{{.NetworkSettings.SandboxKey}}' "$name-net" 2>/dev/null)
	for _ in $(seq 1 100); do
		taps=$(nsenter --net="$key" ip -o link show 2>/dev/null | grep -F " lv-" | grep -F LOWER_UP)
		[ -n "$taps" ] && break
		sleep 0.05
	done
	local tap
	tap=$(awk -F': ' '{print $2}' <<<"$taps" | head -n 1)
	[ -n "$key" ] && [ -n "$tap" ] && ! ip -o link show | grep -qF -- " $tap:" &&
		pass "podman: the default network: the VM's tap $tap is in the container's namespace, not the host's" ||
		fail "podman: network namespace '$key': $(nsenter --net="$key" ip -o link show 2>&1 | tr '\n' '|')"
	tr '\0' ' ' <"/proc/$("${PM[@]}" inspect -f '{{.State.Pid}}' "$name-net" 2>/dev/null)/cmdline" 2>/dev/null |
		grep -qF -- "--net netns=$key,adopt" &&
		pass "podman: the default network: the VM adopts the container's interface (--net netns=PATH,adopt)" ||
		fail "podman: no adopt on the supervisor's command line"
	# The engine's network reaches the VM: a server on the host side, at the
	# network's gateway (the bridge, up while $name-net runs), is fetched from
	# a container; its name server is the engine's resolv.conf's.
	local gw srv_pid port=$((20000 + $$ % 10000)) ns_want
	gw=$("${PM[@]}" network inspect podman -f '{{range .Subnets}}{{.Gateway}}{{end}}' 2>/dev/null)
	mkdir -p "$P/www" && echo "host-side-$$" >"$P/www/f.txt"
	(cd "$P/www" && exec python3 -m http.server --bind "$gw" "$port") >"$P/srv.log" 2>&1 &
	srv_pid=$!
	for _ in $(seq 50); do
		python3 -c "import socket; socket.create_connection(('$gw', $port), 1)" 2>/dev/null && break
		sleep 0.1
	done
	expect "podman: the default network: a container fetches from a server on the host side" 0 "host-side-$$" \
		timeout 120 "${PM[@]}" run --rm --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
		localhost/lockvm-oci-test:1 wget -q -O - "http://$gw:$port/f.txt"
	expect "podman: exec into the adopting container reaches the host side too" 0 "host-side-$$" \
		timeout 120 "${PM[@]}" exec "$name-net" wget -q -O - "http://$gw:$port/f.txt"
	kill "$srv_pid" 2>/dev/null
	# Container to container on the bridge: busybox httpd in one serves a
	# file it wrote to its copy-on-write root; another fetches it by the
	# first's address. Each wget is its container's only process (sh execs it).
	run_capture "${PM[@]}" run -d --name "$name-srv" --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
		localhost/lockvm-oci-test:1 sh -c "echo served-$$ >/srv/work/f.txt && exec httpd -f -p 8080 -h /srv/work"
	ids+=" $out"
	local ip_srv
	ip_srv=$("${PM[@]}" inspect -f '{{.NetworkSettings.IPAddress}}' "$name-srv" 2>/dev/null)
	for _ in $(seq 100); do # ready once it accepts (a bounded wait, not a sleep)
		python3 -c "import socket; socket.create_connection(('$ip_srv', 8080), 1)" 2>/dev/null && break
		sleep 0.1
	done
	expect "podman: the default network: a container fetches from busybox httpd in another, by its address" 0 \
		"served-$$" timeout 120 "${PM[@]}" run --rm --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
		localhost/lockvm-oci-test:1 wget -q -O - "http://$ip_srv:8080/f.txt"
	# ICMP: the VM's own stack (lwIP) answers echo requests at the container's address.
	expect "podman: the default network: the container's address answers ping" 0 " 0% packet loss" \
		ping -c 2 -W 10 "$ip_srv"
	"${PM[@]}" rm -f -t 5 "$name-srv" >/dev/null 2>&1
	ns_want=$(awk '$1 == "nameserver" && $2 ~ /^[0-9.]+$/ && $2 !~ /^127\./ {print $2; exit}' \
		"$("${PM[@]}" inspect -f '{{.ResolvConfPath}}' "$name-net" 2>/dev/null)" 2>/dev/null)
	if [ -n "$ns_want" ]; then
		expect "podman: the VM's resolv.conf names the engine's name server" 0 "nameserver $ns_want" \
			timeout 120 "${PM[@]}" run --rm --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
			localhost/lockvm-oci-test:1 cat /etc/resolv.conf
	else
		skip "podman: the engine's resolv.conf names no IPv4 name server"
	fi
	"${PM[@]}" rm -f -t 5 "$name-net" >/dev/null 2>&1
	[ -n "$tap" ] && ! ip -o link show | grep -qF -- " $tap:" && { [ ! -e "$key" ] ||
		! nsenter --net="$key" ip -o link show 2>/dev/null | grep -qF -- " $tap:"; } &&
		pass "podman: the tap is gone with the container" || fail "podman: tap '$tap' left ($key)"
	expect "podman: -w reaches the program" 0 "/srv/work" \
		"${PM[@]}" run --rm "${U[@]}" -w /srv/work localhost/lockvm-oci-test:1 pwd
	expect "podman: --hostname is what uname says in the VM" 0 "h1-$$" \
		"${PM[@]}" run --rm "${U[@]}" --hostname "h1-$$" localhost/lockvm-oci-test:1 hostname
	expect "podman: --user is the VM's view" 0 "uid=1000 gid=1000" \
		"${PM[@]}" run --rm "${U[@]}" --user 1000:1000 localhost/lockvm-oci-test:1 id
	expect "podman: --ulimit nofile reaches ulimit -n" 0 "33" \
		"${PM[@]}" run --rm --ulimit nofile=33:44 --ulimit nproc=1024:1024 --network none \
		localhost/lockvm-oci-test:1 sh -c 'ulimit -n'
	# podman's exit command passes no --runtime-flag: the runtime's default root.
	local left=""
	for c in $("${PM[@]}" ps -aq --no-trunc 2>/dev/null) $ids; do [ -e "/run/lockvm-oci/$c" ] && left+=" $c"; done
	[ -z "$left" ] && pass "podman: nothing left in the runtime's state" || fail "podman: left in /run/lockvm-oci:$left"
	"${PM[@]}" rm -af >/dev/null 2>&1
	"${PM[@]}" save --format oci-archive -o "$T_TMP/image.tar" localhost/lockvm-oci-test:1 >/dev/null 2>&1
	"${PM[@]}" rmi -af >/dev/null 2>&1
}
if command -v podman >/dev/null; then podman_tests; else skip "oci: podman not installed (make deps)"; fi

# --- containerd ----------------------------------------------------------
# A network namespace as CNI leaves one (eth0, one end of a veth, with
# 10.94.N.2/24 and a default route), its peer 10.94.N.1 in a second
# namespace with a file server; both made here, no traffic leaves them.
# ctr run --with-ns network:PATH puts PATH in config.json's linux.namespaces.
NS_ENG=lvt-oci-eng-$$ NS_OUT=lvt-oci-out-$$ NS_SRV=""
at_exit '[ -n "$NS_SRV" ] && kill "$NS_SRV" 2>/dev/null; ip netns del "$NS_ENG" 2>/dev/null; ip netns del "$NS_OUT" 2>/dev/null; rm -rf "$T_TMP"'
containerd_netns_tests() {
	local sub=$(($$ % 200 + 20)) ns_eng=/run/netns/$NS_ENG ns_out=/run/netns/$NS_OUT
	ip netns add "$NS_ENG" && ip netns add "$NS_OUT" &&
		ip link add "lvoa$$" type veth peer name "lvob$$" &&
		ip link set "lvoa$$" netns "$NS_ENG" && ip link set "lvob$$" netns "$NS_OUT" &&
		nsenter --net="$ns_eng" ip link set "lvoa$$" name eth0 &&
		nsenter --net="$ns_eng" ip addr add "10.94.$sub.2/24" dev eth0 &&
		nsenter --net="$ns_eng" ip link set eth0 up &&
		nsenter --net="$ns_eng" ip route add default via "10.94.$sub.1" &&
		nsenter --net="$ns_out" ip addr add "10.94.$sub.1/24" dev "lvob$$" &&
		nsenter --net="$ns_out" ip link set "lvob$$" up && nsenter --net="$ns_out" ip link set lo up ||
		{ fail "containerd: setting up the network namespaces"; return; }
	mkdir -p "$C/www" && echo "ns-side-$$" >"$C/www/f.txt"
	(cd "$C/www" && exec nsenter --net="$ns_out" python3 -m http.server --bind "10.94.$sub.1" 8080) \
		>"$C/srv.log" 2>&1 &
	NS_SRV=$!
	for _ in $(seq 50); do
		nsenter --net="$ns_out" python3 -c "import socket; socket.create_connection(('10.94.$sub.1', 8080), 1)" \
			2>/dev/null && break
		sleep 0.1
	done
	expect "containerd: --with-ns network:PATH: the VM fetches from a server beyond the namespace's eth0" 0 \
		"ns-side-$$" timeout 120 "${CT[@]}" run --snapshotter native --runc-binary "$OCI" --rm \
		--with-ns "network:$ns_eng" localhost/lockvm-oci-test:1 "oci-c3-$$" wget -q -O - "http://10.94.$sub.1:8080/f.txt"
	kill "$NS_SRV" 2>/dev/null
	NS_SRV=""
	# The other way: a server in the VM, reached at the namespace's address.
	# A pod's sandbox container (CRI's annotation) runs first in the
	# namespace and leaves the interface to the pod's container.
	"${CT[@]}" run -d --snapshotter native --runc-binary "$OCI" --with-ns "network:$ns_eng" \
		--annotation io.kubernetes.cri.container-type=sandbox localhost/lockvm-oci-test:1 "oci-pause-$$" sleep 300 \
		>"$C/pause.out" 2>&1
	"${CT[@]}" run -d --snapshotter native --runc-binary "$OCI" --with-ns "network:$ns_eng" \
		localhost/lockvm-oci-test:1 "oci-c4-$$" sh -c "echo vm-side-$$ >/srv/work/g.txt && exec httpd -f -p 8081 -h /srv/work" \
		>"$C/c4.out" 2>&1
	local got=""
	for _ in $(seq 100); do
		got=$(nsenter --net="$ns_out" curl -s --max-time 2 "http://10.94.$sub.2:8081/g.txt" 2>/dev/null) && [ -n "$got" ] && break
		sleep 0.1
	done
	[ "$got" = "vm-side-$$" ] && nsenter --net="$ns_eng" tc filter show dev eth0 ingress 2>/dev/null | grep -q mirred &&
		pass "containerd: --with-ns network:PATH: a server in the VM is reached at the namespace's address (eth0 adopted, the pod's sandbox container running)" ||
		fail "containerd: server in the VM at 10.94.$sub.2:8081: '$got' $(tr '\n' '|' <"$C/c4.out")"
	local c
	for c in "oci-c4-$$" "oci-pause-$$"; do
		"${CT[@]}" task kill -s KILL "$c" >/dev/null 2>&1
		for _ in $(seq 1 100); do "${CT[@]}" task ls 2>/dev/null | grep -q "$c.*RUNNING" || break; sleep 0.05; done
		"${CT[@]}" task rm -f "$c" >/dev/null 2>&1
		"${CT[@]}" containers rm "$c" >/dev/null 2>&1
	done
	[ -z "$(nsenter --net="$ns_eng" tc filter show dev eth0 ingress 2>/dev/null)" ] &&
		nsenter --net="$ns_eng" ip -o addr show dev eth0 | grep -qF "10.94.$sub.2/24" &&
		pass "containerd: after the task, the namespace's eth0 keeps its address and has no filter left" ||
		fail "containerd: eth0 after the task: $(nsenter --net="$ns_eng" tc filter show dev eth0 ingress 2>&1 | tr '\n' '|')"
}
containerd_tests() {
	local C=$T_TMP/ctrd
	containerd_private "$C"
	local cpid=$CONTAINERD_PID
	local CT=(ctr --address "$C/sock" -n "lockvm-oci-$$")
	if ! "${CT[@]}" images import --snapshotter native --base-name localhost/lockvm-oci-test "$T_TMP/image.tar" >"$C/import" 2>&1; then
		fail "containerd: image import: $(tail -n 2 "$C/import")"
	else
		expect "containerd: ctr run: output and exit status come back" 4 "hi-ctr" \
			"${CT[@]}" run --snapshotter native --runc-binary "$OCI" --rm localhost/lockvm-oci-test:1 "oci-c1-$$" \
			sh -c 'echo hi-ctr; exit 4'
		run_capture "${CT[@]}" run -d --snapshotter native --runc-binary "$OCI" localhost/lockvm-oci-test:1 "oci-c2-$$" sleep 300
		expect "containerd: the task runs" 0 "RUNNING" "${CT[@]}" task ls
		expect "containerd: ctr task exec: output and exit status come back" 2 "ctr-exec-$$" \
			"${CT[@]}" task exec --exec-id "e1-$$" "oci-c2-$$" sh -c "echo ctr-exec-$$; exit 2"
		expect "containerd: ctr task kill" 0 "" "${CT[@]}" task kill "oci-c2-$$"
		for _ in $(seq 1 100); do "${CT[@]}" task ls 2>/dev/null | grep -q STOPPED && break; sleep 0.05; done
		expect "containerd: the task stopped after kill" 0 "STOPPED" "${CT[@]}" task ls
		"${CT[@]}" task rm "oci-c2-$$" >/dev/null 2>&1
		"${CT[@]}" containers rm "oci-c2-$$" >/dev/null 2>&1
		containerd_netns_tests
		"${CT[@]}" images rm localhost/lockvm-oci-test:1 >/dev/null 2>&1
	fi
	kill "$cpid"
	wait "$cpid" 2>/dev/null
	# The shim bind-mounts each bundle's root; none may stay mounted.
	grep -F " $C/" /proc/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l
}
if [ ! -f "$T_TMP/image.tar" ]; then
	skip "oci: containerd: no image (podman made none)"
elif command -v containerd >/dev/null && command -v ctr >/dev/null; then
	containerd_tests
else
	skip "oci: containerd not installed (make deps)"
fi
