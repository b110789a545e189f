/* --tmpfs: empty in-memory file systems mounted on directories of the tree (/dev/shm among them), each with its own size. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "linux_fs.h"

bool linux_fs_mounted_on(const struct linux_node *parent, const struct linux_node *root,
			 const struct linux_node *dir, const char *name, size_t len)
{
	return parent == dir && root->name_len == len && memcmp(root->name, name, len) == 0;
}

struct linux_mount *linux_fs_mount_at(struct linux_fs *fs, const struct linux_node *dir,
				      const char *name, size_t len)
{
	for (unsigned i = 0; i < fs->mount_count; i++)
		if (linux_fs_mounted_on(fs->mounts[i].parent, fs->mounts[i].dir, dir, name, len))
			return &fs->mounts[i];
	return NULL;
}

bool linux_fs_is_mount(const struct linux_fs *fs, const struct linux_node *n)
{
	if (n == fs->tmp || n == fs->dev || linux_volume_is_root(fs, n))
		return true;
	for (unsigned i = 0; i < fs->mount_count; i++)
		if (fs->mounts[i].dir == n)
			return true;
	return false;
}

int linux_fs_mount_point(struct linux_fs *fs, const char *what, const char *path,
			 struct linux_node **parent_out, const char **name_out, char *err,
			 size_t errlen)
{
	const char *slash = strrchr(path, '/');
	const char *name = slash ? slash + 1 : "";
	size_t len = strlen(name);
	if (path[0] != '/' || len == 0 || len > LINUX_NAME_MAX || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0 || strlen(path) >= 4096) {
		snprintf(err, errlen, "%s %s: not an absolute path of a directory", what, path);
		return -1;
	}
	char parent_path[4096];
	memcpy(parent_path, path, (size_t)(slash - path));
	parent_path[slash - path] = '\0';
	struct linux_node *parent;
	int rc = linux_fs_resolve(fs, fs->root, parent_path[0] ? parent_path : "/",
				  LINUX_RESOLVE_FOLLOW, &parent, NULL, NULL, 0);
	if (rc == 0 && (parent->mode & S_IFMT) != S_IFDIR)
		rc = -ENOTDIR;
	if (rc == 0 && parent->vol)
		rc = -EBUSY; /* nothing is mounted inside a volume */
	struct linux_node *there = NULL;
	if (rc == 0 && linux_fs_child(fs, parent, name, len, &there) == 0 &&
	    (linux_fs_is_mount(fs, there) || (there->mode & S_IFMT) != S_IFDIR))
		rc = linux_fs_is_mount(fs, there) ? -EBUSY : -ENOTDIR;
	if (rc < 0) {
		snprintf(err, errlen, "%s %s: %s", what, path,
			 rc == -EBUSY ? "mounted twice, or inside a volume" : strerror(-rc));
		return -1;
	}
	*parent_out = parent;
	*name_out = name;
	return 0;
}

int linux_fs_mount_tmpfs(struct linux_fs *fs, const char *path, uint64_t limit, char *err,
			 size_t errlen)
{
	if (fs->mount_count == LINUX_FS_MOUNTS) {
		snprintf(err, errlen, "--tmpfs %s: at most %u mounts", path, LINUX_FS_MOUNTS);
		return -1;
	}
	struct linux_node *parent;
	const char *name;
	if (linux_fs_mount_point(fs, "--tmpfs", path, &parent, &name, err, errlen) < 0)
		return -1;
	struct linux_node *dir = calloc(1, sizeof(*dir));
	char *copy = strdup(name);
	if (!dir || !copy) {
		free(dir);
		free(copy);
		snprintf(err, errlen, "--tmpfs %s: out of memory", path);
		return -1;
	}
	/* lower: it lives as long as the tree, as /tmp does (never removed) */
	*dir = (struct linux_node){.mode = S_IFDIR | 01777,
				   .ino = fs->next_ino++,
				   .parent = parent,
				   .name = copy,
				   .name_len = strlen(copy),
				   .writable = true,
				   .lower = true,
				   .pool = (uint8_t)(LINUX_POOL_MOUNT0 + fs->mount_count)};
	fs->mounts[fs->mount_count++] =
	    (struct linux_mount){.parent = parent, .dir = dir, .pool = {.limit = limit}};
	return 0;
}
