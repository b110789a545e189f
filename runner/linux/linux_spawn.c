/* `lockvm exec` inside a --linux VM: a CONTROL_EXEC request becomes a new process with a fresh address space, its program from the VM's tree, its stdio the fds the client passed; its wait status goes back on the control socket. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control_wire.h"
#include "linux.h"

/*
 * The exec'd process is a child of no one (ppid 0), as a process runc or
 * `nsenter` puts into a container's pid namespace is: pid 1 never sees it
 * in wait() (a shell's `wait` would reap it and steal its status), and no
 * SIGCHLD reaches pid 1. Its own children are reparented to pid 1 when it
 * exits, as Linux does. Its zombie is collected here and its status goes
 * to the client.
 */

enum spawn_state {
	SPAWN_FREE,
	SPAWN_QUEUED,  /* main thread filled it; the vCPU has not looked yet */
	SPAWN_LOADING, /* the vCPU builds the process (no lock held) */
	SPAWN_RUNNING,
	SPAWN_ENDED, /* refused or exited: the main thread reports and frees it */
};

struct linux_spawn {
	enum spawn_state state;
	uint32_t id;
	int pid, wstatus; /* ENDED: wstatus, or -1 when it never started */
	bool started_told;
	int fds[CONTROL_EXEC_MAX_FDS];
	unsigned nfds;
	uint8_t *payload;
	size_t len;
	uint64_t kills; /* signals (bit n-1) from the client not yet sent */
	char err[256];
};

/* Under vm->lock: the slots; the vCPU alone touches a LOADING slot. */
struct linux_spawns {
	struct linux_spawn slot[CONTROL_EXEC_SLOTS];
	atomic_bool work; /* a slot the vCPU must look at (queued, kills) */
	unsigned running; /* vCPU only: RUNNING slots, for a cheap poll */
};

static void close_fds(int *fds, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* The vCPU thread must look: it may sleep in linux_block_until() or run
 * the program at CPL 3 (the kick, linux_vcpu_kicked). Under vm->lock. */
static void wake_vcpu_locked(struct linux_proc *proc)
{
	atomic_store(&proc->spawns->work, true);
	proc->signal_generation++;
	pthread_cond_broadcast(&proc->vm->cond);
}

/* vCPU thread to main thread: a slot has news (linux_spawn_report). */
static void wake_main(struct vm *vm)
{
	uint64_t one = 1;
	if (vm->wake_fd >= 0 && write(vm->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		perror("lockvm-vmm: write(wake eventfd)");
}

int linux_spawn_request(struct vm *vm, const struct control_msg *m, const void *payload,
			const int *fds, unsigned nfds, char *err, size_t errlen)
{
	struct linux_proc *proc = vm->linux_proc;
	struct control_exec req;
	if (!proc)
		return err_fmt(err, errlen, "exec: the VM runs no Linux program");
	if (control_exec_decode(payload, m->payload_len, &req, err, errlen) < 0)
		return -1;
	bool tty = req.flags & CONTROL_EXEC_TTY;
	if (nfds != (tty ? 1u : 3u))
		return err_fmt(err, errlen, "exec: %u stdio fds passed (want %u)", nfds,
			       tty ? 1u : 3u);
	uint8_t *copy = malloc(m->payload_len);
	if (!copy || !proc->spawns) {
		free(copy);
		return err_fmt(err, errlen, "exec: out of memory");
	}
	memcpy(copy, payload, m->payload_len);
	pthread_mutex_lock(&vm->lock);
	struct linux_spawn *sp = NULL;
	for (unsigned i = 0; i < CONTROL_EXEC_SLOTS && !sp; i++)
		if (proc->spawns->slot[i].state == SPAWN_FREE)
			sp = &proc->spawns->slot[i];
	if (sp) {
		*sp = (struct linux_spawn){.state = SPAWN_QUEUED,
					   .id = m->id,
					   .nfds = nfds,
					   .payload = copy,
					   .len = m->payload_len};
		memcpy(sp->fds, fds, nfds * sizeof(int));
		wake_vcpu_locked(proc);
	}
	pthread_mutex_unlock(&vm->lock);
	if (!sp) {
		free(copy);
		return err_fmt(err, errlen, "exec: %u processes started by exec run already",
			       CONTROL_EXEC_SLOTS);
	}
	vm_kick_vcpus(vm); /* a program spinning at CPL 3 lets the vCPU look */
	return 0;
}

void linux_spawn_kill(struct vm *vm, uint32_t id, int sig)
{
	struct linux_proc *proc = vm->linux_proc;
	if (!proc || sig <= 0 || sig > LINUX_NSIG)
		return;
	pthread_mutex_lock(&vm->lock);
	for (unsigned i = 0; proc->spawns && i < CONTROL_EXEC_SLOTS; i++) {
		struct linux_spawn *sp = &proc->spawns->slot[i];
		if (sp->state != SPAWN_FREE && sp->state != SPAWN_ENDED && sp->id == id) {
			sp->kills |= 1ULL << (sig - 1);
			wake_vcpu_locked(proc);
		}
	}
	pthread_mutex_unlock(&vm->lock);
	vm_kick_vcpus(vm);
}

void linux_spawn_report(struct vm *vm, int control_fd)
{
	struct linux_proc *proc = vm->linux_proc;
	if (!proc)
		return;
	pthread_mutex_lock(&vm->lock);
	for (unsigned i = 0; proc->spawns && i < CONTROL_EXEC_SLOTS; i++) {
		struct linux_spawn *sp = &proc->spawns->slot[i];
		struct control_msg m = {.magic = CONTROL_MAGIC, .id = sp->id, .pid = sp->pid};
		bool started =
		    sp->state == SPAWN_RUNNING || (sp->state == SPAWN_ENDED && sp->wstatus >= 0);
		if (started && !sp->started_told) {
			m.op = CONTROL_EXEC_STARTED;
			(void)control_send(control_fd, &m, -1);
			sp->started_told = true;
		}
		if (sp->state != SPAWN_ENDED)
			continue;
		if (sp->wstatus < 0) { /* refused before it ran */
			m.op = CONTROL_EXEC_STARTED;
			m.status = EXIT_REFUSED;
			snprintf(m.text, sizeof(m.text), "%s", sp->err);
		} else {
			m.op = CONTROL_EXEC_EXITED;
			m.wstatus = sp->wstatus;
		}
		(void)control_send(control_fd, &m, -1);
		free(sp->payload);
		*sp = (struct linux_spawn){.state = SPAWN_FREE};
	}
	pthread_mutex_unlock(&vm->lock);
}

/* ---- the vCPU side ---- */

/* The program's path in the tree, through the request's PATH (or the
 * default one), as execvp looks. */
static void find_program(struct linux_proc *proc, const struct control_exec *req, char *out,
			 size_t len)
{
	const char *path = "/usr/local/bin:/usr/bin:/bin";
	for (uint32_t i = 0; i < req->envc; i++)
		if (strncmp(req->env[i], "PATH=", 5) == 0)
			path = req->env[i] + 5;
	linux_exec_search_path(proc, req->argv[0], path, out, len);
}

/* fds 0, 1, 2 of the running (new) task: the passed fds, owned by their
 * files; one terminal fd is all three (one open file, as dup). */
static int stdio_files(struct linux_proc *proc, struct linux_spawn *sp, bool tty)
{
	for (unsigned fd = 0; fd < 3; fd++) {
		if (tty && fd > 0) {
			proc->fds[fd].file = proc->fds[0].file;
			proc->fds[0].file->refs++;
			continue;
		}
		struct linux_file *f = calloc(1, sizeof(*f));
		if (!f)
			return -ENOMEM;
		*f = (struct linux_file){.kind = LINUX_FILE_STDIO,
					 .host_fd = sp->fds[fd],
					 .host_owned = true,
					 .host_tty = tty,
					 .flags = tty	    ? O_RDWR
						  : fd == 0 ? O_RDONLY
							    : O_WRONLY,
					 .refs = 1};
		sp->fds[fd] = -1; /* the file holds it now */
		proc->fds[fd].file = f;
	}
	return 0;
}

/* Loads the request into proc's (blank) task state: cwd, ids, stdio, a
 * fresh address space with the program. 0 or -1 with err. */
static int build(struct linux_proc *proc, struct linux_spawn *sp, const struct control_exec *req,
		 char *err, size_t errlen)
{
	proc->cred = (struct linux_cred){.uid = req->uid, .gid = req->gid, .ngroups = req->ngroups};
	memcpy(proc->cred.groups, req->groups, req->ngroups * sizeof(uint32_t));
	proc->mm = linux_mm_new(proc);
	if (!proc->mm || stdio_files(proc, sp, req->flags & CONTROL_EXEC_TTY) < 0)
		return err_fmt(err, errlen, "exec: out of memory");
	if (linux_set_workdir(proc, req->cwd, err, errlen) < 0)
		return -1;
	char filename[LINUX_PATH_MAX];
	find_program(proc, req, filename, sizeof(filename));
	struct linux_exec_args args = {.limit = linux_exec_args_limit(proc)};
	int rc = 0;
	for (uint32_t i = 0; i < req->argc && rc == 0; i++)
		rc = linux_exec_args_add(&args, req->argv[i], false);
	for (uint32_t i = 0; i < req->envc && rc == 0; i++)
		rc = linux_exec_args_add(&args, req->env[i], true);
	long lrc = rc;
	uint64_t size = 0;
	uint8_t *file = rc == 0 ? linux_exec_read_path(proc, filename, &size, &lrc) : NULL;
	if (!file)
		err_fmt(err, errlen, "exec %.256s: %s in the VM's tree", filename,
			strerror((int)-lrc));
	else if (linux_exec_load(proc, file, size, filename, &args, err, errlen) != 0)
		lrc = -1;
	linux_exec_file_put(file);
	linux_exec_args_free(&args);
	if (lrc < 0)
		return -1;
	linux_task_exec(proc, filename); /* its comm */
	return 0;
}

/* Starts the request of slot sp as a new task; the running task's state
 * is set aside meanwhile (the new one is built as if it ran). */
static int spawn(struct linux_proc *proc, struct linux_spawn *sp, char *err, size_t errlen)
{
	struct control_exec req;
	if (control_exec_decode(sp->payload, sp->len, &req, err, errlen) < 0)
		return -1;
	if (proc->ntasks >= proc->max_tasks)
		return err_fmt(err, errlen, "exec: the VM holds %u tasks already (--pids)",
			       proc->max_tasks);
	struct linux_task *t = calloc(1, sizeof(*t));
	struct linux_task_state *keep = malloc(sizeof(*keep));
	if (!t || !keep) {
		free(t);
		free(keep);
		return err_fmt(err, errlen, "exec: out of memory");
	}
	struct linux_task *cur = proc->cur;
	*keep = proc->task_state;
	memset(&proc->task_state, 0, sizeof(proc->task_state));
	proc->cur = t;
	int pid = proc->next_pid;
	*t = (struct linux_task){
	    .pid = pid, .tgid = pid, .pgid = pid, .sid = pid, .run = LINUX_TASK_RUNNABLE};
	int rc = build(proc, sp, &req, err, errlen);
	if (rc == 0) {
		proc->next_pid++;
		t->regs = (struct linux_regs){
		    .rip = proc->entry, .rsp = proc->initial_rsp, .rflags = linux_user_rflags(0)};
		linux_fpu_init_state(&t->fpu);
		t->saved = proc->task_state;
		proc->tasks[proc->ntasks++] = t;
		sp->pid = pid;
	} else {
		linux_fd_free(proc);
		linux_cwd_release(proc);
		linux_mm_put(proc->mm);
		free(t);
	}
	proc->task_state = *keep;
	proc->cur = cur;
	proc->fs_base_dirty = true; /* the running task's own, loaded again */
	proc->tlb_stale = true;
	free(keep);
	if (rc == 0) {
		linux_sched_tasks_changed(proc);
		proc->wake_gen++;
	}
	return rc;
}

/* Sends the client's signals (to the running task only when it may take
 * them: *hit says so) and collects an exited process. Under vm->lock, which
 * it lets go while it signals: a signal wakes idle vCPUs, and that takes
 * vm->lock (on several vCPUs; the lock is not recursive). The slot stays
 * this vCPU's meanwhile (the main thread only adds kills to a running one). */
static bool tend_running(struct linux_proc *proc, struct linux_spawn *sp, bool may_signal_cur,
			 bool *hit)
{
	struct linux_task *t = linux_task_find(proc, sp->pid);
	if (t && sp->kills && (t != proc->cur || may_signal_cur)) {
		uint64_t kills = sp->kills;
		sp->kills = 0;
		pthread_mutex_unlock(&proc->vm->lock);
		for (unsigned sig = 1; kills; sig++)
			if (kills & (1ULL << (sig - 1))) {
				kills &= ~(1ULL << (sig - 1));
				linux_task_signal(proc, t, sig);
				*hit |= t == proc->cur;
			}
		pthread_mutex_lock(&proc->vm->lock);
	}
	if (t && (t->run != LINUX_TASK_ZOMBIE || t == proc->cur))
		return false; /* runs, or its exit call has not returned yet */
	sp->wstatus = t ? t->wstatus : 0;
	if (t)
		linux_task_reap(proc, t);
	sp->state = SPAWN_ENDED;
	proc->spawns->running--;
	return true;
}

bool linux_spawn_poll(struct linux_proc *proc, bool may_signal_cur)
{
	struct linux_spawns *s = proc->spawns;
	if (!s || (!atomic_load(&s->work) && !s->running))
		return false;
	bool news = false, hit = false;
	pthread_mutex_lock(&proc->vm->lock);
	atomic_store(&s->work, false);
	for (unsigned i = 0; i < CONTROL_EXEC_SLOTS; i++) {
		struct linux_spawn *sp = &s->slot[i];
		if (sp->state == SPAWN_RUNNING)
			news |= tend_running(proc, sp, may_signal_cur, &hit);
		if (sp->kills)
			atomic_store(&s->work, true); /* for the running task: later */
		if (sp->state != SPAWN_QUEUED || vm_is_ending(proc->vm))
			continue;
		sp->state = SPAWN_LOADING;
		pthread_mutex_unlock(&proc->vm->lock);
		char err[sizeof(sp->err)];
		int rc = spawn(proc, sp, err, sizeof(err));
		pthread_mutex_lock(&proc->vm->lock);
		if (rc == 0) {
			sp->state = SPAWN_RUNNING;
			s->running++;
		} else {
			sp->state = SPAWN_ENDED;
			sp->wstatus = -1;
			snprintf(sp->err, sizeof(sp->err), "%s", err);
			close_fds(sp->fds, sp->nfds);
		}
		news = true;
	}
	pthread_mutex_unlock(&proc->vm->lock);
	linux_sched_tasks_changed(proc); /* the kick linux_vcpu_kicked asked for ends */
	if (news)
		wake_main(proc->vm);
	return hit;
}

bool linux_spawn_pending(const struct linux_proc *proc)
{
	return proc->spawns && (atomic_load(&proc->spawns->work) || proc->spawns->running);
}

void linux_spawn_init(struct linux_proc *proc)
{
	proc->spawns = calloc(1, sizeof(*proc->spawns)); /* NULL: exec answers "out of memory" */
}

void linux_spawn_free(struct linux_proc *proc)
{
	if (!proc->spawns)
		return;
	for (unsigned i = 0; i < CONTROL_EXEC_SLOTS; i++) {
		struct linux_spawn *sp = &proc->spawns->slot[i];
		if (sp->state == SPAWN_QUEUED || sp->state == SPAWN_LOADING)
			close_fds(sp->fds, sp->nfds);
		free(sp->payload);
	}
	free(proc->spawns);
	proc->spawns = NULL;
}
