/* The root's copy-on-write upper layer in memory, as overlayfs: lower nodes copied up in place on their first change, whiteouts hiding removed lower entries, space charged to a pool. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux_fs.h"

/* What an entry costs its pool besides its data, so entry counts are bounded too. */

struct linux_fs_pool *linux_fs_pool_of(struct linux_fs *fs, const struct linux_node *node)
{
	switch (node->pool) {
	case LINUX_POOL_TMP: return &fs->tmp_pool;
	case LINUX_POOL_UPPER: return &fs->upper_pool;
	case LINUX_POOL_NONE: return NULL;
	default:
		return (unsigned)(node->pool - LINUX_POOL_MOUNT0) < fs->mount_count
			   ? &fs->mounts[node->pool - LINUX_POOL_MOUNT0].pool
			   : NULL;
	}
}

bool linux_fs_reserve(struct linux_fs_pool *p, uint64_t more)
{
	uint64_t total;
	if (__builtin_add_overflow(p->used, more, &total) || total > p->limit)
		return false;
	p->used = total;
	return true;
}

/* A lower file's bytes into node->tmp_data, read from the host once. */
static int copy_content(struct linux_fs *fs, struct linux_node *n, struct linux_fs_pool *p)
{
	int fd = linux_hostfs_open(fs, n);
	if (fd < 0)
		return fd;
	uint64_t size = n->size, cap = size ? size : 1;
	int rc = 0;
	uint8_t *data = NULL;
	if (!linux_fs_reserve(p, cap)) {
		rc = -ENOSPC;
	} else if (!(data = calloc(1, cap))) {
		p->used -= cap;
		rc = -ENOMEM;
	}
	for (uint64_t done = 0; rc == 0 && done < size;) {
		long got = linux_fs_pread(n, fd, data + done, size - done, done);
		if (got <= 0) {
			size = done; /* shrank on the host since the open: keep what was read */
			rc = got < 0 ? (int)got : 0;
			break;
		}
		done += (uint64_t)got;
	}
	close(fd);
	if (rc < 0) {
		if (data)
			p->used -= cap;
		free(data);
		return rc;
	}
	n->tmp_data = data;
	n->tmp_cap = cap;
	n->size = size;
	return 0;
}

int linux_fs_copy_up(struct linux_fs *fs, struct linux_node *n)
{
	if (n->writable)
		return 0;
	if (n->vol) /* written in place on the host, or not at all */
		return linux_volume_writable(fs, n) ? 0 : -EROFS;
	struct linux_fs_pool *p = linux_fs_pool_of(fs, n);
	if (!p || n->pool != LINUX_POOL_UPPER)
		return -EROFS;
	if (n->parent != n) {
		int rc = linux_fs_copy_up(fs, n->parent); /* depth: at most a path's components */
		if (rc < 0)
			return rc;
	}
	uint32_t type = n->mode & S_IFMT;
	if (type != S_IFREG && type != S_IFDIR && type != S_IFLNK)
		return -EACCES; /* a FIFO, socket or device node of the tree: never opened */
	if (!linux_fs_reserve(p, LINUX_FS_ENTRY_COST))
		return -ENOSPC;
	if (type == S_IFREG) {
		int rc = copy_content(fs, n, p);
		if (rc < 0) {
			p->used -= LINUX_FS_ENTRY_COST;
			return rc;
		}
		n->host = false;
	} else if (type == S_IFLNK) {
		n->host = false; /* the target is already in memory (n->link) */
	}
	/* A directory stays `host`: its lower entries keep showing (merged). */
	n->writable = true;
	return 0;
}

struct linux_node *linux_fs_entry_new(struct linux_fs_pool *p, const char *name, size_t len,
				      int *err)
{
	if (!linux_fs_reserve(p, LINUX_FS_ENTRY_COST)) {
		*err = -ENOSPC;
		return NULL;
	}
	struct linux_node *n = calloc(1, sizeof(*n));
	char *copy = n ? strndup(name, len) : NULL;
	if (!copy) {
		free(n);
		p->used -= LINUX_FS_ENTRY_COST;
		*err = -ENOMEM;
		return NULL;
	}
	n->name = copy;
	n->name_len = len;
	return n;
}

void linux_fs_link_child(struct linux_node *dir, struct linux_node *n)
{
	struct linux_node **tail = NULL;
	linux_fs_append_child(dir, &tail, n);
}

void linux_fs_append_child(struct linux_node *dir, struct linux_node ***tail, struct linux_node *n)
{
	if (!*tail) {
		*tail = &dir->children;
		while (**tail)
			*tail = &(**tail)->next;
	}
	if (dir->next_dpos < LINUX_FIRST_DPOS)
		dir->next_dpos = LINUX_FIRST_DPOS; /* after ".", "..", and mount points */
	n->dpos = dir->next_dpos++;
	n->next = NULL;
	**tail = n;
	*tail = &n->next;
}

int linux_fs_leave(struct linux_fs *fs, struct linux_node *n)
{
	struct linux_node *dir = n->parent, **link = &dir->children, *w = NULL;
	while (*link != n)
		link = &(*link)->next;
	if (n->covers_lower) {
		struct linux_fs_pool *p = linux_fs_pool_of(fs, dir);
		int err = -ENOSPC;
		if (!p || !(w = linux_fs_entry_new(p, n->name, n->name_len, &err)))
			return err;
		*w = (struct linux_node){.parent = dir,
					 .name = w->name,
					 .name_len = n->name_len,
					 .whiteout = true,
					 .lower = true, /* lives with the tree, freed with dir */
					 .pool = dir->pool,
					 .dpos = n->dpos,
					 .next = n->next};
	}
	*link = w ? w : n->next;
	n->next = NULL;
	return 0;
}

bool linux_fs_take_whiteout(struct linux_fs *fs, struct linux_node *dir, const char *name,
			    size_t len)
{
	for (struct linux_node **link = &dir->children; *link; link = &(*link)->next) {
		struct linux_node *w = *link;
		if (!w->whiteout || w->name_len != len || memcmp(w->name, name, len) != 0)
			continue;
		*link = w->next;
		struct linux_fs_pool *p = linux_fs_pool_of(fs, dir);
		if (p)
			p->used -= LINUX_FS_ENTRY_COST;
		free(w->name);
		free(w);
		return true;
	}
	return false;
}

int linux_fs_dir_empty(struct linux_fs *fs, struct linux_node *dir)
{
	if (dir->host && !dir->listed) {
		int rc = linux_hostfs_list(fs, dir); /* its lower entries count too */
		if (rc < 0)
			return rc;
	}
	for (const struct linux_node *c = dir->children; c; c = c->next)
		if (!c->whiteout)
			return 0;
	return 1;
}

void linux_fs_orphan(struct linux_fs *fs, struct linux_node *n)
{
	if ((n->mode & S_IFMT) == S_IFDIR)
		n->host = false; /* removed: its lower entries no longer show */
	n->next = fs->orphans;
	fs->orphans = n;
}
