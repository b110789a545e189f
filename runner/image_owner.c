/* Disk image ownership for a VM's lifetime: chown to the VM uid, 0600, restore. */
#include "image_owner.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

int image_owner_take(int fd, uid_t uid, gid_t gid, struct image_owner *saved)
{
	struct stat st;
	memset(saved, 0, sizeof(*saved));
	saved->fd = -1;
	if (fstat(fd, &st) < 0) {
		warn_errno("fstat(image fd %d)", fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		warn_msg("image fd %d is neither a regular file nor a block device", fd);
		errno = EINVAL;
		return -1;
	}
	saved->fd = fd;
	saved->uid = st.st_uid;
	saved->gid = st.st_gid;
	saved->mode = st.st_mode & 07777;
	/* Mode first: between the two calls the image is never readable by
	 * the VM uid and the old group/others at once. */
	if (fchmod(fd, 0600) < 0) {
		warn_errno("fchmod(image fd %d, 0600)", fd);
		return -1;
	}
	if (fchown(fd, uid, gid) < 0) {
		int saved_errno = errno;
		warn_errno("fchown(image fd %d, %u, %u)", fd, uid, gid);
		(void)fchmod(fd, saved->mode);
		errno = saved_errno;
		return -1;
	}
	saved->taken = true;
	return 0;
}

int image_owner_restore(struct image_owner *saved)
{
	if (!saved->taken)
		return 0;
	if (fchown(saved->fd, saved->uid, saved->gid) < 0) {
		warn_errno("fchown(image fd %d, %u, %u)", saved->fd, saved->uid, saved->gid);
		return -1;
	}
	if (fchmod(saved->fd, saved->mode) < 0) {
		warn_errno("fchmod(image fd %d, %04o)", saved->fd, (unsigned)saved->mode);
		return -1;
	}
	saved->taken = false;
	return 0;
}
