/* What a --linux program sees of itself (--user, --group-add, --hostname, --rlimit): the VM's view only, parsed by the supervisor and checked again by the VMM. */
#ifndef LOCKVM_IDENT_H
#define LOCKVM_IDENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IDENT_HOSTNAME_MAX  64		/* bytes, as Linux's __NEW_UTS_LEN */
#define IDENT_MAX_GROUPS    32		/* --group-add entries */
#define IDENT_RLIMITS	    16		/* RLIMIT_CPU (0) .. RLIMIT_RTTIME (15) */
#define IDENT_ID_MAX	    4294967294U /* (uid_t)-1 means "unchanged" to Linux */
#define IDENT_INFINITY	    UINT64_MAX	/* RLIM_INFINITY */
#define IDENT_RLIMIT_NOFILE 7

struct ident_rlimit {
	uint64_t cur, max;
};

/* --user UID[:GID]: decimal ids up to IDENT_ID_MAX; GID defaults to 0 (the
 * VM's root group). Returns 0, or -1 with a one-line reason in err. */
int ident_parse_user(const char *text, uint32_t *uid, uint32_t *gid, char *err, size_t errlen);

/* --group-add GID: one decimal id. 0 or -1 with err. */
int ident_parse_gid(const char *text, uint32_t *gid, char *err, size_t errlen);

/* --hostname NAME: 1 to 64 bytes as sethostname(2) takes, and no control
 * byte (the name is printed in logs). 0 or -1 with err. */
int ident_check_hostname(const char *name, char *err, size_t errlen);

/*
 * --rlimit NAME=SOFT[:HARD]: NAME as ulimit and podman's --ulimit name it
 * (nofile, nproc, core, ...; RLIMIT_ prefix and case ignored), SOFT and
 * HARD decimal or "unlimited"/-1; HARD defaults to SOFT; SOFT <= HARD.
 * Returns 0 with the resource number and limits, or -1 with err.
 */
int ident_parse_rlimit(const char *text, unsigned *resource, struct ident_rlimit *lim, char *err,
		       size_t errlen);

/* The resource number of a name ("nofile", "RLIMIT_NOFILE"), or -1. */
int ident_rlimit_number(const char *name);
/* The short name of a resource number ("nofile"), NULL past the table. */
const char *ident_rlimit_name(unsigned resource);

#endif
