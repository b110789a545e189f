/* Linux-ABI calls that name or change files: rename, symlink, chmod, chown, utimensat, truncate, fallocate, statfs, memfd_create, xattrs, sync (flock: linux_lock.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "linux.h"

#define L_AT_FDCWD	      (-100)
#define L_AT_SYMLINK_NOFOLLOW 0x100
#define L_AT_SYMLINK_FOLLOW   0x400
#define L_AT_EMPTY_PATH	      0x1000
#define L_UTIME_NOW	      ((1L << 30) - 1)
#define L_UTIME_OMIT	      ((1L << 30) - 2)
#define L_MFD_CLOEXEC	      1u
#define L_MFD_ALLOW_SEALING   2u
#define L_TMPFS_MAGIC	      0x01021994
#define L_ROOTFS_MAGIC	      0x794c7630 /* overlayfs: what a container's root reports */
#define L_ST_RDONLY	      1
#define L_ST_NOSUID	      2
#define L_ST_NODEV	      4
#define L_ST_NOEXEC	      8

static const uint64_t at_cwd = (uint64_t)(int64_t)L_AT_FDCWD;

/* The node a path or an fd names, for calls that change its attributes. */
static long node_at(struct linux_proc *proc, uint64_t dirfd, uint64_t upath, uint64_t flags,
		    struct linux_node **node)
{
	long rc = linux_lookup_at(proc, dirfd, upath,
				  (flags & L_AT_SYMLINK_NOFOLLOW) ? 0 : LINUX_RESOLVE_FOLLOW,
				  flags & L_AT_EMPTY_PATH, node);
	return rc == -ENOTSUP ? -EPERM : rc; /* stdio: nothing of ours to change */
}

static long node_of_fd(struct linux_proc *proc, uint64_t fd, struct linux_node **node)
{
	struct linux_file *f = linux_fd_get(proc, fd);
	if (!f)
		return -EBADF;
	if (f->kind != LINUX_FILE_NODE)
		return -EPERM;
	*node = f->node;
	return 0;
}

/* Attribute changes reach /tmp and upper-layer nodes (a lower one is
 * copied up first); /dev and a tree without an upper layer are read-only. */
static long changeable(struct linux_proc *proc, struct linux_node *n)
{
	return linux_fs_copy_up(&proc->fs, n);
}

static long do_rename(struct linux_proc *proc, uint64_t odirfd, uint64_t opath, uint64_t ndirfd,
		      uint64_t npath, uint64_t flags)
{
	struct linux_node *odir = NULL, *ndir = NULL;
	char oname[256], nname[256];
	bool oexists, nexists;
	enum linux_last_kind okind, nkind;
	long rc =
	    linux_parent_at(proc, odirfd, opath, &odir, oname, sizeof(oname), &oexists, &okind);
	if (rc < 0)
		return rc;
	rc = linux_parent_at(proc, ndirfd, npath, &ndir, nname, sizeof(nname), &nexists, &nkind);
	if (rc < 0)
		return rc;
	if (okind != LAST_NAME || nkind != LAST_NAME)
		return -EBUSY; /* "." or "..": Linux refuses to rename them */
	if (!oexists)
		return -ENOENT;
	if (flags > 0xFFFFFFFFull)
		return -EINVAL;
	struct linux_node *src = linux_inotify_hold_entry(&proc->fs, odir, oname);
	struct linux_node *dst = linux_inotify_hold_entry(&proc->fs, ndir, nname);
	rc = linux_fs_rename(&proc->fs, odir, oname, ndir, nname, (unsigned)flags);
	linux_inotify_renamed(&proc->fs, odir, oname, ndir, nname, src, dst,
			      flags & LINUX_RENAME_EXCHANGE, rc);
	return linux_record_rename(proc, rc, odir, oname, ndir, nname);
}

long linux_sys_rename(struct linux_proc *proc, const uint64_t *a)
{
	return do_rename(proc, at_cwd, a[0], at_cwd, a[1], 0);
}

long linux_sys_renameat(struct linux_proc *proc, const uint64_t *a)
{
	return do_rename(proc, a[0], a[1], a[2], a[3], 0);
}

long linux_sys_renameat2(struct linux_proc *proc, const uint64_t *a)
{
	return do_rename(proc, a[0], a[1], a[2], a[3], a[4]);
}

static long do_symlink(struct linux_proc *proc, uint64_t utarget, uint64_t dirfd, uint64_t upath)
{
	char target[LINUX_PATH_MAX], last[256];
	long rc = linux_user_string(proc, utarget, target, sizeof(target));
	if (rc < 0)
		return rc;
	struct linux_node *parent;
	rc = linux_new_name_at(proc, dirfd, upath, &parent, last, sizeof(last));
	if (rc < 0)
		return rc;
	rc = linux_fs_symlink(&proc->fs, parent, last, target);
	if (rc == 0)
		linux_inotify_entry(&proc->fs, parent, LINUX_IN_CREATE, last, false, 0);
	return linux_record_name(proc, rc, parent, last, LINUX_RECORD_CREATE);
}

long linux_sys_symlink(struct linux_proc *proc, const uint64_t *a)
{
	return do_symlink(proc, a[0], at_cwd, a[1]);
}

long linux_sys_symlinkat(struct linux_proc *proc, const uint64_t *a)
{
	return do_symlink(proc, a[0], a[1], a[2]);
}

/* Hard links: made on the host within one volume, in memory within /tmp,
 * a --tmpfs or the upper layer (linux_fslink.c). */
static long do_link(struct linux_proc *proc, uint64_t odirfd, uint64_t opath, uint64_t ndirfd,
		    uint64_t npath, uint64_t flags)
{
	struct linux_node *node, *parent = NULL;
	if (flags & ~(uint64_t)(L_AT_SYMLINK_FOLLOW | L_AT_EMPTY_PATH))
		return -EINVAL;
	long rc = node_at(proc, odirfd, opath,
			  (flags & L_AT_SYMLINK_FOLLOW ? 0 : L_AT_SYMLINK_NOFOLLOW) |
			      (flags & L_AT_EMPTY_PATH),
			  &node);
	if (rc < 0)
		return rc;
	char last[256];
	rc = linux_new_name_at(proc, ndirfd, npath, &parent, last, sizeof(last));
	if (rc < 0)
		return rc;
	rc = linux_fs_link(&proc->fs, node, parent, last);
	if (rc == 0) { /* its link count, then its new name */
		linux_inotify_node(&proc->fs, node, LINUX_IN_ATTRIB);
		linux_inotify_entry(&proc->fs, parent, LINUX_IN_CREATE, last, false, 0);
	}
	return linux_record_name(proc, rc, parent, last, LINUX_RECORD_CREATE);
}

long linux_sys_link(struct linux_proc *proc, const uint64_t *a)
{
	return do_link(proc, at_cwd, a[0], at_cwd, a[1], 0);
}

long linux_sys_linkat(struct linux_proc *proc, const uint64_t *a)
{
	return do_link(proc, a[0], a[1], a[2], a[3], a[4]);
}

static long set_mode(struct linux_proc *proc, struct linux_node *n, uint64_t mode)
{
	long rc = n->vol ? linux_volume_chmod(&proc->fs, n, (uint32_t)mode) : changeable(proc, n);
	if (rc < 0)
		return rc;
	if (!n->vol)
		n->mode = (n->mode & S_IFMT) | ((uint32_t)mode & 07777);
	linux_inotify_node(&proc->fs, n, LINUX_IN_ATTRIB);
	return 0;
}

long linux_sys_chmod(struct linux_proc *proc, const uint64_t *a)
{
	struct linux_node *n;
	long rc = node_at(proc, at_cwd, a[0], 0, &n);
	return rc < 0 ? rc : set_mode(proc, n, a[1]);
}

long linux_sys_fchmod(struct linux_proc *proc, const uint64_t *a)
{
	struct linux_node *n;
	long rc = node_of_fd(proc, a[0], &n);
	return rc < 0 ? rc : set_mode(proc, n, a[1]);
}

static long do_fchmodat(struct linux_proc *proc, const uint64_t *a, uint64_t flags)
{
	struct linux_node *n;
	if (flags & ~(uint64_t)(L_AT_SYMLINK_NOFOLLOW | L_AT_EMPTY_PATH))
		return -EINVAL;
	long rc = node_at(proc, a[0], a[1], flags, &n);
	if (rc < 0)
		return rc;
	if (S_ISLNK(n->mode))
		return -EOPNOTSUPP; /* as Linux: a symlink's mode is fixed */
	return set_mode(proc, n, a[2]);
}

/* fchmodat(2) has no flags argument: a fourth register is whatever the
 * caller left there (glibc's chmod leaves garbage), never read. */
long linux_sys_fchmodat(struct linux_proc *proc, const uint64_t *a)
{
	return do_fchmodat(proc, a, 0);
}

long linux_sys_fchmodat2(struct linux_proc *proc, const uint64_t *a)
{
	return do_fchmodat(proc, a, a[3]);
}

/* The owner is the VM's view only: the host file stays the VM uid's. */
static long set_owner(struct linux_proc *proc, struct linux_node *n, uint64_t uid, uint64_t gid)
{
	long rc = changeable(proc, n);
	if (rc < 0)
		return rc;
	if ((uint32_t)uid != UINT32_MAX)
		n->uid = (uint32_t)uid;
	if ((uint32_t)gid != UINT32_MAX)
		n->gid = (uint32_t)gid;
	linux_inotify_node(&proc->fs, n, LINUX_IN_ATTRIB);
	return 0;
}

long linux_sys_chown(struct linux_proc *proc, const uint64_t *a)
{
	struct linux_node *n;
	long rc = node_at(proc, at_cwd, a[0], 0, &n);
	return rc < 0 ? rc : set_owner(proc, n, a[1], a[2]);
}

long linux_sys_lchown(struct linux_proc *proc, const uint64_t *a)
{
	struct linux_node *n;
	long rc = node_at(proc, at_cwd, a[0], L_AT_SYMLINK_NOFOLLOW, &n);
	return rc < 0 ? rc : set_owner(proc, n, a[1], a[2]);
}

long linux_sys_fchown(struct linux_proc *proc, const uint64_t *a)
{
	struct linux_node *n;
	long rc = node_of_fd(proc, a[0], &n);
	return rc < 0 ? rc : set_owner(proc, n, a[1], a[2]);
}

long linux_sys_fchownat(struct linux_proc *proc, const uint64_t *a)
{
	struct linux_node *n;
	if (a[4] & ~(uint64_t)(L_AT_SYMLINK_NOFOLLOW | L_AT_EMPTY_PATH))
		return -EINVAL;
	long rc = node_at(proc, a[0], a[1], a[4], &n);
	return rc < 0 ? rc : set_owner(proc, n, a[2], a[3]);
}

static long set_times(struct linux_proc *proc, struct linux_node *n, int64_t ts[4]);

long linux_sys_utimensat(struct linux_proc *proc, const uint64_t *a)
{
	struct linux_node *n;
	long rc;
	if (a[3] & ~(uint64_t)(L_AT_SYMLINK_NOFOLLOW | L_AT_EMPTY_PATH))
		return -EINVAL;
	/* path NULL: futimens(dirfd), as glibc calls it */
	rc = a[1] ? node_at(proc, a[0], a[1], a[3], &n) : node_of_fd(proc, a[0], &n);
	if (rc < 0)
		return rc;
	int64_t ts[4] = {0, L_UTIME_NOW, 0, L_UTIME_NOW}; /* atime, mtime: sec, nsec */
	if (a[2] && (rc = linux_copy_in(proc, ts, a[2], sizeof(ts))) < 0)
		return rc;
	return set_times(proc, n, ts);
}

/* futimesat(2): utimensat with struct timeval (microseconds); NULL times
 * is now, a path NULL the fd itself, as Linux's do_futimesat(). */
long linux_sys_futimesat(struct linux_proc *proc, const uint64_t *a)
{
	struct linux_node *n;
	long rc = a[1] ? node_at(proc, a[0], a[1], 0, &n) : node_of_fd(proc, a[0], &n);
	if (rc < 0)
		return rc;
	int64_t ts[4] = {0, L_UTIME_NOW, 0, L_UTIME_NOW};
	if (a[2]) {
		if ((rc = linux_copy_in(proc, ts, a[2], sizeof(ts))) < 0)
			return rc;
		for (unsigned i = 1; i < 4; i += 2) {
			if (ts[i] < 0 || ts[i] >= 1000000)
				return -EINVAL;
			ts[i] *= 1000;
		}
	}
	return set_times(proc, n, ts);
}

/* Sets n's times from ts (atime, mtime: sec, nsec or UTIME_NOW/OMIT). */
static long set_times(struct linux_proc *proc, struct linux_node *n, int64_t ts[4])
{
	long rc;
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	if (ts[1] == L_UTIME_OMIT && ts[3] == L_UTIME_OMIT)
		return 0; /* nothing to change: not even EROFS, as Linux */
	if (ts[3] == L_UTIME_NOW) {
		ts[2] = now.tv_sec;
		ts[3] = now.tv_nsec;
	} else if (ts[3] != L_UTIME_OMIT && (ts[3] < 0 || ts[3] > 999999999)) {
		return -EINVAL;
	}
	if ((rc = changeable(proc, n)) < 0)
		return rc;
	if (n->vol && ts[3] != L_UTIME_OMIT &&
	    (rc = linux_volume_set_mtime(&proc->fs, n, ts[2], (uint32_t)ts[3])) < 0)
		return rc; /* a volume's file keeps its times on the host (make reads them) */
	if (ts[3] != L_UTIME_OMIT) { /* only the mtime is kept */
		n->mtime_sec = ts[2];
		n->mtime_nsec = (uint32_t)ts[3];
	}
	linux_inotify_node(&proc->fs, n, LINUX_IN_ATTRIB);
	return 0;
}

long linux_sys_truncate(struct linux_proc *proc, const uint64_t *a)
{
	struct linux_node *n;
	long rc = node_at(proc, at_cwd, a[0], 0, &n);
	if (rc < 0)
		return rc;
	if (S_ISDIR(n->mode))
		return -EISDIR;
	if ((int64_t)a[1] < 0)
		return -EINVAL;
	rc = linux_fs_truncate(&proc->fs, n, a[1]); /* copies a lower file up */
	if (rc == 0)
		linux_inotify_node(&proc->fs, n, LINUX_IN_MODIFY);
	return rc;
}

long linux_sys_fallocate(struct linux_proc *proc, const uint64_t *a)
{
	struct linux_node *n;
	long rc = node_of_fd(proc, a[0], &n);
	uint64_t end;
	if (rc < 0)
		return rc == -EPERM ? -ESPIPE : rc;
	if (a[1] != 0)
		return -EOPNOTSUPP; /* only plain allocation: no punching, zeroing, collapsing */
	if ((int64_t)a[2] < 0 || (int64_t)a[3] <= 0 || __builtin_add_overflow(a[2], a[3], &end))
		return -EINVAL;
	if (!n->writable)
		return -EBADF; /* the tree is opened read-only */
	rc = end > n->size ? linux_fs_truncate(&proc->fs, n, end) : 0;
	if (rc == 0)
		linux_inotify_node(&proc->fs, n, LINUX_IN_MODIFY);
	return rc;
}

/* struct statfs (x86-64): 10 longs, fsid (2 ints), f_namelen, f_frsize, f_flags, spare[4]. */
static long put_statfs(struct linux_proc *proc, const struct linux_node *n, uint64_t ubuf)
{
	int64_t st[15] = {0};
	const struct linux_fs_pool *p = linux_fs_pool_of(&proc->fs, n);
	bool tmp = n->pool == LINUX_POOL_TMP || n->pool >= LINUX_POOL_MOUNT0; /* a tmpfs */
	uint64_t blocks = (p ? p->limit : 1ULL << 30) / 4096;
	uint64_t used = p ? (p->used + 4095) / 4096 : blocks;
	if (used > blocks)
		used = blocks;
	st[0] = tmp ? L_TMPFS_MAGIC : L_ROOTFS_MAGIC;
	st[1] = 4096;				  /* f_bsize */
	st[2] = (int64_t)blocks;		  /* f_blocks */
	st[3] = st[4] = (int64_t)(blocks - used); /* f_bfree, f_bavail */
	st[5] = (int64_t)blocks;		  /* f_files */
	st[6] = st[3];				  /* f_ffree */
	st[8] = LINUX_NAME_MAX;			  /* f_namelen (fsid stays 0) */
	st[9] = 4096;				  /* f_frsize */
	st[10] = tmp ? L_ST_NOSUID | L_ST_NODEV
		 : p ? L_ST_NOSUID | L_ST_NODEV | L_ST_NOEXEC /* the upper layer */
		     : L_ST_RDONLY | L_ST_NOSUID | L_ST_NODEV | L_ST_NOEXEC;
	return linux_copy_out(proc, ubuf, st, 120);
}

long linux_sys_statfs(struct linux_proc *proc, const uint64_t *a)
{
	struct linux_node *n;
	long rc = node_at(proc, at_cwd, a[0], 0, &n);
	return rc < 0 ? rc : put_statfs(proc, n, a[1]);
}

long linux_sys_fstatfs(struct linux_proc *proc, const uint64_t *a)
{
	struct linux_node *n;
	long rc = node_of_fd(proc, a[0], &n);
	if (rc == -EPERM)
		n = proc->fs.tmp; /* stdio: a pipe or terminal, report the memory fs */
	else if (rc < 0)
		return rc;
	return put_statfs(proc, n, a[1]);
}

/* An anonymous /tmp file: created and unlinked at once, so it lives as
 * long as its fd, within the /tmp limit. */
long linux_sys_memfd_create(struct linux_proc *proc, const uint64_t *a)
{
	char name[256], slot[64];
	static unsigned serial;
	long rc = linux_user_string(proc, a[0], name, 250);
	if (rc < 0)
		return rc == -ENAMETOOLONG ? -EINVAL : rc;
	if (a[1] & ~(uint64_t)(L_MFD_CLOEXEC | L_MFD_ALLOW_SEALING))
		return -EINVAL;
	snprintf(slot, sizeof(slot), ".memfd.%u", serial++);
	struct linux_node *n;
	if ((rc = linux_fs_create(&proc->fs, proc->fs.tmp, slot, S_IFREG | 0777, &n)) < 0)
		return rc;
	struct linux_file *f = calloc(1, sizeof(*f));
	int fd = -ENOMEM;
	if (f) {
		*f = (struct linux_file){
		    .kind = LINUX_FILE_NODE, .host_fd = -1, .node = n, .flags = 2 /* O_RDWR */};
		fd = linux_fd_alloc(proc, 0, f, a[1] & L_MFD_CLOEXEC);
		if (fd >= 0)
			linux_fs_get(&proc->fs, n); /* f->node */
		else
			free(f);
	}
	linux_fs_unlink(&proc->fs, proc->fs.tmp, slot, false);
	/* Out of /tmp now: named as Linux names it in fd/N and maps. */
	if (fd >= 0 && linux_fs_show_as(n, "memfd:", name))
		n->memfd = true;
	return fd;
}

/* Extended attributes: none are kept; reading finds none, setting is refused. */
static long xattr_path(struct linux_proc *proc, uint64_t upath, bool follow, long answer)
{
	struct linux_node *n;
	long rc = node_at(proc, at_cwd, upath, follow ? 0 : L_AT_SYMLINK_NOFOLLOW, &n);
	return rc < 0 ? rc : answer;
}

static long xattr_fd(struct linux_proc *proc, uint64_t fd, long answer)
{
	return linux_fd_get(proc, fd) ? answer : -EBADF;
}

long linux_sys_getxattr(struct linux_proc *proc, const uint64_t *a)
{
	return xattr_path(proc, a[0], true, -ENODATA);
}

long linux_sys_lgetxattr(struct linux_proc *proc, const uint64_t *a)
{
	return xattr_path(proc, a[0], false, -ENODATA);
}

long linux_sys_fgetxattr(struct linux_proc *proc, const uint64_t *a)
{
	return xattr_fd(proc, a[0], -ENODATA);
}

long linux_sys_listxattr(struct linux_proc *proc, const uint64_t *a)
{
	return xattr_path(proc, a[0], true, 0);
}

long linux_sys_llistxattr(struct linux_proc *proc, const uint64_t *a)
{
	return xattr_path(proc, a[0], false, 0);
}

long linux_sys_flistxattr(struct linux_proc *proc, const uint64_t *a)
{
	return xattr_fd(proc, a[0], 0);
}

long linux_sys_setxattr(struct linux_proc *proc, const uint64_t *a)
{
	return xattr_path(proc, a[0], true, -EOPNOTSUPP);
}

long linux_sys_lsetxattr(struct linux_proc *proc, const uint64_t *a)
{
	return xattr_path(proc, a[0], false, -EOPNOTSUPP);
}

long linux_sys_fsetxattr(struct linux_proc *proc, const uint64_t *a)
{
	return xattr_fd(proc, a[0], -EOPNOTSUPP);
}

long linux_sys_removexattr(struct linux_proc *proc, const uint64_t *a)
{
	return xattr_path(proc, a[0], true, -EOPNOTSUPP);
}

long linux_sys_lremovexattr(struct linux_proc *proc, const uint64_t *a)
{
	return xattr_path(proc, a[0], false, -EOPNOTSUPP);
}

long linux_sys_fremovexattr(struct linux_proc *proc, const uint64_t *a)
{
	return xattr_fd(proc, a[0], -EOPNOTSUPP);
}

/* Nothing is buffered: every write is already where the VM reads it. */
long linux_sys_fsync(struct linux_proc *proc, const uint64_t *a)
{
	return linux_fd_get(proc, a[0]) ? 0 : -EBADF;
}

long linux_sys_sync(struct linux_proc *proc, const uint64_t *a)
{
	return 0;
}
