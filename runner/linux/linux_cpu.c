/* The vCPUs of a Linux-ABI guest: one lock for the layer (taken at every exit, its task's state loaded), the others stopped while a call or fault is served, and each vCPU's page-table flush state. */
#include "linux.h"

void linux_cpu_init(struct linux_proc *proc)
{
	unsigned n = proc->vm->vcpu_count ? proc->vm->vcpu_count : 1;
	proc->ncpus = n < LINUX_MAX_CPUS ? n : LINUX_MAX_CPUS;
	pthread_mutex_init(&proc->bkl, NULL);
	atomic_init(&proc->stopping, false);
	for (unsigned i = 0; i < proc->ncpus; i++) {
		struct linux_cpu *c = &proc->cpus[i];
		c->index = i;
		c->vcpu = proc->vm->vcpus ? &proc->vm->vcpus[i] : NULL;
		atomic_init(&c->in_guest, false);
	}
	proc->cpu = &proc->cpus[0];
}

void linux_cpu_tlb_stale(struct linux_proc *proc)
{
	if (!proc->tlb_stale)
		return;
	/* Any vCPU may hold the translation: each flushes before it resumes. */
	for (unsigned i = 0; i < proc->ncpus; i++)
		proc->cpus[i].tlb_stale = true;
	proc->tlb_stale = false;
}

bool linux_cpu_flush_due(struct linux_proc *proc)
{
	linux_cpu_tlb_stale(proc);
	return proc->cpu->tlb_stale || proc->pages.ndirty[proc->cpu->index];
}

/* The holder's call state back from its vCPU (linux_cpu_leave saved it). */
static void take(struct linux_proc *proc, struct linux_cpu *lc)
{
	proc->cpu = lc;
	lc->others_stopped = false;
	if (lc->task)
		linux_sched_load(proc, lc->task);
	proc->retry_deadline = lc->retry_deadline;
	proc->cpu_mark = lc->cpu_mark;
	proc->serve_start = lc->serve_start;
	proc->serve_tail = lc->serve_tail;
	proc->retry_call = lc->retry_call;
	proc->sigmask_saved = lc->sigmask_saved;
	proc->sigmask_restore = lc->sigmask_restore;
	proc->resched = lc->resched;
	proc->cur_blocked = lc->cur_blocked;
	proc->retry_soon = lc->retry_soon;
	proc->regs_replaced = lc->regs_replaced;
	proc->fs_base_dirty = lc->fs_base_dirty;
	proc->regs = lc->regs;
	proc->fpu_held = false; /* KVM of this vCPU holds its task's */
	proc->fpu_dirty = false;
}

static void give(struct linux_proc *proc, struct linux_cpu *lc)
{
	lc->retry_deadline = proc->retry_deadline;
	lc->cpu_mark = proc->cpu_mark;
	lc->serve_start = proc->serve_start;
	lc->serve_tail = proc->serve_tail;
	lc->retry_call = proc->retry_call;
	lc->sigmask_saved = proc->sigmask_saved;
	lc->sigmask_restore = proc->sigmask_restore;
	lc->resched = proc->resched;
	lc->cur_blocked = proc->cur_blocked;
	lc->retry_soon = proc->retry_soon;
	lc->regs_replaced = proc->regs_replaced;
	lc->fs_base_dirty = proc->fs_base_dirty;
	lc->regs = proc->regs;
}

struct linux_cpu *linux_cpu_enter(struct linux_proc *proc, struct vcpu *vcpu)
{
	struct linux_cpu *lc = &proc->cpus[vcpu->index < proc->ncpus ? vcpu->index : 0];
	lc->vcpu = vcpu;
	atomic_store(&lc->in_guest, false);
	if (atomic_load(&proc->stopping)) { /* the holder waits for this */
		pthread_mutex_lock(&proc->vm->lock);
		pthread_cond_broadcast(&proc->vm->cond);
		pthread_mutex_unlock(&proc->vm->lock);
	}
	pthread_mutex_lock(&proc->bkl);
	take(proc, lc);
	lc->gen_seen = proc->wake_gen;
	return lc;
}

void linux_cpu_leave(struct linux_proc *proc, struct linux_cpu *lc)
{
	give(proc, lc);
	/* Calls served here may let a call blocked on a waiting vCPU go on:
	 * one waiting with a blocked task, or for no deadline nor slice,
	 * looks again now. */
	bool wake = false;
	for (unsigned i = 0; proc->wake_gen != lc->gen_seen && i < proc->ncpus; i++)
		wake |= &proc->cpus[i] != lc && proc->cpus[i].wake_on_call;
	if (wake)
		linux_cpu_wake_idle(proc);
	if (lc->task && linux_thread_alive(lc->task))
		lc->runs++;
	/* Set under the lock: a holder after this one kicks it. */
	atomic_store(&lc->in_guest, true);
	pthread_mutex_unlock(&proc->bkl);
}

void linux_cpu_stop_others(struct linux_proc *proc)
{
	struct linux_cpu *self = proc->cpu;
	if (proc->ncpus < 2 || self->others_stopped)
		return;
	self->others_stopped = true;
	struct vm *vm = proc->vm;
	atomic_store(&proc->stopping, true);
	for (unsigned i = 0; i < proc->ncpus; i++) {
		struct linux_cpu *c = &proc->cpus[i];
		if (c != self && atomic_load(&c->in_guest)) {
			c->stop_kicked = true;
			vm_kick_vcpu(vm, c->index);
		}
	}
	/* Each leaves KVM_RUN and waits for the lock (linux_cpu_enter). */
	pthread_mutex_lock(&vm->lock);
	for (;;) {
		bool out = true;
		for (unsigned i = 0; i < proc->ncpus; i++)
			if (&proc->cpus[i] != self && atomic_load(&proc->cpus[i].in_guest))
				out = false;
		if (out || vm_is_ending(vm))
			break;
		vm_wait_once_locked(vm, now_ns() + 1000000ULL);
	}
	pthread_mutex_unlock(&vm->lock);
	atomic_store(&proc->stopping, false);
}

void linux_cpu_wait(struct linux_proc *proc, uint64_t wake, bool chores)
{
	struct linux_cpu *lc = proc->cpu;
	struct vm *vm = proc->vm;
	give(proc, lc);
	/* The generation now, under the lock a waker holds to bump it: a
	 * wake between here and the wait is not lost. */
	pthread_mutex_lock(&vm->lock);
	uint64_t generation = proc->signal_generation;
	pthread_mutex_unlock(&vm->lock);
	pthread_mutex_unlock(&proc->bkl);
	pthread_mutex_lock(&vm->lock);
	if (vm->deadline_ns && (!wake || wake > vm->deadline_ns))
		wake = vm->deadline_ns; /* --timeout */
	while (!vm_is_ending(vm) && proc->signal_generation == generation &&
	       !(chores && (linux_signal_host_ready(proc) || linux_net_pending(proc)))) {
		if (!wake) {
			pthread_cond_wait(&vm->cond, &vm->lock);
		} else {
			if (now_ns() >= wake)
				break;
			vm_wait_once_locked(vm, wake);
		}
	}
	pthread_mutex_unlock(&vm->lock);
	pthread_mutex_lock(&proc->bkl);
	take(proc, lc);
}

void linux_cpu_wake_idle(struct linux_proc *proc)
{
	if (proc->ncpus < 2)
		return;
	pthread_mutex_lock(&proc->vm->lock);
	proc->signal_generation++;
	pthread_cond_broadcast(&proc->vm->cond);
	pthread_mutex_unlock(&proc->vm->lock);
}
