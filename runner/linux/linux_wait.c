/* Waiting for children in a Linux-ABI guest: wait4 and waitid over the caller's own children (by pid, group or any), statuses encoded as Linux's, zombies reaped. */
#include <errno.h>
#include <string.h>

#include "linux.h"

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
#define L_SIGCHLD    17
#define L_CLD_EXITED 1
#define L_CLD_KILLED 2
#define RUSAGE_SIZE  144

/* Which children a wait names: one pid, one group, or any. */
struct wait_sel {
	enum { SEL_ANY, SEL_PID, SEL_PGID } kind;
	int id;
};

static bool selected(const struct linux_task *t, const struct wait_sel *sel)
{
	return sel->kind == SEL_ANY || (sel->kind == SEL_PID ? t->pid : t->pgid) == sel->id;
}

/*
 * The caller's child the selector names that is a zombie (*found), or
 * NULL: -ECHILD when it has no such child at all, 0 when it has one still
 * running. Only the caller's own children: never another task's.
 */
static long find_zombie(struct linux_proc *proc, const struct wait_sel *sel,
			struct linux_task **found)
{
	bool any = false;
	*found = NULL;
	for (unsigned i = 0; i < proc->ntasks; i++) {
		struct linux_task *t = proc->tasks[i];
		if (t->ppid != proc->cur->tgid || !selected(t, sel))
			continue;
		any = true;
		if (t->run == LINUX_TASK_ZOMBIE) {
			*found = t;
			return 0;
		}
	}
	return any ? 0 : -ECHILD;
}

/* A zombie child, waiting for one unless nohang: 0 with *found NULL
 * (nohang, none yet), -ECHILD, or a blocked call's -LINUX_ERESTARTSYS. */
static long wait_child(struct linux_proc *proc, const struct wait_sel *sel, bool nohang,
		       struct linux_task **found)
{
	long rc = find_zombie(proc, sel, found);
	if (rc < 0 || *found || nohang)
		return rc;
	/* A child's exit bumps wake_gen: the scheduler retries this call. */
	linux_block_until(proc, 0);
	return -LINUX_ERESTARTSYS;
}

long linux_sys_wait4(struct linux_proc *proc, const uint64_t *a)
{
	if (a[2] &
	    ~(uint64_t)(L_WNOHANG | L_WSTOPPED | L_WCONTINUED | L_WNOTHREAD | L_WCLONE | L_WALL))
		return -EINVAL;
	int32_t pid = (int32_t)a[0];
	if (pid == INT32_MIN)
		return -ESRCH;
	struct wait_sel sel = {SEL_ANY, 0};
	if (pid > 0)
		sel = (struct wait_sel){SEL_PID, pid};
	else if (pid == 0)
		sel = (struct wait_sel){SEL_PGID, proc->cur->pgid};
	else if (pid < -1)
		sel = (struct wait_sel){SEL_PGID, -pid};
	struct linux_task *child;
	long rc = wait_child(proc, &sel, a[2] & L_WNOHANG, &child);
	if (rc < 0 || !child)
		return rc;
	int32_t status = child->wstatus;
	if (a[1] && linux_copy_out(proc, a[1], &status, sizeof(status)) < 0)
		return -EFAULT;
	static const uint8_t no_usage[RUSAGE_SIZE];
	if (a[3] && linux_copy_out(proc, a[3], no_usage, sizeof(no_usage)) < 0)
		return -EFAULT;
	int child_pid = child->pid;
	linux_task_reap(proc, child);
	return child_pid;
}

long linux_sys_waitid(struct linux_proc *proc, const uint64_t *a)
{
	if (a[3] & ~(uint64_t)(L_WNOHANG | L_WNOWAIT | L_WEXITED | L_WSTOPPED | L_WCONTINUED |
			       L_WNOTHREAD | L_WCLONE | L_WALL))
		return -EINVAL;
	if (!(a[3] & (L_WEXITED | L_WSTOPPED | L_WCONTINUED)))
		return -EINVAL;
	struct wait_sel sel = {SEL_ANY, 0};
	switch (a[0]) {
	case L_P_ALL: break;
	case L_P_PID:
	case L_P_PGID:
		if ((int32_t)a[1] < (a[0] == L_P_PID ? 1 : 0))
			return -EINVAL;
		sel = (struct wait_sel){a[0] == L_P_PID ? SEL_PID : SEL_PGID, (int32_t)a[1]};
		if (sel.kind == SEL_PGID && sel.id == 0)
			sel.id = proc->cur->pgid;
		break;
	case L_P_PIDFD: return -EBADF; /* no fd of the VM is a pidfd */
	default: return -EINVAL;
	}
	struct linux_task *child = NULL;
	long rc = (a[3] & L_WEXITED) ? wait_child(proc, &sel, a[3] & L_WNOHANG, &child)
				     : find_zombie(proc, &sel, &child);
	if (rc < 0)
		return rc;
	/* struct siginfo: signo, errno, code, then pid, uid, status. */
	int32_t info[32] = {0};
	if (child && (a[3] & L_WEXITED)) {
		bool killed = child->wstatus & 0x7F;
		info[0] = L_SIGCHLD;
		info[2] = killed ? L_CLD_KILLED : L_CLD_EXITED;
		info[4] = child->pid;
		info[6] = killed ? child->wstatus & 0x7F : (child->wstatus >> 8) & 0xFF;
	}
	if (a[2] && linux_copy_out(proc, a[2], info, sizeof(info)) < 0)
		return -EFAULT;
	static const uint8_t no_usage[RUSAGE_SIZE];
	if (a[4] && linux_copy_out(proc, a[4], no_usage, sizeof(no_usage)) < 0)
		return -EFAULT;
	if (child && (a[3] & L_WEXITED) && !(a[3] & L_WNOWAIT))
		linux_task_reap(proc, child);
	return 0;
}
