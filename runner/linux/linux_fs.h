/* The file tree a Linux-ABI guest sees: the --fs host tree read lazily through one directory fd, plus a writable /tmp in memory. */
#ifndef LOCKVM_LINUX_FS_H
#define LOCKVM_LINUX_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LINUX_NAME_MAX 255u
/* Host fds the --fs tree may hold at once: one per guest fd (LINUX_MAX_FDS,
 * 64) plus the two a lookup or listing holds for a moment. The VMM keeps
 * this many slots free when it seals its fd table. */
#define LINUX_FS_HOST_FDS 66u

/*
 * A node is one of: the root and /tmp (live as long as the tree), a /tmp
 * file or directory (`writable`, reference-counted), or an entry of the
 * --fs host tree (`host`, looked up on demand, cached for the tree's life).
 */
struct linux_node {
	uint32_t mode;
	uint64_t ino;
	uint64_t size;
	int64_t mtime_sec;
	uint32_t mtime_nsec;
	uint32_t uid, gid; /* the owner the VM set (chown); 0 for the host tree */
	uint8_t dev_kind;  /* a /dev node (LINUX_DEV_*), served by linux_dev.c; 0: none */
	uint32_t rdev;	   /* its device number, as stat shows it */
	uint32_t dev_fd;   /* LINUX_DEV_FD: the fd /dev/fd/N names */
	struct linux_node *parent;
	char *name; /* owned; "" for the root */
	size_t name_len;
	bool writable; /* in /tmp */
	bool host;     /* in the --fs tree: reached through fs->root_fd */
	bool statted;  /* host: mode, size and times come from an fstat (else a listing) */
	bool listed;   /* host directory: children holds every entry it had when listed */
	char *link;    /* symlink: its target, size bytes (a /tmp one's is tmp_data) */
	/* /tmp children, or the host entries looked up so far (in listing order) */
	struct linux_node *children, *next;
	uint8_t *tmp_data;
	uint64_t tmp_cap;
	/*
	 * /tmp nodes are reference-counted (host nodes, the root and /tmp live
	 * as long as the tree): +1 while linked in a directory, +1 per open
	 * file, +1 while it is the cwd, +1 per /tmp node whose `parent` it is
	 * (linked or not, as a Linux dentry pins its parent). A node is freed
	 * when the last reference goes, never while anything points at it.
	 */
	unsigned refs;
	bool unlinked; /* removed from its directory: takes no new entries */
};

enum linux_dev_kind {
	LINUX_DEV_NULL = 1,
	LINUX_DEV_ZERO,
	LINUX_DEV_FULL,
	LINUX_DEV_RANDOM, /* random and urandom */
	LINUX_DEV_TTY,
	LINUX_DEV_FD,
};
#define LINUX_DEV_FDS 64u /* /dev/fd/0..63: every guest fd (LINUX_MAX_FDS) */

struct linux_fs {
	/* --fs: O_PATH fd of the tree's root (the supervisor's read-only,
	 * nodev, nosuid, noexec clone of it); -1: an empty root */
	int root_fd;
	struct linux_node *root, *tmp, *dev; /* dev: /dev (linux_dev.c) */
	uint64_t tmp_used, tmp_limit, next_ino;
};

/*
 * Builds the tree: root_fd (owned from here on; -1 for an empty root) is
 * served as "/", read lazily, with a writable /tmp of tmp_limit bytes.
 * Returns 0, or -1 with a one-line reason in err.
 */
int linux_fs_init(struct linux_fs *fs, int root_fd, uint64_t tmp_limit, char *err, size_t errlen);
void linux_fs_free(struct linux_fs *fs);

/* Child `name` of directory `dir` in *out: 0 or -errno (-ENOENT: none). */
int linux_fs_child(struct linux_fs *fs, struct linux_node *dir, const char *name, size_t len,
		   struct linux_node **out);
/* The same, NULL for any error. */
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
/* /tmp: a symlink `name` in dir pointing at target (kept in its data,
 * within the /tmp limit). */
int linux_fs_symlink(struct linux_fs *fs, struct linux_node *dir, const char *name,
		     const char *target);
#define LINUX_RENAME_NOREPLACE 1u
#define LINUX_RENAME_EXCHANGE  2u
/* Renames odir/oname to ndir/nname as rename(2) does, flags
 * LINUX_RENAME_*: within /tmp; the tree gives EROFS, between the two EXDEV. */
int linux_fs_rename(struct linux_fs *fs, struct linux_node *odir, const char *oname,
		    struct linux_node *ndir, const char *nname, unsigned flags);
/* Writes into a /tmp file, growing it within the /tmp limit. */
long linux_fs_write(struct linux_fs *fs, struct linux_node *node, uint64_t offset, const void *buf,
		    uint64_t len);
int linux_fs_truncate(struct linux_fs *fs, struct linux_node *node, uint64_t size);
/* Reads up to len bytes at offset of a file: a /tmp node from memory, a
 * host node from host_fd (its open fd). Returns bytes read or -errno. */
long linux_fs_pread(const struct linux_node *node, int host_fd, void *dst, uint64_t len,
		    uint64_t offset);
/* Takes a reference on node for as long as the caller keeps the pointer
 * (an open file, the cwd); no-op for nodes that live as long as the tree. */
void linux_fs_get(struct linux_fs *fs, struct linux_node *node);
/* Drops one reference; frees an unlinked /tmp node at zero, then drops the
 * reference it held on its parent. */
void linux_fs_put(struct linux_fs *fs, struct linux_node *node);

/* The n-th entry of a directory listing (".", "..", children; the root
 * also lists "tmp"). Returns false past the end. Host directories are
 * listed from the host once, on the first call. */
bool linux_fs_dirent(struct linux_fs *fs, struct linux_node *dir, uint64_t n, const char **name,
		     size_t *len, struct linux_node **node);

/* ---- linux_dev.c: /dev ---- */

/* Fills the /dev directory. 0 or -ENOMEM. */
int linux_dev_init(struct linux_fs *fs, struct linux_node *dev);
/* A read or write of a /dev node: bytes or -errno. */
long linux_dev_read(const struct linux_node *n, void *dst, uint64_t len);
long linux_dev_write(const struct linux_node *n, uint64_t len);

/* ---- linux_hostfs.c: the --fs tree on the host ---- */

/* Looks up `name` in host directory dir on the host; a new node (not yet
 * linked into dir) in *out. Returns 0 or -errno. */
int linux_hostfs_lookup(struct linux_fs *fs, struct linux_node *dir, const char *name, size_t len,
			struct linux_node **out);
/* Reads dir's entries from the host into dir->children (once). 0 or -errno. */
int linux_hostfs_list(struct linux_fs *fs, struct linux_node *dir);
/* Opens host node for reading (a regular file or a directory, checked on
 * the open fd); refreshes its size and times. Returns the fd or -errno. */
int linux_hostfs_open(struct linux_fs *fs, struct linux_node *node);
/* Stats a node known only from a listing. 0 or -errno. */
int linux_hostfs_stat(struct linux_fs *fs, struct linux_node *node);
/* Frees a host node and its cached children. */
void linux_hostfs_free(struct linux_node *node);

#endif
