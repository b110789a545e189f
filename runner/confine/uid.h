/* Per-VM uid/gid leases from a configured range, unique among live VMs. */
#ifndef LOCKVM_UID_H
#define LOCKVM_UID_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Default range: 2000000000-2000099999 (100000 ids). Far above the ranges
 * distributions hand out (system < 1000, users 1000-59999, systemd dynamic
 * users 61184-65519, container subuids typically 100000-...) and below
 * 2^31 so that no tool sees a negative id. The gid equals the uid.
 */
#define UID_RANGE_DEFAULT_FIRST 2000000000u
#define UID_RANGE_DEFAULT_LAST	2000099999u

struct uid_range {
	uint32_t first, last; /* inclusive; first >= 1 */
};

/* A reservation: held while lock_fd is open (flock), released by uid_release. */
struct uid_lease {
	uid_t uid;
	gid_t gid;
	int lock_fd;
	char path[PATH_MAX];
};

/*
 * Reserves an id for one VM: never 0, never a uid in the host's passwd
 * database nor a gid in its group database (getpwuid/getgrgid), and not
 * held by any live lockvm. The reservation is the file
 * <root>/run/lockvm/uids/<uid> holding the owner's pid, created
 * O_CREAT|O_EXCL and flock()ed for as long as the lease lives; a file
 * whose lock is free belongs to a dead owner and is reclaimed. root is the
 * state root ("" or "/" for the real /run). range NULL: the default.
 * Returns 0, or -1 with errno (EAGAIN: range exhausted) and a message.
 * lock_fd is close-on-exec; the sandbox closes it in the child.
 */
int uid_reserve(const char *root, const struct uid_range *range, struct uid_lease *lease);

/* Ends the lease: removes the file, then drops the lock. Idempotent. */
void uid_release(struct uid_lease *lease);

/* Parses "FIRST-LAST" (both in 1..2^31-1, FIRST <= LAST). 0 or -1. */
int uid_range_parse(const char *text, struct uid_range *range);

#endif
