/* Path resolution inside the guest's file tree (no way out: ".." stops at the root, symlinks resolve inside) and the writable /tmp. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux_fs.h"

#define SYMLINK_MAX_HOPS 40

static bool is_dir(const struct linux_node *n)
{
	return (n->mode & S_IFMT) == S_IFDIR;
}

static void free_tmp_tree(struct linux_node *dir)
{
	struct linux_node *c = dir->children;
	while (c) {
		struct linux_node *next = c->next;
		free_tmp_tree(c);
		free(c->tmp_data);
		free(c->name);
		free(c);
		c = next;
	}
	dir->children = NULL;
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

int linux_fs_init(struct linux_fs *fs, int root_fd, uint64_t tmp_limit, char *err, size_t errlen)
{
	*fs = (struct linux_fs){.root_fd = root_fd, .tmp_limit = tmp_limit, .next_ino = 2};
	fs->root = fixed_dir(fs, NULL, "");
	fs->tmp = fs->root ? fixed_dir(fs, fs->root, "tmp") : NULL;
	fs->dev = fs->tmp ? fixed_dir(fs, fs->root, "dev") : NULL;
	if (!fs->dev || linux_dev_init(fs, fs->dev) < 0) {
		snprintf(err, errlen, "out of memory for the file tree");
		linux_fs_free(fs);
		return -1;
	}
	fs->tmp->mode = S_IFDIR | 01777;
	fs->tmp->writable = true;
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
	if (fs->tmp) {
		free_tmp_tree(fs->tmp);
		free(fs->tmp->name);
		free(fs->tmp);
	}
	linux_hostfs_free(fs->dev);  /* /dev and its nodes */
	linux_hostfs_free(fs->root); /* the root with its cached host children */
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
	if (!is_dir(dir))
		return -ENOTDIR;
	if (dir == fs->root && len == 3 && memcmp(name, "tmp", 3) == 0) {
		*out = fs->tmp; /* the in-memory /tmp hides the tree's own */
		return 0;
	}
	if (dir == fs->root && len == 3 && memcmp(name, "dev", 3) == 0) {
		*out = fs->dev; /* so does the VMM's /dev: no host device node is reached */
		return 0;
	}
	struct linux_node **tail = &dir->children;
	for (struct linux_node *c = dir->children; c; c = c->next) {
		if (c->name_len == len && memcmp(c->name, name, len) == 0) {
			int rc = c->host && !c->statted ? linux_hostfs_stat(fs, c) : 0;
			if (rc < 0)
				return rc;
			*out = c;
			return 0;
		}
		tail = &c->next;
	}
	if (!dir->host)
		return -ENOENT;
	struct linux_node *n;
	int rc = linux_hostfs_lookup(fs, dir, name, len, &n);
	if (rc < 0)
		return rc;
	*tail = n; /* appended: a listing in progress keeps its order */
	*out = n;
	return 0;
}

struct linux_node *linux_fs_lookup(struct linux_fs *fs, struct linux_node *dir, const char *name,
				   size_t len)
{
	struct linux_node *n;
	return linux_fs_child(fs, dir, name, len, &n) < 0 ? NULL : n;
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
	struct linux_node *node = buf[0] == '/' ? fs->root : cwd;
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
			node = node->parent; /* the root's parent is the root */
			continue;
		}
		struct linux_node *child;
		int rc = linux_fs_child(fs, node, name, len, &child);
		if (rc < 0) {
			if (rc == -ENOENT && is_last && parent && last && len < last_size) {
				*parent = node;
				memcpy(last, name, len);
				last[len] = '\0';
			}
			return rc;
		}
		if ((child->mode & S_IFMT) == S_IFLNK &&
		    (!is_last || trailing_slash || (flags & LINUX_RESOLVE_FOLLOW))) {
			if (++hops > SYMLINK_MAX_HOPS)
				return -ELOOP;
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
			if (buf[0] == '/')
				node = fs->root;
			continue;
		}
		node = child;
	}
	*out = node;
	return 0;
}

static bool tmp_reserve(struct linux_fs *fs, uint64_t more)
{
	uint64_t total;
	if (__builtin_add_overflow(fs->tmp_used, more, &total) || total > fs->tmp_limit)
		return false;
	fs->tmp_used = total;
	return true;
}

int linux_fs_create(struct linux_fs *fs, struct linux_node *dir, const char *name, uint32_t mode,
		    struct linux_node **out)
{
	size_t len = strlen(name);
	if (!dir->writable)
		return -EROFS;
	if (!is_dir(dir))
		return -ENOTDIR;
	if (dir->unlinked)
		return -ENOENT; /* as Linux: a removed directory takes no new entries */
	if (len == 0 || len > 255)
		return -ENAMETOOLONG;
	if (linux_fs_lookup(fs, dir, name, len))
		return -EEXIST;
	/* Each entry costs a block of the /tmp quota, so entries are bounded too. */
	if (!tmp_reserve(fs, 256))
		return -ENOSPC;
	struct linux_node *n = calloc(1, sizeof(*n));
	char *copy = strdup(name);
	if (!n || !copy) {
		free(n);
		free(copy);
		fs->tmp_used -= 256;
		return -ENOMEM;
	}
	*n = (struct linux_node){.mode = mode,
				 .ino = fs->next_ino++,
				 .parent = dir,
				 .name = copy,
				 .name_len = len,
				 .writable = true,
				 .refs = 1, /* the link */
				 .next = dir->children};
	dir->children = n;
	linux_fs_get(fs, dir); /* n->parent */
	*out = n;
	return 0;
}

static void tmp_destroy(struct linux_fs *fs, struct linux_node *n)
{
	fs->tmp_used -= n->tmp_cap + 256;
	free(n->tmp_data);
	free(n->name);
	free(n);
}

int linux_fs_unlink(struct linux_fs *fs, struct linux_node *dir, const char *name, bool dir_wanted)
{
	size_t len = strlen(name);
	struct linux_node *n = linux_fs_lookup(fs, dir, name, len);
	if (!n)
		return -ENOENT;
	if (!dir->writable || n == fs->tmp)
		return -EROFS;
	if (dir_wanted && !is_dir(n))
		return -ENOTDIR;
	if (!dir_wanted && is_dir(n))
		return -EISDIR;
	if (is_dir(n) && n->children)
		return -ENOTEMPTY;
	struct linux_node **link = &dir->children;
	while (*link != n)
		link = &(*link)->next;
	*link = n->next;
	n->next = NULL;
	/* n->parent stays: ".." of a removed cwd is its old parent, as on Linux,
	 * and n's reference keeps that parent alive. */
	n->unlinked = true;
	linux_fs_put(fs, n);
	return 0;
}

/* Nodes whose lifetime is the tree's: image nodes and /tmp itself. */
static bool lives_with_tree(const struct linux_fs *fs, const struct linux_node *node)
{
	return !node->writable || node == fs->tmp; /* host nodes, the root, /tmp */
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
	if (!tmp_reserve(fs, cap - node->tmp_cap))
		return -ENOSPC;
	uint8_t *grown = realloc(node->tmp_data, cap);
	if (!grown) {
		fs->tmp_used -= cap - node->tmp_cap;
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
	if (!node->writable)
		return -EROFS;
	if (is_dir(node))
		return -EISDIR;
	if (__builtin_add_overflow(offset, len, &end) || end > fs->tmp_limit)
		return -EFBIG;
	if (len == 0)
		return 0; /* nothing to copy (a new file has no buffer yet) */
	int rc = tmp_grow(fs, node, end);
	if (rc < 0)
		return rc;
	memcpy(node->tmp_data + offset, buf, len);
	if (end > node->size)
		node->size = end;
	return (long)len;
}

int linux_fs_truncate(struct linux_fs *fs, struct linux_node *node, uint64_t size)
{
	if (!node->writable)
		return -EROFS;
	if (size > fs->tmp_limit)
		return -EFBIG;
	int rc = tmp_grow(fs, node, size);
	if (rc < 0)
		return rc;
	if (size < node->size)
		memset(node->tmp_data + size, 0, node->size - size);
	node->size = size;
	return 0;
}

long linux_fs_pread(const struct linux_node *node, int host_fd, void *dst, uint64_t len,
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

bool linux_fs_dirent(struct linux_fs *fs, struct linux_node *dir, uint64_t n, const char **name,
		     size_t *len, struct linux_node **node)
{
	if (n == 0 || n == 1) {
		*name = n == 0 ? "." : "..";
		*len = n + 1;
		*node = n == 0 ? dir : dir->parent;
		return true;
	}
	n -= 2;
	if (dir == fs->root) {
		if (n < 2) { /* /tmp and /dev, ours, before the tree's entries */
			*node = n == 0 ? fs->tmp : fs->dev;
			*name = (*node)->name;
			*len = 3;
			return true;
		}
		n -= 2;
	}
	if (dir->host && !dir->listed && linux_hostfs_list(fs, dir) < 0)
		return false;
	for (struct linux_node *c = dir->children; c; c = c->next) {
		if (dir == fs->root && c->name_len == 3 &&
		    (memcmp(c->name, "tmp", 3) == 0 || memcmp(c->name, "dev", 3) == 0))
			continue; /* the tree's own tmp and dev are hidden by ours */
		if (n-- == 0) {
			*name = c->name;
			*len = c->name_len;
			*node = c;
			return true;
		}
	}
	return false;
}
