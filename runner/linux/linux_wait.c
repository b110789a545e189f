/* Waiting for children in a Linux-ABI guest: wait4 and waitid over the caller's own children (by pid, group or any), statuses encoded as Linux's, zombies reaped; what tasks used (getrusage, times, wait4's rusage) from the vCPU thread's CPU clock and their resident pages. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "linux.h"

#define L_WNOHANG	0x00000001U
#define L_WSTOPPED	0x00000002U /* WUNTRACED */
#define L_WEXITED	0x00000004U
#define L_WCONTINUED	0x00000008U
#define L_WNOWAIT	0x01000000U
#define L_WNOTHREAD	0x20000000U
#define L_WALL		0x40000000U
#define L_WCLONE	0x80000000U
#define L_P_ALL		0
#define L_P_PID		1
#define L_P_PGID	2
#define L_P_PIDFD	3
#define L_SIGCHLD	17
#define L_CLD_EXITED	1
#define L_CLD_KILLED	2
#define L_CLD_STOPPED	5
#define L_CLD_CONTINUED 6
#define L_SIGCONT	18
#define RUSAGE_SIZE	144

#define L_RUSAGE_SELF	  0
#define L_RUSAGE_CHILDREN (-1)
#define L_RUSAGE_THREAD	  1
#define L_USER_HZ	  100 /* clock_t ticks of times() */
#define NS_PER_TICK	  (1000000000ULL / L_USER_HZ)

/* CPU time of the vCPU thread: the guest's run at CPL 3 and the VMM's
 * serving of its calls both count there (KVM_RUN is the thread's time).
 * A real system call on the host (the vDSO has no thread CPU clock). */
static uint64_t cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void linux_account(struct linux_proc *proc)
{
	uint64_t now = cpu_now(), spent = now - proc->cpu_mark;
	proc->cpu_mark = now;
	/* Inside a call, everything since its first sample is serving it;
	 * outside, the last call's unsampled end (its wall time, short) came
	 * first, then the program's run at CPL 3. */
	uint64_t sys = proc->serve_start	  ? spent
		       : proc->serve_tail < spent ? proc->serve_tail
						  : spent;
	proc->serve_tail = 0;
	if (!proc->cur || proc->cur->run == LINUX_TASK_ZOMBIE)
		return;
	proc->cur->stime_ns += sys;
	proc->cur->utime_ns += spent - sys;
}

/* A call served longer than this (a wait, a big copy, the host preempting
 * the VMM) ends with a sample; a shorter one's wall time stands in for
 * its CPU time, which saves one host call per call. */
#define SERVE_SAMPLED_NS 100000ULL

void linux_account_serve(struct linux_proc *proc, bool begin)
{
	if (begin) {
		linux_account(proc); /* the program ran at CPL 3 up to here */
		proc->serve_start = now_ns();
		return;
	}
	uint64_t wall = now_ns() - proc->serve_start;
	if (wall > SERVE_SAMPLED_NS)
		linux_account(proc);
	else
		proc->serve_tail = wall;
	proc->serve_start = 0;
}

/* Pages mm maps that hold a frame (its resident set), walking only the
 * tables that exist. */
static uint64_t resident(struct linux_mm *mm)
{
	uint64_t n = 0;
	if (!mm)
		return 0;
	for (unsigned i = 0; i < mm->nvmas; i++)
		for (uint64_t va = mm->vmas[i].start; va < mm->vmas[i].end;) {
			const uint64_t *pte = linux_mm_pte(mm, va, false);
			if (!pte) {
				va = linux_mm_skip(mm, va);
				continue;
			}
			n += (*pte & 1) != 0; /* present */
			va += LOCKVM_PAGE_SIZE;
		}
	return n;
}

void linux_rusage_sample(struct linux_proc *proc, struct linux_task *t)
{
	struct linux_mm *mm = t == proc->cur ? proc->mm : t->saved.mm;
	uint64_t rss = resident(mm);
	if (rss > t->maxrss_pages)
		t->maxrss_pages = rss;
}

/* A reaped child's use goes to its parent (RUSAGE_CHILDREN, times()). */
static void reap(struct linux_proc *proc, struct linux_task *child)
{
	struct linux_task *self = proc->cur;
	self->cutime_ns += child->utime_ns + child->cutime_ns;
	self->cstime_ns += child->stime_ns + child->cstime_ns;
	uint64_t m =
	    child->maxrss_pages > child->cmaxrss_pages ? child->maxrss_pages : child->cmaxrss_pages;
	if (m > self->cmaxrss_pages)
		self->cmaxrss_pages = m;
	linux_task_reap(proc, child);
}

static long rusage_out(struct linux_proc *proc, uint64_t addr, uint64_t utime, uint64_t stime,
		       uint64_t maxrss_pages)
{
	int64_t ru[RUSAGE_SIZE / 8] = {0};
	ru[0] = (int64_t)(utime / 1000000000ULL);
	ru[1] = (int64_t)(utime % 1000000000ULL / 1000);
	ru[2] = (int64_t)(stime / 1000000000ULL);
	ru[3] = (int64_t)(stime % 1000000000ULL / 1000);
	ru[4] = (int64_t)(maxrss_pages * (LOCKVM_PAGE_SIZE / 1024)); /* KiB */
	return linux_copy_out(proc, addr, ru, sizeof(ru));
}

long linux_sys_getrusage(struct linux_proc *proc, const uint64_t *a)
{
	struct linux_task *t = proc->cur;
	linux_account(proc); /* up to this call */
	switch ((int32_t)a[0]) {
	case L_RUSAGE_SELF:
	case L_RUSAGE_THREAD: /* one thread per process */
		linux_rusage_sample(proc, t);
		return rusage_out(proc, a[1], t->utime_ns, t->stime_ns, t->maxrss_pages);
	case L_RUSAGE_CHILDREN:
		return rusage_out(proc, a[1], t->cutime_ns, t->cstime_ns, t->cmaxrss_pages);
	default: return -EINVAL;
	}
}

long linux_sys_times(struct linux_proc *proc, const uint64_t *a)
{
	const struct linux_task *t = proc->cur;
	linux_account(proc);
	if (a[0]) {
		const int64_t tms[4] = {
		    (int64_t)(t->utime_ns / NS_PER_TICK), (int64_t)(t->stime_ns / NS_PER_TICK),
		    (int64_t)(t->cutime_ns / NS_PER_TICK), (int64_t)(t->cstime_ns / NS_PER_TICK)};
		if (linux_copy_out(proc, a[0], tms, sizeof(tms)) < 0)
			return -EFAULT;
	}
	return (long)(now_ns() / NS_PER_TICK); /* ticks since an arbitrary point, as Linux */
}

/* Which children a wait names: one pid, one group, or any. */
struct wait_sel {
	enum { SEL_ANY, SEL_PID, SEL_PGID } kind;
	int id;
};

static bool selected(const struct linux_task *t, const struct wait_sel *sel)
{
	return sel->kind == SEL_ANY || (sel->kind == SEL_PID ? t->pid : t->pgid) == sel->id;
}

/* What a wait found of a child: its exit, or a stop or continue to report. */
enum wait_event { WAIT_EXITED, WAIT_STOPPED, WAIT_CONTINUED };

/*
 * The caller's child the selector names that has something to report
 * (*found, *event): it exited (a zombie), or, as options ask (WUNTRACED,
 * WCONTINUED; WEXITED for waitid), it stopped or continued since the last
 * report. NULL: -ECHILD when it has no such child at all, 0 when none has
 * anything yet. Only the caller's own children: never another task's.
 */
static long find_child(struct linux_proc *proc, const struct wait_sel *sel, uint64_t options,
		       struct linux_task **found, enum wait_event *event)
{
	bool any = false;
	*found = NULL;
	for (unsigned i = 0; i < proc->ntasks; i++) {
		struct linux_task *t = proc->tasks[i];
		if (t->ppid != proc->cur->tgid || !selected(t, sel))
			continue;
		any = true;
		if (t->run == LINUX_TASK_ZOMBIE) {
			if (!(options & L_WEXITED))
				continue;
			*event = WAIT_EXITED;
		} else if ((options & L_WSTOPPED) && t->stopped && t->report_stop) {
			*event = WAIT_STOPPED;
		} else if ((options & L_WCONTINUED) && t->report_cont) {
			*event = WAIT_CONTINUED;
		} else {
			continue;
		}
		*found = t;
		return 0;
	}
	return any ? 0 : -ECHILD;
}

/* A child with something to report, waiting for one unless nohang: 0
 * with *found NULL (nohang, none yet), -ECHILD, or a blocked call's
 * -LINUX_ERESTARTSYS. */
static long wait_child(struct linux_proc *proc, const struct wait_sel *sel, uint64_t options,
		       struct linux_task **found, enum wait_event *event)
{
	long rc = find_child(proc, sel, options, found, event);
	if (rc < 0 || *found || (options & L_WNOHANG))
		return rc;
	/* A child's exit, stop or continue bumps wake_gen: the scheduler
	 * retries this call. */
	linux_block_until(proc, 0);
	return -LINUX_ERESTARTSYS;
}

/* A stop or continue is reported once (but for WNOWAIT). */
static void reported(struct linux_task *child, enum wait_event event)
{
	if (event == WAIT_STOPPED)
		child->report_stop = false;
	else if (event == WAIT_CONTINUED)
		child->report_cont = false;
}

long linux_sys_wait4(struct linux_proc *proc, const uint64_t *a)
{
	if (a[2] &
	    ~(uint64_t)(L_WNOHANG | L_WSTOPPED | L_WCONTINUED | L_WNOTHREAD | L_WCLONE | L_WALL))
		return -EINVAL;
	int32_t pid = (int32_t)a[0];
	if (pid == INT32_MIN)
		return -ESRCH;
	struct wait_sel sel = {SEL_ANY, 0};
	if (pid > 0)
		sel = (struct wait_sel){SEL_PID, pid};
	else if (pid == 0)
		sel = (struct wait_sel){SEL_PGID, proc->cur->pgid};
	else if (pid < -1)
		sel = (struct wait_sel){SEL_PGID, -pid};
	struct linux_task *child;
	enum wait_event event = WAIT_EXITED;
	long rc = wait_child(proc, &sel, a[2] | L_WEXITED, &child, &event);
	if (rc < 0 || !child)
		return rc;
	/* As Linux encodes them: WIFSTOPPED (sig << 8 | 0x7f), WIFCONTINUED (0xffff). */
	int32_t status = event == WAIT_STOPPED	   ? (child->stop_signal << 8) | 0x7F
			 : event == WAIT_CONTINUED ? 0xFFFF
						   : child->wstatus;
	if (a[1] && linux_copy_out(proc, a[1], &status, sizeof(status)) < 0)
		return -EFAULT;
	if (a[3] &&
	    rusage_out(proc, a[3], child->utime_ns + child->cutime_ns,
		       child->stime_ns + child->cstime_ns,
		       child->maxrss_pages > child->cmaxrss_pages ? child->maxrss_pages
								  : child->cmaxrss_pages) < 0)
		return -EFAULT;
	int child_pid = child->pid;
	if (event == WAIT_EXITED)
		reap(proc, child);
	else
		reported(child, event);
	return child_pid;
}

long linux_sys_waitid(struct linux_proc *proc, const uint64_t *a)
{
	if (a[3] & ~(uint64_t)(L_WNOHANG | L_WNOWAIT | L_WEXITED | L_WSTOPPED | L_WCONTINUED |
			       L_WNOTHREAD | L_WCLONE | L_WALL))
		return -EINVAL;
	if (!(a[3] & (L_WEXITED | L_WSTOPPED | L_WCONTINUED)))
		return -EINVAL;
	struct wait_sel sel = {SEL_ANY, 0};
	switch (a[0]) {
	case L_P_ALL: break;
	case L_P_PID:
	case L_P_PGID:
		if ((int32_t)a[1] < (a[0] == L_P_PID ? 1 : 0))
			return -EINVAL;
		sel = (struct wait_sel){a[0] == L_P_PID ? SEL_PID : SEL_PGID, (int32_t)a[1]};
		if (sel.kind == SEL_PGID && sel.id == 0)
			sel.id = proc->cur->pgid;
		break;
	case L_P_PIDFD: return -EBADF; /* no fd of the VM is a pidfd */
	default: return -EINVAL;
	}
	struct linux_task *child = NULL;
	enum wait_event event = WAIT_EXITED;
	long rc = wait_child(proc, &sel, a[3], &child, &event);
	if (rc < 0)
		return rc;
	/* struct siginfo: signo, errno, code, then pid, uid, status. */
	int32_t info[32] = {0};
	if (child) {
		bool killed = child->wstatus & 0x7F;
		info[0] = L_SIGCHLD;
		info[2] = killed ? L_CLD_KILLED : L_CLD_EXITED;
		info[4] = child->pid;
		info[6] = killed ? child->wstatus & 0x7F : (child->wstatus >> 8) & 0xFF;
		if (event != WAIT_EXITED) {
			info[2] = event == WAIT_STOPPED ? L_CLD_STOPPED : L_CLD_CONTINUED;
			info[6] = event == WAIT_STOPPED ? child->stop_signal : L_SIGCONT;
		}
	}
	if (a[2] && linux_copy_out(proc, a[2], info, sizeof(info)) < 0)
		return -EFAULT;
	if (a[4]) { /* the child's, or none yet (WNOHANG) */
		const struct linux_task none = {0}, *c = child ? child : &none;
		if (rusage_out(proc, a[4], c->utime_ns + c->cutime_ns, c->stime_ns + c->cstime_ns,
			       c->maxrss_pages > c->cmaxrss_pages ? c->maxrss_pages
								  : c->cmaxrss_pages) < 0)
			return -EFAULT;
	}
	if (child && !(a[3] & L_WNOWAIT)) {
		if (event == WAIT_EXITED)
			reap(proc, child);
		else
			reported(child, event);
	}
	return 0;
}
