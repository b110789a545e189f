/* Unit tests of the supervisor's reader of the VMM's binary --record (runner/host/record_json.c, format common/record_wire.h): a whole record gives the JSON the VMM used to write, and every malformed one (cut, lengths or counts past its bytes, indexes naming no path) is refused with a reason and not a byte written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <json-c/json.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "record_json.h"
#include "record_wire.h"

/* A record being built: the entries after a header filled by finish(). */
struct rec {
	uint8_t buf[1u << 16];
	size_t len;
	uint32_t npaths, nrenames, nprocs;
};

static void begin(struct rec *r)
{
	memset(r, 0, sizeof(*r));
	r->len = RECORD_WIRE_HEADER;
}

static void add_path(struct rec *r, uint16_t ops, uint8_t source, const char *name, size_t len,
		     const char *content)
{
	uint8_t *e = r->buf + r->len;
	memset(e, 0, RECORD_WIRE_PATH);
	record_wire_put16(e + RECORD_WIRE_PATH_OPS, ops);
	e[RECORD_WIRE_PATH_SOURCE] = source;
	record_wire_put32(e + RECORD_WIRE_PATH_LEN, (uint32_t)len);
	if (content) {
		e[RECORD_WIRE_PATH_HASHED] = 1;
		record_wire_put64(e + RECORD_WIRE_PATH_SIZE, strlen(content));
		memset(e + RECORD_WIRE_PATH_SHA256, 0xab, 32);
	}
	memcpy(e + RECORD_WIRE_PATH, name, len);
	r->len += RECORD_WIRE_PATH + len;
	r->npaths++;
}

static void add_rename(struct rec *r, uint32_t from, uint32_t to)
{
	record_wire_put32(r->buf + r->len, from);
	record_wire_put32(r->buf + r->len + 4, to);
	r->len += RECORD_WIRE_RENAME;
	r->nrenames++;
}

static void add_proc(struct rec *r, int pid, int ppid, uint32_t exe, bool ended, int wstatus,
		     const char *argv, size_t argv_len)
{
	uint8_t *e = r->buf + r->len;
	record_wire_put32(e + RECORD_WIRE_PROC_PID, (uint32_t)pid);
	record_wire_put32(e + RECORD_WIRE_PROC_PPID, (uint32_t)ppid);
	record_wire_put32(e + RECORD_WIRE_PROC_EXE, exe);
	record_wire_put32(e + RECORD_WIRE_PROC_ENDED, ended);
	record_wire_put32(e + RECORD_WIRE_PROC_WSTATUS, (uint32_t)wstatus);
	record_wire_put32(e + RECORD_WIRE_PROC_ARGV, (uint32_t)argv_len);
	record_wire_put64(e + RECORD_WIRE_PROC_UTIME, 1000);
	record_wire_put64(e + RECORD_WIRE_PROC_STIME, 2000);
	memcpy(e + RECORD_WIRE_PROC, argv, argv_len);
	r->len += RECORD_WIRE_PROC + argv_len;
	r->nprocs++;
}

static void finish(struct rec *r, uint32_t flags)
{
	memcpy(r->buf + RECORD_WIRE_AT_MAGIC, RECORD_WIRE_MAGIC, 8);
	record_wire_put32(r->buf + RECORD_WIRE_AT_VERSION, RECORD_WIRE_VERSION);
	record_wire_put32(r->buf + RECORD_WIRE_AT_FLAGS, flags);
	record_wire_put32(r->buf + RECORD_WIRE_AT_EXIT_STATUS, 7);
	record_wire_put32(r->buf + RECORD_WIRE_AT_NPATHS, r->npaths);
	record_wire_put32(r->buf + RECORD_WIRE_AT_NRENAMES, r->nrenames);
	record_wire_put32(r->buf + RECORD_WIRE_AT_NPROCS, r->nprocs);
	record_wire_put64(r->buf + RECORD_WIRE_AT_DROPPED_PATHS, 3);
	record_wire_put64(r->buf + RECORD_WIRE_AT_BODY, r->len - RECORD_WIRE_HEADER);
	memcpy(r->buf + r->len, RECORD_WIRE_END, 8);
	r->len += 8;
}

/* The job of linux_record.sh in little: a program, a hostile name, a
 * rename, a process with hostile argv, one killed, one running. */
static void sample(struct rec *r)
{
	begin(r);
	add_path(r, RECORD_OP_EXEC, RECORD_SOURCE_LOWER, "/bin/busybox", 12, "elf");
	add_path(r, RECORD_OP_WRITE | RECORD_OP_CREATE | RECORD_OP_RENAME_FROM, RECORD_SOURCE_UPPER,
		 "/new", 4, NULL);
	add_path(r, RECORD_OP_RENAME_TO, RECORD_SOURCE_UPPER, "/renamed", 8, NULL);
	add_path(r, RECORD_OP_READ, RECORD_SOURCE_VOLUME, "/h/q\"\n\xff", 7, "abc");
	add_path(r, RECORD_OP_STAT | RECORD_OP_ABSENT, RECORD_SOURCE_LOWER, "/etc/passwd", 11,
		 NULL);
	add_rename(r, 1, 2);
	add_proc(r, 1, 0, 0, true, 7 << 8, "sh\0-c\0exit 7", 13);
	add_proc(r, 2, 1, RECORD_WIRE_NO_EXE, true, 9, "arg\xff\0", 5);
	add_proc(r, 3, 1, 4, false, 0, "", 0);
	finish(r, 0);
}

static int out_fd = -1;

static int open_out(void **state)
{
	out_fd = memfd_create("test_record_json", MFD_CLOEXEC);
	return out_fd < 0;
}

static int close_out(void **state)
{
	close(out_fd);
	return 0;
}

/* Runs record_json_write on rec[0, len): its result, the output in *text
 * (NUL-ended, to free) and the reason in why. */
static int convert(const uint8_t *rec, size_t len, char **text, char why[256])
{
	assert_int_equal(ftruncate(out_fd, 0), 0);
	why[0] = '\0';
	int rc = record_json_write(rec, len, out_fd, why, 256);
	off_t size = lseek(out_fd, 0, SEEK_END);
	*text = calloc(1, (size_t)size + 1);
	assert_non_null(*text);
	assert_int_equal(pread(out_fd, *text, (size_t)size, 0), size);
	return rc;
}

/* rec[0, len) must be refused: a reason naming `part`, no output. */
static void refused(const uint8_t *rec, size_t len, const char *part)
{
	char *text, why[256];
	int rc = convert(rec, len, &text, why);
	if (rc != -1 || text[0] || !strstr(why, part))
		fail_msg("expected a refusal naming \"%s\": rc %d why \"%s\", %zu bytes written",
			 part, rc, why, strlen(text));
	free(text);
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;
	if (!json_object_object_get_ex(o, key, &v))
		fail_msg("no \"%s\" in %s", key, json_object_to_json_string(o));
	return v;
}

static void whole_record_gives_the_json(void **state)
{
	static struct rec r;
	sample(&r);
	char *text, why[256];
	assert_int_equal(convert(r.buf, r.len, &text, why), 0);
	json_object *d = json_tokener_parse(text);
	assert_non_null(d);
	assert_true(json_object_get_boolean(get(d, "complete")));
	assert_false(json_object_get_boolean(get(d, "truncated")));
	assert_int_equal(json_object_get_int(get(d, "exit_status")), 7);
	assert_int_equal(json_object_get_int(get(d, "dropped_paths")), 3);
	json_object *paths = get(d, "paths");
	assert_int_equal(json_object_array_length(paths), 5);
	json_object *p0 = json_object_array_get_idx(paths, 0);
	assert_string_equal(json_object_get_string(get(p0, "path")), "/bin/busybox");
	assert_string_equal(json_object_to_json_string(get(p0, "ops")), "[ \"executed\" ]");
	assert_string_equal(json_object_get_string(get(p0, "source")), "lower");
	assert_int_equal(json_object_get_int(get(p0, "size")), 3);
	assert_string_equal(json_object_get_string(get(p0, "sha256")),
			    "abababababababababababababababababababababababababababababababab");
	json_object *p1 = json_object_array_get_idx(paths, 1);
	assert_string_equal(json_object_to_json_string(get(p1, "ops")),
			    "[ \"written\", \"created\", \"renamed_from\" ]");
	assert_false(json_object_object_get_ex(p1, "sha256", NULL));
	json_object *p3 = json_object_array_get_idx(paths, 3);
	assert_string_equal(json_object_get_string(get(p3, "path")), "/h/q\"\n\xEF\xBF\xBD");
	assert_string_equal(json_object_get_string(get(p3, "path_hex")), "2f682f71220aff");
	assert_string_equal(json_object_get_string(get(p3, "source")), "volume");
	json_object *p4 = json_object_array_get_idx(paths, 4);
	assert_string_equal(json_object_to_json_string(get(p4, "ops")), "[ \"stat\", \"absent\" ]");
	json_object *rn = json_object_array_get_idx(get(d, "renames"), 0);
	assert_int_equal(json_object_get_int(get(rn, "from")), 1);
	assert_int_equal(json_object_get_int(get(rn, "to")), 2);
	json_object *procs = get(d, "processes");
	assert_int_equal(json_object_array_length(procs), 3);
	json_object *q0 = json_object_array_get_idx(procs, 0);
	assert_string_equal(json_object_to_json_string(get(q0, "argv")),
			    "[ \"sh\", \"-c\", \"exit 7\" ]");
	assert_string_equal(json_object_get_string(get(q0, "exe")), "/bin/busybox");
	assert_int_equal(json_object_get_int(get(q0, "exit_status")), 7);
	assert_int_equal(json_object_get_int(get(q0, "user_ns")), 1000);
	assert_int_equal(json_object_get_int(get(q0, "system_ns")), 2000);
	json_object *q1 = json_object_array_get_idx(procs, 1);
	assert_int_equal(json_object_get_int(get(q1, "signal")), 9);
	assert_false(json_object_object_get_ex(q1, "exe", NULL));
	assert_string_equal(
	    json_object_get_string(json_object_array_get_idx(get(q1, "argv_hex"), 0)), "617267ff");
	json_object *q2 = json_object_array_get_idx(procs, 2);
	assert_true(json_object_get_boolean(get(q2, "running_at_end")));
	assert_int_equal(json_object_array_length(get(q2, "argv")), 0);
	json_object_put(d);
	free(text);
}

/* Bytes 0xF5 to 0xFF start no UTF-8 sequence: shown as U+FFFD, exact in hex. */
static void lead_bytes_past_f4_are_not_utf8(void **state)
{
	static struct rec r;
	begin(&r);
	add_path(&r, RECORD_OP_READ, RECORD_SOURCE_LOWER, "/\xfe\x83\x97\xf5\x80\x80\x80", 8, NULL);
	finish(&r, 0);
	char *text, why[256];
	assert_int_equal(convert(r.buf, r.len, &text, why), 0);
	json_object *d = json_tokener_parse(text);
	assert_non_null(d);
	json_object *p0 = json_object_array_get_idx(get(d, "paths"), 0);
	assert_string_equal(json_object_get_string(get(p0, "path")),
			    "/\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
			    "\xEF\xBF\xBD\xEF\xBF\xBD");
	assert_string_equal(json_object_get_string(get(p0, "path_hex")), "2ffe8397f5808080");
	json_object_put(d);
	free(text);
}

static void flags_say_truncated(void **state)
{
	static struct rec r;
	begin(&r);
	finish(&r, RECORD_WIRE_TRUNCATED | RECORD_WIRE_OUTPUT_CUT);
	char *text, why[256];
	assert_int_equal(convert(r.buf, r.len, &text, why), 0);
	json_object *d = json_tokener_parse(text);
	assert_non_null(d);
	assert_true(json_object_get_boolean(get(d, "truncated")));
	assert_true(json_object_get_boolean(get(d, "output_cut")));
	json_object_put(d);
	free(text);
	record_wire_put32(r.buf + RECORD_WIRE_AT_FLAGS, 4);
	refused(r.buf, r.len, "flags");
}

static void every_cut_is_refused(void **state)
{
	static struct rec r;
	sample(&r);
	for (size_t len = 0; len < r.len; len++)
		refused(r.buf, len, "");
	static uint8_t more[sizeof(r.buf) + 1];
	memcpy(more, r.buf, r.len);
	refused(more, r.len + 1, "");
}

static void header_checked(void **state)
{
	static struct rec r;
	sample(&r);
	r.buf[0] ^= 1;
	refused(r.buf, r.len, "no record header");
	sample(&r);
	record_wire_put32(r.buf + RECORD_WIRE_AT_VERSION, 2);
	refused(r.buf, r.len, "version 2");
	sample(&r);
	record_wire_put32(r.buf + RECORD_WIRE_AT_NPATHS, RECORD_WIRE_MAX_PATHS + 1);
	refused(r.buf, r.len, "past the VMM's bounds");
	sample(&r);
	record_wire_put64(r.buf + RECORD_WIRE_AT_BODY, r.len);
	refused(r.buf, r.len, "bytes of entries");
	sample(&r);
	r.buf[r.len - 1] = 'x';
	refused(r.buf, r.len, "no end marker");
}

static void counts_past_the_bytes_refused(void **state)
{
	static struct rec r;
	sample(&r);
	record_wire_put32(r.buf + RECORD_WIRE_AT_NPROCS, 4);
	refused(r.buf, r.len, "process 3: cut short");
	sample(&r);
	record_wire_put32(r.buf + RECORD_WIRE_AT_NPROCS, 2);
	refused(r.buf, r.len, "bytes after the entries");
	sample(&r);
	record_wire_put32(r.buf + RECORD_WIRE_AT_NRENAMES, 0);
	refused(r.buf, r.len, "");
}

static void lengths_past_the_bytes_refused(void **state)
{
	static struct rec r;
	sample(&r);
	/* The last process's argv: longer than what is there. */
	uint8_t *last = r.buf + r.len - 8 - RECORD_WIRE_PROC;
	record_wire_put32(last + RECORD_WIRE_PROC_ARGV, 1);
	refused(r.buf, r.len, "process 2: argv of 1 bytes");
	record_wire_put32(last + RECORD_WIRE_PROC_ARGV, UINT32_MAX);
	refused(r.buf, r.len, "argv of 4294967295 bytes");
	/* The first path: its length past the record. */
	sample(&r);
	record_wire_put32(r.buf + RECORD_WIRE_HEADER + RECORD_WIRE_PATH_LEN, 4000);
	refused(r.buf, r.len, "path 0: its 4000 bytes are not there");
	record_wire_put32(r.buf + RECORD_WIRE_HEADER + RECORD_WIRE_PATH_LEN, 0);
	refused(r.buf, r.len, "path 0: 0 bytes long");
}

static void path_longer_than_a_path_refused(void **state)
{
	static struct rec r;
	static char name[RECORD_WIRE_PATH_MAX + 1];
	memset(name, 'a', sizeof(name));
	begin(&r);
	add_path(&r, RECORD_OP_READ, RECORD_SOURCE_LOWER, name, RECORD_WIRE_PATH_MAX, NULL);
	finish(&r, 0);
	char *text, why[256];
	assert_int_equal(convert(r.buf, r.len, &text, why), 0);
	free(text);
	begin(&r);
	add_path(&r, RECORD_OP_READ, RECORD_SOURCE_LOWER, name, sizeof(name), NULL);
	finish(&r, 0);
	refused(r.buf, r.len, "path 0: 4097 bytes long");
	static char argv[RECORD_WIRE_ARGV_MAX + 1];
	begin(&r);
	add_proc(&r, 1, 0, RECORD_WIRE_NO_EXE, true, 0, argv, sizeof(argv));
	finish(&r, 0);
	refused(r.buf, r.len, "process 0: argv of 4097 bytes");
}

static void indexes_and_values_checked(void **state)
{
	static struct rec r;
	sample(&r);
	/* The rename's "to": path 5 of 5. */
	uint8_t *rn =
	    r.buf + r.len - 8 - (size_t)3 * RECORD_WIRE_PROC - 13 - 5 - RECORD_WIRE_RENAME;
	assert_int_equal(record_wire_get32(rn), 1);
	record_wire_put32(rn + 4, 5);
	refused(r.buf, r.len, "rename 0: names no path");
	sample(&r);
	/* The last process's exe: path 5 of 5. */
	uint8_t *last = r.buf + r.len - 8 - RECORD_WIRE_PROC;
	record_wire_put32(last + RECORD_WIRE_PROC_EXE, 5);
	refused(r.buf, r.len, "process 2: its program names no path");
	record_wire_put32(last + RECORD_WIRE_PROC_EXE, 4);
	record_wire_put32(last + RECORD_WIRE_PROC_ENDED, 2);
	refused(r.buf, r.len, "neither ended nor running");
	sample(&r);
	r.buf[RECORD_WIRE_HEADER + RECORD_WIRE_PATH_SOURCE] = RECORD_SOURCES;
	refused(r.buf, r.len, "path 0: unknown source 7");
	sample(&r);
	record_wire_put16(r.buf + RECORD_WIRE_HEADER + RECORD_WIRE_PATH_OPS, 0x200);
	refused(r.buf, r.len, "path 0: unknown ops 0x200");
	sample(&r);
	r.buf[RECORD_WIRE_HEADER + RECORD_WIRE_PATH + 3] = '\0';
	refused(r.buf, r.len, "path 0: a NUL byte");
	sample(&r);
	r.buf[RECORD_WIRE_HEADER + RECORD_WIRE_PATH_HASHED] = 2;
	refused(r.buf, r.len, "path 0: a hash that is none");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(whole_record_gives_the_json, open_out, close_out),
	    cmocka_unit_test_setup_teardown(lead_bytes_past_f4_are_not_utf8, open_out, close_out),
	    cmocka_unit_test_setup_teardown(flags_say_truncated, open_out, close_out),
	    cmocka_unit_test_setup_teardown(every_cut_is_refused, open_out, close_out),
	    cmocka_unit_test_setup_teardown(header_checked, open_out, close_out),
	    cmocka_unit_test_setup_teardown(counts_past_the_bytes_refused, open_out, close_out),
	    cmocka_unit_test_setup_teardown(lengths_past_the_bytes_refused, open_out, close_out),
	    cmocka_unit_test_setup_teardown(path_longer_than_a_path_refused, open_out, close_out),
	    cmocka_unit_test_setup_teardown(indexes_and_values_checked, open_out, close_out),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
