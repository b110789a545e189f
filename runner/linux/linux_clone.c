/* New tasks in a Linux-ABI guest: fork, vfork, clone and clone3 — a process (its own copy-on-write address space or, for vfork, the parent's; a copy of the fd table sharing the open files; the signal actions and mask) or a thread (CLONE_THREAD: the group's address space, fds, cwd and actions). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "linux.h"

#define L_CSIGNAL	       0x000000FFULL
#define L_CLONE_VM	       0x00000100ULL
#define L_CLONE_FS	       0x00000200ULL
#define L_CLONE_FILES	       0x00000400ULL
#define L_CLONE_SIGHAND	       0x00000800ULL
#define L_CLONE_PTRACE	       0x00002000ULL
#define L_CLONE_VFORK	       0x00004000ULL
#define L_CLONE_PARENT	       0x00008000ULL
#define L_CLONE_THREAD	       0x00010000ULL
#define L_CLONE_SYSVSEM	       0x00040000ULL
#define L_CLONE_SETTLS	       0x00080000ULL
#define L_CLONE_PARENT_SETTID  0x00100000ULL
#define L_CLONE_CHILD_CLEARTID 0x00200000ULL
#define L_CLONE_DETACHED       0x00400000ULL
#define L_CLONE_UNTRACED       0x00800000ULL
#define L_CLONE_CHILD_SETTID   0x01000000ULL
#define L_SIGCHLD	       17

/* The flags a process may be cloned with. */
#define SERVED_FLAGS                                                                               \
	(L_CSIGNAL | L_CLONE_VM | L_CLONE_PTRACE | L_CLONE_VFORK | L_CLONE_PARENT |                \
	 L_CLONE_SYSVSEM | L_CLONE_SETTLS | L_CLONE_PARENT_SETTID | L_CLONE_CHILD_CLEARTID |       \
	 L_CLONE_DETACHED | L_CLONE_UNTRACED | L_CLONE_CHILD_SETTID)
/* A thread shares all of these (glibc, musl, Go and Rust pass them all). */
#define THREAD_SHARES (L_CLONE_VM | L_CLONE_FS | L_CLONE_FILES | L_CLONE_SIGHAND | L_CLONE_THREAD)

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

/* A thread's state: the group's (its fds, cwd and actions are the same
 * table, held once), with the parent thread's mask. */
static void share_state(struct linux_proc *proc, struct linux_task *child)
{
	child->saved = proc->task_state;
	child->saved.mm->refs++;
	child->saved.altstack_sp = child->saved.altstack_size = 0; /* not inherited */
	child->saved.altstack_flags = 0;
	child->saved.signal_depth = 0;
}

static long do_clone(struct linux_proc *proc, uint64_t flags, uint64_t newsp, uint64_t parent_tid,
		     uint64_t child_tid, uint64_t tls)
{
	bool thread = flags & L_CLONE_THREAD;
	if (thread ? (flags & ~(SERVED_FLAGS | THREAD_SHARES)) ||
			 (flags & THREAD_SHARES) != THREAD_SHARES || (flags & L_CLONE_VFORK)
		   : (flags & ~SERVED_FLAGS) || ((flags & L_CLONE_VM) && !(flags & L_CLONE_VFORK)))
		return -EINVAL; /* namespaces, pidfds, a partly shared task */
	if (proc->ntasks >= proc->max_tasks)
		return -EAGAIN; /* --pids */
	struct linux_task *cur = proc->cur, *child = calloc(1, sizeof(*child));
	if (!child)
		return -ENOMEM;
	struct linux_mm *mm = proc->mm;
	if (thread)
		share_state(proc, child);
	else if (flags & L_CLONE_VM)
		mm->refs++;
	else
		mm = linux_mm_fork(proc);
	if (!mm) {
		free(child);
		return -ENOMEM;
	}
	if (!thread)
		copy_state(proc, child, mm);
	int pid = proc->next_pid++;
	child->pid = pid;
	child->tgid = thread ? cur->tgid : pid;
	/* A thread's parent is its process's; a process's is the caller's process. */
	child->ppid = thread || (flags & L_CLONE_PARENT) ? 0 : cur->tgid;
	if (!thread && (flags & L_CLONE_PARENT))
		child->ppid = linux_thread_leader(proc, cur)->ppid;
	child->pgid = cur->pgid;
	child->sid = cur->sid;
	child->exit_signal = thread ? 0 : (int)(flags & L_CSIGNAL); /* a thread's is ignored */
	memcpy(child->comm, cur->comm, sizeof(child->comm));
	child->nice = cur->nice; /* as Linux; its parent-death signal is not copied */
	child->no_new_privs = cur->no_new_privs;
	memcpy(child->cmdline, cur->cmdline, cur->cmdline_len);
	child->cmdline_len = cur->cmdline_len;
	memcpy(child->exe, cur->exe, sizeof(child->exe));
	/* It returns 0 from the same call, with the parent's registers. */
	child->regs = *proc->regs;
	child->regs.rax = 0;
	child->fpu = *linux_fpu_cur(proc); /* and its FPU state, as Linux's fpu_clone() */
	if (newsp)
		child->regs.rsp = newsp;
	if (flags & L_CLONE_SETTLS)
		child->saved.fs_base = tls;
	child->saved.clear_child_tid = (flags & L_CLONE_CHILD_CLEARTID) ? child_tid : 0;
	child->set_child_tid = (flags & L_CLONE_CHILD_SETTID) ? child_tid : 0;
	proc->tasks[proc->ntasks++] = child;
	linux_record_fork(proc, child);
	linux_sched_tasks_changed(proc);
	linux_cpu_wake_idle(proc); /* an idle vCPU may run it */
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

/* struct clone_args: the first 64 bytes (CLONE_ARGS_SIZE_VER0), then
 * set_tid, set_tid_size, cgroup; a larger struct must be zero past them. */
#define CLONE_ARGS_VER0	 64
#define CLONE_ARGS_KNOWN 88

long linux_sys_clone3(struct linux_proc *proc, const uint64_t *a)
{
	uint64_t size = a[1];
	if (size < CLONE_ARGS_VER0 || size > LOCKVM_PAGE_SIZE)
		return size < CLONE_ARGS_VER0 ? -EINVAL : -E2BIG;
	struct {
		uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
		uint64_t set_tid, set_tid_size, cgroup;
	} args = {0};
	_Static_assert(sizeof(args) == CLONE_ARGS_KNOWN, "struct clone_args");
	uint64_t known = size < sizeof(args) ? size : sizeof(args);
	if (linux_copy_in(proc, &args, a[0], known) < 0)
		return -EFAULT;
	for (uint64_t off = known; off < size; off += 8) {
		uint64_t rest = 0; /* bounded: at most a page, read 8 bytes at a time */
		if (linux_copy_in(proc, &rest, a[0] + off, size - off < 8 ? size - off : 8) < 0)
			return -EFAULT;
		if (rest)
			return -E2BIG;
	}
	if ((args.flags & L_CSIGNAL) || args.exit_signal > LINUX_NSIG || args.set_tid ||
	    args.set_tid_size || args.cgroup)
		return -EINVAL;
	if (args.stack_size && !args.stack)
		return -EINVAL;
	uint64_t sp = 0;
	if (args.stack && add_overflows(args.stack, args.stack_size, &sp))
		return -EINVAL;
	return do_clone(proc, args.flags | args.exit_signal, sp, args.parent_tid, args.child_tid,
			args.tls);
}
