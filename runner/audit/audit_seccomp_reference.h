/* What `lockvm audit seccomp` holds compiled filters to: systemd's syscall
 * groups, lockvm's own dangerous syscalls and each thread role's declared
 * needs (its KVM ioctls and the allowances it is known to need). */
#ifndef LOCKVM_AUDIT_SECCOMP_REFERENCE_H
#define LOCKVM_AUDIT_SECCOMP_REFERENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Why syscall name must not be allowed at all ("in systemd's @debug group",
 * "runs another program"), into buf; false when no reference lists it.
 */
bool audit_seccomp_reference_danger(const char *name, char *buf, size_t buflen);

/* One ioctl request the audit tries, with whether it is a KVM request. */
struct audit_seccomp_ioctl {
	const char *name;
	uint64_t request;
	bool kvm;
};

/* Every ioctl request the audit tries (KVM, terminal, tun, unknown). */
const struct audit_seccomp_ioctl *audit_seccomp_reference_ioctls(size_t *count);

/*
 * True when role (the policy file's name without ".policy") declares it
 * needs KVM request name. A role without a declared list may use any KVM
 * request (they act only on the VM's own KVM fds): *declared is then false.
 */
bool audit_seccomp_reference_kvm_needed(const char *role, const char *name, bool *declared);

/* When role declares that it needs syscall name with argument class cls
 * (or with any class) however the filter's findings judge it, returns the
 * recorded reason; otherwise NULL. */
const char *audit_seccomp_reference_accepted(const char *role, const char *name, const char *cls);

#endif
