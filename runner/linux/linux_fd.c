/* The fd table of a Linux-ABI guest: alloc, get, close, dup, fcntl; open files are refcounted. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "linux.h"
#include "linux_pty.h"
#include "linux_shm.h"

void linux_fd_init(struct linux_proc *proc)
{
	for (int fd = 0; fd < 3; fd++) {
		struct linux_file *f = calloc(1, sizeof(*f));
		if (!f)
			continue;
		f->kind = LINUX_FILE_STDIO;
		f->host_fd = fd == 1 ? proc->vm->console_fd : fd;
		f->flags = fd == 0 ? O_RDONLY : O_WRONLY;
		f->refs = 1;
		proc->fds[fd].file = f;
	}
}

static void file_put(struct linux_proc *proc, struct linux_file *f)
{
	if (f->kind == LINUX_FILE_SOCKET) {
		linux_sock_put(proc, f); /* files in flight in its queue go with it */
		return;
	}
	if (f->kind == LINUX_FILE_NODE) /* POSIX locks go at any close, the others with f */
		linux_lock_release(proc, f, f->refs == 1);
	if (--f->refs)
		return;
	/* As Linux: every epoll set forgets the description with its last close. */
	if (f->epoll_refs)
		linux_epoll_file_gone(proc, f);
	if (f->kind == LINUX_FILE_EVENT) {
		f->ops->release(proc, f);
	} else if (f->kind == LINUX_FILE_NODE) {
		linux_inotify_node(&proc->fs, f->node,
				   (f->flags & O_ACCMODE) == O_RDONLY ? LINUX_IN_CLOSE_NOWRITE
								      : LINUX_IN_CLOSE_WRITE);
		linux_shm_closed(f->node); /* its mappings' writes reach the file */
		if (f->host_fd >= 0)
			close(f->host_fd); /* a --fs file's host fd (linux_hostfs.c) */
		if (f->pty)
			linux_pty_release(proc, f);
		linux_fs_put(&proc->fs, f->node);
	} else if (f->kind == LINUX_FILE_PIPE) {
		linux_pipe_release(proc, f);
		if (f->node) /* a FIFO's end holds its node */
			linux_fs_put(&proc->fs, f->node);
	} else if (f->kind == LINUX_FILE_STDIO && f->host_owned) {
		close(f->host_fd); /* an exec'd process's passed stdio (linux_spawn.c) */
	}
	free(f);
}

void linux_file_put(struct linux_proc *proc, struct linux_file *f)
{
	file_put(proc, f);
}

void linux_fd_free(struct linux_proc *proc)
{
	for (int fd = 0; fd < LINUX_MAX_FDS; fd++)
		if (proc->fds[fd].file) {
			file_put(proc, proc->fds[fd].file);
			proc->fds[fd].file = NULL;
		}
}

void linux_fd_exec(struct linux_proc *proc)
{
	for (int fd = 0; fd < LINUX_MAX_FDS; fd++)
		if (proc->fds[fd].file && proc->fds[fd].cloexec) {
			file_put(proc, proc->fds[fd].file);
			proc->fds[fd] = (struct linux_fd_slot){0};
		}
}

struct linux_file *linux_fd_get(struct linux_proc *proc, uint64_t fd)
{
	return fd < LINUX_MAX_FDS ? proc->fds[fd].file : NULL;
}

int linux_fd_alloc(struct linux_proc *proc, uint64_t lowest, struct linux_file *f, bool cloexec)
{
	for (uint64_t fd = lowest; fd < linux_nofile(proc); fd++) /* RLIMIT_NOFILE */
		if (!proc->fds[fd].file) {
			proc->fds[fd] = (struct linux_fd_slot){.file = f, .cloexec = cloexec};
			f->refs++;
			return (int)fd;
		}
	return -EMFILE;
}

long linux_sys_close(struct linux_proc *proc, const uint64_t *a)
{
	struct linux_file *f = linux_fd_get(proc, a[0]);
	if (!f)
		return -EBADF;
	proc->fds[a[0]].file = NULL;
	file_put(proc, f);
	return 0;
}

#define L_F_DUPFD	  0
#define L_F_GETFD	  1
#define L_F_SETFD	  2
#define L_F_GETFL	  3
#define L_F_SETFL	  4
#define L_F_DUPFD_CLOEXEC 1030
#define L_F_GETLK	  5  /* to F_SETLKW 7: POSIX record locks (linux_lock.c) */
#define L_F_OFD_GETLK	  36 /* to F_OFD_SETLKW 38: open file description locks */

long linux_sys_fcntl(struct linux_proc *proc, const uint64_t *a)
{
	struct linux_file *f = linux_fd_get(proc, a[0]);
	if (!f)
		return -EBADF;
	switch (a[1]) {
	case L_F_DUPFD:
	case L_F_DUPFD_CLOEXEC:
		if (a[2] >= LINUX_MAX_FDS)
			return -EINVAL;
		return linux_fd_alloc(proc, a[2], f, a[1] == L_F_DUPFD_CLOEXEC);
	case L_F_GETFD: return proc->fds[a[0]].cloexec ? FD_CLOEXEC : 0;
	case L_F_SETFD: proc->fds[a[0]].cloexec = a[2] & FD_CLOEXEC; return 0;
	case L_F_GETFL: return f->flags;
	case L_F_SETFL:
		f->flags = (f->flags & O_ACCMODE) | ((unsigned)a[2] & (L_O_APPEND | L_O_NONBLOCK));
		return 0;
	case L_F_GETLK:
	case L_F_GETLK + 1:
	case L_F_GETLK + 2:
	case L_F_OFD_GETLK:
	case L_F_OFD_GETLK + 1:
	case L_F_OFD_GETLK + 2: return linux_lock_fcntl(proc, a[0], a[1], a[2]);
	default: return -EINVAL;
	}
}

long linux_sys_dup(struct linux_proc *proc, const uint64_t *a)
{
	struct linux_file *f = linux_fd_get(proc, a[0]);
	return f ? linux_fd_alloc(proc, 0, f, false) : -EBADF;
}

static long do_dup3(struct linux_proc *proc, uint64_t oldfd, uint64_t newfd, bool cloexec)
{
	struct linux_file *f = linux_fd_get(proc, oldfd);
	if (!f || newfd >= LINUX_MAX_FDS)
		return -EBADF;
	if (oldfd == newfd)
		return (long)newfd;
	struct linux_file *old = proc->fds[newfd].file;
	f->refs++;
	proc->fds[newfd] = (struct linux_fd_slot){.file = f, .cloexec = cloexec};
	if (old)
		file_put(proc, old);
	return (long)newfd;
}

long linux_sys_dup2(struct linux_proc *proc, const uint64_t *a)
{
	if (a[0] == a[1])
		return linux_fd_get(proc, a[0]) ? (long)a[1] : -EBADF;
	return do_dup3(proc, a[0], a[1], false);
}

long linux_sys_dup3(struct linux_proc *proc, const uint64_t *a)
{
	if (a[0] == a[1] || (a[2] & ~(uint64_t)L_O_CLOEXEC))
		return -EINVAL;
	return do_dup3(proc, a[0], a[1], a[2] & L_O_CLOEXEC);
}
