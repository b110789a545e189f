/* Landlock for the VMM: a ruleset handling every right of the running ABI, with no rule. */
#ifndef LOCKVM_LANDLOCK_H
#define LOCKVM_LANDLOCK_H

#include <stdbool.h>

/* A tree the VMM serves to a --linux guest: an O_PATH fd of the --fs tree
 * (read) or of a --volume directory (read, and writable when rw). */
struct landlock_tree {
	int fd;
	bool writable;
};

/*
 * The Landlock ABI version of the running kernel (1..N), 0 when Landlock is
 * not available (not built, or not in the active LSM list), -1 with errno on
 * an unexpected error.
 */
int landlock_abi(void);

/* Results of landlock_restrict_everything() other than -1. */
enum landlock_status {
	LANDLOCK_ENFORCED = 0, /* the calling thread and its children are confined */
	LANDLOCK_ABSENT = 1,   /* no Landlock here: the caller must say so in the log */
};

/*
 * Confines the calling process (it must be single-threaded, or call it
 * before creating threads: the domain is inherited by later threads only)
 * with a ruleset that handles every filesystem right, TCP bind/connect
 * (ABI >= 4) and the abstract-unix-socket and signal scopes (ABI >= 6) and
 * grants nothing: no path, no port, no signal or abstract socket outside
 * the domain; except reading files and directories beneath each of the
 * `count` trees, and beneath a writable one making, writing, moving and
 * removing files, directories and symlinks. Needs no_new_privs (or CAP_SYS_ADMIN) set before it.
 * Files opened before keep the rights they were opened with.
 * Returns LANDLOCK_ENFORCED (and *abi_out), LANDLOCK_ABSENT, or -1 with
 * errno when a Landlock call failed.
 */
int landlock_restrict_everything(int *abi_out, const struct landlock_tree *trees, unsigned count);

#endif
