/* Shared by the seccomp policy files only (seccomp_table.c, seccomp_rule.c,
 * seccomp_parse.c, seccomp_compile.c); other modules use seccomp_policy.h. */
#ifndef LOCKVM_SECCOMP_INTERNAL_H
#define LOCKVM_SECCOMP_INTERNAL_H

#include "seccomp_policy.h"

#include <linux/filter.h>

/* Not yet in Debian 12's headers; the kernels we run on (>= 6.3) know them. */
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

/* Largest errno a seccomp filter may return (the kernel's MAX_ERRNO). */
#define SECCOMP_POLICY_MAX_ERRNO 4095

/* seccomp_table.c: the value of named constant name (KVM_RUN, PROT_READ,
 * ...). Returns 0, or -1 when the table lacks it. */
int seccomp_policy_constant_lookup(const char *name, uint64_t *value);

/* seccomp_table.c: the errno called name ("EPERM"), or 0 when unknown. */
int seccomp_policy_errno_lookup(const char *name);

/* seccomp_rule.c: frees the comparisons' texts and empties rule. */
void seccomp_policy_rule_clear(struct seccomp_policy_rule *rule);

/* seccomp_rule.c: same comparisons, in the same order, with the same values. */
bool seccomp_policy_rule_equal(const struct seccomp_policy_rule *a,
			       const struct seccomp_policy_rule *b);

/* seccomp_compile.c: the raw prologue every exported program begins with
 * (a foreign-arch or x32 call killed); *len gets its size in bytes. */
const struct sock_filter *seccomp_policy_prologue(size_t *len);

/* seccomp_compile.c: a sealed, read-only memfd holding the len bytes of
 * BPF at bpf, as seccomp_policy_export_fd makes; -1 with errno on error. */
int seccomp_policy_bpf_fd(const void *bpf, size_t len);

#endif
