#!/usr/bin/env bash
# Seccomp policy CLI entry points (via tests/helpers/seccomp_tool): audit of the
# shipped policies' compiled filters, one-line widenings caught with FILE:LINE,
# --diff, JSON, PFC export.
. "$(dirname "$0")/../lib.sh"
TOOL=$B/tests/helpers/seccomp_tool
POLICIES=$TOP/policy/seccomp

if [ ! -x "$TOOL" ]; then
	fail "seccomp_tool not built ($TOOL)"
	exit 0
fi

# The shipped policies pass the audit, found through LOCKVM_POLICY_DIR: each
# role file (vcpu, vmm; common.policy is only @included) is compiled and its
# BPF judged.
LOCKVM_POLICY_DIR=$POLICIES expect "audit shipped policies" 0 "PASS: seccomp audit vcpu" "$TOOL" audit
for role in vmm vcpu vmm_setup; do
	grep -qF "PASS: seccomp audit $role:" <<<"$out" || fail "audit output lacks a PASS line for $role"
done
grep -qF "seccomp audit common:" <<<"$out" && fail "audit judged common.policy, which is only @included" ||
	pass "audit judges role files only"
grep -qF "ioctl: request KVM_RUN  ($POLICIES/vcpu.policy:6)" <<<"$out" &&
	pass "audit lists what the compiled filter allows, with the granting line" ||
	fail "audit output lacks 'ioctl: request KVM_RUN  (…vcpu.policy:6)'"
grep -qF "ACCEPTED $POLICIES/common.policy:44: tgkill" <<<"$out" &&
	pass "audit shows the declared tgkill need as accepted" || fail "audit output lacks the tgkill ACCEPTED line"

# Without FILE and without LOCKVM_POLICY_DIR: the directory compiled in
# (the build tree's policy/seccomp here), never one next to the executable:
# a copy of the tool beside a decoy ../policy/seccomp still audits all roles.
mkdir -p "$T_TMP/bin" "$T_TMP/policy/seccomp"
cp "$TOOL" "$T_TMP/bin/"
cp "$POLICIES/common.policy" "$POLICIES/vcpu.policy" "$T_TMP/policy/seccomp/"
run_capture env -u LOCKVM_POLICY_DIR "$T_TMP/bin/seccomp_tool" audit
if [ "$rc" -eq 0 ] && grep -qF "== vcpu (" <<<"$out" && grep -qF "== vmm (" <<<"$out" &&
	! grep -qF "$T_TMP" <<<"$out"; then
	pass "audit finds the compiled-in policies, not ../policy/seccomp next to the executable"
else
	fail "audit without LOCKVM_POLICY_DIR: rc=$rc: $(head -n 3 <<<"$out" | tr '\n' '|')"
fi

# The setup filter (issue 14) stays installed under both steady-state filters, so it
# must allow all they allow: the compiled-filter diff against each removes nothing.
for role in vmm vcpu; do
	run_capture "$TOOL" audit --diff "$POLICIES/$role.policy" "$POLICIES/vmm_setup.policy"
	if [ "$rc" -eq 0 ] && grep -q " added, 0 removed$" <<<"$out" && ! grep -q '^- ' <<<"$out"; then
		pass "vmm_setup allows everything $role.policy allows"
	else
		fail "vmm_setup lacks some of $role.policy (rc $rc): $(grep '^- ' <<<"$out" | head -n 3 | tr '\n' '|')"
	fi
done
# Its one accepted widening is exactly seccomp(SET_MODE_FILTER, 0); any other seccomp is a finding.
grep -qF "ACCEPTED $POLICIES/vmm_setup.policy:" <<<"$(LOCKVM_POLICY_DIR=$POLICIES "$TOOL" audit 2>&1)" &&
	pass "audit accepts vmm_setup's seccomp(SET_MODE_FILTER, 0) as a declared need" ||
	fail "audit lacks the ACCEPTED line for vmm_setup's seccomp"

# One line appended to a shipped policy widens the compiled filter: the audit
# fails, naming FILE:LINE and why (issue 22's mutants). Each runs on a copy of
# the shipped directory, once appended to vcpu.policy and once to common.policy
# (which both roles include).
mutant() { # NAME LINE FILE REASON
	local dir=$T_TMP/mutant lines
	rm -rf "$dir" && mkdir -p "$dir" && cp "$POLICIES"/*.policy "$dir/"
	printf '%s\n' "$2" >>"$dir/$3"
	lines=$(wc -l <"$dir/$3")
	LOCKVM_POLICY_DIR=$dir expect "audit fails on '$2' in $3" 1 "FAIL $dir/$3:$lines: $4" "$TOOL" audit
}
mutant ioctl "ioctl: 1" vcpu.policy "ioctl allowed for any request (TIOCSTI passes): unrestricted ioctl"
mutant mprotect "mprotect: 1" vcpu.policy "mprotect allowed with prot PROT_READ|PROT_EXEC: can add PROT_EXEC"
mutant mmap "mmap: 1" common.policy "mmap allowed with prot PROT_READ|PROT_EXEC: can add PROT_EXEC"
mutant mmap "mmap: arg3 == 0x22" vcpu.policy "mmap allowed with prot PROT_EXEC: can add PROT_EXEC"
mutant pidfd_getfd "pidfd_getfd: 1" vcpu.policy "pidfd_getfd allowed (any arguments): steals another process's file descriptors; in systemd's @debug group"
mutant open_by_handle_at "open_by_handle_at: 1" vmm.policy "open_by_handle_at allowed (any arguments): opens files by handle"
mutant kill "kill: 1" common.policy "kill allowed with another pid (4242): signals other processes"
mutant process_vm_writev "process_vm_writev: 1" vcpu.policy "process_vm_writev allowed (any arguments): writes another process's memory"
mutant ptrace "ptrace: arg0 == 16" vmm.policy "ptrace allowed (arg0 == 16): controls other processes"
mutant kvm "ioctl: arg1 == KVM_SET_USER_MEMORY_REGION" vcpu.policy \
	"ioctl allowed for KVM_SET_USER_MEMORY_REGION: not among the vcpu role's KVM requests"
mutant tiocsti "ioctl: arg1 == 0x5412" vmm.policy "ioctl allowed for TIOCSTI: not a KVM request"
mutant clone "clone: arg0 & CLONE_THREAD" vmm.policy "clone allowed with thread flags|CLONE_NEWUSER: creates namespaces"
mutant reboot "reboot: 1" vcpu.policy "reboot allowed (any arguments): in systemd's @reboot group"

# A policy allowing execve (through an include, as a careless edit would) fails the audit.
cat >"$T_TMP/bad.policy" <<'POLICY'
@include vcpu
# Someone wants to run a helper program.
execve: 1
clone: arg0 in CLONE_THREAD|CLONE_VM
POLICY
cp "$POLICIES"/*.policy "$T_TMP/"
expect "audit flags execve" 1 "FAIL $T_TMP/bad.policy:3: execve allowed (any arguments): runs another program" \
	"$TOOL" audit "$T_TMP/bad.policy"
grep -qF "FAIL $T_TMP/bad.policy:4: clone allowed with flags 0 (a new process): creates processes" <<<"$out" &&
	pass "audit flags clone without CLONE_THREAD required" ||
	fail "audit did not flag clone: $(tail -n 3 <<<"$out" | tr '\n' '|')"
expect "audit flags bad among good" 1 "PASS: seccomp audit vmm" \
	"$TOOL" audit "$T_TMP/vmm.policy" "$T_TMP/bad.policy"
# A role file the audit has no KVM list for (vmm_setup.policy, say) is judged too.
printf '@include common\nioctl: arg1 == KVM_CREATE_VCPU\nioctl: arg1 == 0x5412\n' >"$T_TMP/setup.policy"
expect "audit judges any role file" 1 "FAIL $T_TMP/setup.policy:3: ioctl allowed for TIOCSTI: not a KVM request" \
	"$TOOL" audit "$T_TMP/setup.policy"

# An invalid policy is refused with FILE:LINE and status 125.
printf 'read: 1\nioctl: arg1 == KVM_BOGUS\n' >"$T_TMP/broken.policy"
expect "audit refuses invalid policy" 125 "broken.policy:2: unknown constant 'KVM_BOGUS'" \
	"$TOOL" audit "$T_TMP/broken.policy"

# --diff: what B's compiled filter allows that A's does not, per argument class.
expect "diff vcpu -> bad" 0 "+ execve: any arguments  ($T_TMP/bad.policy:3)   <-- FAIL: execve allowed" \
	"$TOOL" audit --diff "$T_TMP/vcpu.policy" "$T_TMP/bad.policy"
grep -qF "+ clone: flags 0 (a new process)" <<<"$out" && grep -qF "2 added, 0 removed" <<<"$out" &&
	pass "diff counts additions by argument class" || fail "diff output: $(tr '\n' '|' <<<"$out")"
cp "$T_TMP/vcpu.policy" "$T_TMP/vcpu-wide.policy"
echo "mprotect: 1" >>"$T_TMP/vcpu-wide.policy"
wide_line=$(wc -l <"$T_TMP/vcpu-wide.policy") # the line just added
expect "diff shows a widened argument class" 0 "+ mprotect: prot PROT_READ|PROT_EXEC  ($T_TMP/vcpu-wide.policy:$wide_line)   <-- FAIL" \
	"$TOOL" audit --diff "$T_TMP/vcpu.policy" "$T_TMP/vcpu-wide.policy"
grep -qF "3 added, 0 removed" <<<"$out" && ! grep -qF "+ mprotect: prot PROT_READ|PROT_WRITE " <<<"$out" &&
	pass "diff lists only what is new" || fail "diff vcpu -> vcpu-wide: $(tr '\n' '|' <<<"$out")"
expect "diff vmm -> vcpu removes" 0 "- ioctl: request KVM_GET_DIRTY_LOG" \
	"$TOOL" audit --diff "$T_TMP/vmm.policy" "$T_TMP/vcpu.policy"
grep -qF "+ ioctl: request KVM_RUN" <<<"$out" && grep -qF -- "- clone: flags of pthread_create" <<<"$out" &&
	pass "diff shows changed ioctl requests and removed syscalls" ||
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
	"d['pass'] and sorted(p['role'] for p in d['policies']) == ['vcpu','vmm','vmm_setup'] and any(s['syscall']=='ioctl' and s['class'] == 'request KVM_RUN' for p in d['policies'] for s in p['allowed'])" \
	"$T_TMP/audit.json"
"$TOOL" audit --json "$T_TMP/bad.policy" >"$T_TMP/bad.json" 2>&1
rc=$?
[ "$rc" -eq 1 ] && pass "json audit of bad policy exits 1" || fail "json audit of bad policy exit $rc"
json_check "json audit names execve and its line" \
	"not d['pass'] and any(x['syscall'] == 'execve' and x['line'].endswith('bad.policy:3') for x in d['policies'][0]['findings'])" "$T_TMP/bad.json"
"$TOOL" audit --json --diff "$T_TMP/vcpu.policy" "$T_TMP/bad.policy" >"$T_TMP/diff.json" 2>&1
json_check "json diff" \
	"sorted(a['syscall'] for a in d['added']) == ['clone','execve'] and d['removed'] == [] and all(a['dangerous'] for a in d['added'])" \
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
