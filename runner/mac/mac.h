/* The tiny MAC interface the sandbox needs: set the exec label, say which MAC is on. */
#ifndef LOCKVM_MAC_H
#define LOCKVM_MAC_H

#include <stdbool.h>
#include <stddef.h>

/* Results of mac_set_exec_label() other than -1. */
enum mac_status {
	MAC_LABEL_SET = 0,    /* the label takes effect at the next execve */
	MAC_NOT_ENFORCED = 1, /* neither SELinux nor AppArmor is active: nothing set */
};

/*
 * Sets the SELinux context (setexeccon) or AppArmor profile
 * (aa_change_onexec) the next execve transitions to. Needs /proc (and, for
 * SELinux, selinuxfs) still mounted, and must run before no_new_privs, which
 * would forbid the transition. NULL or "" asks for no label: returns
 * MAC_NOT_ENFORCED. Returns MAC_LABEL_SET, MAC_NOT_ENFORCED, or -1 with
 * errno set when an active MAC refused the label.
 */
int mac_set_exec_label(const char *label_or_profile);

/*
 * Makes the one-way channel a VMM writes its stdout or stderr to: fds[0]
 * for the supervisor to read, fds[1] for the VMM, both close-on-exec.
 * With SELinux on and vm_context given, a socketpair labelled with the
 * VM's own context (setsockcreatecon): a pipe would carry the supervisor's
 * full MCS range, which an MCS-constrained VM may neither read nor write
 * (and the kernel closes such fds at the VMM's exec). Otherwise a pipe.
 * Returns 0, or -1 with errno set.
 */
int mac_vmm_channel(const char *vm_context, int fds[2]);

/* "selinux", "apparmor" or "none": which MAC this process runs under. */
const char *mac_active(void);

/* True when the active MAC enforces (SELinux enforcing, AppArmor enabled). */
bool mac_enforcing(void);

/* A socketpair (type SOCK_STREAM or SOCK_SEQPACKET; close-on-exec) created
 * in the VM's SELinux context where SELinux is on, so an MCS-confined VMM
 * may use its end; a plain socketpair elsewhere. 0 or -1 with errno. */
int mac_vmm_socketpair(const char *vm_context, int type, int fds[2]);

/* The type of the VMM's own shared memory in the policy module (lockvm.te). */
#define MAC_VMM_TMPFS_TYPE "lockvm_vm_tmpfs_t"

/* The file context of the VM's own shared memory for process context
 * vm_context: "USER:object_r:" MAC_VMM_TMPFS_TYPE ":LEVEL". 0, or -1 with
 * errno EINVAL when vm_context has no level or out is too small. */
int mac_vmm_file_context(const char *vm_context, char *out, size_t size);

/*
 * Gives memfd `fd` (made by the supervisor, for the VMM to map read-write)
 * the VM's own file context where SELinux is on and vm_context is given:
 * same user and level (s0:cA,cB), type MAC_VMM_TMPFS_TYPE, so the MCS-
 * constrained VMM may write it and no other VM may. A no-op elsewhere.
 * Call it after ftruncate and the seals. Returns 0, or -1 with errno set.
 */
int mac_vmm_label_memfd(const char *vm_context, int fd);

#endif
