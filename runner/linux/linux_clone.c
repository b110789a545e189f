/* New processes in a Linux-ABI guest: fork, vfork and clone's process flags (the child's own copy-on-write address space or, for vfork, the parent's; a copy of the fd table sharing the open files; the signal actions and mask). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "linux.h"

#define L_CSIGNAL	       0x000000FFULL
#define L_CLONE_VM	       0x00000100ULL
#define L_CLONE_PTRACE	       0x00002000ULL
#define L_CLONE_VFORK	       0x00004000ULL
#define L_CLONE_PARENT	       0x00008000ULL
#define L_CLONE_SYSVSEM	       0x00040000ULL
#define L_CLONE_SETTLS	       0x00080000ULL
#define L_CLONE_PARENT_SETTID  0x00100000ULL
#define L_CLONE_CHILD_CLEARTID 0x00200000ULL
#define L_CLONE_DETACHED       0x00400000ULL
#define L_CLONE_UNTRACED       0x00800000ULL
#define L_CLONE_CHILD_SETTID   0x01000000ULL
#define L_SIGCHLD	       17

/* The flags a process (not a thread) may be cloned with. */
#define SERVED_FLAGS                                                                               \
	(L_CSIGNAL | L_CLONE_VM | L_CLONE_PTRACE | L_CLONE_VFORK | L_CLONE_PARENT |                \
	 L_CLONE_SYSVSEM | L_CLONE_SETTLS | L_CLONE_PARENT_SETTID | L_CLONE_CHILD_CLEARTID |       \
	 L_CLONE_DETACHED | L_CLONE_UNTRACED | L_CLONE_CHILD_SETTID)

/* The child's state: the parent's, with its own fd table whose slots share
 * the parent's open files (as Linux's fork), and the given address space. */
static void copy_state(struct linux_proc *proc, struct linux_task *child, struct linux_mm *mm)
{
	child->saved = proc->task_state;
	child->saved.mm = mm;
	for (unsigned fd = 0; fd < LINUX_MAX_FDS; fd++)
		if (child->saved.fds[fd].file)
			child->saved.fds[fd].file->refs++;
	if (child->saved.cwd)
		linux_fs_get(&proc->fs, child->saved.cwd);
}

static long do_clone(struct linux_proc *proc, uint64_t flags, uint64_t newsp, uint64_t parent_tid,
		     uint64_t child_tid, uint64_t tls)
{
	if (flags & ~SERVED_FLAGS)
		return -EINVAL; /* threads (CLONE_THREAD, SIGHAND, FILES, FS), namespaces, pidfds */
	if ((flags & L_CLONE_VM) && !(flags & L_CLONE_VFORK))
		return -EINVAL; /* threads are not served yet */
	if (proc->ntasks >= proc->max_tasks)
		return -EAGAIN; /* --pids */
	struct linux_task *cur = proc->cur, *child = calloc(1, sizeof(*child));
	if (!child)
		return -ENOMEM;
	struct linux_mm *mm = proc->mm;
	if (flags & L_CLONE_VM)
		mm->refs++;
	else
		mm = linux_mm_fork(proc);
	if (!mm) {
		free(child);
		return -ENOMEM;
	}
	copy_state(proc, child, mm);
	int pid = proc->next_pid++;
	child->pid = pid;
	child->ppid = (flags & L_CLONE_PARENT) ? cur->ppid : cur->pid;
	child->pgid = cur->pgid;
	child->sid = cur->sid;
	child->exit_signal = (int)(flags & L_CSIGNAL);
	memcpy(child->comm, cur->comm, sizeof(child->comm));
	memcpy(child->cmdline, cur->cmdline, cur->cmdline_len);
	child->cmdline_len = cur->cmdline_len;
	memcpy(child->exe, cur->exe, sizeof(child->exe));
	/* It returns 0 from the same call, with the parent's registers. */
	child->regs = *proc->regs;
	child->regs.rax = 0;
	if (newsp)
		child->regs.rsp = newsp;
	if (flags & L_CLONE_SETTLS)
		child->saved.fs_base = tls;
	child->saved.clear_child_tid = (flags & L_CLONE_CHILD_CLEARTID) ? child_tid : 0;
	child->set_child_tid = (flags & L_CLONE_CHILD_SETTID) ? child_tid : 0;
	proc->tasks[proc->ntasks++] = child;
	linux_sched_tasks_changed(proc);
	int32_t tid = pid;
	if (flags & L_CLONE_PARENT_SETTID)
		(void)linux_copy_out(proc, parent_tid, &tid, sizeof(tid));
	if (flags & L_CLONE_VFORK) {
		/* The parent sleeps until the child execs or exits. */
		cur->run = LINUX_TASK_VFORKED;
		cur->vfork_child = child;
		proc->resched = true;
	}
	return pid;
}

long linux_sys_clone(struct linux_proc *proc, const uint64_t *a)
{
	return do_clone(proc, a[0], a[1], a[2], a[3], a[4]);
}

long linux_sys_fork(struct linux_proc *proc, const uint64_t *a)
{
	return do_clone(proc, L_SIGCHLD, 0, 0, 0, 0);
}

long linux_sys_vfork(struct linux_proc *proc, const uint64_t *a)
{
	return do_clone(proc, L_CLONE_VM | L_CLONE_VFORK | L_SIGCHLD, 0, 0, 0, 0);
}
