/* Image records: a disk's owner, mode and label before its first VM took it, and who uses it now. */
#ifndef LOCKVM_IMAGES_H
#define LOCKVM_IMAGES_H

#include <stddef.h>
#include <sys/types.h>

#include "paths.h"

/*
 * Image records (run/lockvm/images/DEV-INO.json): what an image was (owner,
 * mode, label) before its first VM took it, and who uses it now.
 * images_take() is called with the registry lock held, for an opened image:
 * it refuses an image in use by a live VM with a different label unless both
 * use it shared, then records the original (unless already recorded in this
 * boot), chowns a read-write image to uid:gid with mode 0600 (uid 0: no
 * chown) and sets the label (SELinux only). Returns 0 or -1 with err.
 */
int images_take(int fd, const char *path, const char *vm, const char *mode, const char *label,
		uid_t uid, gid_t gid, char *err, size_t errlen);

/* Drops vm from every record; an image with no user left gets its original
 * owner, mode and label back and its record is removed. Needs the lock. */
void images_release(const char *vm);

/* The VMs using the image at path (for `pool delete`, inspect): how many. */
int images_users(const char *path, char users[][PATHS_NAME_MAX + 1], int max);

#endif
