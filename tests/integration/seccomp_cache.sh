#!/usr/bin/env bash
# The compiled-filter cache (runner/confine/seccomp_cache.c): made root-only,
# used when current, recompiled when a policy file changes, and an entry
# altered on disk is refused, never loaded (SECURITY.md "Seccomp cache").
. "$(dirname "$0")/../lib.sh"
if ! have_kvm; then skip "seccomp cache: /dev/kvm is not usable here"; exit 0; fi
if [ "$(id -u)" -ne 0 ]; then skip "seccomp cache: needs root (the cache is root's)"; exit 0; fi
confined "seccomp cache" || exit 0

# A copy of the shipped policies, so that this test may change them.
POL=$T_TMP/policy
cp -r "$TOP/policy/seccomp" "$POL"
export LOCKVM_POLICY_DIR=$POL
C=$LOCKVM_ROOT/run/lockvm/seccomp
E=$C/vmm.policy.kill.bpf
n=0

# run_vm: one confined hello.elf run; sets $out, $rc and $log (its VM log).
run_vm() {
	n=$((n + 1))
	run_capture "$LOCKVM" run --name "sc$$-$n" "$G/hello.elf"
	log=$(cat "$LOCKVM_ROOT/var/log/lockvm/sc$$-$n.log" 2>/dev/null)
}
# said WHAT: every policy's log line reads "seccomp NAME: WHAT".
said() {
	local p
	for p in vmm vcpu vmm_setup; do
		grep -q "seccomp $p.policy: $1\$" <<<"$log" || return 1
	done
}

run_vm
owner=$(stat -c '%u %a' "$C" 2>/dev/null)
entries=$(stat -c '%u %a %h' "$C"/*.bpf 2>/dev/null | sort -u)
if [ "$rc" -eq 0 ] && said "compiled" && [ "$owner" = "0 700" ] && [ "$entries" = "0 600 1" ] &&
	[ "$(ls "$C" | wc -l)" -eq 3 ]; then
	pass "first run compiles; cache dir root-owned 0700, three entries root-owned 0600"
else
	fail "first run: rc=$rc dir='$owner' entries='$entries' files=$(ls -a "$C" | tr '\n' ' ') log: $(grep seccomp <<<"$log" | tr '\n' '|')"
fi

run_vm
if [ "$rc" -eq 0 ] && said "from the cache" && ! grep -q "refused" <<<"$out"; then
	pass "second run takes all three programs from the cache"
else
	fail "second run: rc=$rc out: $(tr '\n' '|' <<<"$out") log: $(grep seccomp <<<"$log" | tr '\n' '|')"
fi

# Tampered: every instruction after the prologue becomes "kill the
# process", the seal left as it was. Loaded, it would kill the VMM.
cp "$E" "$T_TMP/good.bpf"
python3 - "$E" <<'EOF'
import struct, sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
bpf_len = struct.unpack_from('<I', b, 76)[0]
start = len(b) - bpf_len + 6 * 8  # past the 6-instruction prologue
for at in range(start, len(b), 8):
    struct.pack_into('<HBBI', b, at, 0x06, 0, 0, 0x80000000)  # BPF_RET|BPF_K, KILL_PROCESS
open(p, 'wb').write(b)
EOF
run_vm
if [ "$rc" -eq 0 ] && grep -q "hello from lockvm" <<<"$out" &&
	grep -q "seccomp cache entry refused (compiled afresh): vmm.policy.kill.bpf: its content hash differs" <<<"$out" &&
	grep -q "seccomp vmm.policy: compiled (cache entry refused)" <<<"$log" && cmp -s "$E" "$T_TMP/good.bpf"; then
	pass "an entry altered on disk is refused with a warning, recompiled and rewritten"
else
	fail "tampered entry: rc=$rc out: $(tr '\n' '|' <<<"$out") rewritten: $(cmp "$E" "$T_TMP/good.bpf" 2>&1)"
fi

# Not ours alone: an entry others may read, an entry of another owner, a
# cache directory others may enter are each refused.
check_refused() { # NAME PATTERN
	run_vm
	if [ "$rc" -eq 0 ] && grep -q "seccomp cache entry refused (compiled afresh): .*$2" <<<"$out"; then
		pass "$1 refused"
	else
		fail "$1: rc=$rc out: $(tr '\n' '|' <<<"$out")"
	fi
}
chmod 0644 "$E"
check_refused "an entry of mode 0644" "vmm.policy.kill.bpf: not a regular file of uid 0 with mode 0600"
chown 65534 "$E"
check_refused "an entry of another owner" "vmm.policy.kill.bpf: not a regular file of uid 0 with mode 0600"
chmod 0755 "$C"
check_refused "a cache directory of mode 0755" "$C: owner uid 0 mode 0755"
chmod 0700 "$C"
rm -f "$E"

# A changed policy file (here one that every policy includes) is a new
# key: nothing compiled from the old text is used.
run_vm
echo "# changed" >>"$POL/common.policy"
cp "$E" "$T_TMP/old.bpf"
run_vm
if [ "$rc" -eq 0 ] && said "compiled" && ! cmp -s "$E" "$T_TMP/old.bpf"; then
	pass "a change to an included policy file recompiles every policy"
else
	fail "policy change: rc=$rc log: $(grep seccomp <<<"$log" | tr '\n' '|')"
fi

# Entries are named by the policy's file name; another directory's file
# of that name is another key: a directory without policies is refused.
mkdir -p "$T_TMP/nopolicy"
LOCKVM_POLICY_DIR=$T_TMP/nopolicy expect "a policy directory without the files is refused despite the cache" \
	125 "seccomp policy $T_TMP/nopolicy/vmm.policy" "$LOCKVM" run "$G/hello.elf"
