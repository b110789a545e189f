/* Tasks sharing the one vCPU of a Linux-ABI guest: a call that blocks gives the vCPU to another task and is retried when something happened (any call served, an exit, a signal; a futex wait only for its wake) or its deadline passed; with every task blocked the vCPU thread waits. Also sched_yield, affinity, policy and getcpu. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

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

/* On another vCPU than the one serving: not for this one to run. */
static bool elsewhere(const struct linux_proc *proc, const struct linux_task *t)
{
	return t->on_cpu && t->on_cpu != proc->cpu->index + 1;
}

/* The next task after the running one (round robin) that can run: itself
 * last, if with_cur and it can. NULL: none. */
static struct linux_task *pick(struct linux_proc *proc, bool with_cur)
{
	/* A socket changed in a call that blocked (its entry served the stack:
	 * linux_net_tick) or in another task's socket call: a task blocked on
	 * it retries. Else its wake is lost: pid 1's retried nanosleep took
	 * the SYN-ACK a `lockvm exec`'d wget waited for in connect, and held
	 * the lock until the sleep's end (two vCPUs). */
	if (linux_net_changed(proc))
		proc->wake_gen++;
	unsigned n = proc->ntasks, at = 0;
	while (at < n && proc->tasks[at] != proc->cur)
		at++;
	uint64_t now = now_ns();
	for (unsigned k = 1; k <= n; k++) {
		struct linux_task *t = proc->tasks[(at + k) % n];
		if (elsewhere(proc, t))
			continue;
		if (t != proc->cur
			? runnable(proc, t, now)
			: with_cur && t->run == LINUX_TASK_RUNNABLE && !linux_task_stopped(proc, t))
			return t;
	}
	return NULL;
}

/* Whether another vCPU holds a task (running, or blocked there): its
 * calls may wake one here, or it must take the lock to go on. */
static bool others_hold(const struct linux_proc *proc)
{
	for (unsigned i = 0; i < proc->ncpus; i++)
		if (&proc->cpus[i] != proc->cpu && proc->cpus[i].task)
			return true;
	return false;
}

/* Whether a task runs on another vCPU: a call it makes may wake a task
 * blocked here, so an idle vCPU looks again each slice. */
static bool others_run(const struct linux_proc *proc)
{
	for (unsigned i = 0; i < proc->ncpus; i++) {
		const struct linux_task *t = proc->cpus[i].task;
		if (&proc->cpus[i] != proc->cpu && t && t->run == LINUX_TASK_RUNNABLE)
			return true;
	}
	return false;
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
	bool retried = proc->retry_deadline && deadline;
	if (retried)
		deadline = proc->retry_deadline; /* a retried call keeps its first deadline */
	proc->retry_deadline = 0;
	proc->retry_expired = false;
	for (;;) {
		if (deadline && now_ns() >= deadline) {
			proc->retry_expired = retried; /* its caller's own deadline is later */
			return false;
		}
		if (linux_task_sigpending(proc, proc->cur) & ~proc->sigmask)
			return true; /* a timer's signal to deliver: the call gives up (EINTR) */
		if (linux_spawn_poll(proc, true)) /* `lockvm exec`: a new task, or a kill */
			return true;
		if (proc->ncpus > 1 && linux_signal_host_ready(proc) &&
		    linux_signal_host_wakes(proc))
			return true; /* a handler runs: the call gives up (EINTR or restart) */
		/* Another vCPU holds a task: the call does not wait holding the
		 * lock; this vCPU waits in the scheduler (smp_wait_for_task). */
		if ((proc->ntasks > 1 && pick(proc, false)) || others_hold(proc)) {
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

/* t, gone (a zombie or out of the table) and on no vCPU now, is freed or
 * reaped as nobody waits for it. */
static void left_behind(struct linux_proc *proc, struct linux_task *t)
{
	if (t->free_pending)
		free(t);
	else if (t->autoreap)
		linux_task_reap(proc, t); /* an exited thread: nobody waits for it */
}

void linux_sched_load(struct linux_proc *proc, struct linux_task *t)
{
	struct linux_task *old = proc->cur;
	if (old == t)
		return;
	linux_thread_sync(proc); /* its threads see its fds, cwd and actions */
	old->saved = proc->task_state;
	proc->task_state = t->saved;
	proc->cur = t;
	if (!old->on_cpu && !linux_thread_alive(old))
		left_behind(proc, old);
}

/*
 * Several vCPUs: the running task cannot go on (it blocked, exited or
 * stopped) and no other can run here. A blocked one stays on this vCPU,
 * which waits with the lock given up — for a deadline, a timer, a host
 * signal, a new runnable task, or the next slice while other vCPUs run
 * tasks (their calls may wake it) — and retries it or runs another. A
 * gone one leaves the vCPU (NULL: the caller idles without a task).
 */
static struct linux_task *smp_wait_for_task(struct linux_proc *proc)
{
	struct linux_task *cur = proc->cur;
	bool waited = false;
	for (;;) {
		if (vm_is_ending(proc->vm) ||
		    (proc->vm->deadline_ns && now_ns() >= proc->vm->deadline_ns))
			return NULL;
		(void)linux_timers_run(proc); /* a signal sent makes its task runnable */
		(void)linux_spawn_poll(proc, true);
		if (linux_net_run(proc))
			proc->wake_gen++;
		if (linux_signal_host_ready(proc) && linux_signal_host_wakes(proc))
			proc->wake_gen++;
		struct linux_task *next = pick(proc, true);
		bool blocked = cur->run == LINUX_TASK_BLOCKED && !linux_task_stopped(proc, cur);
		/* Its own call is retried once something happened; that another
		 * vCPU served a call counts only after a wait (no hot loop). */
		bool signalled = linux_task_sigpending(proc, cur) & ~proc->sigmask;
		bool due = cur->block_deadline && now_ns() >= cur->block_deadline;
		bool served = cur->futex.state != FUTEX_QUEUED &&
			      cur->block_gen != proc->wake_gen &&
			      (waited || cur->block_gen == proc->wake_gen - 1);
		if (!next && blocked &&
		    (signalled || due || served || cur->futex.state == FUTEX_WOKEN))
			next = cur;
		if (next)
			return next;
		if (!blocked && cur->on_cpu && proc->cpu->index != 0)
			return NULL; /* gone or stopped: vCPU 0 keeps the VM's chores */
		uint64_t wake = others_deadline(proc), timer = linux_timers_next(proc);
		wake = timer && (!wake || timer < wake) ? timer : wake; /* a timer may wake one */
		if (blocked && cur->block_deadline && (!wake || cur->block_deadline < wake))
			wake = cur->block_deadline;
		if (others_run(proc)) {
			uint64_t slice = now_ns() + LINUX_SLICE_MS * 1000000ULL;
			if (!wake || slice < wake)
				wake = slice;
		}
		wake = linux_net_wake(wake);
		/* A blocked call is looked at again as soon as another vCPU
		 * served one (linux_cpu_leave), not at the next slice: a pipe or
		 * epoll round trip across two vCPUs took 8.2 ms waiting for the
		 * slice, 0.9 ms so. */
		proc->cpu->wake_on_call =
		    blocked || !wake || wake > now_ns() + LINUX_SLICE_MS * 1000000ULL;
		linux_cpu_wait(proc, wake, true);
		proc->cpu->wake_on_call = false;
		waited = true;
	}
}

/* Loads next (not cur) into proc and regs: the vCPU runs it now. */
static void switch_to(struct linux_proc *proc, struct linux_task *cur, struct linux_task *next,
		      struct linux_regs *regs)
{
	if (cur) {
		linux_thread_sync(proc); /* its threads see its fds, cwd and actions */
		linux_account(proc);	 /* the CPU time so far is cur's */
		cur->regs = *regs;
		if (linux_thread_alive(cur))
			cur->fpu = *linux_fpu_cur(proc);
		cur->saved = proc->task_state;
	} else {
		linux_sched_load(proc, next); /* a vCPU without a task: the holder's state goes */
	}
	linux_fpu_set(proc, &next->fpu);
	proc->task_state = next->saved;
	*regs = next->regs;
	proc->cur = next;
	next->on_cpu = proc->cpu->index + 1;
	proc->cpu->task = next;
	if (cur) {
		cur->on_cpu = 0;
		if (!linux_thread_alive(cur))
			left_behind(proc, cur);
		else if (cur->run == LINUX_TASK_BLOCKED)
			linux_cpu_wake_idle(proc); /* on no vCPU now: an idle one may retry it */
	}
	proc->fs_base_dirty = true;
	proc->regs_replaced = true;
	proc->regs = regs;
}

/* next, about to run, leaves its blocked call: a woken futex wait returns
 * 0 here, not by a retried SYSCALL (one exit less per wake); a signalled
 * one EINTR, then the handler; any other is retried with its deadline. */
static void resume_task(struct linux_proc *proc, struct linux_task *next, struct linux_regs *regs)
{
	bool signalled = linux_task_sigpending(proc, next) & ~proc->sigmask;
	bool done =
	    next->run == LINUX_TASK_BLOCKED &&
	    (next->futex.state == FUTEX_WOKEN || (signalled && next->futex.state != FUTEX_IDLE));
	if (done)
		linux_futex_interrupt(next, regs);
	bool retry = next->run == LINUX_TASK_BLOCKED && !done; /* back at its SYSCALL */
	proc->retry_deadline =
	    next->run == LINUX_TASK_BLOCKED && !signalled && !done ? next->block_deadline : 0;
	next->run = LINUX_TASK_RUNNABLE;
	if (next->set_child_tid) {
		int32_t tid = next->pid;
		(void)linux_copy_out(proc, next->set_child_tid, &tid, sizeof(tid));
		next->set_child_tid = 0;
	}
	uint64_t at = regs->rip;
	linux_task_deliver_pending(proc, regs);
	proc->retry_call = retry && regs->rip == at; /* no handler entered first */
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
	if (!next && proc->ncpus > 1 &&
	    (!linux_thread_alive(cur) || linux_task_stopped(proc, cur) ||
	     cur->run == LINUX_TASK_BLOCKED)) {
		next = smp_wait_for_task(proc);
		if (next && next == cur) { /* its own blocked call again */
			proc->retry_own = true;
			if (linux_signal_host_ready(proc))
				linux_arch_kick_clear(proc); /* the call takes it, not the kick */
			proc->regs_replaced = true;
			resume_task(proc, cur, regs);
			proc->retry_call =
			    false; /* its vCPU goes back to the SYSCALL (retry_own) */
			return;
		}
		if (!next && !vm_is_ending(proc->vm)) {
			/* Gone or stopped: the vCPU leaves it and idles. */
			cur->regs = *regs;
			if (linux_thread_alive(cur))
				cur->fpu = *linux_fpu_cur(proc);
			cur->on_cpu = 0;
			proc->cpu->task = NULL;
			(void)linux_sched_idle(proc, regs);
			return;
		}
	} else if (!next && (!linux_thread_alive(cur) || linux_task_stopped(proc, cur))) {
		next = wait_for_task(proc);
	}
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
	switch_to(proc, cur, next, regs);
	resume_task(proc, next, regs);
}

bool linux_sched_idle(struct linux_proc *proc, struct linux_regs *regs)
{
	for (;;) {
		if (vm_is_ending(proc->vm))
			return false;
		if (proc->vm->deadline_ns && now_ns() >= proc->vm->deadline_ns) {
			/* Past --timeout: the VM ends here, before the main thread
			 * says so, or the caller would resume the task this vCPU
			 * left (gone: no address space any more). */
			vm_end(proc->vm, EXIT_TIMEOUT, "timeout: VM stopped after --timeout");
			return false;
		}
		struct linux_task *next = pick(proc, false);
		if (next) {
			switch_to(proc, NULL, next, regs);
			resume_task(proc, next, regs);
			return true;
		}
		/* Tasks blocked on no vCPU are retried each slice while others run. */
		uint64_t wake = 0;
		for (unsigned i = 0; i < proc->ntasks; i++)
			if (proc->tasks[i]->run == LINUX_TASK_BLOCKED && !proc->tasks[i]->on_cpu)
				wake = now_ns() + LINUX_SLICE_MS * 1000000ULL;
		uint64_t deadline = others_deadline(proc);
		if (deadline && (!wake || deadline < wake))
			wake = deadline;
		linux_cpu_wait(proc, wake, false); /* no task: no chores */
	}
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
	const uint32_t cpu = proc->cpu->index, zero = 0; /* the vCPU serving it, node 0 */
	if (a[0] && linux_copy_out(proc, a[0], &cpu, sizeof(cpu)) < 0)
		return -EFAULT;
	if (a[1] && linux_copy_out(proc, a[1], &zero, sizeof(zero)) < 0)
		return -EFAULT;
	return 0;
}
