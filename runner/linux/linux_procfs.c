/* /proc of a Linux-ABI guest: the tree (fixed entries, a directory per pid made when looked up or listed and pruned when the pid is gone), the magic links exe/cwd/root/fd/N followed to the VM's own objects, and the VM-wide files; nothing of the host's /proc is reached. */
#include <cpuid.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "linux_procfs.h"
#include "util.h"

/* ---- nodes ---- */

/* A directory entry named by a number ("1", not "01"), or -1. */
static int name_number(const char *name, size_t len)
{
	if (len == 0 || len > 9 || (name[0] == '0' && len > 1))
		return -1;
	int v = 0;
	for (size_t i = 0; i < len; i++) {
		if (name[i] < '0' || name[i] > '9')
			return -1;
		v = v * 10 + (name[i] - '0');
	}
	return v;
}

/* A /proc node in dir: a fixed one, or (gen) one of pid's, reference-counted. */
static struct linux_node *new_node(struct linux_fs *fs, struct linux_node *dir, const char *name,
				   uint32_t mode, uint8_t kind, int pid, bool gen)
{
	struct linux_node *n = linux_fs_fixed_node(fs, dir, name, mode);
	if (!n)
		return NULL;
	n->proc_kind = kind;
	n->proc_pid = pid;
	n->gen = gen;
	n->refs = gen ? 1 : 0; /* gen: the link */
	n->mtime_sec = time(NULL);
	n->uid = fs->owner ? fs->owner->cfg.uid : 0;
	n->gid = fs->owner ? fs->owner->cfg.gid : 0;
	int number = name_number(n->name, n->name_len);
	if (gen && number >= 0) {
		/* pids and fds list in ascending order, as Linux's, each at an
		 * offset of its own (above the fixed entries') */
		struct linux_node **link = &dir->children;
		n->dpos = (1ULL << 32) + (uint64_t)number;
		while (*link && (*link)->dpos < n->dpos)
			link = &(*link)->next;
		n->next = *link;
		*link = n;
	} else {
		linux_fs_link_child(dir, n);
	}
	if (gen)
		linux_fs_get(fs, dir); /* n->parent, as a /tmp node pins its parent */
	return n;
}

#define F S_IFREG | 0444
#define D S_IFDIR | 0555
#define L S_IFLNK | 0777
static const struct {
	const char *name; /* a path under /proc: its directories come first */
	uint8_t kind;
	uint32_t mode;
	const char *link; /* a fixed link's text */
} fixed[] = {
    {"self", PROC_SELF, L, NULL},
    {"thread-self", PROC_THREAD_SELF, L, NULL},
    {"mounts", PROC_DIR, L, "self/mounts"},
    {"meminfo", PROC_MEMINFO, F, NULL},
    {"cpuinfo", PROC_CPUINFO, F, NULL},
    {"stat", PROC_STAT, F, NULL},
    {"uptime", PROC_UPTIME, F, NULL},
    {"loadavg", PROC_LOADAVG, F, NULL},
    {"version", PROC_VERSION, F, NULL},
    {"filesystems", PROC_FILESYSTEMS, F, NULL},
    {"sys", PROC_DIR, D, NULL},
    {"sys/kernel", PROC_DIR, D, NULL},
    {"sys/kernel/hostname", PROC_HOSTNAME, F, NULL},
    {"sys/kernel/ostype", PROC_OSTYPE, F, NULL},
    {"sys/kernel/osrelease", PROC_OSRELEASE, F, NULL},
    {"sys/kernel/pid_max", PROC_PID_MAX, F, NULL},
    {"sys/kernel/ngroups_max", PROC_NGROUPS_MAX, F, NULL},
    {"sys/vm", PROC_DIR, D, NULL},
    {"sys/vm/overcommit_memory", PROC_OVERCOMMIT, F, NULL},
    {"sys/fs", PROC_DIR, D, NULL},
    {"sys/fs/file-max", PROC_FILE_MAX, F, NULL},
};
#undef F
#undef D
#undef L

/* The fixed directory path[0, len) under /proc (made by an earlier entry). */
static struct linux_node *fixed_parent(struct linux_fs *fs, struct linux_node *dir,
				       const char *path, size_t len)
{
	size_t pos = 0;
	while (dir && pos < len) {
		size_t end = pos;
		while (end < len && path[end] != '/')
			end++;
		dir = linux_fs_lookup(fs, dir, path + pos, end - pos);
		pos = end + 1;
	}
	return dir;
}

int linux_procfs_init(struct linux_fs *fs)
{
	struct linux_node *proc = linux_fs_fixed_mount(fs, "proc");
	if (!proc)
		return -ENOMEM;
	proc->proc_kind = PROC_ROOT;
	for (size_t i = 0; i < ARRAY_SIZE(fixed); i++) {
		const char *path = fixed[i].name, *slash = strrchr(path, '/');
		struct linux_node *dir =
		    slash ? fixed_parent(fs, proc, path, (size_t)(slash - path)) : proc;
		struct linux_node *n = dir ? new_node(fs, dir, slash ? slash + 1 : path,
						      fixed[i].mode, fixed[i].kind, 0, false)
					   : NULL;
		if (!n || (fixed[i].link && !(n->link = strdup(fixed[i].link))))
			return -ENOMEM;
		n->size = n->link ? strlen(n->link) : 0;
	}
	return 0;
}

bool linux_procfs_magic(const struct linux_node *n)
{
	return n->proc_kind >= PROC_PID_EXE;
}

struct linux_task *procfs_task(struct linux_proc *proc, const struct linux_node *n)
{
	if (!proc || (n->gen && n->unlinked))
		return NULL;
	return linux_task_find(proc, n->proc_pid);
}

const struct linux_task_state *procfs_state(const struct linux_proc *proc,
					    const struct linux_task *t)
{
	return t == proc->cur ? &proc->task_state : &t->saved;
}

bool procfs_path(const struct linux_fs *fs, const struct linux_node *n, char *out, size_t size)
{
	char path[LINUX_PATH_MAX];
	size_t pos = sizeof(path) - 1;
	path[pos] = '\0';
	bool deleted = false;
	if (n->memfd) { /* as Linux shows it: /memfd:NAME (deleted) */
		int w = snprintf(out, size, "/%s (deleted)", n->name);
		return w >= 0 && (size_t)w < size;
	}
	for (; n != fs->root; n = n->parent) {
		deleted |= n->unlinked;
		if (pos < n->name_len + 1 || n->parent == n)
			return false;
		pos -= n->name_len;
		memcpy(path + pos, n->name, n->name_len);
		path[--pos] = '/';
	}
	if (pos == sizeof(path) - 1)
		path[--pos] = '/';
	int w = snprintf(out, size, "%s%s", path + pos, deleted ? " (deleted)" : "");
	return w >= 0 && (size_t)w < size;
}

/* A pid directory's fd/N or fdinfo/N: its open file, or NULL. */
static const struct linux_file *fd_file(struct linux_proc *proc, const struct linux_node *n)
{
	struct linux_task *t = procfs_task(proc, n);
	if (!t || t->run == LINUX_TASK_ZOMBIE || n->dev_fd >= LINUX_MAX_FDS)
		return NULL;
	return procfs_state(proc, t)->fds[n->dev_fd].file;
}

/* Whether a generated node still shows something: its pid, its fd. */
static bool stale(struct linux_proc *proc, const struct linux_node *n)
{
	if (n->proc_kind == PROC_PID_FD || n->proc_kind == PROC_PID_FDINFO)
		return !fd_file(proc, n);
	const struct linux_task *t = procfs_task(proc, n);
	if (n->proc_kind == PROC_TID_DIR) /* a thread that exited leaves task/ */
		return !t || !linux_thread_alive(t);
	return !t;
}

/* Takes a generated node (and what it holds) out of its directory; open
 * fds keep it, unlinked, until they close. */
static void prune(struct linux_fs *fs, struct linux_node *n)
{
	while (n->children) /* depth: pid/task/tid/fd/N at most */
		prune(fs, n->children);
	(void)linux_fs_leave(fs, n); /* no whiteout: never fails */
	n->unlinked = true;
	linux_fs_put(fs, n);
}

static void prune_stale(struct linux_fs *fs, struct linux_node *dir)
{
	for (struct linux_node *c = dir->children, *next; c; c = next) {
		next = c->next;
		if (c->gen && stale(fs->owner, c))
			prune(fs, c);
	}
}

static const struct {
	const char *name;
	uint8_t kind;
	uint32_t mode;
} pid_entries[] = {
    {"stat", PROC_PID_STAT, S_IFREG | 0444},	 {"status", PROC_PID_STATUS, S_IFREG | 0444},
    {"statm", PROC_PID_STATM, S_IFREG | 0444},	 {"cmdline", PROC_PID_CMDLINE, S_IFREG | 0444},
    {"comm", PROC_PID_COMM, S_IFREG | 0644},	 {"environ", PROC_PID_ENVIRON, S_IFREG | 0400},
    {"maps", PROC_PID_MAPS, S_IFREG | 0444},	 {"limits", PROC_PID_LIMITS, S_IFREG | 0444},
    {"mounts", PROC_PID_MOUNTS, S_IFREG | 0444}, {"mountinfo", PROC_PID_MOUNTINFO, S_IFREG | 0444},
    {"cgroup", PROC_PID_CGROUP, S_IFREG | 0444}, {"exe", PROC_PID_EXE, S_IFLNK | 0777},
    {"cwd", PROC_PID_CWD, S_IFLNK | 0777},	 {"root", PROC_PID_ROOT, S_IFLNK | 0777},
    {"fd", PROC_FD_DIR, S_IFDIR | 0500},	 {"fdinfo", PROC_FDINFO_DIR, S_IFDIR | 0500},
    {"attr", PROC_ATTR_DIR, S_IFDIR | 0555},	 {"task", PROC_TASK_DIR, S_IFDIR | 0555},
};

/* /proc/PID or /proc/PID/task/TID with its entries (a TID has no task/). */
static struct linux_node *pid_dir(struct linux_fs *fs, struct linux_node *dir, const char *name,
				  int pid, uint8_t kind)
{
	struct linux_node *d = new_node(fs, dir, name, S_IFDIR | 0555, kind, pid, true);
	for (size_t i = 0; d && i < ARRAY_SIZE(pid_entries); i++) {
		if (kind == PROC_TID_DIR && pid_entries[i].kind == PROC_TASK_DIR)
			continue;
		struct linux_node *n = new_node(fs, d, pid_entries[i].name, pid_entries[i].mode,
						pid_entries[i].kind, pid, true);
		if (n && n->proc_kind == PROC_ATTR_DIR)
			n = new_node(fs, n, "current", S_IFREG | 0666, PROC_PID_ATTR_CURRENT, pid,
				     true);
		if (!n) {
			prune(fs, d);
			return NULL;
		}
	}
	return d;
}

/* The entry `number` of a directory of numbers (pids, tids, fds), made
 * when it shows something now; NULL otherwise. */
static struct linux_node *numbered(struct linux_fs *fs, struct linux_node *dir, int number)
{
	struct linux_proc *proc = fs->owner;
	char name[16];
	snprintf(name, sizeof(name), "%d", number);
	switch (dir->proc_kind) {
	case PROC_ROOT:
		return linux_task_find(proc, number) ? pid_dir(fs, dir, name, number, PROC_PID_DIR)
						     : NULL;
	case PROC_TASK_DIR: { /* the process's live threads, by tid */
		const struct linux_task *t = linux_task_find(proc, number);
		return t && t->tgid == dir->proc_pid && linux_thread_alive(t)
			   ? pid_dir(fs, dir, name, number, PROC_TID_DIR)
			   : NULL;
	}
	case PROC_FD_DIR:
	case PROC_FDINFO_DIR: {
		bool info = dir->proc_kind == PROC_FDINFO_DIR;
		struct linux_node probe = {.proc_pid = dir->proc_pid,
					   .proc_kind = PROC_PID_FD,
					   .dev_fd = (uint32_t)number};
		if (!fd_file(proc, &probe))
			return NULL;
		struct linux_node *n =
		    new_node(fs, dir, name, info ? S_IFREG | 0444 : S_IFLNK | 0700,
			     info ? PROC_PID_FDINFO : PROC_PID_FD, dir->proc_pid, true);
		if (n)
			n->dev_fd = (uint32_t)number;
		return n;
	}
	default: return NULL;
	}
}

static void set_link(struct linux_node *n, const char *text)
{
	char *copy = strdup(text);
	if (!copy)
		return; /* the old text stays */
	free(n->link);
	n->link = copy;
	n->size = strlen(copy);
}

/* A link's text as readlink shows it now. */
static void refresh_link(struct linux_fs *fs, struct linux_node *n)
{
	struct linux_proc *proc = fs->owner;
	char text[LINUX_PATH_MAX + 16] = "";
	struct linux_task *t = n->gen ? procfs_task(proc, n) : NULL;
	const struct linux_task_state *st = t ? procfs_state(proc, t) : NULL;
	switch (n->proc_kind) {
	case PROC_SELF:
	case PROC_THREAD_SELF: {
		/* self: the process (its tgid), as Linux; thread-self: the caller */
		int pid = proc ? proc->cur->tgid : 0, tid = proc ? proc->cur->pid : 0;
		snprintf(text, sizeof(text), n->proc_kind == PROC_SELF ? "%d" : "%d/task/%d", pid,
			 tid);
		break;
	}
	case PROC_PID_EXE:
		if (t)
			snprintf(text, sizeof(text), "%s", t->exe);
		break;
	case PROC_PID_CWD:
		if (st && st->cwd && !procfs_path(fs, st->cwd, text, sizeof(text)))
			text[0] = '\0';
		break;
	case PROC_PID_ROOT: snprintf(text, sizeof(text), "/"); break;
	case PROC_PID_FD: {
		const struct linux_file *f = fd_file(proc, n);
		if (f)
			procfs_fd_text(proc, f, text, sizeof(text));
		break;
	}
	default: return;
	}
	set_link(n, text);
}

int linux_procfs_child(struct linux_fs *fs, struct linux_node *dir, const char *name, size_t len,
		       struct linux_node **out)
{
	if (dir->unlinked || (dir->gen && !procfs_task(fs->owner, dir)))
		return -ENOENT; /* its process is gone (an fd or the cwd still names it) */
	prune_stale(fs, dir);
	struct linux_node *n = NULL;
	for (struct linux_node *c = dir->children; c && !n; c = c->next)
		if (c->name_len == len && memcmp(c->name, name, len) == 0)
			n = c;
	int number = n || !fs->owner ? -1 : name_number(name, len);
	if (number >= 0)
		n = numbered(fs, dir, number);
	if (!n)
		return -ENOENT;
	if (S_ISLNK(n->mode))
		refresh_link(fs, n);
	*out = n;
	return 0;
}

static bool listed(const struct linux_node *dir, int number)
{
	for (const struct linux_node *c = dir->children; c; c = c->next)
		if (c->gen && name_number(c->name, c->name_len) == number)
			return true;
	return false;
}

void linux_procfs_list(struct linux_proc *proc, struct linux_node *dir)
{
	struct linux_fs *fs = &proc->fs;
	if (dir->unlinked || (dir->gen && !procfs_task(proc, dir)))
		return;
	prune_stale(fs, dir);
	struct linux_task_info info;
	switch (dir->proc_kind) {
	case PROC_ROOT:
		for (unsigned i = 0; linux_task_iter(proc, i, &info); i++)
			if (info.pid == info.tgid &&
			    !listed(dir, info.pid)) /* processes, as Linux lists */
				(void)numbered(fs, dir, info.pid);
		break;
	case PROC_TASK_DIR:
		for (unsigned i = 0; linux_task_iter(proc, i, &info); i++)
			if (info.tgid == dir->proc_pid && !listed(dir, info.pid))
				(void)numbered(fs, dir, info.pid); /* NULL for an exited one */
		break;
	case PROC_FD_DIR:
	case PROC_FDINFO_DIR:
		for (int fd = 0; fd < (int)LINUX_MAX_FDS; fd++)
			if (!listed(dir, fd))
				(void)numbered(fs, dir, fd); /* NULL for a closed fd */
		break;
	default: break;
	}
}

int linux_procfs_follow(struct linux_fs *fs, struct linux_node *link, struct linux_node **out)
{
	struct linux_proc *proc = fs->owner;
	struct linux_task *t = procfs_task(proc, link);
	if (!t || t->run == LINUX_TASK_ZOMBIE)
		return -ENOENT;
	const struct linux_task_state *st = procfs_state(proc, t);
	switch (link->proc_kind) {
	case PROC_PID_ROOT: *out = fs->root; return 0;
	case PROC_PID_CWD:
		if (!st->cwd)
			return -ENOENT;
		*out = st->cwd;
		return 0;
	case PROC_PID_FD: {
		const struct linux_file *f = fd_file(proc, link);
		if (!f)
			return -ENOENT;
		if (f->kind != LINUX_FILE_NODE)
			return 1;
		*out = f->node;
		return 0;
	}
	case PROC_PID_EXE: {
		/* its path in the VM's tree, walked again: a nested /proc/self/exe
		 * in that path is refused rather than followed for ever */
		if (fs->follows >= 2 || !t->exe[0])
			return -ELOOP;
		fs->follows++;
		int rc = linux_fs_resolve(fs, fs->root, t->exe, LINUX_RESOLVE_FOLLOW, out, NULL,
					  NULL, 0);
		fs->follows--;
		return rc;
	}
	default: return -EINVAL;
	}
}

long linux_procfs_open_fd(struct linux_proc *proc, const struct linux_node *n, uint64_t flags)
{
	struct linux_file *f = (struct linux_file *)fd_file(proc, n);
	if (!f)
		return -ENOENT;
	return linux_fd_alloc(proc, 0, f, flags & L_O_CLOEXEC);
}

/* The path of what filename names in the VM's tree (*node: it, or NULL). */
static void image_path(struct linux_proc *proc, const char *filename, char *out, size_t size,
		       struct linux_node **node)
{
	if (linux_fs_resolve(&proc->fs, proc->cwd ? proc->cwd : proc->fs.root, filename,
			     LINUX_RESOLVE_FOLLOW, node, NULL, NULL, 0) < 0 ||
	    !procfs_path(&proc->fs, *node, out, size)) {
		/* Not in the tree (a host program run without --fs): still an
		 * absolute path, as Linux's always is (static glibc asserts it
		 * for $ORIGIN); a relative one is taken from the tree's root. */
		*node = NULL;
		while (filename[0] == '.' && filename[1] == '/')
			filename += 2;
		snprintf(out, size, "%s%s", filename[0] == '/' ? "" : "/", filename);
	}
}

void linux_procfs_set_exe(struct linux_proc *proc, const char *filename)
{
	struct linux_node *node;
	image_path(proc, filename, proc->cur->exe, sizeof(proc->cur->exe), &node);
}

struct linux_vma_file *linux_procfs_map_name(struct linux_proc *proc, struct linux_node *node)
{
	return linux_vma_file_new(&proc->fs, node, NULL, linux_fs_dev(node), node->ino);
}

struct linux_vma_file *linux_procfs_image_name(struct linux_proc *proc, const char *filename)
{
	char path[LINUX_PATH_MAX + 16];
	struct linux_node *node;
	image_path(proc, filename, path, sizeof(path), &node);
	return linux_vma_file_new(&proc->fs, node, path, node ? linux_fs_dev(node) : 0,
				  node ? node->ino : 0);
}

bool linux_procfs_map_path(const struct linux_vma_file *f, char *out, size_t size)
{
	if (f->node)
		return procfs_path(f->fs, f->node, out, size);
	return (size_t)snprintf(out, size, "%s", f->path) < size;
}

/* ---- text ---- */

void procfs_put(struct procfs_buf *b, const void *p, size_t n)
{
	if (b->failed || n == 0)
		return;
	if (b->len + n > PROCFS_TEXT_MAX) {
		b->failed = true;
		return;
	}
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		while (cap < b->len + n)
			cap *= 2;
		char *grown = realloc_copy(b->data, b->len, cap);
		if (!grown) {
			b->failed = true;
			return;
		}
		b->data = grown;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

void procfs_printf(struct procfs_buf *b, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line)) {
		b->failed = true; /* every caller's line fits: a longer one is a bug */
		return;
	}
	procfs_put(b, line, (size_t)n);
}

static uint64_t uptime_ns(const struct linux_fs *fs)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t now = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	return now > fs->start_ns ? now - fs->start_ns : 0;
}

static void cpuinfo_text(struct linux_proc *proc, struct procfs_buf *b)
{
	unsigned regs[12] = {0}, eax = 0, ebx = 0, ecx = 0, edx = 0;
	char vendor[13] = {0}, model[49] = {0};
	__get_cpuid(0, &eax, &ebx, &ecx, &edx);
	memcpy(vendor, &ebx, 4);
	memcpy(vendor + 4, &edx, 4);
	memcpy(vendor + 8, &ecx, 4);
	for (size_t i = 0; i < 3; i++)
		__get_cpuid(0x80000002u + (unsigned)i, &regs[4 * i], &regs[4 * i + 1],
			    &regs[4 * i + 2], &regs[4 * i + 3]);
	memcpy(model, regs, 48);
	__get_cpuid(1, &eax, &ebx, &ecx, &edx);
	unsigned family = (eax >> 8 & 0xf) + (eax >> 20 & 0xff),
		 cpu_model = (eax >> 4 & 0xf) | (eax >> 12 & 0xf0);
	unsigned cpus = proc->vm->vcpu_count;
	for (unsigned i = 0; i < cpus; i++)
		procfs_printf(b,
			      "processor\t: %u\nvendor_id\t: %s\ncpu family\t: %u\nmodel\t\t: %u\n"
			      "model name\t: %s\nstepping\t: %u\nphysical id\t: 0\nsiblings\t: %u\n"
			      "core id\t\t: %u\ncpu cores\t: %u\napicid\t\t: %u\nfpu\t\t: yes\n"
			      "cpuid level\t: 13\nwp\t\t: yes\nflags\t\t: fpu tsc cx8 cmov pae sse "
			      "sse2 syscall nx lm\nbogomips\t: 4000.00\nclflush size\t: 64\n"
			      "cache_alignment\t: 64\naddress sizes\t: 46 bits physical, 48 bits "
			      "virtual\n\n",
			      i, vendor, family, cpu_model, model, eax & 0xf, cpus, i, cpus, i);
}

static void meminfo_text(struct linux_proc *proc, struct procfs_buf *b)
{
	const struct linux_pages *pg = &proc->pages;
	uint64_t total = pg->count * 4, used = pg->used * 4;
	uint64_t free_kb = total > used ? total - used : 0;
	procfs_printf(b,
		      "MemTotal:       %8llu kB\nMemFree:        %8llu kB\n"
		      "MemAvailable:   %8llu kB\nBuffers:               0 kB\n"
		      "Cached:                0 kB\nSwapCached:            0 kB\n",
		      (unsigned long long)total, (unsigned long long)free_kb,
		      (unsigned long long)free_kb);
	static const char *const zero[] = {
	    "Active",	   "Inactive",	   "Unevictable", "Mlocked",	  "SwapTotal",
	    "SwapFree",	   "Dirty",	   "Writeback",	  "AnonPages",	  "Mapped",
	    "Shmem",	   "KReclaimable", "Slab",	  "SReclaimable", "SUnreclaim",
	    "KernelStack", "PageTables",   "CommitLimit", "Committed_AS"};
	for (size_t i = 0; i < ARRAY_SIZE(zero); i++)
		procfs_printf(b, "%s:%*s0 kB\n", zero[i], (int)(23 - strlen(zero[i])), "");
}

static void stat_text(struct linux_proc *proc, struct procfs_buf *b)
{
	/* no time is counted per CPU: all of it shows as idle */
	uint64_t idle = uptime_ns(&proc->fs) / 10000000ULL;
	unsigned cpus = proc->vm->vcpu_count, running = 0;
	struct linux_task_info info;
	procfs_printf(b, "cpu  0 0 0 %llu 0 0 0 0 0 0\n", (unsigned long long)idle * cpus);
	for (unsigned i = 0; i < cpus; i++)
		procfs_printf(b, "cpu%u 0 0 0 %llu 0 0 0 0 0 0\n", i, (unsigned long long)idle);
	for (unsigned i = 0; linux_task_iter(proc, i, &info); i++)
		running += info.state == 'R';
	struct timespec rt;
	clock_gettime(CLOCK_REALTIME, &rt);
	procfs_printf(b,
		      "intr 0\nctxt 0\nbtime %lld\nprocesses %d\nprocs_running %u\n"
		      "procs_blocked 0\nsoftirq 0 0 0 0 0 0 0 0 0 0 0\n",
		      (long long)(rt.tv_sec - (time_t)(uptime_ns(&proc->fs) / 1000000000ULL)),
		      proc->next_pid - 1, running);
}

static int vm_text(struct linux_proc *proc, uint8_t kind, struct procfs_buf *b)
{
	uint64_t up = uptime_ns(&proc->fs);
	unsigned running = 0, i;
	struct linux_task_info info;
	switch (kind) {
	case PROC_MEMINFO: meminfo_text(proc, b); break;
	case PROC_CPUINFO: cpuinfo_text(proc, b); break;
	case PROC_STAT: stat_text(proc, b); break;
	case PROC_UPTIME:
		procfs_printf(b, "%llu.%02llu %llu.%02llu\n", (unsigned long long)(up / 1000000000),
			      (unsigned long long)(up / 10000000 % 100),
			      (unsigned long long)(up / 1000000000),
			      (unsigned long long)(up / 10000000 % 100));
		break;
	case PROC_LOADAVG:
		for (i = 0; linux_task_iter(proc, i, &info); i++)
			running += info.state == 'R';
		procfs_printf(b, "0.00 0.00 0.00 %u/%u %d\n", running, i, proc->next_pid - 1);
		break;
	case PROC_VERSION:
		/* as uname(2) tells it (linux_ident.c) */
		procfs_printf(b, "Linux version 6.1.0-lockvm (lockvm) #1 SMP lockvm\n");
		break;
	case PROC_FILESYSTEMS:
		procfs_printf(b, "nodev\tsysfs\nnodev\ttmpfs\nnodev\tproc\nnodev\tdevtmpfs\n"
				 "nodev\toverlay\n");
		break;
	case PROC_HOSTNAME: procfs_printf(b, "%s\n", proc->cfg.hostname); break;
	case PROC_OSTYPE: procfs_printf(b, "Linux\n"); break;
	case PROC_OSRELEASE: procfs_printf(b, "6.1.0-lockvm\n"); break;
	case PROC_PID_MAX: procfs_printf(b, "4194304\n"); break;
	case PROC_NGROUPS_MAX: procfs_printf(b, "65536\n"); break;
	case PROC_OVERCOMMIT: procfs_printf(b, "0\n"); break;
	case PROC_FILE_MAX: procfs_printf(b, "%u\n", LINUX_MAX_FDS * proc->max_tasks); break;
	default: return -EINVAL;
	}
	return 0;
}

int linux_procfs_fill(struct linux_proc *proc, struct linux_node *n)
{
	if (!S_ISREG(n->mode))
		return 0;
	struct procfs_buf b = {0};
	int rc;
	if (n->gen) {
		struct linux_task *t = procfs_task(proc, n);
		rc = !t ? -ESRCH : procfs_pid_text(proc, t, n, &b);
	} else {
		rc = vm_text(proc, n->proc_kind, &b);
	}
	if (rc == 0 && b.failed)
		rc = -ENOMEM;
	if (rc < 0) {
		free(b.data);
		return rc;
	}
	free(n->tmp_data);
	n->tmp_data = (uint8_t *)b.data;
	n->tmp_cap = b.cap;
	n->size = b.len;
	return 0;
}
