/* Image records: a disk's owner, mode and label before its first VM took it, and who uses it now. */
#ifndef LOCKVM_IMAGES_H
#define LOCKVM_IMAGES_H

#include <stdbool.h>
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

/*
 * The same for a --volume directory with ,Z (private_label: the VM's image
 * label, refused while another live VM holds it with any other label) or
 * ,z (the shared content label, held by any number of ,z VMs): records its
 * owner, mode and label, and sets label (SELinux only); no chown. The
 * record is the disks' kind: images_release() puts the label back.
 */
int images_take_volume(int fd, const char *path, const char *vm, bool private_label,
		       const char *label, char *err, size_t errlen);

/* Drops vm from every record; an image with no user left gets its original
 * owner, mode and label back and its record is removed. Needs the lock. */
void images_release(const char *vm);

/* The VMs using the image at path (for `pool delete`, inspect): how many. */
int images_users(const char *path, char users[][PATHS_NAME_MAX + 1], int max);

#endif
