/* Strict readers over a json-c document: every field typed, every object's keys known. */
#ifndef LOCKVM_OCI_JSON_H
#define LOCKVM_OCI_JSON_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Refuses (err, -1) a key of o that is not in the NULL-ended known list;
 * `where` names o in the message ("process"). o NULL is fine. */
int ojson_keys_known(json_object *o, const char *where, const char *const *known, char *err,
		     size_t errlen);

/* o[key] when it has `type`; NULL when absent or null; a wrong type
 * refuses (*bad set, err filled). */
json_object *ojson_get(json_object *o, const char *key, json_type type, const char *where,
		       bool *bad, char *err, size_t errlen);

/* A string of at most OCI_MAX_STRING bytes without NUL; *out NULL when
 * absent. 0 or -1. */
int ojson_string(json_object *o, const char *key, const char *where, const char **out, char *err,
		 size_t errlen);

/* An integer in [min, max]; *set false when absent. 0 or -1. */
int ojson_int(json_object *o, const char *key, const char *where, int64_t min, int64_t max,
	      int64_t *out, bool *set, char *err, size_t errlen);

/* An array of at most max strings into out[] (NULL-terminated, out has
 * max+1 slots); *count 0 when absent. 0 or -1. */
int ojson_strings(json_object *o, const char *key, const char *where, const char **out, int max,
		  int *count, char *err, size_t errlen);

/* Refuses o[key] when it is present and not empty (null, "", [], {},
 * false and 0 count as empty), saying why a VM cannot honour it. */
int ojson_refuse_set(json_object *o, const char *key, const char *where, const char *why, char *err,
		     size_t errlen);

#endif
