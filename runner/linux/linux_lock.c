/* File locks between a VM's processes: flock(2), fcntl's POSIX record locks (per process) and open file description locks (F_OFD_*), kept in the VMM, blocking on the scheduler seam, released at close and exit as Linux does. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "linux.h"

#define LOCK_MAX 1024u /* locks a VM may hold at once: ENOLCK past it */

#define L_LOCK_SH      1
#define L_LOCK_EX      2
#define L_LOCK_NB      4
#define L_LOCK_UN      8
#define L_F_GETLK      5
#define L_F_SETLK      6
#define L_F_SETLKW     7
#define L_F_OFD_GETLK  36
#define L_F_OFD_SETLK  37
#define L_F_OFD_SETLKW 38
#define L_F_RDLCK      0
#define L_F_WRLCK      1
#define L_F_UNLCK      2

enum lock_kind {
	LOCK_FLOCK, /* flock(2): the open file owns it, the whole file */
	LOCK_POSIX, /* F_SETLK: the process owns it, a byte range */
	LOCK_OFD,   /* F_OFD_SETLK: the open file owns it, a byte range */
};

struct linux_lock {
	struct linux_node *node;
	const struct linux_file *file; /* FLOCK, OFD: the owner */
	int pid;		       /* POSIX: the owner; every kind: who took it (F_GETLK) */
	enum lock_kind kind;
	bool write;
	uint64_t start, end; /* bytes [start, end]; end UINT64_MAX: to the end, and beyond */
	struct linux_lock *next;
};

/* struct flock as x86-64 Linux lays it out. */
struct l_flock {
	int16_t type, whence;
	int32_t pad;
	int64_t start, len;
	int32_t pid, pad2;
};

static int current_pid(const struct linux_proc *proc)
{
	return proc->cur ? proc->cur->pid : 0;
}

static bool same_owner(const struct linux_lock *l, enum lock_kind kind, const struct linux_file *f,
		       int pid)
{
	if (kind == LOCK_FLOCK || l->kind == LOCK_FLOCK)
		return l->kind == kind && l->file == f;
	if (l->kind == LOCK_POSIX && kind == LOCK_POSIX)
		return l->pid == pid;
	return l->kind == kind && l->file == f; /* OFD: its own file; never a POSIX lock */
}

/* The first lock of someone else that keeps `want` from being taken. */
static struct linux_lock *conflict(struct linux_proc *proc, const struct linux_lock *want)
{
	for (struct linux_lock *l = proc->locks; l; l = l->next) {
		if (l->node != want->node || same_owner(l, want->kind, want->file, want->pid))
			continue;
		if ((l->kind == LOCK_FLOCK) != (want->kind == LOCK_FLOCK))
			continue; /* flock and record locks do not see each other, as on Linux */
		if ((l->write || want->write) && l->start <= want->end && want->start <= l->end)
			return l;
	}
	return NULL;
}

static unsigned lock_count(const struct linux_proc *proc)
{
	unsigned n = 0;
	for (const struct linux_lock *l = proc->locks; l; l = l->next)
		n++;
	return n;
}

static struct linux_lock *new_lock(struct linux_proc *proc, const struct linux_lock *from)
{
	if (lock_count(proc) >= LOCK_MAX)
		return NULL;
	struct linux_lock *l = malloc(sizeof(*l));
	if (!l)
		return NULL;
	*l = *from;
	l->next = proc->locks;
	proc->locks = l;
	return l;
}

/*
 * Takes away the owner's hold on [start, end] of its locks like `like`
 * (same node and owner): a lock inside goes, one across an edge shrinks,
 * one around it splits in two. -ENOLCK (nothing changed) when a split
 * finds no room.
 */
static int unlock_range(struct linux_proc *proc, const struct linux_lock *like, uint64_t start,
			uint64_t end)
{
	for (struct linux_lock *l = proc->locks; l; l = l->next)
		if (l->node == like->node && same_owner(l, like->kind, like->file, like->pid) &&
		    l->start < start && l->end > end && lock_count(proc) >= LOCK_MAX)
			return -ENOLCK;
	for (struct linux_lock **link = &proc->locks; *link;) {
		struct linux_lock *l = *link;
		if (l->node != like->node || !same_owner(l, like->kind, like->file, like->pid) ||
		    l->end < start || l->start > end) {
			link = &l->next;
			continue;
		}
		if (l->start < start && l->end > end) { /* around it: the tail becomes its own */
			struct linux_lock tail = *l;
			tail.start = end + 1;
			l->end = start - 1;
			if (!new_lock(proc, &tail))
				return -ENOLCK; /* checked above: memory only */
			link = &l->next;
		} else if (l->start < start) {
			l->end = start - 1;
			link = &l->next;
		} else if (l->end > end) {
			l->start = end + 1;
			link = &l->next;
		} else {
			*link = l->next;
			free(l);
		}
	}
	return 0;
}

/* Takes `want` (its range freed of the owner's older locks first), waiting
 * for others' while `wait`. 0, -EAGAIN, -ENOLCK or a restart. */
static long take(struct linux_proc *proc, const struct linux_lock *want, bool wait)
{
	while (conflict(proc, want)) {
		if (!wait)
			return -EAGAIN; /* EWOULDBLOCK for flock: the same number */
		/* The holder is another task: this call is retried when something happened. */
		if (linux_block_until(proc, 0))
			return -LINUX_ERESTARTSYS;
	}
	int rc = unlock_range(proc, want, want->start, want->end);
	if (rc < 0)
		return rc;
	return new_lock(proc, want) ? 0 : -ENOLCK;
}

static long node_file(struct linux_proc *proc, uint64_t fd, struct linux_file **out)
{
	struct linux_file *f = linux_fd_get(proc, fd);
	if (!f)
		return -EBADF;
	if (f->kind != LINUX_FILE_NODE)
		return -EINVAL; /* a pipe, socket or the runner's stdio: nothing to lock */
	*out = f;
	return 0;
}

long linux_sys_flock(struct linux_proc *proc, const uint64_t *a)
{
	struct linux_file *f;
	long rc = node_file(proc, a[0], &f);
	if (rc < 0)
		return rc == -EINVAL ? 0 : rc; /* Linux locks pipes too; nobody shares ours */
	uint64_t op = a[1] & ~(uint64_t)L_LOCK_NB;
	struct linux_lock want = {.node = f->node,
				  .file = f,
				  .pid = current_pid(proc),
				  .kind = LOCK_FLOCK,
				  .write = op == L_LOCK_EX,
				  .end = UINT64_MAX};
	if (op == L_LOCK_UN)
		return unlock_range(proc, &want, 0, UINT64_MAX);
	if (op != L_LOCK_SH && op != L_LOCK_EX)
		return -EINVAL;
	return take(proc, &want, !(a[1] & L_LOCK_NB));
}

/* A struct flock's range from where it counts (whence) to bytes [start, end]. */
static long flock_range(const struct linux_file *f, const struct l_flock *fl, uint64_t *start,
			uint64_t *end)
{
	int64_t base;
	switch (fl->whence) {
	case SEEK_SET: base = 0; break;
	case SEEK_CUR: base = (int64_t)f->offset; break;
	case SEEK_END: base = (int64_t)f->node->size; break;
	default: return -EINVAL;
	}
	int64_t from, to;
	if (__builtin_add_overflow(base, fl->start, &from))
		return -EOVERFLOW;
	if (fl->len > 0) {
		if (__builtin_add_overflow(from, fl->len - 1, &to))
			return -EOVERFLOW;
	} else if (fl->len < 0) { /* the len bytes before start */
		to = from - 1;
		if (__builtin_add_overflow(from, fl->len, &from))
			return -EINVAL;
	} else {
		to = INT64_MAX;
	}
	if (from < 0)
		return -EINVAL;
	*start = (uint64_t)from;
	*end = fl->len == 0 ? UINT64_MAX : (uint64_t)to;
	return 0;
}

long linux_lock_fcntl(struct linux_proc *proc, uint64_t fd, uint64_t cmd, uint64_t arg)
{
	struct linux_file *f;
	long rc = node_file(proc, fd, &f);
	if (rc < 0)
		return rc;
	struct l_flock fl;
	if (linux_copy_in(proc, &fl, arg, sizeof(fl)) < 0)
		return -EFAULT;
	bool ofd = cmd >= L_F_OFD_GETLK;
	if (ofd && fl.pid != 0)
		return -EINVAL; /* as Linux: an OFD lock names no process */
	struct linux_lock want = {.node = f->node,
				  .file = f,
				  .pid = current_pid(proc),
				  .kind = ofd ? LOCK_OFD : LOCK_POSIX,
				  .write = fl.type == L_F_WRLCK};
	if (fl.type != L_F_RDLCK && fl.type != L_F_WRLCK && fl.type != L_F_UNLCK)
		return -EINVAL;
	if ((rc = flock_range(f, &fl, &want.start, &want.end)) < 0)
		return rc;
	if (cmd == L_F_GETLK || cmd == L_F_OFD_GETLK) {
		if (fl.type == L_F_UNLCK)
			return -EINVAL;
		const struct linux_lock *l = conflict(proc, &want);
		fl.type = L_F_UNLCK;
		if (l) {
			fl.type = l->write ? L_F_WRLCK : L_F_RDLCK;
			fl.whence = SEEK_SET;
			fl.start = (int64_t)l->start;
			fl.len = l->end == UINT64_MAX ? 0 : (int64_t)(l->end - l->start + 1);
			fl.pid = l->kind == LOCK_OFD ? -1 : l->pid;
		}
		return linux_copy_out(proc, arg, &fl, sizeof(fl)) < 0 ? -EFAULT : 0;
	}
	if (fl.type == L_F_UNLCK)
		return unlock_range(proc, &want, want.start, want.end);
	/* As Linux: a read lock needs an fd open for reading, a write lock one for writing. */
	unsigned acc = f->flags & O_ACCMODE;
	if ((want.write && acc == O_RDONLY) || (!want.write && acc == O_WRONLY))
		return -EBADF;
	return take(proc, &want, cmd == L_F_SETLKW || cmd == L_F_OFD_SETLKW);
}

void linux_lock_release(struct linux_proc *proc, const struct linux_file *f, bool last)
{
	int pid = current_pid(proc);
	for (struct linux_lock **link = &proc->locks; *link;) {
		struct linux_lock *l = *link;
		/* POSIX: any close of the file by its process; flock, OFD: the file's end */
		bool gone = l->node == f->node &&
			    (l->kind == LOCK_POSIX ? l->pid == pid : last && l->file == f);
		if (gone) {
			*link = l->next;
			free(l);
		} else {
			link = &l->next;
		}
	}
}
