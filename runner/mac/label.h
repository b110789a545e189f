/* Per-VM MAC labels with sVirt semantics: dynamic category pairs, static, group and none. */
#ifndef LOCKVM_LABEL_H
#define LOCKVM_LABEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define LABEL_MAX 256

enum label_kind { LABEL_DYNAMIC, LABEL_STATIC, LABEL_GROUP, LABEL_NONE };

struct vm_label {
	enum label_kind kind;
	int cat_a, cat_b;	 /* the pair (a < b) for dynamic and group; -1 otherwise */
	char process[LABEL_MAX]; /* the VMM's context; "" for none */
	char image[LABEL_MAX];	 /* for read-write disks */
	char content[LABEL_MAX]; /* for read-only and shared disks (no categories) */
	char group[65];		 /* LABEL_GROUP only */
};

/* "dynamic", "static", "group", "none". */
const char *label_kind_name(enum label_kind kind);

/* A category pair as one number, for sets of pairs in use. */
static inline uint32_t label_pair_key(int a, int b)
{
	return (uint32_t)a << 16 | (uint32_t)b;
}

/*
 * Picks a pair A < B at random within [cfg->cat_lo, cfg->cat_hi] that is not
 * in used (n keys from label_pair_key). The caller holds the registry lock,
 * which makes the choice unique among live VMs. Returns 0, or -1 when every
 * pair is taken.
 */
int label_pick_pair(const struct lockvm_config *cfg, const uint32_t *used, size_t n, int *a,
		    int *b);

/* Fills process, image and content from kind and the pair (dynamic, group)
 * or from a static process context already in label->process. */
void label_format(const struct lockvm_config *cfg, struct vm_label *label);

/*
 * Checks a --label CONTEXT: user:role:type:level with an MLS/MCS level
 * (s0, s0:c1,c2, s0-s0:c0.c1023); with SELinux enabled, also that the
 * loaded policy accepts it. Returns 0, or -1 with the reason in err.
 */
int label_static_check(const char *context, char *err, size_t errlen);

/* The level of a user:role:type:level context (what follows its third
 * ':'), or NULL when it has fewer parts. */
const char *label_level(const char *context);

/* Reads the pair out of a context "...:s0:cA,cB". Returns 0 or -1. */
int label_pair_of(const char *context, int *a, int *b);

/* Which MAC labels mean something here: "selinux", "apparmor" or "none", and
 * its mode: "enforcing", "permissive" or "not enforced". */
const char *label_mac_model(void);
const char *label_mac_mode(void);

/* File labels through an fd (an O_PATH one too, through its /proc/self/fd
 * link: no open, no read permission needed); both are no-ops returning 0 ("" read) when
 * SELinux is not enabled. Return 0 or -1 with errno. */
int label_file_get(int fd, char *out, size_t size);
int label_file_set(int fd, const char *context);

/* For unit tests on hosts without SELinux: replaces what label_file_get
 * and label_file_set do (fgetfilecon/fsetfilecon when SELinux is on);
 * NULL puts the real ones back. */
struct label_file_ops {
	int (*get)(int fd, char *out, size_t size);
	int (*set)(int fd, const char *context);
};
void label_file_ops_set(const struct label_file_ops *ops);

#endif
