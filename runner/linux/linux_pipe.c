/* Pipes of a Linux-ABI guest: a 64 KiB ring per pipe, counted read and write ends, EOF, EPIPE and SIGPIPE, O_NONBLOCK, PIPE_BUF atomicity. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "linux.h"

#define L_SIGPIPE 13

struct linux_pipe {
	uint8_t *buf; /* LINUX_PIPE_SIZE bytes, allocated on the first write */
	uint32_t head, len;
	unsigned readers, writers; /* open file descriptions of each end */
	uint64_t fills, drains;	   /* writes and reads so far (EPOLLET, linux_epoll.c) */
};

static bool is_reader(const struct linux_file *f)
{
	return (f->flags & O_ACCMODE) == O_RDONLY;
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
		if (p->writers == 0)
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
		if (p->readers == 0) {
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
	if (is_reader(f))
		return (short)((p->len ? POLLIN : 0) | (p->writers ? 0 : POLLHUP));
	if (p->readers == 0)
		return POLLOUT | POLLERR;
	return LINUX_PIPE_SIZE - p->len >= LINUX_PIPE_BUF ? POLLOUT : 0;
}

uint64_t linux_pipe_unread(const struct linux_file *f)
{
	return f->pipe->len; /* either end, as Linux's FIONREAD */
}

void linux_pipe_release(struct linux_file *f)
{
	struct linux_pipe *p = f->pipe;
	if (is_reader(f))
		p->readers--;
	else
		p->writers--;
	if (p->readers == 0 && p->writers == 0) {
		free(p->buf);
		free(p);
	}
}

void linux_pipe_gen(const struct linux_file *f, uint64_t *in, uint64_t *out)
{
	*in = f->pipe->fills;
	*out = f->pipe->drains;
}
