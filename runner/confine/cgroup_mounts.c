/* Where the cgroup v1 hierarchies are mounted, read from mountinfo rather than assumed at /sys/fs/cgroup. */
#include "cgroup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* mountinfo escapes space, tab, newline and backslash as \ooo (octal). */
static void mountinfo_unescape(char *s)
{
	char *out = s;
	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 4;
		} else {
			*out++ = *s++;
		}
	}
	*out = '\0';
}

/* Whether the comma-separated list names item exactly ("cpu" is not "cpuacct"). */
static bool option_listed(const char *list, const char *item)
{
	size_t n = strlen(item);
	for (const char *p = list; p; p = strchr(p, ',')) {
		if (*p == ',')
			p++;
		if (strncmp(p, item, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return true;
	}
	return false;
}

int cgroup_v1_mount_point(const char *mountinfo, const char *controller, char *out, size_t len)
{
	FILE *f = fopen(mountinfo, "re");
	if (f == NULL)
		return -1;
	char *line = NULL;
	size_t cap = 0;
	bool found = false, found_at_root = false;
	while (!found_at_root && getline(&line, &cap, f) > 0) {
		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER */
		char *fields[6], *save = NULL, *tok = strtok_r(line, " \n", &save);
		int n = 0;
		while (tok && n < 6) {
			fields[n++] = tok;
			tok = strtok_r(NULL, " \n", &save);
		}
		while (tok && strcmp(tok, "-") != 0)
			tok = strtok_r(NULL, " \n", &save);
		char *fstype = tok ? strtok_r(NULL, " \n", &save) : NULL;
		char *source = fstype ? strtok_r(NULL, " \n", &save) : NULL;
		char *super = source ? strtok_r(NULL, " \n", &save) : NULL;
		if (n < 6 || super == NULL || strcmp(fstype, "cgroup") != 0 ||
		    !option_listed(super, controller))
			continue;
		/* A hierarchy mounted at its root wins over a bind of a subtree. */
		if (found && strcmp(fields[3], "/") != 0)
			continue;
		mountinfo_unescape(fields[4]);
		if ((size_t)snprintf(out, len, "%s", fields[4]) >= len)
			continue;
		found = true;
		found_at_root = strcmp(fields[3], "/") == 0;
	}
	free(line);
	fclose(f);
	if (!found)
		errno = ENOENT;
	return found ? 0 : -1;
}
