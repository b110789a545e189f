/* Whether a VM's SELinux context may use a directory the supervisor hands it (a --fs tree, a --volume): the up-front check behind a clear refusal. */
#ifndef LOCKVM_SELINUX_ACCESS_H
#define LOCKVM_SELINUX_ACCESS_H

#include <stdbool.h>
#include <stddef.h>

/* What selinux_vm_may_use returns besides -1. */
enum selinux_vm_access {
	SELINUX_VM_MAY_USE = 1, /* allowed, or nothing to ask (see below) */
	SELINUX_VM_REFUSED = 0, /* the policy refuses: `label` holds the directory's */
};

/*
 * Asks the loaded policy (security_compute_av, no AVC: nothing is logged)
 * whether process context vm_context may list directory dir_fd (any fd,
 * O_PATH too) and read files carrying the directory's own label, and with
 * `write` also add, remove and write them. A tree's files mostly carry the
 * label of the directory they live in, so a refusal here means the guest
 * would meet EACCES. SELINUX_VM_MAY_USE without asking where SELinux is
 * off or permissive, vm_context is NULL or "" (--label none), or the
 * VM's domain is permissive. Needs selinuxfs mounted. -1 with errno when
 * the directory's label or the decision cannot be had.
 */
int selinux_vm_may_use(const char *vm_context, int dir_fd, bool write, char *label, size_t size);

#endif
