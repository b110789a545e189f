/* Pipes of a Linux-ABI guest: a 64 KiB ring per pipe, counted read and write ends, EOF, EPIPE and SIGPIPE, O_NONBLOCK, PIPE_BUF atomicity; FIFOs (mknod, mkfifo) of the VM's own file systems opened onto one. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "linux.h"

#define L_SIGPIPE 13

struct linux_pipe {
	uint8_t *buf; /* LINUX_PIPE_SIZE bytes, allocated on the first write */
	uint32_t head, len;
	unsigned readers, writers; /* open file descriptions of each end */
	uint64_t fills, drains;	   /* writes and reads so far (EPOLLET, linux_epoll.c) */
	struct linux_node *node;   /* a FIFO's node, which owns it; NULL: pipe(2) */
	uint64_t r_opens, w_opens; /* a FIFO's opens of each end so far */
	unsigned rwait, wwait;	   /* a FIFO's opens waiting for the other end */
};

static bool is_reader(const struct linux_file *f)
{
	return (f->flags & O_ACCMODE) == O_RDONLY;
}

/* A FIFO opened O_RDWR is both ends. */
static bool reads(const struct linux_file *f)
{
	return (f->flags & O_ACCMODE) != O_WRONLY;
}

static bool writes(const struct linux_file *f)
{
	return (f->flags & O_ACCMODE) != O_RDONLY;
}

/* Opens of a FIFO end that wait for the other end: as Linux counts an end
 * from the start of its open, they count as open ends for EOF, EPIPE and
 * poll (a reader that got in first sees no EOF from a writer still on
 * its way). */
static unsigned waiting_writers(const struct linux_pipe *p)
{
	return p->wwait;
}

static unsigned waiting_readers(const struct linux_pipe *p)
{
	return p->rwait;
}

static long make_pipe(struct linux_proc *proc, uint64_t ufds, uint64_t flags)
{
	/* O_DIRECT (packet mode) is refused rather than half served. */
	if (flags & ~(uint64_t)(L_O_CLOEXEC | L_O_NONBLOCK))
		return -EINVAL;
	struct linux_pipe *p = calloc(1, sizeof(*p));
	struct linux_file *r = calloc(1, sizeof(*r)), *w = calloc(1, sizeof(*w));
	if (!p || !r || !w) {
		free(p);
		free(r);
		free(w);
		return -ENFILE;
	}
	unsigned nonblock = flags & L_O_NONBLOCK ? L_O_NONBLOCK : 0;
	*r = (struct linux_file){
	    .kind = LINUX_FILE_PIPE, .host_fd = -1, .pipe = p, .flags = O_RDONLY | nonblock};
	*w = (struct linux_file){
	    .kind = LINUX_FILE_PIPE, .host_fd = -1, .pipe = p, .flags = O_WRONLY | nonblock};
	p->readers = p->writers = 1;
	bool cloexec = flags & L_O_CLOEXEC;
	int rfd = linux_fd_alloc(proc, 0, r, cloexec);
	int wfd = rfd < 0 ? rfd : linux_fd_alloc(proc, 0, w, cloexec);
	if (rfd < 0 || wfd < 0) {
		if (rfd >= 0) {
			const uint64_t c[1] = {(uint64_t)rfd};
			(void)linux_sys_close(proc, c); /* frees r, drops the reader */
		} else {
			free(r);
			p->readers--;
		}
		free(w);
		if (--p->writers == 0 && p->readers == 0)
			free(p);
		return -EMFILE;
	}
	const int32_t fds[2] = {rfd, wfd};
	if (linux_copy_out(proc, ufds, fds, sizeof(fds)) < 0) {
		/* As Linux: both fds are closed again when the array is not writable. */
		const uint64_t c0[1] = {(uint64_t)rfd}, c1[1] = {(uint64_t)wfd};
		(void)linux_sys_close(proc, c0);
		(void)linux_sys_close(proc, c1);
		return -EFAULT;
	}
	return 0;
}

long linux_sys_pipe(struct linux_proc *proc, const uint64_t *a)
{
	return make_pipe(proc, a[0], 0);
}

long linux_sys_pipe2(struct linux_proc *proc, const uint64_t *a)
{
	return make_pipe(proc, a[0], a[1]);
}

static void pipe_copy_out(struct linux_pipe *p, uint8_t *dst, uint32_t n)
{
	uint32_t first = LINUX_PIPE_SIZE - p->head;
	if (first > n)
		first = n;
	memcpy(dst, p->buf + p->head, first);
	memcpy(dst + first, p->buf, n - first);
	p->head = (p->head + n) % LINUX_PIPE_SIZE;
	p->len -= n;
	p->drains++;
}

static void pipe_copy_in(struct linux_pipe *p, const uint8_t *src, uint32_t n)
{
	uint32_t tail = (p->head + p->len) % LINUX_PIPE_SIZE;
	uint32_t first = LINUX_PIPE_SIZE - tail;
	if (first > n)
		first = n;
	memcpy(p->buf + tail, src, first);
	memcpy(p->buf, src + first, n - first);
	p->len += n;
	p->fills++;
}

static long pipe_read(struct linux_proc *proc, struct linux_file *f, uint8_t *dst, uint64_t len)
{
	struct linux_pipe *p = f->pipe;
	if (len == 0)
		return 0;
	while (p->len == 0) {
		if (p->writers == 0 && !waiting_writers(p))
			return 0; /* EOF */
		if (f->flags & L_O_NONBLOCK)
			return -EAGAIN;
		/* Only a writer can fill it, and no other task runs: as Linux,
		 * the call blocks (until --timeout or lockvm stop). */
		if (linux_block_until(proc, 0))
			return -LINUX_ERESTARTSYS;
	}
	uint32_t n = len < p->len ? (uint32_t)len : p->len;
	pipe_copy_out(p, dst, n);
	return n;
}

static long pipe_write(struct linux_proc *proc, struct linux_file *f, const uint8_t *src,
		       uint64_t len)
{
	struct linux_pipe *p = f->pipe;
	uint64_t done = 0;
	while (done < len) {
		if (p->readers == 0 && !waiting_readers(p)) {
			if (done)
				return (long)done;
			(void)linux_signal_raise_ret(proc, L_SIGPIPE, -EPIPE);
			return -EPIPE;
		}
		if (!p->buf && !(p->buf = malloc(LINUX_PIPE_SIZE)))
			return done ? (long)done : -ENOMEM;
		uint32_t room = LINUX_PIPE_SIZE - p->len;
		uint64_t left = len - done;
		/* Up to PIPE_BUF bytes go in whole or not at all. */
		bool fits = left <= LINUX_PIPE_BUF ? room >= left : room > 0;
		if (!fits) {
			if (f->flags & L_O_NONBLOCK)
				return done ? (long)done : -EAGAIN;
			if (linux_block_until(proc, 0)) { /* only a reader can drain it */
				if (done)
					proc->cur_blocked = false; /* returns what it wrote */
				return done ? (long)done : -LINUX_ERESTARTSYS;
			}
			continue;
		}
		uint32_t n = left < room ? (uint32_t)left : room;
		pipe_copy_in(p, src + done, n);
		done += n;
	}
	return (long)done;
}

long linux_pipe_io(struct linux_proc *proc, struct linux_file *f, void *host, uint64_t len,
		   bool write_it)
{
	return write_it ? pipe_write(proc, f, host, len) : pipe_read(proc, f, host, len);
}

short linux_pipe_poll(const struct linux_file *f)
{
	const struct linux_pipe *p = f->pipe;
	if (reads(f) && writes(f)) /* a FIFO opened O_RDWR */
		return (short)((p->len ? POLLIN : 0) |
			       (LINUX_PIPE_SIZE - p->len >= LINUX_PIPE_BUF ? POLLOUT : 0));
	if (is_reader(f))
		return (short)((p->len ? POLLIN : 0) |
			       (p->writers || waiting_writers(p) ? 0 : POLLHUP));
	if (p->readers == 0 && !waiting_readers(p))
		return POLLOUT | POLLERR;
	return LINUX_PIPE_SIZE - p->len >= LINUX_PIPE_BUF ? POLLOUT : 0;
}

uint64_t linux_pipe_unread(const struct linux_file *f)
{
	return f->pipe->len; /* either end, as Linux's FIONREAD */
}

void linux_pipe_release(struct linux_proc *proc, struct linux_file *f)
{
	struct linux_pipe *p = f->pipe;
	if (reads(f))
		p->readers--;
	if (writes(f))
		p->writers--;
	if (p->readers || p->writers)
		return;
	if (p->rwait || p->wwait)
		return; /* an open counted as an end already: the data stays for it */
	free(p->buf);
	if (p->node) { /* a FIFO keeps its pipe, empty, as long as its node */
		p->buf = NULL;
		p->head = p->len = 0;
		return;
	}
	free(p);
}

/* ---- splice and tee (linux_splice.c) ---- */

long linux_pipe_avail(struct linux_proc *proc, struct linux_file *f, bool nonblock)
{
	struct linux_pipe *p = f->pipe;
	while (p->len == 0) {
		if (p->writers == 0 && !waiting_writers(p))
			return 0;
		if (nonblock || (f->flags & L_O_NONBLOCK))
			return -EAGAIN;
		if (linux_block_until(proc, 0))
			return -LINUX_ERESTARTSYS;
	}
	return p->len;
}

long linux_pipe_room(struct linux_proc *proc, struct linux_file *f, bool nonblock)
{
	struct linux_pipe *p = f->pipe;
	for (;;) {
		if (p->readers == 0 && !waiting_readers(p)) {
			(void)linux_signal_raise_ret(proc, L_SIGPIPE, -EPIPE);
			return -EPIPE;
		}
		if (!p->buf && !(p->buf = malloc(LINUX_PIPE_SIZE)))
			return -ENOMEM;
		if (p->len < LINUX_PIPE_SIZE)
			return LINUX_PIPE_SIZE - p->len;
		if (nonblock || (f->flags & L_O_NONBLOCK))
			return -EAGAIN;
		if (linux_block_until(proc, 0))
			return -LINUX_ERESTARTSYS;
	}
}

uint32_t linux_pipe_peek(const struct linux_file *f, void *dst, uint64_t len)
{
	const struct linux_pipe *p = f->pipe;
	uint32_t n = len < p->len ? (uint32_t)len : p->len;
	uint32_t first = LINUX_PIPE_SIZE - p->head;
	if (first > n)
		first = n;
	memcpy(dst, p->buf + p->head, first);
	memcpy((uint8_t *)dst + first, p->buf, n - first);
	return n;
}

void linux_pipe_drop(struct linux_file *f, uint32_t n)
{
	struct linux_pipe *p = f->pipe;
	p->head = (p->head + n) % LINUX_PIPE_SIZE;
	p->len -= n;
	p->drains++;
}

/* ---- FIFOs ---- */

void linux_fifo_free(struct linux_node *node)
{
	if (!node->fifo)
		return;
	free(node->fifo->buf);
	free(node->fifo);
	node->fifo = NULL;
}

void linux_fifo_wait_end(struct linux_proc *proc, struct linux_task *t)
{
	struct linux_node *node = t->fifo_wait;
	if (!node)
		return;
	if (t->fifo_wait_write)
		node->fifo->wwait--;
	else
		node->fifo->rwait--;
	t->fifo_wait = NULL;
	linux_fs_put(&proc->fs, node);
}

/* Whether the open of one end may finish now: the other end is open, an
 * open of it waits, or one came (and maybe went) since this open began. */
static bool fifo_ready(struct linux_proc *proc, struct linux_node *node, bool writer)
{
	const struct linux_pipe *p = node->fifo;
	const struct linux_task *cur = proc->cur;
	bool began = cur->fifo_wait == node && cur->fifo_wait_write == writer;
	if (writer)
		return p->readers || p->rwait || (began && p->r_opens != cur->fifo_mark);
	return p->writers || p->wwait || (began && p->w_opens != cur->fifo_mark);
}

long linux_fifo_open(struct linux_proc *proc, struct linux_node *node, uint64_t flags)
{
	unsigned acc = (unsigned)flags & O_ACCMODE;
	bool writer = acc == O_WRONLY, nonblock = flags & L_O_NONBLOCK;
	if (!node->fifo) {
		if (!(node->fifo = calloc(1, sizeof(*node->fifo))))
			return -ENOMEM;
		node->fifo->node = node;
	}
	struct linux_pipe *p = node->fifo;
	struct linux_task *cur = proc->cur;
	while (acc != O_RDWR && !nonblock && !fifo_ready(proc, node, writer)) {
		if (cur->fifo_wait != node || cur->fifo_wait_write != writer) {
			linux_fifo_wait_end(proc, cur);
			linux_fs_get(&proc->fs, node); /* cur->fifo_wait */
			cur->fifo_wait = node;
			cur->fifo_wait_write = writer;
			cur->fifo_mark = writer ? p->r_opens : p->w_opens;
			if (writer)
				p->wwait++;
			else
				p->rwait++;
		}
		if (linux_block_until(proc, 0)) {
			if (proc->cur_blocked)
				return 0; /* retried when something happened; its result unused */
			linux_fifo_wait_end(proc, cur);
			return -LINUX_ERESTARTSYS; /* a signal: EINTR, or the open again */
		}
	}
	if (writer && nonblock && !fifo_ready(proc, node, true)) {
		linux_fifo_wait_end(proc, cur);
		return -ENXIO; /* as Linux: no reader for a writer that will not wait */
	}
	linux_fifo_wait_end(proc, cur);
	struct linux_file *f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	*f = (struct linux_file){.kind = LINUX_FILE_PIPE,
				 .host_fd = -1,
				 .pipe = p,
				 .node = node,
				 .flags = acc | (nonblock ? L_O_NONBLOCK : 0)};
	int fd = linux_fd_alloc(proc, 0, f, flags & L_O_CLOEXEC);
	if (fd < 0) {
		free(f);
		return fd;
	}
	linux_fs_get(&proc->fs, node); /* f->node */
	if (reads(f)) {
		p->readers++;
		p->r_opens++;
	}
	if (writes(f)) {
		p->writers++;
		p->w_opens++;
	}
	return fd;
}

#define L_AT_FDCWD (-100)

/*
 * mknod(2) of a FIFO (mkfifo) or a regular file (as creat, closed) in /tmp,
 * a --tmpfs or the root's upper layer. Refused with EPERM: device nodes
 * (the VM's root holds no CAP_MKNOD, and a device node would name a host
 * device), a socket node (only bind() makes one here), and a FIFO in a
 * --volume (it would be a host FIFO, a channel to host processes).
 */
long linux_sys_mknodat(struct linux_proc *proc, const uint64_t *a)
{
	uint32_t mode = (uint32_t)a[2], type = mode & S_IFMT;
	if (type == 0)
		type = S_IFREG;
	if (type != S_IFREG && type != S_IFIFO) /* a directory: EPERM too, as may_mknod() */
		return type == S_IFCHR || type == S_IFBLK || type == S_IFSOCK || type == S_IFDIR
			   ? -EPERM
			   : -EINVAL;
	struct linux_node *parent, *node;
	char last[256];
	long rc = linux_new_name_at(proc, a[0], a[1], &parent, last, sizeof(last));
	if (rc < 0)
		return rc;
	if (type == S_IFIFO && parent->vol)
		return -EPERM;
	rc = linux_fs_create(&proc->fs, parent, last, type | (mode & 07777), &node);
	if (rc == 0)
		linux_inotify_entry(&proc->fs, parent, LINUX_IN_CREATE, last, false, 0);
	return linux_record_name(proc, rc, parent, last, LINUX_RECORD_CREATE);
}

long linux_sys_mknod(struct linux_proc *proc, const uint64_t *a)
{
	const uint64_t b[4] = {(uint64_t)(int64_t)L_AT_FDCWD, a[0], a[1], a[2]};
	return linux_sys_mknodat(proc, b);
}

void linux_pipe_gen(const struct linux_file *f, uint64_t *in, uint64_t *out)
{
	*in = f->pipe->fills;
	*out = f->pipe->drains;
}
