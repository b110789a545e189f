#!/usr/bin/env bash
# Seccomp policy CLI entry points (via tests/helpers/seccomp_tool): audit of the
# shipped policies, detection of dangerous syscalls, --diff, JSON, PFC export.
. "$(dirname "$0")/../lib.sh"
TOOL=$B/tests/helpers/seccomp_tool
POLICIES=$TOP/policy/seccomp

if [ ! -x "$TOOL" ]; then
	fail "seccomp_tool not built ($TOOL)"
	exit 0
fi

# The shipped policies pass the audit, found through LOCKVM_POLICY_DIR.
LOCKVM_POLICY_DIR=$POLICIES expect "audit shipped policies" 0 "PASS: seccomp audit vcpu" "$TOOL" audit
for role in common vmm vcpu vmm_setup; do
	grep -qF "PASS: seccomp audit $role:" <<<"$out" || fail "audit output lacks a PASS line for $role"
done
grep -qF "ioctl: arg1 == KVM_RUN" <<<"$out" && pass "audit lists conditions with constant names" ||
	fail "audit output lacks 'ioctl: arg1 == KVM_RUN'"

# Without FILE and without LOCKVM_POLICY_DIR: ../policy/seccomp next to the executable.
mkdir -p "$T_TMP/bin" "$T_TMP/policy/seccomp"
cp "$TOOL" "$T_TMP/bin/"
cp "$POLICIES/common.policy" "$POLICIES/vcpu.policy" "$T_TMP/policy/seccomp/"
run_capture env -u LOCKVM_POLICY_DIR "$T_TMP/bin/seccomp_tool" audit
if [ "$rc" -eq 0 ] && grep -qF "== vcpu (" <<<"$out" && ! grep -qF "== vmm (" <<<"$out"; then
	pass "audit finds policies relative to the executable"
else
	fail "audit relative to the executable: rc=$rc: $(head -n 3 <<<"$out" | tr '\n' '|')"
fi

# The setup filter (issue 14) stays installed under both steady-state filters, so it
# must allow all they allow: against each, the diff removes nothing, except a
# conditional rule of a syscall the setup policy allows unconditionally.
"$TOOL" audit --json "$POLICIES/vmm_setup.policy" >"$T_TMP/setup.json" 2>&1
for role in vmm vcpu; do
	run_capture "$TOOL" audit --diff "$POLICIES/$role.policy" "$POLICIES/vmm_setup.policy"
	missing=$(grep '^- ' <<<"$out" | sed 's/^- \([a-z0-9_]*\):.*/\1/' | while read -r sys; do
		python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
sys.exit(0 if any(s["name"]==sys.argv[2] and "1" in s["conditions"] for p in d["policies"] for s in p["syscalls"]) else 1)' \
			"$T_TMP/setup.json" "$sys" || echo "$sys"
	done)
	if [ "$rc" -eq 0 ] && grep -q " removed" <<<"$out" && [ -z "$missing" ]; then
		pass "vmm_setup allows everything $role.policy allows"
	else
		fail "vmm_setup lacks some of $role.policy (rc $rc): $missing"
	fi
done

# A policy allowing execve (through an include, as a careless edit would) fails the audit.
cat >"$T_TMP/bad.policy" <<'POLICY'
@include vcpu
# Someone wants to run a helper program.
execve: 1
clone: arg0 in CLONE_THREAD|CLONE_VM
POLICY
cp "$POLICIES"/*.policy "$T_TMP/"
expect "audit flags execve" 1 "FAIL: seccomp audit bad: execve allowed" "$TOOL" audit "$T_TMP/bad.policy"
grep -qF "FAIL: seccomp audit bad: clone allowed" <<<"$out" &&
	pass "audit flags clone without CLONE_THREAD required" ||
	fail "audit did not flag clone: $(tail -n 3 <<<"$out" | tr '\n' '|')"
expect "audit flags bad among good" 1 "PASS: seccomp audit vmm" \
	"$TOOL" audit "$T_TMP/vmm.policy" "$T_TMP/bad.policy"

# An invalid policy is refused with FILE:LINE and status 125.
printf 'read: 1\nioctl: arg1 == KVM_BOGUS\n' >"$T_TMP/broken.policy"
expect "audit refuses invalid policy" 125 "broken.policy:2: unknown constant 'KVM_BOGUS'" \
	"$TOOL" audit "$T_TMP/broken.policy"

# --diff shows what B adds and removes relative to A.
expect "diff vcpu -> bad" 0 "+ execve: 1" "$TOOL" audit --diff "$T_TMP/vcpu.policy" "$T_TMP/bad.policy"
grep -qF "+ clone: arg0 in CLONE_THREAD|CLONE_VM" <<<"$out" && grep -qF "2 added, 0 removed" <<<"$out" &&
	pass "diff counts additions" || fail "diff output: $(tr '\n' '|' <<<"$out")"
expect "diff vmm -> vcpu removes" 0 "- ioctl: arg1 == KVM_GET_DIRTY_LOG" \
	"$TOOL" audit --diff "$T_TMP/vmm.policy" "$T_TMP/vcpu.policy"
grep -qF "+ ioctl: arg1 == KVM_RUN" <<<"$out" && grep -qF -- "- clone:" <<<"$out" &&
	pass "diff shows changed ioctl conditions and removed syscalls" ||
	fail "diff vmm -> vcpu: $(tr '\n' '|' <<<"$out" | head -c 300)"
expect "diff of identical policies is empty" 0 "0 added, 0 removed" \
	"$TOOL" audit --diff "$T_TMP/vcpu.policy" "$T_TMP/vcpu.policy"

# JSON output parses and carries the verdict.
json_check() { # NAME PYTHON-EXPR FILE: the expression over `d` must be true
	if ! python3 -m json.tool "$3" >/dev/null 2>&1; then
		fail "$1: not valid JSON: $(head -c 200 "$3" | tr '\n' ' ')"
	elif python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if ($2) else 1)" "$3"; then
		pass "$1"
	else
		fail "$1: JSON lacks expected content: $(head -c 300 "$3" | tr '\n' ' ')"
	fi
}
LOCKVM_POLICY_DIR=$POLICIES "$TOOL" audit --json >"$T_TMP/audit.json" 2>&1
rc=$?
[ "$rc" -eq 0 ] && pass "json audit of shipped policies exits 0" || fail "json audit exit $rc"
json_check "json audit shipped" \
	"d['pass'] and sorted(p['role'] for p in d['policies']) == ['common','vcpu','vmm','vmm_setup'] and any(s['name']=='ioctl' and 'arg1 == KVM_RUN' in s['conditions'] for p in d['policies'] for s in p['syscalls'])" \
	"$T_TMP/audit.json"
"$TOOL" audit --json "$T_TMP/bad.policy" >"$T_TMP/bad.json" 2>&1
rc=$?
[ "$rc" -eq 1 ] && pass "json audit of bad policy exits 1" || fail "json audit of bad policy exit $rc"
json_check "json audit names execve" \
	"not d['pass'] and 'execve' in [x['syscall'] for x in d['policies'][0]['dangerous']]" "$T_TMP/bad.json"
"$TOOL" audit --json --diff "$T_TMP/vcpu.policy" "$T_TMP/bad.policy" >"$T_TMP/diff.json" 2>&1
json_check "json diff" \
	"[a['syscall'] for a in d['added']] == ['clone','execve'] and d['removed'] == [] and all(a['dangerous'] for a in d['added'])" \
	"$T_TMP/diff.json"

# policy compile prints libseccomp PFC; the mode picks the default action.
expect "compile vcpu (kill)" 0 "action KILL_PROCESS;" "$TOOL" compile "$POLICIES/vcpu.policy"
grep -qF 'filter for syscall "ioctl"' <<<"$out" && pass "compile output has the ioctl filter" ||
	fail "compile output lacks ioctl"
expect "compile vcpu --mode log" 0 "action LOG;" "$TOOL" compile "$POLICIES/vcpu.policy" --mode log
expect "compile vcpu --mode=trap" 0 "action TRAP;" "$TOOL" compile --mode=trap "$POLICIES/vcpu.policy"
expect "compile refuses unknown mode" 125 "unknown mode 'allow'" \
	"$TOOL" compile "$POLICIES/vcpu.policy" --mode allow
expect "compile refuses invalid policy" 125 "broken.policy:2: unknown constant 'KVM_BOGUS'" \
	"$TOOL" compile "$T_TMP/broken.policy"
expect "compile of a missing file" 125 "$T_TMP/none.policy: No such file or directory" \
	"$TOOL" compile "$T_TMP/none.policy"
expect "compile without file is a usage error" 125 "usage: lockvm policy compile" "$TOOL" compile
