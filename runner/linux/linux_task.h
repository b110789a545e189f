/* Tasks of a Linux-ABI guest: the task table, fork/vfork/clone, threads, futex, exit and wait, signals between tasks, the scheduler of the one vCPU (linux_task.c, linux_clone.c, linux_thread.c, linux_futex.c, linux_wait.c, linux_sched.c); included by linux.h. */
#ifndef LOCKVM_LINUX_TASK_H
#define LOCKVM_LINUX_TASK_H

#include "linux.h"

/* The first task (pid 1) from the process linux_setup() built. 0 or -ENOMEM. */
int linux_tasks_init(struct linux_proc *proc, unsigned max_tasks);
/* Frees every task and what the ones still alive hold. */
void linux_tasks_free(struct linux_proc *proc);
/* The task with this pid, or NULL. */
struct linux_task *linux_task_find(struct linux_proc *proc, int pid);
/* Ends the running task's process (every thread) with a wait status (exit
 * code << 8, or the killing signal): pid 1 ends the VM; another becomes a
 * zombie and the vCPU goes to the next task when the call returns. */
void linux_task_exit(struct linux_proc *proc, int wstatus);
/* Job control: stops t's process (every thread) for stop signal sig, as a
 * stop signal's default action (pid 1 ignores it, as a namespace's init);
 * its parent hears SIGCHLD unless SA_NOCLDSTOP. */
void linux_task_stop(struct linux_proc *proc, struct linux_task *t, unsigned sig);
/* Whether t's process is stopped: none of its threads may run. */
bool linux_task_stopped(struct linux_proc *proc, const struct linux_task *t);
/* Sends sig to t's process as kill(2) would (t may be the caller). */
void linux_task_signal(struct linux_proc *proc, struct linux_task *t, unsigned sig);
/* Sends sig to thread t as tgkill(2) would: pending for it alone. */
void linux_thread_signal(struct linux_proc *proc, struct linux_task *t, unsigned sig);
/* Signals pending for t: its own and its process's. */
uint64_t linux_task_sigpending(struct linux_proc *proc, const struct linux_task *t);
/* Takes sig off t's pending set (its own first, else its process's). */
void linux_task_take_signal(struct linux_proc *proc, struct linux_task *t, unsigned sig);
/* Drops what t holds: its address space, and its fds and cwd if files
 * (false: another thread of its group holds them). */
void linux_task_drop_state(struct linux_proc *proc, struct linux_task *t, bool files);

/* Process dead (a zombie now) leaves its children to the nearest living
 * ancestor that is a child subreaper, else to pid 1; each child that asked
 * (PR_SET_PDEATHSIG) gets its signal, and a new parent hears about a
 * child that is already a zombie (linux_prctl.c). */
void linux_task_orphans(struct linux_proc *proc, struct linux_task *dead);

/* ---- linux_thread.c: thread groups ---- */

/* Not a zombie, nor a leader that exited while its threads run. */
bool linux_thread_alive(const struct linux_task *t);
/* The live threads of process tgid (/proc's Threads:, task/). */
unsigned linux_thread_count(const struct linux_proc *proc, int tgid);
/* t's thread group leader (t itself for a process's first thread). */
struct linux_task *linux_thread_leader(struct linux_proc *proc, struct linux_task *t);
/* The group's shared state (fds, cwd, actions) as a live thread has it, or NULL. */
const struct linux_task_state *linux_thread_group_state(struct linux_proc *proc,
							const struct linux_task *leader);
/* Copies the running thread's fds, cwd and actions to its live siblings. */
void linux_thread_sync(struct linux_proc *proc);
/* exit(2) of the running thread: the process ends with its last thread. */
void linux_thread_exit(struct linux_proc *proc, int wstatus);
/* Robust lists and CLEARTID of every live thread of group tgid, which
 * runs in the running task's address space. */
void linux_thread_mm_release_all(struct linux_proc *proc, int tgid);
/* execve succeeded: the other threads are gone and the caller becomes the
 * process (the leader's pid). */
void linux_thread_exec(struct linux_proc *proc);

/* ---- linux_futex.c ---- */

/* Wakes up to nr waiters on the futex word at uaddr (as a shared futex). */
long linux_futex_wake_addr(struct linux_proc *proc, uint64_t uaddr, int64_t nr);
/* t, blocked in a futex wait and about to run, returns from it instead of
 * retrying the call: 0 if a wake came, else -EINTR (a signal is pending). */
void linux_futex_interrupt(struct linux_task *t, struct linux_regs *regs);
/* Delivers the running task's pending signals it does not block. */
void linux_task_deliver_pending(struct linux_proc *proc, struct linux_regs *regs);
/* The running task exec'd: its vfork parent goes on. */
void linux_task_exec(struct linux_proc *proc, const char *comm);
/* The running task's new argv (/proc/PID/cmdline). */
void linux_task_set_cmdline(struct linux_proc *proc, const struct linux_exec_args *args);
/* Frees t, out of the task table: once its vCPU left it if one is on it. */
void linux_task_free(struct linux_task *t);
/* A released task whose parent may reap it (wait4). */
void linux_task_reap(struct linux_proc *proc, struct linux_task *t);

/* One task as /proc shows it (linux_task_iter). */
struct linux_task_info {
	int pid, ppid, pgid, sid;
	int tgid;   /* its process: pid for a process's first thread */
	char state; /* R, S (blocked), D (vforked) or Z */
	const char *comm;
	const char *cmdline; /* argv, NUL-separated, cmdline_len bytes */
	unsigned cmdline_len;
};
/* Fills *info for the i-th task (from 0); false past the last. */
bool linux_task_iter(const struct linux_proc *proc, unsigned i, struct linux_task_info *info);

/* When the call being served returns: saves the running task (its call
 * retried later if it blocked) and loads the next runnable one into proc
 * and regs (proc->regs_replaced). */
void linux_sched_switch(struct linux_proc *proc, struct linux_regs *regs);
/* Loads t's state into proc as the running task (the vCPU that holds the
 * lock runs t); the one there before keeps its own. */
void linux_sched_load(struct linux_proc *proc, struct linux_task *t);
/* A vCPU without a task (its first exit, or its task gone): waits for one
 * to run and loads it with its registers into regs. False: the VM ends. */
bool linux_sched_idle(struct linux_proc *proc, struct linux_regs *regs);
/* The time slice of a task when others can run: the main thread kicks the
 * vCPU this often, and a kicked task at CPL 3 yields (linux_sched_preempt). */
#define LINUX_SLICE_MS 10
/* The task count changed: slices on with more than one task. */
void linux_sched_tasks_changed(struct linux_proc *proc);
/* A kick found the running task at CPL 3 with regs: switches to another
 * runnable task if there is one. Returns whether regs now hold it. */
bool linux_sched_preempt(struct linux_proc *proc, struct linux_regs *regs);

long linux_sys_getpid(struct linux_proc *proc, const uint64_t *a);
long linux_sys_getppid(struct linux_proc *proc, const uint64_t *a);
long linux_sys_getpgid(struct linux_proc *proc, const uint64_t *a);
long linux_sys_getsid(struct linux_proc *proc, const uint64_t *a);
long linux_sys_getpgrp(struct linux_proc *proc, const uint64_t *a);
long linux_sys_setpgid(struct linux_proc *proc, const uint64_t *a);
long linux_sys_setsid(struct linux_proc *proc, const uint64_t *a);
long linux_sys_kill(struct linux_proc *proc, const uint64_t *a);
long linux_sys_tgkill(struct linux_proc *proc, const uint64_t *a);
long linux_sys_tkill(struct linux_proc *proc, const uint64_t *a);
long linux_sys_exit_group(struct linux_proc *proc, const uint64_t *a);
long linux_sys_wait4(struct linux_proc *proc, const uint64_t *a);
long linux_sys_waitid(struct linux_proc *proc, const uint64_t *a);
long linux_sys_clone(struct linux_proc *proc, const uint64_t *a);
long linux_sys_fork(struct linux_proc *proc, const uint64_t *a);
long linux_sys_vfork(struct linux_proc *proc, const uint64_t *a);
long linux_sys_clone3(struct linux_proc *proc, const uint64_t *a);
long linux_sys_exit(struct linux_proc *proc, const uint64_t *a);
long linux_sys_gettid(struct linux_proc *proc, const uint64_t *a);
long linux_sys_set_tid_address(struct linux_proc *proc, const uint64_t *a);
long linux_sys_set_robust_list(struct linux_proc *proc, const uint64_t *a);
long linux_sys_get_robust_list(struct linux_proc *proc, const uint64_t *a);
long linux_sys_futex(struct linux_proc *proc, const uint64_t *a);
long linux_sys_sched_yield(struct linux_proc *proc, const uint64_t *a);
long linux_sys_sched_getaffinity(struct linux_proc *proc, const uint64_t *a);
long linux_sys_sched_setaffinity(struct linux_proc *proc, const uint64_t *a);
long linux_sys_sched_getscheduler(struct linux_proc *proc, const uint64_t *a);
long linux_sys_sched_getparam(struct linux_proc *proc, const uint64_t *a);
long linux_sys_sched_get_priority_max(struct linux_proc *proc, const uint64_t *a);
long linux_sys_sched_get_priority_min(struct linux_proc *proc, const uint64_t *a);
long linux_sys_getcpu(struct linux_proc *proc, const uint64_t *a);

#endif
