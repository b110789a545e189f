/* The default storage pool: sparse NAME.img disk images under $root/var/lib/lockvm/images/. */
#ifndef LOCKVM_POOL_H
#define LOCKVM_POOL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "paths.h"

#define POOL_SECTOR    512 /* image sizes are whole sectors, as disks need */
#define POOL_IMAGE_EXT ".img"

struct pool_image {
	char name[PATHS_NAME_MAX + 1]; /* without ".img" */
	char path[PATH_MAX];
	uint64_t size;	    /* apparent size, bytes */
	uint64_t allocated; /* blocks the file really uses, bytes */
};

/*
 * Whether a live VM uses the image at path (its absolute path in the pool),
 * for pool_delete(). Passing NULL instead means "not known": the image is
 * then deleted without asking.
 */
typedef bool (*pool_in_use_fn)(const char *path, void *ctx);

/* out = <root>/var/lib/lockvm/images/NAME.img. NAME must be valid
 * (paths_name_valid). Returns 0, or -1 with a message in err. */
int pool_image_path(const char *name, char *out, size_t size, char *err, size_t errlen);

/*
 * Creates the sparse image NAME.img of size bytes (a positive multiple of
 * POOL_SECTOR), mode 0600, creating the pool directory if needed. The file
 * appears whole or not at all, and an existing name is refused. Returns 0,
 * or -1 with one line in err.
 */
int pool_create(const char *name, uint64_t size, char *err, size_t errlen);

/* Removes NAME.img unless in_use says a live VM uses it (see above).
 * Returns 0, or -1 with one line in err (errno ENOENT: no such image,
 * EBUSY: in use). */
int pool_delete(const char *name, pool_in_use_fn in_use, void *ctx, char *err, size_t errlen);

/*
 * The images in the pool, sorted by name, in a malloc'd array (free it).
 * Only regular files NAME.img with a valid NAME count; a missing pool
 * directory is an empty pool. Returns 0, or -1 with one line in err.
 */
int pool_list(struct pool_image **images, size_t *count, char *err, size_t errlen);

#endif
