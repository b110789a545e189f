/* Tasks sharing the one vCPU of a Linux-ABI guest: a call that blocks gives the vCPU to another task and is retried when something happened (any call served, an exit, a signal; a futex wait only for its wake) or its deadline passed; with every task blocked the vCPU thread waits. Also sched_yield, affinity, policy and getcpu. */
#include <errno.h>
#include <pthread.h>

#include "linux.h"

static bool runnable(struct linux_proc *proc, const struct linux_task *t, uint64_t now)
{
	if (linux_task_stopped(proc, t))
		return false; /* until SIGCONT (or SIGKILL) */
	if (t->run == LINUX_TASK_RUNNABLE)
		return true;
	if (t->run != LINUX_TASK_BLOCKED)
		return false;
	bool deadline = t->block_deadline && now >= t->block_deadline;
	bool signalled = linux_task_sigpending(proc, t) & ~t->saved.sigmask;
	if (t->futex.state == FUTEX_QUEUED) /* not every call served: only its wake */
		return deadline || signalled;
	return t->block_gen != proc->wake_gen || deadline || signalled ||
	       t->futex.state == FUTEX_WOKEN;
}

/* The next task after the running one (round robin) that can run: itself
 * last, if with_cur and it can. NULL: none. */
static struct linux_task *pick(struct linux_proc *proc, bool with_cur)
{
	unsigned n = proc->ntasks, at = 0;
	while (at < n && proc->tasks[at] != proc->cur)
		at++;
	uint64_t now = now_ns();
	for (unsigned k = 1; k <= n; k++) {
		struct linux_task *t = proc->tasks[(at + k) % n];
		if (t != proc->cur
			? runnable(proc, t, now)
			: with_cur && t->run == LINUX_TASK_RUNNABLE && !linux_task_stopped(proc, t))
			return t;
	}
	return NULL;
}

/* The earliest deadline of another blocked task, or 0. */
static uint64_t others_deadline(const struct linux_proc *proc)
{
	uint64_t first = 0;
	for (unsigned i = 0; i < proc->ntasks; i++) {
		const struct linux_task *t = proc->tasks[i];
		if (t != proc->cur && t->run == LINUX_TASK_BLOCKED && t->block_deadline &&
		    (!first || t->block_deadline < first))
			first = t->block_deadline;
	}
	return first;
}

bool linux_block_until(struct linux_proc *proc, uint64_t deadline)
{
	if (proc->retry_deadline && deadline)
		deadline = proc->retry_deadline; /* a retried call keeps its first deadline */
	proc->retry_deadline = 0;
	for (;;) {
		if (deadline && now_ns() >= deadline)
			return false;
		if (linux_task_sigpending(proc, proc->cur) & ~proc->sigmask)
			return true; /* a timer's signal to deliver: the call gives up (EINTR) */
		if (linux_spawn_poll(proc, true)) /* `lockvm exec`: a new task, or a kill */
			return true;
		if (proc->ntasks > 1 && pick(proc, false)) {
			/* Another task runs; this call is retried later. */
			proc->cur_blocked = true;
			proc->resched = true;
			proc->cur->block_deadline = deadline;
			return true;
		}
		/* Nothing inside the VM can wake it but another task's deadline:
		 * wait for that, its own, a host signal or the VM's end;
		 * vm_wait_locked() caps it at --timeout. */
		uint64_t wake = others_deadline(proc), timer = linux_timers_next(proc);
		if (deadline && (!wake || deadline < wake))
			wake = deadline;
		if (timer && (!wake || timer < wake))
			wake = timer;
		wake = linux_net_wake(wake); /* lwIP's timers run while every task waits */
		pthread_mutex_lock(&proc->vm->lock);
		if (!linux_signal_host_ready(proc) && !linux_net_pending(proc))
			(void)vm_wait_locked(proc->vm, wake, &proc->signal_generation);
		pthread_mutex_unlock(&proc->vm->lock);
		if (linux_net_run(proc)) { /* frames and timers served: a socket changed */
			proc->wake_gen++;  /* blocked tasks look again */
			if (linux_net_watched(proc))
				return false; /* and so does this call, which polls a socket */
		}
		/* Past --timeout the VM is ending even before the main thread says so. */
		if (vm_is_ending(proc->vm) ||
		    (proc->vm->deadline_ns && now_ns() >= proc->vm->deadline_ns))
			return true;
		if (linux_signal_host_ready(proc) && linux_signal_host_wakes(proc))
			return true; /* a handler runs: the call gives up (EINTR or restart) */
		if (vm_is_ending(proc->vm))
			return true; /* the default action ended it */
		if (linux_timers_run(proc) &&
		    !(linux_task_sigpending(proc, proc->cur) & ~proc->sigmask)) {
			/* A timerfd expired or a signal went to a task: the call
			 * looks again (or another task runs), keeping its deadline. */
			proc->cur_blocked = true;
			proc->resched = true;
			proc->retry_soon = true;
			proc->cur->block_deadline = deadline;
			proc->retry_deadline = deadline;
			return true;
		}
	}
}

void linux_sched_tasks_changed(struct linux_proc *proc)
{
	/* An armed timer needs the kicks too: a task that spins sees its signal. */
	bool slices = proc->ntasks > 1 || linux_timers_next(proc);
	vm_set_slice(proc->vm, slices ? LINUX_SLICE_MS : 0);
}

bool linux_sched_preempt(struct linux_proc *proc, struct linux_regs *regs)
{
	linux_account(proc); /* its slice so far */
	proc->regs_replaced = false;
	if (linux_timers_run(proc) && !vm_is_ending(proc->vm)) {
		if (proc->resched) { /* a timer's signal ended the running task */
			linux_sched_switch(proc, regs);
			return proc->regs_replaced;
		}
		linux_task_deliver_pending(proc, regs); /* its handler runs now */
	}
	if (vm_is_ending(proc->vm) || proc->ntasks < 2 || !pick(proc, false))
		return proc->regs_replaced;
	proc->resched = true;
	linux_sched_switch(proc, regs);
	return proc->regs_replaced;
}

static bool any_stopped(struct linux_proc *proc)
{
	for (unsigned i = 0; i < proc->ntasks; i++)
		if (proc->tasks[i]->stopped)
			return true;
	return false;
}

/* The running thread is gone or stopped and nothing can run yet: the vCPU
 * thread waits (using no CPU) for the first deadline of a blocked task or
 * timer, or, while a process is stopped, for what can continue it: a host
 * signal for pid 1, a `lockvm exec` request or its kill. NULL: none will
 * come, or the VM ends. */
static struct linux_task *wait_for_task(struct linux_proc *proc)
{
	for (;;) {
		struct linux_task *next = pick(proc, true);
		uint64_t wake = others_deadline(proc), timer = linux_timers_next(proc);
		if (timer && (wake == 0 || timer < wake))
			wake = timer; /* a timer's signal may make a task runnable */
		if (next || vm_is_ending(proc->vm) || (!wake && !any_stopped(proc)))
			return next;
		pthread_mutex_lock(&proc->vm->lock);
		if (!linux_signal_host_ready(proc))
			(void)vm_wait_locked(proc->vm, wake, &proc->signal_generation);
		pthread_mutex_unlock(&proc->vm->lock);
		if (vm_is_ending(proc->vm) ||
		    (proc->vm->deadline_ns && now_ns() >= proc->vm->deadline_ns))
			return NULL;
		(void)linux_timers_run(proc); /* a signal sent makes its task runnable */
		(void)linux_spawn_poll(proc, true);
		if (linux_signal_host_ready(proc) && linux_signal_host_wakes(proc)) {
			proc->wake_gen++; /* pid 1's blocked call looks again, and takes it */
			if (!pick(proc, true)) { /* it cannot yet (a futex wait): no hot loop */
				pthread_mutex_lock(&proc->vm->lock);
				(void)vm_wait_locked(proc->vm, now_ns() + 10000000ULL, NULL);
				pthread_mutex_unlock(&proc->vm->lock);
			}
		}
	}
}

void linux_sched_switch(struct linux_proc *proc, struct linux_regs *regs)
{
	struct linux_task *cur = proc->cur;
	proc->resched = false;
	if (proc->cur_blocked && cur->run == LINUX_TASK_RUNNABLE) {
		cur->run = LINUX_TASK_BLOCKED;
		/* retry_soon: what it waits for may have come (a timer fired) */
		cur->block_gen = proc->wake_gen - (proc->retry_soon ? 1 : 0);
	}
	proc->cur_blocked = false;
	proc->retry_soon = false;
	struct linux_task *next = pick(proc, true);
	if (!next && (!linux_thread_alive(cur) || linux_task_stopped(proc, cur)))
		next = wait_for_task(proc);
	if (!next) {
		if (vm_is_ending(proc->vm))
			return;
		/* Every task waits on another's vfork, or a retry finds its own
		 * call still blocked: the running task retries at once. Never
		 * a dead or stopped one (past --timeout, vm_end says 124). */
		if (!linux_thread_alive(cur) || linux_task_stopped(proc, cur)) {
			vm_end(proc->vm, EXIT_GUEST_ERROR, "linux: no task left to run");
			return;
		}
		cur->run = LINUX_TASK_RUNNABLE;
		return;
	}
	if (next == cur)
		return;
	linux_thread_sync(proc); /* its threads see its fds, cwd and actions */
	linux_account(proc);	 /* the CPU time so far is cur's */
	cur->regs = *regs;
	if (linux_thread_alive(cur))
		cur->fpu = *linux_fpu_cur(proc);
	linux_fpu_set(proc, &next->fpu);
	cur->saved = proc->task_state;
	proc->task_state = next->saved;
	*regs = next->regs;
	proc->cur = next;
	if (cur->autoreap)
		linux_task_reap(proc, cur); /* an exited thread: nobody waits for it */
	bool signalled = linux_task_sigpending(proc, next) & ~proc->sigmask;
	/* A woken futex wait returns 0 here, not by a retried SYSCALL (one exit
	 * less per wake); a signalled one EINTR, then the handler. */
	bool done =
	    next->run == LINUX_TASK_BLOCKED &&
	    (next->futex.state == FUTEX_WOKEN || (signalled && next->futex.state != FUTEX_IDLE));
	if (done)
		linux_futex_interrupt(next, regs);
	bool retry = next->run == LINUX_TASK_BLOCKED && !done; /* back at its SYSCALL */
	proc->retry_deadline =
	    next->run == LINUX_TASK_BLOCKED && !signalled && !done ? next->block_deadline : 0;
	next->run = LINUX_TASK_RUNNABLE;
	proc->fs_base_dirty = true;
	proc->regs_replaced = true;
	proc->regs = regs;
	if (next->set_child_tid) {
		int32_t tid = next->pid;
		(void)linux_copy_out(proc, next->set_child_tid, &tid, sizeof(tid));
		next->set_child_tid = 0;
	}
	uint64_t at = regs->rip;
	linux_task_deliver_pending(proc, regs);
	proc->retry_call = retry && regs->rip == at; /* no handler entered first */
}

/* ---- the calls ---- */

long linux_sys_sched_yield(struct linux_proc *proc, const uint64_t *a)
{
	proc->resched = true; /* another runnable task first, itself last */
	return 0;
}

/* pid 0 (the caller) or a live task of the VM. */
static long sched_target(struct linux_proc *proc, uint64_t pid)
{
	if ((int32_t)pid < 0)
		return -EINVAL;
	const struct linux_task *t = pid ? linux_task_find(proc, (int32_t)pid) : proc->cur;
	return t && linux_thread_alive(t) ? 0 : -ESRCH;
}

/* The VM's vCPUs as a CPU mask: all a task may run on. */
static uint64_t vcpu_mask(const struct linux_proc *proc)
{
	unsigned n = proc->vm->vcpu_count;
	return n == 0 ? 1 : n >= 64 ? ~0ULL : (1ULL << n) - 1;
}

long linux_sys_sched_getaffinity(struct linux_proc *proc, const uint64_t *a)
{
	long rc = sched_target(proc, a[0]);
	if (rc < 0)
		return rc;
	if (a[1] < sizeof(uint64_t) || a[1] % sizeof(uint64_t))
		return -EINVAL;
	uint64_t mask = vcpu_mask(proc);
	return linux_copy_out(proc, a[2], &mask, sizeof(mask)) < 0 ? -EFAULT : (long)sizeof(mask);
}

long linux_sys_sched_setaffinity(struct linux_proc *proc, const uint64_t *a)
{
	long rc = sched_target(proc, a[0]);
	if (rc < 0)
		return rc;
	uint64_t mask = 0;
	uint64_t len = a[1] < sizeof(mask) ? a[1] : sizeof(mask);
	if (linux_copy_in(proc, &mask, a[2], len) < 0)
		return -EFAULT;
	/* Any mask naming one of the VM's vCPUs is taken; every task may run on all. */
	return (mask & vcpu_mask(proc)) ? 0 : -EINVAL;
}

long linux_sys_sched_getscheduler(struct linux_proc *proc, const uint64_t *a)
{
	long rc = sched_target(proc, a[0]);
	return rc < 0 ? rc : 0; /* SCHED_OTHER */
}

long linux_sys_sched_getparam(struct linux_proc *proc, const uint64_t *a)
{
	long rc = sched_target(proc, a[0]);
	if (rc < 0 || !a[1])
		return rc < 0 ? rc : -EINVAL;
	const int32_t priority = 0;
	return linux_copy_out(proc, a[1], &priority, sizeof(priority));
}

/* sched_get_priority_max (max) and _min: 1-99 for FIFO and RR, 0 for the rest. */
static long priority_bound(uint64_t policy, bool max)
{
	switch (policy) {
	case 1:
	case 2: return max ? 99 : 1;
	case 0:
	case 3:
	case 5:
	case 6: return 0;
	default: return -EINVAL;
	}
}

long linux_sys_sched_get_priority_max(struct linux_proc *proc, const uint64_t *a)
{
	return priority_bound(a[0], true);
}

long linux_sys_sched_get_priority_min(struct linux_proc *proc, const uint64_t *a)
{
	return priority_bound(a[0], false);
}

long linux_sys_getcpu(struct linux_proc *proc, const uint64_t *a)
{
	const uint32_t zero = 0; /* the one vCPU, node 0 */
	if (a[0] && linux_copy_out(proc, a[0], &zero, sizeof(zero)) < 0)
		return -EFAULT;
	if (a[1] && linux_copy_out(proc, a[1], &zero, sizeof(zero)) < 0)
		return -EFAULT;
	return 0;
}
