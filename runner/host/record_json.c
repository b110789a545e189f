/* --record FILE.json: the supervisor turns the VMM's binary record (common/record_wire.h) into JSON; the record is untrusted output of the confined VMM, so every length is checked before a byte of JSON is written, and every guest string is escaped here (UTF-8, or U+FFFD with the exact bytes in hex beside). */
#include "record_json.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bufwrite.h"
#include "launch.h"
#include "record_wire.h"
#include "util.h"

/* A cursor over the record: take() hands out the next n bytes, or NULL
 * when fewer are left. */
struct cursor {
	const uint8_t *p;
	size_t left;
};

static const uint8_t *take(struct cursor *c, size_t n)
{
	if (n > c->left)
		return NULL;
	const uint8_t *at = c->p;
	c->p += n;
	c->left -= n;
	return at;
}

static int refuse(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int refuse(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return -1;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* The header's counts, once checked. */
struct header {
	uint32_t flags, npaths, nrenames, nprocs;
	int32_t exit_status;
	uint64_t dropped[3];
};

/* Checks rec[0, len) whole (see record_json.h): 0 with *h, or -1 with why. */
static int record_check(const uint8_t *rec, size_t len, struct header *h, char *why, size_t whylen)
{
	if (len < RECORD_WIRE_HEADER + 8u)
		return refuse(why, whylen, "%zu bytes, shorter than a header and an end", len);
	if (len > LAUNCH_RECORD_MAX_OUTPUT)
		return refuse(why, whylen, "%zu bytes, past the bound of %u", len,
			      LAUNCH_RECORD_MAX_OUTPUT);
	if (memcmp(rec + RECORD_WIRE_AT_MAGIC, RECORD_WIRE_MAGIC, 8) != 0)
		return refuse(why, whylen, "no record header");
	uint32_t version = record_wire_get32(rec + RECORD_WIRE_AT_VERSION);
	if (version != RECORD_WIRE_VERSION)
		return refuse(why, whylen, "version %u, not %u", version, RECORD_WIRE_VERSION);
	h->flags = record_wire_get32(rec + RECORD_WIRE_AT_FLAGS);
	h->exit_status = (int32_t)record_wire_get32(rec + RECORD_WIRE_AT_EXIT_STATUS);
	h->npaths = record_wire_get32(rec + RECORD_WIRE_AT_NPATHS);
	h->nrenames = record_wire_get32(rec + RECORD_WIRE_AT_NRENAMES);
	h->nprocs = record_wire_get32(rec + RECORD_WIRE_AT_NPROCS);
	for (size_t i = 0; i < 3; i++)
		h->dropped[i] = record_wire_get64(rec + RECORD_WIRE_AT_DROPPED_PATHS + 8 * i);
	uint64_t body = record_wire_get64(rec + RECORD_WIRE_AT_BODY);
	if (h->flags & ~RECORD_WIRE_FLAGS)
		return refuse(why, whylen, "unknown flags 0x%x", h->flags);
	if (h->npaths > RECORD_WIRE_MAX_PATHS || h->nrenames > RECORD_WIRE_MAX_RENAMES ||
	    h->nprocs > RECORD_WIRE_MAX_PROCESSES)
		return refuse(why, whylen,
			      "counts past the VMM's bounds (%u paths, %u renames, %u processes)",
			      h->npaths, h->nrenames, h->nprocs);
	if (body != len - RECORD_WIRE_HEADER - 8u)
		return refuse(why, whylen,
			      "the header says %" PRIu64 " bytes of entries, %zu are there", body,
			      len - RECORD_WIRE_HEADER - 8u);
	if (memcmp(rec + len - 8u, RECORD_WIRE_END, 8) != 0)
		return refuse(why, whylen, "no end marker (cut short)");
	struct cursor c = {rec + RECORD_WIRE_HEADER, len - RECORD_WIRE_HEADER - 8u};
	for (uint32_t i = 0; i < h->npaths; i++) {
		const uint8_t *e = take(&c, RECORD_WIRE_PATH);
		if (!e)
			return refuse(why, whylen, "path %u: cut short", i);
		uint16_t ops = record_wire_get16(e + RECORD_WIRE_PATH_OPS);
		uint8_t source = e[RECORD_WIRE_PATH_SOURCE], hashed = e[RECORD_WIRE_PATH_HASHED];
		uint32_t plen = record_wire_get32(e + RECORD_WIRE_PATH_LEN);
		if (ops & ~RECORD_OP_ALL)
			return refuse(why, whylen, "path %u: unknown ops 0x%x", i, ops);
		if (source >= RECORD_SOURCES)
			return refuse(why, whylen, "path %u: unknown source %u", i, source);
		if (hashed > 1 || (!hashed && !all_zero(e + RECORD_WIRE_PATH_SIZE, 40)))
			return refuse(why, whylen, "path %u: a hash that is none", i);
		if (plen == 0 || plen > RECORD_WIRE_PATH_MAX)
			return refuse(why, whylen, "path %u: %u bytes long", i, plen);
		const uint8_t *text = take(&c, plen);
		if (!text)
			return refuse(why, whylen, "path %u: its %u bytes are not there", i, plen);
		if (memchr(text, '\0', plen))
			return refuse(why, whylen, "path %u: a NUL byte in it", i);
	}
	for (uint32_t i = 0; i < h->nrenames; i++) {
		const uint8_t *e = take(&c, RECORD_WIRE_RENAME);
		if (!e)
			return refuse(why, whylen, "rename %u: cut short", i);
		if (record_wire_get32(e) >= h->npaths || record_wire_get32(e + 4) >= h->npaths)
			return refuse(why, whylen, "rename %u: names no path", i);
	}
	for (uint32_t i = 0; i < h->nprocs; i++) {
		const uint8_t *e = take(&c, RECORD_WIRE_PROC);
		if (!e)
			return refuse(why, whylen, "process %u: cut short", i);
		uint32_t exe = record_wire_get32(e + RECORD_WIRE_PROC_EXE);
		uint32_t ended = record_wire_get32(e + RECORD_WIRE_PROC_ENDED);
		uint32_t alen = record_wire_get32(e + RECORD_WIRE_PROC_ARGV);
		if (exe != RECORD_WIRE_NO_EXE && exe >= h->npaths)
			return refuse(why, whylen, "process %u: its program names no path", i);
		if (ended > 1)
			return refuse(why, whylen, "process %u: neither ended nor running", i);
		if (alen > RECORD_WIRE_ARGV_MAX || !take(&c, alen))
			return refuse(why, whylen, "process %u: argv of %u bytes", i, alen);
	}
	if (c.left)
		return refuse(why, whylen, "%zu bytes after the entries", c.left);
	return 0;
}

struct writer {
	struct bufwrite out;
	bool full; /* an entry was left out at LAUNCH_RECORD_MAX_OUTPUT */
};

static void put(struct writer *w, const char *s, size_t len)
{
	bufwrite_put(&w->out, s, len);
}

static void put_text(struct writer *w, const char *s)
{
	put(w, s, strlen(s));
}

/* One entry of a list (*first: none before it), left out when the output
 * would pass its bound (room kept for the tail). */
static void put_entry(struct writer *w, json_object *o, bool *first)
{
	size_t len;
	const char *s = json_object_to_json_string_length(
	    o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (w->full || w->out.total + len + 4 > LAUNCH_RECORD_MAX_OUTPUT - 4096) {
		w->full = true;
	} else {
		put(w, *first ? "\n  " : ",\n  ", *first ? 3 : 4);
		put(w, s, len);
		*first = false;
	}
	json_object_put(o);
}

/* Length of the valid UTF-8 sequence at s[0, len), or 0 (not one). */
static size_t utf8_char(const uint8_t *s, size_t len)
{
	if (s[0] < 0x80)
		return 1;
	/* 0xF5..0xFF start no sequence (the VMM's old writer took them for
	 * three-byte leads and wrote invalid UTF-8: fuzz_record found it). */
	size_t n = s[0] >= 0xF5 ? 0 : s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2 : 0;
	if (!n || n > len)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	uint32_t cp = n == 2   ? ((s[0] & 0x1Fu) << 6) | (s[1] & 0x3Fu)
		      : n == 3 ? ((s[0] & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu)
			       : ((s[0] & 0x07u) << 18) | ((s[1] & 0x3Fu) << 12) |
				     ((s[2] & 0x3Fu) << 6) | (s[3] & 0x3Fu);
	if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
		return 0;
	return n;
}

/*
 * Guest bytes s[0, len) (len at most RECORD_WIRE_PATH_MAX) as a JSON
 * string: JSON strings are Unicode, so bytes that are not UTF-8 show as
 * U+FFFD and *exact turns false (json-c escapes quotes, backslashes and
 * control bytes).
 */
static json_object *text_of(const uint8_t *s, size_t len, bool *exact)
{
	char text[3 * RECORD_WIRE_PATH_MAX];
	size_t out = 0;
	for (size_t i = 0; i < len && out + 3 <= sizeof(text);) {
		size_t n = utf8_char(s + i, len - i);
		if (n) {
			memcpy(text + out, s + i, n);
			out += n;
			i += n;
		} else {
			static const char replacement[3] = {'\xEF', '\xBF', '\xBD'}; /* U+FFFD */
			memcpy(text + out, replacement, sizeof(replacement));
			out += sizeof(replacement);
			i++;
			*exact = false;
		}
	}
	return json_object_new_string_len(text, (int)out);
}

/* The same bytes exactly, in hex. */
static json_object *hex_of(const uint8_t *s, size_t len)
{
	char hex[2 * RECORD_WIRE_PATH_MAX + 1];
	size_t n = len < RECORD_WIRE_PATH_MAX ? len : RECORD_WIRE_PATH_MAX;
	sodium_bin2hex(hex, sizeof(hex), s, n);
	return json_object_new_string(hex);
}

/* Adds s[0, len) to o as `key`, and as `key`_hex when it is not UTF-8. */
static void add_bytes(json_object *o, const char *key, const uint8_t *s, size_t len)
{
	bool exact = true;
	json_object_object_add(o, key, text_of(s, len, &exact));
	if (exact)
		return;
	char hex_key[32];
	snprintf(hex_key, sizeof(hex_key), "%s_hex", key);
	json_object_object_add(o, hex_key, hex_of(s, len));
}

static void put_path(struct writer *w, const uint8_t *e, bool *first)
{
	static const char *const op_names[] = {"read",	   "written",	   "created",
					       "deleted",  "renamed_from", "renamed_to",
					       "executed", "stat",	   "absent"};
	static const char *const source_names[] = {"lower", "volume", "upper", "tmpfs",
						   "proc",  "dev",    "other"};
	_Static_assert(sizeof(op_names) / sizeof(op_names[0]) == 9 && RECORD_OP_ALL == 0x1ff,
		       "a name for each op");
	_Static_assert(sizeof(source_names) / sizeof(source_names[0]) == RECORD_SOURCES,
		       "a name for each source");
	json_object *o = json_object_new_object(), *ops = json_object_new_array();
	unsigned bits = record_wire_get16(e + RECORD_WIRE_PATH_OPS);
	add_bytes(o, "path", e + RECORD_WIRE_PATH, record_wire_get32(e + RECORD_WIRE_PATH_LEN));
	for (unsigned b = 0; b < sizeof(op_names) / sizeof(op_names[0]); b++)
		if (bits & (1u << b))
			json_object_array_add(ops, json_object_new_string(op_names[b]));
	json_object_object_add(o, "ops", ops);
	json_object_object_add(o, "source",
			       json_object_new_string(source_names[e[RECORD_WIRE_PATH_SOURCE]]));
	if (e[RECORD_WIRE_PATH_HASHED]) {
		char hex[2 * 32 + 1];
		sodium_bin2hex(hex, sizeof(hex), e + RECORD_WIRE_PATH_SHA256, 32);
		json_object_object_add(
		    o, "size",
		    json_object_new_int64((int64_t)record_wire_get64(e + RECORD_WIRE_PATH_SIZE)));
		json_object_object_add(o, "sha256", json_object_new_string(hex));
	}
	put_entry(w, o, first);
}

/* Each argument of argv[0, len) (each ended by a NUL; the last may be cut). */
static json_object *argv_of(const uint8_t *argv, uint32_t len, bool hex, bool *exact)
{
	json_object *a = json_object_new_array();
	for (uint32_t at = 0; at < len;) {
		size_t n = strnlen((const char *)argv + at, len - at);
		json_object_array_add(a, hex ? hex_of(argv + at, n) : text_of(argv + at, n, exact));
		at += (uint32_t)n + 1;
	}
	return a;
}

static void put_process(struct writer *w, const uint8_t *e, const uint8_t *const *paths,
			bool *first)
{
	json_object *o = json_object_new_object();
	json_object_object_add(
	    o, "pid", json_object_new_int((int32_t)record_wire_get32(e + RECORD_WIRE_PROC_PID)));
	json_object_object_add(
	    o, "ppid", json_object_new_int((int32_t)record_wire_get32(e + RECORD_WIRE_PROC_PPID)));
	const uint8_t *argv = e + RECORD_WIRE_PROC;
	uint32_t alen = record_wire_get32(e + RECORD_WIRE_PROC_ARGV);
	bool exact = true;
	json_object *text = argv_of(argv, alen, false, &exact);
	if (!exact) /* then every argument exactly, in hex */
		json_object_object_add(o, "argv_hex", argv_of(argv, alen, true, &exact));
	json_object_object_add(o, "argv", text);
	uint32_t exe = record_wire_get32(e + RECORD_WIRE_PROC_EXE);
	if (exe != RECORD_WIRE_NO_EXE)
		add_bytes(o, "exe", paths[exe] + RECORD_WIRE_PATH,
			  record_wire_get32(paths[exe] + RECORD_WIRE_PATH_LEN));
	int wstatus = (int32_t)record_wire_get32(e + RECORD_WIRE_PROC_WSTATUS);
	if (!record_wire_get32(e + RECORD_WIRE_PROC_ENDED))
		json_object_object_add(o, "running_at_end", json_object_new_boolean(true));
	else if (wstatus & 0x7F)
		json_object_object_add(o, "signal", json_object_new_int(wstatus & 0x7F));
	else
		json_object_object_add(o, "exit_status",
				       json_object_new_int((wstatus >> 8) & 0xFF));
	json_object_object_add(
	    o, "user_ns",
	    json_object_new_int64((int64_t)(record_wire_get64(e + RECORD_WIRE_PROC_UTIME))));
	json_object_object_add(
	    o, "system_ns",
	    json_object_new_int64((int64_t)(record_wire_get64(e + RECORD_WIRE_PROC_STIME))));
	put_entry(w, o, first);
}

int record_json_write(const uint8_t *rec, size_t len, int fd, char *why, size_t whylen)
{
	struct header h = {0};
	if (record_check(rec, len, &h, why, whylen) < 0)
		return -1;
	/* Where each path entry starts, for the processes' exe. */
	const uint8_t **paths = malloc(((size_t)h.npaths + 1) * sizeof(*paths));
	struct writer *w = calloc(1, sizeof(*w));
	if (!paths || !w) {
		free(paths);
		free(w);
		return refuse(why, whylen, "out of memory for %u paths", h.npaths);
	}
	w->out.fd = fd;
	/* The lists first, one entry at a time (never the whole record as one
	 * json-c tree in memory); the fields saying whether they are whole last. */
	bool first = true;
	const uint8_t *p = rec + RECORD_WIRE_HEADER;
	put_text(w, "{\"version\": 1,\n\"paths\": [");
	for (uint32_t i = 0; i < h.npaths; i++) {
		paths[i] = p;
		put_path(w, p, &first);
		p += RECORD_WIRE_PATH + record_wire_get32(p + RECORD_WIRE_PATH_LEN);
	}
	put_text(w, "],\n\"renames\": [");
	first = true;
	for (uint32_t i = 0; i < h.nrenames;
	     i++, p += RECORD_WIRE_RENAME) { /* indexes into paths */
		json_object *o = json_object_new_object();
		json_object_object_add(o, "from", json_object_new_int64(record_wire_get32(p)));
		json_object_object_add(o, "to", json_object_new_int64(record_wire_get32(p + 4)));
		put_entry(w, o, &first);
	}
	put_text(w, "],\n\"processes\": [");
	first = true;
	for (uint32_t i = 0; i < h.nprocs; i++) {
		put_process(w, p, paths, &first);
		p += RECORD_WIRE_PROC + record_wire_get32(p + RECORD_WIRE_PROC_ARGV);
	}
	put_text(w, "],\n");
	bool cut = w->full || (h.flags & RECORD_WIRE_OUTPUT_CUT);
	json_object *tail = json_object_new_object();
	json_object_object_add(tail, "complete", json_object_new_boolean(true));
	json_object_object_add(tail, "truncated",
			       json_object_new_boolean(cut || (h.flags & RECORD_WIRE_TRUNCATED)));
	json_object_object_add(tail, "exit_status", json_object_new_int(h.exit_status));
	json_object_object_add(tail, "dropped_paths", json_object_new_int64((int64_t)h.dropped[0]));
	json_object_object_add(tail, "dropped_processes",
			       json_object_new_int64((int64_t)h.dropped[1]));
	json_object_object_add(tail, "dropped_renames",
			       json_object_new_int64((int64_t)h.dropped[2]));
	json_object_object_add(tail, "output_cut", json_object_new_boolean(cut));
	size_t tlen;
	const char *s = json_object_to_json_string_length(tail, JSON_C_TO_STRING_PLAIN, &tlen);
	put(w, s + 1, tlen - 1); /* its fields, after this object's own opening brace */
	json_object_put(tail);
	put_text(w, "\n");
	bufwrite_flush(&w->out);
	bool failed = w->out.failed;
	free(w);
	free(paths);
	return failed ? -2 : 0;
}
