/* signalfd for a Linux-ABI guest: a read takes the reading task's pending signals of the fd's mask (which the program blocks) as struct signalfd_siginfo records; rt_sigpending shows them. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "linux.h"

#define SIGINFO_SIZE 128 /* struct signalfd_siginfo */
#define L_SIGKILL    9
#define L_SIGSTOP    19

struct signalfd {
	uint64_t mask; /* never SIGKILL or SIGSTOP, as Linux */
};

static uint64_t mask_in(uint64_t m)
{
	return m & ~((1ULL << (L_SIGKILL - 1)) | (1ULL << (L_SIGSTOP - 1)));
}

static long signalfd_io(struct linux_proc *proc, struct linux_file *f, void *host, uint64_t len,
			bool write_it)
{
	const struct signalfd *sf = f->priv;
	struct linux_task *t = proc->cur;
	if (write_it || len < SIGINFO_SIZE)
		return -EINVAL;
	while (!(linux_task_sigpending(proc, t) & sf->mask)) {
		if (f->flags & L_O_NONBLOCK)
			return -EAGAIN;
		if (linux_block_until(proc, 0)) /* a signal sent to it wakes it */
			return -LINUX_ERESTARTSYS;
	}
	uint64_t done = 0;
	uint8_t *out = host;
	while (done + SIGINFO_SIZE <= len && (linux_task_sigpending(proc, t) & sf->mask)) {
		unsigned sig =
		    (unsigned)__builtin_ctzll(linux_task_sigpending(proc, t) & sf->mask) + 1;
		linux_task_take_signal(proc, t, sig);
		/* ssi_signo; the sender is not recorded: ssi_code SI_USER, the rest 0 */
		uint8_t rec[SIGINFO_SIZE] = {0};
		uint32_t signo = sig;
		memcpy(rec, &signo, sizeof(signo));
		memcpy(out + done, rec, sizeof(rec));
		done += SIGINFO_SIZE;
	}
	return (long)done;
}

static short signalfd_poll(struct linux_proc *proc, struct linux_file *f)
{
	const struct signalfd *sf = f->priv;
	return linux_task_sigpending(proc, proc->cur) & sf->mask ? POLLIN : 0;
}

static void signalfd_release(struct linux_proc *proc, struct linux_file *f)
{
	free(f->priv);
}

static const struct linux_file_ops signalfd_ops = {
    .io = signalfd_io,
    .poll = signalfd_poll,
    .release = signalfd_release,
};

static long do_signalfd(struct linux_proc *proc, const uint64_t *a, uint64_t flags)
{
	uint64_t mask;
	if (a[2] != 8 || (flags & ~(uint64_t)(L_O_CLOEXEC | L_O_NONBLOCK)))
		return -EINVAL;
	if (linux_copy_in(proc, &mask, a[1], sizeof(mask)) < 0)
		return -EFAULT;
	if ((int32_t)a[0] != -1) {
		struct linux_file *f = linux_fd_get(proc, a[0]);
		if (!f)
			return -EBADF;
		if (f->kind != LINUX_FILE_EVENT || f->ops != &signalfd_ops)
			return -EINVAL;
		((struct signalfd *)f->priv)->mask = mask_in(mask);
		return (long)a[0];
	}
	struct signalfd *sf = calloc(1, sizeof(*sf));
	if (!sf)
		return -ENOMEM;
	sf->mask = mask_in(mask);
	long fd = linux_event_file(proc, &signalfd_ops, sf, flags);
	if (fd < 0)
		free(sf);
	return fd;
}

long linux_sys_signalfd(struct linux_proc *proc, const uint64_t *a)
{
	return do_signalfd(proc, a, 0);
}

long linux_sys_signalfd4(struct linux_proc *proc, const uint64_t *a)
{
	return do_signalfd(proc, a, a[3]);
}

/* The running task's pending signals it blocks (what signalfd would read). */
long linux_sys_rt_sigpending(struct linux_proc *proc, const uint64_t *a)
{
	if (a[1] > 8)
		return -EINVAL;
	uint64_t set = linux_task_sigpending(proc, proc->cur) & proc->sigmask;
	return linux_copy_out(proc, a[0], &set, a[1]);
}
