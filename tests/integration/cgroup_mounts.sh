#!/usr/bin/env bash
# cgroup v1 hierarchies are found from /proc/self/mountinfo wherever they
# are mounted; where none is (under `ip netns exec`, which remounts /sys
# without cgroups) lockvm run refuses in one line that says how to run it.
. "$(dirname "$0")/../lib.sh"

have_kvm || { skip "cgroup mounts: no usable /dev/kvm"; exit 0; }
[ "$(id -u)" -eq 0 ] || { skip "cgroup mounts: needs root (cgroups, netns, mounts)"; exit 0; }
confined "cgroup mounts: a confined run makes a cgroup" || exit 0
[ -d /sys/fs/cgroup/memory ] || { skip "cgroup mounts: no cgroup v1 memory hierarchy on this host"; exit 0; }

NS=lockvm-cgm-$$
ip netns add "$NS" || { fail "ip netns add $NS"; exit 0; }
at_exit 'ip netns del "$NS" 2>/dev/null; rm -rf "$T_TMP"'

# ip netns exec: no cgroup mount at all in the new /sys.
run_capture ip netns exec "$NS" "$LOCKVM" run "$G/hello.elf"
lines=$(grep -c . <<<"$out")
if [ "$rc" -eq 125 ] && [ "$lines" -eq 1 ] && grep -qF "ip netns exec" <<<"$out" &&
	grep -qF "nsenter --net=/run/netns/NS" <<<"$out"; then
	pass "under ip netns exec: one line saying why and how to run it, exit 125"
else
	fail "under ip netns exec: exit $rc, $lines lines: $(tr '\n' '|' <<<"$out")"
fi
[ -z "$(ls "$LOCKVM_ROOT/run/lockvm/vms" 2>/dev/null)" ] && pass "the refused run left no registry entry" ||
	fail "the refused run left: $(ls "$LOCKVM_ROOT/run/lockvm/vms")"

# nsenter keeps the host's /sys: the same VM runs in that network namespace.
expect "nsenter --net runs the VM in the namespace" 0 "hello" nsenter --net="/run/netns/$NS" "$LOCKVM" run "$G/hello.elf"

# The hierarchies mounted somewhere else, /sys/fs/cgroup gone: lockvm finds
# them through mountinfo and makes the VM's cgroup there.
CG=$T_TMP/cg
cat >"$T_TMP/moved.sh" <<MOVED
set -e
umount -l /sys/fs/cgroup
for c in memory pids cpu; do mkdir -p "$CG/\$c"; mount -t cgroup -o \$c lockvm-cgm "$CG/\$c"; done
"$LOCKVM" run "$G/hello.elf"
ls -d "$CG/memory/lockvm" "$CG/pids/lockvm"
MOVED
run_capture unshare -m --propagation private bash "$T_TMP/moved.sh"
if [ "$rc" -eq 0 ] && grep -q hello <<<"$out" && grep -qF "$CG/memory/lockvm" <<<"$out"; then
	pass "cgroup v1 hierarchies mounted elsewhere are found through mountinfo"
else
	fail "hierarchies mounted at $CG: exit $rc: $(tr '\n' '|' <<<"$out" | tail -c 300)"
fi
