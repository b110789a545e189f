/* Per-VM MAC labels with sVirt semantics: dynamic category pairs, static, group and none. */
#include "label.h"

#include <errno.h>
#include <selinux/selinux.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/apparmor.h>
#include <sys/random.h>

#include "mac.h"
#include "util.h"

const char *label_kind_name(enum label_kind kind)
{
	switch (kind) {
	case LABEL_DYNAMIC: return "dynamic";
	case LABEL_STATIC: return "static";
	case LABEL_GROUP: return "group";
	case LABEL_NONE: return "none";
	}
	return "?";
}

static bool pair_used(const uint32_t *used, size_t n, uint32_t key)
{
	for (size_t i = 0; i < n; i++)
		if (used[i] == key)
			return true;
	return false;
}

static uint64_t random_u64(void)
{
	uint64_t v = 0;
	if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v))
		die_errno("getrandom");
	return v;
}

int label_pick_pair(const struct lockvm_config *cfg, const uint32_t *used, size_t n, int *a, int *b)
{
	uint64_t cats = (uint64_t)cfg->cat_hi - cfg->cat_lo + 1;
	uint64_t pairs = cats * (cats - 1) / 2;
	if (pairs <= n)
		return -1;
	/* Random probes first (libvirt's way); when the range is nearly full,
	 * a scan from a random start finds the free pairs that remain. */
	for (int tries = 0; tries < 64; tries++) {
		uint32_t x = cfg->cat_lo + (uint32_t)(random_u64() % cats);
		uint32_t y = cfg->cat_lo + (uint32_t)(random_u64() % cats);
		if (x == y)
			continue;
		if (x > y) {
			uint32_t t = x;
			x = y;
			y = t;
		}
		if (!pair_used(used, n, label_pair_key((int)x, (int)y))) {
			*a = (int)x;
			*b = (int)y;
			return 0;
		}
	}
	uint64_t start = random_u64() % pairs;
	for (uint64_t i = 0; i < pairs; i++) {
		uint64_t k = (start + i) % pairs;
		/* k-th pair in (x, y) order, x < y */
		uint32_t x = 0;
		uint64_t row = cats - 1;
		while (k >= row) {
			k -= row;
			x++;
			row--;
		}
		uint32_t y = x + 1 + (uint32_t)k;
		int ax = (int)(cfg->cat_lo + x), by = (int)(cfg->cat_lo + y);
		if (!pair_used(used, n, label_pair_key(ax, by))) {
			*a = ax;
			*b = by;
			return 0;
		}
	}
	return -1;
}

const char *label_level(const char *context)
{
	const char *p = context;
	for (int colons = 0; colons < 3 && p; colons++)
		if ((p = strchr(p, ':')))
			p++;
	return p;
}

void label_format(const struct lockvm_config *cfg, struct vm_label *l)
{
	if (l->kind == LABEL_NONE) {
		l->process[0] = l->image[0] = l->content[0] = '\0';
		return;
	}
	snprintf(l->content, sizeof(l->content), "%s:object_r:%s:s0", cfg->user, cfg->content_type);
	if (l->kind == LABEL_STATIC) {
		/* The image gets the static context's level with the image type. */
		const char *level = label_level(l->process);
		snprintf(l->image, sizeof(l->image), "%s:object_r:%s:%s", cfg->user,
			 cfg->image_type, level ? level : "s0");
		return;
	}
	snprintf(l->process, sizeof(l->process), "%s:%s:%s:s0:c%d,c%d", cfg->user, cfg->role,
		 cfg->vm_type, l->cat_a, l->cat_b);
	snprintf(l->image, sizeof(l->image), "%s:object_r:%s:s0:c%d,c%d", cfg->user,
		 cfg->image_type, l->cat_a, l->cat_b);
}

/* "s0", "s0:c1,c2", "s0:c0.c1023", "s0-s0:c0.c1023", "s1-s15:c0.c5,c9" */
static bool level_ok(const char *level)
{
	size_t n = strlen(level);
	if (n == 0 || level[0] != 's')
		return false;
	return strspn(level, "s0123456789-:c.,") == n;
}

int label_static_check(const char *context, char *err, size_t errlen)
{
	char buf[LABEL_MAX];
	if (strlen(context) >= sizeof(buf)) {
		snprintf(err, errlen, "--label: context longer than %d characters", LABEL_MAX - 1);
		return -1;
	}
	snprintf(buf, sizeof(buf), "%s", context);
	char *parts[4] = {buf, NULL, NULL, NULL};
	for (int i = 1; i < 4; i++) {
		char *colon = parts[i - 1] ? strchr(parts[i - 1], ':') : NULL;
		if (!colon) {
			snprintf(err, errlen,
				 "--label '%s': want user:role:type:level, e.g. "
				 "system_u:system_r:lockvm_vm_t:s0:c1,c2",
				 context);
			return -1;
		}
		*colon = '\0';
		parts[i] = colon + 1;
	}
	static const char ident[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_";
	for (int i = 0; i < 3; i++) {
		if (parts[i][0] == '\0' || strspn(parts[i], ident) != strlen(parts[i])) {
			snprintf(err, errlen, "--label '%s': '%s' is not an SELinux name", context,
				 parts[i]);
			return -1;
		}
	}
	if (!level_ok(parts[3])) {
		snprintf(err, errlen, "--label '%s': '%s' is not an MLS/MCS level", context,
			 parts[3]);
		return -1;
	}
	if (is_selinux_enabled() > 0 && security_check_context((char *)context) < 0) {
		snprintf(err, errlen, "--label '%s': the loaded SELinux policy rejects it",
			 context);
		return -1;
	}
	return 0;
}

int label_pair_of(const char *context, int *a, int *b)
{
	const char *cats = strrchr(context, ':');
	int x, y, used = 0;
	if (!cats || sscanf(cats, ":c%d,c%d%n", &x, &y, &used) != 2 || cats[used] != '\0' ||
	    x < 0 || y <= x || y > 1023)
		return -1;
	*a = x;
	*b = y;
	return 0;
}

const char *label_mac_model(void)
{
	return mac_active();
}

const char *label_mac_mode(void)
{
	if (is_selinux_enabled() > 0)
		return security_getenforce() == 1 ? "enforcing" : "permissive";
	if (aa_is_enabled() > 0)
		return "enforcing";
	return "not enforced";
}

static const struct label_file_ops *file_ops; /* a test's; NULL: libselinux */

void label_file_ops_set(const struct label_file_ops *ops)
{
	file_ops = ops;
}

int label_file_get(int fd, char *out, size_t size)
{
	out[0] = '\0';
	if (file_ops)
		return file_ops->get(fd, out, size);
	if (is_selinux_enabled() <= 0)
		return 0;
	char *con = NULL;
	char by_fd[64];
	snprintf(by_fd, sizeof(by_fd), "/proc/self/fd/%d", fd);
	/* An O_PATH fd (fgetxattr: EBADF): through its /proc link, whose
	 * target is the fd's own inode, a symlink too (never followed). */
	if (fgetfilecon(fd, &con) < 0 && (errno != EBADF || getfilecon(by_fd, &con) < 0))
		return -1;
	snprintf(out, size, "%s", con);
	freecon(con);
	return 0;
}

int label_file_set(int fd, const char *context)
{
	if (context == NULL || context[0] == '\0')
		return 0;
	if (file_ops)
		return file_ops->set(fd, context);
	if (is_selinux_enabled() <= 0)
		return 0;
	if (fsetfilecon(fd, context) == 0)
		return 0;
	if (errno != EBADF)
		return -1;
	char by_fd[64];
	snprintf(by_fd, sizeof(by_fd), "/proc/self/fd/%d", fd);
	return setfilecon(by_fd, context); /* an O_PATH fd, as label_file_get */
}
