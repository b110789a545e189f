/* Tasks of a Linux-ABI guest: the task table, ids (pid, parent, process group, session), a process's end (all its threads) to a zombie, kill to a pid, a group or everyone, and the iterator /proc reads. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linux.h"
#include "linux_shm.h"

/* The VM's first process, as a container's init: pid 1 in its own pid
 * namespace, leader of session 1 and process group 1, parent 0. */
#define INIT_PID 1

#define L_SIG_DFL      0
#define L_SIG_IGN      1
#define L_SIGKILL      9
#define L_SIGCHLD      17
#define L_SIGCONT      18
#define L_SIGSTOP      19
#define L_SIGTSTP      20
#define L_SIGTTIN      21
#define L_SIGTTOU      22
#define L_SIGURG       23
#define L_SIGWINCH     28
#define L_SA_NOCLDSTOP 0x1
/* si_code of SIGCHLD */
#define L_CLD_EXITED	1
#define L_CLD_KILLED	2
#define L_CLD_STOPPED	5
#define L_CLD_CONTINUED 6

static uint64_t bit(unsigned sig)
{
	return 1ULL << (sig - 1);
}

static void set_comm(struct linux_task *t, const char *path)
{
	const char *slash = strrchr(path, '/');
	snprintf(t->comm, sizeof(t->comm), "%s", slash ? slash + 1 : path);
}

int linux_tasks_init(struct linux_proc *proc, unsigned max_tasks)
{
	proc->max_tasks = max_tasks ? max_tasks : LINUX_DEFAULT_PIDS;
	proc->tasks = calloc(proc->max_tasks, sizeof(struct linux_task *));
	struct linux_task *t = calloc(1, sizeof(*t));
	if (!proc->tasks || !t) {
		free(t);
		return -ENOMEM;
	}
	*t = (struct linux_task){
	    .pid = INIT_PID, .tgid = INIT_PID, .pgid = INIT_PID, .sid = INIT_PID};
	linux_fpu_init_state(&t->fpu); /* the vCPU's first state (arch_vcpu_init) */
	set_comm(t, proc->cfg.argc ? proc->cfg.argv[0] : "init");
	proc->tasks[0] = t;
	proc->ntasks = 1;
	proc->cur = t;
	t->on_cpu = proc->cpu->index + 1; /* vCPU 0 starts it */
	proc->cpu->task = t;
	proc->next_pid = INIT_PID + 1;
	return 0;
}

/* What a task holds: its fds, cwd and address space. */
static void release(struct linux_proc *proc)
{
	linux_fd_free(proc);
	linux_cwd_release(proc);
	if (proc->mm)
		linux_mm_put(proc->mm);
	proc->mm = NULL;
}

/* release() for t, whose state is loaded into proc for the time it takes. */
static void release_task(struct linux_proc *proc, struct linux_task *t)
{
	if (t == proc->cur) {
		release(proc);
		return;
	}
	struct linux_task_state *keep = malloc(sizeof(*keep));
	if (!keep)
		abort(); /* 3 KiB: the VMM cannot go on without it */
	*keep = proc->task_state;
	proc->task_state = t->saved;
	release(proc);
	t->saved = proc->task_state;
	proc->task_state = *keep;
	free(keep);
}

void linux_task_drop_state(struct linux_proc *proc, struct linux_task *t, bool files)
{
	if (files) {
		release_task(proc, t);
		return;
	}
	/* Its fds and cwd are the group's, held by another thread. */
	struct linux_task_state *st = t == proc->cur ? &proc->task_state : &t->saved;
	if (st->mm)
		linux_mm_put(st->mm);
	st->mm = NULL;
	memset(st->fds, 0, sizeof(st->fds));
	st->cwd = NULL;
}

/* Whether an earlier live thread of t's group holds the group's files. */
static bool files_held_before(const struct linux_proc *proc, unsigned i)
{
	for (unsigned j = 0; j < i; j++)
		if (proc->tasks[j]->tgid == proc->tasks[i]->tgid &&
		    linux_thread_alive(proc->tasks[j]))
			return true;
	return false;
}

void linux_tasks_free(struct linux_proc *proc)
{
	for (unsigned i = 0; i < proc->ntasks; i++) /* a FIFO open still waiting: its node */
		linux_fifo_wait_end(proc, proc->tasks[i]);
	for (unsigned i = proc->ntasks; i-- > 0;) { /* from the end: earlier ones still listed */
		struct linux_task *t = proc->tasks[i];
		if (t != proc->cur && linux_thread_alive(t))
			linux_task_drop_state(
			    proc, t, t->tgid != proc->cur->tgid && !files_held_before(proc, i));
		if (t != proc->cur)
			free(t);
	}
	for (unsigned c = 0; c < proc->ncpus; c++) { /* gone from the table, not yet freed */
		struct linux_task *t = proc->cpus[c].task;
		if (t && t->free_pending && t != proc->cur)
			free(t);
		proc->cpus[c].task = NULL;
	}
	free(proc->cur);
	free(proc->tasks);
	proc->tasks = NULL;
	proc->cur = NULL;
	proc->ntasks = 0;
}

struct linux_task *linux_task_find(struct linux_proc *proc, int pid)
{
	for (unsigned i = 0; i < proc->ntasks; i++)
		if (proc->tasks[i]->pid == pid)
			return proc->tasks[i];
	return NULL;
}

bool linux_task_iter(const struct linux_proc *proc, unsigned i, struct linux_task_info *info)
{
	if (i >= proc->ntasks)
		return false;
	const struct linux_task *t = proc->tasks[i];
	static const char states[] = {[LINUX_TASK_RUNNABLE] = 'R',
				      [LINUX_TASK_BLOCKED] = 'S',
				      [LINUX_TASK_VFORKED] = 'D',
				      [LINUX_TASK_ZOMBIE] = 'Z',
				      [LINUX_TASK_EXITED] = 'Z'};
	bool stopped = t->run != LINUX_TASK_ZOMBIE && t->run != LINUX_TASK_EXITED &&
		       linux_task_stopped((struct linux_proc *)proc, t);
	*info = (struct linux_task_info){.pid = t->pid,
					 .tgid = t->tgid,
					 .ppid = t->ppid,
					 .pgid = t->pgid,
					 .sid = t->sid,
					 .state = stopped ? 'T' : states[t->run],
					 .comm = t->comm,
					 .cmdline = t->cmdline,
					 .cmdline_len = t->cmdline_len};
	return true;
}

void linux_task_free(struct linux_task *t)
{
	if (t->on_cpu) {
		t->free_pending = true; /* another vCPU still on it: it leaves it */
		t->run = LINUX_TASK_ZOMBIE;
	} else
		free(t);
}

void linux_task_reap(struct linux_proc *proc, struct linux_task *t)
{
	for (unsigned i = 0; i < proc->ntasks; i++)
		if (proc->tasks[i] == t) {
			proc->tasks[i] = proc->tasks[--proc->ntasks];
			linux_task_free(t);
			linux_sched_tasks_changed(proc);
			return;
		}
}

/* The task's vfork parent, if it still waits for it, goes on. */
static void vfork_done(struct linux_proc *proc, struct linux_task *child)
{
	for (unsigned i = 0; i < proc->ntasks; i++) {
		struct linux_task *t = proc->tasks[i];
		if (t->run == LINUX_TASK_VFORKED && t->vfork_child == child) {
			t->run = LINUX_TASK_RUNNABLE;
			t->vfork_child = NULL;
		}
	}
}

/* t's address space went: its parent's pages shared with it alone are
 * writable again. */
static void parent_reclaims(struct linux_proc *proc, const struct linux_task *t)
{
	struct linux_task *parent = linux_task_find(proc, t->ppid);
	if (!parent || parent->run == LINUX_TASK_ZOMBIE)
		return;
	struct linux_mm *mm = parent == proc->cur ? proc->mm : parent->saved.mm;
	if (mm)
		linux_mm_reclaim_write(proc, mm);
}

void linux_task_set_cmdline(struct linux_proc *proc, const struct linux_exec_args *args)
{
	struct linux_task *t = proc->cur;
	size_t len = 0; /* argv comes first in the buffer, then envp */
	for (unsigned i = 0; i < args->argc && len < args->len; i++)
		len += strnlen(args->buf + len, args->len - len) + 1;
	t->cmdline_len = (unsigned)(len < sizeof(t->cmdline) ? len : sizeof(t->cmdline));
	memcpy(t->cmdline, args->buf, t->cmdline_len);
}

void linux_task_exec(struct linux_proc *proc, const char *comm)
{
	linux_thread_exec(proc); /* the other threads are gone */
	set_comm(proc->cur, comm);
	proc->cur->undumpable = false; /* as Linux for a program that is not set-id */
	proc->cur->membarrier_registered = 0;
	vfork_done(proc, proc->cur);
	parent_reclaims(proc, proc->cur);
}

/* Every thread of the group but its leader goes; the one holding the
 * group's files (the running one if it is of the group) drops them. */
static void end_threads(struct linux_proc *proc, struct linux_task *leader)
{
	struct linux_task *holder = NULL;
	if (proc->cur->tgid == leader->pid && linux_thread_alive(proc->cur))
		holder = proc->cur;
	for (unsigned i = 0; !holder && i < proc->ntasks; i++)
		if (proc->tasks[i]->tgid == leader->pid && linux_thread_alive(proc->tasks[i]))
			holder = proc->tasks[i];
	if (holder == proc->cur)
		linux_thread_mm_release_all(proc, leader->pid); /* robust lists, CLEARTID */
	for (unsigned i = 0; i < proc->ntasks; i++) {
		struct linux_task *t = proc->tasks[i];
		if (t->tgid != leader->pid || !linux_thread_alive(t) || t == holder)
			continue;
		linux_task_drop_state(proc, t, false);
	}
	if (holder)
		release_task(proc, holder);
	for (unsigned i = 0; i < proc->ntasks;) {
		struct linux_task *t = proc->tasks[i];
		if (t->tgid != leader->pid || t == leader) {
			i++;
			continue;
		}
		t->run = LINUX_TASK_ZOMBIE;
		t->autoreap = true;
		t->futex.state = FUTEX_IDLE;
		if (t == proc->cur) {
			i++; /* freed once the vCPU left it (linux_sched_switch) */
			continue;
		}
		proc->tasks[i] = proc->tasks[--proc->ntasks];
		linux_task_free(t);
	}
	linux_sched_tasks_changed(proc);
}

/* Sends sig (SIGCHLD, or the exit signal clone named) to parent about
 * child, keeping what a SIGCHLD's siginfo says. */
static void signal_parent(struct linux_proc *proc, struct linux_task *parent,
			  const struct linux_task *child, unsigned sig, int code, int status)
{
	if (sig == L_SIGCHLD) {
		struct linux_task *leader = linux_thread_leader(proc, parent);
		leader->chld.code = code;
		leader->chld.pid = child->pid;
		leader->chld.status = status;
	}
	linux_task_signal(proc, parent, sig);
}

/* The nearest living ancestor of dead that is a child subreaper, else pid 1. */
static int orphan_reaper(struct linux_proc *proc, const struct linux_task *dead)
{
	const struct linux_task *p = linux_task_find(proc, dead->ppid);
	for (unsigned hops = 0; p && hops < proc->ntasks; hops++) {
		if (p->subreaper && p->run != LINUX_TASK_ZOMBIE && linux_thread_alive(p))
			return p->pid;
		p = linux_task_find(proc, p->ppid);
	}
	return INIT_PID;
}

void linux_task_orphans(struct linux_proc *proc, struct linux_task *dead)
{
	int reaper = orphan_reaper(proc, dead);
	for (unsigned i = 0; i < proc->ntasks; i++) {
		struct linux_task *c = proc->tasks[i];
		if (c->ppid != dead->pid)
			continue;
		c->ppid = reaper;
		if (c->run == LINUX_TASK_ZOMBIE) {
			/* As Linux's reparent_leader(): the new parent may reap it. */
			struct linux_task *parent = linux_task_find(proc, reaper);
			if (parent && c->exit_signal > 0 && c->exit_signal <= LINUX_NSIG) {
				bool killed = c->wstatus & 0x7F;
				signal_parent(proc, parent, c, (unsigned)c->exit_signal,
					      killed ? L_CLD_KILLED : L_CLD_EXITED,
					      killed ? c->wstatus & 0x7F
						     : (c->wstatus >> 8) & 0xFF);
			}
			continue;
		}
		/* PR_SET_PDEATHSIG: every thread of the child that asked. */
		for (unsigned j = 0; j < proc->ntasks; j++) {
			struct linux_task *th = proc->tasks[j];
			if (th->tgid == c->pid && th->pdeathsig && linux_thread_alive(th))
				linux_task_signal(proc, th, (unsigned)th->pdeathsig);
		}
	}
}

/* Ends the process of task t (all its threads): pid 1 ends the VM with its
 * status; others become zombies whose children pid 1 inherits, and their
 * parent hears SIGCHLD. */
static void task_end(struct linux_proc *proc, struct linux_task *t, int wstatus)
{
	t = linux_thread_leader(proc, t);
	if (t->run == LINUX_TASK_ZOMBIE)
		return;
	linux_record_exit(proc, t, wstatus);
	if (t->pid == INIT_PID) {
		int sig = wstatus & 0x7F, code = (wstatus >> 8) & 0xFF;
		/* Shared mappings and --fs-upper DIR are written as the vCPU
		 * threads leave (linux_vcpus_done), as for every other end. */
		linux_net_drain(proc); /* data its sockets still hold is sent */
		if (sig)
			vm_end(proc->vm, EXIT_SIGNAL_BASE + sig, "guest killed by signal %d", sig);
		else
			vm_end(proc->vm, code > EXIT_GUEST_MAX ? EXIT_GUEST_MAX : code, NULL);
		return;
	}
	bool cur_in = proc->cur->tgid == t->pid;
	if (cur_in)
		linux_account(proc);		    /* its CPU time up to its end */
	linux_rusage_sample(proc, t);		    /* ru_maxrss before its pages go */
	for (unsigned i = 0; i < proc->ntasks; i++) /* killed in a FIFO's open */
		if (proc->tasks[i]->tgid == t->pid)
			linux_fifo_wait_end(proc, proc->tasks[i]);
	end_threads(proc, t);
	t->run = LINUX_TASK_ZOMBIE;
	t->futex.state = FUTEX_IDLE;
	t->wstatus = wstatus;
	parent_reclaims(proc, t);
	linux_task_orphans(proc, t);
	vfork_done(proc, t);
	struct linux_task *parent = linux_task_find(proc, t->ppid);
	if (parent && t->exit_signal > 0 && t->exit_signal <= LINUX_NSIG) {
		bool killed = wstatus & 0x7F;
		signal_parent(proc, parent, t, (unsigned)t->exit_signal,
			      killed ? L_CLD_KILLED : L_CLD_EXITED,
			      killed ? wstatus & 0x7F : (wstatus >> 8) & 0xFF);
	}
	proc->wake_gen++; /* a parent in wait4, a reader of its pipes */
	if (cur_in)
		proc->resched = true;
}

void linux_task_exit(struct linux_proc *proc, int wstatus)
{
	task_end(proc, proc->cur, wstatus);
}

static bool ignored_by_default(unsigned sig)
{
	return sig == L_SIGCHLD || sig == L_SIGCONT || sig == L_SIGURG || sig == L_SIGWINCH;
}

static const uint64_t stop_signals = (1ULL << (L_SIGSTOP - 1)) | (1ULL << (L_SIGTSTP - 1)) |
				     (1ULL << (L_SIGTTIN - 1)) | (1ULL << (L_SIGTTOU - 1));

/* ---- job control: stop and continue ---- */

bool linux_task_stopped(struct linux_proc *proc, const struct linux_task *t)
{
	return linux_thread_leader(proc, (struct linux_task *)t)->stopped;
}

/* Drops the signals of mask pending for leader's process or any thread of it. */
static void discard_pending(struct linux_proc *proc, struct linux_task *leader, uint64_t mask)
{
	leader->group_pending &= ~mask;
	for (unsigned i = 0; i < proc->ntasks; i++)
		if (proc->tasks[i]->tgid == leader->pid)
			proc->tasks[i]->pending &= ~mask;
}

/* leader's process stopped or continued: its parent's wait looks again, and
 * the parent gets SIGCHLD unless its action says SA_NOCLDSTOP. */
static void notify_parent(struct linux_proc *proc, struct linux_task *leader)
{
	proc->wake_gen++;
	struct linux_task *parent = linux_task_find(proc, leader->ppid);
	if (!parent || parent->run == LINUX_TASK_ZOMBIE)
		return;
	const struct linux_task_state *st = linux_thread_group_state(proc, parent);
	if (st && (st->actions[L_SIGCHLD - 1].flags & L_SA_NOCLDSTOP))
		return;
	signal_parent(proc, parent, leader, L_SIGCHLD,
		      leader->stopped ? L_CLD_STOPPED : L_CLD_CONTINUED,
		      leader->stopped ? leader->stop_signal : L_SIGCONT);
}

void linux_task_stop(struct linux_proc *proc, struct linux_task *t, unsigned sig)
{
	struct linux_task *leader = linux_thread_leader(proc, t);
	if (leader->pid == INIT_PID || leader->run == LINUX_TASK_ZOMBIE || leader->stopped)
		return;
	discard_pending(proc, leader, bit(L_SIGCONT));
	leader->stopped = true;
	leader->stop_signal = (int)sig;
	leader->report_stop = true;
	leader->report_cont = false;
	if (proc->cur->tgid == leader->pid)
		proc->resched = true; /* the running thread leaves the vCPU as the call returns */
	notify_parent(proc, leader);
}

/* SIGCONT, whatever its action: pending stop signals go, a stopped process
 * runs again (its blocked calls retry) and its parent hears of it. */
static void task_continue(struct linux_proc *proc, struct linux_task *leader)
{
	discard_pending(proc, leader, stop_signals);
	if (!leader->stopped)
		return;
	leader->stopped = false;
	leader->report_stop = false;
	leader->report_cont = true;
	notify_parent(proc, leader);
}

/* Whether sig is blocked where it goes: by thread t, or by every live
 * thread of t's process (then no thread can take it). */
static bool sig_blocked(struct linux_proc *proc, const struct linux_task *t, unsigned sig,
			bool to_thread)
{
	for (unsigned i = 0; i < proc->ntasks; i++) {
		const struct linux_task *u = proc->tasks[i];
		if (to_thread ? u != t : (u->tgid != t->tgid || !linux_thread_alive(u)))
			continue;
		const struct linux_task_state *s = u == proc->cur ? &proc->task_state : &u->saved;
		if (!(s->sigmask & bit(sig)))
			return false;
	}
	return true;
}

/* Sends sig to thread t (to_thread) or its process: its action, the
 * group's, decides; a fatal one ends every thread, as Linux. */
static void send_signal(struct linux_proc *proc, struct linux_task *t, unsigned sig, bool to_thread)
{
	struct linux_task *leader = linux_thread_leader(proc, t);
	if (sig == 0 || sig > LINUX_NSIG || leader->run == LINUX_TASK_ZOMBIE)
		return;
	const struct linux_task_state *st = linux_thread_group_state(proc, leader);
	uint64_t handler = st ? st->actions[sig - 1].handler : L_SIG_DFL;
	if (sig == L_SIGCONT)
		task_continue(proc, leader); /* even ignored or blocked */
	else if (bit(sig) & stop_signals)
		discard_pending(proc, leader, bit(L_SIGCONT));
	if (sig != L_SIGKILL && handler == L_SIG_IGN)
		return;
	/* A blocked signal stays pending whatever its action (sigwait, signalfd). */
	bool blocked = sig != L_SIGKILL && sig_blocked(proc, t, sig, to_thread);
	if (!blocked && (sig == L_SIGKILL || handler == L_SIG_DFL)) {
		if (bit(sig) & stop_signals) {
			linux_task_stop(proc, leader, sig);
			return;
		}
		if (sig != L_SIGKILL && ignored_by_default(sig))
			return;
		task_end(proc, leader, (int)sig);
		return;
	}
	if (to_thread)
		t->pending |= bit(sig);
	else
		leader->group_pending |= bit(sig);
	proc->wake_gen++; /* a blocked task retries its call, and takes it */
}

void linux_task_signal(struct linux_proc *proc, struct linux_task *t, unsigned sig)
{
	send_signal(proc, t, sig, false);
	linux_cpu_wake_idle(proc); /* a vCPU waiting with it looks */
}

void linux_thread_signal(struct linux_proc *proc, struct linux_task *t, unsigned sig)
{
	if (linux_thread_alive(t))
		send_signal(proc, t, sig, true);
	linux_cpu_wake_idle(proc);
}

uint64_t linux_task_sigpending(struct linux_proc *proc, const struct linux_task *t)
{
	return t->pending | linux_thread_leader(proc, (struct linux_task *)t)->group_pending;
}

void linux_task_take_signal(struct linux_proc *proc, struct linux_task *t, unsigned sig)
{
	if (t->pending & bit(sig))
		t->pending &= ~bit(sig);
	else
		linux_thread_leader(proc, t)->group_pending &= ~bit(sig);
}

void linux_task_deliver_pending(struct linux_proc *proc, struct linux_regs *regs)
{
	struct linux_task *t = proc->cur;
	uint64_t ready = linux_task_sigpending(proc, t) & ~proc->sigmask;
	if (!ready || !linux_thread_alive(t) || vm_is_ending(proc->vm))
		return;
	unsigned sig = (unsigned)__builtin_ctzll(ready) + 1;
	linux_task_take_signal(proc, t, sig);
	proc->regs = regs;
	(void)linux_signal_raise_ret(proc, sig, (long)regs->rax);
	/* A pending signal (one blocked until now) ended or stopped it: the next task runs. */
	if (proc->resched && (t->run == LINUX_TASK_ZOMBIE || linux_task_stopped(proc, t)) &&
	    !vm_is_ending(proc->vm))
		linux_sched_switch(proc, regs);
}

/* ---- the calls ---- */

long linux_sys_getpid(struct linux_proc *proc, const uint64_t *a)
{
	return proc->cur->tgid;
}

long linux_sys_getppid(struct linux_proc *proc, const uint64_t *a)
{
	/* The process's parent (a thread's own ppid is 0); pid 1's is outside the VM: 0. */
	return linux_thread_leader(proc, proc->cur)->ppid;
}

long linux_sys_getpgrp(struct linux_proc *proc, const uint64_t *a)
{
	return proc->cur->pgid;
}

/* pid 0 means the caller, as getpgid/getsid/setpgid take it. */
static struct linux_task *task_of(struct linux_proc *proc, uint64_t pid)
{
	if ((int32_t)pid < 0)
		return NULL;
	return (int32_t)pid == 0 ? proc->cur : linux_task_find(proc, (int32_t)pid);
}

long linux_sys_getpgid(struct linux_proc *proc, const uint64_t *a)
{
	const struct linux_task *t = task_of(proc, a[0]);
	return t ? t->pgid : -ESRCH;
}

long linux_sys_getsid(struct linux_proc *proc, const uint64_t *a)
{
	const struct linux_task *t = task_of(proc, a[0]);
	return t ? t->sid : -ESRCH;
}

long linux_sys_setpgid(struct linux_proc *proc, const uint64_t *a)
{
	struct linux_task *cur = proc->cur, *t = task_of(proc, a[0]);
	int32_t pgid = (int32_t)a[1];
	if (pgid < 0)
		return -EINVAL;
	if (!t || (t != cur && t->ppid != cur->pid))
		return -ESRCH; /* only itself or a child */
	if (t->sid != cur->sid || t->pid == t->sid)
		return -EPERM; /* another session, or a session leader */
	if (pgid == 0)
		pgid = t->pid;
	bool group_ok = pgid == t->pid;
	for (unsigned i = 0; !group_ok && i < proc->ntasks; i++)
		group_ok = proc->tasks[i]->pgid == pgid && proc->tasks[i]->sid == cur->sid;
	if (!group_ok)
		return -EPERM; /* a group of its session, or a new one named by its pid */
	t->pgid = pgid;
	return 0;
}

long linux_sys_setsid(struct linux_proc *proc, const uint64_t *a)
{
	struct linux_task *cur = proc->cur;
	for (unsigned i = 0; i < proc->ntasks; i++)
		if (proc->tasks[i]->pgid == cur->pid)
			return -EPERM; /* a group leader already */
	cur->sid = cur->pgid = cur->pid;
	return cur->pid;
}

long linux_sys_kill(struct linux_proc *proc, const uint64_t *a)
{
	int32_t pid = (int32_t)a[0];
	if (a[1] > LINUX_NSIG)
		return -EINVAL;
	unsigned sig = (unsigned)a[1];
	if (pid > 0) {
		struct linux_task *t = linux_task_find(proc, pid);
		if (!t || t->autoreap)
			return -ESRCH;
		linux_task_signal(proc, t, sig);
		return 0;
	}
	if (pid == INT32_MIN)
		return -ESRCH;
	/* 0: the caller's group; -1: everyone but pid 1 and the caller; -N: group N. */
	int pgid = pid == 0 ? proc->cur->pgid : -pid;
	bool any = false;
	for (unsigned i = 0; i < proc->ntasks; i++) {
		struct linux_task *t = proc->tasks[i];
		if (t->pid != t->tgid)
			continue; /* a process once, through its leader */
		if (pid == -1 ? t->pid == INIT_PID || t->tgid == proc->cur->tgid : t->pgid != pgid)
			continue;
		any = true;
		linux_task_signal(proc, t, sig);
	}
	return any ? 0 : -ESRCH;
}

long linux_sys_tgkill(struct linux_proc *proc, const uint64_t *a)
{
	if ((int32_t)a[0] <= 0 || (int32_t)a[1] <= 0 || a[2] > LINUX_NSIG)
		return -EINVAL;
	struct linux_task *t = linux_task_find(proc, (int32_t)a[1]);
	if (!t || t->tgid != (int32_t)a[0] || !linux_thread_alive(t))
		return -ESRCH;
	linux_thread_signal(proc, t, (unsigned)a[2]);
	return 0;
}

long linux_sys_tkill(struct linux_proc *proc, const uint64_t *a)
{
	if ((int32_t)a[0] <= 0 || a[1] > LINUX_NSIG)
		return -EINVAL;
	struct linux_task *t = linux_task_find(proc, (int32_t)a[0]);
	if (!t || !linux_thread_alive(t))
		return -ESRCH;
	linux_thread_signal(proc, t, (unsigned)a[1]);
	return 0;
}

long linux_sys_exit_group(struct linux_proc *proc, const uint64_t *a)
{
	linux_task_exit(proc, (int)(a[0] & 0xFF) << 8);
	return 0;
}
