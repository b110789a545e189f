/* --record FILE: the supervisor opens FILE before the VM starts (a bad one is refused, 125), gives the VMM a memfd to write the binary record into as the VM ends, and once the VMM is gone writes FILE as JSON from it (record_json.c); a VMM that wrote no whole record leaves a record saying so. */
#include "run_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "launch.h"
#include "record_json.h"
#include "util.h"

void open_record(struct run_options *o)
{
	if (!o->record)
		return;
	/* Not through a symlink at its end, never a FIFO or device (O_NONBLOCK:
	 * a FIFO without a reader fails at once instead of waiting). */
	int fd = open(o->record,
		      O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0644);
	if (fd < 0 && errno == ELOOP)
		die("--record %s: a symbolic link; give the path of a regular file", o->record);
	if (fd < 0)
		die_errno("--record %s", o->record);
	struct stat sb;
	if (fstat(fd, &sb) < 0)
		die_errno("--record %s", o->record);
	if (!S_ISREG(sb.st_mode))
		die("--record %s: not a regular file", o->record);
	/* An older record there is replaced, as `> FILE` would. */
	if (fcntl(fd, F_SETFL, 0) < 0 || ftruncate(fd, 0) < 0)
		die_errno("--record %s", o->record);
	o->record_fd = fd;
	o->record_memfd = memfd_create("lockvm-record", MFD_CLOEXEC);
	if (o->record_memfd < 0)
		die_errno("--record: memfd_create");
}

/* What FILE says when the VMM wrote no whole record (killed first). */
static void record_missing(const struct run_options *o, const char *why)
{
	json_object *r = json_object_new_object();
	json_object_object_add(r, "version", json_object_new_int(1));
	json_object_object_add(r, "complete", json_object_new_boolean(false));
	json_object_object_add(r, "truncated", json_object_new_boolean(true));
	json_object_object_add(r, "reason", json_object_new_string(why));
	json_object_object_add(r, "paths", json_object_new_array());
	json_object_object_add(r, "renames", json_object_new_array());
	json_object_object_add(r, "processes", json_object_new_array());
	const char *text = json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN);
	if (ftruncate(o->record_fd, 0) < 0 || write_all(o->record_fd, text, strlen(text)) < 0 ||
	    write_all(o->record_fd, "\n", 1) < 0)
		warn_errno("--record %s", o->record);
	json_object_put(r);
}

void deliver_record(struct run_options *o, const struct run_state *st)
{
	if (o->record_fd < 0)
		return;
	struct stat sb;
	uint8_t *rec = NULL;
	size_t len = 0;
	char why[256] = "";
	/* Read whole into the supervisor's memory (no mapping: nothing the
	 * VMM left can change it under the parser). */
	if (!st->vmm_signal && fstat(o->record_memfd, &sb) == 0 && sb.st_size > 0) {
		if ((uint64_t)sb.st_size > LAUNCH_RECORD_MAX_OUTPUT)
			snprintf(why, sizeof(why), "%jd bytes, past the bound of %u",
				 (intmax_t)sb.st_size, LAUNCH_RECORD_MAX_OUTPUT);
		else if (!(rec = malloc((size_t)sb.st_size)))
			snprintf(why, sizeof(why), "out of memory for %jd bytes",
				 (intmax_t)sb.st_size);
		else if (pread(o->record_memfd, rec, (size_t)sb.st_size, 0) != sb.st_size)
			snprintf(why, sizeof(why), "reading it: %s", strerror(errno));
		else
			len = (size_t)sb.st_size;
	}
	int rc = len ? record_json_write(rec, len, o->record_fd, why, sizeof(why)) : -1;
	if (rc == -1 && why[0]) {
		char reason[320];
		snprintf(reason, sizeof(reason), "the VMM wrote no whole record: %s", why);
		record_missing(o, reason);
	} else if (rc == -1) {
		char reason[160];
		snprintf(reason, sizeof(reason), "the VMM ended before writing the record%s",
			 st->vmm_signal ? " (killed by a signal)" : "");
		record_missing(o, reason);
	} else if (rc == -2) {
		warn_errno("--record %s: writing", o->record);
	}
	free(rec);
	close(o->record_fd);
	close(o->record_memfd);
	o->record_fd = o->record_memfd = -1;
}
