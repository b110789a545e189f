/* Seccomp allowlist files (host side): the policy language, its parser
 * (seccomp_parse.c, seccomp_rule.c, seccomp_table.c) and its compiler to BPF
 * handed over in a memfd (seccomp_compile.c). The VMM only installs the
 * result: seccomp_install.h. */
#ifndef LOCKVM_SECCOMP_POLICY_H
#define LOCKVM_SECCOMP_POLICY_H

#include <seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Policy language (one statement per line, '#' starts a comment):
 *
 *   SYSCALL: 1                      always allowed
 *   SYSCALL: return ERRNO           fails with ERRNO (name such as EPERM, or
 *                                   a number 1-4095) instead of running
 *   SYSCALL: EXPR                   allowed when EXPR holds
 *   @include NAME                   NAME is read relative to the directory of
 *                                   the including file; ".policy" is appended
 *                                   when NAME has no such suffix
 *
 *   EXPR   := RULE ('||' RULE)*     alternatives, one libseccomp rule each
 *   RULE   := CMP ('&&' CMP)*       all must hold
 *   CMP    := argN '==' VALUE       argument equals VALUE
 *           | argN '!=' VALUE       argument differs from VALUE
 *           | argN '&' VALUE        every bit of VALUE is set: (argN & V) == V
 *           | argN 'in' VALUE       no bit outside VALUE is set: (argN & ~V) == 0
 *   VALUE  := ATOM ('|' ATOM)*      bitwise or
 *   ATOM   := decimal | 0xHEX | NAMED_CONSTANT (KVM_*, O_*, PROT_*, ...)
 *
 * N is 0-5; arguments are compared as 64-bit values. Within one RULE an
 * argument may carry several '&'/'in'/'==' comparisons (they are merged into
 * one masked comparison, as libseccomp allows one per argument) but '!=' must
 * be its only comparison. The same syscall may appear on several lines (its
 * rules are added together) but only with one action.
 */

#define SECCOMP_POLICY_MAX_ARGS		 6
#define SECCOMP_POLICY_MAX_INCLUDE_DEPTH 8

/* What happens to a syscall no line allows. */
enum seccomp_policy_mode {
	SECCOMP_POLICY_MODE_KILL, /* kill the whole process (production) */
	SECCOMP_POLICY_MODE_LOG,  /* allow and log via audit (learning) */
	SECCOMP_POLICY_MODE_TRAP, /* deliver SIGSYS (debugging a handler) */
};

enum seccomp_policy_op {
	SECCOMP_POLICY_OP_EQ,  /* == */
	SECCOMP_POLICY_OP_NE,  /* != */
	SECCOMP_POLICY_OP_ALL, /* &  */
	SECCOMP_POLICY_OP_IN,  /* in */
};

/* One comparison as written; text keeps the constant names for review. */
struct seccomp_policy_cmp {
	unsigned int arg;
	enum seccomp_policy_op op;
	uint64_t value;
	char *text;
};

/* One alternative: every comparison must hold. */
struct seccomp_policy_rule {
	size_t ncmps;
	struct seccomp_policy_cmp cmps[SECCOMP_POLICY_MAX_ARGS * 2];
	char *file; /* the line that wrote it (an audit finding names it) */
	unsigned int line;
};

/* Everything the policy says about one syscall. */
struct seccomp_policy_entry {
	char *name;
	int nr;
	int errno_value; /* 0: allow, else fail with this errno */
	bool always;	 /* allowed without conditions (rules are then empty) */
	size_t nrules;
	struct seccomp_policy_rule *rules;
	char *file; /* where the syscall first appeared */
	unsigned int line;
	char *always_file; /* the "SYSCALL: 1" line, when always */
	unsigned int always_line;
};

/* Digest size of each file the parser read (BLAKE2b-256). */
#define SECCOMP_POLICY_DIGEST 32

/* One file a policy was read from, and a digest of the bytes parsed
 * (the compiled-filter cache's key, seccomp_cache.h). */
struct seccomp_policy_file {
	char *path; /* as the parser opened it */
	uint8_t digest[SECCOMP_POLICY_DIGEST];
};

/* A parsed policy: entries sorted by syscall name; files in reading order. */
struct seccomp_policy {
	size_t nentries;
	struct seccomp_policy_entry *entries;
	size_t nfiles;
	struct seccomp_policy_file *files;
};

/*
 * Parses the policy file at path and everything it includes. Returns the
 * policy, or NULL with "FILE:LINE: message" (or "FILE: message" when the file
 * itself cannot be read) in err.
 */
struct seccomp_policy *seccomp_policy_parse_file(const char *path, char *err, size_t errlen);
void seccomp_policy_free(struct seccomp_policy *policy);

/* Writes one normalized line per syscall (numbers, not names) to out. */
void seccomp_policy_dump(const struct seccomp_policy *policy, FILE *out);

/* Formats one rule as written ("arg1 == KVM_RUN && ...") into buf. */
void seccomp_policy_rule_text(const struct seccomp_policy_rule *rule, bool numeric, char *buf,
			      size_t buflen);

/*
 * How rule constrains argument arg once its comparisons are merged: sets
 * *mask and *datum so that the rule needs (arg & *mask) == *datum and
 * returns true; returns false when the argument is unconstrained or only
 * tested with '!='.
 */
bool seccomp_policy_rule_arg_mask(const struct seccomp_policy_rule *rule, unsigned int arg,
				  uint64_t *mask, uint64_t *datum);

/*
 * Lowers a rule to libseccomp comparisons, one per argument:
 * '==', '&' and 'in' on one argument merge into a single masked-equal test.
 * Returns the number of comparisons, or -1 with a message (without
 * location) in msg. The parser calls it to refuse what cannot be compiled;
 * `lockvm audit seccomp` to name the line a filter's verdict comes from.
 */
int seccomp_policy_rule_lower(const struct seccomp_policy_rule *rule,
			      struct scmp_arg_cmp out[SECCOMP_POLICY_MAX_ARGS], char *msg,
			      size_t msglen);

/* Name of errno value e ("EPERM"), or NULL when the table lacks it. */
const char *seccomp_policy_errno_name(int e);

/* Parses "kill", "log" or "trap". Returns 0, or -1 for anything else. */
int seccomp_policy_mode_parse(const char *text, enum seccomp_policy_mode *mode);

/*
 * Builds a libseccomp filter for x86_64 from policy: unlisted syscalls get
 * the mode's action, other architectures are killed. Returns the context
 * (free with seccomp_release) or NULL with a message in err.
 */
scmp_filter_ctx seccomp_policy_compile(const struct seccomp_policy *policy,
				       enum seccomp_policy_mode mode, char *err, size_t errlen);

/* seccomp_policy_parse_file() then seccomp_policy_compile(). */
scmp_filter_ctx seccomp_policy_compile_file(const char *path, enum seccomp_policy_mode mode,
					    char *err, size_t errlen);

/*
 * Exports ctx as raw BPF into a sealed memfd, positioned at offset 0, for a
 * supervisor to hand to the VMM. The program starts with a prologue that
 * kills any non-x86_64 or x32 syscall whatever the mode. Returns the fd
 * (close-on-exec) or -1 with errno set. The VMM installs it with
 * seccomp_policy_install_fd (seccomp_install.h).
 */
int seccomp_policy_export_fd(scmp_filter_ctx ctx);

/* The shipped policies' directory: $LOCKVM_POLICY_DIR, else the compiled-in
 * one (install_seccomp_dir). Dies if it does not fit. */
void seccomp_policy_default_dir(char *dir, size_t dirlen);

#endif
