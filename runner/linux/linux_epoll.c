/* epoll for a Linux-ABI guest: sets of (file, fd) items on open file descriptions, level- and edge-triggered, one-shot, nested sets without cycles; a wait scans its items and blocks on the scheduler's seam as poll does. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "linux.h"

#define L_EPOLL_CTL_ADD	 1
#define L_EPOLL_CTL_DEL	 2
#define L_EPOLL_CTL_MOD	 3
#define L_EPOLLRDHUP	 0x2000u
#define L_EPOLLEXCLUSIVE (1u << 28)
#define L_EPOLLWAKEUP	 (1u << 29)
#define L_EPOLLONESHOT	 (1u << 30)
#define L_EPOLLET	 (1u << 31)
#define EPOLL_EVENT_SIZE 12   /* struct epoll_event: packed u32 events, u64 data */
#define EPOLL_MAX_NESTS	 4    /* as Linux's EP_MAX_NESTS */
#define EPOLL_MAX_ITEMS	 4096 /* per set: ENOSPC past it (Linux: max_user_watches) */
#define EPOLL_MAX_EVENTS (0x7FFFFFFF / EPOLL_EVENT_SIZE)
#define L_TASK_SIZE	 0x7FFFFFFFF000ULL /* x86-64 user space: access_ok()'s limit */
#define EPOLL_POLL_BITS	 0x3FFFu	   /* what poll can report (EPOLLIN..EPOLLRDHUP) */
#define EXCLUSIVE_OK_BITS                                                                          \
	(POLLIN | POLLOUT | POLLRDNORM | POLLRDBAND | POLLWRNORM | POLLWRBAND | POLLERR |          \
	 POLLHUP | L_EPOLLWAKEUP | L_EPOLLET | L_EPOLLEXCLUSIVE)

struct epitem {
	struct linux_file *file; /* no reference: its last close removes the item */
	int fd;
	uint32_t events; /* what the program asked for, flags included */
	uint64_t data;
	bool disabled; /* EPOLLONESHOT reported it: until EPOLL_CTL_MOD */
	short last;    /* EPOLLET: events at the last look */
	uint64_t gen_in, gen_out;
};

struct linux_epoll {
	struct linux_epoll *next; /* proc->epolls */
	struct linux_file *file;
	struct epitem *items;
	unsigned n, cap;
	unsigned rr;  /* where the next scan starts: a full set takes turns */
	bool polling; /* guards a nested poll against a cycle */
	/* Memos of one walk (proc->epoll_walk): a nested set is looked at
	 * once per scan, and once per loop check. */
	uint64_t seen_walk, down_walk, up_walk;
	short seen;
	unsigned down, up;
};

static struct linux_epoll *epoll_of(const struct linux_file *f);

static void file_gen(const struct linux_file *f, uint64_t *in, uint64_t *out)
{
	*in = *out = 0;
	if (f->kind == LINUX_FILE_PIPE)
		linux_pipe_gen(f, in, out);
	else if (f->kind == LINUX_FILE_EVENT && f->ops->gen)
		f->ops->gen(f, in, out);
}

/* What item it reports now (0: nothing); consume: a wait takes it (EPOLLET
 * and EPOLLONESHOT state moves), otherwise a look from poll. */
static uint32_t item_ready(struct linux_proc *proc, struct epitem *it, bool consume)
{
	if (it->disabled)
		return 0;
	short ev = linux_file_poll(proc, it->file);
	uint32_t want = (it->events & EPOLL_POLL_BITS) | POLLERR | POLLHUP;
	uint32_t got = (uint32_t)(uint16_t)ev & want;
	if (it->events & L_EPOLLET) {
		uint64_t in, out;
		file_gen(it->file, &in, &out);
		bool edge = (got & ~(uint32_t)(uint16_t)it->last) ||
			    ((got & POLLIN) && in != it->gen_in) ||
			    ((got & POLLOUT) && out != it->gen_out);
		if (consume || !got) {
			it->last = (short)got;
			it->gen_in = in;
			it->gen_out = out;
		}
		if (!edge)
			return 0;
	}
	if (got && consume && (it->events & L_EPOLLONESHOT))
		it->disabled = true;
	return got;
}

static short epoll_poll(struct linux_proc *proc, struct linux_file *f)
{
	struct linux_epoll *ep = epoll_of(f);
	short ev = 0;
	if (ep->polling)
		return 0;
	if (!proc->epoll_nest)
		proc->epoll_walk++; /* a new look from poll or select */
	else if (ep->seen_walk == proc->epoll_walk)
		return ep->seen;
	ep->polling = true;
	proc->epoll_nest++;
	for (unsigned i = 0; i < ep->n && !ev; i++)
		if (item_ready(proc, &ep->items[i], false))
			ev = POLLIN;
	proc->epoll_nest--;
	ep->polling = false;
	ep->seen_walk = proc->epoll_walk;
	ep->seen = ev;
	return ev;
}

static long epoll_io(struct linux_proc *proc, struct linux_file *f, void *host, uint64_t len,
		     bool write_it)
{
	return -EINVAL; /* as Linux: an epoll fd has no read or write */
}

static void epoll_release(struct linux_proc *proc, struct linux_file *f)
{
	struct linux_epoll *ep = epoll_of(f);
	for (unsigned i = 0; i < ep->n; i++)
		ep->items[i].file->epoll_refs--;
	for (struct linux_epoll **p = &proc->epolls; *p; p = &(*p)->next)
		if (*p == ep) {
			*p = ep->next;
			break;
		}
	free(ep->items);
	free(ep);
}

static const struct linux_file_ops epoll_ops = {
    .io = epoll_io,
    .poll = epoll_poll,
    .release = epoll_release,
};

static struct linux_epoll *epoll_of(const struct linux_file *f)
{
	return f && f->kind == LINUX_FILE_EVENT && f->ops == &epoll_ops ? f->priv : NULL;
}

void linux_epoll_file_gone(struct linux_proc *proc, struct linux_file *f)
{
	for (struct linux_epoll *ep = proc->epolls; ep && f->epoll_refs; ep = ep->next)
		for (unsigned i = 0; i < ep->n;)
			if (ep->items[i].file == f) {
				ep->items[i] = ep->items[--ep->n];
				f->epoll_refs--;
			} else {
				i++;
			}
}

static long epoll_new(struct linux_proc *proc, uint64_t flags)
{
	if (flags & ~(uint64_t)L_O_CLOEXEC)
		return -EINVAL;
	struct linux_epoll *ep = calloc(1, sizeof(*ep));
	if (!ep)
		return -ENOMEM;
	long fd = linux_event_file(proc, &epoll_ops, ep, flags);
	if (fd < 0) {
		free(ep);
		return fd;
	}
	ep->file = linux_fd_get(proc, (uint64_t)fd);
	ep->next = proc->epolls;
	proc->epolls = ep;
	return fd;
}

long linux_sys_epoll_create(struct linux_proc *proc, const uint64_t *a)
{
	return (int32_t)a[0] <= 0 ? -EINVAL : epoll_new(proc, 0);
}

long linux_sys_epoll_create1(struct linux_proc *proc, const uint64_t *a)
{
	return epoll_new(proc, a[0]);
}

/* How many sets nest below ep, itself included (1: no set inside); past
 * EPOLL_MAX_NESTS + 1, or reaching target: LOOP. Each set is walked once per
 * check (memo stamped with the walk), so a wide graph costs its size. */
#define LOOP (EPOLL_MAX_NESTS + 2)
static unsigned nest_depth(struct linux_epoll *ep, const struct linux_epoll *target, uint64_t walk,
			   unsigned level)
{
	if (ep == target || level > EPOLL_MAX_NESTS + 1)
		return LOOP;
	if (ep->down_walk == walk)
		return ep->down;
	unsigned deepest = 1;
	for (unsigned i = 0; i < ep->n && deepest < LOOP; i++) {
		struct linux_epoll *in = epoll_of(ep->items[i].file);
		unsigned d = in ? 1 + nest_depth(in, target, walk, level + 1) : 1;
		deepest = d > deepest ? (d < LOOP ? d : LOOP) : deepest;
	}
	ep->down_walk = walk;
	ep->down = deepest;
	return deepest;
}

/* How many sets contain ep, nested, itself included (1: none), as nest_depth. */
static unsigned outer_depth(struct linux_proc *proc, struct linux_epoll *ep, uint64_t walk,
			    unsigned level)
{
	if (level > EPOLL_MAX_NESTS + 1)
		return LOOP;
	if (!ep->file->epoll_refs)
		return 1;
	if (ep->up_walk == walk)
		return ep->up;
	unsigned deepest = 1;
	for (struct linux_epoll *o = proc->epolls; o && deepest < LOOP; o = o->next)
		for (unsigned i = 0; i < o->n; i++)
			if (o->items[i].file == ep->file) {
				unsigned d = 1 + outer_depth(proc, o, walk, level + 1);
				deepest = d > deepest ? (d < LOOP ? d : LOOP) : deepest;
				break;
			}
	ep->up_walk = walk;
	ep->up = deepest;
	return deepest;
}

static struct epitem *item_find(struct linux_epoll *ep, const struct linux_file *f, int fd)
{
	for (unsigned i = 0; i < ep->n; i++)
		if (ep->items[i].file == f && ep->items[i].fd == fd)
			return &ep->items[i];
	return NULL;
}

static long item_add(struct linux_proc *proc, struct linux_epoll *ep, struct linux_file *f, int fd,
		     uint32_t events, uint64_t data)
{
	if (item_find(ep, f, fd))
		return -EEXIST;
	struct linux_epoll *inner = epoll_of(f);
	/* A set inside a set: no loop, and nesting no deeper than Linux allows. */
	if (inner) {
		uint64_t walk = ++proc->epoll_walk;
		if (nest_depth(inner, ep, walk, 1) + outer_depth(proc, ep, walk, 1) >
		    EPOLL_MAX_NESTS + 1)
			return -ELOOP;
	}
	if (ep->n == EPOLL_MAX_ITEMS)
		return -ENOSPC;
	if (ep->n == ep->cap) {
		unsigned cap = ep->cap ? ep->cap * 2 : 8;
		struct epitem *items =
		    realloc_copy(ep->items, ep->cap * sizeof(*items), cap * sizeof(*items));
		if (!items)
			return -ENOMEM;
		ep->items = items;
		ep->cap = cap;
	}
	ep->items[ep->n++] = (struct epitem){.file = f, .fd = fd, .events = events, .data = data};
	f->epoll_refs++;
	return 0;
}

long linux_sys_epoll_ctl(struct linux_proc *proc, const uint64_t *a)
{
	int op = (int)a[1], fd = (int)a[2];
	uint32_t ev[3] = {0}; /* struct epoll_event: events, then data unaligned */
	bool has_event = op == L_EPOLL_CTL_ADD || op == L_EPOLL_CTL_MOD;
	if (has_event && linux_copy_in(proc, ev, a[3], EPOLL_EVENT_SIZE) < 0)
		return -EFAULT;
	struct linux_file *ef = linux_fd_get(proc, a[0]), *f = linux_fd_get(proc, a[2]);
	if (!ef || !f || fd < 0)
		return -EBADF;
	if (f->kind == LINUX_FILE_NODE)
		return -EPERM; /* files and directories are always ready: Linux refuses them */
	struct linux_epoll *ep = epoll_of(ef);
	if (!ep || ef == f)
		return -EINVAL;
	uint32_t events = ev[0];
	uint64_t data = (uint64_t)ev[1] | (uint64_t)ev[2] << 32;
	if (has_event && (events & L_EPOLLEXCLUSIVE) &&
	    (op == L_EPOLL_CTL_MOD || epoll_of(f) || (events & ~(uint32_t)EXCLUSIVE_OK_BITS)))
		return -EINVAL;
	struct epitem *it = item_find(ep, f, fd);
	switch (op) {
	case L_EPOLL_CTL_ADD: return item_add(proc, ep, f, fd, events, data);
	case L_EPOLL_CTL_DEL:
		if (!it)
			return -ENOENT;
		*it = ep->items[--ep->n];
		f->epoll_refs--;
		return 0;
	case L_EPOLL_CTL_MOD:
		if (!it)
			return -ENOENT;
		if (it->events & L_EPOLLEXCLUSIVE)
			return -EINVAL;
		*it = (struct epitem){.file = f, .fd = fd, .events = events, .data = data};
		return 0;
	default: return -EINVAL;
	}
}

/* One scan: up to max ready items into out (events then data, packed). */
static unsigned scan(struct linux_proc *proc, struct linux_epoll *ep, uint8_t *out, unsigned max)
{
	unsigned got = 0, n = ep->n, start = ep->rr < n ? ep->rr : 0;
	for (unsigned k = 0; k < n && got < max; k++) {
		struct epitem *it = &ep->items[(start + k) % n];
		uint32_t ev = item_ready(proc, it, true);
		if (!ev)
			continue;
		memcpy(out + (size_t)got * EPOLL_EVENT_SIZE, &ev, 4);
		memcpy(out + (size_t)got * EPOLL_EVENT_SIZE + 4, &it->data, 8);
		got++;
		ep->rr = (start + k + 1) % n;
	}
	return got;
}

static long do_wait(struct linux_proc *proc, const uint64_t *a, int64_t timeout_ns)
{
	struct linux_file *ef = linux_fd_get(proc, a[0]);
	int32_t maxevents = (int32_t)a[2];
	if (!ef)
		return -EBADF;
	if (maxevents <= 0 || maxevents > EPOLL_MAX_EVENTS)
		return -EINVAL;
	uint64_t end;
	/* As Linux's access_ok(): the whole array must lie in user space. */
	if (add_overflows(a[1], (uint64_t)maxevents * EPOLL_EVENT_SIZE, &end) || end > L_TASK_SIZE)
		return -EFAULT;
	struct linux_epoll *ep = epoll_of(ef);
	if (!ep)
		return -EINVAL;
	/* No more than a set can hold, however large maxevents. */
	unsigned max = maxevents < EPOLL_MAX_ITEMS ? (unsigned)maxevents : EPOLL_MAX_ITEMS;
	uint8_t *out = malloc((size_t)max * EPOLL_EVENT_SIZE);
	if (!out)
		return -ENOMEM;
	uint64_t deadline = linux_poll_deadline(timeout_ns);
	long err = 0;
	do {
		proc->epoll_walk++;
		proc->epoll_nest++;
		unsigned got = scan(proc, ep, out, max);
		proc->epoll_nest--;
		if (got || timeout_ns == 0) {
			err = linux_copy_out(proc, a[1], out, (uint64_t)got * EPOLL_EVENT_SIZE) < 0
				  ? -EFAULT
				  : (long)got;
			break;
		}
	} while (linux_poll_wait_more(proc, deadline, &err));
	free(out);
	return err;
}

long linux_sys_epoll_wait(struct linux_proc *proc, const uint64_t *a)
{
	int32_t ms = (int32_t)a[3];
	return do_wait(proc, a, ms < 0 ? -1 : (int64_t)ms * 1000000);
}

long linux_sys_epoll_pwait(struct linux_proc *proc, const uint64_t *a)
{
	long rc = linux_sigmask_in(proc, a[4], a[5]);
	return rc < 0 ? rc : linux_sys_epoll_wait(proc, a);
}

long linux_sys_epoll_pwait2(struct linux_proc *proc, const uint64_t *a)
{
	int64_t ns;
	long rc = linux_timeout_in(proc, a[3], false, &ns);
	if (rc < 0 || (rc = linux_sigmask_in(proc, a[4], a[5])) < 0)
		return rc;
	return do_wait(proc, a, ns);
}
