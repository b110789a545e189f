/* --fs: the supervisor hands the VMM the tree as one directory fd of a private mount it made read-only, nodev, nosuid, noexec and nosymfollow. */
#include "run_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

/*
 * open_tree(OPEN_TREE_CLONE) makes a detached copy of the mount at DIR,
 * without the mounts below it (no AT_RECURSIVE): under --fs / the host's
 * /proc, /sys and /dev are not in the copy, only their empty mount points.
 * mount_setattr then sets what the kernel enforces on every access the VMM
 * makes through it, whatever the VMM's own code does: no write (RDONLY), no
 * device node opened (NODEV), no set-id or exec (NOSUID, NOEXEC), and no
 * symlink followed by the kernel (NOSYMFOLLOW: the VMM resolves them in
 * its own walk). The mount is private to the fd and goes with it.
 */
int open_fs_tree(const char *dir)
{
	int fd = open_tree(AT_FDCWD, dir, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (fd < 0)
		die_errno("--fs %s", dir);
	struct stat st;
	if (fstat(fd, &st) < 0)
		die_errno("--fs %s", dir);
	if (!S_ISDIR(st.st_mode))
		die("--fs %s: not a directory", dir);
	struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
					      MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC |
					      MOUNT_ATTR_NOSYMFOLLOW};
	if (mount_setattr(fd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
		die_errno("--fs %s: making its private mount read-only", dir);
	return fd;
}
