/* `lockvm audit seccomp`: each thread role's compiled seccomp filter judged
 * as the kernel would run it. */
#ifndef LOCKVM_AUDIT_SECCOMP_H
#define LOCKVM_AUDIT_SECCOMP_H

/*
 * `lockvm audit seccomp [--json] [FILE...]` and
 * `lockvm audit seccomp [--json] --diff A B`; argv[0] is the subcommand name
 * ("seccomp"). Without FILE, audits every role file (a *.policy that no
 * other one @includes) in $LOCKVM_POLICY_DIR or else in the compiled-in
 * directory (install_seccomp_dir). Each FILE is compiled as `lockvm run`
 * compiles it and its BPF run over every syscall and the argument classes
 * that matter (audit_seccomp_eval.h); prints what the filter allows, a
 * "FAIL FILE:LINE: why" line per allowance wider than the role needs, and a
 * PASS or FAIL line per role. Returns 0, or 1 when a role has a finding;
 * dies with 125 on bad usage or an invalid policy. --diff lists what B's
 * filter allows that A's does not (+) and the reverse (-) and returns 0.
 */
int audit_seccomp_main(int argc, char **argv);

#endif
