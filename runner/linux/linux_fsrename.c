/* rename(2) and symlink(2) inside /tmp or the root's upper layer: moves a node between directories with its reference counts and whiteouts kept right. */
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
 * parent's reference is taken before the old one's is dropped. A whiteout
 * of that name goes: n now hides the lower entry instead. */
static void list_in(struct linux_fs *fs, struct linux_node *n, struct linux_node *dir, char *name)
{
	free(n->name);
	n->name = name;
	n->name_len = strlen(name);
	n->covers_lower = linux_fs_take_whiteout(fs, dir, name, n->name_len);
	linux_fs_link_child(dir, n);
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
	if (linux_fs_is_mount(fs, old) || (new &&linux_fs_is_mount(fs, new)))
		return -EBUSY; /* a mount point */
	if (odir->pool != ndir->pool)
		return -EXDEV; /* /tmp and the tree are two file systems */
	if (!linux_fs_pool_of(fs, odir))
		return -EROFS;
	if (ndir->unlinked)
		return -ENOENT;
	return 0;
}

/* Copies up what moves and both directories, and checks there is room for
 * two whiteouts, so the move that follows cannot fail half done. */
static int prepare(struct linux_fs *fs, struct linux_node *odir, struct linux_node *ndir,
		   struct linux_node *old)
{
	int rc;
	if ((rc = linux_fs_copy_up(fs, old)) < 0 || (rc = linux_fs_copy_up(fs, odir)) < 0 ||
	    (rc = linux_fs_copy_up(fs, ndir)) < 0)
		return rc;
	/* overlayfs without redirect_dir answers EXDEV for a merged directory
	 * and mv copies it; here it moves whole: its lower side stays where it
	 * was on the host (origin), its old name becomes a whiteout. An
	 * exported upper layer (--fs-upper DIR) writes it as an opaque copy. */
	if (is_dir(old) && (rc = linux_hostfs_pin_origin(fs, old)) < 0)
		return rc;
	struct linux_fs_pool *p = linux_fs_pool_of(fs, odir);
	if (!linux_fs_reserve(p, 512))
		return -ENOSPC;
	p->used -= 512;
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
	bool old_covers = old->covers_lower, new_covers = new->covers_lower;
	unlist(old);
	unlist(new);
	list_in(fs, old, ndir, oname);
	list_in(fs, new, odir, nname);
	/* both names stay taken: whether a lower entry lies under each stays too */
	old->covers_lower = new_covers;
	new->covers_lower = old_covers;
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
	if (odir->vol || ndir->vol)
		return linux_volume_rename(fs, odir, oname, ndir, nname, flags);
	struct linux_node *old, *new = NULL;
	int rc = linux_fs_entry(fs, odir, oname, strlen(oname), &old);
	if (rc < 0)
		return rc;
	rc = linux_fs_entry(fs, ndir, nname, strlen(nname), &new);
	if (rc < 0 && rc != -ENOENT)
		return rc;
	if (rc == -ENOENT)
		new = NULL;
	if ((rc = rename_allowed(fs, odir, ndir, old, new)) < 0)
		return rc;
	if (flags & LINUX_RENAME_EXCHANGE) {
		if (!new)
			return -ENOENT;
		if (linux_fs_named(new) == linux_fs_named(old))
			return 0; /* with itself or another name of it: nothing, as Linux */
		if ((rc = prepare(fs, odir, ndir, old)) < 0 ||
		    (rc = linux_fs_copy_up(fs, new)) < 0 ||
		    (is_dir(new) && (rc = linux_hostfs_pin_origin(fs, new)) < 0))
			return rc;
		return exchange(fs, old, new);
	}
	if (new) {
		if (flags & LINUX_RENAME_NOREPLACE)
			return -EEXIST;
		if (linux_fs_named(new) == linux_fs_named(old))
			return 0; /* two names of one file: nothing, as Linux */
		if (is_dir(old) != is_dir(new))
			return is_dir(old) ? -ENOTDIR : -EISDIR;
		if (is_dir(new) && (rc = linux_fs_dir_empty(fs, new)) <= 0)
			return rc < 0 ? rc : -ENOTEMPTY;
	}
	if (is_dir(old) && is_ancestor(old, ndir))
		return -EINVAL; /* a directory into its own subtree */
	if ((rc = prepare(fs, odir, ndir, old)) < 0)
		return rc;
	char *name = strdup(nname);
	if (!name)
		return -ENOMEM;
	if ((rc = linux_fs_leave(fs, old)) < 0) { /* no room: prepare() checked; memory */
		free(name);
		return rc;
	}
	if (new)
		linux_fs_unlink(fs, ndir, nname, is_dir(new));
	list_in(fs, old, ndir, name);
	return 0;
}

int linux_fs_symlink(struct linux_fs *fs, struct linux_node *dir, const char *name,
		     const char *target)
{
	size_t len = strlen(target);
	if (len == 0)
		return -ENOENT;
	if (dir->vol)
		return linux_volume_symlink(fs, dir, name, target);
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
