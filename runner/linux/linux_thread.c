/* Threads of a Linux-ABI guest: thread groups (the leader's pid is the process's), their shared fds, cwd and signal actions kept the same in every thread's copy, a thread's exit (robust futex list, CLEARTID wake), exec from a multi-threaded process, gettid, set_tid_address, set_robust_list. */
#include <errno.h>
#include <string.h>

#include "linux.h"

#define ROBUST_LIST_LIMIT 2048 /* entries walked at most, as Linux: a loop ends there */
#define ROBUST_HEAD_SIZE  24   /* struct robust_list_head: list, futex_offset, list_op_pending */
#define FUTEX_WAITERS	  0x80000000u
#define FUTEX_OWNER_DIED  0x40000000u
#define FUTEX_TID_MASK	  0x3FFFFFFFu

bool linux_thread_alive(const struct linux_task *t)
{
	return t->run != LINUX_TASK_ZOMBIE && t->run != LINUX_TASK_EXITED;
}

struct linux_task *linux_thread_leader(struct linux_proc *proc, struct linux_task *t)
{
	if (t->pid == t->tgid)
		return t;
	struct linux_task *leader = linux_task_find(proc, t->tgid);
	return leader ? leader : t;
}

unsigned linux_thread_count(const struct linux_proc *proc, int tgid)
{
	unsigned n = 0;
	for (unsigned i = 0; i < proc->ntasks; i++)
		n += proc->tasks[i]->tgid == tgid && linux_thread_alive(proc->tasks[i]);
	return n;
}

const struct linux_task_state *linux_thread_group_state(struct linux_proc *proc,
							const struct linux_task *leader)
{
	if (proc->cur->tgid == leader->pid && linux_thread_alive(proc->cur))
		return &proc->task_state;
	if (linux_thread_alive(leader))
		return &leader->saved;
	for (unsigned i = 0; i < proc->ntasks; i++)
		if (proc->tasks[i]->tgid == leader->pid && linux_thread_alive(proc->tasks[i]))
			return &proc->tasks[i]->saved;
	return NULL;
}

void linux_thread_sync(struct linux_proc *proc)
{
	const struct linux_task *cur = proc->cur;
	if (!linux_thread_alive(cur))
		return;
	for (unsigned i = 0; i < proc->ntasks; i++) {
		struct linux_task *t = proc->tasks[i];
		if (t == cur || t->tgid != cur->tgid || !linux_thread_alive(t))
			continue;
		/* One table the group holds one reference on, in every copy. */
		memcpy(t->saved.fds, proc->fds, sizeof(proc->fds));
		t->saved.cwd = proc->cwd;
		memcpy(t->saved.actions, proc->actions, sizeof(proc->actions));
	}
}

/* The futex word of a robust mutex t held: owner died, one waiter woken. */
static void futex_death(struct linux_proc *proc, uint64_t uaddr, int tid)
{
	uint32_t val;
	if (uaddr % 4 || linux_copy_in(proc, &val, uaddr, sizeof(val)) < 0)
		return;
	if ((val & FUTEX_TID_MASK) != (uint32_t)tid)
		return;
	uint32_t next = (val & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
	if (linux_copy_out(proc, uaddr, &next, sizeof(next)) < 0)
		return;
	if (val & FUTEX_WAITERS)
		(void)linux_futex_wake_addr(proc, uaddr, 1);
}

/* Walks t's robust list in untrusted memory: at most ROBUST_LIST_LIMIT
 * entries, so a list that loops ends. */
static void robust_walk(struct linux_proc *proc, struct linux_task *t)
{
	uint64_t head[3];
	if (!t->robust_list || linux_copy_in(proc, head, t->robust_list, sizeof(head)) < 0)
		return;
	uint64_t entry = head[0], pending = head[2] & ~1ULL;
	int64_t offset = (int64_t)head[1];
	for (unsigned n = 0; entry != t->robust_list && n < ROBUST_LIST_LIMIT; n++) {
		uint64_t next, at = entry & ~1ULL; /* bit 0: a PI mutex */
		if (linux_copy_in(proc, &next, at, sizeof(next)) < 0)
			break;
		if (at != pending)
			futex_death(proc, at + (uint64_t)offset, t->pid);
		entry = next;
	}
	if (pending)
		futex_death(proc, pending + (uint64_t)offset, t->pid);
	t->robust_list = 0;
}

/* What Linux's mm_release does for a thread leaving an address space the
 * running task uses: robust mutexes it held, then CLEARTID: 0 and a wake. */
static void mm_release(struct linux_proc *proc, struct linux_task *t)
{
	robust_walk(proc, t);
	uint64_t *ctid = t == proc->cur ? &proc->clear_child_tid : &t->saved.clear_child_tid;
	if (!*ctid)
		return;
	const uint32_t zero = 0;
	if (linux_copy_out(proc, *ctid, &zero, sizeof(zero)) == 0)
		(void)linux_futex_wake_addr(proc, *ctid, 1);
	*ctid = 0;
}

void linux_thread_mm_release_all(struct linux_proc *proc, int tgid)
{
	for (unsigned i = 0; i < proc->ntasks; i++)
		if (proc->tasks[i]->tgid == tgid && linux_thread_alive(proc->tasks[i]))
			mm_release(proc, proc->tasks[i]);
}

void linux_thread_exit(struct linux_proc *proc, int wstatus)
{
	struct linux_task *cur = proc->cur;
	if (linux_thread_count(proc, cur->tgid) <= 1) {
		linux_task_exit(proc, wstatus); /* the last thread: the process ends */
		return;
	}
	linux_account(proc); /* its CPU time up to its end */
	mm_release(proc, cur);
	linux_thread_sync(proc); /* the others hold the group's files now */
	linux_task_drop_state(proc, cur, false);
	cur->futex.state = FUTEX_IDLE;
	if (cur->pid == cur->tgid) {
		cur->run = LINUX_TASK_EXITED; /* wait sees it once the group is gone */
		cur->wstatus = wstatus;
	} else {
		cur->run = LINUX_TASK_ZOMBIE;
		cur->autoreap = true;
	}
	proc->resched = true;
	proc->wake_gen++;
}

void linux_thread_exec(struct linux_proc *proc)
{
	struct linux_task *cur = proc->cur, *leader = linux_thread_leader(proc, cur);
	proc->clear_child_tid = 0;
	cur->robust_list = 0;
	for (unsigned i = 0; i < proc->ntasks;) {
		struct linux_task *t = proc->tasks[i];
		if (t->tgid != cur->tgid || t == cur || t == leader) {
			i++;
			continue;
		}
		if (linux_thread_alive(t))
			linux_task_drop_state(proc, t, false);
		linux_task_reap(proc, t); /* the last task moved to i */
	}
	if (leader != cur) {
		/* The exec'ing thread becomes the process: the leader's pid and place. */
		if (linux_thread_alive(leader))
			linux_task_drop_state(proc, leader, false);
		cur->pid = leader->pid;
		cur->ppid = leader->ppid;
		cur->pgid = leader->pgid;
		cur->sid = leader->sid;
		cur->exit_signal = leader->exit_signal;
		cur->group_pending = leader->group_pending;
		for (unsigned i = 0; i < proc->ntasks; i++)
			if (proc->tasks[i]->vfork_child == leader)
				proc->tasks[i]->vfork_child = cur;
		linux_task_reap(proc, leader);
	}
	cur->tgid = cur->pid;
}

/* ---- the calls ---- */

long linux_sys_gettid(struct linux_proc *proc, const uint64_t *a)
{
	return proc->cur->pid;
}

long linux_sys_exit(struct linux_proc *proc, const uint64_t *a)
{
	linux_thread_exit(proc, (int)(a[0] & 0xFF) << 8);
	return 0;
}

long linux_sys_set_tid_address(struct linux_proc *proc, const uint64_t *a)
{
	proc->clear_child_tid = a[0];
	return proc->cur->pid;
}

long linux_sys_set_robust_list(struct linux_proc *proc, const uint64_t *a)
{
	if (a[1] != ROBUST_HEAD_SIZE)
		return -EINVAL;
	proc->cur->robust_list = a[0]; /* read only at the thread's death */
	return 0;
}

long linux_sys_get_robust_list(struct linux_proc *proc, const uint64_t *a)
{
	const struct linux_task *t = a[0] ? linux_task_find(proc, (int32_t)a[0]) : proc->cur;
	if ((int32_t)a[0] < 0 || !t)
		return -ESRCH;
	if (t->tgid != proc->cur->tgid)
		return -EPERM; /* only the caller's own threads */
	const uint64_t len = ROBUST_HEAD_SIZE;
	if (linux_copy_out(proc, a[1], &t->robust_list, sizeof(t->robust_list)) < 0 ||
	    linux_copy_out(proc, a[2], &len, sizeof(len)) < 0)
		return -EFAULT;
	return 0;
}
