/* Strict readers over a json-c document for config.json: typed fields, known keys, bounded strings. */
#include "oci_json.h"

#include <errno.h>
#include <string.h>

#include "oci_config.h"
#include "util.h"

int ojson_keys_known(json_object *o, const char *where, const char *const *known, char *err,
		     size_t errlen)
{
	if (!o)
		return 0;
	json_object_object_foreach(o, key, value)
	{
		(void)value;
		bool found = false;
		for (const char *const *k = known; *k && !found; k++)
			found = strcmp(*k, key) == 0;
		if (!found)
			return err_fmt(err, errlen, "%s.%.64s: unknown field", where, key);
	}
	return 0;
}

static const char *type_name(json_type type)
{
	switch (type) {
	case json_type_string: return "a string";
	case json_type_int: return "an integer";
	case json_type_boolean: return "a boolean";
	case json_type_array: return "an array";
	case json_type_object: return "an object";
	default: return "a value";
	}
}

json_object *ojson_get(json_object *o, const char *key, json_type type, const char *where,
		       bool *bad, char *err, size_t errlen)
{
	json_object *v = NULL;
	if (!o || !json_object_object_get_ex(o, key, &v) || !v)
		return NULL;
	if (!json_object_is_type(v, type)) {
		*bad = true;
		err_fmt(err, errlen, "%s.%s: want %s", where, key, type_name(type));
		return NULL;
	}
	return v;
}

/* A string value with no NUL inside and of a sane length. */
static int checked_string(json_object *v, const char *where, const char *key, const char **out,
			  char *err, size_t errlen)
{
	const char *s = json_object_get_string(v);
	size_t len = (size_t)json_object_get_string_len(v);
	if (len > OCI_MAX_STRING || strlen(s) != len)
		return err_fmt(err, errlen, "%s.%s: a string with a NUL or over %u bytes", where,
			       key, OCI_MAX_STRING);
	*out = s;
	return 0;
}

int ojson_string(json_object *o, const char *key, const char *where, const char **out, char *err,
		 size_t errlen)
{
	bool bad = false;
	*out = NULL;
	json_object *v = ojson_get(o, key, json_type_string, where, &bad, err, errlen);
	if (bad)
		return -1;
	return v ? checked_string(v, where, key, out, err, errlen) : 0;
}

int ojson_int(json_object *o, const char *key, const char *where, int64_t min, int64_t max,
	      int64_t *out, bool *set, char *err, size_t errlen)
{
	bool bad = false;
	*set = false;
	json_object *v = ojson_get(o, key, json_type_int, where, &bad, err, errlen);
	if (bad)
		return -1;
	if (!v)
		return 0;
	errno = 0;
	int64_t n = json_object_get_int64(v);
	/* json-c saturates out-of-range numbers; a uint64 above INT64_MAX too. */
	if (errno || n < min || n > max || (json_object_get_uint64(v) > (uint64_t)INT64_MAX))
		return err_fmt(err, errlen, "%s.%s: %.30s is out of range", where, key,
			       json_object_to_json_string(v));
	*out = n;
	*set = true;
	return 0;
}

int ojson_strings(json_object *o, const char *key, const char *where, const char **out, int max,
		  int *count, char *err, size_t errlen)
{
	bool bad = false;
	*count = 0;
	out[0] = NULL;
	json_object *v = ojson_get(o, key, json_type_array, where, &bad, err, errlen);
	if (bad)
		return -1;
	if (!v)
		return 0;
	size_t n = json_object_array_length(v);
	if (n > (size_t)max)
		return err_fmt(err, errlen, "%s.%s: %zu entries, at most %d", where, key, n, max);
	for (size_t i = 0; i < n; i++) {
		json_object *item = json_object_array_get_idx(v, i);
		if (!json_object_is_type(item, json_type_string))
			return err_fmt(err, errlen, "%s.%s[%zu]: want a string", where, key, i);
		if (checked_string(item, where, key, &out[i], err, errlen) < 0)
			return -1;
	}
	out[n] = NULL;
	*count = (int)n;
	return 0;
}

static bool is_empty(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null: return true;
	case json_type_boolean: return !json_object_get_boolean(v);
	case json_type_int: return json_object_get_int64(v) == 0;
	case json_type_string: return json_object_get_string_len(v) == 0;
	case json_type_array: return json_object_array_length(v) == 0;
	case json_type_object: return json_object_object_length(v) == 0;
	default: return false;
	}
}

int ojson_refuse_set(json_object *o, const char *key, const char *where, const char *why, char *err,
		     size_t errlen)
{
	json_object *v = NULL;
	if (!o || !json_object_object_get_ex(o, key, &v) || !v || is_empty(v))
		return 0;
	return err_fmt(err, errlen, "%s.%s: not supported: %s", where, key, why);
}
