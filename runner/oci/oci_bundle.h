/* A bundle on disk: its config.json read, its root found without leaving it, its program found in the root. */
#ifndef LOCKVM_OCI_BUNDLE_H
#define LOCKVM_OCI_BUNDLE_H

#include <limits.h>
#include <stddef.h>

#include "oci_config.h"

struct oci_bundle {
	char dir[PATH_MAX];	/* the bundle, absolute */
	char root[PATH_MAX];	/* the root file system's real path */
	char program[PATH_MAX]; /* the program's real path, inside root */
	struct oci_config config;
};

/*
 * Reads DIR/config.json and checks it (oci_config_parse), then finds the
 * root: a relative root.path must stay beneath the bundle (the kernel
 * resolves it, RESOLVE_BENEATH: no `..` or symbolic link leads out); an
 * absolute one, as engines give their image store's paths, may hold no
 * symbolic link and may not be the host's own root. The program is
 * process.args[0], looked up in the container's PATH inside the root with
 * symbolic links resolved as the container would (RESOLVE_IN_ROOT).
 * Returns 0, or -1 with one line in err; oci_bundle_free after either.
 */
int oci_bundle_load(const char *dir, struct oci_bundle *b, char *err, size_t errlen);

void oci_bundle_free(struct oci_bundle *b);

#endif
