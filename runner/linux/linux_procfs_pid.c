/* One process's files in /proc/PID: stat, status, statm, cmdline, comm, environ, maps, limits, mounts, mountinfo, cgroup, fdinfo/N and what fd/N shows, in Linux's formats (procps parses them), from the VMM's model of the task. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "linux_procfs.h"
#include "linux_pte.h"
#include "linux_pty.h"
#include "util.h"

/* What Linux's task_state_array calls each state letter. */
static const char *state_name(char state)
{
	switch (state) {
	case 'R': return "R (running)";
	case 'S': return "S (sleeping)";
	case 'D': return "D (disk sleep)";
	case 'T': return "T (stopped)";
	default: return "Z (zombie)";
	}
}

struct mem_use {
	uint64_t size, rss, text, data, stack; /* pages */
};

/* Pages of mm mapped and present, by kind. */
static struct mem_use mem_use(const struct linux_task_state *st)
{
	struct mem_use u = {0};
	struct linux_mm *mm = st->mm;
	if (!mm)
		return u;
	for (unsigned i = 0; i < mm->nvmas; i++) {
		const struct linux_vma *v = &mm->vmas[i];
		uint64_t pages = (v->end - v->start) / PAGE;
		u.size += pages;
		if (v->start >= st->stack_low)
			u.stack += pages;
		else if (v->prot & LINUX_PROT_EXEC)
			u.text += pages;
		else
			u.data += pages;
		for (uint64_t va = v->start; va < v->end;) {
			uint64_t *pte = linux_mm_pte(mm, va, false);
			if (!pte) {
				va = linux_mm_skip(mm, va);
				continue;
			}
			u.rss += (*pte & PTE_P) != 0;
			va += PAGE;
		}
	}
	return u;
}

static void stat_text(struct linux_proc *proc, struct linux_task *t,
		      const struct linux_task_info *ti, struct procfs_buf *b)
{
	const struct linux_task_state *st = procfs_state(proc, t);
	struct mem_use u = mem_use(st);
	uint64_t brk_start = st->mm ? st->mm->brk_start : 0, brk = st->mm ? st->mm->brk : 0;
	int tpgid;
	unsigned tty = linux_pty_of_session(proc, ti->sid, &tpgid);
	/* fields 1-52 of proc_pid_stat(5); times are not counted per task */
	procfs_printf(b,
		      "%d (%s) %c %d %d %d %u %d 4194304 0 0 0 0 0 0 0 0 %d %d %u 0 0 %llu %llu ",
		      ti->pid, ti->comm, ti->state, ti->ppid, ti->pgid, ti->sid, tty, tpgid,
		      20 + t->nice, t->nice, linux_thread_count(proc, ti->tgid),
		      (unsigned long long)(u.size * PAGE), (unsigned long long)u.rss);
	procfs_printf(b,
		      "18446744073709551615 %llu %llu %llu 0 0 %llu %llu 0 0 0 0 %d 0 0 0 0 0 0 ",
		      (unsigned long long)st->load_bias, (unsigned long long)st->image_end,
		      (unsigned long long)st->stack_low, (unsigned long long)t->pending,
		      (unsigned long long)st->sigmask, t->exit_signal);
	procfs_printf(b, "0 0 %llu %llu %llu %llu %llu %d\n", (unsigned long long)brk_start,
		      (unsigned long long)brk, (unsigned long long)st->arg_start,
		      (unsigned long long)st->env_start, (unsigned long long)st->env_end,
		      ti->state == 'Z' ? t->wstatus : 0);
	/* (arg_end is env_start: the strings are contiguous, as on Linux) */
}

static void status_text(struct linux_proc *proc, struct linux_task *t,
			const struct linux_task_info *ti, struct procfs_buf *b)
{
	const struct linux_task_state *st = procfs_state(proc, t);
	struct mem_use u = mem_use(st);
	uint32_t uid = st->cred.uid, gid = st->cred.gid; /* setuid and kin change them */
	uint64_t caught = 0, ignored = 0;
	for (unsigned s = 0; s < LINUX_NSIG; s++) {
		caught |= (uint64_t)(st->actions[s].handler > 1) << s;
		ignored |= (uint64_t)(st->actions[s].handler == 1) << s;
	}
	procfs_printf(b,
		      "Name:\t%s\nUmask:\t0022\nState:\t%s\nTgid:\t%d\nNgid:\t0\nPid:\t%d\n"
		      "PPid:\t%d\nTracerPid:\t0\nUid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\n"
		      "FDSize:\t%u\nGroups:\t",
		      ti->comm, state_name(ti->state), ti->tgid, ti->pid, ti->ppid, uid, uid, uid,
		      uid, gid, gid, gid, gid, (unsigned)LINUX_MAX_FDS);
	for (unsigned i = 0; i < st->cred.ngroups && i < IDENT_MAX_GROUPS; i++)
		procfs_printf(b, "%u ", st->cred.groups[i]);
	procfs_printf(b, "\nNStgid:\t%d\nNSpid:\t%d\nNSpgid:\t%d\nNSsid:\t%d\n", ti->tgid, ti->pid,
		      ti->pgid, ti->sid);
	if (ti->state != 'Z')
		procfs_printf(b,
			      "VmPeak:\t%8llu kB\nVmSize:\t%8llu kB\nVmLck:\t       0 kB\n"
			      "VmPin:\t       0 kB\nVmHWM:\t%8llu kB\nVmRSS:\t%8llu kB\n"
			      "RssAnon:\t%8llu kB\nRssFile:\t       0 kB\nRssShmem:\t       0 kB\n"
			      "VmData:\t%8llu kB\nVmStk:\t%8llu kB\nVmExe:\t%8llu kB\n"
			      "VmLib:\t       0 kB\nVmPTE:\t       0 kB\nVmSwap:\t       0 kB\n",
			      (unsigned long long)u.size * 4, (unsigned long long)u.size * 4,
			      (unsigned long long)u.rss * 4, (unsigned long long)u.rss * 4,
			      (unsigned long long)u.rss * 4, (unsigned long long)u.data * 4,
			      (unsigned long long)u.stack * 4, (unsigned long long)u.text * 4);
	/* the VM's root holds every capability in the VM's view, as a container's root */
	const char *caps = uid == 0 ? "000001ffffffffff" : "0000000000000000";
	procfs_printf(b,
		      "Threads:\t%u\nSigQ:\t0/0\nSigPnd:\t%016llx\nShdPnd:\t0000000000000000\n"
		      "SigBlk:\t%016llx\nSigIgn:\t%016llx\nSigCgt:\t%016llx\n",
		      linux_thread_count(proc, ti->tgid), (unsigned long long)t->pending,
		      (unsigned long long)st->sigmask, (unsigned long long)ignored,
		      (unsigned long long)caught);
	procfs_printf(b,
		      "CapInh:\t0000000000000000\nCapPrm:\t%s\nCapEff:\t%s\nCapBnd:\t%s\n"
		      "CapAmb:\t0000000000000000\nNoNewPrivs:\t1\nSeccomp:\t0\n"
		      "Cpus_allowed:\t%x\nCpus_allowed_list:\t0-%u\nMems_allowed:\t1\n"
		      "Mems_allowed_list:\t0\nvoluntary_ctxt_switches:\t0\n"
		      "nonvoluntary_ctxt_switches:\t0\n",
		      caps, caps, caps, (1u << proc->vm->vcpu_count) - 1, proc->vm->vcpu_count - 1);
}

/* Copies [va, va + len) of mm into b, page by page; stops at a hole. */
static void mem_text(const struct linux_proc *proc, struct linux_mm *mm, uint64_t va, uint64_t len,
		     struct procfs_buf *b)
{
	uint64_t end = va + len;
	if (!mm || end < va || len > PROCFS_TEXT_MAX)
		return;
	while (va < end) {
		uint64_t *pte = linux_mm_pte(mm, va, false);
		uint64_t n = PAGE - (va & PAGE_MASK);
		if (n > end - va)
			n = end - va;
		if (!pte || !(*pte & PTE_P))
			return;
		const void *host =
		    linux_page_host(&proc->pages, (*pte & PTE_ADDR) | (va & PAGE_MASK));
		if (!host)
			return;
		procfs_put(b, host, n);
		va += n;
	}
}

/* What maps names the mapping v: its file (a file's mapping, a program's
 * or interpreter's image), [heap], [stack] or nothing. */
static const char *maps_name(const struct linux_mm *mm, const struct linux_task_state *st,
			     const struct linux_vma *v, char *buf, size_t size)
{
	if (v->file)
		return linux_procfs_map_path(v->file, buf, size) ? buf : "";
	if (v->start >= mm->brk_start && v->end <= ((mm->brk + PAGE - 1) & ~PAGE_MASK) &&
	    mm->brk > mm->brk_start)
		return "[heap]";
	return v->start >= st->stack_low ? "[stack]" : "";
}

/* Whether n (just above v's range, ending at end) continues v's line, as
 * Linux merges neighbours alike (the loader maps an image page by page). A
 * file's pages merge within one mapping of it (one name object) at
 * contiguous offsets: Linux keeps two mmaps apart when one holds written
 * private pages (a library's RELRO beside its read-only data). */
static bool maps_continues(const struct linux_mm *mm, const struct linux_task_state *st,
			   const struct linux_vma *v, uint64_t end, const struct linux_vma *n)
{
	if (n->start != end || n->prot != v->prot || n->flags != v->flags || n->shm || v->shm ||
	    n->file != v->file)
		return false;
	if (v->file)
		return n->pgoff == v->pgoff + (end - v->start);
	return strcmp(maps_name(mm, st, n, NULL, 0), maps_name(mm, st, v, NULL, 0)) == 0;
}

static void maps_text(struct linux_proc *proc, struct linux_task *t, struct procfs_buf *b)
{
	const struct linux_task_state *st = procfs_state(proc, t);
	struct linux_mm *mm = st->mm;
	if (!mm)
		return;
	for (unsigned i = 0; i < mm->nvmas; i++) {
		const struct linux_vma *v = &mm->vmas[i];
		char path[LINUX_PATH_MAX + 16];
		const char *name = maps_name(mm, st, v, path, sizeof(path));
		uint64_t end = v->end;
		while (i + 1 < mm->nvmas && maps_continues(mm, st, v, end, &mm->vmas[i + 1]))
			end = mm->vmas[++i].end;
		uint64_t dev = v->file ? v->file->dev : 0;
		char line[128];
		int n = snprintf(
		    line, sizeof(line), "%08llx-%08llx %c%c%c%c %08llx %02x:%02x %llu",
		    (unsigned long long)v->start, (unsigned long long)end,
		    v->prot & LINUX_PROT_READ ? 'r' : '-', v->prot & LINUX_PROT_WRITE ? 'w' : '-',
		    v->prot & LINUX_PROT_EXEC ? 'x' : '-', v->flags & LINUX_VMA_SHARED ? 's' : 'p',
		    (unsigned long long)(v->file || v->shm ? v->pgoff : 0), major(dev), minor(dev),
		    (unsigned long long)(v->file ? v->file->ino : 0));
		procfs_put(b, line, (size_t)n);
		procfs_put(b, " ", 1);
		if (name[0]) /* padded to 72 columns and a space, as Linux's seq_pad */
			procfs_printf(b, "%*s %s", n + 1 < 72 ? 72 - (n + 1) : 0, "", name);
		procfs_put(b, "\n", 1);
	}
}

static void limits_text(struct linux_proc *proc, struct procfs_buf *b)
{
	static const struct {
		const char *name, *unit;
	} rows[] = {
	    {"Max cpu time", "seconds"},     {"Max file size", "bytes"},
	    {"Max data size", "bytes"},	     {"Max stack size", "bytes"},
	    {"Max core file size", "bytes"}, {"Max resident set", "bytes"},
	    {"Max processes", "processes"},  {"Max open files", "files"},
	    {"Max locked memory", "bytes"},  {"Max address space", "bytes"},
	    {"Max file locks", "locks"},     {"Max pending signals", "signals"},
	    {"Max msgqueue size", "bytes"},  {"Max nice priority", ""},
	    {"Max realtime priority", ""},   {"Max realtime timeout", "us"},
	};
	_Static_assert(ARRAY_SIZE(rows) == IDENT_RLIMITS, "a row per resource");
	procfs_printf(b, "%-25s %-20s %-20s %-10s\n", "Limit", "Soft Limit", "Hard Limit", "Units");
	for (unsigned r = 0; r < IDENT_RLIMITS; r++) {
		struct ident_rlimit lim;
		char cur[24], max[24];
		linux_rlimit_of(proc, r, &lim);
		snprintf(cur, sizeof(cur), lim.cur == IDENT_INFINITY ? "unlimited" : "%llu",
			 (unsigned long long)lim.cur);
		snprintf(max, sizeof(max), lim.max == IDENT_INFINITY ? "unlimited" : "%llu",
			 (unsigned long long)lim.max);
		procfs_printf(b, "%-25s %-20s %-20s %-10s\n", rows[r].name, cur, max, rows[r].unit);
	}
}

/* The VM's mounts, as /proc/mounts (info false) or mountinfo shows them. */
static void mounts_text(struct linux_proc *proc, bool info, struct procfs_buf *b)
{
	const struct linux_fs *fs = &proc->fs;
	const char *root_opts = fs->upper_pool.limit ? "rw" : "ro";
	struct {
		const char *path, *type, *opts;
	} m[3 + LINUX_FS_MOUNTS] = {{"/", "overlay", root_opts},
				    {"/dev", "devtmpfs", "rw,nosuid"},
				    {"/tmp", "tmpfs", "rw,nosuid,nodev"}};
	char paths[LINUX_FS_MOUNTS][LINUX_PATH_MAX];
	unsigned count = 3;
	for (unsigned i = 0; i < fs->mount_count; i++) {
		const struct linux_node *dir = fs->mounts[i].dir;
		if (!procfs_path(fs, dir, paths[i], sizeof(paths[i])))
			continue;
		m[count].path = paths[i];
		m[count].type = dir->proc_kind ? "proc" : i == 0 ? "sysfs" : "tmpfs";
		m[count++].opts = dir->proc_kind ? "rw,nosuid,nodev,noexec"
				  : i == 0	 ? "ro,nosuid,nodev,noexec" /* /sys */
						 : "rw,nosuid,nodev";
	}
	for (unsigned i = 0; i < count; i++) {
		if (info)
			procfs_printf(b, "%u %u 0:%u / %s %s - %s %s %s\n", 20 + i, i ? 20 : 1,
				      20 + i, m[i].path, m[i].opts, m[i].type, m[i].type,
				      m[i].opts);
		else
			procfs_printf(b, "%s %s %s %s 0 0\n", m[i].type, m[i].path, m[i].type,
				      m[i].opts);
	}
}

void procfs_fd_text(struct linux_proc *proc, const struct linux_file *f, char *out, size_t size)
{
	switch (f->kind) {
	case LINUX_FILE_NODE:
		if (!procfs_path(&proc->fs, f->node, out, size))
			snprintf(out, size, "/");
		return;
	case LINUX_FILE_SOCKET: snprintf(out, size, "socket:[0]"); return;
	case LINUX_FILE_STDIO:
		if (proc->cfg.tty_mask & (1u << f->host_fd)) {
			snprintf(out, size, "/dev/tty");
			return;
		}
		snprintf(out, size, "pipe:[%d]", f->host_fd + 1); /* fstat's ino of it */
		return;
	default: snprintf(out, size, "pipe:[0]"); return;
	}
}

int procfs_pid_text(struct linux_proc *proc, struct linux_task *t, const struct linux_node *n,
		    struct procfs_buf *b)
{
	struct linux_task_info ti = {0};
	for (unsigned i = 0; linux_task_iter(proc, i, &ti) && ti.pid != t->pid; i++)
		;
	bool zombie = ti.state == 'Z';
	const struct linux_task_state *st = procfs_state(proc, t);
	switch (n->proc_kind) {
	case PROC_PID_STAT: stat_text(proc, t, &ti, b); break;
	case PROC_PID_STATUS: status_text(proc, t, &ti, b); break;
	case PROC_PID_STATM: {
		struct mem_use u = mem_use(st); /* a zombie's: none (its mm is gone) */
		procfs_printf(b, "%llu %llu 0 %llu 0 %llu 0\n", (unsigned long long)u.size,
			      (unsigned long long)u.rss, (unsigned long long)u.text,
			      (unsigned long long)u.data + u.stack);
		break;
	}
	case PROC_PID_CMDLINE:
		if (!zombie)
			procfs_put(b, t->cmdline, t->cmdline_len);
		break;
	case PROC_PID_COMM: procfs_printf(b, "%s\n", t->comm); break;
	case PROC_PID_ENVIRON:
		/* Linux: only a process that may ptrace it; in the VM every process
		 * has the one uid of --user, so each may read the others' */
		if (!zombie)
			mem_text(proc, st->mm, st->env_start, st->env_end - st->env_start, b);
		break;
	case PROC_PID_MAPS:
		if (!zombie)
			maps_text(proc, t, b);
		break;
	case PROC_PID_LIMITS: limits_text(proc, b); break;
	case PROC_PID_MOUNTS: mounts_text(proc, false, b); break;
	case PROC_PID_MOUNTINFO: mounts_text(proc, true, b); break;
	case PROC_PID_CGROUP: procfs_printf(b, "0::/\n"); break;
	case PROC_PID_ATTR_CURRENT: return -EINVAL; /* no LSM in the VM: as Linux without one */
	case PROC_PID_FDINFO: {
		const struct linux_file *f =
		    zombie || n->dev_fd >= LINUX_MAX_FDS ? NULL : st->fds[n->dev_fd].file;
		if (!f)
			return -ENOENT;
		procfs_printf(b, "pos:\t%llu\nflags:\t0%o\nmnt_id:\t0\nino:\t%llu\n",
			      (unsigned long long)f->offset,
			      f->flags | (st->fds[n->dev_fd].cloexec ? L_O_CLOEXEC : 0),
			      (unsigned long long)(f->kind == LINUX_FILE_NODE ? f->node->ino : 0));
		break;
	}
	default: return -EINVAL;
	}
	return 0;
}
