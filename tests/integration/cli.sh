#!/usr/bin/env bash
# The CLI wiring of policy and audit commands, help and version.
. "$(dirname "$0")/../lib.sh"
expect "audit seccomp passes on the shipped policies" 0 "no dangerous syscall allowed" "$LOCKVM" audit seccomp
printf 'execve: 1\n' >"$T_TMP/bad.policy"
expect "audit seccomp flags execve" 1 "execve" "$LOCKVM" audit seccomp "$T_TMP/bad.policy"
expect "policy compile prints the filter" 0 "pseudo filter code" "$LOCKVM" policy compile "$TOP/policy/seccomp/vcpu.policy"
expect "policy compile: bad file" 125 "nosuch.policy" "$LOCKVM" policy compile "$T_TMP/nosuch.policy"
expect "audit: unknown target" 125 "usage: lockvm audit" "$LOCKVM" audit frob
expect "help lists run" 0 "run a guest in a new confined VM" "$LOCKVM" help
expect "version" 0 "guest ABI 1" "$LOCKVM" version
# A dynamically linked VMM cannot start in the empty root: said up front, not as a failed exec.
LOCKVM_VMM=/bin/true expect "dynamic VMM refused when confined" 125 "is dynamically linked" \
	"$B/lockvm" run "$G/hello.elf"
