#!/usr/bin/env bash
# `lockvm check` reports what this host really has.
. "$(dirname "$0")/../lib.sh"
run_capture "$LOCKVM" check
if have_kvm; then
	[ "$rc" -eq 0 ] && grep -q "^PASS  kvm: created a VM with a vCPU" <<<"$out" \
		&& pass "check: KVM probed by creating a VM" || fail "check: rc=$rc $out"
else
	[ "$rc" -eq 1 ] && grep -q "^FAIL  kvm:" <<<"$out" && pass "check: missing KVM is a FAIL" || fail "check without KVM: $out"
fi
abi=$(python3 -c 'import ctypes; l=ctypes.CDLL(None); print(l.syscall(444, None, 0, 1))')
if [ "$abi" -gt 0 ]; then
	grep -q "^PASS  landlock: ABI version $abi\$" <<<"$out" && pass "check: Landlock ABI $abi reported" || fail "check: landlock line wrong: $out"
else
	grep -q "^WARN  landlock" <<<"$out" && pass "check: missing Landlock is a WARN" || fail "check: landlock: $out"
fi
grep -q "^PASS  seccomp" <<<"$out" && pass "check: seccomp line" || fail "check: seccomp: $out"
grep -qE "^(PASS|WARN)  (selinux|apparmor|mac):" <<<"$out" && pass "check: MAC state reported" || fail "check: MAC: $out"
last=$(tail -n 1 <<<"$out")
[[ $last =~ ^[0-9]+\ failure\(s\),\ [0-9]+\ warning\(s\)$ ]] && pass "check: summary line" || fail "check: summary: $last"
expect "check refuses arguments" 125 "check: unexpected argument 'extra'" "$LOCKVM" check extra
