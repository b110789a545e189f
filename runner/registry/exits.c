/* Exit records under run/lockvm/exits/: written by a detached VM's supervisor at its end, read by wait, inspect and list -a. */
#include "exits.h"

#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "paths.h"

static int record_path(const char *name, char *out, size_t len)
{
	char leaf[PATHS_NAME_MAX + 8];
	const char *why;
	if (!paths_name_valid(name, &why)) {
		errno = EINVAL;
		return -1;
	}
	snprintf(leaf, sizeof(leaf), "%s.json", name);
	return paths_join(out, len, PATHS_EXITS_DIR, leaf);
}

int exits_record(const char *name, int status, const char *reason, const char *upper,
		 const char *upper_state)
{
	char path[PATH_MAX];
	if (record_path(name, path, sizeof(path)) < 0 || paths_mkdir(PATHS_EXITS_DIR) < 0)
		return -1;
	json_object *o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "status", json_object_new_int(status));
	json_object_object_add(o, "reason", json_object_new_string(reason));
	json_object_object_add(o, "ended", json_object_new_int64((int64_t)time(NULL)));
	if (upper && upper_state) {
		json_object_object_add(o, "upper", json_object_new_string(upper));
		json_object_object_add(o, "upper_state", json_object_new_string(upper_state));
	}
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	int rc = paths_write_state(path, text, strlen(text), 0600);
	json_object_put(o);
	return rc;
}

int exits_load(const char *name, struct exit_record *r)
{
	char path[PATH_MAX];
	memset(r, 0, sizeof(*r));
	if (record_path(name, path, sizeof(path)) < 0)
		return -1;
	size_t len;
	char *text = paths_read_file(path, 8192, &len); /* a 1 KiB path escaped, and the rest */
	if (!text)
		return -1;
	/* Written by a supervisor under the root: ours, but still typed. */
	json_object *o = json_tokener_parse(text);
	free(text);
	json_object *status, *reason, *ended;
	if (!o || !json_object_object_get_ex(o, "status", &status) ||
	    !json_object_is_type(status, json_type_int) ||
	    !json_object_object_get_ex(o, "reason", &reason) ||
	    !json_object_is_type(reason, json_type_string) ||
	    !json_object_object_get_ex(o, "ended", &ended) ||
	    !json_object_is_type(ended, json_type_int)) {
		json_object_put(o);
		return -1;
	}
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->status = json_object_get_int(status);
	snprintf(r->reason, sizeof(r->reason), "%s", json_object_get_string(reason));
	r->ended = json_object_get_int64(ended);
	json_object *upper, *upper_state; /* optional: a VM with an upper layer written out */
	if (json_object_object_get_ex(o, "upper", &upper) &&
	    json_object_is_type(upper, json_type_string) &&
	    json_object_object_get_ex(o, "upper_state", &upper_state) &&
	    json_object_is_type(upper_state, json_type_string)) {
		snprintf(r->upper, sizeof(r->upper), "%s", json_object_get_string(upper));
		snprintf(r->upper_state, sizeof(r->upper_state), "%s",
			 json_object_get_string(upper_state));
	}
	json_object_put(o);
	return 0;
}

int exits_remove(const char *name)
{
	char path[PATH_MAX];
	if (record_path(name, path, sizeof(path)) < 0)
		return -1;
	return unlink(path);
}

int exits_names(char ***names, size_t *n)
{
	return paths_names(PATHS_EXITS_DIR, ".json", names, n);
}

int exits_gc(int64_t max_age_s)
{
	char **names;
	size_t n;
	int removed = 0;
	if (exits_names(&names, &n) < 0)
		return 0;
	int64_t now = (int64_t)time(NULL);
	for (size_t i = 0; i < n; i++) {
		struct exit_record r;
		if (exits_load(names[i], &r) == 0 && now - r.ended >= max_age_s &&
		    exits_remove(names[i]) == 0)
			removed++;
	}
	paths_names_free(names, n);
	return removed;
}
