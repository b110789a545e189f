/* How far a save, migration or restore is, told to the supervisor on the control socket (VMM side). */
#ifndef LOCKVM_MIGRATE_PROGRESS_H
#define LOCKVM_MIGRATE_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

#include "control_wire.h"
#include "snapshot.h"

/* At most this often a CONTROL_PROGRESS message (the renderer shows <= 10/s). */
#define PROGRESS_INTERVAL_NS 100000000ULL

struct migrate_progress {
	struct snapshot_progress base; /* first: snapshot.c calls base.tick */
	int fd;			       /* the control socket; -1: nobody listens */
	uint64_t start_ns, sent_ns;
	struct control_msg m; /* op CONTROL_PROGRESS and the figures so far */
};

/* Starts counting a transfer of `expected` stream bytes (0: unknown). */
void migrate_progress_begin(struct migrate_progress *p, int fd, uint64_t expected);
/* Sends the figures if the last message is PROGRESS_INTERVAL_NS old, or
 * now with force; never blocks (a full socket drops the message). */
void migrate_progress_send(struct migrate_progress *p, bool force);

#endif
