/* The lifecycle event journal under the root: one JSON line per event, appended, capped like a VM's log. */
#include "events.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "paths.h"
#include "util.h"

/* The longest event line read back (one event is a few hundred bytes). */
#define EVENTS_LINE_MAX 4096

static int journal_paths(char *path, char *old_path)
{
	if (paths_join(path, PATH_MAX, PATHS_LOG_DIR, EVENTS_FILE) < 0)
		return -1;
	return paths_join(old_path, PATH_MAX, PATHS_LOG_DIR, EVENTS_FILE ".1");
}

void events_append(const char *type, const char *name, json_object *attrs, uint64_t cap)
{
	char path[PATH_MAX], old_path[PATH_MAX];
	json_object *event = json_object_new_object();
	json_object_object_add(event, "time", json_object_new_int64((int64_t)time(NULL)));
	json_object_object_add(event, "type", json_object_new_string(type));
	json_object_object_add(event, "name", json_object_new_string(name));
	if (attrs) {
		json_object_object_foreach(attrs, key, value)
		{
			json_object_object_add(event, key, json_object_get(value));
		}
		json_object_put(attrs);
	}
	const char *text = json_object_to_json_string_ext(
	    event, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (paths_mkdir(PATHS_LOG_DIR) < 0 || journal_paths(path, old_path) < 0) {
		warn_errno("events: %s/%s", paths_root(), PATHS_LOG_DIR);
		json_object_put(event);
		return;
	}
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
	struct stat st;
	/* One lock for the size check, the rename and the write: appenders
	 * never lose a line to a rotation. */
	if (fd >= 0 && flock(fd, LOCK_EX) == 0 && fstat(fd, &st) == 0 &&
	    (uint64_t)st.st_size + strlen(text) + 1 > cap / 2 && rename(path, old_path) == 0) {
		close(fd);
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
		if (fd >= 0)
			(void)flock(fd, LOCK_EX);
	}
	if (fd < 0 || dprintf(fd, "%s\n", text) < 0)
		warn_errno("events: appending '%s' for %s to %s", type, name, path);
	if (fd >= 0)
		close(fd);
	json_object_put(event);
}

void events_emit(const char *type, const char *name, json_object *attrs)
{
	struct lockvm_config cfg;
	char err[PATH_MAX + 256];
	if (config_load(&cfg, err, sizeof(err)) < 0)
		config_defaults(&cfg);
	events_append(type, name, attrs, cfg.log_size_max);
}

/* Reads the part at path from byte *offset; leaves the end in *offset. */
static int read_part(const char *path, void (*fn)(json_object *, void *), void *ctx,
		     uint64_t *offset)
{
	char line[EVENTS_LINE_MAX];
	FILE *f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -1;
	if (*offset && fseeko(f, (off_t)*offset, SEEK_SET) < 0) {
		fclose(f);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		size_t len = strlen(line);
		if (len == 0 || line[len - 1] != '\n')
			break; /* a line being written: read it next time */
		*offset += len;
		json_object *event = json_tokener_parse(line);
		if (event && json_object_is_type(event, json_type_object))
			fn(event, ctx);
		json_object_put(event);
	}
	fclose(f);
	return 0;
}

int events_read(void (*fn)(json_object *event, void *ctx), void *ctx, struct events_cursor *cursor)
{
	char path[PATH_MAX], old_path[PATH_MAX];
	struct stat st;
	uint64_t old = 0;
	if (journal_paths(path, old_path) < 0)
		return -1;
	if (stat(path, &st) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!cursor->ino) {
		if (read_part(old_path, fn, ctx, &old) < 0)
			return -1;
	} else if (cursor->ino != (uint64_t)st.st_ino) {
		/* Rotated since: the rest of the part we read is now ".1". */
		old = cursor->offset;
		if (read_part(old_path, fn, ctx, &old) < 0)
			return -1;
		cursor->offset = 0;
	}
	cursor->ino = (uint64_t)st.st_ino;
	return read_part(path, fn, ctx, &cursor->offset);
}
