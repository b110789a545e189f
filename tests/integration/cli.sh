#!/usr/bin/env bash
# The CLI wiring of policy and audit commands, help and version.
. "$(dirname "$0")/../lib.sh"
expect "audit seccomp passes on the shipped policies" 0 "no dangerous syscall allowed" "$LOCKVM" audit seccomp
printf 'execve: 1\n' >"$T_TMP/bad.policy"
expect "audit seccomp flags execve" 1 "FAIL $T_TMP/bad.policy:1: execve allowed" "$LOCKVM" audit seccomp "$T_TMP/bad.policy"
# Each one-line widening of a shipped policy (issue 22) fails the audit of the
# compiled filter, naming the line that grants it.
for mutant in "ioctl: 1|ioctl allowed for any request (TIOCSTI passes): unrestricted ioctl" \
	"mprotect: 1|mprotect allowed with prot PROT_EXEC: can add PROT_EXEC (W^X)" \
	"mmap: 1|mmap allowed with prot PROT_EXEC: can add PROT_EXEC (W^X)" \
	"pidfd_getfd: 1|pidfd_getfd allowed (any arguments)" \
	"open_by_handle_at: 1|open_by_handle_at allowed (any arguments)" \
	"kill: 1|kill allowed with pid 1: signals other processes" \
	"process_vm_writev: 1|process_vm_writev allowed (any arguments)"; do
	rm -rf "$T_TMP/policies" && mkdir "$T_TMP/policies" && cp "$TOP"/policy/seccomp/*.policy "$T_TMP/policies/"
	echo "${mutant%%|*}" >>"$T_TMP/policies/vcpu.policy"
	line=$(wc -l <"$T_TMP/policies/vcpu.policy")
	LOCKVM_POLICY_DIR=$T_TMP/policies expect "audit seccomp fails on '${mutant%%|*}' added to vcpu.policy" 1 \
		"FAIL $T_TMP/policies/vcpu.policy:$line: ${mutant#*|}" "$LOCKVM" audit seccomp
done
expect "policy compile prints the filter" 0 "pseudo filter code" "$LOCKVM" policy compile "$TOP/policy/seccomp/vcpu.policy"
expect "policy compile: bad file" 125 "nosuch.policy" "$LOCKVM" policy compile "$T_TMP/nosuch.policy"
expect "audit: unknown target" 125 "usage: lockvm audit" "$LOCKVM" audit frob
expect "help lists run" 0 "run a guest in a new confined VM" "$LOCKVM" help
expect "version" 0 "guest ABI 1" "$LOCKVM" version
# A dynamically linked VMM cannot start in the empty root: said up front, not as a failed exec.
LOCKVM_VMM=/bin/true expect "dynamic VMM refused when confined" 125 "is dynamically linked" \
	"$B/lockvm" run "$G/hello.elf"
