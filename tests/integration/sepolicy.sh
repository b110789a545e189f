#!/usr/bin/env bash
# SELinux module: builds and links into a private store, the audit passes on it, and fails on weakened copies.
. "$(dirname "$0")/../lib.sh"

AUDIT=$B/tests/helpers/audit_tool
ALLOW=(--allowlist-dir "$TOP/policy/selinux")
OUT=$B/sepolicy

devel_mk=$(ls /usr/share/selinux/devel/Makefile 2>/dev/null)
if [ -z "$devel_mk" ] || ! command -v semodule >/dev/null || ! command -v checkmodule >/dev/null; then
	skip "sepolicy: selinux-policy-dev/semodule-utils/checkpolicy not installed (make deps)"
	exit 0
fi
if [ ! -d /var/lib/selinux/default ] && ! ls -d /var/lib/selinux/*/active >/dev/null 2>&1; then
	skip "sepolicy: no installed reference policy store under /var/lib/selinux (selinux-policy-default)"
	exit 0
fi
if [ ! -x "$AUDIT" ]; then
	fail "sepolicy: $AUDIT not built (make all)"
	exit 0
fi

# The host's policy and store must come out of this untouched.
host_sum() { find /etc/selinux /var/lib/selinux -type f ! -name '*.LOCK' -print0 2>/dev/null | sort -z | xargs -0 md5sum 2>/dev/null | md5sum; }
before=$(host_sum)

# 1. The module builds and links into a private store.
run_capture make -s -C "$TOP" BUILD="${LOCKVM_BUILD:-build}" sepolicy
if [ "$rc" -ne 0 ]; then
	fail "sepolicy-build: make sepolicy exited $rc: $(echo "$out" | grep -v '^libsemanage' | tail -n 5 | tr '\n' '|')"
	exit 0
fi
pass "sepolicy-build"

binary=$(readlink "$OUT/policy.bin")
if [ -s "$OUT/lockvm.pp" ] && [[ $binary == policy.[0-9]* ]] && [ -s "$OUT/$binary" ]; then
	pass "sepolicy-artifacts: lockvm.pp and $binary"
else
	fail "sepolicy-artifacts: lockvm.pp or policy.NN missing (policy.bin -> '$binary')"
fi
if grep -q lockvm_vm_t "$OUT/$binary" 2>/dev/null; then
	pass "sepolicy-linked: the kernel policy holds the lockvm types"
else
	fail "sepolicy-linked: lockvm_vm_t not in $OUT/$binary"
fi

# 2. The audit passes on the linked policy, one PASS line per property.
run_capture "$AUDIT" --policy "$OUT/policy.bin" "${ALLOW[@]}"
npass=$(grep -c '^PASS ' <<<"$out")
nfail=$(grep -c '^FAIL ' <<<"$out")
if [ "$rc" -eq 0 ] && [ "$nfail" -eq 0 ] && [ "$npass" -ge 8 ]; then
	pass "audit-selinux-linked: $npass properties PASS"
else
	fail "audit-selinux-linked: exit $rc, $npass PASS, $nfail FAIL: $(grep '^FAIL' <<<"$out" | head -n 3 | tr '\n' '|')"
fi
for property in vm-own-image vm-other-image vm-content-read vm-content-no-write vm-host-etc \
	vm-host-shadow vm-host-home vm-host-tmp vm-ptrace-other-vm vm-signal-other-vm \
	vm-transition-unconfined vm-kvm supervisor-relabel-image supervisor-exec-vm \
	vm-tap-rw vm-tap-ioctl-attach-only vm-tap-no-open vm-tun-take-over vm-tun-own \
	vm-tun-no-create-queue vm-tun-not-supervisor vm-tun-not-other-vm supervisor-tap-create \
	vm-nic-counters vm-nic-counters-other-vm supervisor-nic-counters allowlist; do
	grep -q "^PASS $property:" <<<"$out" || fail "audit-selinux-property: no PASS line for $property"
done
# The isolation between VMs must come from MCS, not from a missing rule.
if grep -q '^PASS vm-other-image:.*other VM.*denied by MCS constraint' <<<"$out"; then
	pass "audit-selinux-mcs: another VM's image is denied by the MCS constraint"
else
	fail "audit-selinux-mcs: vm-other-image line: $(grep 'vm-other-image' <<<"$out")"
fi
# Every class a VM can touch of another VM's (same type, other pair) is
# refused by the MCS constraint, not by a missing type rule.
for property in vm-mcs-image-file vm-mcs-image-blk vm-mcs-memfd vm-mcs-proc-dir vm-mcs-proc-file \
	vm-mcs-fifo vm-mcs-unix-stream vm-mcs-signal; do
	if grep -q "^PASS $property: .*\[denied by MCS constraint\]" <<<"$out"; then
		pass "audit-selinux-$property"
	else
		fail "audit-selinux-$property: $(grep "$property" <<<"$out")"
	fi
done
# Both allowlists hold on the shipped policy.
for domain in lockvm_vm_t lockvm_t; do
	if grep -q "^PASS allowlist: every allow rule of $domain (" <<<"$out"; then
		pass "audit-selinux-allowlist-$domain"
	else
		fail "audit-selinux-allowlist-$domain: $(grep "allowlist.*$domain" <<<"$out" | head -n 3 | tr '\n' '|')"
	fi
done
# An allowlist entry without its "who needs it" comment is refused.
mkdir -p "$T_TMP/lists"
cp "$TOP"/policy/selinux/*.allow "$T_TMP/lists/"
echo 'etc_t file read' >>"$T_TMP/lists/lockvm_vm_t.allow"
expect "audit-selinux-allowlist-needs-comment" 2 "without a '# who needs it' comment" \
	"$AUDIT" --policy "$OUT/policy.bin" --allowlist-dir "$T_TMP/lists"

run_capture "$AUDIT" --policy "$OUT/policy.bin" "${ALLOW[@]}" --json
if [ "$rc" -eq 0 ] && python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if d["failed"]==0 and d["passed"]==len(d["properties"])>=8 and all(p["result"]=="PASS" for p in d["properties"]) else 1)' <<<"$out"; then
	pass "audit-selinux-json"
else
	fail "audit-selinux-json: exit $rc: $(echo "$out" | head -c 300)"
fi

# --net ovs=: the supervisor runs ovs-vsctl (bin_t, in lockvm_t), which
# connects to ovsdb-server's socket; the rules come from an optional block,
# linked only where the reference policy has the openvswitch module.
if ! command -v sesearch >/dev/null || ! command -v seinfo >/dev/null; then
	skip "sepolicy-ovs: sesearch/seinfo not installed (setools)"
elif ! seinfo -t openvswitch_t "$OUT/policy.bin" 2>/dev/null | grep -q openvswitch_t; then
	skip "sepolicy-ovs: this reference policy has no openvswitch module"
else
	rules=$(sesearch -A -s lockvm_t -t openvswitch_t -c unix_stream_socket -p connectto "$OUT/policy.bin"
		sesearch -A -s lockvm_t -t openvswitch_runtime_t -c sock_file -p write "$OUT/policy.bin"
		sesearch -A -s lockvm_t -t bin_t -c file -p execute_no_trans "$OUT/policy.bin")
	if [ "$(grep -c '^allow' <<<"$rules")" -eq 3 ]; then
		pass "sepolicy-ovs: lockvm_t runs ovs-vsctl and connects to ovsdb-server (openvswitch_t)"
	else
		fail "sepolicy-ovs: missing rules, got: $(tr '\n' '|' <<<"$rules")"
	fi
	other=$(sesearch -A -s lockvm_t -t openvswitch_t "$OUT/policy.bin" | grep -v 'unix_stream_socket connectto;' | grep -v ':fd use;\|:process sigchld;' )
	if [ -z "$other" ]; then
		pass "sepolicy-ovs-narrow: lockvm_t gets nothing of openvswitch_t but connectto"
	else
		fail "sepolicy-ovs-narrow: also allowed: $(tr '\n' '|' <<<"$other")"
	fi
	# ovs-vsctl's libnuma probe of /sys/devices/system/node (seen by make
	# e2e, tests/e2e/ovs.sh): refused and not logged, never allowed.
	allowed=$(sesearch -A -s lockvm_t -t sysfs_t -c file -p read "$OUT/policy.bin"
		sesearch -A -s lockvm_t -t sysfs_t -c dir -p read "$OUT/policy.bin")
	quiet=$(sesearch --dontaudit -s lockvm_t -t sysfs_t -c dir -p read "$OUT/policy.bin")
	if [ -z "$allowed" ] && grep -q '^dontaudit' <<<"$quiet"; then
		pass "sepolicy-ovs-sysfs: lockvm_t reads no sysfs file; ovs-vsctl's NUMA probe is refused unlogged"
	else
		fail "sepolicy-ovs-sysfs: allowed '$(tr '\n' '|' <<<"$allowed")', dontaudit '$(tr '\n' '|' <<<"$quiet")'"
	fi
fi

# 3. A weakened copy of the module in its own private store: the VM domain
# loses its MCS constraint and may read host configuration, and (a break
# the other way) loses /dev/kvm. The audit must fail exactly on the lines
# those changes break.
weak=$T_TMP/weak
mkdir -p "$weak/src"
cp "$TOP"/sepolicy/lockvm.te "$TOP"/sepolicy/lockvm.if "$TOP"/sepolicy/lockvm.fc "$weak/src/"
sed -i -e 's/^mcs_constrained(lockvm_vm_t)/# weakened: mcs_constrained removed/' \
	-e 's/^dev_rw_kvm(lockvm_vm_t)/# broken: no kvm/' "$weak/src/lockvm.te"
cat >>"$weak/src/lockvm.te" <<'WEAK'
# weakened by tests/integration/sepolicy.sh: the VM reads host files
gen_require(`
	type etc_t;
')
allow lockvm_vm_t etc_t:file { open read getattr };
# weakened (allowlist): every VM's console log, and TCP sockets of its own
allow lockvm_vm_t lockvm_log_t:file read;
allow lockvm_vm_t self:tcp_socket create;
# weakened: the VM may also attach a second queue (TUNSETQUEUE 0x54d9)
allowxperm lockvm_vm_t tun_tap_device_t:chr_file ioctl 0x54d9;
WEAK
if grep -q 'weakened: mcs_constrained removed' "$weak/src/lockvm.te" &&
	grep -q 'broken: no kvm' "$weak/src/lockvm.te"; then
	run_capture make -s -C "$TOP" sepolicy SEPOLICY_SRC="$weak/src" SEPOLICY_OUT="$weak/out"
	if [ "$rc" -ne 0 ]; then
		fail "sepolicy-weak-build: exit $rc: $(echo "$out" | tail -n 3 | tr '\n' '|')"
	else
		run_capture "$AUDIT" --policy "$weak/out/policy.bin" "${ALLOW[@]}"
		fails=$(grep '^FAIL ' <<<"$out" | cut -d' ' -f2 | tr -d ':' | sort | tr '\n' ' ')
		if [ "$rc" -eq 1 ] && [ "$fails" = "allowlist allowlist allowlist vm-host-etc vm-host-files-on-mcs vm-kvm vm-mcs-fifo vm-mcs-image-blk vm-mcs-image-file vm-mcs-memfd vm-mcs-proc-dir vm-mcs-proc-file vm-mcs-signal vm-mcs-unix-stream vm-mcs-volume vm-nic-counters-other-vm vm-other-image vm-other-vm-tcp-type vm-signal-other-vm vm-tap-ioctl-attach-only " ]; then
			pass "audit-selinux-weak: fails exactly on $fails"
		else
			fail "audit-selinux-weak: exit $rc, FAIL lines '$fails'"
		fi
		expect_line() { # NAME REGEX
			if grep -qE "$2" <<<"$out"; then pass "$1"; else
				fail "$1: no line matching '$2'; got: $(grep "^FAIL" <<<"$out" | tr '\n' '|')"; fi
		}
		expect_line "audit-selinux-weak-etc-rule" '^FAIL vm-host-etc: .*allowed \{ .*read.* \} by allow lockvm_vm_t etc_t:file'
		expect_line "audit-selinux-weak-kvm" '^FAIL vm-kvm: .*denied \{ .*ioctl.* \}: no allow rule grants'
		expect_line "audit-selinux-weak-tun-ioctl" '^FAIL vm-tap-ioctl-attach-only: .*ioctls allowed: 0x54ca 0x54cb 0x54d9 '
		expect_line "audit-selinux-weak-allowlist-log" '^FAIL allowlist: lockvm_vm_t lockvm_log_t:file \{ read \} not in .*/lockvm_vm_t.allow \(rule: allow lockvm_vm_t lockvm_log_t:file \{ read \}\)$'
		expect_line "audit-selinux-weak-allowlist-tcp" '^FAIL allowlist: lockvm_vm_t lockvm_vm_t:tcp_socket \{ create \} not in .*/lockvm_vm_t.allow \(rule: allow lockvm_vm_t lockvm_vm_t:tcp_socket \{ create \}\)$'
		expect_line "audit-selinux-weak-allowlist-etc" '^FAIL allowlist: lockvm_vm_t etc_t:file \{ .*read.* \} not in '
		expect_line "audit-selinux-weak-other-vm" '^FAIL vm-other-image: .*other VM.*allow lockvm_vm_t lockvm_image_t:file.*no constraint denies it'
	fi
else
	fail "sepolicy-weak: could not edit mcs_constrained()/dev_rw_kvm() in the copy"
fi

# 4. No policy given and SELinux off: a clear error, not a silent pass.
if ! selinuxenabled 2>/dev/null; then
	expect "audit-selinux-no-running-policy" 2 "SELinux is not enabled" "$AUDIT"
fi
# A policy without the lockvm module fails every property with the reason.
host_policy=$(ls /etc/selinux/default/policy/policy.* 2>/dev/null | head -n 1)
if [ -n "$host_policy" ]; then
	expect "audit-selinux-module-missing" 1 "is the lockvm module linked in?" "$AUDIT" --policy "$host_policy"
fi
expect "audit-selinux-not-a-policy" 2 "not a binary SELinux policy" "$AUDIT" --policy "$TOP/sepolicy/lockvm.te"

after=$(host_sum)
if [ "$before" = "$after" ]; then
	pass "sepolicy-host-untouched: /etc/selinux and /var/lib/selinux unchanged"
else
	fail "sepolicy-host-untouched: the host policy store changed"
fi
