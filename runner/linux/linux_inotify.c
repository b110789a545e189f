/* inotify for a Linux-ABI guest: instances are event files, watches hang off the VM's own file nodes, and the file calls this VMM serves report to them; queues and watches are bounded VM-wide. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "linux.h"

/* struct inotify_event: wd, mask, cookie, len, then len bytes of name
 * (NUL-padded to a multiple of the header's size, as Linux pads). */
#define EVENT_HEADER 16u

struct linux_inotify_watch {
	struct inotify *in;
	struct linux_node *node; /* holds a reference on it */
	struct linux_inotify_watch *next_on_node, *next_in_instance;
	int wd;
	uint32_t mask; /* the events asked for, IN_ONESHOT and IN_EXCL_UNLINK */
};

/* One queued event as read() gives it. */
struct queued_event {
	struct queued_event *next;
	uint32_t size;	/* EVENT_HEADER + the padded name */
	uint8_t wire[]; /* struct inotify_event and its name */
};

struct inotify {
	struct linux_fs *fs;
	struct linux_inotify_watch *watches;
	int last_wd;
	struct queued_event *head, *tail;
	unsigned queued;  /* events in the queue (the overflow mark included) */
	uint64_t unread;  /* their bytes as read() gives them: FIONREAD */
	uint64_t arrived; /* events queued so far: EPOLLET's count */
};

static const struct linux_file_ops inotify_ops;

static uint32_t header_field(const struct queued_event *e, unsigned i)
{
	uint32_t v;
	memcpy(&v, e->wire + (size_t)4 * i, 4);
	return v;
}

static bool is_overflow(const struct queued_event *e)
{
	return header_field(e, 1) == LINUX_IN_Q_OVERFLOW;
}

/* Queues one event on in, or coalesces it with the last unread one when
 * they are the same (as Linux), or marks the queue overflowed: past
 * LINUX_INOTIFY_MAX_QUEUED events in this queue or LINUX_INOTIFY_MAX_BYTES
 * queued in the whole VM, one IN_Q_OVERFLOW ends the queue until it is read. */
static void queue_event(struct inotify *in, int wd, uint32_t mask, uint32_t cookie,
			const char *name, size_t len)
{
	struct linux_fs *fs = in->fs;
	uint32_t name_room =
	    len ? (uint32_t)((len + EVENT_HEADER) & ~(size_t)(EVENT_HEADER - 1)) : 0;
	uint32_t size = EVENT_HEADER + name_room;
	struct queued_event *t = in->tail;
	if (t && t->size == size && header_field(t, 0) == (uint32_t)wd &&
	    header_field(t, 1) == mask && header_field(t, 2) == cookie &&
	    (!len || memcmp(t->wire + EVENT_HEADER, name, len) == 0))
		return; /* the same as the last unread one */
	uint64_t cost = sizeof(struct queued_event) + size;
	if (in->queued >= LINUX_INOTIFY_MAX_QUEUED ||
	    fs->inotify_bytes + cost > LINUX_INOTIFY_MAX_BYTES) {
		if (t && is_overflow(t))
			return;
		/* The mark itself is one small event per instance, past the bounds. */
		wd = -1;
		mask = LINUX_IN_Q_OVERFLOW;
		cookie = 0;
		len = 0;
		name_room = 0;
		size = EVENT_HEADER;
		cost = sizeof(struct queued_event) + size;
	}
	struct queued_event *e = calloc(1, cost);
	if (!e)
		return; /* an event lost: the VMM's memory is not the guest's to grow */
	e->size = size;
	const uint32_t h[4] = {(uint32_t)wd, mask, cookie, name_room};
	memcpy(e->wire, h, sizeof(h));
	if (len)
		memcpy(e->wire + EVENT_HEADER, name, len); /* calloc: NUL padding */
	if (t)
		t->next = e;
	else
		in->head = e;
	in->tail = e;
	in->queued++;
	in->unread += size;
	in->arrived++;
	fs->inotify_bytes += cost;
}

static struct queued_event *dequeue(struct inotify *in)
{
	struct queued_event *e = in->head;
	in->head = e->next;
	if (!in->head)
		in->tail = NULL;
	in->queued--;
	in->unread -= e->size;
	in->fs->inotify_bytes -= sizeof(struct queued_event) + e->size;
	return e;
}

/* Takes w off its node and instance, queueing IN_IGNORED when asked, and
 * drops its node reference (which may free an unlinked node). */
static void remove_watch(struct linux_inotify_watch *w, bool say_ignored)
{
	struct inotify *in = w->in;
	struct linux_fs *fs = in->fs;
	struct linux_inotify_watch **p;
	for (p = &w->node->watches; *p != w; p = &(*p)->next_on_node)
		;
	*p = w->next_on_node;
	for (p = &in->watches; *p != w; p = &(*p)->next_in_instance)
		;
	*p = w->next_in_instance;
	if (say_ignored)
		queue_event(in, w->wd, LINUX_IN_IGNORED, 0, NULL, 0);
	fs->inotify_watches--;
	linux_fs_put(fs, w->node);
	free(w);
}

/* Gives event `mask` (one event bit, IN_ISDIR added by the caller) to every
 * watch of n that asked for it; a IN_ONESHOT watch then goes. */
static void deliver(struct linux_node *n, uint32_t mask, uint32_t cookie, const char *name,
		    size_t len, bool child_unlinked)
{
	struct linux_inotify_watch *w = n->watches, *next;
	for (; w; w = next) {
		next = w->next_on_node;
		if (!(w->mask & mask & LINUX_IN_ALL_EVENTS))
			continue;
		if (child_unlinked && (w->mask & LINUX_IN_EXCL_UNLINK))
			continue; /* IN_EXCL_UNLINK: nothing about a child once unlinked */
		queue_event(w->in, w->wd, mask, cookie, name, len);
		if (w->mask & LINUX_IN_ONESHOT)
			remove_watch(w, true);
	}
}

static uint32_t isdir_bit(const struct linux_node *n)
{
	return S_ISDIR(n->mode) ? LINUX_IN_ISDIR : 0;
}

void linux_inotify_node_slow(struct linux_fs *fs, struct linux_node *n, uint32_t mask)
{
	uint32_t m = mask | isdir_bit(n);
	struct linux_node *parent = n->parent;
	/* The parent's watches hear of their children by name (a mount's root
	 * is no child of the directory it is mounted on, as on Linux). */
	if (parent && parent->watches && !linux_fs_is_mount(fs, n))
		deliver(parent, m, 0, n->name, n->name_len, n->unlinked);
	if (n->watches)
		deliver(n, m, 0, NULL, 0, false);
}

void linux_inotify_entry_slow(struct linux_fs *fs, struct linux_node *dir, uint32_t mask,
			      const char *name, bool isdir, uint32_t cookie)
{
	if (dir->watches)
		deliver(dir, mask | (isdir ? LINUX_IN_ISDIR : 0), cookie, name, strlen(name),
			false);
}

/* An event on n's own watches only (its parent's do not hear of it).
 * IN_MOVE_SELF and IN_DELETE_SELF never carry IN_ISDIR (Linux 6.18 seen). */
static void self_event(struct linux_node *n, uint32_t mask)
{
	if (n->watches)
		deliver(n, mask | (mask & LINUX_IN_ATTRIB ? isdir_bit(n) : 0), 0, NULL, 0, false);
}

/* n lost its last name: IN_DELETE_SELF, then every watch on it goes with IN_IGNORED. */
static void node_removed(struct linux_fs *fs, struct linux_node *n)
{
	self_event(n, LINUX_IN_DELETE_SELF);
	while (n->watches)
		remove_watch(n->watches, true);
}

struct linux_node *linux_inotify_hold_entry(struct linux_fs *fs, struct linux_node *dir,
					    const char *name)
{
	struct linux_node *e;
	if (!fs->inotify_watches || linux_fs_entry(fs, dir, name, strlen(name), &e) < 0)
		return NULL;
	struct linux_node *n = linux_fs_named(e);
	linux_fs_get(fs, n); /* alive through the events after the call */
	return n;
}

void linux_inotify_removed(struct linux_fs *fs, struct linux_node *dir, const char *name,
			   struct linux_node *held, long rc)
{
	if (!held)
		return;
	if (rc == 0) {
		bool isdir = S_ISDIR(held->mode);
		if (!isdir) /* its link count went down */
			self_event(held, LINUX_IN_ATTRIB);
		if (held->unlinked)
			node_removed(fs, held);
		linux_inotify_entry(fs, dir, LINUX_IN_DELETE, name, isdir, 0);
	}
	linux_fs_put(fs, held);
}

void linux_inotify_renamed(struct linux_fs *fs, struct linux_node *odir, const char *oname,
			   struct linux_node *ndir, const char *nname, struct linux_node *src,
			   struct linux_node *dst, bool exchange, long rc)
{
	if (rc == 0 && src && src != dst) {
		uint32_t cookie = ++fs->inotify_cookie ? fs->inotify_cookie : ++fs->inotify_cookie;
		bool isdir = S_ISDIR(src->mode);
		linux_inotify_entry(fs, odir, LINUX_IN_MOVED_FROM, oname, isdir, cookie);
		linux_inotify_entry(fs, ndir, LINUX_IN_MOVED_TO, nname, isdir, cookie);
		self_event(src, LINUX_IN_MOVE_SELF);
		if (dst && exchange) {
			cookie = ++fs->inotify_cookie ? fs->inotify_cookie : ++fs->inotify_cookie;
			isdir = S_ISDIR(dst->mode);
			linux_inotify_entry(fs, ndir, LINUX_IN_MOVED_FROM, nname, isdir, cookie);
			linux_inotify_entry(fs, odir, LINUX_IN_MOVED_TO, oname, isdir, cookie);
			self_event(dst, LINUX_IN_MOVE_SELF);
		} else if (dst) { /* replaced */
			if (!S_ISDIR(dst->mode))
				self_event(dst, LINUX_IN_ATTRIB);
			if (dst->unlinked)
				node_removed(fs, dst);
		}
	}
	if (src)
		linux_fs_put(fs, src);
	if (dst)
		linux_fs_put(fs, dst);
}

/* ---- the instance: an event file ---- */

static long inotify_io(struct linux_proc *proc, struct linux_file *f, void *host, uint64_t len,
		       bool write_it)
{
	struct inotify *in = f->priv;
	if (write_it)
		return -EINVAL;
	while (!in->head) {
		if (f->flags & L_O_NONBLOCK)
			return -EAGAIN;
		if (linux_block_until(proc, 0)) /* a file call of any task queues events */
			return -LINUX_ERESTARTSYS;
	}
	uint8_t *out = host;
	uint64_t done = 0;
	while (in->head && in->head->size <= len - done) {
		struct queued_event *e = dequeue(in);
		memcpy(out + done, e->wire, e->size);
		done += e->size;
		free(e);
	}
	return done ? (long)done : -EINVAL; /* the next event is larger than the buffer */
}

static short inotify_poll(struct linux_proc *proc, struct linux_file *f)
{
	const struct inotify *in = f->priv;
	return in->head ? POLLIN : 0;
}

static void inotify_gen(const struct linux_file *f, uint64_t *in, uint64_t *out)
{
	const struct inotify *i = f->priv;
	*in = i->arrived;
	*out = 0;
}

static void inotify_release(struct linux_proc *proc, struct linux_file *f)
{
	struct inotify *in = f->priv;
	while (in->watches)
		remove_watch(in->watches, false);
	while (in->head)
		free(dequeue(in));
	in->fs->inotify_instances--;
	free(in);
}

static const struct linux_file_ops inotify_ops = {
    .io = inotify_io,
    .poll = inotify_poll,
    .gen = inotify_gen,
    .release = inotify_release,
};

unsigned linux_inotify_watches_on(const struct linux_node *n)
{
	unsigned count = 0;
	for (const struct linux_inotify_watch *w = n->watches; w; w = w->next_on_node)
		count++;
	return count;
}

long linux_inotify_unread(const struct linux_file *f)
{
	if (f->kind != LINUX_FILE_EVENT || f->ops != &inotify_ops)
		return -ENOTTY;
	const struct inotify *in = f->priv;
	return (long)in->unread;
}

static long inotify_new(struct linux_proc *proc, uint64_t flags)
{
	if (flags & ~(uint64_t)(L_O_CLOEXEC | L_O_NONBLOCK))
		return -EINVAL;
	if (proc->fs.inotify_instances >= LINUX_INOTIFY_MAX_INSTANCES)
		return -EMFILE; /* as Linux past fs.inotify.max_user_instances */
	struct inotify *in = calloc(1, sizeof(*in));
	if (!in)
		return -ENOMEM;
	in->fs = &proc->fs;
	long fd = linux_event_file(proc, &inotify_ops, in, flags);
	if (fd < 0) {
		free(in);
		return fd;
	}
	proc->fs.inotify_instances++;
	return fd;
}

long linux_sys_inotify_init(struct linux_proc *proc, const uint64_t *a)
{
	return inotify_new(proc, 0);
}

long linux_sys_inotify_init1(struct linux_proc *proc, const uint64_t *a)
{
	return inotify_new(proc, a[0]);
}

static struct inotify *instance_of(struct linux_proc *proc, uint64_t fd, long *err)
{
	struct linux_file *f = linux_fd_get(proc, fd);
	*err = !f ? -EBADF : f->kind != LINUX_FILE_EVENT || f->ops != &inotify_ops ? -EINVAL : 0;
	return *err ? NULL : f->priv;
}

static bool wd_taken(const struct inotify *in, int wd)
{
	for (const struct linux_inotify_watch *w = in->watches; w; w = w->next_in_instance)
		if (w->wd == wd)
			return true;
	return false;
}

long linux_sys_inotify_add_watch(struct linux_proc *proc, const uint64_t *a)
{
	long rc;
	struct inotify *in = instance_of(proc, a[0], &rc);
	uint32_t mask = (uint32_t)a[2];
	if ((mask & LINUX_IN_MASK_ADD) && (mask & LINUX_IN_MASK_CREATE))
		return -EINVAL;
	if (!(mask & LINUX_IN_ALL_EVENTS))
		return -EINVAL; /* no event asked for */
	if (!in)
		return rc;
	struct linux_node *n;
	rc = linux_lookup_at(proc, (uint64_t)(int64_t)-100 /* AT_FDCWD */, a[1],
			     (mask & LINUX_IN_DONT_FOLLOW) ? 0 : LINUX_RESOLVE_FOLLOW, false, &n);
	if (rc < 0)
		return rc;
	if ((mask & LINUX_IN_ONLYDIR) && !S_ISDIR(n->mode))
		return -ENOTDIR;
	uint32_t keep = mask & (LINUX_IN_ALL_EVENTS | LINUX_IN_ONESHOT | LINUX_IN_EXCL_UNLINK);
	for (struct linux_inotify_watch *w = n->watches; w; w = w->next_on_node) {
		if (w->in != in)
			continue;
		if (mask & LINUX_IN_MASK_CREATE)
			return -EEXIST;
		w->mask = (mask & LINUX_IN_MASK_ADD) ? w->mask | keep : keep;
		return w->wd; /* one watch per node and instance */
	}
	if (proc->fs.inotify_watches >= LINUX_INOTIFY_MAX_WATCHES)
		return -ENOSPC; /* as Linux past fs.inotify.max_user_watches */
	struct linux_inotify_watch *w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	int wd = in->last_wd;
	do
		wd = wd == INT_MAX ? 1 : wd + 1;
	while (wd_taken(in, wd));
	in->last_wd = wd;
	*w = (struct linux_inotify_watch){.in = in,
					  .node = n,
					  .next_on_node = n->watches,
					  .next_in_instance = in->watches,
					  .wd = wd,
					  .mask = keep};
	linux_fs_get(&proc->fs, n); /* the watch keeps its node */
	n->watches = w;
	in->watches = w;
	proc->fs.inotify_watches++;
	return wd;
}

long linux_sys_inotify_rm_watch(struct linux_proc *proc, const uint64_t *a)
{
	long rc;
	struct inotify *in = instance_of(proc, a[0], &rc);
	if (!in)
		return rc;
	for (struct linux_inotify_watch *w = in->watches; w; w = w->next_in_instance)
		if (w->wd == (int)a[1]) {
			remove_watch(w, true);
			return 0;
		}
	return -EINVAL;
}
