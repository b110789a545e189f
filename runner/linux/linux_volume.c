/* --volume: host directories mounted in the VM's tree and written in place on the host, every change one call relative to an fd that openat2 found beneath the volume's fd. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux_fs.h"
#include "linux_shm.h"

/*
 * A volume node is a host node (linux_hostfs.c) whose host path is taken
 * from its volume's root, not the --fs tree's: the kernel keeps every
 * access beneath the volume's fd (RESOLVE_BENEATH, no symlink followed, no
 * mount crossed), Landlock allows writes beneath the rw volumes' fds only,
 * and a read-only volume's fd is a read-only mount. Nodes are cached as the
 * tree's are and kept in step with the changes made here; a removed node
 * joins the orphans (open fds may still name it).
 */

static bool is_dir(const struct linux_node *n)
{
	return (n->mode & S_IFMT) == S_IFDIR;
}

int linux_volume_base_fd(const struct linux_fs *fs, const struct linux_node *n)
{
	return n->vol ? fs->volumes[n->vol - 1].fd : fs->root_fd;
}

bool linux_volume_is_root(const struct linux_fs *fs, const struct linux_node *n)
{
	return n->vol && fs->volumes[n->vol - 1].dir == n;
}

bool linux_volume_writable(const struct linux_fs *fs, const struct linux_node *n)
{
	return n->vol && !fs->volumes[n->vol - 1].ro;
}

struct linux_volume *linux_fs_volume_at(struct linux_fs *fs, const struct linux_node *dir,
					const char *name, size_t len)
{
	for (unsigned i = 0; i < fs->volume_count; i++)
		if (linux_fs_mounted_on(fs->volumes[i].parent, fs->volumes[i].dir, dir, name, len))
			return &fs->volumes[i];
	return NULL;
}

int linux_fs_mount_volume(struct linux_fs *fs, const char *path, int fd, bool ro, char *err,
			  size_t errlen)
{
	struct linux_node *parent;
	const char *name;
	if (fs->volume_count == LINUX_FS_VOLUMES) {
		close(fd);
		snprintf(err, errlen, "--volume %s: at most %u volumes", path, LINUX_FS_VOLUMES);
		return -1;
	}
	if (linux_fs_mount_point(fs, "--volume", path, &parent, &name, err, errlen) < 0) {
		close(fd);
		return -1;
	}
	struct linux_node *dir = calloc(1, sizeof(*dir));
	char *copy = strdup(name);
	if (!dir || !copy) {
		free(dir);
		free(copy);
		close(fd);
		snprintf(err, errlen, "--volume %s: out of memory", path);
		return -1;
	}
	/* lower: it lives as long as the tree; host: its entries are read lazily */
	*dir = (struct linux_node){.mode = S_IFDIR | 0755,
				   .parent = parent,
				   .name = copy,
				   .name_len = strlen(copy),
				   .host = true,
				   .lower = true,
				   .vol = (uint8_t)(fs->volume_count + 1)};
	fs->volumes[fs->volume_count++] =
	    (struct linux_volume){.parent = parent, .dir = dir, .fd = fd, .ro = ro};
	int rc = linux_hostfs_stat(fs, dir);
	if (rc < 0 || !is_dir(dir)) {
		snprintf(err, errlen, "--volume %s: %s", path,
			 rc < 0 ? strerror(-rc) : "not a directory");
		return -1; /* freed with the tree */
	}
	return 0;
}

/* What every change needs: a rw volume, and a directory still in the tree. */
static int changeable(struct linux_fs *fs, const struct linux_node *n)
{
	if (!linux_volume_writable(fs, n))
		return -EROFS;
	return n->unlinked ? -ENOENT : 0;
}

/* An O_PATH fd of volume directory dir on the host, or -errno. */
static int dir_fd(struct linux_fs *fs, const struct linux_node *dir)
{
	return linux_hostfs_openat(fs, dir, NULL, 0, O_PATH | O_DIRECTORY, 0);
}

/* Caches the host entry `name` that a change just made in dir. */
static int cache_new(struct linux_fs *fs, struct linux_node *dir, const char *name,
		     struct linux_node **out)
{
	struct linux_node *n;
	int rc = linux_hostfs_lookup(fs, dir, name, strlen(name), &n);
	if (rc < 0)
		return rc;
	linux_fs_link_child(dir, n);
	if (out)
		*out = n;
	return 0;
}

int linux_volume_create(struct linux_fs *fs, struct linux_node *dir, const char *name,
			uint32_t mode, struct linux_node **out)
{
	size_t len = strlen(name);
	int rc = changeable(fs, dir);
	if (rc < 0)
		return rc;
	if (len == 0 || len > LINUX_NAME_MAX)
		return -ENAMETOOLONG;
	if (linux_fs_lookup(fs, dir, name, len))
		return -EEXIST;
	if (S_ISREG(mode)) {
		int fd = linux_hostfs_openat(fs, dir, name, len, O_CREAT | O_EXCL | O_WRONLY,
					     mode & 07777);
		if (fd < 0)
			return fd;
		close(fd);
	} else if (S_ISDIR(mode)) {
		int fd = dir_fd(fs, dir);
		if (fd < 0)
			return fd;
		rc = mkdirat(fd, name, mode & 07777) < 0 ? -errno : 0;
		close(fd);
		if (rc < 0)
			return rc;
	} else {
		return -EPERM; /* no device node, FIFO or socket is made on the host */
	}
	return cache_new(fs, dir, name, out);
}

/* Takes n out of its directory's cached entries. */
static void unlist(struct linux_node *n)
{
	struct linux_node **link = &n->parent->children;
	while (*link && *link != n)
		link = &(*link)->next;
	if (*link)
		*link = n->next;
	n->next = NULL;
}

/* n is gone from the host: it leaves the tree, kept while fds may name it. */
static void forget(struct linux_fs *fs, struct linux_node *n)
{
	unlist(n);
	n->unlinked = true;
	linux_fs_orphan(fs, n);
}

int linux_volume_unlink(struct linux_fs *fs, struct linux_node *dir, struct linux_node *n)
{
	int rc = changeable(fs, dir);
	if (rc < 0)
		return rc;
	int fd = dir_fd(fs, dir);
	if (fd < 0)
		return fd;
	rc = unlinkat(fd, n->name, is_dir(n) ? AT_REMOVEDIR : 0) < 0 ? -errno : 0;
	close(fd);
	if (rc == 0)
		forget(fs, n);
	return rc;
}

/*
 * Renames (flags: the guest's RENAME_*) or hard-links odir's entry oname to
 * ndir's nname, both directories of one volume, by one call on O_PATH fds
 * of both: renameat2 itself (glibc's wrapper makes flags 0 a renameat), or
 * linkat without AT_SYMLINK_FOLLOW (a symlink is linked, never followed).
 */
static int between(struct linux_fs *fs, struct linux_node *odir, const char *oname,
		   struct linux_node *ndir, const char *nname, bool link, unsigned flags)
{
	int ofd = dir_fd(fs, odir);
	if (ofd < 0)
		return ofd;
	int nfd = dir_fd(fs, ndir), rc = nfd;
	if (nfd >= 0) {
		long done = link ? linkat(ofd, oname, nfd, nname, 0)
				 : syscall(SYS_renameat2, ofd, oname, nfd, nname, flags);
		rc = done < 0 ? -errno : 0;
		close(nfd);
	}
	close(ofd);
	return rc;
}

/* Moves cached n into dir under `name`. */
static int move_node(struct linux_node *n, struct linux_node *dir, const char *name)
{
	char *copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	unlist(n);
	free(n->name);
	n->name = copy;
	n->name_len = strlen(copy);
	n->parent = dir;
	linux_fs_link_child(dir, n);
	return 0;
}

int linux_volume_rename(struct linux_fs *fs, struct linux_node *odir, const char *oname,
			struct linux_node *ndir, const char *nname, unsigned flags)
{
	if (odir->vol != ndir->vol)
		return -EXDEV; /* a volume is a file system of its own */
	int rc = changeable(fs, odir);
	if (rc < 0 || (rc = changeable(fs, ndir)) < 0)
		return rc;
	struct linux_node *old = linux_fs_lookup(fs, odir, oname, strlen(oname));
	struct linux_node *new = linux_fs_lookup(fs, ndir, nname, strlen(nname));
	if (!old)
		return -ENOENT;
	/* The host kernel decides as Linux does: EISDIR, ENOTEMPTY, EINVAL... */
	rc = between(fs, odir, oname, ndir, nname, false, flags);
	if (rc < 0 || old == new)
		return rc;
	if (new && (flags & LINUX_RENAME_EXCHANGE)) {
		rc = move_node(new, odir, oname);
		return rc < 0 ? rc : move_node(old, ndir, nname);
	}
	if (new)
		forget(fs, new);
	return move_node(old, ndir, nname);
}

int linux_volume_symlink(struct linux_fs *fs, struct linux_node *dir, const char *name,
			 const char *target)
{
	int rc = changeable(fs, dir);
	if (rc < 0)
		return rc;
	if (linux_fs_lookup(fs, dir, name, strlen(name)))
		return -EEXIST;
	int fd = dir_fd(fs, dir);
	if (fd < 0)
		return fd;
	rc = symlinkat(target, fd, name) < 0 ? -errno : 0;
	close(fd);
	return rc < 0 ? rc : cache_new(fs, dir, name, NULL);
}

int linux_volume_link(struct linux_fs *fs, struct linux_node *n, struct linux_node *dir,
		      const char *name)
{
	if (n->vol != dir->vol)
		return -EXDEV;
	int rc = changeable(fs, dir);
	if (rc < 0 || (rc = changeable(fs, n)) < 0)
		return rc;
	if (is_dir(n))
		return -EPERM;
	rc = between(fs, n->parent, n->name, dir, name, true, 0);
	if (rc < 0)
		return rc;
	(void)linux_hostfs_stat(fs, n); /* its link count grew */
	return cache_new(fs, dir, name, NULL);
}

int linux_volume_set_mtime(struct linux_fs *fs, struct linux_node *n, int64_t sec, uint32_t nsec)
{
	int rc = changeable(fs, n);
	if (rc < 0)
		return rc;
	if (!S_ISREG(n->mode) && !is_dir(n))
		return 0; /* a symlink's own times: the VM's view only */
	int fd = linux_hostfs_openat(fs, n, NULL, 0, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0);
	if (fd < 0)
		return fd;
	const struct timespec times[2] = {{.tv_nsec = UTIME_OMIT},
					  {.tv_sec = sec, .tv_nsec = nsec}};
	rc = futimens(fd, times) < 0 ? -errno : 0;
	close(fd);
	return rc;
}

int linux_volume_open(struct linux_fs *fs, struct linux_node *n, unsigned acc)
{
	int rc = changeable(fs, n);
	if (rc < 0)
		return rc;
	if (!S_ISREG(n->mode))
		return is_dir(n) ? -EISDIR : -EACCES;
	int fd = linux_hostfs_openat(fs, n, NULL, 0, acc | O_NONBLOCK | O_NOCTTY, 0);
	if (fd < 0)
		return fd;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd); /* swapped for something else since the lookup */
		return -EAGAIN;
	}
	n->size = (uint64_t)st.st_size;
	return fd;
}

long linux_volume_write(struct linux_node *n, int host_fd, uint64_t offset, const void *buf,
			uint64_t len)
{
	for (;;) {
		ssize_t done = pwrite(host_fd, buf, len, (off_t)offset);
		if (done < 0 && errno == EINTR)
			continue;
		if (done < 0)
			return -errno;
		if (offset + (uint64_t)done > n->size)
			n->size = offset + (uint64_t)done;
		linux_shm_wrote(n, offset, buf, (uint64_t)done); /* mappings see it */
		return (long)done;
	}
}

int linux_volume_truncate(struct linux_fs *fs, struct linux_node *n, uint64_t size)
{
	int fd = linux_volume_open(fs, n, O_WRONLY);
	if (fd < 0)
		return fd;
	int rc = ftruncate(fd, (off_t)size) < 0 ? -errno : 0;
	close(fd);
	if (rc == 0) {
		n->size = size;
		linux_shm_truncated(n, size);
	}
	return rc;
}

int linux_volume_chmod(struct linux_fs *fs, struct linux_node *n, uint32_t mode)
{
	int rc = changeable(fs, n);
	if (rc < 0)
		return rc;
	if (!S_ISREG(n->mode) && !is_dir(n))
		return -EPERM; /* only what the VMM may open: never a symlink's target */
	/* Opened, not named: fchmodat would follow a symlink swapped in. */
	int fd = linux_hostfs_openat(fs, n, NULL, 0, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0);
	if (fd < 0)
		return fd;
	rc = fchmod(fd, mode & 07777) < 0 ? -errno : 0;
	close(fd);
	if (rc == 0)
		n->mode = (n->mode & S_IFMT) | (mode & 07777);
	return rc;
}
