/* A VM's log under var/log/lockvm: console output capped and rotated once, lifecycle lines kept. */
#include "vmlog.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "paths.h"
#include "util.h"

/* Room kept in each part for the rotation line. */
#define VMLOG_NOTE_MAX 256

static int log_paths(const char *name, char *path, char *old_path)
{
	char leaf[PATHS_NAME_MAX + 8];
	snprintf(leaf, sizeof(leaf), "%s.log", name);
	if (paths_join(path, PATH_MAX, PATHS_LOG_DIR, leaf) < 0)
		return -1;
	snprintf(leaf, sizeof(leaf), "%s.log.1", name);
	return paths_join(old_path, PATH_MAX, PATHS_LOG_DIR, leaf);
}

static uint64_t file_size(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0 && S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
}

int vmlog_open(struct vmlog *log, const char *name, uint64_t cap)
{
	log->fd = -1;
	log->lifecycle_len = 0;
	log->dropped = 0;
	log->cap = cap < VMLOG_SIZE_MAX_MIN ? VMLOG_SIZE_MAX_MIN : cap;
	/* Two parts, each with its lifecycle lines and a rotation line:
	 * together never more than the cap. */
	log->part_max = log->cap / 2 - VMLOG_LIFECYCLE_MAX - VMLOG_NOTE_MAX;
	if (paths_mkdir(PATHS_LOG_DIR) < 0)
		return -1;
	if (log_paths(name, log->path, log->old_path) < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	log->fd = open(log->path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (log->fd < 0)
		return -1;
	log->size = file_size(log->path);
	log->old_size = file_size(log->old_path);
	return 0;
}

static void stamp_line(char *out, size_t size, const char *text)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	snprintf(out, size, "%s lockvm: %s\n", stamp, text);
}

static void write_counted(struct vmlog *log, const void *buf, size_t len)
{
	if (write_all(log->fd, buf, len) == 0)
		log->size += len;
}

/* NAME.log becomes NAME.log.1 (the older NAME.log.1 is dropped); the new
 * NAME.log starts with the lifecycle lines and says what was dropped.
 * NAME.log never goes missing: the new part is made beside it and renamed
 * over it, so `lockvm logs` opening it meanwhile gets one part or the
 * other, never ENOENT. */
static void rotate(struct vmlog *log)
{
	char text[VMLOG_NOTE_MAX - 40], line[VMLOG_NOTE_MAX];
	char next[sizeof(log->path) + 8], held[sizeof(log->path) + 8];
	snprintf(next, sizeof(next), "%s.next", log->path);
	snprintf(held, sizeof(held), "%s.held", log->path);
	(void)unlink(next);
	(void)unlink(held);
	int fd = open(next, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0)
		return; /* keep appending: a log over its cap beats no log */
	if (link(log->path, held) < 0 || rename(held, log->old_path) < 0 ||
	    rename(next, log->path) < 0) {
		close(fd);
		(void)unlink(next);
		(void)unlink(held);
		return;
	}
	log->dropped += log->old_size;
	close(log->fd);
	log->fd = fd;
	log->old_size = log->size;
	log->size = 0;
	write_counted(log, log->lifecycle, log->lifecycle_len);
	snprintf(text, sizeof(text),
		 "log rotated (cap %" PRIu64 " bytes): earlier output in %s.1, %" PRIu64
		 " bytes before it dropped",
		 log->cap, strrchr(log->path, '/') + 1, log->dropped);
	stamp_line(line, sizeof(line), text);
	write_counted(log, line, strlen(line));
}

void vmlog_console(struct vmlog *log, const void *buf, size_t len)
{
	if (log->fd < 0)
		return;
	/* A chunk larger than a part keeps only its end. */
	if (len > log->part_max) {
		log->dropped += len - log->part_max;
		buf = (const char *)buf + (len - log->part_max);
		len = log->part_max;
	}
	if (log->size + len > log->part_max + log->lifecycle_len + VMLOG_NOTE_MAX)
		rotate(log);
	write_counted(log, buf, len);
}

void vmlog_lifecycle(struct vmlog *log, const char *text)
{
	char line[1100];
	if (log->fd < 0)
		return;
	stamp_line(line, sizeof(line), text);
	size_t len = strlen(line);
	if (log->lifecycle_len + len <= sizeof(log->lifecycle)) {
		memcpy(log->lifecycle + log->lifecycle_len, line, len);
		log->lifecycle_len += len;
	}
	write_counted(log, line, len);
}

void vmlog_close(struct vmlog *log)
{
	if (log->fd >= 0)
		close(log->fd);
	log->fd = -1;
}

int vmlog_parse_age(const char *text, uint64_t *seconds)
{
	static const struct {
		char suffix;
		uint64_t scale;
	} units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
	char digits[24];
	size_t n = strlen(text);
	uint64_t scale = 1, value;
	if (n == 0 || n >= sizeof(digits))
		return -1;
	memcpy(digits, text, n + 1);
	for (size_t i = 0; i < ARRAY_SIZE(units); i++)
		if (digits[n - 1] == units[i].suffix) {
			scale = units[i].scale;
			digits[n - 1] = '\0';
		}
	if (parse_uint(digits, 0, UINT64_MAX / 86400, &value) < 0)
		return -1;
	*seconds = value * scale;
	return 0;
}

int vmlog_gc(uint64_t max_age_s, bool (*is_live)(const char *name))
{
	char **names, path[PATH_MAX], old_path[PATH_MAX];
	size_t n;
	int removed = 0;
	if (paths_names(PATHS_LOG_DIR, ".log", &names, &n) < 0)
		return errno == ENOENT ? 0 : -1;
	time_t now = time(NULL);
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		if (log_paths(names[i], path, old_path) < 0 || lstat(path, &st) < 0 ||
		    !S_ISREG(st.st_mode) || is_live(names[i]))
			continue;
		if ((uint64_t)(now - st.st_mtime) < max_age_s)
			continue;
		unlink(old_path);
		if (unlink(path) == 0)
			removed++;
	}
	paths_names_free(names, n);
	return removed;
}
