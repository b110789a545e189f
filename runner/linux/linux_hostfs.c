/* The --fs tree and --volume directories on the host, read lazily: every access is one openat2() beneath the tree's or the volume's fd that the kernel keeps inside it. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux_fs.h"

/*
 * Our own walk (linux_fs_resolve) has resolved every symlink and ".."
 * inside the tree, so a node's host path is a chain of plain names. The
 * kernel holds it to that: BENEATH refuses any step above the root fd,
 * NO_SYMLINKS any symlink (one a host process swapped in after our walk
 * included), NO_MAGICLINKS /proc-style links, NO_XDEV any mount crossing.
 */
#define HOST_RESOLVE                                                                               \
	(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV)
#define HOST_PATH_MAX 4096

/* The host path of dir's child `name` (dir itself when name is NULL),
 * relative to the root fd or its volume's, in buf. Returns 0 or -ENAMETOOLONG. */
static int host_path(const struct linux_fs *fs, const struct linux_node *dir, const char *name,
		     size_t len, char *buf)
{
	size_t pos = HOST_PATH_MAX - 1;
	buf[pos] = '\0';
	if (name) {
		if (len >= pos)
			return -ENAMETOOLONG;
		pos -= len;
		memcpy(buf + pos, name, len);
	}
	for (const struct linux_node *n = dir; n->parent != n && !linux_volume_is_root(fs, n);
	     n = n->parent) {
		/* a renamed directory: its lower side is where it was (plain names) */
		size_t len_here = n->origin ? strlen(n->origin) : n->name_len;
		if (pos < len_here + 1)
			return -ENAMETOOLONG;
		if (pos < HOST_PATH_MAX - 1)
			buf[--pos] = '/';
		pos -= len_here;
		memcpy(buf + pos, n->origin ? n->origin : n->name, len_here);
		if (n->origin)
			break;
	}
	if (pos == HOST_PATH_MAX - 1)
		buf[--pos] = '.'; /* the root itself */
	memmove(buf, buf + pos, HOST_PATH_MAX - pos);
	return 0;
}

int linux_hostfs_openat(struct linux_fs *fs, const struct linux_node *dir, const char *name,
			size_t len, uint64_t flags, uint64_t mode)
{
	char path[HOST_PATH_MAX];
	int rc = host_path(fs, dir, name, len, path);
	if (rc < 0)
		return rc;
	struct open_how how = {
	    .flags = flags | O_NOFOLLOW | O_CLOEXEC, .mode = mode, .resolve = HOST_RESOLVE};
	long fd = syscall(SYS_openat2, linux_volume_base_fd(fs, dir), path, &how, sizeof(how));
	if (fd < 0)
		return errno == EXDEV ? -ENOENT : -errno; /* a mount point: not in the tree */
	return (int)fd;
}

static int host_open(struct linux_fs *fs, const struct linux_node *dir, const char *name,
		     size_t len, uint64_t flags)
{
	return linux_hostfs_openat(fs, dir, name, len, flags, 0);
}

static void set_attrs(struct linux_node *n, const struct stat *st)
{
	n->mode = st->st_mode;
	n->ino = st->st_ino;
	n->size = (uint64_t)st->st_size;
	n->mtime_sec = st->st_mtim.tv_sec;
	n->mtime_nsec = (uint32_t)st->st_mtim.tv_nsec;
	n->nlink = (uint32_t)st->st_nlink;
	n->statted = true;
}

/* Attributes (and a symlink's target) from an O_PATH fd of the node. */
static int stat_fd(struct linux_node *n, int fd)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISLNK(st.st_mode) && !n->link) {
		char target[HOST_PATH_MAX];
		ssize_t len = readlinkat(fd, "", target, sizeof(target));
		if (len < 0)
			return -errno;
		if ((size_t)len >= sizeof(target))
			return -ENAMETOOLONG;
		n->link = strndup(target, (size_t)len);
		if (!n->link)
			return -ENOMEM;
		st.st_size = len; /* what readlink gives, whatever the host fs said */
	}
	set_attrs(n, &st);
	return 0;
}

int linux_hostfs_stat(struct linux_fs *fs, struct linux_node *node)
{
	int fd = host_open(fs, node, NULL, 0, O_PATH);
	if (fd < 0)
		return fd;
	int rc = stat_fd(node, fd);
	close(fd);
	return rc;
}

static struct linux_node *new_node(struct linux_node *dir, const char *name, size_t len)
{
	struct linux_node *n = calloc(1, sizeof(*n));
	char *copy = n ? strndup(name, len) : NULL;
	if (!copy) {
		free(n);
		return NULL;
	}
	*n = (struct linux_node){.parent = dir,
				 .name = copy,
				 .name_len = len,
				 .host = true,
				 .lower = true,
				 .covers_lower = !dir->vol, /* a volume's entries have no layers */
				 .pool = dir->pool,
				 .vol = dir->vol};
	return n;
}

int linux_hostfs_lookup(struct linux_fs *fs, struct linux_node *dir, const char *name, size_t len,
			struct linux_node **out)
{
	if (len == 0 || len > LINUX_NAME_MAX || memchr(name, '/', len) || memchr(name, '\0', len))
		return -ENOENT;
	int fd = host_open(fs, dir, name, len, O_PATH);
	if (fd < 0)
		return fd;
	struct linux_node *n = new_node(dir, name, len);
	int rc = n ? stat_fd(n, fd) : -ENOMEM;
	close(fd);
	if (rc < 0) {
		linux_hostfs_free(n);
		return rc;
	}
	*out = n;
	return 0;
}

/* Only files and directories are opened for reading; device nodes,
 * FIFOs and sockets never are (the O_PATH look comes first). */
static bool servable(uint32_t mode)
{
	return S_ISREG(mode) || S_ISDIR(mode);
}

int linux_hostfs_open(struct linux_fs *fs, struct linux_node *node)
{
	int probe = host_open(fs, node, NULL, 0, O_PATH);
	if (probe < 0)
		return probe;
	struct stat before, after;
	int rc = fstat(probe, &before) < 0 ? -errno : 0;
	close(probe);
	if (rc < 0)
		return rc;
	if (!servable(before.st_mode))
		return S_ISLNK(before.st_mode) ? -ELOOP : -EACCES;
	uint64_t flags =
	    O_RDONLY | O_NONBLOCK | O_NOCTTY | (S_ISDIR(before.st_mode) ? O_DIRECTORY : 0);
	int fd = host_open(fs, node, NULL, 0, flags);
	if (fd < 0)
		return fd;
	/* Swapped between the two opens: refuse rather than serve another file. */
	if (fstat(fd, &after) < 0 || after.st_ino != before.st_ino ||
	    after.st_dev != before.st_dev || !servable(after.st_mode)) {
		close(fd);
		return -EAGAIN;
	}
	if (!node->writable)
		set_attrs(node, &after); /* a copied-up directory keeps the upper's attributes */
	return fd;
}

static uint32_t dtype_mode(unsigned char type)
{
	switch (type) {
	case 1: return S_IFIFO;
	case 2: return S_IFCHR;
	case 4: return S_IFDIR;
	case 6: return S_IFBLK;
	case 8: return S_IFREG;
	case 10: return S_IFLNK;
	case 12: return S_IFSOCK;
	default: return 0; /* DT_UNKNOWN: stat it */
	}
}

/* One linux_dirent64 record from the host: adds it unless one of the `before`
 * entries dir had before the listing has its name (a whiteout, an upper
 * entry, or a lower one looked up already); the host lists a name once, so
 * the entries added since need no look. 1 when added, 0 when not, or -errno. */
static int add_entry(struct linux_fs *fs, struct linux_node *dir, struct linux_node ***tail,
		     size_t before, uint64_t ino, unsigned char type, const char *name)
{
	size_t len = strlen(name);
	if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
		return 0;
	size_t i = 0;
	for (struct linux_node *c = dir->children; c && i < before; c = c->next, i++)
		if (c->name_len == len && memcmp(c->name, name, len) == 0)
			return 0;
	struct linux_node *n = new_node(dir, name, len);
	if (!n)
		return -ENOMEM;
	n->mode = dtype_mode(type);
	n->ino = ino;
	if (!n->mode && linux_hostfs_stat(fs, n) < 0) {
		linux_hostfs_free(n); /* gone since the listing: not an entry */
		return 0;
	}
	linux_fs_append_child(dir, tail, n);
	return 1;
}

int linux_hostfs_list(struct linux_fs *fs, struct linux_node *dir)
{
	if (dir->listed)
		return 0;
	int fd = host_open(fs, dir, NULL, 0, O_RDONLY | O_DIRECTORY | O_NONBLOCK);
	if (fd < 0)
		return fd;
	/* The entries dir had before: `start` is where the new ones begin. */
	size_t before = 0;
	struct linux_node **start = &dir->children;
	while (*start) {
		start = &(*start)->next;
		before++;
	}
	struct linux_node **tail = start; /* the children's end, kept across entries */
	size_t added_n = 0;
	static _Alignas(8) uint8_t buf[32768];
	int rc = 0;
	for (;;) {
		long n = syscall(SYS_getdents64, fd, buf, sizeof(buf));
		if (n <= 0) {
			rc = n < 0 ? -errno : 0;
			break;
		}
		for (long off = 0; off + 19 < n && rc == 0;) {
			uint64_t ino;
			uint16_t reclen;
			memcpy(&ino, buf + off, 8);
			memcpy(&reclen, buf + off + 16, 2);
			if (reclen < 20 || off + reclen > n ||
			    !memchr(buf + off + 19, 0, reclen - 19U)) {
				rc = -EIO; /* not what the kernel writes */
				break;
			}
			rc = add_entry(fs, dir, &tail, before, ino, buf[off + 18],
				       (const char *)buf + off + 19);
			off += reclen;
			/* A bounded listing: the VMM's memory stays within its
			 * cgroup whatever the tree holds. */
			if (rc > 0)
				rc = ++added_n + before > LINUX_DIR_MAX_ENTRIES ? -ENOMEM : 0;
		}
		if (rc < 0)
			break;
	}
	close(fd);
	if (rc == 0) {
		dir->listed = true;
		return 0;
	}
	/* Refused or failed: the entries this listing added go again, so dir
	 * is as it was and a retry costs no more than this one. */
	struct linux_node *added = *start;
	*start = NULL;
	while (added) {
		struct linux_node *next = added->next;
		linux_hostfs_free(added);
		added = next;
	}
	if (rc == -ENOMEM && !fs->big_dir_said) {
		fs->big_dir_said = true;
		fprintf(stderr,
			"[lockvm] a directory of the tree ('%s') has more than %u entries: its "
			"listing is refused (ENOMEM)\n",
			dir->name, LINUX_DIR_MAX_ENTRIES);
	}
	return rc;
}

void linux_hostfs_free(struct linux_node *node)
{
	if (!node)
		return;
	struct linux_node *c = node->children;
	while (c) {
		struct linux_node *next = c->next;
		linux_hostfs_free(c);
		c = next;
	}
	if (node->link != (char *)node->tmp_data)
		free(node->link);
	free(node->tmp_data);
	free(node->name);
	free(node->origin);
	free(node);
}

int linux_hostfs_pin_origin(struct linux_fs *fs, struct linux_node *dir)
{
	if (!dir->host || dir->origin || dir->vol)
		return 0; /* nothing below it on the host, or already pinned */
	char path[HOST_PATH_MAX];
	int rc = host_path(fs, dir, NULL, 0, path);
	if (rc < 0)
		return rc;
	return (dir->origin = strdup(path)) ? 0 : -ENOMEM;
}
