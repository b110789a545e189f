/* Hard links in the memory file systems (/tmp, --tmpfs, the root's upper layer): a file's further names are entries of their own that name its one node. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "linux_fs.h"

/* What a name costs its pool, as any entry (linux_fs_create). */

struct linux_node *linux_fs_named(struct linux_node *e)
{
	return e->same ? e->same : e;
}

unsigned linux_fs_nlink(const struct linux_node *n)
{
	unsigned count = 1;
	for (const struct linux_node *e = n->names; e; e = e->next_name)
		count++;
	return count;
}

/* linkat(fd, "", dir, name, AT_EMPTY_PATH) of an O_TMPFILE file: it
 * becomes dir's entry `name` (its first and only name) and an ordinary
 * file from then on, as Linux's I_LINKABLE inode. */
static int name_tmpfile(struct linux_fs *fs, struct linux_node *n, struct linux_node *dir,
			const char *name, size_t len)
{
	int rc = linux_fs_copy_up(fs, dir);
	if (rc < 0)
		return rc;
	char *copy = malloc(len + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, name, len);
	copy[len] = '\0';
	free(n->name);
	n->name = copy;
	n->name_len = len;
	struct linux_node *old = n->parent;
	n->parent = dir;
	n->unlinked = false;
	n->linkable = false;
	n->covers_lower = linux_fs_take_whiteout(fs, dir, name, len);
	n->refs++; /* the link */
	linux_fs_link_child(dir, n);
	linux_fs_get(fs, dir); /* n->parent */
	linux_fs_put(fs, old);
	return 0;
}

int linux_fs_link(struct linux_fs *fs, struct linux_node *n, struct linux_node *dir,
		  const char *name)
{
	size_t len = strlen(name);
	if (n->vol || dir->vol)
		return linux_volume_link(fs, n, dir, name); /* on the host, within one volume */
	if ((n->mode & S_IFMT) == S_IFDIR)
		return -EPERM;
	if (n->pool != dir->pool)
		return -EXDEV; /* two file systems: /tmp, a --tmpfs, the tree, /dev, /proc */
	struct linux_fs_pool *p = linux_fs_pool_of(fs, dir);
	if (!p)
		return -EROFS;
	if ((n->unlinked && !n->linkable) || dir->unlinked)
		return -ENOENT; /* as Linux: no new name for a removed file, none in a removed dir */
	if (len == 0 || len > LINUX_NAME_MAX)
		return -ENAMETOOLONG;
	if (linux_fs_lookup(fs, dir, name, len))
		return -EEXIST;
	if (n->unlinked)
		return name_tmpfile(fs, n, dir, name, len);
	int rc;
	if ((rc = linux_fs_copy_up(fs, n)) < 0 || (rc = linux_fs_copy_up(fs, dir)) < 0)
		return rc; /* a lower file gets its content in the upper layer first */
	struct linux_node *e = linux_fs_entry_new(p, name, len, &rc);
	if (!e)
		return rc;
	*e = (struct linux_node){.mode = n->mode & S_IFMT, /* its kind; the rest is n's */
				 .ino = n->ino,
				 .parent = dir,
				 .name = e->name,
				 .name_len = len,
				 .writable = true,
				 .pool = dir->pool,
				 .refs = 1, /* the link */
				 .covers_lower = linux_fs_take_whiteout(fs, dir, name, len),
				 .same = n,
				 .next_name = n->names};
	n->names = e;
	linux_fs_link_child(dir, e);
	linux_fs_get(fs, dir); /* e->parent */
	linux_fs_get(fs, n);   /* e->same */
	return 0;
}

/* Frees a hard link's entry that left its directory, with the references it held. */
static void drop_entry(struct linux_fs *fs, struct linux_node *e, struct linux_node *n)
{
	e->unlinked = true;
	e->next = NULL;
	e->same = NULL;
	linux_fs_put(fs, e); /* its link: frees it, then drops its parent */
	linux_fs_put(fs, n); /* what it held on the node */
}

int linux_fs_unlink_name(struct linux_fs *fs, struct linux_node *e)
{
	int rc = linux_fs_leave(fs, e); /* first: the one step that may fail */
	if (rc < 0)
		return rc;
	if (e->same) { /* a further name: it goes, the node stays under the others */
		struct linux_node *n = e->same, **link = &n->names;
		while (*link != e)
			link = &(*link)->next_name;
		*link = e->next_name;
		drop_entry(fs, e, n);
		return 0;
	}
	/* The node's own name goes: the node takes the place of its first
	 * other name (same directory slot, listing offset and name), and that
	 * entry goes instead, so a node always sits under a name it has. */
	struct linux_node *n = e, *a = n->names, *dir = a->parent, **link = &dir->children;
	while (*link != a)
		link = &(*link)->next;
	n->next = a->next;
	*link = n;
	free(n->name);
	n->name = a->name;
	n->name_len = a->name_len;
	a->name = NULL;
	n->dpos = a->dpos;
	n->covers_lower = a->covers_lower;
	n->names = a->next_name;
	if (n->parent != dir) {
		struct linux_node *old = n->parent;
		linux_fs_get(fs, dir);
		n->parent = dir;
		linux_fs_put(fs, old);
	}
	drop_entry(fs, a, n);
	return 0;
}
