/* Small readers of /proc for the commands that look at a running VMM from outside. */
#include "procfs.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

void procfs_line(const char *path, char *out, size_t size)
{
	out[0] = '\0';
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	if (!fgets(out, (int)size, f))
		out[0] = '\0';
	fclose(f);
	out[strcspn(out, "\n")] = '\0';
}

void procfs_status(const char *dir, const char *key, char *out, size_t size)
{
	char path[PATH_MAX], line[512];
	out[0] = '\0';
	snprintf(path, sizeof(path), "%s/status", dir);
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	size_t klen = strlen(key);
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			char *v = line + klen + 1;
			v += strspn(v, " \t");
			v[strcspn(v, "\n")] = '\0';
			snprintf(out, size, "%s", v);
			break;
		}
	}
	fclose(f);
}

void procfs_mac_label(long pid, char *out, size_t size)
{
	char path[64];
	out[0] = '\0';
	if (pid <= 0)
		return;
	snprintf(path, sizeof(path), "/proc/%ld/attr/current", pid);
	procfs_line(path, out, size);
	char *mode = strstr(out, " ("); /* AppArmor: "lockvm-<uuid> (enforce)" */
	if (mode)
		*mode = '\0';
}
