/* What a task records about itself and Linux keeps per task: prctl (name, parent-death signal, child subreaper, no_new_privs, dumpable), nice values, personality, membarrier, and mlock's argument checks; none reaches the host. */
#include <errno.h>
#include <string.h>

#include "linux.h"

#define L_PR_SET_PDEATHSIG	 1
#define L_PR_GET_PDEATHSIG	 2
#define L_PR_GET_DUMPABLE	 3
#define L_PR_SET_DUMPABLE	 4
#define L_PR_SET_NAME		 15
#define L_PR_GET_NAME		 16
#define L_PR_SET_CHILD_SUBREAPER 36
#define L_PR_GET_CHILD_SUBREAPER 37
#define L_PR_SET_NO_NEW_PRIVS	 38
#define L_PR_GET_NO_NEW_PRIVS	 39
#define L_NSIG			 64
#define L_TASK_COMM_LEN		 16

long linux_sys_prctl(struct linux_proc *proc, const uint64_t *a)
{
	struct linux_task *cur = proc->cur, *leader = linux_thread_leader(proc, cur);
	switch (a[0]) {
	case L_PR_SET_PDEATHSIG:
		if (a[1] > L_NSIG)
			return -EINVAL;
		cur->pdeathsig = (int)a[1];
		return 0;
	case L_PR_GET_PDEATHSIG: {
		int32_t sig = cur->pdeathsig;
		return linux_copy_out(proc, a[1], &sig, sizeof(sig));
	}
	case L_PR_GET_DUMPABLE: return leader->undumpable ? 0 : 1;
	case L_PR_SET_DUMPABLE:
		if (a[1] > 1) /* SUID_DUMP_ROOT (2) is not for prctl, as Linux */
			return -EINVAL;
		leader->undumpable = a[1] == 0;
		return 0;
	case L_PR_SET_NAME: {
		/* As Linux: up to 15 bytes of the string, the rest cut. */
		char name[L_TASK_COMM_LEN] = {0};
		for (unsigned i = 0; i < sizeof(name) - 1; i++) {
			if (linux_copy_in(proc, &name[i], a[1] + i, 1) < 0)
				return -EFAULT;
			if (!name[i])
				break;
		}
		_Static_assert(sizeof(cur->comm) == L_TASK_COMM_LEN, "comm size");
		memcpy(cur->comm, name, sizeof(cur->comm));
		return 0;
	}
	case L_PR_GET_NAME: return linux_copy_out(proc, a[1], cur->comm, sizeof(cur->comm));
	case L_PR_SET_CHILD_SUBREAPER: leader->subreaper = a[1] != 0; return 0;
	case L_PR_GET_CHILD_SUBREAPER: {
		int32_t on = leader->subreaper;
		return linux_copy_out(proc, a[1], &on, sizeof(on));
	}
	case L_PR_SET_NO_NEW_PRIVS:
		/* Recorded only: the VM runs no set-id program that it would stop,
		 * and as Linux it cannot be cleared once set. */
		if (a[1] != 1 || a[2] || a[3] || a[4])
			return -EINVAL;
		cur->no_new_privs = true;
		return 0;
	case L_PR_GET_NO_NEW_PRIVS:
		if (a[1] || a[2] || a[3] || a[4])
			return -EINVAL;
		return cur->no_new_privs;
	default: return -EINVAL; /* as Linux for an option it does not know */
	}
}

/* ---- nice values: PRIO_PROCESS, PRIO_PGRP, PRIO_USER ---- */

#define L_PRIO_PROCESS 0
#define L_PRIO_PGRP    1
#define L_PRIO_USER    2

/* Whether t is one getpriority/setpriority's (which, who) names. */
static bool prio_names(struct linux_proc *proc, const struct linux_task *t, uint64_t which,
		       uint64_t who)
{
	if (!linux_thread_alive(t))
		return false;
	const struct linux_task *cur = proc->cur;
	int id = (int)who;
	switch (which) {
	case L_PRIO_PROCESS: return t->pid == (id ? id : cur->pid);
	case L_PRIO_PGRP: return t->tgid == t->pid && t->pgid == (id ? id : cur->pgid);
	default: { /* PRIO_USER: the processes of that uid */
		uint32_t uid = t == cur ? proc->cred.uid : t->saved.cred.uid;
		return t->tgid == t->pid && uid == (id ? (uint32_t)who : proc->cred.uid);
	}
	}
}

/* The raw call's answer, as Linux's: 20 - nice (1..40) of the highest
 * priority task named, so it is never negative. */
long linux_sys_getpriority(struct linux_proc *proc, const uint64_t *a)
{
	if (a[0] > L_PRIO_USER)
		return -EINVAL;
	int best = 100;
	for (unsigned i = 0; i < proc->ntasks; i++) {
		const struct linux_task *t = proc->tasks[i];
		if (prio_names(proc, t, a[0], a[1]) && t->nice < best)
			best = t->nice;
	}
	return best == 100 ? -ESRCH : 20 - best;
}

long linux_sys_setpriority(struct linux_proc *proc, const uint64_t *a)
{
	if (a[0] > L_PRIO_USER)
		return -EINVAL;
	int nice = (int)a[2];
	nice = nice < -20 ? -20 : nice > 19 ? 19 : nice;
	bool found = false;
	for (unsigned i = 0; i < proc->ntasks; i++) {
		struct linux_task *t = proc->tasks[i];
		if (!prio_names(proc, t, a[0], a[1]))
			continue;
		found = true;
		/* As Linux with RLIMIT_NICE 0: only the VM's root may lower a nice value. */
		if (nice < t->nice && proc->cred.uid != 0)
			return -EACCES;
		t->nice = nice;
	}
	return found ? 0 : -ESRCH;
}

/* ---- personality ---- */

#define L_PER_LINUX 0
#define L_PER_QUERY 0xffffffffULL

long linux_sys_personality(struct linux_proc *proc, const uint64_t *a)
{
	if ((a[0] & 0xffffffffULL) != L_PER_QUERY && (a[0] & 0xffffffffULL) != L_PER_LINUX)
		return -EINVAL; /* no other execution domain, nor READ_IMPLIES_EXEC and kin */
	return L_PER_LINUX;
}

/* ---- membarrier ---- */

#define L_MEMBARRIER_CMD_QUERY				      0
#define L_MEMBARRIER_CMD_GLOBAL				      1
#define L_MEMBARRIER_CMD_PRIVATE_EXPEDITED		      8
#define L_MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED	      16
#define L_MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE	      32
#define L_MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE 64
#define MEMBARRIER_SERVED                                                                          \
	(L_MEMBARRIER_CMD_GLOBAL | L_MEMBARRIER_CMD_PRIVATE_EXPEDITED |                            \
	 L_MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED |                                             \
	 L_MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE |                                            \
	 L_MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE)

/*
 * Why a return is enough barrier: the Linux layer runs under one lock, and
 * before a call is served every other vCPU has left KVM_RUN
 * (linux_cpu_stop_others(), called again here so this holds whatever the
 * entry path does). A VM exit serialises the vCPU that took it, so every
 * thread of the program that was running has passed a full barrier and a
 * core serialisation by the time this returns, and one that runs later
 * starts with a VM entry, which serialises too.
 */
long linux_sys_membarrier(struct linux_proc *proc, const uint64_t *a)
{
	struct linux_task *leader = linux_thread_leader(proc, proc->cur);
	if (a[1]) /* no flags: MEMBARRIER_CMD_FLAG_CPU is for the RSEQ commands */
		return -EINVAL;
	switch (a[0]) {
	case L_MEMBARRIER_CMD_QUERY: return MEMBARRIER_SERVED;
	case L_MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED:
	case L_MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE:
		leader->membarrier_registered |= (unsigned)a[0];
		return 0;
	case L_MEMBARRIER_CMD_PRIVATE_EXPEDITED:
	case L_MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE:
		/* As Linux: only a process that registered for it first. */
		if (!(leader->membarrier_registered & (unsigned)a[0] << 1))
			return -EPERM;
		linux_cpu_stop_others(proc);
		return 0;
	case L_MEMBARRIER_CMD_GLOBAL: linux_cpu_stop_others(proc); return 0;
	default: return -EINVAL;
	}
}

/* ---- mlock: every page of the VM stays in its RAM already ---- */

#define L_MLOCK_ONFAULT 1
#define L_MCL_CURRENT	1
#define L_MCL_FUTURE	2
#define L_MCL_ONFAULT	4

/* Linux's checks of a range to lock or unlock: the start rounded down to
 * its page, EINVAL if the end wraps, ENOMEM if a page of it is not mapped. */
static long lock_range(struct linux_proc *proc, uint64_t addr, uint64_t len)
{
	uint64_t start = addr & ~(uint64_t)(LOCKVM_PAGE_SIZE - 1), end;
	if (__builtin_add_overflow(len, addr - start, &len) ||
	    __builtin_add_overflow(len, (uint64_t)LOCKVM_PAGE_SIZE - 1, &len))
		return -EINVAL;
	len &= ~(uint64_t)(LOCKVM_PAGE_SIZE - 1);
	if (__builtin_add_overflow(start, len, &end))
		return -EINVAL;
	if (end == start)
		return 0;
	return linux_vma_covered(proc->mm, start, end) ? 0 : -ENOMEM;
}

long linux_sys_mlock(struct linux_proc *proc, const uint64_t *a)
{
	return lock_range(proc, a[0], a[1]);
}

long linux_sys_mlock2(struct linux_proc *proc, const uint64_t *a)
{
	if (a[2] & ~(uint64_t)L_MLOCK_ONFAULT)
		return -EINVAL;
	return lock_range(proc, a[0], a[1]);
}

long linux_sys_munlock(struct linux_proc *proc, const uint64_t *a)
{
	return lock_range(proc, a[0], a[1]);
}

long linux_sys_mlockall(struct linux_proc *proc, const uint64_t *a)
{
	/* As Linux: a known flag, and MCL_ONFAULT only with one of the others. */
	if (!a[0] || (a[0] & ~(uint64_t)(L_MCL_CURRENT | L_MCL_FUTURE | L_MCL_ONFAULT)) ||
	    a[0] == L_MCL_ONFAULT)
		return -EINVAL;
	return 0;
}

long linux_sys_munlockall(struct linux_proc *proc, const uint64_t *a)
{
	return 0;
}
