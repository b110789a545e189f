/* splice and tee: bytes between a pipe and another file (a pipe, a file of the VM's tree, a socket, stdio) through each one's own read and write path and one bounded VMM buffer, without the program's memory; a pipe's bytes leave it only once written. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "linux.h"

#define L_SPLICE_F_MOVE	    1u /* a hint: pages are copied here anyway */
#define L_SPLICE_F_NONBLOCK 2u /* the pipe operations do not wait */
#define L_SPLICE_F_MORE	    4u /* a hint for sockets: nothing to do */
#define L_SPLICE_F_GIFT	    8u /* vmsplice only: ignored, as Linux */
#define SPLICE_FLAGS	    (L_SPLICE_F_MOVE | L_SPLICE_F_NONBLOCK | L_SPLICE_F_MORE | L_SPLICE_F_GIFT)

static bool is_pipe(const struct linux_file *f)
{
	return f->kind == LINUX_FILE_PIPE;
}

/* A loff_t of the program (0 or -errno), for the side that is not a pipe:
 * only a file of the tree has offsets (ESPIPE otherwise). */
static long file_offset(struct linux_proc *proc, const struct linux_file *f, uint64_t addr,
			uint64_t *off)
{
	if (!addr)
		return 0;
	if (f->kind != LINUX_FILE_NODE || f->pty)
		return -ESPIPE;
	if (linux_copy_in(proc, off, addr, sizeof(*off)) < 0)
		return -EFAULT;
	return (int64_t)*off < 0 ? -EINVAL : 0;
}

/* Moves up to len bytes from pipe end in to out (not a pipe) at *off (NULL:
 * its own offset): the bytes written leave the pipe, the rest stay. */
static long from_pipe(struct linux_proc *proc, struct linux_file *in, struct linux_file *out,
		      uint64_t *off, uint64_t len, bool nonblock)
{
	long avail = linux_pipe_avail(proc, in, nonblock);
	if (avail <= 0)
		return avail;
	uint64_t n = len < (uint64_t)avail ? len : (uint64_t)avail;
	uint8_t *buf = malloc(n);
	if (!buf)
		return -ENOMEM;
	n = linux_pipe_peek(in, buf, n);
	long put = linux_file_io_host(proc, out, buf, n, off, true);
	free(buf);
	if (put > 0)
		linux_pipe_drop(in, (uint32_t)put);
	return put;
}

/* Moves up to len bytes from in (a pipe or not) at *off into pipe end out,
 * no more than it has room for, so nothing read is lost. */
static long to_pipe(struct linux_proc *proc, struct linux_file *in, struct linux_file *out,
		    uint64_t *off, uint64_t len, bool nonblock)
{
	long room = linux_pipe_room(proc, out, nonblock);
	if (room <= 0)
		return room;
	uint64_t n = len < (uint64_t)room ? len : (uint64_t)room;
	if (is_pipe(in)) {
		long avail = linux_pipe_avail(proc, in, nonblock);
		if (avail <= 0)
			return avail;
		n = n < (uint64_t)avail ? n : (uint64_t)avail;
	}
	uint8_t *buf = malloc(n);
	if (!buf)
		return -ENOMEM;
	long got = is_pipe(in) ? (long)linux_pipe_peek(in, buf, n)
			       : linux_file_io_host(proc, in, buf, n, off, false);
	long put = got > 0 ? linux_pipe_io(proc, out, buf, (uint64_t)got, true) : got;
	free(buf);
	if (put > 0 && is_pipe(in))
		linux_pipe_drop(in, (uint32_t)put);
	return put;
}

long linux_sys_splice(struct linux_proc *proc, const uint64_t *a)
{
	struct linux_file *in = linux_fd_get(proc, a[0]), *out = linux_fd_get(proc, a[2]);
	if (!in || !out)
		return -EBADF;
	if ((in->flags & O_ACCMODE) == O_WRONLY || (out->flags & O_ACCMODE) == O_RDONLY)
		return -EBADF;
	if ((unsigned)a[5] & ~SPLICE_FLAGS)
		return -EINVAL;
	if (!is_pipe(in) && !is_pipe(out))
		return -EINVAL; /* as Linux: a pipe on one side at least */
	if (is_pipe(in) && is_pipe(out) && in->pipe == out->pipe)
		return -EINVAL;
	if ((is_pipe(in) && a[1]) || (is_pipe(out) && a[3]))
		return -ESPIPE; /* a pipe has no offset */
	if (!is_pipe(out) && (out->flags & O_APPEND))
		return -EINVAL; /* as Linux: no splice to an append-only file */
	uint64_t off = 0;
	uint64_t off_addr = is_pipe(in) ? a[3] : a[1];
	struct linux_file *other = is_pipe(in) ? out : in;
	long rc = file_offset(proc, other, off_addr, &off);
	if (rc < 0)
		return rc;
	uint64_t len = a[4] < LINUX_PIPE_SIZE ? a[4] : LINUX_PIPE_SIZE;
	if (len == 0)
		return 0;
	bool nonblock = a[5] & L_SPLICE_F_NONBLOCK;
	if (is_pipe(in) && !is_pipe(out))
		rc = from_pipe(proc, in, out, off_addr ? &off : NULL, len, nonblock);
	else
		rc = to_pipe(proc, in, out, off_addr ? &off : NULL, len, nonblock);
	if (rc > 0 && off_addr) {
		off += (uint64_t)rc;
		if (linux_copy_out(proc, off_addr, &off, sizeof(off)) < 0)
			return -EFAULT;
	}
	return rc;
}

/* tee(2): copies bytes of one pipe into another, leaving them in the first. */
long linux_sys_tee(struct linux_proc *proc, const uint64_t *a)
{
	struct linux_file *in = linux_fd_get(proc, a[0]), *out = linux_fd_get(proc, a[1]);
	if (!in || !out)
		return -EBADF;
	if ((unsigned)a[3] & ~SPLICE_FLAGS)
		return -EINVAL;
	if (!is_pipe(in) || !is_pipe(out) || in->pipe == out->pipe)
		return -EINVAL;
	if ((in->flags & O_ACCMODE) == O_WRONLY || (out->flags & O_ACCMODE) == O_RDONLY)
		return -EBADF;
	uint64_t len = a[2] < LINUX_PIPE_SIZE ? a[2] : LINUX_PIPE_SIZE;
	if (len == 0)
		return 0;
	bool nonblock = a[3] & L_SPLICE_F_NONBLOCK;
	long avail = linux_pipe_avail(proc, in, nonblock);
	if (avail <= 0)
		return avail;
	long room = linux_pipe_room(proc, out, nonblock);
	if (room <= 0)
		return room;
	uint64_t n = len < (uint64_t)avail ? len : (uint64_t)avail;
	n = n < (uint64_t)room ? n : (uint64_t)room;
	uint8_t *buf = malloc(n);
	if (!buf)
		return -ENOMEM;
	n = linux_pipe_peek(in, buf, n);
	long put = linux_pipe_io(proc, out, buf, n, true);
	free(buf);
	return put;
}
