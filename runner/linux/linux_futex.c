/* futex for a Linux-ABI guest: a wait queue in the task table on the scheduler's block/wake seam — WAIT, WAKE, REQUEUE, CMP_REQUEUE, WAKE_OP, the BITSET pair; private keys are (address space, address), shared ones (MAP_SHARED) the frame and offset, so processes sharing memory meet. */
#include <errno.h>
#include <time.h>

#include "linux.h"
#include "linux_pte.h"

#define FUTEX_WAIT	     0
#define FUTEX_WAKE	     1
#define FUTEX_REQUEUE	     3
#define FUTEX_CMP_REQUEUE    4
#define FUTEX_WAKE_OP	     5
#define FUTEX_WAIT_BITSET    9
#define FUTEX_WAKE_BITSET    10
#define FUTEX_PRIVATE_FLAG   128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_BITSET_ANY     0xFFFFFFFFu
#define FUTEX_OP_OPARG_SHIFT 8

struct futex_key {
	uintptr_t mm;
	uint64_t addr;
};

/*
 * The key of the futex word at uaddr: a private futex, or one in a
 * private mapping, is (address space, address); one in a MAP_SHARED
 * mapping is the frame and offset every process mapping it shares.
 * -EINVAL (misaligned) or -EFAULT (not the program's memory).
 */
static long futex_key(struct linux_proc *proc, uint64_t uaddr, bool private, struct futex_key *key)
{
	if (uaddr % 4)
		return -EINVAL;
	if (uaddr >= proc->user_top || linux_user_access(proc, uaddr, 4, false) < 0)
		return -EFAULT; /* (a shared file page is mapped by the access) */
	const uint64_t *pte = linux_mm_pte(proc->mm, uaddr, false);
	const uint64_t need = PTE_P | PTE_US | PTE_USED;
	if (!pte || (*pte & need) != need)
		return -EFAULT;
	const struct linux_vma *v = private ? NULL : linux_vma_find(proc->mm, uaddr);
	if (v && (v->flags & LINUX_VMA_SHARED)) {
		*key = (struct futex_key){0, (*pte & PTE_ADDR) | (uaddr & PAGE_MASK)};
		return 0;
	}
	*key = (struct futex_key){(uintptr_t)proc->mm, uaddr};
	return 0;
}

static bool queued_on(const struct linux_task *t, const struct futex_key *key)
{
	return t->futex.state == FUTEX_QUEUED && t->futex.key_mm == key->mm &&
	       t->futex.key == key->addr;
}

/* The first (longest) waiter on key whose bitset meets bitset, or NULL. */
static struct linux_task *first_waiter(struct linux_proc *proc, const struct futex_key *key,
				       uint32_t bitset)
{
	struct linux_task *first = NULL;
	for (unsigned i = 0; i < proc->ntasks; i++) {
		struct linux_task *t = proc->tasks[i];
		if (queued_on(t, key) && (t->futex.bitset & bitset) &&
		    (!first || t->futex.seq < first->futex.seq))
			first = t;
	}
	return first;
}

/* Wakes up to nr waiters (at least one, as Linux); their retried wait
 * returns 0. */
static long wake(struct linux_proc *proc, const struct futex_key *key, int64_t nr, uint32_t bitset)
{
	long woken = 0;
	struct linux_task *t;
	while ((t = first_waiter(proc, key, bitset))) {
		t->futex.state = FUTEX_WOKEN;
		if (++woken >= nr)
			break;
	}
	if (woken) {
		proc->wake_gen++;
		linux_cpu_wake_idle(proc); /* an idle vCPU may run a woken one */
	}
	return woken;
}

long linux_futex_wake_addr(struct linux_proc *proc, uint64_t uaddr, int64_t nr)
{
	struct futex_key key;
	long rc = futex_key(proc, uaddr, false, &key);
	return rc < 0 ? rc : wake(proc, &key, nr, FUTEX_BITSET_ANY);
}

/* The wait's monotonic deadline from the program's timespec (0: none). */
static long deadline_of(struct linux_proc *proc, uint64_t uts, bool absolute, bool realtime,
			uint64_t *deadline)
{
	*deadline = 0;
	if (!uts)
		return 0;
	int64_t ts[2];
	if (linux_copy_in(proc, ts, uts, sizeof(ts)) < 0)
		return -EFAULT;
	if (ts[0] < 0 || ts[1] < 0 || ts[1] >= 1000000000)
		return -EINVAL;
	uint64_t ns = (uint64_t)ts[0] > UINT64_MAX / 2000000000ULL
			  ? UINT64_MAX / 2
			  : (uint64_t)ts[0] * 1000000000ULL + (uint64_t)ts[1];
	uint64_t now = now_ns();
	if (!absolute) {
		*deadline = now + ns;
	} else if (realtime) {
		struct timespec rt;
		clock_gettime(CLOCK_REALTIME, &rt);
		uint64_t rt_ns = (uint64_t)rt.tv_sec * 1000000000ULL + (uint64_t)rt.tv_nsec;
		*deadline = ns > rt_ns ? now + (ns - rt_ns) : now;
	} else {
		*deadline = ns;
	}
	if (!*deadline)
		*deadline = 1; /* 0 means none */
	return 0;
}

/*
 * WAIT and WAIT_BITSET. A first call checks the word and queues the task;
 * the scheduler retries the call (same registers) once a wake, a signal or
 * the deadline came, and the retry only reads the task's queue state.
 */
static long futex_wait(struct linux_proc *proc, const uint64_t *a, bool bitset_op, bool private)
{
	struct linux_task *cur = proc->cur;
	if (cur->futex.state == FUTEX_WOKEN) {
		cur->futex.state = FUTEX_IDLE;
		return 0;
	}
	if (cur->futex.state == FUTEX_IDLE) {
		uint32_t bitset = bitset_op ? (uint32_t)a[5] : FUTEX_BITSET_ANY;
		if (!bitset)
			return -EINVAL;
		struct futex_key key;
		long rc = futex_key(proc, a[0], private, &key);
		uint64_t deadline = 0;
		if (rc == 0)
			rc = deadline_of(proc, a[3], bitset_op, a[1] & FUTEX_CLOCK_REALTIME,
					 &deadline);
		uint32_t word;
		if (rc == 0 && linux_copy_in(proc, &word, a[0], sizeof(word)) < 0)
			rc = -EFAULT;
		if (rc < 0)
			return rc;
		if (word != (uint32_t)a[2])
			return -EAGAIN;
		cur->futex = (struct linux_futex_wait){.state = FUTEX_QUEUED,
						       .key_mm = key.mm,
						       .key = key.addr,
						       .bitset = bitset,
						       .seq = ++proc->futex_seq,
						       .deadline = deadline};
	}
	uint64_t deadline = cur->futex.deadline;
	if (deadline && now_ns() >= deadline) {
		cur->futex.state = FUTEX_IDLE;
		return -ETIMEDOUT;
	}
	proc->retry_deadline = 0; /* the queue entry keeps the deadline */
	if (linux_block_until(proc, deadline)) {
		if (proc->cur_blocked)
			return 0; /* another task runs; this call is retried */
		cur->futex.state = FUTEX_IDLE;
		return -EINTR; /* a host signal's handler runs, or the VM ends */
	}
	cur->futex.state = FUTEX_IDLE;
	return -ETIMEDOUT;
}

void linux_futex_interrupt(struct linux_task *t, struct linux_regs *regs)
{
	/* Its call was rewound to the SYSCALL: it returns instead. */
	regs->rax = t->futex.state == FUTEX_WOKEN ? 0 : (uint64_t)-EINTR;
	regs->rip += 2;
	t->futex.state = FUTEX_IDLE;
}

/* The keys of uaddr (a[0]) and uaddr2 (a[4]). */
static long two_keys(struct linux_proc *proc, const uint64_t *a, bool private,
		     struct futex_key *key, struct futex_key *key2)
{
	long rc = futex_key(proc, a[0], private, key);
	return rc < 0 ? rc : futex_key(proc, a[4], private, key2);
}

/* REQUEUE, CMP_REQUEUE: wake nr_wake on uaddr, move up to nr_requeue of
 * the rest to uaddr2. */
static long futex_requeue(struct linux_proc *proc, const uint64_t *a, bool cmp, bool private)
{
	int64_t nr_wake = (int32_t)a[2], nr_requeue = (int32_t)a[3];
	if (nr_wake < 0 || nr_requeue < 0)
		return -EINVAL;
	struct futex_key key, key2;
	long rc = two_keys(proc, a, private, &key, &key2);
	if (rc < 0)
		return rc;
	if (cmp) {
		uint32_t word;
		if (linux_copy_in(proc, &word, a[0], sizeof(word)) < 0)
			return -EFAULT;
		if (word != (uint32_t)a[5])
			return -EAGAIN;
	}
	long done = nr_wake ? wake(proc, &key, nr_wake, FUTEX_BITSET_ANY) : 0;
	for (int64_t moved = 0; moved < nr_requeue; moved++) {
		struct linux_task *t = first_waiter(proc, &key, FUTEX_BITSET_ANY);
		if (!t || (key.mm == key2.mm && key.addr == key2.addr))
			break;
		t->futex.key_mm = key2.mm;
		t->futex.key = key2.addr;
		t->futex.seq = ++proc->futex_seq; /* behind uaddr2's own waiters */
		done++;
	}
	return done;
}

static bool wake_op_cmp(unsigned cmp, int32_t old, int32_t arg, bool *ok)
{
	*ok = true;
	switch (cmp) {
	case 0: return old == arg;
	case 1: return old != arg;
	case 2: return old < arg;
	case 3: return old <= arg;
	case 4: return old > arg;
	case 5: return old >= arg;
	default: *ok = false; return false;
	}
}

static int32_t sign12(uint32_t v)
{
	return (int32_t)(v << 20) >> 20;
}

/* WAKE_OP: *uaddr2 = op(*uaddr2, oparg); wake nr on uaddr, and nr2 on
 * uaddr2 if the old value compares true. The guest is stopped while the
 * VMM serves it, so read-modify-write is atomic for it. */
static long futex_wake_op(struct linux_proc *proc, const uint64_t *a, bool private)
{
	uint32_t enc = (uint32_t)a[5];
	unsigned op = (enc >> 28) & 0xF, cmp = (enc >> 24) & 0xF;
	int32_t oparg = sign12((enc >> 12) & 0xFFF), cmparg = sign12(enc & 0xFFF);
	if (op & FUTEX_OP_OPARG_SHIFT) {
		op &= 7;
		oparg = (int32_t)(1u << (oparg & 31));
	}
	if (op > 4 || cmp > 5)
		return -ENOSYS;
	struct futex_key key, key2;
	long rc = two_keys(proc, a, private, &key, &key2);
	if (rc < 0)
		return rc;
	uint32_t old, val;
	if (linux_copy_in(proc, &old, a[4], sizeof(old)) < 0)
		return -EFAULT;
	switch (op) {
	case 0: val = (uint32_t)oparg; break;	     /* SET */
	case 1: val = old + (uint32_t)oparg; break;  /* ADD */
	case 2: val = old | (uint32_t)oparg; break;  /* OR */
	case 3: val = old & ~(uint32_t)oparg; break; /* ANDN */
	default: val = old ^ (uint32_t)oparg; break; /* XOR */
	}
	if (linux_copy_out(proc, a[4], &val, sizeof(val)) < 0)
		return -EFAULT;
	long woken = wake(proc, &key, (int32_t)a[2], FUTEX_BITSET_ANY);
	bool ok;
	if (wake_op_cmp(cmp, (int32_t)old, cmparg, &ok) && ok)
		woken += wake(proc, &key2, (int32_t)a[3], FUTEX_BITSET_ANY);
	return woken;
}

long linux_sys_futex(struct linux_proc *proc, const uint64_t *a)
{
	unsigned cmd = (unsigned)a[1] & ~(unsigned)(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
	bool private = a[1] & FUTEX_PRIVATE_FLAG;
	if ((a[1] & FUTEX_CLOCK_REALTIME) && cmd != FUTEX_WAIT && cmd != FUTEX_WAIT_BITSET)
		return -ENOSYS; /* as Linux */
	switch (cmd) {
	case FUTEX_WAIT: return futex_wait(proc, a, false, private);
	case FUTEX_WAIT_BITSET: return futex_wait(proc, a, true, private);
	case FUTEX_WAKE:
	case FUTEX_WAKE_BITSET: {
		uint32_t bitset = cmd == FUTEX_WAKE_BITSET ? (uint32_t)a[5] : FUTEX_BITSET_ANY;
		if (!bitset)
			return -EINVAL;
		struct futex_key key;
		long rc = futex_key(proc, a[0], private, &key);
		return rc < 0 ? rc : wake(proc, &key, (int32_t)a[2], bitset);
	}
	case FUTEX_REQUEUE: return futex_requeue(proc, a, false, private);
	case FUTEX_CMP_REQUEUE: return futex_requeue(proc, a, true, private);
	case FUTEX_WAKE_OP: return futex_wake_op(proc, a, private);
	default: return -ENOSYS; /* FD, the PI operations, WAIT_REQUEUE_PI */
	}
}
