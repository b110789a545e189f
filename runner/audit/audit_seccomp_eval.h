/* `lockvm audit seccomp`'s judge: a role's policy compiled as `lockvm run`
 * compiles it, evaluated per syscall and argument class as the kernel would
 * (bpf_eval.c), each allowance classified against audit_seccomp_reference.c. */
#ifndef LOCKVM_AUDIT_SECCOMP_EVAL_H
#define LOCKVM_AUDIT_SECCOMP_EVAL_H

#include <limits.h>
#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "seccomp_policy.h"

/* The raw BPF `lockvm run` hands to the VMM (prologue included). */
struct audit_seccomp_filter {
	struct sock_filter *prog;
	size_t n;
};

/*
 * Compiles policy in kill mode and reads back the exported program
 * (seccomp_policy_export_fd). Returns 0, or -1 with a message in err.
 */
int audit_seccomp_filter_build(const struct seccomp_policy *policy,
			       struct audit_seccomp_filter *filter, char *err, size_t errlen);
void audit_seccomp_filter_free(struct audit_seccomp_filter *filter);

/*
 * The verdict of filter for x86-64 syscall nr with args (arch given, e.g.
 * AUDIT_ARCH_X86_64). Returns 0 with *verdict, or -1 with err (a program
 * the interpreter refuses).
 */
int audit_seccomp_filter_run(const struct audit_seccomp_filter *filter, uint32_t arch, int nr,
			     const uint64_t args[SECCOMP_POLICY_MAX_ARGS], uint32_t *verdict,
			     char *err, size_t errlen);

/* One syscall × argument class the compiled filter lets through. */
struct audit_seccomp_allowance {
	int nr;
	char syscall[40];
	char cls[128];		   /* "any arguments", "request TIOCSTI", "arg0 == 1" */
	char where[PATH_MAX + 16]; /* "FILE:LINE" of the line granting it */
	char finding[256];	   /* why it is wider than the role needs; "" when fine */
	const char *accepted;	   /* the role's declared need covering the finding */
};

struct audit_seccomp_result {
	size_t n;
	struct audit_seccomp_allowance *allowed;
	size_t nfindings; /* findings not accepted: the role fails when > 0 */
};

/*
 * Evaluates filter (compiled from policy, whose lines are named in
 * findings) for role over every x86-64 syscall, the i386 and x32 ABIs, and
 * the argument classes that matter; also tries the argument values other's
 * rules name (may be NULL; --diff passes the other side). Returns 0, or -1
 * with a message in err.
 */
int audit_seccomp_evaluate(const char *role, const struct audit_seccomp_filter *filter,
			   const struct seccomp_policy *policy, const struct seccomp_policy *other,
			   struct audit_seccomp_result *result, char *err, size_t errlen);
void audit_seccomp_result_free(struct audit_seccomp_result *result);

#endif
