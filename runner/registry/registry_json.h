/* json-c field writers and readers shared by state.json (registry.c) and image records (images.c). */
#ifndef LOCKVM_REGISTRY_JSON_H
#define LOCKVM_REGISTRY_JSON_H

/* Private to the registry's files (registry.c, images.c): the short names
 * are those the code had when it was one file, kept so that it moved
 * unchanged. */

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void add_str(json_object *o, const char *k, const char *v);
void add_int(json_object *o, const char *k, int64_t v);

/* Field readers: each refuses a missing field or a wrong type. */
struct reader {
	json_object *o;
	const char *bad; /* first bad field */
};

/* Copies string field k into out (size bytes); missing, not a string or
 * too long: "" and r->bad set (to the first bad field). Returns out. */
const char *get_str(struct reader *r, const char *k, char *out, size_t size);

/* Integer field k within [lo, hi]; else lo, and r->bad set. */
int64_t get_int(struct reader *r, const char *k, int64_t lo, int64_t hi);

/* Boolean field k; else false, and r->bad set. */
bool get_bool(struct reader *r, const char *k);

/* Reads and parses the JSON object in path (at most 256 KiB) and checks
 * its "format" is REGISTRY_FORMAT. Returns it (json_object_put when done),
 * or NULL with the reason in err: unreadable, corrupt, another format. */
json_object *parse_file(const char *path, char *err, size_t errlen);

#endif
