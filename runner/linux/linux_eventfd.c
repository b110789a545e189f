/* eventfd for a Linux-ABI guest: a 64-bit counter read whole or one at a time (EFD_SEMAPHORE), writes that block at the top; and the file description every event file (epoll, eventfd, timerfd, signalfd) is made of. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "linux.h"

#define L_EFD_SEMAPHORE 1
#define EVENTFD_MAX	(UINT64_MAX - 1) /* the counter's top: a write past it waits */

struct eventfd {
	uint64_t count;
	bool semaphore;
	uint64_t reads, writes; /* EPOLLET's counts */
};

long linux_event_file(struct linux_proc *proc, const struct linux_file_ops *ops, void *priv,
		      uint64_t flags)
{
	struct linux_file *f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	*f = (struct linux_file){.kind = LINUX_FILE_EVENT,
				 .host_fd = -1,
				 .ops = ops,
				 .priv = priv,
				 .flags = O_RDWR | (flags & L_O_NONBLOCK ? L_O_NONBLOCK : 0)};
	int fd = linux_fd_alloc(proc, 0, f, flags & L_O_CLOEXEC);
	if (fd < 0)
		free(f);
	return fd;
}

static long eventfd_read(struct linux_proc *proc, struct linux_file *f, uint8_t *host)
{
	struct eventfd *e = f->priv;
	while (e->count == 0) {
		if (f->flags & L_O_NONBLOCK)
			return -EAGAIN;
		if (linux_block_until(proc, 0)) /* a write in another task wakes it */
			return -LINUX_ERESTARTSYS;
	}
	uint64_t v = e->semaphore ? 1 : e->count;
	e->count -= v;
	e->reads++;
	memcpy(host, &v, sizeof(v));
	return sizeof(v);
}

static long eventfd_write(struct linux_proc *proc, struct linux_file *f, const uint8_t *host)
{
	struct eventfd *e = f->priv;
	uint64_t v;
	memcpy(&v, host, sizeof(v));
	if (v == UINT64_MAX)
		return -EINVAL;
	while (EVENTFD_MAX - e->count < v) {
		if (f->flags & L_O_NONBLOCK)
			return -EAGAIN;
		if (linux_block_until(proc, 0)) /* until a read makes room */
			return -LINUX_ERESTARTSYS;
	}
	e->count += v;
	e->writes++;
	return sizeof(v);
}

static long eventfd_io(struct linux_proc *proc, struct linux_file *f, void *host, uint64_t len,
		       bool write_it)
{
	if (len < sizeof(uint64_t))
		return -EINVAL;
	return write_it ? eventfd_write(proc, f, host) : eventfd_read(proc, f, host);
}

static short eventfd_poll(struct linux_proc *proc, struct linux_file *f)
{
	const struct eventfd *e = f->priv;
	return (short)((e->count ? POLLIN : 0) | (e->count < EVENTFD_MAX ? POLLOUT : 0));
}

static void eventfd_gen(const struct linux_file *f, uint64_t *in, uint64_t *out)
{
	const struct eventfd *e = f->priv;
	*in = e->writes;
	*out = e->reads;
}

static void eventfd_release(struct linux_proc *proc, struct linux_file *f)
{
	free(f->priv);
}

static const struct linux_file_ops eventfd_ops = {
    .io = eventfd_io,
    .poll = eventfd_poll,
    .gen = eventfd_gen,
    .release = eventfd_release,
};

static long eventfd_new(struct linux_proc *proc, uint64_t initval, uint64_t flags)
{
	if (flags & ~(uint64_t)(L_EFD_SEMAPHORE | L_O_CLOEXEC | L_O_NONBLOCK))
		return -EINVAL;
	struct eventfd *e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->count = (uint32_t)initval; /* an unsigned int, as Linux */
	e->semaphore = flags & L_EFD_SEMAPHORE;
	long fd = linux_event_file(proc, &eventfd_ops, e, flags);
	if (fd < 0)
		free(e);
	return fd;
}

long linux_sys_eventfd(struct linux_proc *proc, const uint64_t *a)
{
	return eventfd_new(proc, a[0], 0);
}

long linux_sys_eventfd2(struct linux_proc *proc, const uint64_t *a)
{
	return eventfd_new(proc, a[0], a[1]);
}
