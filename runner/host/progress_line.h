/* The progress line of save, restore, migrate and incoming: one updating line on a terminal, JSON lines otherwise. */
#ifndef LOCKVM_PROGRESS_LINE_H
#define LOCKVM_PROGRESS_LINE_H

#include <stdbool.h>
#include <stdint.h>

#include "control_wire.h"

/* At most this often a line (the VMM sends at most as often). */
#define PROGRESS_LINE_INTERVAL_NS 100000000ULL
/* A transfer smaller than this ends in a blink: no line at all, so that a
 * refused small stream stays one line of error. */
#define PROGRESS_LINE_MIN_BYTES (16ULL << 20)

struct progress_line {
	const char *op, *vm; /* "save", "restore", "migrate", "incoming"; the VM's name */
	bool terminal;	     /* stderr is a terminal and no --json: one "\r" line */
	bool shown;	     /* a terminal line is up (needs its newline) */
	uint64_t start_ns, shown_ns;
	struct control_msg last; /* the VMM's latest figures */
};

/* json: JSON lines even on a terminal. */
void progress_line_init(struct progress_line *pl, const char *op, const char *vm, bool json);
/* A CONTROL_PROGRESS message from the VMM (untrusted figures, bounded
 * here): shown unless the last line is younger than the interval or the
 * transfer is below PROGRESS_LINE_MIN_BYTES. */
void progress_line_update(struct progress_line *pl, const struct control_msg *m);
/* The transfer ended well after `bytes` stream bytes: the last line says
 * bytes of bytes, 100%. */
void progress_line_done(struct progress_line *pl, uint64_t bytes);
/* The transfer failed: ends a terminal line so the error starts a line. */
void progress_line_abort(struct progress_line *pl);

#endif
