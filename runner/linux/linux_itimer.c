/* Timers of a Linux-ABI guest on the VMM's monotonic clock: the armed list that calls served, waits (linux_block_until) and time-slice kicks run; alarm, setitimer/getitimer (ITIMER_REAL), timer_create and friends, their signals sent to the owning task. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "linux.h"

#define NS_PER_SEC	  1000000000ULL
#define LINUX_MAX_TIMERS  64 /* timer_create and ITIMER_REAL slots of the VM */
#define L_SIGALRM	  14
#define L_SIGEV_SIGNAL	  0
#define L_SIGEV_NONE	  1
#define L_SIGEV_THREAD_ID 4
#define L_TIMER_ABSTIME	  1
#define L_ITIMER_REAL	  0

/* A process's timer: timer_create's, or its ITIMER_REAL (alarm). */
struct ptimer {
	struct linux_timer t;
	int owner;	  /* pid of the task it signals; 0: a free slot */
	bool real;	  /* ITIMER_REAL / alarm rather than timer_create */
	int signo;	  /* 0: SIGEV_NONE */
	uint64_t clock;	  /* its clock id (TIMER_ABSTIME on CLOCK_REALTIME) */
	uint64_t due;	  /* expirations fired, signal not yet sent */
	uint64_t overrun; /* timer_getoverrun: expirations the last signal stood for, less one */
};

struct linux_timers {
	struct linux_timer *armed;
	uint64_t next; /* earliest expire of armed, 0: none */
	struct ptimer slots[LINUX_MAX_TIMERS];
};

static struct linux_timers *timers_get(struct linux_proc *proc)
{
	if (!proc->timers)
		proc->timers = calloc(1, sizeof(*proc->timers));
	return proc->timers;
}

static void recompute_next(struct linux_proc *proc)
{
	struct linux_timers *ts = proc->timers;
	uint64_t next = 0;
	for (const struct linux_timer *t = ts->armed; t; t = t->next)
		if (!next || t->expire < next)
			next = t->expire;
	ts->next = next;
	linux_sched_tasks_changed(proc); /* kicks on while one is armed: a spinning task sees it */
}

static void unlink_timer(struct linux_timers *ts, struct linux_timer *t)
{
	if (t->prev)
		t->prev->next = t->next;
	else
		ts->armed = t->next;
	if (t->next)
		t->next->prev = t->prev;
	t->next = t->prev = NULL;
}

int linux_timer_arm(struct linux_proc *proc, struct linux_timer *t, uint64_t expire,
		    uint64_t interval)
{
	struct linux_timers *ts = expire ? timers_get(proc) : proc->timers;
	if (!ts)
		return expire ? -ENOMEM : 0;
	if (t->expire)
		unlink_timer(ts, t);
	t->expire = expire;
	t->interval = expire ? interval : 0;
	if (expire) {
		t->prev = NULL;
		t->next = ts->armed;
		if (ts->armed)
			ts->armed->prev = t;
		ts->armed = t;
	}
	recompute_next(proc);
	return 0;
}

uint64_t linux_timers_next(const struct linux_proc *proc)
{
	return proc->timers ? proc->timers->next : 0;
}

/* Takes t's expirations up to now: fire() with their count, then the next
 * interval or disarmed. Nothing but the timer's own state changes. */
static bool expire_one(struct linux_proc *proc, struct linux_timer *t, uint64_t now)
{
	if (!t->expire || t->expire > now)
		return false;
	uint64_t count = 1;
	if (t->interval) {
		uint64_t more = (now - t->expire) / t->interval;
		count += more;
		t->expire += (more + 1) * t->interval; /* overflow: past any VM's life */
	} else {
		unlink_timer(proc->timers, t);
		t->expire = 0;
	}
	t->fire(proc, t, count);
	return true;
}

bool linux_timer_catch_up(struct linux_proc *proc, struct linux_timer *t)
{
	if (!proc->timers || !t->expire || !expire_one(proc, t, now_ns()))
		return false;
	recompute_next(proc);
	return true;
}

/* Sends the signals of the timers that fired, after the armed list is
 * walked: a signal may end a task, and with it its timerfds. */
static void send_signals(struct linux_proc *proc)
{
	struct linux_timers *ts = proc->timers;
	for (unsigned i = 0; i < LINUX_MAX_TIMERS && proc->timers; i++) {
		struct ptimer *p = &ts->slots[i];
		if (!p->owner || !p->due)
			continue;
		uint64_t due = p->due;
		p->due = 0;
		struct linux_task *task = linux_task_find(proc, p->owner);
		if (!task || task->run == LINUX_TASK_ZOMBIE) {
			linux_timer_arm(proc, &p->t, 0, 0); /* its task is gone: so is the timer */
			p->owner = 0;
			continue;
		}
		if (!p->signo)
			continue; /* SIGEV_NONE: timer_gettime shows it */
		if (linux_task_sigpending(proc, task) & (1ULL << (p->signo - 1))) {
			p->overrun += due; /* as Linux: one signal queued, the rest overruns */
			continue;
		}
		p->overrun = due - 1;
		linux_task_signal(proc, task, (unsigned)p->signo);
	}
}

bool linux_timers_run(struct linux_proc *proc)
{
	struct linux_timers *ts = proc->timers;
	if (!ts || !ts->next)
		return false;
	uint64_t now = now_ns();
	if (now < ts->next)
		return false;
	struct linux_timer *next;
	for (struct linux_timer *t = ts->armed; t; t = next) {
		next = t->next; /* expire_one() may unlink t */
		(void)expire_one(proc, t, now);
	}
	recompute_next(proc);
	send_signals(proc);
	proc->wake_gen++; /* a timerfd or a signal: blocked tasks look again */
	return true;
}

void linux_timers_free(struct linux_proc *proc)
{
	free(proc->timers);
	proc->timers = NULL;
}

static long ns_in(const int64_t ts[2], uint64_t unit, uint64_t *ns)
{
	if (ts[0] < 0 || ts[1] < 0 || (uint64_t)ts[1] >= NS_PER_SEC / unit)
		return -EINVAL;
	*ns = (uint64_t)ts[0] > UINT64_MAX / 4 / NS_PER_SEC
		  ? UINT64_MAX / 4 /* centuries: never, without overflowing a deadline */
		  : (uint64_t)ts[0] * NS_PER_SEC + (uint64_t)ts[1] * unit;
	return 0;
}

long linux_itimerspec_in(struct linux_proc *proc, uint64_t addr, uint64_t *interval,
			 uint64_t *value)
{
	int64_t its[4];
	if (linux_copy_in(proc, its, addr, sizeof(its)) < 0)
		return -EFAULT;
	long rc = ns_in(its, 1, interval);
	return rc < 0 ? rc : ns_in(its + 2, 1, value);
}

static void ts_out(int64_t out[2], uint64_t ns, uint64_t unit)
{
	out[0] = (int64_t)(ns / NS_PER_SEC);
	out[1] = (int64_t)(ns % NS_PER_SEC / unit);
}

long linux_itimerspec_out(struct linux_proc *proc, uint64_t addr, uint64_t interval,
			  uint64_t expire)
{
	uint64_t now = now_ns();
	int64_t its[4];
	ts_out(its, interval, 1);
	ts_out(its + 2, expire ? (expire > now ? expire - now : 1) : 0, 1);
	return addr && linux_copy_out(proc, addr, its, sizeof(its)) < 0 ? -EFAULT : 0;
}

uint64_t linux_timer_deadline(uint64_t clock_id, bool abstime, uint64_t value)
{
	uint64_t now = now_ns(), at;
	if (!value)
		return 0;
	if (!abstime)
		return add_overflows(now, value, &at) ? UINT64_MAX / 2 : at;
	if (clock_id == CLOCK_REALTIME || clock_id == 8 /* REALTIME_ALARM */) {
		struct timespec rt;
		clock_gettime(CLOCK_REALTIME, &rt);
		uint64_t rt_ns = (uint64_t)rt.tv_sec * NS_PER_SEC + (uint64_t)rt.tv_nsec;
		return value > rt_ns ? now + (value - rt_ns) : now;
	}
	return value > now ? value : now; /* MONOTONIC and BOOTTIME: the same clock here */
}

bool linux_timer_clock_ok(uint64_t clock_id)
{
	/* REALTIME, MONOTONIC, BOOTTIME and their _ALARM kinds (no suspend here). */
	return clock_id == 0 || clock_id == 1 || clock_id == 7 || clock_id == 8 || clock_id == 9;
}

static void ptimer_fire(struct linux_proc *proc, struct linux_timer *t, uint64_t count)
{
	((struct ptimer *)t)->due += count; /* sent by send_signals() */
}

/* The caller's slot: its ITIMER_REAL (real) or timer id; NULL: none. */
static struct ptimer *ptimer_find(struct linux_proc *proc, bool real, uint64_t id)
{
	if (!proc->timers)
		return NULL;
	if (!real)
		return id < LINUX_MAX_TIMERS && proc->timers->slots[id].owner == proc->cur->pid &&
			       !proc->timers->slots[id].real
			   ? &proc->timers->slots[id]
			   : NULL;
	for (unsigned i = 0; i < LINUX_MAX_TIMERS; i++)
		if (proc->timers->slots[i].owner == proc->cur->pid && proc->timers->slots[i].real)
			return &proc->timers->slots[i];
	return NULL;
}

/* A free slot for the caller, reclaiming those of tasks gone. */
static struct ptimer *ptimer_alloc(struct linux_proc *proc, bool real, int signo)
{
	struct linux_timers *ts = timers_get(proc);
	if (!ts)
		return NULL;
	for (unsigned i = 0; i < LINUX_MAX_TIMERS; i++) {
		struct ptimer *p = &ts->slots[i];
		const struct linux_task *t = p->owner ? linux_task_find(proc, p->owner) : NULL;
		if (p->owner && (!t || t->run == LINUX_TASK_ZOMBIE)) {
			linux_timer_arm(proc, &p->t, 0, 0);
			p->owner = 0;
		}
		if (!p->owner) {
			*p = (struct ptimer){.owner = proc->cur->pid, .real = real, .signo = signo};
			p->t.fire = ptimer_fire;
			return p;
		}
	}
	return NULL;
}

/* ---- alarm, setitimer, getitimer ---- */

static long itimer_set(struct linux_proc *proc, uint64_t interval, uint64_t value,
		       uint64_t *old_interval, uint64_t *old_expire)
{
	struct ptimer *p = ptimer_find(proc, true, 0);
	*old_interval = p ? p->t.interval : 0;
	*old_expire = p ? p->t.expire : 0;
	if (!p && !value)
		return 0;
	if (!p && !(p = ptimer_alloc(proc, true, L_SIGALRM)))
		return -EAGAIN;
	return linux_timer_arm(proc, &p->t, linux_timer_deadline(CLOCK_MONOTONIC, false, value),
			       interval);
}

long linux_sys_alarm(struct linux_proc *proc, const uint64_t *a)
{
	uint64_t oi, oe, now = now_ns();
	uint64_t secs = (uint32_t)a[0];
	if (itimer_set(proc, 0, secs * NS_PER_SEC, &oi, &oe) < 0)
		return 0; /* alarm() cannot fail: as if none was set */
	if (!oe)
		return 0;
	uint64_t left = oe > now ? oe - now : 0;
	/* As Linux: rounded to the nearest second, and never 0 while one is armed. */
	uint64_t s = (left + NS_PER_SEC / 2) / NS_PER_SEC;
	return (long)(s ? s : 1);
}

static long itimerval_out(struct linux_proc *proc, uint64_t addr, uint64_t interval,
			  uint64_t expire)
{
	uint64_t now = now_ns();
	int64_t itv[4];
	ts_out(itv, interval, 1000);
	ts_out(itv + 2, expire ? (expire > now ? expire - now : 1000) : 0, 1000);
	return linux_copy_out(proc, addr, itv, sizeof(itv));
}

long linux_sys_getitimer(struct linux_proc *proc, const uint64_t *a)
{
	if (a[0] != L_ITIMER_REAL)
		return -EINVAL; /* ITIMER_VIRTUAL and ITIMER_PROF are not served */
	const struct ptimer *p = ptimer_find(proc, true, 0);
	return itimerval_out(proc, a[1], p ? p->t.interval : 0, p ? p->t.expire : 0);
}

long linux_sys_setitimer(struct linux_proc *proc, const uint64_t *a)
{
	if (a[0] != L_ITIMER_REAL)
		return -EINVAL;
	int64_t itv[4] = {0};
	uint64_t interval = 0, value = 0, oi, oe;
	if (a[1] && linux_copy_in(proc, itv, a[1], sizeof(itv)) < 0)
		return -EFAULT;
	long rc;
	if ((rc = ns_in(itv, 1000, &interval)) < 0 || (rc = ns_in(itv + 2, 1000, &value)) < 0)
		return rc;
	if ((rc = itimer_set(proc, interval, value, &oi, &oe)) < 0)
		return rc;
	return a[2] ? itimerval_out(proc, a[2], oi, oe) : 0;
}

/* ---- timer_create and friends ---- */

long linux_sys_timer_create(struct linux_proc *proc, const uint64_t *a)
{
	if (!linux_timer_clock_ok(a[0]))
		return -EINVAL;				    /* CPU-time clocks are not served */
	int32_t sev[4] = {0, 0, L_SIGALRM, L_SIGEV_SIGNAL}; /* sigval, signo, notify */
	int32_t tid = 0;
	if (a[1]) {
		if (linux_copy_in(proc, sev, a[1], sizeof(sev)) < 0 ||
		    linux_copy_in(proc, &tid, a[1] + 16, sizeof(tid)) < 0)
			return -EFAULT;
	}
	int notify = sev[3], signo = sev[2];
	if (notify == L_SIGEV_THREAD_ID && tid != proc->cur->pid)
		return -EINVAL; /* one thread per process: only its own */
	if (notify != L_SIGEV_SIGNAL && notify != L_SIGEV_NONE && notify != L_SIGEV_THREAD_ID)
		return -EINVAL;
	if (notify != L_SIGEV_NONE && (signo < 1 || signo > LINUX_NSIG))
		return -EINVAL;
	struct ptimer *p = ptimer_alloc(proc, false, notify == L_SIGEV_NONE ? 0 : signo);
	if (!p)
		return -EAGAIN;
	p->clock = a[0];
	int32_t id = (int32_t)(p - proc->timers->slots);
	if (linux_copy_out(proc, a[2], &id, sizeof(id)) < 0) {
		p->owner = 0;
		return -EFAULT;
	}
	return 0;
}

long linux_sys_timer_settime(struct linux_proc *proc, const uint64_t *a)
{
	struct ptimer *p = ptimer_find(proc, false, a[0]);
	uint64_t interval, value;
	if (!p)
		return -EINVAL;
	if (a[1] & ~(uint64_t)L_TIMER_ABSTIME)
		return -EINVAL;
	long rc = linux_itimerspec_in(proc, a[2], &interval, &value);
	if (rc < 0)
		return rc;
	if (a[3] && (rc = linux_itimerspec_out(proc, a[3], p->t.interval, p->t.expire)) < 0)
		return rc;
	p->overrun = 0;
	return linux_timer_arm(
	    proc, &p->t, linux_timer_deadline(p->clock, a[1] & L_TIMER_ABSTIME, value), interval);
}

long linux_sys_timer_gettime(struct linux_proc *proc, const uint64_t *a)
{
	const struct ptimer *p = ptimer_find(proc, false, a[0]);
	return p ? linux_itimerspec_out(proc, a[1], p->t.interval, p->t.expire) : -EINVAL;
}

long linux_sys_timer_getoverrun(struct linux_proc *proc, const uint64_t *a)
{
	const struct ptimer *p = ptimer_find(proc, false, a[0]);
	if (!p)
		return -EINVAL;
	return p->overrun > 0x7FFFFFFF ? 0x7FFFFFFF : (long)p->overrun; /* DELAYTIMER_MAX */
}

long linux_sys_timer_delete(struct linux_proc *proc, const uint64_t *a)
{
	struct ptimer *p = ptimer_find(proc, false, a[0]);
	if (!p)
		return -EINVAL;
	linux_timer_arm(proc, &p->t, 0, 0);
	p->owner = 0;
	return 0;
}
