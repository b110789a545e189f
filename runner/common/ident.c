/* --user, --group-add, --hostname and --rlimit values: the grammar both the supervisor and its tests use. */
#include "ident.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

/* Linux's resource numbers (asm-generic/resource.h), by index. */
static const char *const rlimit_names[IDENT_RLIMITS] = {
    "cpu",     "fsize", "data",	 "stack",      "core",	   "rss",  "nproc",  "nofile",
    "memlock", "as",	"locks", "sigpending", "msgqueue", "nice", "rtprio", "rttime",
};

int ident_rlimit_number(const char *name)
{
	if (strncasecmp(name, "RLIMIT_", 7) == 0)
		name += 7;
	for (unsigned i = 0; i < IDENT_RLIMITS; i++)
		if (strcasecmp(name, rlimit_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *ident_rlimit_name(unsigned resource)
{
	return resource < IDENT_RLIMITS ? rlimit_names[resource] : NULL;
}

/* One decimal id; "" and anything but digits refused. */
static int parse_id(const char *text, size_t len, uint32_t *id)
{
	char buf[16];
	uint64_t v;
	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, text, len);
	buf[len] = '\0';
	if (strspn(buf, "0123456789") != len || parse_uint(buf, 0, IDENT_ID_MAX, &v) < 0)
		return -1;
	*id = (uint32_t)v;
	return 0;
}

int ident_parse_user(const char *text, uint32_t *uid, uint32_t *gid, char *err, size_t errlen)
{
	const char *colon = strchr(text, ':');
	size_t ulen = colon ? (size_t)(colon - text) : strlen(text);
	*gid = 0;
	if (parse_id(text, ulen, uid) < 0 ||
	    (colon && parse_id(colon + 1, strlen(colon + 1), gid) < 0))
		return err_fmt(err, errlen,
			       "--user '%.64s': want UID[:GID], decimal ids from 0 to %u (names "
			       "are not looked up)",
			       text, IDENT_ID_MAX);
	return 0;
}

int ident_parse_gid(const char *text, uint32_t *gid, char *err, size_t errlen)
{
	if (parse_id(text, strlen(text), gid) < 0)
		return err_fmt(err, errlen, "--group-add '%.64s': want a decimal gid from 0 to %u",
			       text, IDENT_ID_MAX);
	return 0;
}

int ident_check_hostname(const char *name, char *err, size_t errlen)
{
	size_t len = strlen(name);
	if (len == 0 || len > IDENT_HOSTNAME_MAX)
		return err_fmt(err, errlen, "--hostname: %zu bytes, want 1 to %d (as Linux)", len,
			       IDENT_HOSTNAME_MAX);
	for (size_t i = 0; i < len; i++)
		if (iscntrl((unsigned char)name[i]))
			return err_fmt(err, errlen, "--hostname: a control byte at offset %zu", i);
	return 0;
}

/* A limit: decimal, or unlimited/infinity/-1 for RLIM_INFINITY. */
static int parse_limit(const char *text, uint64_t *out)
{
	if (strcmp(text, "unlimited") == 0 || strcmp(text, "infinity") == 0 ||
	    strcmp(text, "-1") == 0) {
		*out = IDENT_INFINITY;
		return 0;
	}
	if (text[0] < '0' || text[0] > '9')
		return -1;
	return parse_uint(text, 0, IDENT_INFINITY - 1, out);
}

int ident_parse_rlimit(const char *text, unsigned *resource, struct ident_rlimit *lim, char *err,
		       size_t errlen)
{
	char name[32], soft[32], hard[32];
	const char *eq = strchr(text, '=');
	if (!eq || (size_t)(eq - text) >= sizeof(name))
		return err_fmt(err, errlen, "--rlimit '%.64s': want NAME=SOFT[:HARD]", text);
	memcpy(name, text, (size_t)(eq - text));
	name[eq - text] = '\0';
	int n = ident_rlimit_number(name);
	if (n < 0)
		return err_fmt(err, errlen,
			       "--rlimit '%.64s': unknown limit '%s' (want nofile, nproc, core, "
			       "stack, cpu, fsize, data, rss, memlock, as, locks, sigpending, "
			       "msgqueue, nice, rtprio or rttime)",
			       text, name);
	const char *colon = strchr(eq + 1, ':');
	size_t slen = colon ? (size_t)(colon - eq - 1) : strlen(eq + 1);
	if (slen >= sizeof(soft) || (colon && strlen(colon + 1) >= sizeof(hard)))
		return err_fmt(err, errlen, "--rlimit '%.64s': want NAME=SOFT[:HARD]", text);
	memcpy(soft, eq + 1, slen);
	soft[slen] = '\0';
	snprintf(hard, sizeof(hard), "%s", colon ? colon + 1 : soft);
	if (parse_limit(soft, &lim->cur) < 0 || parse_limit(hard, &lim->max) < 0)
		return err_fmt(err, errlen,
			       "--rlimit '%.64s': want NAME=SOFT[:HARD], each a number or "
			       "unlimited",
			       text);
	if (lim->cur > lim->max)
		return err_fmt(err, errlen,
			       "--rlimit '%.64s': the soft limit is above the hard one", text);
	*resource = (unsigned)n;
	return 0;
}
