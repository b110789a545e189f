/* --record FILE.json from the binary record the VMM wrote (common/record_wire.h): checked whole, trusting none of it, then written as JSON (record_json.c). */
#ifndef LOCKVM_RECORD_JSON_H
#define LOCKVM_RECORD_JSON_H

#include <stddef.h>
#include <stdint.h>

/*
 * rec[0, len) is what a possibly compromised VMM wrote. Checks all of it
 * first (every length against len and the bounds of record_wire.h, every
 * count against the bytes there, every index against the paths), then
 * writes the JSON to fd. Returns 0; -1 when the record is not a whole
 * one, with the reason (one line) in why and nothing written to fd; -2
 * when a write to fd failed (errno).
 */
int record_json_write(const uint8_t *rec, size_t len, int fd, char *why, size_t whylen);

#endif
