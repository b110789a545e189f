/* The progress line of save, restore, migrate and incoming (like `virsh migrate --verbose`): figures from the VMM's CONTROL_PROGRESS messages, rates from our own clock. */
#include "progress_line.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

void progress_line_init(struct progress_line *pl, const char *op, const char *vm, bool json)
{
	memset(pl, 0, sizeof(*pl));
	pl->op = op;
	pl->vm = vm;
	pl->terminal = !json && isatty(STDERR_FILENO);
	pl->start_ns = now_ns();
}

static const char *human(double bytes, char *buf, size_t len)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	unsigned u = 0;
	while (bytes >= 1024 && u + 1 < ARRAY_SIZE(units)) {
		bytes /= 1024;
		u++;
	}
	snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", bytes, units[u]);
	return buf;
}

/* A double as JSON with `digits` decimals (json-c would print them all). */
static json_object *json_fixed(double v, int digits)
{
	char text[48];
	snprintf(text, sizeof(text), "%.*f", digits, v);
	return json_object_new_double_s(v, text);
}

static void show(struct progress_line *pl, bool done)
{
	const struct control_msg *m = &pl->last;
	double elapsed = (double)(now_ns() - pl->start_ns) / 1e9;
	/* The VMM's figures are not trusted to agree: a total below what
	 * went is what went. */
	uint64_t total = m->expected && m->expected < m->bytes ? m->bytes : m->expected;
	double rate = elapsed > 0 ? (double)m->bytes / elapsed : 0;
	double percent = total ? 100.0 * (double)m->bytes / (double)total : 0;
	double left = total && rate > 0 ? (double)(total - m->bytes) / rate : 0;
	if (!pl->terminal) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "progress", json_object_new_string(pl->op));
		json_object_object_add(o, "vm", json_object_new_string(pl->vm));
		json_object_object_add(o, "bytes", json_object_new_uint64(m->bytes));
		json_object_object_add(o, "total", total ? json_object_new_uint64(total) : NULL);
		json_object_object_add(o, "percent", total ? json_fixed(percent, 1) : NULL);
		json_object_object_add(o, "rate", json_object_new_uint64((uint64_t)rate));
		json_object_object_add(o, "remaining_s", total ? json_fixed(left, 3) : NULL);
		json_object_object_add(o, "elapsed_s", json_fixed(elapsed, 3));
		json_object_object_add(o, "iteration", json_object_new_uint64(m->iterations));
		json_object_object_add(o, "dirty_bytes", json_object_new_uint64(m->dirty_bytes));
		json_object_object_add(o, "dirty_rate", json_object_new_uint64(m->dirty_rate));
		json_object_object_add(o, "done", json_object_new_boolean(done));
		fprintf(stderr, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
		return;
	}
	char b[32], t[32], r[32], d[32], dr[32], line[256];
	int n = snprintf(line, sizeof(line), "%s %s: %s", pl->op, pl->vm,
			 human((double)m->bytes, b, sizeof(b)));
	if (total)
		n += snprintf(line + n, sizeof(line) - (size_t)n, " of %s (%.0f%%)",
			      human((double)total, t, sizeof(t)), percent);
	n += snprintf(line + n, sizeof(line) - (size_t)n, ", %s/s", human(rate, r, sizeof(r)));
	if (total && !done)
		n += snprintf(line + n, sizeof(line) - (size_t)n, ", %.1f s left", left);
	if (m->iterations > 1 || m->dirty_bytes)
		snprintf(line + n, sizeof(line) - (size_t)n, ", round %llu, dirty %s at %s/s",
			 (unsigned long long)m->iterations,
			 human((double)m->dirty_bytes, d, sizeof(d)),
			 human((double)m->dirty_rate, dr, sizeof(dr)));
	/* "\r" and erase to the end of the line: one line that updates. */
	fprintf(stderr, "\r%s\033[K%s", line, done ? "\n" : "");
	fflush(stderr);
	pl->shown = !done;
}

void progress_line_update(struct progress_line *pl, const struct control_msg *m)
{
	uint64_t now = now_ns();
	/* Bytes only grow: a message that says less is a stale one. */
	if (m->bytes < pl->last.bytes)
		return;
	pl->last = *m;
	if (m->bytes < PROGRESS_LINE_MIN_BYTES && m->expected < PROGRESS_LINE_MIN_BYTES)
		return;
	if (pl->shown_ns && now - pl->shown_ns < PROGRESS_LINE_INTERVAL_NS)
		return;
	pl->shown_ns = now;
	show(pl, false);
}

void progress_line_done(struct progress_line *pl, uint64_t bytes)
{
	pl->last.bytes = pl->last.expected = bytes;
	if (bytes >= PROGRESS_LINE_MIN_BYTES)
		show(pl, true);
}

void progress_line_abort(struct progress_line *pl)
{
	if (pl->shown)
		fputc('\n', stderr);
	pl->shown = false;
}
