/* /dev of a Linux-ABI guest, served by the VMM: null, zero, full, random, urandom, tty, fd/N, stdin/stdout/stderr, ptmx and pts/N (linux_pty.c); no host device is ever opened. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "linux.h"

static const struct {
	const char *name;
	uint32_t mode;
	uint8_t kind;
	unsigned major, minor;
	const char *link;
} dev_entries[] = {
    {"null", S_IFCHR | 0666, LINUX_DEV_NULL, 1, 3, NULL},
    {"zero", S_IFCHR | 0666, LINUX_DEV_ZERO, 1, 5, NULL},
    {"full", S_IFCHR | 0666, LINUX_DEV_FULL, 1, 7, NULL},
    {"random", S_IFCHR | 0666, LINUX_DEV_RANDOM, 1, 8, NULL},
    {"urandom", S_IFCHR | 0666, LINUX_DEV_RANDOM, 1, 9, NULL},
    {"tty", S_IFCHR | 0666, LINUX_DEV_TTY, 5, 0, NULL},
    {"fd", S_IFDIR | 0555, 0, 0, 0, NULL},
    {"stdin", S_IFLNK | 0777, 0, 0, 0, "fd/0"},
    {"stdout", S_IFLNK | 0777, 0, 0, 0, "fd/1"},
    {"stderr", S_IFLNK | 0777, 0, 0, 0, "fd/2"},
    {"ptmx", S_IFCHR | 0666, LINUX_DEV_PTMX, 5, 2, NULL},
    {"pts", S_IFDIR | 0755, 0, 0, 0, NULL},
};

struct linux_node *linux_fs_fixed_node(struct linux_fs *fs, struct linux_node *dir,
				       const char *name, uint32_t mode)
{
	struct linux_node *n = calloc(1, sizeof(*n));
	char *copy = n ? strdup(name) : NULL;
	if (!copy) {
		free(n);
		return NULL;
	}
	*n = (struct linux_node){.mode = mode,
				 .ino = fs->next_ino++,
				 .parent = dir,
				 .name = copy,
				 .name_len = strlen(name)};
	return n;
}

/* A node of /dev, appended to dir's children. */
static struct linux_node *dev_node(struct linux_fs *fs, struct linux_node *dir, const char *name,
				   uint32_t mode)
{
	struct linux_node *n = linux_fs_fixed_node(fs, dir, name, mode);
	if (n)
		linux_fs_link_child(dir, n);
	return n;
}

/* dir/0 .. dir/count-1: character devices of `kind` naming their number. */
static int dev_numbered(struct linux_fs *fs, struct linux_node *dir, unsigned count, uint8_t kind,
			uint32_t mode, unsigned major)
{
	for (unsigned i = 0; i < count; i++) {
		char name[8];
		snprintf(name, sizeof(name), "%u", i);
		struct linux_node *n = dev_node(fs, dir, name, S_IFCHR | mode);
		if (!n)
			return -ENOMEM;
		n->dev_kind = kind;
		n->dev_fd = i;
		n->rdev = major ? (uint32_t)makedev(major, i) : 0;
	}
	return 0;
}

int linux_dev_init(struct linux_fs *fs, struct linux_node *dev)
{
	struct linux_node *fd_dir = NULL, *pts = NULL;
	for (size_t i = 0; i < sizeof(dev_entries) / sizeof(dev_entries[0]); i++) {
		struct linux_node *n = dev_node(fs, dev, dev_entries[i].name, dev_entries[i].mode);
		if (!n || (dev_entries[i].link && !(n->link = strdup(dev_entries[i].link))))
			return -ENOMEM;
		n->dev_kind = dev_entries[i].kind;
		n->rdev = (uint32_t)makedev(dev_entries[i].major, dev_entries[i].minor);
		n->size = n->link ? strlen(n->link) : 0;
		if (S_ISDIR(n->mode) && strcmp(n->name, "fd") == 0)
			fd_dir = n;
		else if (S_ISDIR(n->mode))
			pts = n;
	}
	/* /dev/fd/N: the program's fd N (opening it duplicates the fd); /dev/pts/N: pair N's
	 * slave (opening it without a master gives EIO) */
	if (dev_numbered(fs, fd_dir, LINUX_DEV_FDS, LINUX_DEV_FD, 0600, 0) < 0 ||
	    dev_numbered(fs, pts, LINUX_PTYS_MAX, LINUX_DEV_PTS, 0620, 136) < 0)
		return -ENOMEM;
	return 0;
}

long linux_dev_read(const struct linux_node *n, void *dst, uint64_t len)
{
	switch (n->dev_kind) {
	case LINUX_DEV_NULL: return 0;
	case LINUX_DEV_ZERO:
	case LINUX_DEV_FULL: memset(dst, 0, len); return (long)len;
	case LINUX_DEV_RANDOM: {
		uint64_t done = 0;
		while (done < len) {
			ssize_t got = getrandom((uint8_t *)dst + done, len - done, GRND_NONBLOCK);
			if (got <= 0)
				return done ? (long)done : got < 0 ? -errno : -EIO;
			done += (uint64_t)got;
		}
		return (long)len;
	}
	default: return -ENXIO;
	}
}

long linux_dev_write(const struct linux_node *n, uint64_t len)
{
	switch (n->dev_kind) {
	case LINUX_DEV_FULL: return -ENOSPC;
	case LINUX_DEV_NULL:
	case LINUX_DEV_ZERO:
	case LINUX_DEV_RANDOM: return (long)len; /* taken and dropped, as Linux */
	default: return -ENXIO;
	}
}

long linux_dev_open(struct linux_proc *proc, const struct linux_node *n, uint64_t flags)
{
	int fd = (int)n->dev_fd;
	if (n->dev_kind == LINUX_DEV_TTY) {
		/* the terminal among the runner's stdio, if there is one */
		for (fd = 0; fd < 3 && !(proc->cfg.tty_mask & (1u << fd)); fd++)
			;
		if (fd == 3)
			return -ENXIO;
	}
	struct linux_file *f = linux_fd_get(proc, (uint64_t)fd);
	if (!f)
		return -ENOENT;
	return linux_fd_alloc(proc, 0, f, flags & L_O_CLOEXEC);
}
