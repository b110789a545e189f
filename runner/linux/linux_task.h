/* Tasks of a Linux-ABI guest: the task table, fork/vfork/clone, exit and wait, signals between tasks, the scheduler of the one vCPU (linux_task.c, linux_clone.c, linux_wait.c, linux_sched.c); included by linux.h. */
#ifndef LOCKVM_LINUX_TASK_H
#define LOCKVM_LINUX_TASK_H

#include "linux.h"

/* The first task (pid 1) from the process linux_setup() built. 0 or -ENOMEM. */
int linux_tasks_init(struct linux_proc *proc, unsigned max_tasks);
/* Frees every task and what the ones still alive hold. */
void linux_tasks_free(struct linux_proc *proc);
/* The task with this pid, or NULL. */
struct linux_task *linux_task_find(struct linux_proc *proc, int pid);
/* Ends the running task with a wait status (exit code << 8, or the killing
 * signal): pid 1 ends the VM; another becomes a zombie and the vCPU goes
 * to the next task when the call returns. */
void linux_task_exit(struct linux_proc *proc, int wstatus);
/* Sends sig to task t as kill(2) would (t may be the caller). */
void linux_task_signal(struct linux_proc *proc, struct linux_task *t, unsigned sig);
/* Delivers the running task's pending signals it does not block. */
void linux_task_deliver_pending(struct linux_proc *proc, struct linux_regs *regs);
/* The running task exec'd: its vfork parent goes on. */
void linux_task_exec(struct linux_proc *proc, const char *comm);
/* The running task's new argv (/proc/PID/cmdline). */
void linux_task_set_cmdline(struct linux_proc *proc, const struct linux_exec_args *args);
/* A released task whose parent may reap it (wait4). */
void linux_task_reap(struct linux_proc *proc, struct linux_task *t);

/* One task as /proc shows it (linux_task_iter). */
struct linux_task_info {
	int pid, ppid, pgid, sid;
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

#endif
