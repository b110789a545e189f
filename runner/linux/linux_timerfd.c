/* timerfd for a Linux-ABI guest: a timer on the VM's armed list whose expirations a read takes (a u64 count), absolute or relative, one-shot or repeating. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "linux.h"

#define L_TFD_TIMER_ABSTIME	  1
#define L_TFD_TIMER_CANCEL_ON_SET 2

struct timerfd {
	struct linux_timer t; /* first: the timer's fire() finds the timerfd */
	uint64_t clock;
	uint64_t ticks; /* expirations not yet read */
	uint64_t total; /* every expiration: EPOLLET's count */
};

static void timerfd_fire(struct linux_proc *proc, struct linux_timer *t, uint64_t count)
{
	struct timerfd *tf = (struct timerfd *)t;
	tf->ticks += count;
	tf->total += count;
}

static long timerfd_io(struct linux_proc *proc, struct linux_file *f, void *host, uint64_t len,
		       bool write_it)
{
	struct timerfd *tf = f->priv;
	if (write_it)
		return -EINVAL;
	if (len < sizeof(uint64_t))
		return -EINVAL;
	for (;;) {
		(void)linux_timer_catch_up(proc, &tf->t);
		if (tf->ticks)
			break;
		if (f->flags & L_O_NONBLOCK)
			return -EAGAIN;
		/* Its own expiry ends the wait; a settime in another task wakes it. */
		if (linux_block_until(proc, tf->t.expire))
			return -LINUX_ERESTARTSYS;
	}
	memcpy(host, &tf->ticks, sizeof(tf->ticks));
	tf->ticks = 0;
	return sizeof(uint64_t);
}

static short timerfd_poll(struct linux_proc *proc, struct linux_file *f)
{
	struct timerfd *tf = f->priv;
	(void)linux_timer_catch_up(proc, &tf->t);
	return tf->ticks ? POLLIN : 0;
}

static void timerfd_gen(const struct linux_file *f, uint64_t *in, uint64_t *out)
{
	const struct timerfd *tf = f->priv;
	*in = tf->total;
	*out = 0;
}

static void timerfd_release(struct linux_proc *proc, struct linux_file *f)
{
	struct timerfd *tf = f->priv;
	(void)linux_timer_arm(proc, &tf->t, 0, 0);
	free(tf);
}

static const struct linux_file_ops timerfd_ops = {
    .io = timerfd_io,
    .poll = timerfd_poll,
    .gen = timerfd_gen,
    .release = timerfd_release,
};

long linux_sys_timerfd_create(struct linux_proc *proc, const uint64_t *a)
{
	if (!linux_timer_clock_ok(a[0]))
		return -EINVAL;
	if (a[1] & ~(uint64_t)(L_O_CLOEXEC | L_O_NONBLOCK))
		return -EINVAL;
	struct timerfd *tf = calloc(1, sizeof(*tf));
	if (!tf)
		return -ENOMEM;
	tf->clock = a[0];
	tf->t.fire = timerfd_fire;
	long fd = linux_event_file(proc, &timerfd_ops, tf, a[1]);
	if (fd < 0)
		free(tf);
	return fd;
}

static struct timerfd *timerfd_of(struct linux_proc *proc, uint64_t fd, long *err)
{
	struct linux_file *f = linux_fd_get(proc, fd);
	*err = !f ? -EBADF : -EINVAL;
	return f && f->kind == LINUX_FILE_EVENT && f->ops == &timerfd_ops ? f->priv : NULL;
}

long linux_sys_timerfd_settime(struct linux_proc *proc, const uint64_t *a)
{
	long rc;
	struct timerfd *tf = timerfd_of(proc, a[0], &rc);
	uint64_t interval, value;
	if (!tf)
		return rc;
	if (a[1] & ~(uint64_t)(L_TFD_TIMER_ABSTIME | L_TFD_TIMER_CANCEL_ON_SET))
		return -EINVAL;
	if ((rc = linux_itimerspec_in(proc, a[2], &interval, &value)) < 0)
		return rc;
	(void)linux_timer_catch_up(proc, &tf->t);
	if (a[3] && (rc = linux_itimerspec_out(proc, a[3], tf->t.interval, tf->t.expire)) < 0)
		return rc;
	tf->ticks = 0; /* as Linux: a new setting drops the count */
	return linux_timer_arm(proc, &tf->t,
			       linux_timer_deadline(tf->clock, a[1] & L_TFD_TIMER_ABSTIME, value),
			       interval);
}

long linux_sys_timerfd_gettime(struct linux_proc *proc, const uint64_t *a)
{
	long rc;
	struct timerfd *tf = timerfd_of(proc, a[0], &rc);
	if (!tf)
		return rc;
	(void)linux_timer_catch_up(proc, &tf->t);
	return linux_itimerspec_out(proc, a[1], tf->t.interval, tf->t.expire);
}
