/* Hand a disk image to the VM's uid (mode 0600) and give it back afterwards. */
#ifndef LOCKVM_IMAGE_OWNER_H
#define LOCKVM_IMAGE_OWNER_H

#include <stdbool.h>
#include <sys/types.h>

/* What the image was before; record it (registry) to restore after a crash. */
struct image_owner {
	int fd;
	uid_t uid;
	gid_t gid;
	mode_t mode; /* permission bits incl. setuid/setgid/sticky */
	bool taken;
};

/*
 * fd: the opened image (regular file or block device). Remembers owner and
 * mode, then chmods it 0600 and chowns it to uid:gid through the fd (no
 * path, so no symlink race). Returns 0, or -1 with errno and a message
 * (the image is left as it was).
 */
int image_owner_take(int fd, uid_t uid, gid_t gid, struct image_owner *saved);

/* Puts owner and mode back (fchown, then fchmod, since chown may clear the
 * setuid/setgid bits). Idempotent. Returns 0 or -1 with a message. */
int image_owner_restore(struct image_owner *saved);

#endif
