/* The VMM side of seccomp: installing a BPF program the supervisor compiled. */
#ifndef LOCKVM_SECCOMP_INSTALL_H
#define LOCKVM_SECCOMP_INSTALL_H

/*
 * Installs the BPF program in fd (as made by seccomp_policy_export_fd) on
 * the calling thread only (no TSYNC: filters are per thread role). The
 * caller must have set no_new_privs. The fd contents are checked (non-empty,
 * a multiple of 8 bytes, at most BPF_MAXINSNS instructions) and copied
 * before use (on the stack, 32 KiB, so that no allocator call follows the
 * install); the kernel verifies the program itself. Returns 0, or -1 with
 * errno set (EINVAL: bad contents, EPERM: no_new_privs not set).
 */
int seccomp_policy_install_fd(int fd);

#endif
