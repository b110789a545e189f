/* Processes of a Linux-ABI guest, as far as one process goes today: its ids (pid 1, session and group leader, no parent), kill to a pid, its group or -1, and wait4/waitid with no child (ECHILD). */
#include <errno.h>

#include "linux.h"

/* The VM's first process, as a container's init: pid 1 in its own pid
 * namespace, leader of session 1 and process group 1, parent 0. */
#define INIT_PID 1

#define L_WNOHANG    0x00000001U
#define L_WSTOPPED   0x00000002U /* WUNTRACED */
#define L_WEXITED    0x00000004U
#define L_WCONTINUED 0x00000008U
#define L_WNOWAIT    0x01000000U
#define L_WNOTHREAD  0x20000000U
#define L_WALL	     0x40000000U
#define L_WCLONE     0x80000000U
#define L_P_ALL	     0
#define L_P_PID	     1
#define L_P_PGID     2
#define L_P_PIDFD    3

/* pid 0 means the caller, as getpgid/getsid/setpgid take it. */
static bool is_self(uint64_t pid)
{
	return (int32_t)pid == 0 || (int32_t)pid == INIT_PID;
}

long linux_sys_getpid(struct linux_proc *proc, const uint64_t *a)
{
	return INIT_PID; /* also gettid and getpgrp: one thread, its own group */
}

long linux_sys_getppid(struct linux_proc *proc, const uint64_t *a)
{
	return 0; /* its parent is outside the VM's pid namespace */
}

long linux_sys_getpgid(struct linux_proc *proc, const uint64_t *a)
{
	if ((int32_t)a[0] < 0)
		return -ESRCH;
	return is_self(a[0]) ? INIT_PID : -ESRCH; /* also getsid */
}

long linux_sys_setpgid(struct linux_proc *proc, const uint64_t *a)
{
	if ((int32_t)a[1] < 0)
		return -EINVAL;
	if (!is_self(a[0]))
		return -ESRCH;
	return -EPERM; /* a session leader's group never changes */
}

long linux_sys_setsid(struct linux_proc *proc, const uint64_t *a)
{
	return -EPERM; /* already a process group leader */
}

long linux_sys_kill(struct linux_proc *proc, const uint64_t *a)
{
	int32_t pid = (int32_t)a[0];
	if (a[1] > LINUX_NSIG)
		return -EINVAL;
	if (pid == INIT_PID || pid == 0) /* itself, or its own group */
		return linux_signal_raise(proc, a[1]);
	/* -1: every process but init and the caller (none here); -N: group
	 * N, and group 1 can only be named as 0 (-1 is everyone). */
	return -ESRCH;
}

long linux_sys_tgkill(struct linux_proc *proc, const uint64_t *a)
{
	if ((int32_t)a[0] <= 0 || (int32_t)a[1] <= 0 || a[2] > LINUX_NSIG)
		return -EINVAL;
	if (a[0] != INIT_PID || a[1] != INIT_PID)
		return -ESRCH;
	return linux_signal_raise(proc, a[2]);
}

long linux_sys_tkill(struct linux_proc *proc, const uint64_t *a)
{
	if ((int32_t)a[0] <= 0 || a[1] > LINUX_NSIG)
		return -EINVAL;
	if (a[0] != INIT_PID)
		return -ESRCH;
	return linux_signal_raise(proc, a[1]);
}

long linux_sys_wait4(struct linux_proc *proc, const uint64_t *a)
{
	if (a[2] &
	    ~(uint64_t)(L_WNOHANG | L_WSTOPPED | L_WCONTINUED | L_WNOTHREAD | L_WCLONE | L_WALL))
		return -EINVAL;
	if ((int32_t)a[0] == INT32_MIN)
		return -ESRCH;
	return -ECHILD; /* no child to wait for */
}

long linux_sys_waitid(struct linux_proc *proc, const uint64_t *a)
{
	if (a[3] & ~(uint64_t)(L_WNOHANG | L_WNOWAIT | L_WEXITED | L_WSTOPPED | L_WCONTINUED |
			       L_WNOTHREAD | L_WCLONE | L_WALL))
		return -EINVAL;
	if (!(a[3] & (L_WEXITED | L_WSTOPPED | L_WCONTINUED)))
		return -EINVAL;
	switch (a[0]) {
	case L_P_ALL: break;
	case L_P_PID:
	case L_P_PGID:
		if ((int32_t)a[1] < (a[0] == L_P_PID ? 1 : 0))
			return -EINVAL;
		break;
	case L_P_PIDFD: return -EBADF; /* no fd of the VM is a pidfd */
	default: return -EINVAL;
	}
	return -ECHILD;
}
