/* `lockvm audit selinux`: checks real access decisions of a binary SELinux policy. */
#ifndef LOCKVM_AUDIT_SELINUX_H
#define LOCKVM_AUDIT_SELINUX_H

/*
 * Runs `lockvm audit selinux [--policy FILE] [--allowlist-dir DIR] [--json]`
 * or `... --print-allowlist DOMAIN`. argv[0] is the subcommand name
 * ("selinux"), options follow. Loads FILE (default: the running policy, an
 * error when SELinux is not enabled) with libsepol and checks, with MCS
 * constraints, that a VM at s0:c1,c2 reaches only what it must, and that
 * every allow rule of lockvm_vm_t and lockvm_t is in DIR/<domain>.allow
 * (default DIR: the compiled-in install_selinux_allow_dir()). Prints one
 * `PASS <property>` / `FAIL <property>: <rule or constraint responsible>`
 * line per property, one `FAIL allowlist: ...` line per grant beyond a list
 * (or one JSON document).
 * Needs nothing set up before; does not touch the running policy.
 * Returns 0 when every property holds, 1 on any FAIL, 2 on a usage error,
 * a policy that cannot be loaded or an allowlist that cannot be read.
 */
int audit_selinux_main(int argc, char **argv);

#endif
