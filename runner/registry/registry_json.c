/* json-c field writers and readers shared by state.json (registry.c) and image records (images.c). */
#include "registry_json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "paths.h"
#include "registry.h"

#define STATE_MAX (256 << 10) /* a state file larger than this is not ours */

void add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

void add_int(json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

const char *get_str(struct reader *r, const char *k, char *out, size_t size)
{
	json_object *v;
	if (!json_object_object_get_ex(r->o, k, &v) || !json_object_is_type(v, json_type_string) ||
	    (size_t)json_object_get_string_len(v) >= size) {
		if (!r->bad)
			r->bad = k;
		out[0] = '\0';
		return out;
	}
	memcpy(out, json_object_get_string(v), (size_t)json_object_get_string_len(v) + 1);
	return out;
}

int64_t get_int(struct reader *r, const char *k, int64_t lo, int64_t hi)
{
	json_object *v;
	if (!json_object_object_get_ex(r->o, k, &v) || !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < lo || json_object_get_int64(v) > hi) {
		if (!r->bad)
			r->bad = k;
		return lo;
	}
	return json_object_get_int64(v);
}

bool get_bool(struct reader *r, const char *k)
{
	json_object *v;
	if (!json_object_object_get_ex(r->o, k, &v) || !json_object_is_type(v, json_type_boolean)) {
		if (!r->bad)
			r->bad = k;
		return false;
	}
	return json_object_get_boolean(v);
}

json_object *parse_file(const char *path, char *err, size_t errlen)
{
	size_t len;
	char *text = paths_read_file(path, STATE_MAX, &len);
	if (!text) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	enum json_tokener_error jerr;
	json_object *o = json_tokener_parse_verbose(text, &jerr);
	free(text);
	if (!o || !json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "%s: corrupt (%s); not trusted", path,
			 o ? "not a JSON object" : json_tokener_error_desc(jerr));
		if (o)
			json_object_put(o);
		return NULL;
	}
	json_object *f;
	if (!json_object_object_get_ex(o, "format", &f) || !json_object_is_type(f, json_type_int) ||
	    json_object_get_int64(f) != REGISTRY_FORMAT) {
		snprintf(err, errlen,
			 "%s: registry format %s, this lockvm reads format %d; not trusted", path,
			 f ? json_object_to_json_string(f) : "missing", REGISTRY_FORMAT);
		json_object_put(o);
		return NULL;
	}
	return o;
}
