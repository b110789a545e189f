/* rename(2) and symlink(2) inside the writable /tmp: moves a node between directories with its reference counts kept right. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "linux_fs.h"

static bool is_dir(const struct linux_node *n)
{
	return (n->mode & S_IFMT) == S_IFDIR;
}

/* Whether `node` is `dir` or one of its ancestors. */
static bool is_ancestor(const struct linux_node *node, const struct linux_node *dir)
{
	for (const struct linux_node *n = dir;; n = n->parent) {
		if (n == node)
			return true;
		if (n->parent == n)
			return false;
	}
}

static void unlist(struct linux_node *n)
{
	struct linux_node **link = &n->parent->children;
	while (*link != n)
		link = &(*link)->next;
	*link = n->next;
	n->next = NULL;
}

/* Puts the unlisted n into dir under `name` (owned from here): the new
 * parent's reference is taken before the old one's is dropped. */
static void list_in(struct linux_fs *fs, struct linux_node *n, struct linux_node *dir, char *name)
{
	free(n->name);
	n->name = name;
	n->name_len = strlen(name);
	n->next = dir->children;
	dir->children = n;
	if (n->parent != dir) {
		struct linux_node *old = n->parent;
		linux_fs_get(fs, dir);
		n->parent = dir;
		linux_fs_put(fs, old);
	}
}

/* What rename refuses before looking at the entries' kinds. */
static int rename_allowed(struct linux_fs *fs, struct linux_node *odir, struct linux_node *ndir,
			  const struct linux_node *old, const struct linux_node *new)
{
	if (old == fs->tmp || new == fs->tmp || old == fs->dev || new == fs->dev)
		return -EBUSY; /* a mount point */
	if (odir->writable != ndir->writable)
		return -EXDEV; /* /tmp and the tree are two file systems */
	if (!odir->writable)
		return -EROFS;
	if (ndir->unlinked)
		return -ENOENT;
	return 0;
}

static int exchange(struct linux_fs *fs, struct linux_node *old, struct linux_node *new)
{
	if (is_ancestor(old, new->parent) || is_ancestor(new, old->parent))
		return -EINVAL; /* one would end up inside itself */
	char *oname = strdup(new->name), *nname = strdup(old->name);
	if (!oname || !nname) {
		free(oname);
		free(nname);
		return -ENOMEM;
	}
	struct linux_node *odir = old->parent, *ndir = new->parent;
	unlist(old);
	unlist(new);
	list_in(fs, old, ndir, oname);
	list_in(fs, new, odir, nname);
	return 0;
}

int linux_fs_rename(struct linux_fs *fs, struct linux_node *odir, const char *oname,
		    struct linux_node *ndir, const char *nname, unsigned flags)
{
	if ((flags & ~(LINUX_RENAME_NOREPLACE | LINUX_RENAME_EXCHANGE)) ||
	    flags == (LINUX_RENAME_NOREPLACE | LINUX_RENAME_EXCHANGE))
		return -EINVAL;
	if (strlen(nname) > LINUX_NAME_MAX)
		return -ENAMETOOLONG;
	struct linux_node *old, *new = NULL;
	int rc = linux_fs_child(fs, odir, oname, strlen(oname), &old);
	if (rc < 0)
		return rc;
	rc = linux_fs_child(fs, ndir, nname, strlen(nname), &new);
	if (rc < 0 && rc != -ENOENT)
		return rc;
	if (rc == -ENOENT)
		new = NULL;
	if ((rc = rename_allowed(fs, odir, ndir, old, new)) < 0)
		return rc;
	if (flags & LINUX_RENAME_EXCHANGE) {
		if (!new)
			return -ENOENT;
		return new == old ? 0 : exchange(fs, old, new); /* with itself: nothing, as Linux */
	}
	if (new) {
		if (flags & LINUX_RENAME_NOREPLACE)
			return -EEXIST;
		if (new == old)
			return 0;
		if (is_dir(old) != is_dir(new))
			return is_dir(old) ? -ENOTDIR : -EISDIR;
		if (is_dir(new) && new->children)
			return -ENOTEMPTY;
	}
	if (is_dir(old) && is_ancestor(old, ndir))
		return -EINVAL; /* a directory into its own subtree */
	char *name = strdup(nname);
	if (!name)
		return -ENOMEM;
	if (new)
		linux_fs_unlink(fs, ndir, nname, is_dir(new));
	unlist(old);
	list_in(fs, old, ndir, name);
	return 0;
}

int linux_fs_symlink(struct linux_fs *fs, struct linux_node *dir, const char *name,
		     const char *target)
{
	size_t len = strlen(target);
	if (len == 0)
		return -ENOENT;
	struct linux_node *n;
	int rc = linux_fs_create(fs, dir, name, S_IFLNK | 0777, &n);
	if (rc < 0)
		return rc;
	long wrote = linux_fs_write(fs, n, 0, target, len);
	if (wrote < 0) {
		linux_fs_unlink(fs, dir, name, false);
		return (int)wrote;
	}
	n->link = (char *)n->tmp_data; /* NUL-terminated: the buffer is zeroed past size */
	return 0;
}
