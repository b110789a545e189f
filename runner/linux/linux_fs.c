/* Path resolution inside the guest's file tree (no way out: ".." stops at the root, symlinks resolve inside), and the writable /tmp and upper layer's nodes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "linux_fs.h"
#include "linux_shm.h"
#include "util.h"

#define SYMLINK_MAX_HOPS 40

static bool is_dir(const struct linux_node *n)
{
	return (n->mode & S_IFMT) == S_IFDIR;
}

/* A directory that lives as long as the tree: the root and /tmp. */
static struct linux_node *fixed_dir(struct linux_fs *fs, struct linux_node *parent,
				    const char *name)
{
	struct linux_node *n = calloc(1, sizeof(*n));
	char *copy = strdup(name);
	if (!n || !copy) {
		free(n);
		free(copy);
		return NULL;
	}
	*n = (struct linux_node){.mode = S_IFDIR | 0755,
				 .ino = fs->next_ino++,
				 .parent = parent ? parent : n,
				 .name = copy,
				 .name_len = strlen(copy)};
	return n;
}

int linux_fs_init(struct linux_fs *fs, int root_fd, uint64_t upper_limit, uint64_t tmp_limit,
		  char *err, size_t errlen)
{
	*fs = (struct linux_fs){.root_fd = root_fd,
				.tmp_pool = {.limit = tmp_limit},
				.upper_pool = {.limit = upper_limit},
				.next_ino = 2};
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	fs->start_ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	fs->root = fixed_dir(fs, NULL, "");
	fs->tmp = fs->root ? fixed_dir(fs, fs->root, "tmp") : NULL;
	fs->dev = fs->tmp ? fixed_dir(fs, fs->root, "dev") : NULL;
	if (!fs->dev || linux_dev_init(fs, fs->dev) < 0 || linux_sysfs_init(fs) < 0 ||
	    linux_procfs_init(fs) < 0) {
		snprintf(err, errlen, "out of memory for the file tree");
		linux_fs_free(fs);
		return -1;
	}
	fs->tmp->mode = S_IFDIR | 01777;
	fs->tmp->writable = true;
	fs->tmp->pool = LINUX_POOL_TMP;
	fs->root->pool = upper_limit ? LINUX_POOL_UPPER : LINUX_POOL_NONE;
	fs->root->lower = true; /* lives with the tree, copied up in place */
	if (root_fd >= 0) {
		fs->root->host = true;
		int rc = linux_hostfs_stat(fs, fs->root);
		if (rc < 0 || !is_dir(fs->root)) {
			snprintf(err, errlen, "--fs root: %s",
				 rc < 0 ? strerror(-rc) : "not a directory");
			linux_fs_free(fs);
			return -1;
		}
	}
	return 0;
}

void linux_fs_free(struct linux_fs *fs)
{
	linux_hostfs_free(fs->tmp); /* /tmp and its nodes */
	for (unsigned i = 0; i < fs->mount_count; i++)
		linux_hostfs_free(fs->mounts[i].dir);
	fs->mount_count = 0;
	for (unsigned i = 0; i < fs->volume_count; i++) {
		linux_hostfs_free(fs->volumes[i].dir); /* the volume's cached nodes */
		close(fs->volumes[i].fd);
	}
	fs->volume_count = 0;
	linux_hostfs_free(fs->dev);  /* /dev and its nodes */
	linux_hostfs_free(fs->root); /* the root with its cached and upper children */
	while (fs->orphans) {
		struct linux_node *next = fs->orphans->next;
		fs->orphans->next = NULL;
		linux_hostfs_free(fs->orphans);
		fs->orphans = next;
	}
	if (fs->root_fd >= 0)
		close(fs->root_fd);
	fs->root_fd = -1;
	fs->tmp = NULL;
	fs->dev = NULL;
	fs->root = NULL;
}

int linux_fs_child(struct linux_fs *fs, struct linux_node *dir, const char *name, size_t len,
		   struct linux_node **out)
{
	int rc = linux_fs_entry(fs, dir, name, len, out);
	if (rc == 0)
		*out = linux_fs_named(*out); /* a hard link names its node */
	return rc;
}

int linux_fs_entry(struct linux_fs *fs, struct linux_node *dir, const char *name, size_t len,
		   struct linux_node **out)
{
	if (!is_dir(dir))
		return -ENOTDIR;
	if (dir->proc_kind)
		return linux_procfs_child(fs, dir, name, len, out); /* generated as asked */
	if (dir == fs->root && len == 3 && memcmp(name, "tmp", 3) == 0) {
		*out = fs->tmp; /* the in-memory /tmp hides the tree's own */
		return 0;
	}
	if (dir == fs->root && len == 3 && memcmp(name, "dev", 3) == 0) {
		*out = fs->dev; /* so does the VMM's /dev: no host device node is reached */
		return 0;
	}
	struct linux_mount *m = linux_fs_mount_at(fs, dir, name, len);
	if (m) {
		*out = m->dir; /* a --tmpfs hides what its mount point held */
		return 0;
	}
	struct linux_volume *v = linux_fs_volume_at(fs, dir, name, len);
	if (v) {
		*out = v->dir; /* so does a volume: the walk crosses into its root */
		return 0;
	}
	for (struct linux_node *c = dir->children; c; c = c->next) {
		if (c->name_len == len && memcmp(c->name, name, len) == 0) {
			if (c->whiteout)
				return -ENOENT; /* removed from the lower tree */
			int rc = c->host && !c->statted ? linux_hostfs_stat(fs, c) : 0;
			if (rc < 0)
				return rc;
			*out = c;
			return 0;
		}
	}
	if (!dir->host)
		return -ENOENT; /* /tmp, an upper-only (opaque) or removed directory */
	struct linux_node *n;
	int rc = linux_hostfs_lookup(fs, dir, name, len, &n);
	if (rc < 0)
		return rc;
	linux_fs_link_child(dir, n); /* appended: a listing in progress keeps its order */
	*out = n;
	return 0;
}

struct linux_node *linux_fs_lookup(struct linux_fs *fs, struct linux_node *dir, const char *name,
				   size_t len)
{
	struct linux_node *n;
	return linux_fs_child(fs, dir, name, len, &n) < 0 ? NULL : n;
}

/* Whether a and b lie in one file system: no mount root between either
 * and the tree's root differs (the walk up stops at the first mount). */
static bool same_mount(const struct linux_fs *fs, const struct linux_node *a,
		       const struct linux_node *b)
{
	for (unsigned i = 0; i < 4096 && a != fs->root && !linux_fs_is_mount(fs, a); i++)
		a = a->parent;
	for (unsigned i = 0; i < 4096 && b != fs->root && !linux_fs_is_mount(fs, b); i++)
		b = b->parent;
	return a == b;
}

int linux_fs_resolve(struct linux_fs *fs, struct linux_node *cwd, const char *path, unsigned flags,
		     struct linux_node **out, struct linux_node **parent, char *last,
		     size_t last_size)
{
	/* The path still to walk; a symlink's target is put in front of the rest. */
	char buf[2 * 4096 + 2];
	size_t plen = strlen(path);
	if (plen == 0)
		return -ENOENT;
	if (plen >= 4096)
		return -ENAMETOOLONG;
	memcpy(buf, path, plen + 1);
	/* openat2's scoped walks: the start is the root they may not leave */
	bool scoped = flags & (LINUX_RESOLVE_BENEATH | LINUX_RESOLVE_IN_ROOT);
	struct linux_node *top = flags & LINUX_RESOLVE_IN_ROOT ? cwd : fs->root;
	if (buf[0] == '/' && (flags & LINUX_RESOLVE_BENEATH))
		return -EXDEV;
	if (buf[0] == '/' && (flags & LINUX_RESOLVE_NO_XDEV) && cwd != fs->root &&
	    !same_mount(fs, cwd, fs->root))
		return -EXDEV;
	struct linux_node *node = buf[0] == '/' ? top : cwd;
	size_t pos = 0;
	unsigned hops = 0;
	if (parent)
		*parent = NULL;
	for (;;) {
		while (buf[pos] == '/')
			pos++;
		if (buf[pos] == '\0')
			break;
		size_t start = pos;
		while (buf[pos] && buf[pos] != '/')
			pos++;
		size_t len = pos - start;
		const char *name = buf + start;
		size_t after = pos;
		while (buf[after] == '/')
			after++;
		bool is_last = buf[after] == '\0';
		bool trailing_slash = after > pos;
		if (!is_dir(node))
			return -ENOTDIR;
		if (len > 255)
			return -ENAMETOOLONG;
		if (len == 1 && name[0] == '.')
			continue;
		if (len == 2 && name[0] == '.' && name[1] == '.') {
			if (scoped && node == cwd) {
				if (flags & LINUX_RESOLVE_BENEATH)
					return -EXDEV; /* out of the start */
				continue;	       /* IN_ROOT: its ".." is itself */
			}
			if ((flags & LINUX_RESOLVE_NO_XDEV) && linux_fs_is_mount(fs, node))
				return -EXDEV;
			node = node->parent; /* the root's parent is the root */
			continue;
		}
		struct linux_node *child;
		int rc = is_last && (flags & LINUX_RESOLVE_ENTRY)
			     ? linux_fs_entry(fs, node, name, len, &child)
			     : linux_fs_child(fs, node, name, len, &child);
		if (rc < 0) {
			if (rc == -ENOENT && (flags & LINUX_RESOLVE_RECORD) && fs->walked &&
			    !(is_last && (flags & LINUX_RESOLVE_MAKES)))
				fs->walked(fs, node, name, len, NULL);
			if (rc == -ENOENT && is_last && parent && last && len < last_size) {
				*parent = node;
				memcpy(last, name, len);
				last[len] = '\0';
			}
			return rc;
		}
		if ((flags & LINUX_RESOLVE_NO_XDEV) && linux_fs_is_mount(fs, child))
			return -EXDEV;
		bool follow = !is_last || trailing_slash || (flags & LINUX_RESOLVE_FOLLOW);
		if (follow && linux_procfs_magic(child) &&
		    (flags & (LINUX_RESOLVE_NO_SYMLINKS | LINUX_RESOLVE_NO_MAGIC)))
			return -ELOOP;
		if (follow && linux_procfs_magic(child) && scoped)
			return -EXDEV; /* as Linux: a magic link jumps out of any scope */
		if (follow && (child->mode & S_IFMT) == S_IFLNK &&
		    (flags & LINUX_RESOLVE_NO_SYMLINKS))
			return -ELOOP;
		if (follow && linux_procfs_magic(child)) {
			/* /proc's exe, cwd, root, fd/N name an object of the VM's own:
			 * the walk goes on from its node, as Linux's magic links. */
			if (++hops > SYMLINK_MAX_HOPS)
				return -ELOOP;
			struct linux_node *target;
			rc = linux_procfs_follow(fs, child, &target);
			if (rc < 0)
				return rc;
			if (rc == 1 && !is_last)
				return -ENOTDIR; /* a pipe or socket has no entries */
			node = rc == 1 ? child : target;
			continue;
		}
		if ((child->mode & S_IFMT) == S_IFLNK && follow) {
			if (++hops > SYMLINK_MAX_HOPS)
				return -ELOOP;
			if ((flags & LINUX_RESOLVE_RECORD) && fs->walked)
				fs->walked(fs, node, name, len, child);
			size_t rest = strlen(buf + pos);
			if (!child->link)
				return -EIO; /* a host symlink is stat'ed with its target */
			size_t tlen = child->size;
			if (tlen + 1 + rest >= 4096)
				return -ENAMETOOLONG;
			/* new path = target + "/" + rest, walked from the link's dir */
			char tmp[2 * 4096 + 2];
			memcpy(tmp, child->link, tlen);
			tmp[tlen] = '/';
			memcpy(tmp + tlen + 1, buf + pos, rest + 1);
			memcpy(buf, tmp, tlen + rest + 2);
			pos = 0;
			if (buf[0] == '/' && (flags & LINUX_RESOLVE_BENEATH))
				return -EXDEV; /* an absolute link leaves the start */
			if (buf[0] == '/')
				node = top;
			continue;
		}
		node = child;
	}
	if (path[plen - 1] == '/' && !is_dir(node))
		return -ENOTDIR; /* as Linux: "name/" must be a directory */
	*out = node;
	return 0;
}

bool linux_fs_show_as(struct linux_node *n, const char *prefix, const char *name)
{
	size_t len = strlen(prefix) + strlen(name) + 1;
	char *shown = malloc(len);
	if (!shown)
		return false; /* its old name stays */
	snprintf(shown, len, "%s%s", prefix, name);
	free(n->name);
	n->name = shown;
	n->name_len = len - 1;
	return true;
}

void linux_fs_touch(struct linux_node *n)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	n->mtime_sec = now.tv_sec;
	n->mtime_nsec = (uint32_t)now.tv_nsec;
}

int linux_fs_create(struct linux_fs *fs, struct linux_node *dir, const char *name, uint32_t mode,
		    struct linux_node **out)
{
	size_t len = strlen(name);
	if (dir->vol)
		return linux_volume_create(fs, dir, name, mode, out);
	struct linux_fs_pool *p = linux_fs_pool_of(fs, dir);
	if (!p)
		return -EROFS;
	if (!is_dir(dir))
		return -ENOTDIR;
	if (dir->unlinked)
		return -ENOENT; /* as Linux: a removed directory takes no new entries */
	if (len == 0 || len > 255)
		return -ENAMETOOLONG;
	if (linux_fs_lookup(fs, dir, name, len))
		return -EEXIST;
	int rc = linux_fs_copy_up(fs, dir);
	if (rc < 0)
		return rc;
	struct linux_node *n = linux_fs_entry_new(p, name, len, &rc);
	if (!n)
		return rc;
	*n = (struct linux_node){
	    .mode = mode,
	    .ino = fs->next_ino++,
	    .parent = dir,
	    .name = n->name,
	    .name_len = len,
	    .writable = true,
	    .pool = dir->pool,
	    .refs = 1, /* the link */
	    /* in place of a removed lower entry: removing n leaves a whiteout */
	    .covers_lower = linux_fs_take_whiteout(fs, dir, name, len)};
	linux_fs_link_child(dir, n);
	linux_fs_get(fs, dir); /* n->parent */
	linux_fs_touch(n);
	linux_fs_touch(dir); /* an entry more */
	*out = n;
	return 0;
}

static void tmp_destroy(struct linux_fs *fs, struct linux_node *n)
{
	struct linux_fs_pool *p = linux_fs_pool_of(fs, n);
	if (p)
		p->used -= n->tmp_cap + LINUX_FS_ENTRY_COST;
	if (n->link != (char *)n->tmp_data)
		free(n->link);
	linux_fifo_free(n);
	free(n->tmp_data);
	free(n->name);
	free(n->origin);
	free(n);
}

int linux_fs_unlink(struct linux_fs *fs, struct linux_node *dir, const char *name, bool dir_wanted)
{
	size_t len = strlen(name);
	struct linux_node *n;
	if (linux_fs_entry(fs, dir, name, len, &n) < 0)
		return -ENOENT;
	if (dir->vol && dir_wanted != is_dir(n))
		return dir_wanted ? -ENOTDIR : -EISDIR;
	if (dir->vol)
		return linux_volume_unlink(fs, dir, n); /* the host says ENOTEMPTY, EROFS... */
	if (!linux_fs_pool_of(fs, dir) || n == fs->tmp || n == fs->dev)
		return -EROFS;
	if (linux_fs_is_mount(fs, n))
		return -EBUSY;
	if (dir_wanted && !is_dir(n))
		return -ENOTDIR;
	if (!dir_wanted && is_dir(n))
		return -EISDIR;
	int rc = is_dir(n) ? linux_fs_dir_empty(fs, n) : 1;
	if (rc <= 0)
		return rc < 0 ? rc : -ENOTEMPTY;
	if ((rc = linux_fs_copy_up(fs, dir)) < 0)
		return rc;
	if (n->same || n->names)
		return linux_fs_unlink_name(fs, n); /* the node keeps its other names */
	if ((rc = linux_fs_leave(fs, n)) < 0)
		return rc;
	/* n->parent stays: ".." of a removed cwd is its old parent, as on Linux,
	 * and n's reference keeps that parent alive. */
	n->unlinked = true;
	linux_fs_touch(dir); /* an entry fewer */
	if (n->lower)
		linux_fs_orphan(fs, n); /* not reference-counted: kept until the tree goes */
	else
		linux_fs_put(fs, n);
	return 0;
}

/* Nodes whose lifetime is the tree's: lower nodes (copied up or not), /dev, /sys, /proc's fixed
 * entries and /tmp itself. */
static bool lives_with_tree(const struct linux_fs *fs, const struct linux_node *node)
{
	return (!node->writable && !node->gen) || node->lower || node == fs->tmp;
}

void linux_fs_get(struct linux_fs *fs, struct linux_node *node)
{
	if (!lives_with_tree(fs, node))
		node->refs++;
}

void linux_fs_put(struct linux_fs *fs, struct linux_node *node)
{
	/* A loop, not recursion: freeing a node drops its parent's reference,
	 * which may free the parent, up a chain as deep as /tmp allows. */
	while (node && !lives_with_tree(fs, node) && node->refs && --node->refs == 0) {
		struct linux_node *parent = node->parent;
		tmp_destroy(fs, node);
		node = parent;
	}
}

static int tmp_grow(struct linux_fs *fs, struct linux_node *node, uint64_t size)
{
	if (size <= node->tmp_cap)
		return 0;
	uint64_t cap = node->tmp_cap ? node->tmp_cap : 4096;
	while (cap < size)
		cap *= 2;
	struct linux_fs_pool *p = linux_fs_pool_of(fs, node);
	if (!p)
		return -EROFS;
	if (!linux_fs_reserve(p, cap - node->tmp_cap)) {
		cap = (size + 4095) & ~4095ULL; /* near the limit: just what it needs */
		if (!linux_fs_reserve(p, cap - node->tmp_cap))
			return -ENOSPC;
	}
	uint8_t *grown = realloc_copy(node->tmp_data, node->tmp_cap, cap);
	if (!grown) {
		p->used -= cap - node->tmp_cap;
		return -ENOMEM;
	}
	memset(grown + node->tmp_cap, 0, cap - node->tmp_cap);
	node->tmp_data = grown;
	node->tmp_cap = cap;
	return 0;
}

long linux_fs_write(struct linux_fs *fs, struct linux_node *node, uint64_t offset, const void *buf,
		    uint64_t len)
{
	uint64_t end;
	if (node->dev_kind)
		return linux_dev_write(node, len);
	struct linux_fs_pool *p = linux_fs_pool_of(fs, node);
	if (!node->writable || !p)
		return -EROFS;
	if (is_dir(node))
		return -EISDIR;
	if (__builtin_add_overflow(offset, len, &end) || end > p->limit)
		return -EFBIG;
	if (len == 0)
		return 0; /* nothing to copy (a new file has no buffer yet) */
	int rc = tmp_grow(fs, node, end);
	if (rc < 0)
		return rc;
	memcpy(node->tmp_data + offset, buf, len);
	if (end > node->size)
		node->size = end;
	linux_fs_touch(node);
	linux_shm_wrote(node, offset, buf, len); /* mappings see it */
	return (long)len;
}

int linux_fs_truncate(struct linux_fs *fs, struct linux_node *node, uint64_t size)
{
	if (node->vol)
		return linux_volume_truncate(fs, node, size);
	struct linux_fs_pool *p = linux_fs_pool_of(fs, node);
	if (!p)
		return -EROFS;
	if (size > p->limit)
		return -EFBIG;
	int rc = linux_fs_copy_up(fs, node);
	if (rc == 0)
		rc = tmp_grow(fs, node, size);
	if (rc < 0)
		return rc;
	if (size < node->size)
		memset(node->tmp_data + size, 0, node->size - size);
	node->size = size;
	linux_fs_touch(node);
	linux_shm_truncated(node, size);
	return 0;
}

long linux_fs_pread(const struct linux_node *node, int host_fd, void *dst, uint64_t len,
		    uint64_t offset)
{
	if (node->shm) /* what shared mappings wrote is in the cache */
		return linux_shm_pread(node, host_fd, dst, len, offset);
	return linux_fs_pread_raw(node, host_fd, dst, len, offset);
}

long linux_fs_pread_raw(const struct linux_node *node, int host_fd, void *dst, uint64_t len,
			uint64_t offset)
{
	if (node->dev_kind)
		return linux_dev_read(node, dst, len);
	if (is_dir(node))
		return -EISDIR;
	if (node->host) {
		/* The host file may have changed size since it was opened: ask it. */
		for (;;) {
			ssize_t n = pread(host_fd, dst, len, (off_t)offset);
			if (n >= 0 || errno != EINTR)
				return n < 0 ? -errno : (long)n;
		}
	}
	if (offset >= node->size)
		return 0;
	if (len > node->size - offset)
		len = node->size - offset;
	if (len)
		memcpy(dst, node->tmp_data + offset, len);
	return (long)len;
}

bool linux_fs_dirent(struct linux_fs *fs, struct linux_node *dir, uint64_t *pos, const char **name,
		     size_t *len, struct linux_node **node)
{
	struct linux_node *cursor = NULL;
	return linux_fs_dirent_next(fs, dir, pos, name, len, node, &cursor);
}

bool linux_fs_dirent_next(struct linux_fs *fs, struct linux_node *dir, uint64_t *pos,
			  const char **name, size_t *len, struct linux_node **node,
			  struct linux_node **cursor)
{
	uint64_t n = *pos;
	if (n < 2) {
		*name = n == 0 ? "." : "..";
		*len = n + 1;
		*node = n == 0 ? dir : dir->parent;
		*pos = n + 1;
		return true;
	}
	if (dir == fs->root && n < 4) { /* /tmp and /dev, ours, before the tree's entries */
		*node = n == 2 ? fs->tmp : fs->dev;
		*name = (*node)->name;
		*len = 3;
		*pos = n + 1;
		return true;
	}
	for (n = n < 4 ? 4 : n; n < LINUX_FIRST_DPOS; n++) { /* --tmpfs and --volume mount points */
		unsigned i = (unsigned)n - 4;
		struct linux_node *parent = NULL, *mounted = NULL;
		if (i < LINUX_FS_MOUNTS && i < fs->mount_count) {
			parent = fs->mounts[i].parent;
			mounted = fs->mounts[i].dir;
		} else if (i >= LINUX_FS_MOUNTS && i - LINUX_FS_MOUNTS < fs->volume_count) {
			parent = fs->volumes[i - LINUX_FS_MOUNTS].parent;
			mounted = fs->volumes[i - LINUX_FS_MOUNTS].dir;
		}
		if (mounted && parent == dir) {
			*node = mounted;
			*name = mounted->name;
			*len = mounted->name_len;
			*pos = n + 1;
			return true;
		}
	}
	if (dir->host && !dir->listed && linux_hostfs_list(fs, dir) < 0)
		return false;
	/* children are in dpos order: each joins at the end with the next dpos;
	 * the entry this walk returned last (still linked: nothing changed the
	 * directory since) is where the next one starts. */
	for (struct linux_node *c = *cursor ? (*cursor)->next : dir->children; c; c = c->next) {
		if (c->dpos < n || c->whiteout)
			continue;
		if ((dir == fs->root && c->name_len == 3 &&
		     (memcmp(c->name, "tmp", 3) == 0 || memcmp(c->name, "dev", 3) == 0)) ||
		    linux_fs_mount_at(fs, dir, c->name, c->name_len) ||
		    linux_fs_volume_at(fs, dir, c->name, c->name_len))
			continue; /* the tree's own tmp and dev, and mount points, are hidden by ours */
		*name = c->name;
		*len = c->name_len;
		*node = linux_fs_named(c);
		*pos = c->dpos + 1;
		*cursor = c;
		return true;
	}
	return false;
}
