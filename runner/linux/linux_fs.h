/* The file tree a Linux-ABI guest sees: the --fs host tree read lazily through one directory fd under a copy-on-write upper layer in memory, plus a writable /tmp. */
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

/* Which memory file system a node's space is charged to. */
enum linux_pool {
	LINUX_POOL_NONE = 0, /* read-only: /dev, or the tree without an upper layer */
	LINUX_POOL_TMP,	     /* the in-memory /tmp */
	LINUX_POOL_UPPER,    /* the root's copy-on-write upper layer */
	LINUX_POOL_MOUNT0,   /* the first --tmpfs mount (/dev/shm among them) */
};
#define LINUX_FS_MOUNTS	 10u /* /sys, /proc, then --tmpfs mounts (/dev/shm included) */
#define LINUX_FS_VOLUMES 8u  /* --volume host directories */
/* Listing offsets: ".", "..", the root's "tmp" and "dev", a directory's
 * mount points, its volumes, then its entries. */
#define LINUX_FIRST_DPOS (4u + LINUX_FS_MOUNTS + LINUX_FS_VOLUMES)
/* The entries one directory of the tree may list (its lower and upper ones
 * together): past it getdents is refused with ENOMEM, so a hostile tree (a
 * million names in a directory) cannot grow the VMM past its cgroup. */
#define LINUX_DIR_MAX_ENTRIES 65536u

struct linux_inotify_watch;

struct linux_fs_pool {
	uint64_t used, limit; /* bytes */
};

/*
 * A node is one of: the root and /tmp (live as long as the tree), a /tmp
 * or upper-layer file or directory (`writable`, reference-counted), or an
 * entry of the --fs host tree (`lower`: looked up on demand, cached for the
 * tree's life, copied up into the upper layer in place when changed).
 */
struct linux_node {
	uint32_t mode;
	uint64_t ino;
	uint64_t size;
	int64_t mtime_sec;
	uint32_t mtime_nsec;
	uint32_t uid, gid; /* the owner the VM set (chown); 0 for the host tree */
	uint32_t nlink;	   /* host nodes: the host's link count (0: not known, shown as 1) */
	uint8_t dev_kind;  /* a /dev node (LINUX_DEV_*), served by linux_dev.c; 0: none */
	uint32_t rdev;	   /* its device number, as stat shows it */
	uint32_t dev_fd;   /* LINUX_DEV_FD: the fd /dev/fd/N names; /proc's fd/N: N */
	uint8_t proc_kind; /* a /proc node (enum linux_proc_kind), served by linux_procfs*.c */
	bool gen;	   /* a generated /proc node of one pid: reference-counted, pruned
			    * from its directory when the pid or fd is gone */
	int proc_pid;	   /* the pid a /proc node of one process shows */
	struct linux_node *parent;
	char *name; /* owned; "" for the root */
	size_t name_len;
	bool writable;	    /* content and attributes in memory: /tmp, or the upper layer */
	bool host;	    /* reached through fs->root_fd: a lower file not copied up, or
			* a lower directory whose lower entries still show (merged) */
	bool lower;	    /* came from the host tree: lives as long as the tree */
	bool covers_lower;  /* the lower tree has this name here: removing it leaves a whiteout */
	bool whiteout;	    /* an upper-layer mark hiding the lower entry of this name; never
			    * a guest file: lookups find nothing, listings skip it */
	uint8_t pool;	    /* enum linux_pool */
	uint8_t vol;	    /* 1 + the --volume it lies in (linux_volume.c; host, written in
			     * place on the host); 0: none */
	uint64_t dpos;	    /* its place in the parent's listing (getdents offsets) */
	uint64_t next_dpos; /* directory: the dpos its next entry gets */
	bool statted;	    /* host: mode, size and times come from an fstat (else a listing) */
	bool listed;	    /* host directory: children holds every entry it had when listed */
	char *link;	    /* symlink: its target, size bytes (a /tmp one's is tmp_data) */
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
	bool unlinked;		 /* removed from its directory: takes no new entries */
	bool linkable;		 /* an O_TMPFILE file without O_EXCL: linkat may name it */
	bool memfd;		 /* memfd_create's (unlinked): named "memfd:NAME" at the root */
	struct linux_shm *shm;	 /* its page cache while a MAP_SHARED mapping names it */
	struct linux_pipe *fifo; /* a FIFO's pipe once opened (linux_pipe.c) */
	/* Hard links (linux_fslink.c): a /tmp or upper-layer file has one node,
	 * linked under its first name; each further name is an entry of its
	 * own whose `same` is that node (lookups give the node, the entry holds
	 * a reference on it). `names` lists those entries through next_name. */
	struct linux_node *same, *names, *next_name;
	/* A merged lower directory renamed in the upper layer: its host path
	 * (relative to the tree's fd), fixed when it first moved, so its lower
	 * entries keep showing under its new name. NULL: the path its names give. */
	char *origin;
	/* inotify watches on this node (linux_inotify.c), each holding a reference on it. */
	struct linux_inotify_watch *watches;
};

enum linux_dev_kind {
	LINUX_DEV_NULL = 1,
	LINUX_DEV_ZERO,
	LINUX_DEV_FULL,
	LINUX_DEV_RANDOM, /* random and urandom */
	LINUX_DEV_TTY,
	LINUX_DEV_FD,
	LINUX_DEV_PTMX, /* a new pty pair's master (linux_pty.c) */
	LINUX_DEV_PTS,	/* /dev/pts/N: pair N's slave (dev_fd: N) */
};
#define LINUX_PTYS_MAX 16u /* /dev/pts/0..15: every pty pair (LINUX_PTYS) */
#define LINUX_DEV_FDS  64u /* /dev/fd/0..63: every guest fd (LINUX_MAX_FDS) */

struct linux_proc;

struct linux_fs {
	struct linux_proc *owner; /* the process /proc shows (linux_setup), or NULL: no pids */
	/* --record (linux_record.c), or NULL: a LINUX_RESOLVE_RECORD walk
	 * followed the symlink node (dir's entry name[0, len)), or found no
	 * entry name[0, len) in dir (node NULL). */
	void (*walked)(struct linux_fs *fs, struct linux_node *dir, const char *name, size_t len,
		       const struct linux_node *node);
	struct linux_node *sys_cpu; /* /sys/devices/system/cpu (linux_sysfs_cpus) */
	uint64_t start_ns;	    /* CLOCK_MONOTONIC when the tree was built: /proc/uptime */
	unsigned follows;	    /* /proc magic links being followed (nested: at most 2) */
	/* --fs: O_PATH fd of the tree's root (the supervisor's read-only,
	 * nodev, nosuid, noexec clone of it); -1: an empty root */
	int root_fd;
	struct linux_node *root, *tmp, *dev; /* dev: /dev (linux_dev.c) */
	struct linux_fs_pool tmp_pool, upper_pool;
	/* --tmpfs: a directory node hiding `parent`'s entry of its name */
	struct linux_mount {
		struct linux_node *parent, *dir;
		struct linux_fs_pool pool;
	} mounts[LINUX_FS_MOUNTS];
	unsigned mount_count;
	/* --volume: a host directory (its fd: the supervisor's private clone,
	 * read-only when ro) hiding `parent`'s entry of dir's name */
	struct linux_volume {
		struct linux_node *parent, *dir;
		int fd;
		bool ro;
	} volumes[LINUX_FS_VOLUMES];
	unsigned volume_count;
	/* removed lower nodes: open fds may still name them; freed with the tree */
	struct linux_node *orphans;
	uint64_t next_ino;
	bool big_dir_said; /* a listing past LINUX_DIR_MAX_ENTRIES was refused, and said */
	/* inotify (linux_inotify.c), VM-wide: the hooks do nothing while no
	 * watch exists anywhere (inotify_watches 0), so a file operation costs
	 * one load more. */
	unsigned inotify_watches, inotify_instances;
	uint64_t inotify_bytes;	 /* queued events' memory, all instances together */
	uint32_t inotify_cookie; /* the last rename's cookie */
};

/*
 * Builds the tree: root_fd (owned from here on; -1 for an empty root) is
 * served as "/", read lazily, under an upper layer of upper_limit bytes
 * (0: none, the root is read-only), with a writable /tmp of tmp_limit bytes.
 * Returns 0, or -1 with a one-line reason in err.
 */
int linux_fs_init(struct linux_fs *fs, int root_fd, uint64_t upper_limit, uint64_t tmp_limit,
		  char *err, size_t errlen);
void linux_fs_free(struct linux_fs *fs);
/* Mounts an empty in-memory file system of `limit` bytes at absolute path
 * `path`, whose parent must be a directory of the tree (the mount point
 * itself need not exist). 0, or -1 with a one-line reason in err. */
int linux_fs_mount_tmpfs(struct linux_fs *fs, const char *path, uint64_t limit, char *err,
			 size_t errlen);
/* Where `what` (an option's name, for err) mounts absolute path `path`:
 * its parent directory of the tree and its last name (pointing into path).
 * 0, or -1 with a one-line reason in err (the parent missing or inside a
 * volume, path a file or already a mount point). */
int linux_fs_mount_point(struct linux_fs *fs, const char *what, const char *path,
			 struct linux_node **parent, const char **name, char *err, size_t errlen);
/* Whether n is a mount point (/tmp, /dev, a --tmpfs, a volume): never removed or renamed. */
bool linux_fs_is_mount(const struct linux_fs *fs, const struct linux_node *n);
/* Whether a mount (a --tmpfs or a volume: its root node on parent's entry
 * of root's name) is the one on dir's entry `name`. */
bool linux_fs_mounted_on(const struct linux_node *parent, const struct linux_node *root,
			 const struct linux_node *dir, const char *name, size_t len);
/* The --tmpfs mounted on dir's entry `name`, or NULL. */
struct linux_mount *linux_fs_mount_at(struct linux_fs *fs, const struct linux_node *dir,
				      const char *name, size_t len);

/* Child `name` of directory `dir` in *out: 0 or -errno (-ENOENT: none). */
int linux_fs_child(struct linux_fs *fs, struct linux_node *dir, const char *name, size_t len,
		   struct linux_node **out);
/* The entry `name` of dir itself, for calls that change names (unlink,
 * rename): a hard link's own entry rather than the node it names. */
int linux_fs_entry(struct linux_fs *fs, struct linux_node *dir, const char *name, size_t len,
		   struct linux_node **out);
/* The same as linux_fs_child, NULL for any error. */
struct linux_node *linux_fs_lookup(struct linux_fs *fs, struct linux_node *dir, const char *name,
				   size_t len);

#define LINUX_RESOLVE_FOLLOW 1u /* follow a symlink in the last component */
#define LINUX_RESOLVE_ENTRY  2u /* the last component's own entry (a hard link's, not its node) */
/* openat2's RESOLVE_* (linux_sysfile.c): the walk itself honours them. */
#define LINUX_RESOLVE_BENEATH	  4u /* never above cwd: absolute paths, ".." out, magic links EXDEV */
#define LINUX_RESOLVE_IN_ROOT	  8u  /* cwd is "/": absolute paths and ".." stop there */
#define LINUX_RESOLVE_NO_SYMLINKS 16u /* a symlink to follow: ELOOP (magic links too) */
#define LINUX_RESOLVE_NO_MAGIC	  32u /* a /proc magic link to follow: ELOOP */
#define LINUX_RESOLVE_NO_XDEV                                                                      \
	64u /* into or out of a mount (/tmp, /dev, /proc, --tmpfs, a volume): EXDEV */
/* A guest call's own walk: tell fs->walked (--record) of each symlink it
 * follows and of the component it finds missing. */
#define LINUX_RESOLVE_RECORD 128u
/* With RECORD: the last component, when missing, is the name the call
 * makes (O_CREAT, mkdir...), not a lookup that found nothing ("absent"). */
#define LINUX_RESOLVE_MAKES 256u

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

/* Creates a file or directory `name` in dir (/tmp, or the root's upper
 * layer, copying dir up); a removed directory takes no new entries
 * (-ENOENT). The new node holds a reference on dir; its own link reference
 * belongs to dir. */
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
 * LINUX_RENAME_*: within /tmp or within the root (copied up; a merged
 * lower directory moves with its lower entries, unlike overlayfs without
 * redirect_dir, which gives EXDEV); between the two EXDEV, a root without
 * an upper layer EROFS. */
int linux_fs_rename(struct linux_fs *fs, struct linux_node *odir, const char *oname,
		    struct linux_node *ndir, const char *nname, unsigned flags);
/* Writes into a writable file, growing it within its pool's limit. */
long linux_fs_write(struct linux_fs *fs, struct linux_node *node, uint64_t offset, const void *buf,
		    uint64_t len);
/* An unlinked node (O_TMPFILE's, memfd's) is named prefix + name from now
 * on, as /proc shows Linux's; false: no memory, its old name stays. */
bool linux_fs_show_as(struct linux_node *n, const char *prefix, const char *name);
/* A memory node (/tmp, a --tmpfs, the upper layer) was made or changed:
 * its mtime becomes now, as Linux's (make compares them). */
void linux_fs_touch(struct linux_node *n);
/* Sets a file's size, copying a lower file up first. 0 or -errno. */
int linux_fs_truncate(struct linux_fs *fs, struct linux_node *node, uint64_t size);
/* Reads up to len bytes at offset of a file: a /tmp node from memory, a
 * host node from host_fd (its open fd). Returns bytes read or -errno. */
long linux_fs_pread(const struct linux_node *node, int host_fd, void *dst, uint64_t len,
		    uint64_t offset);
/* The same from the file itself, past any page cache (linux_shm.c fills from it). */
long linux_fs_pread_raw(const struct linux_node *node, int host_fd, void *dst, uint64_t len,
			uint64_t offset);
/* A FIFO node is freed: its pipe goes (no end is open; linux_pipe.c). */
void linux_fifo_free(struct linux_node *node);
/* The device stat shows for node: one per memory file system and volume,
 * the tree's for the root (linux_sysfile.c). */
uint64_t linux_fs_dev(const struct linux_node *n);
/* Takes a reference on node for as long as the caller keeps the pointer
 * (an open file, the cwd); no-op for nodes that live as long as the tree. */
void linux_fs_get(struct linux_fs *fs, struct linux_node *node);
/* Drops one reference; frees an unlinked /tmp node at zero, then drops the
 * reference it held on its parent. */
void linux_fs_put(struct linux_fs *fs, struct linux_node *node);

/* The first entry of a directory listing at or after offset *pos (".",
 * "..", the root's "tmp" and "dev", then children in the order they
 * joined, whiteouts skipped); *pos becomes the offset after it. Entries
 * keep their offsets while others come and go, so a listing interrupted by
 * changes neither repeats nor skips one that stayed. Returns false past
 * the end. Host directories are listed from the host once. */
bool linux_fs_dirent(struct linux_fs *fs, struct linux_node *dir, uint64_t *pos, const char **name,
		     size_t *len, struct linux_node **node);
/* The same for entries in a row with nothing changing the directory in
 * between (one getdents64): *cursor (NULL at first) is the child returned
 * last, where the next search starts, so k entries of n cost n + k steps,
 * not n·k. */
bool linux_fs_dirent_next(struct linux_fs *fs, struct linux_node *dir, uint64_t *pos,
			  const char **name, size_t *len, struct linux_node **node,
			  struct linux_node **cursor);

/* ---- linux_overlay.c: the root's copy-on-write upper layer ---- */

/* The pool a node's space is charged to; NULL for a read-only node. */
struct linux_fs_pool *linux_fs_pool_of(struct linux_fs *fs, const struct linux_node *node);
/* Takes `more` bytes of pool p: false (nothing taken) past its limit. */
bool linux_fs_reserve(struct linux_fs_pool *p, uint64_t more);
/* What one directory entry costs its pool (so entries are bounded too). */
#define LINUX_FS_ENTRY_COST 256u
/* A zeroed node for a new entry of pool p, its name a copy of name[0..len)
 * and LINUX_FS_ENTRY_COST reserved; NULL with -ENOSPC or -ENOMEM in *err. */
struct linux_node *linux_fs_entry_new(struct linux_fs_pool *p, const char *name, size_t len,
				      int *err);
/* Makes node and its directories writable in the upper layer: a lower
 * file's content is copied into memory (charged to the upper layer), a
 * lower directory keeps showing its lower entries. The lower tree is never
 * written. 0 (already writable included), -EROFS (no upper layer, /dev),
 * -ENOSPC, or -EACCES (a FIFO, socket or device node of the tree). */
int linux_fs_copy_up(struct linux_fs *fs, struct linux_node *node);
/* Appends n to dir's children with the next listing offset. */
void linux_fs_link_child(struct linux_node *dir, struct linux_node *n);
/* The same for many entries in a row (a host directory's listing): *tail
 * (NULL at first) keeps the list's end, so n entries cost n steps, not n². */
void linux_fs_append_child(struct linux_node *dir, struct linux_node ***tail, struct linux_node *n);
/* Takes n out of its directory's children; a whiteout takes its place
 * (same listing offset) when the lower tree has its name. 0 or -ENOSPC
 * (nothing changed). */
int linux_fs_leave(struct linux_fs *fs, struct linux_node *n);
/* Removes dir's whiteout of `name`, if any: true when there was one (a
 * node put there now covers a lower entry). */
bool linux_fs_take_whiteout(struct linux_fs *fs, struct linux_node *dir, const char *name,
			    size_t len);
/* Whether a directory has no entries, its lower ones counted. 1, 0 or -errno. */
int linux_fs_dir_empty(struct linux_fs *fs, struct linux_node *dir);
/* Keeps a removed lower node (open fds may name it) until the tree goes. */
void linux_fs_orphan(struct linux_fs *fs, struct linux_node *n);

/* ---- linux_fslink.c: hard links in /tmp, the upper layer and --tmpfs ---- */

/* A new name `name` in dir for node n (link(2)): a lower file is copied up
 * first; both must be in one file system (EXDEV), n not a directory
 * (EPERM) nor removed (ENOENT). 0 or -errno. */
int linux_fs_link(struct linux_fs *fs, struct linux_node *n, struct linux_node *dir,
		  const char *name);
/* Removes entry e, one name of a node that has others (e->same or
 * e->names set), leaving a whiteout where it covered a lower entry; the
 * node lives on under its other names. 0 or -errno (nothing changed). */
int linux_fs_unlink_name(struct linux_fs *fs, struct linux_node *e);
/* The node an entry names: itself, or a hard link's node. */
struct linux_node *linux_fs_named(struct linux_node *e);
/* A memory file's link count: 1 + its other names. */
unsigned linux_fs_nlink(const struct linux_node *n);

/* ---- linux_volume.c: --volume host directories, written in place ---- */

/* Mounts host directory fd (owned from here on) at absolute path `path`,
 * whose parent must be a directory of the tree; ro: nothing is written.
 * 0, or -1 with a one-line reason in err (fd closed). */
int linux_fs_mount_volume(struct linux_fs *fs, const char *path, int fd, bool ro, char *err,
			  size_t errlen);
/* The volume mounted on dir's entry `name`, or NULL. */
struct linux_volume *linux_fs_volume_at(struct linux_fs *fs, const struct linux_node *dir,
					const char *name, size_t len);
/* The host fd a host node's path is relative to: its volume's, or the --fs tree's. */
int linux_volume_base_fd(const struct linux_fs *fs, const struct linux_node *n);
/* Whether n lies in a volume mounted read-write. */
bool linux_volume_writable(const struct linux_fs *fs, const struct linux_node *n);
/* Whether n is the root of its volume (its host path is "."). */
bool linux_volume_is_root(const struct linux_fs *fs, const struct linux_node *n);
/* The calls that change a volume node, on the host, each one openat2
 * beneath the volume's fd (RESOLVE_BENEATH|NO_SYMLINKS|NO_MAGICLINKS|
 * NO_XDEV) and then the change relative to the fd it gave: 0 or -errno
 * (-EROFS for a read-only volume). */
int linux_volume_create(struct linux_fs *fs, struct linux_node *dir, const char *name,
			uint32_t mode, struct linux_node **out);
int linux_volume_unlink(struct linux_fs *fs, struct linux_node *dir, struct linux_node *n);
int linux_volume_rename(struct linux_fs *fs, struct linux_node *odir, const char *oname,
			struct linux_node *ndir, const char *nname, unsigned flags);
int linux_volume_symlink(struct linux_fs *fs, struct linux_node *dir, const char *name,
			 const char *target);
int linux_volume_truncate(struct linux_fs *fs, struct linux_node *n, uint64_t size);
int linux_volume_chmod(struct linux_fs *fs, struct linux_node *n, uint32_t mode);
/* A hard link `name` in dir to n, both in one volume (EXDEV otherwise;
 * EPERM for a directory). */
int linux_volume_link(struct linux_fs *fs, struct linux_node *n, struct linux_node *dir,
		      const char *name);
/* Sets the host mtime of a volume file or directory. */
int linux_volume_set_mtime(struct linux_fs *fs, struct linux_node *n, int64_t sec, uint32_t nsec);
/* Opens a volume file for writing (acc: O_WRONLY or O_RDWR); the fd or -errno. */
int linux_volume_open(struct linux_fs *fs, struct linux_node *n, unsigned acc);
/* Writes through host_fd (a linux_volume_open fd); bytes or -errno. */
long linux_volume_write(struct linux_node *n, int host_fd, uint64_t offset, const void *buf,
			uint64_t len);

/* ---- linux_sysfs.c: /sys ---- */

/* A generated, read-only file system's directory mounted at /name (the
 * mount table's next slot), or NULL. */
struct linux_node *linux_fs_fixed_mount(struct linux_fs *fs, const char *name);
/* Mounts the generated, read-only /sys (the first mount). 0 or -ENOMEM. */
int linux_sysfs_init(struct linux_fs *fs);
/* /sys/devices/system/cpu for the VM's vCPUs (0: one): online, possible,
 * cpu0..cpuN-1. 0 or -ENOMEM. */
int linux_sysfs_cpus(struct linux_fs *fs, unsigned cpus);

/* ---- linux_procfs.c: /proc ---- */

/* Mounts the generated, read-only /proc. 0 or -ENOMEM. */
int linux_procfs_init(struct linux_fs *fs);
/* linux_fs_child() for a /proc directory: the static entries, pids, fds. */
int linux_procfs_child(struct linux_fs *fs, struct linux_node *dir, const char *name, size_t len,
		       struct linux_node **out);
/* Following a /proc magic link (exe, cwd, root, fd/N) in a path walk: 0
 * with *out its object's node (never a host path), 1 when the object has
 * no node (a pipe, socket or stdio fd: opened as the link itself), or
 * -errno. */
int linux_procfs_follow(struct linux_fs *fs, struct linux_node *link, struct linux_node **out);
/* Whether a /proc node is a magic link (its target is an object, not text). */
bool linux_procfs_magic(const struct linux_node *n);

/* ---- linux_dev.c: /dev ---- */

/* A new node `name` whose parent is dir, not yet among dir's children:
 * the fixed entries of /dev, /sys and /proc. NULL: out of memory. */
struct linux_node *linux_fs_fixed_node(struct linux_fs *fs, struct linux_node *dir,
				       const char *name, uint32_t mode);

/* Fills the /dev directory. 0 or -ENOMEM. */
int linux_dev_init(struct linux_fs *fs, struct linux_node *dev);
/* A read or write of a /dev node: bytes or -errno. */
long linux_dev_read(const struct linux_node *n, void *dst, uint64_t len);
long linux_dev_write(const struct linux_node *n, uint64_t len);

/* ---- linux_hostfs.c: the --fs tree and volumes on the host ---- */

/* Opens dir's child `name` (dir itself when name is NULL) on the host,
 * beneath its tree's fd, with flags (O_NOFOLLOW, O_CLOEXEC added) and mode
 * for O_CREAT. The fd or -errno. */
int linux_hostfs_openat(struct linux_fs *fs, const struct linux_node *dir, const char *name,
			size_t len, uint64_t flags, uint64_t mode);

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
/* Fixes a merged lower directory's host path before it is renamed (its
 * lower entries are then found there whatever its name). 0 or -errno. */
int linux_hostfs_pin_origin(struct linux_fs *fs, struct linux_node *dir);
/* Frees a host node and its cached children. */
void linux_hostfs_free(struct linux_node *node);

#endif
