/* OCI hooks, run by the runtime at the points the spec names. */
#ifndef LOCKVM_OCI_HOOKS_H
#define LOCKVM_OCI_HOOKS_H

#include <stddef.h>

#include "oci_config.h"

/* Runs every hook of `kind` in order, each with `state` (the OCI state
 * JSON) on stdin; the first that fails or outlives its timeout stops the
 * rest. 0, or -1 with one line in err. */
int oci_hooks_run(const struct oci_config *c, enum oci_hook_kind kind, const char *state, char *err,
		  size_t errlen);

#endif
