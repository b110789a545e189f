/* Waiting on fds for a Linux-ABI guest: poll, ppoll, select, pselect6 over the fd table (pipes by their fill, event files by their ops, files always ready, the runner's stdin as readable). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>

#include "linux.h"
#include "linux_pty.h"

#define L_FD_SETSIZE 1024
#define NS_PER_SEC   1000000000ULL

#define POLLIN_SET  (POLLIN | POLLRDNORM | POLLRDBAND | POLLHUP | POLLERR)
#define POLLOUT_SET (POLLOUT | POLLWRNORM | POLLWRBAND | POLLERR)

short linux_file_poll(struct linux_proc *proc, struct linux_file *f)
{
	short ev;
	switch (f->kind) {
	case LINUX_FILE_PIPE: ev = linux_pipe_poll(f); break;
	case LINUX_FILE_SOCKET: ev = linux_sock_poll(proc, f); break;
	case LINUX_FILE_EVENT: ev = f->ops->poll(proc, f); break;
	case LINUX_FILE_NODE:
		ev = f->pty ? linux_pty_poll(f) : POLLIN | POLLOUT; /* files never block */
		break;
	case LINUX_FILE_STDIO:
		/* The runner's stdin cannot be polled from a vCPU thread (its
		 * filter has no poll): it is readable, and a read then waits. */
		ev = (f->flags & O_ACCMODE) == O_RDONLY ? POLLIN : POLLOUT;
		break;
	default: ev = POLLIN | POLLOUT; break; /* files and directories never block */
	}
	if (ev & POLLIN)
		ev |= POLLRDNORM;
	if (ev & POLLOUT)
		ev |= POLLWRNORM;
	return ev;
}

/* What fd is ready for now. */
static short fd_events(struct linux_proc *proc, uint64_t fd)
{
	struct linux_file *f = linux_fd_get(proc, fd);
	return f ? linux_file_poll(proc, f) : POLLNVAL;
}

uint64_t linux_poll_deadline(int64_t timeout_ns)
{
	uint64_t deadline;
	if (timeout_ns < 0)
		return UINT64_MAX;
	if (__builtin_add_overflow(now_ns(), (uint64_t)timeout_ns, &deadline))
		return UINT64_MAX - 1;
	return deadline;
}

bool linux_poll_wait_more(struct linux_proc *proc, uint64_t deadline, long *err)
{
	if (deadline != UINT64_MAX && now_ns() >= deadline)
		return false;
	if (linux_block_until(proc, deadline == UINT64_MAX ? 0 : deadline)) {
		*err = -EINTR;
		return false;
	}
	return !proc->retry_expired; /* a retried wait timed out at its first deadline */
}

static long do_poll(struct linux_proc *proc, uint64_t ufds, uint64_t nfds, int64_t timeout_ns)
{
	if (nfds > LINUX_MAX_FDS)
		return -EINVAL; /* above RLIMIT_NOFILE, as Linux */
	uint8_t pfd[LINUX_MAX_FDS * 8];
	if (linux_copy_in(proc, pfd, ufds, nfds * 8) < 0 ||
	    linux_user_access(proc, ufds, nfds * 8, true) < 0)
		return -EFAULT;
	uint64_t deadline = linux_poll_deadline(timeout_ns);
	long err = 0;
	do {
		long ready = 0;
		for (uint64_t i = 0; i < nfds; i++) {
			int32_t fd;
			short events, revents = 0;
			memcpy(&fd, pfd + 8 * i, 4);
			memcpy(&events, pfd + 8 * i + 4, 2);
			if (fd >= 0)
				revents = fd_events(proc, (uint64_t)fd) &
					  (events | POLLERR | POLLHUP | POLLNVAL);
			memcpy(pfd + 8 * i + 6, &revents, 2);
			ready += revents != 0;
		}
		if (ready || timeout_ns == 0)
			return linux_copy_out(proc, ufds, pfd, nfds * 8) < 0 ? -EFAULT : ready;
	} while (linux_poll_wait_more(proc, deadline, &err));
	if (err == 0 && linux_copy_out(proc, ufds, pfd, nfds * 8) < 0)
		return -EFAULT; /* timed out: every revents 0 */
	return err;
}

long linux_timeout_in(struct linux_proc *proc, uint64_t addr, bool usec, int64_t *ns)
{
	int64_t t[2];
	if (!addr) {
		*ns = -1;
		return 0;
	}
	if (linux_copy_in(proc, t, addr, sizeof(t)) < 0)
		return -EFAULT;
	int64_t unit = usec ? 1000 : 1;
	if (t[0] < 0 || t[1] < 0 || t[1] >= (int64_t)NS_PER_SEC / unit)
		return -EINVAL;
	*ns = t[0] > (int64_t)(INT64_MAX / NS_PER_SEC) - 1
		  ? INT64_MAX / 2
		  : t[0] * (int64_t)NS_PER_SEC + t[1] * unit;
	return 0;
}

/* Writes back the time left of a timeout that started at start, as Linux. */
static void timeout_out(struct linux_proc *proc, uint64_t addr, bool usec, int64_t ns,
			uint64_t start)
{
	if (!addr || ns < 0)
		return;
	uint64_t spent = now_ns() - start;
	uint64_t left = (uint64_t)ns > spent ? (uint64_t)ns - spent : 0;
	int64_t t[2] = {(int64_t)(left / NS_PER_SEC),
			(int64_t)(left % NS_PER_SEC) / (usec ? 1000 : 1)};
	(void)linux_copy_out(proc, addr, t, sizeof(t));
}

/* A sigmask argument (ppoll, pselect6): checked, as no signal arrives
 * while a single task waits, applying it changes nothing. */
long linux_sigmask_in(struct linux_proc *proc, uint64_t addr, uint64_t size)
{
	uint64_t mask;
	if (!addr)
		return 0;
	if (size != 8)
		return -EINVAL;
	return linux_copy_in(proc, &mask, addr, sizeof(mask));
}

long linux_sys_poll(struct linux_proc *proc, const uint64_t *a)
{
	int32_t ms = (int32_t)a[2];
	return do_poll(proc, a[0], a[1], ms < 0 ? -1 : (int64_t)ms * 1000000);
}

long linux_sys_ppoll(struct linux_proc *proc, const uint64_t *a)
{
	int64_t ns;
	long rc = linux_timeout_in(proc, a[2], false, &ns);
	if (rc < 0 || (rc = linux_sigmask_in(proc, a[3], a[4])) < 0)
		return rc;
	uint64_t start = now_ns();
	rc = do_poll(proc, a[0], a[1], ns);
	timeout_out(proc, a[2], false, ns, start);
	return rc;
}

/* One fd_set of select: nfds bits in words, or absent. */
struct fdset {
	uint64_t addr;
	uint64_t in[L_FD_SETSIZE / 64], out[L_FD_SETSIZE / 64];
};

static long do_select(struct linux_proc *proc, uint64_t nfds, struct fdset sets[3],
		      int64_t timeout_ns)
{
	static const short want[3] = {POLLIN_SET, POLLOUT_SET, POLLPRI};
	if ((int64_t)(int32_t)nfds < 0)
		return -EINVAL;
	if (nfds > L_FD_SETSIZE)
		nfds = L_FD_SETSIZE;
	uint64_t bytes = (nfds + 63) / 64 * 8;
	for (int s = 0; s < 3; s++) {
		memset(sets[s].in, 0, sizeof(sets[s].in));
		if (sets[s].addr && linux_copy_in(proc, sets[s].in, sets[s].addr, bytes) < 0)
			return -EFAULT;
	}
	uint64_t deadline = linux_poll_deadline(timeout_ns);
	long err = 0;
	do {
		long ready = 0;
		for (int s = 0; s < 3; s++)
			memset(sets[s].out, 0, sizeof(sets[s].out));
		for (uint64_t fd = 0; fd < nfds; fd++) {
			uint64_t word = fd / 64, bit = 1ULL << (fd % 64);
			if (!((sets[0].in[word] | sets[1].in[word] | sets[2].in[word]) & bit))
				continue;
			short ev = fd_events(proc, fd);
			if (ev & POLLNVAL)
				return -EBADF;
			for (int s = 0; s < 3; s++)
				if ((sets[s].in[word] & bit) && (ev & want[s])) {
					sets[s].out[word] |= bit;
					ready++;
				}
		}
		if (ready || timeout_ns == 0) {
			for (int s = 0; s < 3; s++)
				if (sets[s].addr &&
				    linux_copy_out(proc, sets[s].addr, sets[s].out, bytes) < 0)
					return -EFAULT;
			return ready;
		}
	} while (linux_poll_wait_more(proc, deadline, &err));
	if (err == 0) /* timed out: every set comes back empty */
		for (int s = 0; s < 3; s++)
			if (sets[s].addr &&
			    linux_copy_out(proc, sets[s].addr, sets[s].out, bytes) < 0)
				return -EFAULT;
	return err;
}

static long select_common(struct linux_proc *proc, const uint64_t *a, bool pselect)
{
	struct fdset sets[3] = {{.addr = a[1]}, {.addr = a[2]}, {.addr = a[3]}};
	int64_t ns;
	long rc = linux_timeout_in(proc, a[4], !pselect, &ns);
	if (rc < 0)
		return rc;
	if (pselect && a[5]) {
		uint64_t ss[2]; /* {const sigset_t *, size_t} */
		if (linux_copy_in(proc, ss, a[5], sizeof(ss)) < 0)
			return -EFAULT;
		if ((rc = linux_sigmask_in(proc, ss[0], ss[1])) < 0)
			return rc;
	}
	uint64_t start = now_ns();
	rc = do_select(proc, a[0], sets, ns);
	timeout_out(proc, a[4], !pselect, ns, start);
	return rc;
}

long linux_sys_select(struct linux_proc *proc, const uint64_t *a)
{
	return select_common(proc, a, false);
}

long linux_sys_pselect6(struct linux_proc *proc, const uint64_t *a)
{
	return select_common(proc, a, true);
}
