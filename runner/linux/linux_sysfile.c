/* Linux-ABI file syscalls: read/write (stdio passed through), open, stat, dirs, cwd, ioctl. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "linux.h"
#include "linux_procfs.h"
#include "linux_pty.h"

#define L_AT_FDCWD	      (-100)
#define L_AT_SYMLINK_NOFOLLOW 0x100
#define L_AT_REMOVEDIR	      0x200
#define L_AT_EMPTY_PATH	      0x1000
#define L_IOV_MAX	      1024
#define L_TCGETS	      0x5401
#define L_TIOCGWINSZ	      0x5413
#define L_FIONREAD	      0x541B
#define L_FIONBIO	      0x5421

static bool is_tty(struct linux_proc *proc, const struct linux_file *f)
{
	if (f->kind == LINUX_FILE_STDIO && f->host_owned)
		return f->host_tty; /* `lockvm exec --tty`'s terminal */
	return f->kind == LINUX_FILE_STDIO && f->host_fd >= 0 && f->host_fd < 3 &&
	       (proc->cfg.tty_mask & (1u << f->host_fd));
}

static long host_io(struct linux_proc *proc, const struct linux_file *f, void *buf, uint64_t len,
		    bool write_it)
{
	for (;;) {
		ssize_t n = write_it ? write(f->host_fd, buf, len) : read(f->host_fd, buf, len);
		if (n >= 0)
			return n;
		if (errno == EINTR && !vm_is_ending(proc->vm))
			continue;
		return -errno;
	}
}

/* One read or write of host[0, len) at *offset (NULL: the file's own). */
static long io_once(struct linux_proc *proc, struct linux_file *f, uint8_t *host, uint64_t len,
		    const uint64_t *offset, bool write_it)
{
	if (f->kind == LINUX_FILE_STDIO || f->kind == LINUX_FILE_PIPE ||
	    f->kind == LINUX_FILE_EVENT || f->pty) {
		if (offset)
			return -ESPIPE;
		if (f->pty)
			return linux_pty_io(proc, f, host, len, write_it);
		if (f->kind == LINUX_FILE_PIPE)
			return linux_pipe_io(proc, f, host, len, write_it);
		if (f->kind == LINUX_FILE_EVENT)
			return f->ops->io(proc, f, host, len, write_it);
		return host_io(proc, f, host, len, write_it);
	}
	uint64_t off = offset ? *offset : f->offset;
	long n;
	if (!write_it && off == 0 && f->node->proc_kind &&
	    (n = linux_procfs_fill(proc, f->node)) < 0)
		return n; /* a /proc file shows what is true at each read from its start */
	if (write_it) {
		if ((f->flags & O_APPEND) && !offset)
			off = f->node->size;
		n = f->node->vol ? linux_volume_write(f->node, f->host_fd, off, host, len)
				 : linux_fs_write(&proc->fs, f->node, off, host, len);
	} else {
		n = linux_fs_pread(f->node, f->host_fd, host, len, off);
	}
	if (n > 0 && !offset)
		f->offset = off + (uint64_t)n;
	if (n > 0)
		linux_inotify_node(&proc->fs, f->node,
				   write_it ? LINUX_IN_MODIFY : LINUX_IN_ACCESS);
	return n;
}

long linux_file_io_host(struct linux_proc *proc, struct linux_file *f, void *host, uint64_t len,
			const uint64_t *offset, bool write_it)
{
	if (f->kind == LINUX_FILE_SOCKET)
		return offset ? -ESPIPE : linux_sock_rw_host(proc, f, host, len, write_it);
	if (f->kind == LINUX_FILE_NODE && !f->pty && S_ISDIR(f->node->mode))
		return -EISDIR;
	return io_once(proc, f, host, len, offset, write_it);
}

/* One read or write of [buf, +len): through a bounded VMM buffer, piece by
 * piece for files; one piece for pipes and stdio (a short transfer). */
static long do_io(struct linux_proc *proc, uint64_t fd, uint64_t buf, uint64_t len,
		  const uint64_t *offset, bool write_it)
{
	struct linux_file *f = linux_fd_get(proc, fd);
	if (!f)
		return -EBADF;
	unsigned acc = f->flags & O_ACCMODE;
	if ((write_it && acc == O_RDONLY) || (!write_it && acc == O_WRONLY))
		return -EBADF;
	if ((int64_t)len < 0)
		return -EFAULT; /* Linux: access_ok() of a range past the top fails first */
	if (len > LINUX_IO_MAX)
		len = LINUX_IO_MAX; /* a short transfer, as Linux allows */
	if (f->kind == LINUX_FILE_SOCKET)
		return offset ? -ESPIPE : linux_sock_rw(proc, f, buf, len, write_it);
	if (linux_user_access(proc, buf, len, !write_it) < 0)
		return -EFAULT; /* before any byte moves: none is lost */
	uint8_t *bounce = malloc(len < LINUX_BOUNCE ? (len ? len : 1) : LINUX_BOUNCE);
	if (!bounce)
		return -ENOMEM;
	uint64_t done = 0;
	long rc = 0;
	while (done < len || len == 0) {
		uint64_t n = len - done < LINUX_BOUNCE ? len - done : LINUX_BOUNCE;
		uint64_t off = offset ? *offset + done : 0;
		if (write_it && linux_copy_in(proc, bounce, buf + done, n) < 0) {
			rc = -EFAULT;
			break;
		}
		rc = io_once(proc, f, bounce, n, offset ? &off : NULL, write_it);
		if (rc > 0 && !write_it &&
		    linux_copy_out(proc, buf + done, bounce, (uint64_t)rc) < 0)
			rc = -EFAULT;
		if (rc <= 0)
			break;
		done += (uint64_t)rc;
		if ((uint64_t)rc < n || f->kind != LINUX_FILE_NODE || f->pty)
			break;
	}
	free(bounce);
	return done ? (long)done : rc;
}

long linux_sys_read(struct linux_proc *proc, const uint64_t *a)
{
	return do_io(proc, a[0], a[1], a[2], NULL, false);
}

long linux_sys_write(struct linux_proc *proc, const uint64_t *a)
{
	return do_io(proc, a[0], a[1], a[2], NULL, true);
}

/*
 * sendfile and copy_file_range: bytes of `in` (a regular file, read at
 * in_off, which the caller advances) written to `out` at *out_off (NULL:
 * its own offset), through one bounded VMM buffer. A write that must wait
 * after some bytes moved returns those (the call is not retried: the
 * bytes are not sent twice). Returns how many moved, or -errno.
 */
static long transfer(struct linux_proc *proc, struct linux_file *in, uint64_t in_off,
		     struct linux_file *out, uint64_t *out_off, uint64_t len)
{
	if (in->kind != LINUX_FILE_NODE || in->pty || !S_ISREG(in->node->mode) ||
	    out->kind == LINUX_FILE_SOCKET)
		return -EINVAL; /* from a file; into a file, pipe or stdio */
	if ((in->flags & O_ACCMODE) == O_WRONLY || (out->flags & O_ACCMODE) == O_RDONLY)
		return -EBADF;
	if (len > LINUX_IO_MAX)
		len = LINUX_IO_MAX;
	uint8_t *bounce = malloc(LINUX_BOUNCE);
	if (!bounce)
		return -ENOMEM;
	uint64_t done = 0;
	long rc = 0;
	while (done < len) {
		uint64_t n = len - done < LINUX_BOUNCE ? len - done : LINUX_BOUNCE;
		uint64_t read_at = in_off + done, write_at = out_off ? *out_off + done : 0;
		long got = io_once(proc, in, bounce, n, &read_at, false);
		if (got <= 0) {
			rc = got;
			break;
		}
		long put =
		    io_once(proc, out, bounce, (uint64_t)got, out_off ? &write_at : NULL, true);
		if (put <= 0) {
			if (done)
				proc->cur_blocked = false; /* returns what moved, not retried */
			rc = put;
			break;
		}
		done += (uint64_t)put;
		if (put < got)
			break;
	}
	free(bounce);
	return done ? (long)done : rc;
}

/* A user's loff_t: read (0 or -EFAULT), or NULL. */
static long user_offset(struct linux_proc *proc, uint64_t addr, uint64_t *value)
{
	if (!addr)
		return 0;
	if (linux_copy_in(proc, value, addr, sizeof(*value)) < 0)
		return -EFAULT;
	return (int64_t)*value < 0 ? -EINVAL : 0;
}

long linux_sys_sendfile(struct linux_proc *proc, const uint64_t *a)
{
	struct linux_file *out = linux_fd_get(proc, a[0]), *in = linux_fd_get(proc, a[1]);
	if (!out || !in)
		return -EBADF;
	uint64_t off = 0;
	long rc = user_offset(proc, a[2], &off);
	if (rc < 0)
		return rc;
	if (!a[2])
		off = in->offset;
	if ((out->flags & O_APPEND) && out->kind == LINUX_FILE_NODE)
		return -EINVAL; /* as Linux: no appending sendfile */
	rc = transfer(proc, in, off, out, NULL, a[3]);
	if (rc <= 0)
		return rc;
	off += (uint64_t)rc;
	if (!a[2])
		in->offset = off;
	else if (linux_copy_out(proc, a[2], &off, sizeof(off)) < 0)
		return -EFAULT;
	return rc;
}

long linux_sys_copy_file_range(struct linux_proc *proc, const uint64_t *a)
{
	struct linux_file *in = linux_fd_get(proc, a[0]), *out = linux_fd_get(proc, a[2]);
	if (!out || !in)
		return -EBADF;
	if (a[5] != 0)
		return -EINVAL; /* no flags are defined */
	if (out->kind != LINUX_FILE_NODE || out->pty || !S_ISREG(out->node->mode))
		return -EINVAL; /* between regular files only */
	if (out->flags & O_APPEND)
		return -EBADF;
	uint64_t in_off = 0, out_off = 0;
	long rc = user_offset(proc, a[1], &in_off);
	if (rc == 0)
		rc = user_offset(proc, a[3], &out_off);
	if (rc < 0)
		return rc;
	if (!a[1])
		in_off = in->offset;
	if (!a[3])
		out_off = out->offset;
	uint64_t len = a[4];
	if (in->node == out->node && in_off < out_off + len && out_off < in_off + len)
		return -EINVAL; /* overlapping ranges of one file */
	rc = transfer(proc, in, in_off, out, &out_off, len);
	if (rc <= 0)
		return rc;
	in_off += (uint64_t)rc;
	out_off += (uint64_t)rc;
	if (!a[1])
		in->offset = in_off;
	else if (linux_copy_out(proc, a[1], &in_off, sizeof(in_off)) < 0)
		return -EFAULT;
	if (!a[3])
		out->offset = out_off;
	else if (linux_copy_out(proc, a[3], &out_off, sizeof(out_off)) < 0)
		return -EFAULT;
	return rc;
}

long linux_sys_pread64(struct linux_proc *proc, const uint64_t *a)
{
	if ((int64_t)a[3] < 0)
		return -EINVAL;
	return do_io(proc, a[0], a[1], a[2], &a[3], false);
}

long linux_sys_pwrite64(struct linux_proc *proc, const uint64_t *a)
{
	if ((int64_t)a[3] < 0)
		return -EINVAL;
	return do_io(proc, a[0], a[1], a[2], &a[3], true);
}

static long do_iov(struct linux_proc *proc, const uint64_t *a, bool write_it)
{
	if (!linux_fd_get(proc, a[0]))
		return -EBADF;
	if (a[2] > L_IOV_MAX)
		return -EINVAL;
	uint8_t iov[L_IOV_MAX * 16];
	if (linux_copy_in(proc, iov, a[1], a[2] * 16) < 0)
		return -EFAULT;
	uint64_t total = 0;
	for (uint64_t i = 0; i < a[2]; i++) {
		uint64_t base, len;
		memcpy(&base, iov + 16 * i, 8);
		memcpy(&len, iov + 16 * i + 8, 8);
		if ((int64_t)len < 0)
			return -EINVAL;
		if (len == 0)
			continue;
		if (total + len > LINUX_IO_MAX)
			len = LINUX_IO_MAX - total;
		long n = do_io(proc, a[0], base, len, NULL, write_it);
		if (n < 0)
			return total ? (long)total : n;
		total += (uint64_t)n;
		if ((uint64_t)n < len || total >= LINUX_IO_MAX)
			break;
	}
	return (long)total;
}

long linux_sys_readv(struct linux_proc *proc, const uint64_t *a)
{
	return do_iov(proc, a, false);
}

long linux_sys_writev(struct linux_proc *proc, const uint64_t *a)
{
	return do_iov(proc, a, true);
}

long linux_sys_lseek(struct linux_proc *proc, const uint64_t *a)
{
	struct linux_file *f = linux_fd_get(proc, a[0]);
	if (!f)
		return -EBADF;
	if (f->kind != LINUX_FILE_NODE)
		return -ESPIPE;
	int64_t base;
	switch (a[2]) {
	case SEEK_SET: base = 0; break;
	case SEEK_CUR: base = (int64_t)f->offset; break;
	case SEEK_END: base = (int64_t)f->node->size; break;
	default: return -EINVAL;
	}
	int64_t pos;
	if (__builtin_add_overflow(base, (int64_t)a[1], &pos) || pos < 0)
		return -EINVAL;
	f->offset = (uint64_t)pos;
	return pos;
}

/* The directory a *at() call starts from, or an error. */
static long start_dir(struct linux_proc *proc, uint64_t dirfd, const char *path,
		      struct linux_node **dir)
{
	if (path[0] == '/' || (int)dirfd == L_AT_FDCWD) {
		*dir = proc->cwd;
		return 0;
	}
	struct linux_file *f = linux_fd_get(proc, dirfd);
	if (!f)
		return -EBADF;
	if (f->kind != LINUX_FILE_NODE || !S_ISDIR(f->node->mode))
		return -ENOTDIR;
	*dir = f->node;
	return 0;
}

/* Resolves (dirfd, path) to a node; path is copied from the program. */
long linux_lookup_at(struct linux_proc *proc, uint64_t dirfd, uint64_t upath, unsigned flags,
		     bool empty_ok, struct linux_node **node)
{
	char path[LINUX_PATH_MAX];
	long rc = linux_user_string(proc, upath, path, sizeof(path));
	if (rc < 0)
		return rc;
	if (path[0] == '\0') {
		if (!empty_ok)
			return -ENOENT;
		if ((int)dirfd == L_AT_FDCWD) {
			*node = proc->cwd;
			return 0;
		}
		struct linux_file *f = linux_fd_get(proc, dirfd);
		if (!f)
			return -EBADF;
		if (f->kind != LINUX_FILE_NODE)
			return -ENOTSUP; /* stdio: no node (fstat handles it) */
		*node = f->node;
		return 0;
	}
	struct linux_node *dir;
	if ((rc = start_dir(proc, dirfd, path, &dir)) < 0)
		return rc;
	return linux_fs_resolve(&proc->fs, dir, path, flags | LINUX_RESOLVE_RECORD, node, NULL,
				NULL, 0);
}

#define L_O_TMPFILE (020000000 | L_O_DIRECTORY)

/*
 * O_TMPFILE: an unnamed regular file in directory dir's file system (/tmp,
 * a --tmpfs, the root's upper layer), made under a hidden name and
 * unlinked before the call returns; linkat(fd, "", ..., AT_EMPTY_PATH)
 * may name it unless O_EXCL. A volume's directory: EOPNOTSUPP (a host
 * file would be made), a read-only one EROFS.
 */
static long open_tmpfile(struct linux_proc *proc, struct linux_node *dir, uint64_t flags,
			 uint64_t mode)
{
	unsigned acc = (unsigned)flags & O_ACCMODE;
	if (acc == O_RDONLY)
		return -EINVAL; /* as Linux: O_WRONLY or O_RDWR */
	if (!S_ISDIR(dir->mode))
		return -ENOTDIR;
	if (dir->vol || dir->proc_kind || dir->dev_kind || dir == proc->fs.dev)
		return -EOPNOTSUPP;
	char name[40];
	snprintf(name, sizeof(name), ".lockvm-tmpfile-%llu", (unsigned long long)proc->fs.next_ino);
	struct linux_node *node;
	long rc = linux_fs_create(&proc->fs, dir, name, S_IFREG | ((unsigned)mode & 07777), &node);
	if (rc < 0)
		return rc;
	/* Filled before linux_fd_alloc counts the slot's reference: filled
	 * after, the count was lost, and a forked child's close freed the
	 * file under the parent's fd. */
	struct linux_file *f = calloc(1, sizeof(*f));
	int fd = -ENOMEM;
	if (f) {
		*f = (struct linux_file){.kind = LINUX_FILE_NODE,
					 .host_fd = -1,
					 .node = node,
					 .flags =
					     acc | (unsigned)(flags & (L_O_APPEND | L_O_NONBLOCK))};
		fd = linux_fd_alloc(proc, 0, f, flags & L_O_CLOEXEC);
	}
	if (fd >= 0) {
		linux_fs_get(&proc->fs, node); /* f->node */
		node->linkable = !(flags & L_O_EXCL);
	} else {
		free(f);
	}
	(void)linux_fs_unlink(&proc->fs, dir, name, false); /* it never shows in a listing */
	/* Unlinked: named "#INODE" as Linux shows it ("/tmp/#12 (deleted)"). */
	char ino[24];
	snprintf(ino, sizeof(ino), "%llu", (unsigned long long)node->ino);
	if (fd >= 0)
		linux_fs_show_as(node, "#", ino);
	return fd;
}

/* open(2) and kin; resolve: openat2's LINUX_RESOLVE_* for the walk (0: none). */
static long do_open(struct linux_proc *proc, uint64_t dirfd, uint64_t upath, uint64_t flags,
		    uint64_t mode, unsigned resolve)
{
	char path[LINUX_PATH_MAX], last[256];
	long rc = linux_user_string(proc, upath, path, sizeof(path));
	if (rc < 0)
		return rc;
	struct linux_node *dir, *node = NULL, *parent = NULL;
	/* A scoped walk starts at dirfd even for an absolute path (its "/"). */
	bool scoped = resolve & (LINUX_RESOLVE_BENEATH | LINUX_RESOLVE_IN_ROOT);
	if ((rc = start_dir(proc, dirfd, scoped ? "." : path, &dir)) < 0)
		return rc;
	unsigned acc = (unsigned)flags & O_ACCMODE;
	if (acc == 3)
		return -EINVAL;
	/* --record: an O_CREAT open's missing last name is made (created), not absent. */
	rc = linux_fs_resolve(&proc->fs, dir, path,
			      resolve | ((flags & L_O_NOFOLLOW) ? 0 : LINUX_RESOLVE_FOLLOW) |
				  LINUX_RESOLVE_RECORD |
				  ((flags & L_O_CREAT) ? LINUX_RESOLVE_MAKES : 0),
			      &node, &parent, last, sizeof(last));
	if ((flags & L_O_TMPFILE) == L_O_TMPFILE)
		return rc < 0 ? rc : open_tmpfile(proc, node, flags, mode);
	if (flags & 020000000)
		return -EINVAL; /* __O_TMPFILE without O_DIRECTORY, as Linux */
	/* A volume file this open makes is the host's: the open that creates
	 * it gets the access it asks for whatever the mode, as on Linux (git
	 * makes objects 0444 and writes them), so it is made owner-readable
	 * and -writable and gets its mode once opened. */
	uint32_t create_mode = (unsigned)mode & 0777;
	bool chmod_after = false, created = false;
	if ((flags & L_O_CREAT) && path[0] && path[strlen(path) - 1] == '/') {
		/* As Linux: O_CREAT of "name/" is EISDIR once the walk reaches
		 * name's directory (a directory open never makes); a file
		 * "name" made the walk ENOTDIR at name itself, so walk again
		 * without the slash to tell that from a file on the way. */
		if (rc == -ENOTDIR) {
			size_t n = strlen(path);
			while (n > 1 && path[n - 1] == '/')
				path[--n] = '\0';
			rc = linux_fs_resolve(&proc->fs, dir, path, resolve, &node, &parent, last,
					      sizeof(last));
		}
		if (rc == 0 || (rc == -ENOENT && parent))
			return -EISDIR;
		return rc;
	}
	if (rc == -ENOENT && (flags & L_O_CREAT) && parent) {
		created = true;
		chmod_after = parent->vol && (create_mode & 0600) != 0600;
		rc = linux_fs_create(&proc->fs, parent, last,
				     S_IFREG | create_mode | (chmod_after ? 0600 : 0), &node);
		if (rc < 0)
			return rc;
	} else if (rc < 0) {
		return rc;
	} else if ((flags & L_O_CREAT) && (flags & L_O_EXCL)) {
		return -EEXIST;
	}
	if (node->proc_kind == PROC_PID_FD && S_ISLNK(node->mode) && !(flags & L_O_PATH))
		return linux_procfs_open_fd(proc, node, flags); /* fd/N of a pipe, socket, stdio */
	if (S_ISLNK(node->mode) && !(flags & L_O_PATH))
		return -ELOOP;
	if (S_ISSOCK(node->mode) && !(flags & L_O_PATH))
		return -ENXIO; /* a bound socket's node: connect() to it, never open() */
	if ((node->dev_kind == LINUX_DEV_FD || node->dev_kind == LINUX_DEV_TTY) &&
	    !(flags & L_O_PATH))
		return linux_dev_open(proc, node, flags);
	if ((node->dev_kind == LINUX_DEV_PTMX || node->dev_kind == LINUX_DEV_PTS) &&
	    !(flags & L_O_PATH))
		return linux_pty_open(proc, node, flags);
	if ((flags & L_O_DIRECTORY) && !S_ISDIR(node->mode))
		return -ENOTDIR;
	if (S_ISFIFO(node->mode) && node->writable && !(flags & L_O_PATH))
		return linux_fifo_open(proc, node, flags); /* mkfifo's, in the VM's memory */
	if (acc != O_RDONLY && S_ISDIR(node->mode))
		return -EISDIR;
	/* A write-open copies a lower file up first: the host tree is never written. */
	if ((acc != O_RDONLY || (flags & L_O_TRUNC)) && !node->dev_kind &&
	    (rc = linux_fs_copy_up(&proc->fs, node)) < 0)
		return rc;
	if ((flags & L_O_TRUNC) && acc != O_RDONLY && S_ISREG(node->mode) &&
	    (rc = linux_fs_truncate(&proc->fs, node, 0)) < 0)
		return rc;
	if (node->proc_kind && !(flags & L_O_PATH) && (rc = linux_procfs_fill(proc, node)) < 0)
		return rc; /* its process is gone, or attr/current: EINVAL */
	/* A host file is opened on the host now (O_PATH: never); a volume's
	 * for writing when the guest writes it. */
	int host_fd = -1;
	if (node->vol && acc != O_RDONLY)
		host_fd = linux_volume_open(&proc->fs, node, acc);
	else if (node->host && !(flags & L_O_PATH))
		host_fd = linux_hostfs_open(&proc->fs, node);
	if (host_fd < -1)
		return host_fd;
	if (chmod_after && (rc = linux_volume_chmod(&proc->fs, node, create_mode)) < 0) {
		if (host_fd >= 0)
			close(host_fd);
		return rc;
	}
	struct linux_file *f = calloc(1, sizeof(*f));
	if (!f) {
		if (host_fd >= 0)
			close(host_fd);
		return -ENOMEM;
	}
	*f = (struct linux_file){.kind = LINUX_FILE_NODE,
				 .host_fd = host_fd,
				 .node = node,
				 .flags = acc | (unsigned)(flags & (L_O_APPEND | L_O_NONBLOCK))};
	int fd = linux_fd_alloc(proc, 0, f, flags & L_O_CLOEXEC);
	if (fd < 0) {
		if (host_fd >= 0)
			close(host_fd);
		free(f);
		return fd;
	}
	linux_fs_get(&proc->fs, node); /* f->node */
	linux_record_open(proc, node, (unsigned)flags, created, host_fd);
	if (created)
		linux_inotify_entry(&proc->fs, parent, LINUX_IN_CREATE, last, false, 0);
	else if ((flags & L_O_TRUNC) && acc != O_RDONLY && S_ISREG(node->mode))
		linux_inotify_node(&proc->fs, node, LINUX_IN_MODIFY);
	if (!(flags & L_O_PATH))
		linux_inotify_node(&proc->fs, node, LINUX_IN_OPEN);
	return fd;
}

long linux_sys_openat(struct linux_proc *proc, const uint64_t *a)
{
	return do_open(proc, a[0], a[1], a[2], a[3], 0);
}

long linux_sys_open(struct linux_proc *proc, const uint64_t *a)
{
	return do_open(proc, (uint64_t)(int64_t)L_AT_FDCWD, a[0], a[1], a[2], 0);
}

/* struct open_how (openat2): its first version's size, and the page
 * Linux reads at most (copy_struct_from_user: a larger struct must be
 * zero past the fields it knows). */
#define OPEN_HOW_SIZE_VER0	24u
#define OPEN_HOW_SIZE_MAX	4096u
#define L_RESOLVE_NO_XDEV	0x01u
#define L_RESOLVE_NO_MAGICLINKS 0x02u
#define L_RESOLVE_NO_SYMLINKS	0x04u
#define L_RESOLVE_BENEATH	0x08u
#define L_RESOLVE_IN_ROOT	0x10u
#define L_RESOLVE_CACHED	0x20u
/* Linux's VALID_OPEN_FLAGS: access, CREAT..NOFOLLOW, NOATIME, CLOEXEC, PATH, TMPFILE */
#define L_VALID_OPEN_FLAGS 037777703u
#define L_O_TMPFILE_BITS   020000000u
/* With O_PATH only these (Linux's O_PATH_FLAGS). */
#define L_O_PATH_FLAGS (L_O_DIRECTORY | L_O_NOFOLLOW | L_O_PATH | L_O_CLOEXEC)

int linux_open_how_parse(const uint8_t *buf, size_t size, struct linux_open_how *how)
{
	if (size < OPEN_HOW_SIZE_VER0)
		return -EINVAL;
	if (size > OPEN_HOW_SIZE_MAX)
		return -E2BIG;
	for (size_t i = OPEN_HOW_SIZE_VER0; i < size; i++)
		if (buf[i])
			return -E2BIG; /* a field this kernel does not know */
	memcpy(&how->flags, buf, 8);
	memcpy(&how->mode, buf + 8, 8);
	memcpy(&how->resolve, buf + 16, 8);
	if (how->flags & ~(uint64_t)L_VALID_OPEN_FLAGS)
		return -EINVAL;
	if ((how->flags & O_ACCMODE) == 3)
		return -EINVAL;
	bool makes = how->flags & (L_O_CREAT | L_O_TMPFILE_BITS);
	if (makes ? how->mode & ~(uint64_t)07777 : how->mode != 0)
		return -EINVAL; /* a mode only where a file is made */
	if ((how->flags & L_O_PATH) && (how->flags & ~(uint64_t)L_O_PATH_FLAGS))
		return -EINVAL;
	if (how->resolve &
	    ~(uint64_t)(L_RESOLVE_NO_XDEV | L_RESOLVE_NO_MAGICLINKS | L_RESOLVE_NO_SYMLINKS |
			L_RESOLVE_BENEATH | L_RESOLVE_IN_ROOT | L_RESOLVE_CACHED))
		return -EINVAL;
	if ((how->resolve & L_RESOLVE_BENEATH) && (how->resolve & L_RESOLVE_IN_ROOT))
		return -EINVAL;
	if ((how->resolve & L_RESOLVE_CACHED) && (how->flags & (L_O_CREAT | L_O_TRUNC)))
		return -EAGAIN; /* as Linux: a cached lookup cannot make or truncate */
	return 0;
}

/* openat2(2): openat with struct open_how; the RESOLVE_* flags are the
 * VM's own walk's (linux_fs_resolve), RESOLVE_CACHED a plain lookup. */
long linux_sys_openat2(struct linux_proc *proc, const uint64_t *a)
{
	if (a[3] < OPEN_HOW_SIZE_VER0)
		return -EINVAL;
	if (a[3] > OPEN_HOW_SIZE_MAX)
		return -E2BIG;
	uint8_t buf[OPEN_HOW_SIZE_MAX];
	if (linux_copy_in(proc, buf, a[2], a[3]) < 0)
		return -EFAULT;
	struct linux_open_how how;
	int rc = linux_open_how_parse(buf, a[3], &how);
	if (rc < 0)
		return rc;
	unsigned resolve = 0;
	resolve |= how.resolve & L_RESOLVE_NO_XDEV ? LINUX_RESOLVE_NO_XDEV : 0;
	resolve |= how.resolve & L_RESOLVE_NO_MAGICLINKS ? LINUX_RESOLVE_NO_MAGIC : 0;
	resolve |= how.resolve & L_RESOLVE_NO_SYMLINKS ? LINUX_RESOLVE_NO_SYMLINKS : 0;
	resolve |= how.resolve & L_RESOLVE_BENEATH ? LINUX_RESOLVE_BENEATH : 0;
	resolve |= how.resolve & L_RESOLVE_IN_ROOT ? LINUX_RESOLVE_IN_ROOT : 0;
	return do_open(proc, a[0], a[1], how.flags, how.mode, resolve);
}

/* creat(2): open(path, O_CREAT|O_WRONLY|O_TRUNC, mode) (GNU tar's -f FILE uses it). */
long linux_sys_creat(struct linux_proc *proc, const uint64_t *a)
{
	return do_open(proc, (uint64_t)(int64_t)L_AT_FDCWD, a[0], L_O_CREAT | O_WRONLY | L_O_TRUNC,
		       a[1], 0);
}

uint64_t linux_fs_dev(const struct linux_node *n)
{
	/* one device per memory file system; the root's is the tree's (copy-up keeps it) */
	/* and one per volume */
	return n->vol			     ? 32 + (uint64_t)n->vol
	       : n->pool == LINUX_POOL_UPPER ? 1
					     : 1 + (uint64_t)n->pool;
}

/* Attributes of a node or of a stdio fd (node NULL). */
struct attrs {
	uint64_t dev, ino, size, nlink, rdev;
	uint32_t mode, uid, gid;
	int64_t sec;
	uint32_t nsec;
};

static struct attrs node_attrs(struct linux_proc *proc, const struct linux_node *n,
			       const struct linux_file *f)
{
	if (!n) {
		bool tty = f && is_tty(proc, f);
		return (struct attrs){.dev = 3,
				      .ino = f ? (uint64_t)f->host_fd + 1 : 1,
				      .nlink = 1,
				      .mode = tty				  ? S_IFCHR | 0620
					      : f && f->kind == LINUX_FILE_SOCKET ? S_IFSOCK | 0777
					      : f && f->kind == LINUX_FILE_EVENT
						  ? 0600 /* anon inode */
						  : S_IFIFO | 0600,
				      .rdev = tty ? makedev(136, 0) : 0};
	}
	return (struct attrs){.dev = linux_fs_dev(n),
			      .ino = n->ino,
			      .size = n->size,
			      .nlink = S_ISDIR(n->mode)	     ? 2
				       : n->host && n->nlink ? n->nlink
							     : linux_fs_nlink(n),
			      .mode = n->mode,
			      .rdev = n->rdev,
			      .uid = n->uid,
			      .gid = n->gid,
			      .sec = n->mtime_sec,
			      .nsec = n->mtime_nsec};
}

/* A volume's entries change under the VM (other names of one inode, the
 * host): stat asks the host again, by the path the node still has. */
static void refresh(struct linux_proc *proc, struct linux_node *n)
{
	if (n && n->vol && !n->unlinked)
		(void)linux_hostfs_stat(&proc->fs, n);
}

static long put_stat(struct linux_proc *proc, uint64_t ubuf, const struct attrs *at)
{
	struct stat buf, *st = &buf;
	memset(st, 0, sizeof(*st));
	st->st_dev = at->dev;
	st->st_ino = at->ino;
	st->st_nlink = at->nlink;
	st->st_mode = at->mode;
	st->st_uid = at->uid;
	st->st_gid = at->gid;
	st->st_rdev = at->rdev;
	st->st_size = (off_t)at->size;
	st->st_blksize = 4096;
	st->st_blocks = (blkcnt_t)((at->size + 511) / 512);
	st->st_atim.tv_sec = st->st_mtim.tv_sec = st->st_ctim.tv_sec = at->sec;
	st->st_atim.tv_nsec = st->st_mtim.tv_nsec = st->st_ctim.tv_nsec = at->nsec;
	return linux_copy_out(proc, ubuf, st, sizeof(*st));
}

/* (dirfd, path, flags) to attributes: node or a stdio fd by AT_EMPTY_PATH. */
static long attrs_at(struct linux_proc *proc, uint64_t dirfd, uint64_t upath, uint64_t flags,
		     struct attrs *at)
{
	struct linux_node *node;
	long rc = linux_lookup_at(proc, dirfd, upath,
				  (flags & L_AT_SYMLINK_NOFOLLOW) ? 0 : LINUX_RESOLVE_FOLLOW,
				  flags & L_AT_EMPTY_PATH, &node);
	if (rc == -ENOTSUP) {
		*at = node_attrs(proc, NULL, linux_fd_get(proc, dirfd));
		return 0;
	}
	if (rc < 0)
		return rc;
	if (!(flags & L_AT_EMPTY_PATH)) /* a path looked at; not fstat's open file */
		linux_record_node(proc, node, LINUX_RECORD_STAT);
	refresh(proc, node);
	*at = node_attrs(proc, node, NULL);
	return 0;
}

long linux_sys_fstat(struct linux_proc *proc, const uint64_t *a)
{
	struct linux_file *f = linux_fd_get(proc, a[0]);
	if (!f)
		return -EBADF;
	refresh(proc, f->kind == LINUX_FILE_NODE ? f->node : NULL);
	struct attrs at = node_attrs(proc, f->kind == LINUX_FILE_NODE ? f->node : NULL, f);
	return put_stat(proc, a[1], &at);
}

long linux_sys_newfstatat(struct linux_proc *proc, const uint64_t *a)
{
	struct attrs at;
	if (a[3] & ~(uint64_t)(L_AT_SYMLINK_NOFOLLOW | L_AT_EMPTY_PATH | 0x800 /* NO_AUTOMOUNT */))
		return -EINVAL;
	long rc = attrs_at(proc, a[0], a[1], a[3], &at);
	return rc < 0 ? rc : put_stat(proc, a[2], &at);
}

long linux_sys_stat(struct linux_proc *proc, const uint64_t *a)
{
	struct attrs at;
	long rc = attrs_at(proc, (uint64_t)(int64_t)L_AT_FDCWD, a[0], 0, &at);
	return rc < 0 ? rc : put_stat(proc, a[1], &at);
}

long linux_sys_lstat(struct linux_proc *proc, const uint64_t *a)
{
	struct attrs at;
	long rc = attrs_at(proc, (uint64_t)(int64_t)L_AT_FDCWD, a[0], L_AT_SYMLINK_NOFOLLOW, &at);
	return rc < 0 ? rc : put_stat(proc, a[1], &at);
}

long linux_sys_statx(struct linux_proc *proc, const uint64_t *a)
{
	struct attrs at;
	long rc = attrs_at(proc, a[0], a[1], a[2], &at);
	if (rc < 0)
		return rc;
	struct statx buf, *sx = &buf;
	memset(sx, 0, sizeof(*sx));
	/* Every field we know: the basic ones, birth (our mtime) and the mount. */
	sx->stx_mask = STATX_BASIC_STATS | STATX_BTIME | STATX_MNT_ID;
	sx->stx_uid = at.uid;
	sx->stx_gid = at.gid;
	sx->stx_btime.tv_sec = at.sec;
	sx->stx_btime.tv_nsec = at.nsec;
	sx->stx_mnt_id = at.dev;
	sx->stx_blksize = 4096;
	sx->stx_nlink = (uint32_t)at.nlink;
	sx->stx_mode = (uint16_t)at.mode;
	sx->stx_ino = at.ino;
	sx->stx_size = at.size;
	sx->stx_blocks = (at.size + 511) / 512;
	sx->stx_atime.tv_sec = sx->stx_mtime.tv_sec = sx->stx_ctime.tv_sec = at.sec;
	sx->stx_atime.tv_nsec = sx->stx_mtime.tv_nsec = sx->stx_ctime.tv_nsec = at.nsec;
	sx->stx_rdev_major = major(at.rdev);
	sx->stx_rdev_minor = minor(at.rdev);
	sx->stx_dev_minor = (uint32_t)at.dev;
	return linux_copy_out(proc, a[4], sx, sizeof(*sx));
}

static unsigned char dirent_type(uint32_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFDIR: return 4;
	case S_IFREG: return 8;
	case S_IFLNK: return 10;
	default: return 0;
	}
}

long linux_sys_getdents64(struct linux_proc *proc, const uint64_t *a)
{
	struct linux_file *f = linux_fd_get(proc, a[0]);
	if (!f)
		return -EBADF;
	if (f->kind != LINUX_FILE_NODE || !S_ISDIR(f->node->mode))
		return -ENOTDIR;
	if (f->node->unlinked)
		return -ENOENT; /* Linux: a removed directory is not iterated */
	long listed = f->node->host ? linux_hostfs_list(&proc->fs, f->node) : 0;
	if (f->node->proc_kind)
		linux_procfs_list(proc, f->node); /* pids, fds: as they are now */
	if (listed < 0)
		return listed;
	/* Built in a bounded VMM buffer, then copied out: a short listing. */
	uint64_t count = a[2] > LINUX_BOUNCE ? LINUX_BOUNCE : a[2];
	if (linux_user_access(proc, a[1], count, true) < 0)
		return -EFAULT;
	uint8_t *out = malloc(count ? count : 1);
	if (!out)
		return -ENOMEM;
	uint64_t used = 0, pos = f->offset;
	bool too_small = false;
	const char *name;
	size_t len;
	struct linux_node *n, *cursor = NULL;
	while (linux_fs_dirent_next(&proc->fs, f->node, &pos, &name, &len, &n, &cursor)) {
		uint64_t reclen = (19 + len + 1 + 7) & ~7ULL;
		if (used + reclen > count) {
			too_small = used == 0;
			break;
		}
		uint8_t *rec = out + used;
		uint64_t ino = n->ino;
		int64_t next = (int64_t)pos;
		uint16_t rl = (uint16_t)reclen;
		memset(rec, 0, reclen);
		memcpy(rec, &ino, 8);
		memcpy(rec + 8, &next, 8);
		memcpy(rec + 16, &rl, 2);
		rec[18] = dirent_type(n->mode);
		memcpy(rec + 19, name, len);
		used += reclen;
		f->offset = pos;
	}
	long rc = linux_copy_out(proc, a[1], out, used);
	free(out);
	if (rc < 0)
		return rc;
	linux_inotify_node(&proc->fs, f->node, LINUX_IN_ACCESS); /* each listing call, as Linux */
	return too_small ? -EINVAL : (long)used; /* EINVAL: the next entry does not fit */
}

static long do_readlink(struct linux_proc *proc, uint64_t dirfd, uint64_t upath, uint64_t ubuf,
			uint64_t size)
{
	if ((int64_t)size <= 0)
		return -EINVAL;
	struct linux_node *node;
	long rc = linux_lookup_at(proc, dirfd, upath, 0, false, &node);
	if (rc < 0)
		return rc;
	linux_record_node(proc, node, LINUX_RECORD_STAT);
	if (!S_ISLNK(node->mode) || !node->link)
		return -EINVAL;
	uint64_t n = node->size < size ? node->size : size;
	if (linux_copy_out(proc, ubuf, node->link, n) < 0)
		return -EFAULT;
	return (long)n;
}

long linux_sys_readlinkat(struct linux_proc *proc, const uint64_t *a)
{
	return do_readlink(proc, a[0], a[1], a[2], a[3]);
}

long linux_sys_readlink(struct linux_proc *proc, const uint64_t *a)
{
	return do_readlink(proc, (uint64_t)(int64_t)L_AT_FDCWD, a[0], a[1], a[2]);
}

static long do_access(struct linux_proc *proc, uint64_t dirfd, uint64_t upath, uint64_t mode,
		      uint64_t flags)
{
	if (mode & ~7ULL)
		return -EINVAL;
	struct linux_node *node;
	long rc = linux_lookup_at(proc, dirfd, upath,
				  (flags & L_AT_SYMLINK_NOFOLLOW) ? 0 : LINUX_RESOLVE_FOLLOW,
				  flags & L_AT_EMPTY_PATH, &node);
	if (rc < 0)
		return rc;
	if (!(flags & L_AT_EMPTY_PATH)) /* a path looked at; not an open file */
		linux_record_node(proc, node, LINUX_RECORD_STAT);
	if ((mode & 2) && !node->writable && !linux_fs_pool_of(&proc->fs, node) &&
	    !linux_volume_writable(&proc->fs, node))
		return -EROFS;
	if ((mode & 1) && !(node->mode & 0111))
		return -EACCES;
	return 0;
}

long linux_sys_faccessat(struct linux_proc *proc, const uint64_t *a)
{
	return do_access(proc, a[0], a[1], a[2], 0);
}

long linux_sys_faccessat2(struct linux_proc *proc, const uint64_t *a)
{
	return do_access(proc, a[0], a[1], a[2], a[3]);
}

long linux_sys_access(struct linux_proc *proc, const uint64_t *a)
{
	return do_access(proc, (uint64_t)(int64_t)L_AT_FDCWD, a[0], a[1], 0);
}

long linux_sys_getcwd(struct linux_proc *proc, const uint64_t *a)
{
	char path[LINUX_PATH_MAX];
	size_t pos = sizeof(path) - 1;
	path[pos] = '\0';
	for (struct linux_node *n = proc->cwd; n != proc->fs.root; n = n->parent) {
		if (n->unlinked)
			return -ENOENT; /* Linux: the cwd (or a directory above it) was removed */
		if (pos < n->name_len + 1)
			return -ENAMETOOLONG;
		pos -= n->name_len;
		memcpy(path + pos, n->name, n->name_len);
		path[--pos] = '/';
	}
	if (pos == sizeof(path) - 1)
		path[--pos] = '/';
	uint64_t len = sizeof(path) - pos;
	if (a[1] < len)
		return -ERANGE;
	if (linux_copy_out(proc, a[0], path + pos, len) < 0)
		return -EFAULT;
	return (long)len;
}

/* The cwd holds a reference on its node, as an open file does. */
static long set_cwd(struct linux_proc *proc, struct linux_node *node)
{
	if (!S_ISDIR(node->mode))
		return -ENOTDIR;
	linux_fs_get(&proc->fs, node);
	if (proc->cwd)
		linux_fs_put(&proc->fs, proc->cwd);
	proc->cwd = node;
	return 0;
}

void linux_cwd_release(struct linux_proc *proc)
{
	if (proc->cwd)
		linux_fs_put(&proc->fs, proc->cwd);
	proc->cwd = NULL;
}

long linux_sys_chdir(struct linux_proc *proc, const uint64_t *a)
{
	struct linux_node *node;
	long rc = linux_lookup_at(proc, (uint64_t)(int64_t)L_AT_FDCWD, a[0], LINUX_RESOLVE_FOLLOW,
				  false, &node);
	return rc < 0 ? rc : set_cwd(proc, node);
}

long linux_sys_fchdir(struct linux_proc *proc, const uint64_t *a)
{
	struct linux_file *f = linux_fd_get(proc, a[0]);
	if (!f)
		return -EBADF;
	if (f->kind != LINUX_FILE_NODE)
		return -ENOTDIR;
	return set_cwd(proc, f->node);
}

long linux_sys_ioctl(struct linux_proc *proc, const uint64_t *a)
{
	struct linux_file *f = linux_fd_get(proc, a[0]);
	if (!f)
		return -EBADF;
	if (a[1] == L_FIONREAD && f->kind == LINUX_FILE_PIPE) {
		const int32_t n = (int32_t)linux_pipe_unread(f);
		return linux_copy_out(proc, a[2], &n, sizeof(n));
	}
	if (a[1] == L_FIONREAD && f->kind == LINUX_FILE_EVENT && linux_inotify_unread(f) >= 0) {
		const int32_t n = (int32_t)linux_inotify_unread(f);
		return linux_copy_out(proc, a[2], &n, sizeof(n));
	}
	if (a[1] == L_FIONBIO) { /* O_NONBLOCK of any file, as fcntl (Python's setblocking) */
		int32_t on;
		if (linux_copy_in(proc, &on, a[2], sizeof(on)) < 0)
			return -EFAULT;
		f->flags = on ? f->flags | L_O_NONBLOCK : f->flags & ~(unsigned)L_O_NONBLOCK;
		return 0;
	}
	if (a[1] == L_FIONREAD && f->kind == LINUX_FILE_SOCKET) {
		const long n = linux_sock_unread(f);
		const int32_t n32 = (int32_t)n;
		return n < 0 ? n : linux_copy_out(proc, a[2], &n32, sizeof(n32));
	}
	if (f->pty)
		return linux_pty_ioctl(proc, f, a[1], a[2]);
	if (!is_tty(proc, f))
		return -ENOTTY;
	if (a[1] == L_TCGETS) {
		/* struct termios (kernel): 4 flag words, c_line, 19 control chars */
		uint8_t t[36];
		uint32_t flags[4] = {0x500 /* ICRNL|IXON */, 0x5 /* OPOST|ONLCR */,
				     0xBF /* CS8|CREAD|B38400 */,
				     0x8A3B /* ISIG|ICANON|ECHO.. |IEXTEN */};
		static const uint8_t cc[19] = {3,  28, 127, 21, 4,  0,	1,  0,
					       17, 19, 26,  0,	18, 15, 23, 22};
		memset(t, 0, 36);
		memcpy(t, flags, sizeof(flags));
		memcpy(t + 17, cc, sizeof(cc));
		return linux_copy_out(proc, a[2], t, sizeof(t));
	}
	if (a[1] == L_TIOCGWINSZ) {
		const uint16_t ws[4] = {24, 80, 0, 0};
		return linux_copy_out(proc, a[2], ws, sizeof(ws));
	}
	return -ENOTTY;
}

/*
 * The parent directory and last name of (dirfd, path) for mkdir/unlink.
 * A last component "." or ".." names no entry of a parent: *kind says so
 * and each caller answers as Linux does (mkdir EEXIST, unlink EISDIR, rmdir
 * EINVAL or ENOTEMPTY), after the walk up to it succeeded.
 */
long linux_parent_at(struct linux_proc *proc, uint64_t dirfd, uint64_t upath,
		     struct linux_node **parent, char *last, size_t last_size, bool *exists,
		     enum linux_last_kind *kind)
{
	char path[LINUX_PATH_MAX];
	long rc = linux_user_string(proc, upath, path, sizeof(path));
	if (rc < 0)
		return rc;
	size_t len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		path[--len] = '\0';
	const char *slash = strrchr(path, '/');
	const char *final = slash ? slash + 1 : path;
	*kind = strcmp(final, ".") == 0	   ? LAST_DOT
		: strcmp(final, "..") == 0 ? LAST_DOTDOT
					   : LAST_NAME;
	struct linux_node *dir, *node;
	if ((rc = start_dir(proc, dirfd, path, &dir)) < 0)
		return rc;
	/* the entry itself: a hard link's own parent and name; --record sees
	 * the symlinks and missing directories on the way, not the last name */
	rc = linux_fs_resolve(&proc->fs, dir, path,
			      LINUX_RESOLVE_ENTRY | LINUX_RESOLVE_RECORD | LINUX_RESOLVE_MAKES,
			      &node, parent, last, last_size);
	*exists = rc == 0;
	if (rc == 0) {
		if (*kind != LAST_NAME)
			return 0;
		if (node == proc->fs.root || node == proc->fs.tmp)
			return -EBUSY;
		if (node->unlinked)
			return -ENOENT; /* never reached by a name, but never trust it */
		*parent = node->parent;
		if (node->name_len >= last_size)
			return -ENAMETOOLONG;
		memcpy(last, node->name, node->name_len);
		last[node->name_len] = '\0';
		return 0;
	}
	return rc == -ENOENT && *parent ? 0 : rc;
}

long linux_new_name_at(struct linux_proc *proc, uint64_t dirfd, uint64_t upath,
		       struct linux_node **parent, char *last, size_t last_size)
{
	bool exists;
	enum linux_last_kind kind;
	*parent = NULL;
	long rc = linux_parent_at(proc, dirfd, upath, parent, last, last_size, &exists, &kind);
	if (rc < 0)
		return rc == -EBUSY ? -EEXIST : rc; /* the root, /tmp */
	return exists || kind != LAST_NAME ? -EEXIST : 0;
}

long linux_sys_mkdirat(struct linux_proc *proc, const uint64_t *a)
{
	struct linux_node *parent, *node;
	char last[256];
	long rc = linux_new_name_at(proc, a[0], a[1], &parent, last, sizeof(last));
	if (rc < 0)
		return rc;
	rc = linux_fs_create(&proc->fs, parent, last, S_IFDIR | ((unsigned)a[2] & 07777), &node);
	if (rc == 0)
		linux_inotify_entry(&proc->fs, parent, LINUX_IN_CREATE, last, true, 0);
	return linux_record_name(proc, rc, parent, last, LINUX_RECORD_CREATE);
}

long linux_sys_mkdir(struct linux_proc *proc, const uint64_t *a)
{
	uint64_t b[3] = {(uint64_t)(int64_t)L_AT_FDCWD, a[0], a[1]};
	return linux_sys_mkdirat(proc, b);
}

long linux_sys_unlinkat(struct linux_proc *proc, const uint64_t *a)
{
	struct linux_node *parent = NULL;
	char last[256];
	bool exists;
	enum linux_last_kind kind;
	if (a[2] & ~(uint64_t)L_AT_REMOVEDIR)
		return -EINVAL;
	long rc = linux_parent_at(proc, a[0], a[1], &parent, last, sizeof(last), &exists, &kind);
	if (rc < 0)
		return rc;
	if (!exists)
		return -ENOENT;
	if (kind != LAST_NAME && !(a[2] & L_AT_REMOVEDIR))
		return -EISDIR;
	if (kind != LAST_NAME)
		return kind == LAST_DOT ? -EINVAL : -ENOTEMPTY;
	char path[LINUX_PATH_MAX];
	struct linux_node *entry;
	if (!(a[2] & L_AT_REMOVEDIR) && linux_user_string(proc, a[1], path, sizeof(path)) > 0 &&
	    path[strlen(path) - 1] == '/' &&
	    linux_fs_entry(&proc->fs, parent, last, strlen(last), &entry) == 0)
		return S_ISDIR(entry->mode) ? -EISDIR : -ENOTDIR; /* as Linux: "name/" */
	struct linux_node *held = linux_inotify_hold_entry(&proc->fs, parent, last);
	rc = linux_fs_unlink(&proc->fs, parent, last, a[2] & L_AT_REMOVEDIR);
	linux_inotify_removed(&proc->fs, parent, last, held, rc);
	return linux_record_name(proc, rc, parent, last, LINUX_RECORD_DELETE);
}

long linux_sys_unlink(struct linux_proc *proc, const uint64_t *a)
{
	uint64_t b[3] = {(uint64_t)(int64_t)L_AT_FDCWD, a[0], 0};
	return linux_sys_unlinkat(proc, b);
}

long linux_sys_rmdir(struct linux_proc *proc, const uint64_t *a)
{
	uint64_t b[3] = {(uint64_t)(int64_t)L_AT_FDCWD, a[0], L_AT_REMOVEDIR};
	return linux_sys_unlinkat(proc, b);
}

long linux_sys_ftruncate(struct linux_proc *proc, const uint64_t *a)
{
	struct linux_file *f = linux_fd_get(proc, a[0]);
	if (!f)
		return -EBADF;
	if (f->kind != LINUX_FILE_NODE || (f->flags & O_ACCMODE) == O_RDONLY)
		return -EINVAL;
	if ((int64_t)a[1] < 0)
		return -EINVAL;
	long rc = linux_fs_truncate(&proc->fs, f->node, a[1]);
	if (rc == 0)
		linux_inotify_node(&proc->fs, f->node, LINUX_IN_MODIFY);
	return rc;
}
