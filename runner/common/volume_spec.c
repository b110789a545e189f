/* --volume HOST:GUEST[:ro|:rw][,z|,Z]: split and checked with one-line reasons, for run and define alike. */
#include "volume_spec.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

/* An absolute path without ".", "..", empty components or ':'. */
static bool plain_dir(const char *path)
{
	if (path[0] != '/' || path[1] == '\0' || strlen(path) >= 4096 || strchr(path, ':'))
		return false;
	for (const char *c = path; *c;) {
		size_t n = strcspn(++c, "/");
		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		c += n;
	}
	return true;
}

int volume_spec_parse(char *arg, struct volume_spec *spec, char *why, size_t len)
{
	*spec = (struct volume_spec){.host = arg};
	char given[4200]; /* arg as given, for the messages */
	snprintf(given, sizeof(given), "%s", arg);
	char *opts = strrchr(arg, ',');
	if (opts && (strcmp(opts, ",z") == 0 || strcmp(opts, ",Z") == 0)) {
		spec->relabel = opts[1] == 'Z' ? VOLUME_PRIVATE_LABEL : VOLUME_SHARED_LABEL;
		*opts = '\0';
	} else if (opts && !strchr(opts, ':')) {
		return err_fmt(why, len,
			       "%s: want HOST:GUEST[:ro|:rw][,z|,Z] (,z: the shared "
			       "label, ,Z: the VM's own)",
			       given);
	}
	char *guest = strchr(arg, ':');
	char *mode = guest ? strchr(guest + 1, ':') : NULL;
	if (guest)
		*guest++ = '\0';
	if (mode)
		*mode++ = '\0';
	if (!guest || !arg[0] || (mode && strcmp(mode, "ro") != 0 && strcmp(mode, "rw") != 0))
		return err_fmt(why, len,
			       "%s: want HOST:GUEST[:ro|:rw][,z|,Z] (a host directory, where it "
			       "appears in the VM, read-only or read-write; no ':' in HOST)",
			       given);
	if (!plain_dir(guest))
		return err_fmt(why, len,
			       "%s: GUEST %s must be an absolute directory path without '.', '..', "
			       "'//' or ':'",
			       given, guest);
	static const char *const reserved[] = {"/proc", "/dev", "/sys"};
	for (size_t i = 0; i < ARRAY_SIZE(reserved); i++)
		if (path_beneath(guest, reserved[i]))
			return err_fmt(why, len, "%s: %s is the VM's own; a volume cannot cover it",
				       given, reserved[i]);
	if (strcmp(guest, "/tmp") == 0)
		return err_fmt(why, len,
			       "%s: /tmp is always the VM's tmpfs; mount the volume beneath it or "
			       "elsewhere",
			       given);
	spec->guest = guest;
	spec->ro = mode && strcmp(mode, "ro") == 0;
	return 0;
}

const char *volume_spec_label(enum volume_relabel relabel, const char *image, const char *content)
{
	switch (relabel) {
	case VOLUME_PRIVATE_LABEL: return image;
	case VOLUME_SHARED_LABEL: return content;
	default: return "";
	}
}
