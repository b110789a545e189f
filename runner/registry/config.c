/* /etc/lockvm/lockvm.conf (under the root): label, uid and log settings, with defaults when absent. */
#include "config.h"

#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "paths.h"
#include "util.h"
#include "vmlog.h"

void config_defaults(struct lockvm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->cat_lo = 0;
	cfg->cat_hi = 1023;
	snprintf(cfg->user, sizeof(cfg->user), "system_u");
	snprintf(cfg->role, sizeof(cfg->role), "system_r");
	snprintf(cfg->vm_type, sizeof(cfg->vm_type), "lockvm_vm_t");
	snprintf(cfg->image_type, sizeof(cfg->image_type), "lockvm_image_t");
	snprintf(cfg->content_type, sizeof(cfg->content_type), "lockvm_content_t");
	cfg->uids.first = UID_RANGE_DEFAULT_FIRST;
	cfg->uids.last = UID_RANGE_DEFAULT_LAST;
	cfg->log_size_max = VMLOG_SIZE_MAX_DEFAULT;
	cfg->log_max_age_s = VMLOG_MAX_AGE_DEFAULT_S;
}

static int parse_category(const char *text, uint32_t *out)
{
	uint64_t v;
	if (text[0] != 'c' || parse_uint(text + 1, 0, 1023, &v) < 0)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int config_parse_categories(const char *text, uint32_t *lo, uint32_t *hi)
{
	char buf[32];
	if (strlen(text) >= sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "%s", text);
	char *dot = strchr(buf, '.');
	if (!dot)
		return -1;
	*dot = '\0';
	uint32_t a, b;
	if (parse_category(buf, &a) < 0 || parse_category(dot + 1, &b) < 0 || a >= b)
		return -1;
	*lo = a;
	*hi = b;
	return 0;
}

/* A type, user or role name: what SELinux identifiers may hold. */
static bool identifier_ok(const char *v)
{
	size_t n = strlen(v);
	return n > 0 && n < CONFIG_CONTEXT_PART &&
	       strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == n;
}

struct parse_state {
	struct lockvm_config *cfg;
	char *err;
	size_t errlen;
	const char *file;
	bool failed;
};

/* inih (as Debian builds it) gives no line number to the handler; on a
 * refusal ini_parse_file() returns the line, and config_load() adds it. */
static int on_entry(void *user, const char *section, const char *key, const char *value)
{
	struct parse_state *st = user;
	struct lockvm_config *cfg = st->cfg;
	char *target = NULL;
	if (st->failed)
		return 0;
	if (strcmp(section, "labels") == 0) {
		if (strcmp(key, "categories") == 0) {
			if (config_parse_categories(value, &cfg->cat_lo, &cfg->cat_hi) < 0) {
				snprintf(st->err, st->errlen,
					 "categories '%s': want cLO.cHI with 0 <= LO < HI <= 1023",
					 value);
				st->failed = true;
			}
			return !st->failed;
		}
		target = strcmp(key, "user") == 0	    ? cfg->user
			 : strcmp(key, "role") == 0	    ? cfg->role
			 : strcmp(key, "type") == 0	    ? cfg->vm_type
			 : strcmp(key, "image_type") == 0   ? cfg->image_type
			 : strcmp(key, "content_type") == 0 ? cfg->content_type
							    : NULL;
		if (target) {
			if (!identifier_ok(value)) {
				snprintf(st->err, st->errlen, "%s '%s': not an SELinux name", key,
					 value);
				st->failed = true;
				return 0;
			}
			snprintf(target, CONFIG_CONTEXT_PART, "%s", value);
			return 1;
		}
	} else if (strcmp(section, "uids") == 0 && strcmp(key, "range") == 0) {
		if (uid_range_parse(value, &cfg->uids) < 0) {
			snprintf(st->err, st->errlen,
				 "range '%s': want FIRST-LAST within 1-2147483647", value);
			st->failed = true;
			return 0;
		}
		return 1;
	} else if (strcmp(section, "logs") == 0 && strcmp(key, "size_max") == 0) {
		if (parse_size(value, &cfg->log_size_max) < 0 ||
		    cfg->log_size_max < VMLOG_SIZE_MAX_MIN) {
			snprintf(st->err, st->errlen, "size_max '%s': want a size of at least 64K",
				 value);
			st->failed = true;
			return 0;
		}
		return 1;
	} else if (strcmp(section, "logs") == 0 && strcmp(key, "max_age") == 0) {
		if (vmlog_parse_age(value, &cfg->log_max_age_s) < 0) {
			snprintf(st->err, st->errlen,
				 "max_age '%s': want a duration such as 7d, 12h, 30m or 0", value);
			st->failed = true;
			return 0;
		}
		return 1;
	}
	snprintf(st->err, st->errlen, "unknown setting [%s] %s", section, key);
	st->failed = true;
	return 0;
}

int config_load(struct lockvm_config *cfg, char *err, size_t errlen)
{
	char path[PATH_MAX];
	config_defaults(cfg);
	if (paths_join(path, sizeof(path), CONFIG_FILE, NULL) < 0) {
		snprintf(err, errlen, "configuration path too long");
		return -1;
	}
	FILE *f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	char why[256] = "";
	struct parse_state st = {.cfg = cfg, .err = why, .errlen = sizeof(why), .file = path};
	int rc = ini_parse_file(f, on_entry, &st);
	fclose(f);
	if (st.failed) {
		snprintf(err, errlen, "%s:%d: %s", path, rc, why);
		return -1;
	}
	if (rc != 0) {
		snprintf(err, errlen, "%s:%d: not INI syntax", path, rc);
		return -1;
	}
	return 0;
}
