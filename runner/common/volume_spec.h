/* The value of --volume HOST:GUEST[:ro|:rw][,z|,Z], checked once for `lockvm run` and for a definition's volume key. */
#ifndef LOCKVM_VOLUME_SPEC_H
#define LOCKVM_VOLUME_SPEC_H

#include <stdbool.h>
#include <stddef.h>

/* How a volume's directory is labelled for the VM (podman's :z and :Z). */
enum volume_relabel {
	VOLUME_KEEP_LABEL = 0,	 /* no suffix: its label stays */
	VOLUME_SHARED_LABEL = 1, /* ,z: the shared content label (no categories) */
	VOLUME_PRIVATE_LABEL = 2 /* ,Z: the VM's own image label (its category pair) */
};

struct volume_spec {
	char *host;  /* points into the buffer given to volume_spec_parse */
	char *guest; /* absolute and plain: no ".", "..", "//" or ':' */
	bool ro;
	enum volume_relabel relabel;
};

/*
 * Splits arg (changed in place: the separators become NULs) into *spec and
 * checks it: HOST non-empty, GUEST absolute and plain and not /proc, /dev,
 * /sys or beneath them, nor /tmp; mode ro or rw; suffix ,z or ,Z. Returns
 * 0, or -1 with why (one line, starting with what was wrong) in why[len].
 */
int volume_spec_parse(char *arg, struct volume_spec *spec, char *why, size_t len);

/* The label a volume's directory gets: "" (keep its own) without a suffix,
 * content for ,z, image for ,Z (the VM's labels: mac/label.h). */
const char *volume_spec_label(enum volume_relabel relabel, const char *image, const char *content);

#endif
