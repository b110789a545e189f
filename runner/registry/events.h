/* The lifecycle event journal under the root: one JSON line per event, appended, capped like a VM's log. */
#ifndef LOCKVM_EVENTS_H
#define LOCKVM_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

/* <root>/var/log/lockvm/events.jsonl, and its one older part ".1". */
#define EVENTS_FILE "events.jsonl"

/*
 * Appends one event: {"time": unix seconds, "type": type, "name": name,
 * and attrs' members} (attrs may be NULL; it is consumed). The journal is
 * rotated once under an exclusive lock when it passes half of cap, so the
 * two parts stay within cap. Best effort: an event that cannot be written
 * is said on stderr, never fatal (the VM's life goes on).
 */
void events_append(const char *type, const char *name, json_object *attrs, uint64_t cap);

/* events_append with lockvm.conf's [logs] size_max as the cap. */
void events_emit(const char *type, const char *name, json_object *attrs);

/* Where a reader of the journal is: the current part's inode and offset. */
struct events_cursor {
	uint64_t ino;
	uint64_t offset;
};

/* Calls fn for each event in the journal, oldest first: with a zeroed
 * cursor both parts (".1", then the current one), then only what was
 * added since, also across a rotation. A line that does not parse is
 * skipped. Returns 0, or -1 when the journal cannot be read. */
int events_read(void (*fn)(json_object *event, void *ctx), void *ctx, struct events_cursor *cursor);

#endif
