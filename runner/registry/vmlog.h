/* A VM's log under var/log/lockvm: console output capped and rotated once, lifecycle lines kept. */
#ifndef LOCKVM_VMLOG_H
#define LOCKVM_VMLOG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The default cap of NAME.log and NAME.log.1 together (README, lockvm.conf [logs]). */
#define VMLOG_SIZE_MAX_DEFAULT (8ULL << 20)
/* The smallest cap: room for the carried lifecycle lines and some console. */
#define VMLOG_SIZE_MAX_MIN (64ULL << 10)
/* Lifecycle lines carried into each new part (beyond: still written, not carried). */
#define VMLOG_LIFECYCLE_MAX (16U << 10)
/* How long gc keeps the log of a VM that no longer runs, by default. */
#define VMLOG_MAX_AGE_DEFAULT_S (7ULL * 24 * 3600)

struct vmlog {
	int fd; /* NAME.log, O_APPEND; -1 before vmlog_open */
	char path[PATH_MAX], old_path[PATH_MAX];
	uint64_t part_max; /* console bytes per part: the two parts stay within the cap */
	uint64_t size;	   /* of NAME.log now */
	uint64_t old_size; /* of NAME.log.1 now */
	uint64_t dropped;  /* bytes lost to rotation so far */
	uint64_t cap;	   /* --log-size-max */
	char lifecycle[VMLOG_LIFECYCLE_MAX];
	size_t lifecycle_len; /* carried into each new part */
};

/* Opens (appends to) NAME.log for a valid VM name with cap bytes for the
 * two parts together (>= VMLOG_SIZE_MAX_MIN). -1 with errno. */
int vmlog_open(struct vmlog *log, const char *name, uint64_t cap);

/* Needs vmlog_open. Writes guest console bytes; first rotates (NAME.log
 * becomes NAME.log.1, the older NAME.log.1 is dropped and counted) when
 * they would take NAME.log past its part of the cap. Best effort: a full
 * disk must not stop the VM. */
void vmlog_console(struct vmlog *log, const void *buf, size_t len);

/* Needs vmlog_open. Writes one timestamped "lockvm: TEXT" line that is
 * never dropped: each new part starts with the lifecycle lines so far. */
void vmlog_lifecycle(struct vmlog *log, const char *text);

void vmlog_close(struct vmlog *log);

/* Parses a duration: digits with an s, m, h or d suffix (no suffix:
 * seconds), e.g. 7d or 12h. 0 or -1. */
int vmlog_parse_age(const char *text, uint64_t *seconds);

/* Removes NAME.log and NAME.log.1 of VMs that do not run (is_live(name)
 * false) and whose log was last written more than max_age_s ago. Returns
 * how many VMs' logs went, or -1 when the log directory cannot be read. */
int vmlog_gc(uint64_t max_age_s, bool (*is_live)(const char *name));

#endif
