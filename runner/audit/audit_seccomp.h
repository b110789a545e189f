/* `lockvm audit seccomp`: review seccomp policies and flag dangerous syscalls. */
#ifndef LOCKVM_AUDIT_SECCOMP_H
#define LOCKVM_AUDIT_SECCOMP_H

#include <stdbool.h>
#include <stddef.h>

#include "seccomp_policy.h"

/*
 * If policy entry e lets a dangerous syscall through, writes why into reason
 * and returns true. Syscalls answered with `return ERRNO` are never dangerous.
 */
bool audit_seccomp_is_dangerous(const struct seccomp_policy_entry *e, char *reason,
				size_t reasonlen);

/*
 * `lockvm audit seccomp [--json] [FILE...]` and
 * `lockvm audit seccomp [--json] --diff A B`; argv[0] is the subcommand name
 * ("seccomp"). Without FILE, audits every *.policy in $LOCKVM_POLICY_DIR or
 * else in ../policy/seccomp next to the running executable. Prints each
 * role's allowed syscalls and a PASS or FAIL line per file. Returns 0, or 1
 * when a dangerous syscall is allowed; dies with 125 on bad usage or an
 * invalid policy. --diff lists what B adds (+) and removes (-) relative to A
 * and returns 0.
 */
int audit_seccomp_main(int argc, char **argv);

#endif
