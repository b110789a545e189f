/* The payload of a CONTROL_EXEC request (`lockvm exec`): encoded by the client, checked by the supervisor and again, as untrusted input, by the VMM. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "control_wire.h"

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* The next NUL-terminated string at *at in [p, p+len), or NULL when none
 * ends inside the payload. */
static const char *next_string(const char *p, size_t len, size_t *at)
{
	if (*at >= len)
		return NULL;
	const char *s = p + *at;
	const char *nul = memchr(s, '\0', len - *at);
	if (!nul)
		return NULL;
	*at += (size_t)(nul - s) + 1;
	return s;
}

int control_exec_decode(const void *payload, size_t len, struct control_exec *e, char *err,
			size_t errlen)
{
	struct control_exec_head h;
	if (len < sizeof(h) || len > CONTROL_EXEC_PAYLOAD_MAX)
		return fail(err, errlen, "exec request of %zu bytes", len);
	memcpy(&h, payload, sizeof(h));
	if (h.argc == 0 || h.argc > CONTROL_EXEC_MAX_ARGS)
		return fail(err, errlen, "exec: %u arguments (1 to %u)", h.argc,
			    CONTROL_EXEC_MAX_ARGS);
	if (h.envc > CONTROL_EXEC_MAX_ENV)
		return fail(err, errlen, "exec: %u environment entries (at most %u)", h.envc,
			    CONTROL_EXEC_MAX_ENV);
	if (h.ngroups > CONTROL_EXEC_MAX_GROUPS)
		return fail(err, errlen, "exec: %u groups (at most %u)", h.ngroups,
			    CONTROL_EXEC_MAX_GROUPS);
	if (h.uid == UINT32_MAX || h.gid == UINT32_MAX)
		return fail(err, errlen, "exec: uid or gid 4294967295 (it means no id)");
	if (h.flags & ~CONTROL_EXEC_TTY)
		return fail(err, errlen, "exec: unknown flags %#x", h.flags);
	*e = (struct control_exec){.argc = h.argc,
				   .envc = h.envc,
				   .uid = h.uid,
				   .gid = h.gid,
				   .ngroups = h.ngroups,
				   .flags = h.flags};
	memcpy(e->groups, h.groups, sizeof(e->groups));
	const char *p = payload;
	size_t at = sizeof(h);
	e->cwd = next_string(p, len, &at);
	if (!e->cwd || e->cwd[0] != '/' || strlen(e->cwd) >= CONTROL_EXEC_PATH_MAX)
		return fail(err, errlen, "exec: the working directory is not an absolute path");
	for (uint32_t i = 0; i < h.argc; i++)
		if (!(e->argv[i] = next_string(p, len, &at)))
			return fail(err, errlen,
				    "exec: argument %u does not end inside the request", i);
	if (!e->argv[0][0] || strlen(e->argv[0]) >= CONTROL_EXEC_PATH_MAX)
		return fail(err, errlen, "exec: an empty or over-long program name");
	for (uint32_t i = 0; i < h.envc; i++) {
		const char *v = e->env[i] = next_string(p, len, &at);
		if (!v)
			return fail(err, errlen,
				    "exec: environment entry %u does not end inside the request",
				    i);
		const char *eq = strchr(v, '=');
		if (!eq || eq == v)
			return fail(err, errlen, "exec: environment entry %u is not NAME=VALUE", i);
	}
	if (at != len)
		return fail(err, errlen, "exec: %zu bytes after the last string", len - at);
	return 0;
}

static int put(char *buf, size_t cap, size_t *at, const char *s)
{
	size_t n = strlen(s) + 1;
	if (n > cap - *at)
		return -1;
	memcpy(buf + *at, s, n);
	*at += n;
	return 0;
}

long control_exec_encode(const struct control_exec *e, void *buf, size_t cap, char *err,
			 size_t errlen)
{
	struct control_exec_head h = {.argc = e->argc,
				      .envc = e->envc,
				      .uid = e->uid,
				      .gid = e->gid,
				      .ngroups = e->ngroups,
				      .flags = e->flags};
	if (cap > CONTROL_EXEC_PAYLOAD_MAX)
		cap = CONTROL_EXEC_PAYLOAD_MAX;
	if (cap < sizeof(h) || e->argc > CONTROL_EXEC_MAX_ARGS || e->envc > CONTROL_EXEC_MAX_ENV ||
	    e->ngroups > CONTROL_EXEC_MAX_GROUPS)
		return fail(err, errlen, "exec: too many arguments, variables or groups");
	memcpy(h.groups, e->groups, sizeof(h.groups));
	memcpy(buf, &h, sizeof(h));
	size_t at = sizeof(h);
	int rc = put(buf, cap, &at, e->cwd ? e->cwd : "/");
	for (uint32_t i = 0; rc == 0 && i < e->argc; i++)
		rc = put(buf, cap, &at, e->argv[i]);
	for (uint32_t i = 0; rc == 0 && i < e->envc; i++)
		rc = put(buf, cap, &at, e->env[i]);
	if (rc < 0)
		return fail(err, errlen, "exec: arguments and environment over %u bytes",
			    CONTROL_EXEC_PAYLOAD_MAX);
	struct control_exec check;
	if (control_exec_decode(buf, at, &check, err, errlen) < 0)
		return -1;
	return (long)at;
}
