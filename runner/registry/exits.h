/* Exit records: how a detached VM ended, kept under the root until `lockvm rm` or `gc`. */
#ifndef LOCKVM_EXITS_H
#define LOCKVM_EXITS_H

#include <stddef.h>
#include <stdint.h>

#define PATHS_EXITS_DIR "run/lockvm/exits" /* NAME.json per ended detached VM */

struct exit_record {
	char name[65];
	int status;	  /* lockvm's exit status (0-123 the guest's own, 124, 125, 126, 128+N) */
	char reason[256]; /* "exit status 3", "VMM killed by signal 9 (Killed)", ... */
	int64_t ended;	  /* seconds since the epoch */
	char upper[1024]; /* --fs-upper DIR / --keep-upper: its path; "" without one */
	char upper_state[256]; /* "written", or why it was not ("" without one) */
};

/* Writes NAME's record atomically; upper and upper_state may be NULL (no
 * upper layer was written out). 0 or -1 (errno). */
int exits_record(const char *name, int status, const char *reason, const char *upper,
		 const char *upper_state);

/* Reads NAME's record: 0, or -1 when there is none (or it does not parse). */
int exits_load(const char *name, struct exit_record *r);

/* Removes NAME's record: 0, or -1 when there was none. */
int exits_remove(const char *name);

/* The names of all records, sorted; free with paths_names_free. 0 or -1. */
int exits_names(char ***names, size_t *n);

/* Removes records that ended max_age_s or more seconds ago; returns how many. */
int exits_gc(int64_t max_age_s);

#endif
