/* The file tree a Linux-ABI guest sees: a read-only packed image plus a writable /tmp in memory. */
#ifndef LOCKVM_LINUX_FS_H
#define LOCKVM_LINUX_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Image format (little-endian), written by the supervisor from --fs HOSTDIR
 * and parsed, checked field by field, by the VMM:
 *   header  struct fsimage_header
 *   nodes   node_count × struct fsimage_node, node 0 the root directory;
 *           sorted by (parent, name) and every parent before its children,
 *           so each directory's children are one sorted run of nodes
 *   strings names, each node's [name_off, +name_len)
 *   data    file contents and symlink targets, each node's [data_off, +size)
 */
#define FSIMAGE_MAGIC	  "LVFSIMG1"
#define FSIMAGE_VERSION	  1u
#define FSIMAGE_MAX_NODES 65536u
#define FSIMAGE_MAX_SIZE  (4ULL << 30)
#define FSIMAGE_NAME_MAX  255u
#define FSIMAGE_LINK_MAX  4095u
#define FSIMAGE_MAX_DEPTH 64u

struct fsimage_header {
	char magic[8];
	uint32_t version;
	uint32_t node_count;
	uint64_t strings_off, strings_size;
	uint64_t data_off, data_size;
	uint64_t total_size;
};

struct fsimage_node {
	uint32_t parent; /* index of the parent directory (root: 0) */
	uint32_t mode;	 /* S_IFDIR, S_IFREG or S_IFLNK | permission bits */
	uint32_t name_off, name_len;
	uint64_t data_off, size;
	int64_t mtime_sec;
	uint32_t mtime_nsec, reserved;
};

struct linux_node {
	uint32_t mode;
	uint64_t ino;
	uint64_t size;
	int64_t mtime_sec;
	uint32_t mtime_nsec;
	struct linux_node *parent;
	const char *name;
	size_t name_len;
	const uint8_t *data;		   /* image: file contents or symlink target */
	bool writable;			   /* in /tmp */
	uint32_t first_child, child_count; /* image directory: its run of nodes */
	/* /tmp nodes */
	struct linux_node *tmp_children, *tmp_next;
	uint8_t *tmp_data;
	char *tmp_name;
	uint64_t tmp_cap;
	/*
	 * /tmp nodes are reference-counted (image nodes and /tmp itself live
	 * as long as the tree): +1 while linked in a directory, +1 per open
	 * file, +1 while it is the cwd, +1 per /tmp node whose `parent` it is
	 * (linked or not, as a Linux dentry pins its parent). A node is freed
	 * when the last reference goes, never while anything points at it.
	 */
	unsigned refs;
	bool unlinked; /* removed from its directory: takes no new entries */
};

struct linux_fs {
	const uint8_t *image; /* the whole image, read-only */
	uint64_t image_size;
	struct linux_node *nodes; /* image nodes, nodes[0] = root */
	uint32_t node_count;
	struct linux_node *root, *tmp;
	uint64_t tmp_used, tmp_limit, next_ino;
};

/*
 * Checks the image in [image, image+size) and builds the tree in fs. The
 * image must stay mapped while fs lives. size 0: an empty root. Returns 0,
 * or -1 with a one-line reason in err.
 */
int linux_fs_parse(struct linux_fs *fs, const uint8_t *image, uint64_t size, uint64_t tmp_limit,
		   char *err, size_t errlen);
void linux_fs_free(struct linux_fs *fs);

/*
 * Packs the host directory `dir` into an image written to fd (supervisor
 * side, before confinement). Symlinks are recorded, never followed; other
 * file types are skipped. Returns 0, or -1 with a reason in err.
 */
int linux_fsimage_pack(const char *dir, int fd, char *err, size_t errlen);

/* Child `name` of directory `dir`, or NULL. */
struct linux_node *linux_fs_lookup(struct linux_fs *fs, struct linux_node *dir, const char *name,
				   size_t len);

#define LINUX_RESOLVE_FOLLOW 1u /* follow a symlink in the last component */

/*
 * Resolves `path` from `cwd` inside the tree: ".." stops at the root and
 * symlinks resolve inside the tree (at most 40 of them), so no path can
 * leave it. On success *out is the node. When only the last component is
 * missing, returns -ENOENT with *parent and *last set (for creation).
 * Returns 0 or -errno.
 */
int linux_fs_resolve(struct linux_fs *fs, struct linux_node *cwd, const char *path, unsigned flags,
		     struct linux_node **out, struct linux_node **parent, char *last,
		     size_t last_size);

/* /tmp: creates a file or directory `name` in the writable dir; a removed
 * directory takes no new entries (-ENOENT). The new node holds a reference
 * on dir; its own link reference belongs to dir. */
int linux_fs_create(struct linux_fs *fs, struct linux_node *dir, const char *name, uint32_t mode,
		    struct linux_node **out);
/* Removes `name` from dir, dropping the link reference: the node lives on,
 * marked unlinked, while open files or the cwd hold it. */
int linux_fs_unlink(struct linux_fs *fs, struct linux_node *dir, const char *name, bool dir_wanted);
/* Writes into a /tmp file, growing it within the /tmp limit. */
long linux_fs_write(struct linux_fs *fs, struct linux_node *node, uint64_t offset, const void *buf,
		    uint64_t len);
int linux_fs_truncate(struct linux_fs *fs, struct linux_node *node, uint64_t size);
/* File contents for reading: pointer to its bytes (size in node->size). */
const uint8_t *linux_fs_contents(const struct linux_node *node);
/* Takes a reference on node for as long as the caller keeps the pointer
 * (an open file, the cwd); no-op for nodes that live as long as the tree. */
void linux_fs_get(struct linux_fs *fs, struct linux_node *node);
/* Drops one reference; frees an unlinked /tmp node at zero, then drops the
 * reference it held on its parent. */
void linux_fs_put(struct linux_fs *fs, struct linux_node *node);

/* The n-th entry of a directory listing (".", "..", children; the root
 * also lists "tmp"). Returns false past the end. */
bool linux_fs_dirent(struct linux_fs *fs, struct linux_node *dir, uint64_t n, const char **name,
		     size_t *len, struct linux_node **node);

#endif
