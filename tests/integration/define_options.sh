#!/usr/bin/env bash
# A definition says everything run can (issue 20): each [vm] key that is a
# run option (linux, fs, env, net, mem_limit, ...) is checked at define,
# reaches the started VM, and shows in what the VM does or in inspect.
. "$(dirname "$0")/../lib.sh"
L=("$LOCKVM")

printf '[vm]\nguest = /bin/true\nfs = /srv\n' >"$T_TMP/fs-alone.conf"
expect "define: fs without linux refused as run refuses it" 125 "--fs, --fs-upper, --tmpfs, --volume, --env and --strace need --linux" \
	"${L[@]}" define fsalone "$T_TMP/fs-alone.conf"
printf '[vm]\nguest = /bin/true\nenv = novalue\n' >"$T_TMP/env-bad.conf"
expect "define: env without =" 125 "env-bad.conf:3: env 'novalue': want NAME=VALUE" \
	"${L[@]}" define envbad "$T_TMP/env-bad.conf"
[ ! -e "$LOCKVM_ROOT/etc/lockvm/vms/fsalone.conf" ] && pass "a refused definition is not installed" ||
	fail "define installed a refused definition"

# A definition can say everything run can: every option of `run --help`
# is a [vm] key (dashes as underscores), but for those of one invocation
# (name: the definition's own; detach: start always is; json, stats, help;
# restore, listen, key, accept-timeout, require-key: restore and
# incoming's; confine: benchmarks and debugging only) and disk, which is
# a [disk] section. Each key is given a value no checker takes: refused
# for its value, never as an unknown key.
once=" name detach json stats help restore listen key accept-timeout require-key confine disk "
opts=$("${L[@]}" run --help 2>&1 | grep -oE '^ +(-[a-zA-Z], )?--[a-z-]+' | sed 's/.*--//' | sort -u)
unknown= walked=0
for opt in $opts; do
	case $once in *" $opt "*) continue ;; esac
	key=${opt//-/_}
	printf '[vm]\nguest = /bin/true\n%s = @bad@\n' "$key" >"$T_TMP/walk.conf"
	run_capture "${L[@]}" define walk "$T_TMP/walk.conf"
	walked=$((walked + 1))
	{ [ "$rc" -eq 125 ] && ! grep -q "unknown key" <<<"$out"; } || unknown="$unknown $key($rc: $out)"
done
[ -z "$unknown" ] && [ "$walked" -ge 30 ] && pass "every run option but one invocation's is a definition key ($walked walked)" ||
	fail "run options a definition cannot say ($walked walked):$unknown"

have_kvm || { skip "define options reach the VM: no /dev/kvm"; exit 0; }
BUSYBOX=$(command -v busybox || true)
if [ -z "$BUSYBOX" ] || ! file -L "$BUSYBOX" | grep -q "statically linked"; then
	skip "define options reach the VM: busybox-static is not installed"; exit 0
fi
mkdir -p "$T_TMP/tree/etc" "$T_TMP/tree$(dirname "$BUSYBOX")"
touch "$T_TMP/tree/etc/from-the-fs-tree"
# With fs, the guest is found inside the tree (as chroot would): put it at the same path.
cp "$BUSYBOX" "$T_TMP/tree$BUSYBOX"
vm=dl-$$
cat >"$T_TMP/linux.conf" <<EOF
[vm]
guest = $BUSYBOX
linux = yes
fs = $T_TMP/tree
env = GREETING=hello-from-define
env = SECOND=two
log_size_max = 128K
arg = sh
arg = -c
arg = echo "\$GREETING \$SECOND" && ls /etc
EOF
expect "define a --linux VM with fs and env" 0 "VM $vm defined" "${L[@]}" define "$vm" "$T_TMP/linux.conf"
expect "start it" 0 "$vm" "${L[@]}" start "$vm"
for _ in $(seq 200); do "${L[@]}" list | grep -q "^$vm " || break; sleep 0.1; done
run_capture "${L[@]}" logs "$vm"
grep -qx "hello-from-define two" <<<"$out" && pass "linux, env (twice), arg reached the VM" ||
	fail "env/arg not seen: $(tail -n 4 <<<"$out" | tr '\n' '|')"
grep -qx "from-the-fs-tree" <<<"$out" && pass "fs reached the VM" ||
	fail "fs not seen: $(tail -n 4 <<<"$out" | tr '\n' '|')"
grep -q "exit: 0 " <<<"$out" && pass "the defined --linux VM exited 0" || fail "exit not 0: $(tail -n 2 <<<"$out")"

# The --linux VM's identity and limits from a definition (hostname,
# workdir, user, group_add, rlimit, tmpfs, pids) reach the program.
vm4=di-$$
cat >"$T_TMP/ident.conf" <<EOF
[vm]
guest = $BUSYBOX
linux = yes
fs = $T_TMP/tree
hostname = from-define
workdir = /etc
user = 1000:1001
group_add = 27
rlimit = nofile=40
tmpfs = /scratch
pids = 64
arg = sh
arg = -c
arg = echo "host=\$(hostname) cwd=\$(pwd) ids=\$(id -u):\$(id -g):\$(id -G) nofile=\$(ulimit -n)"; test -d /scratch && echo scratch-is-there
EOF
expect "define a --linux VM with hostname, workdir, user, group_add, rlimit, tmpfs, pids" 0 "VM $vm4 defined" \
	"${L[@]}" define "$vm4" "$T_TMP/ident.conf"
"${L[@]}" start "$vm4" >/dev/null
for _ in $(seq 200); do "${L[@]}" list | grep -q "^$vm4 " || break; sleep 0.1; done
run_capture "${L[@]}" logs "$vm4"
grep -qx "host=from-define cwd=/etc ids=1000:1001:1001 27 nofile=40" <<<"$out" && grep -qx scratch-is-there <<<"$out" &&
	pass "hostname, workdir, user, group_add, rlimit and tmpfs of a definition reach the VM" ||
	fail "identity not seen: $(tail -n 4 <<<"$out" | tr '\n' '|')"

vm2=dm-$$
printf '[vm]\nguest = %s\nmem_limit = 256M\n' "$G/service.elf" >"$T_TMP/limit.conf"
"${L[@]}" define "$vm2" "$T_TMP/limit.conf" >/dev/null
expect "start a VM with mem_limit" 0 "$vm2" "${L[@]}" start "$vm2"
expect "inspect shows the defined mem_limit" 0 "cgroup.memory.limit_in_bytes 268435456" "${L[@]}" inspect "$vm2"
"${L[@]}" kill "$vm2" >/dev/null

vm3=dn-$$
printf '[vm]\nguest = %s\nnet = bridge=nosuchbr%d\nmac = 52:54:00:aa:bb:cc\n' "$G/hello.elf" $$ >"$T_TMP/net.conf"
expect "define a VM with net and mac" 0 "defined" "${L[@]}" define "$vm3" "$T_TMP/net.conf"
expect "start passes net on to run (its bridge is missing)" 125 "bridge nosuchbr$$ does not exist" \
	"${L[@]}" start "$vm3"
