/* Per-VM cgroups: create lockvm/<name> with limits, attach, read usage, tear down. */
#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

static const char *const cgroup_v1_dirs[CGROUP_NR_CONTROLLERS] = {"memory", "pids", "cpu"};
static const char *const cgroup_v2_names[CGROUP_NR_CONTROLLERS] = {"memory", "pids", "cpu"};

bool cgroup_name_valid(const char *name)
{
	size_t len = strlen(name);
	if (len == 0 || len > CGROUP_NAME_MAX || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	for (const char *p = name; *p; p++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

/* snprintf that reports truncation instead of silently building a wrong path. */
static PRINTF_LIKE(3, 4) int cgroup_path(char *out, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(out, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static int cgroup_write_file(const char *dir, const char *file, const char *value)
{
	char path[PATH_MAX];
	if (cgroup_path(path, sizeof(path), "%s/%s", dir, file) < 0)
		return -1;
	/* No O_CREAT: a control file that is missing means the controller is
	 * not there, which must be an error, not a new regular file. */
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	int rc = write_all(fd, value, strlen(value));
	int saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

static int cgroup_write_u64(const char *dir, const char *file, uint64_t value)
{
	char text[32];
	snprintf(text, sizeof(text), "%llu", (unsigned long long)value);
	return cgroup_write_file(dir, file, text);
}

static int cgroup_read_u64(const char *dir, const char *file, uint64_t *value)
{
	char path[PATH_MAX], text[64];
	if (cgroup_path(path, sizeof(path), "%s/%s", dir, file) < 0)
		return -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, text, sizeof(text) - 1);
	int saved = errno;
	close(fd);
	if (n <= 0) {
		errno = n < 0 ? saved : EIO;
		return -1;
	}
	text[n] = '\0';
	text[strcspn(text, "\n")] = '\0';
	if (strcmp(text, "max") == 0) {
		*value = UINT64_MAX;
		return 0;
	}
	return parse_uint(text, 0, UINT64_MAX, value) == 0 ? 0 : (errno = EINVAL, -1);
}

/* Whether <dir>/cgroup.controllers lists every controller in want. */
static bool cgroup_v2_has(const char *dir, const bool want[CGROUP_NR_CONTROLLERS])
{
	char path[PATH_MAX], text[512];
	if (cgroup_path(path, sizeof(path), "%s/cgroup.controllers", dir) < 0)
		return false;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n < 0)
		return false;
	text[n] = '\0';
	for (int c = 0; c < CGROUP_NR_CONTROLLERS; c++) {
		if (!want[c])
			continue;
		bool found = false;
		char copy[512], *save = NULL;
		memcpy(copy, text, (size_t)n + 1);
		for (char *tok = strtok_r(copy, " \n", &save); tok;
		     tok = strtok_r(NULL, " \n", &save))
			if (strcmp(tok, cgroup_v2_names[c]) == 0)
				found = true;
		if (!found)
			return false;
	}
	return true;
}

static int cgroup_mkdir(const char *path, bool may_exist)
{
	if (mkdir(path, 0755) == 0)
		return 0;
	if (errno == EEXIST && may_exist) {
		struct stat st;
		/* The parent must be a real directory, not a planted symlink. */
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			return 0;
		errno = ENOTDIR;
	}
	return -1;
}

static int cgroup_write_limits(const struct cgroup *cg, const struct cgroup_limits *lim)
{
	const char *mem = cg->v2 ? cg->dir[0] : cg->dir[CGROUP_MEMORY];
	const char *pids = cg->v2 ? cg->dir[0] : cg->dir[CGROUP_PIDS];
	const char *cpu = cg->v2 ? cg->dir[0] : cg->dir[CGROUP_CPU];
	if (lim->memory_bytes) {
		const char *file = cg->v2 ? "memory.max" : "memory.limit_in_bytes";
		if (cgroup_write_u64(mem, file, lim->memory_bytes) < 0) {
			warn_errno("write %s/%s = %llu", mem, file,
				   (unsigned long long)lim->memory_bytes);
			return -1;
		}
		/* v2: no swap either, so the limit is what the VM really gets.
		 * v1 memsw exists only with swap accounting; not required. */
		if (cg->v2)
			(void)cgroup_write_u64(mem, "memory.swap.max", 0);
	}
	if (lim->pids_max && cgroup_write_u64(pids, "pids.max", lim->pids_max) < 0) {
		warn_errno("write %s/pids.max = %llu", pids, (unsigned long long)lim->pids_max);
		return -1;
	}
	if (lim->cpu_quota_us) {
		uint64_t period = lim->cpu_period_us ? lim->cpu_period_us : CGROUP_CPU_PERIOD_US;
		if (cg->v2) {
			char text[64];
			snprintf(text, sizeof(text), "%llu %llu",
				 (unsigned long long)lim->cpu_quota_us, (unsigned long long)period);
			if (cgroup_write_file(cpu, "cpu.max", text) < 0) {
				warn_errno("write %s/cpu.max = %s", cpu, text);
				return -1;
			}
		} else if (cgroup_write_u64(cpu, "cpu.cfs_period_us", period) < 0 ||
			   cgroup_write_u64(cpu, "cpu.cfs_quota_us", lim->cpu_quota_us) < 0) {
			warn_errno("write %s/cpu.cfs_{period,quota}_us = %llu/%llu", cpu,
				   (unsigned long long)period,
				   (unsigned long long)lim->cpu_quota_us);
			return -1;
		}
	}
	if (lim->cpu_shares) {
		const char *file = cg->v2 ? "cpu.weight" : "cpu.shares";
		uint64_t value =
		    cg->v2 ? cgroup_shares_to_weight(lim->cpu_shares) : lim->cpu_shares;
		if (cgroup_write_u64(cpu, file, value) < 0) {
			warn_errno("write %s/%s = %llu", cpu, file, (unsigned long long)value);
			return -1;
		}
	}
	return 0;
}

int cgroup_shares_parse(const char *text, uint64_t *shares, char *why, size_t len)
{
	if (parse_uint(text, CGROUP_CPU_SHARES_MIN, CGROUP_CPU_SHARES_MAX, shares) < 0)
		return err_fmt(why, len, "want a number from %d to %d (1024 is the default weight)",
			       CGROUP_CPU_SHARES_MIN, CGROUP_CPU_SHARES_MAX);
	return 0;
}

uint64_t cgroup_shares_to_weight(uint64_t shares)
{
	if (shares < CGROUP_CPU_SHARES_MIN)
		shares = CGROUP_CPU_SHARES_MIN;
	if (shares > CGROUP_CPU_SHARES_MAX)
		shares = CGROUP_CPU_SHARES_MAX;
	return 1 + ((shares - 2) * 9999) / 262142;
}

/* A v1 controller's directory: <fs_root>/<controller>, or with fs_root NULL
 * its mount point wherever mountinfo says it is; a controller mounted
 * nowhere is one line on stderr. */
static int cgroup_v1_mount(const char *fs_root, const char *controller, char *out, size_t len)
{
	if (fs_root)
		return cgroup_path(out, len, "%s/%s", fs_root, controller);
	if (cgroup_v1_mount_point("/proc/self/mountinfo", controller, out, len) == 0)
		return 0;
	warn_msg("no cgroup v1 '%s' hierarchy is mounted here (/proc/self/mountinfo): `ip netns "
		 "exec` remounts /sys without cgroups; run `nsenter --net=/run/netns/NS lockvm "
		 "...` instead, or mount the cgroup controllers",
		 controller);
	return -1;
}

int cgroup_create(struct cgroup *cg, const char *fs_root, const char *parent, const char *name,
		  const struct cgroup_limits *limits)
{
	bool want[CGROUP_NR_CONTROLLERS] = {true, true,
					    limits->cpu_quota_us != 0 || limits->cpu_shares != 0};
	char v2root[PATH_MAX], dir[PATH_MAX];
	bool default_root = fs_root == NULL;
	memset(cg, 0, sizeof(*cg));
	if (default_root)
		fs_root = CGROUP_DEFAULT_FS_ROOT;
	if (parent == NULL)
		parent = CGROUP_DEFAULT_PARENT;
	if (!cgroup_name_valid(name) || !cgroup_name_valid(parent)) {
		warn_msg("cgroup name '%s/%s': use 1-%d of [A-Za-z0-9_.-]", parent, name,
			 CGROUP_NAME_MAX);
		errno = EINVAL;
		return -1;
	}

	/* v2 where it carries every controller we need (a pure v2 host has
	 * it at fs_root, a hybrid one at fs_root/unified); otherwise v1. */
	cg->v2 = false;
	if (cgroup_v2_has(fs_root, want)) {
		cg->v2 = cgroup_path(v2root, sizeof(v2root), "%s", fs_root) == 0;
	} else if (cgroup_path(v2root, sizeof(v2root), "%s/unified", fs_root) == 0 &&
		   cgroup_v2_has(v2root, want)) {
		cg->v2 = true;
	}

	if (cg->v2) {
		const char *subtree = want[CGROUP_CPU] ? "+memory +pids +cpu" : "+memory +pids";
		if (cgroup_path(dir, sizeof(dir), "%s/%s", v2root, parent) < 0 ||
		    cgroup_mkdir(dir, true) < 0) {
			warn_errno("mkdir %s/%s", v2root, parent);
			return -1;
		}
		/* Controllers reach a child only when enabled in every ancestor. */
		if (cgroup_write_file(v2root, "cgroup.subtree_control", subtree) < 0 ||
		    cgroup_write_file(dir, "cgroup.subtree_control", subtree) < 0) {
			warn_errno("enable '%s' in %s/cgroup.subtree_control", subtree, dir);
			return -1;
		}
		if (cgroup_path(cg->dir[0], sizeof(cg->dir[0]), "%s/%s", dir, name) < 0 ||
		    cgroup_mkdir(cg->dir[0], false) < 0) {
			warn_errno("mkdir %s/%s", dir, name);
			cg->dir[0][0] = '\0';
			return -1;
		}
	} else {
		for (int c = 0; c < CGROUP_NR_CONTROLLERS; c++) {
			char mount[PATH_MAX];
			if (!want[c])
				continue;
			if (cgroup_v1_mount(default_root ? NULL : fs_root, cgroup_v1_dirs[c], mount,
					    sizeof(mount)) < 0) {
				cgroup_destroy(cg);
				return -1;
			}
			if (cgroup_path(dir, sizeof(dir), "%s/%s", mount, parent) < 0 ||
			    cgroup_mkdir(dir, true) < 0 ||
			    cgroup_path(cg->dir[c], sizeof(cg->dir[c]), "%s/%s", dir, name) < 0 ||
			    cgroup_mkdir(cg->dir[c], false) < 0) {
				warn_errno("mkdir %s/%s/%s", mount, parent, name);
				cg->dir[c][0] = '\0';
				cgroup_destroy(cg);
				return -1;
			}
		}
	}
	if (cgroup_write_limits(cg, limits) < 0) {
		int saved = errno;
		cgroup_destroy(cg);
		errno = saved;
		return -1;
	}
	return 0;
}

int cgroup_attach(const struct cgroup *cg, pid_t pid)
{
	for (int c = 0; c < CGROUP_NR_CONTROLLERS; c++) {
		if (cg->dir[c][0] == '\0')
			continue;
		if (cgroup_write_u64(cg->dir[c], "cgroup.procs", (uint64_t)pid) < 0)
			return -1;
	}
	return 0;
}

int cgroup_attach_self(const struct cgroup *cg)
{
	/* v1: "tasks" moves the calling thread alone, and for it the kernel
	 * skips the global threadgroup lock (cgroup_threadgroup_rwsem) that
	 * "cgroup.procs" takes for writing, which first waits for an RCU grace
	 * period: 5-16 ms a start on a busy host, against 0.07 ms. The caller
	 * has one thread, so that thread is the whole process. v2 has no
	 * "tasks" (cgroup.threads needs a threaded subtree): cgroup.procs. */
	const char *file = cg->v2 ? "cgroup.procs" : "tasks";
	for (int c = 0; c < CGROUP_NR_CONTROLLERS; c++) {
		if (cg->dir[c][0] == '\0')
			continue;
		if (cgroup_write_file(cg->dir[c], file, "0") < 0)
			return -1;
	}
	return 0;
}

int cgroup_usage(const struct cgroup *cg, uint64_t *memory_bytes, uint64_t *pids)
{
	const char *mem = cg->v2 ? cg->dir[0] : cg->dir[CGROUP_MEMORY];
	const char *pid_dir = cg->v2 ? cg->dir[0] : cg->dir[CGROUP_PIDS];
	if (memory_bytes != NULL &&
	    cgroup_read_u64(mem, cg->v2 ? "memory.current" : "memory.usage_in_bytes",
			    memory_bytes) < 0)
		return -1;
	if (pids != NULL && cgroup_read_u64(pid_dir, "pids.current", pids) < 0)
		return -1;
	return 0;
}

uint64_t cgroup_vm_memory_limit(uint64_t guest_ram)
{
	return guest_ram + CGROUP_VMM_OVERHEAD + guest_ram / 256;
}

int cgroup_oom_kills(const struct cgroup *cg, uint64_t *kills)
{
	const char *dir = cg->v2 ? cg->dir[0] : cg->dir[CGROUP_MEMORY];
	char path[PATH_MAX], key[64];
	unsigned long long value;
	if (dir[0] == '\0') {
		errno = ENOENT;
		return -1;
	}
	if (cgroup_path(path, sizeof(path), "%s/%s", dir,
			cg->v2 ? "memory.events" : "memory.oom_control") < 0)
		return -1;
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return -1;
	*kills = 0;
	while (fscanf(f, "%63s %llu", key, &value) == 2)
		if (strcmp(key, "oom_kill") == 0)
			*kills = value;
	fclose(f);
	return 0;
}

/* SIGKILLs every pid in dir/cgroup.procs; returns how many were listed. */
static int cgroup_kill_procs(const char *dir)
{
	char path[PATH_MAX];
	if (cgroup_path(path, sizeof(path), "%s/cgroup.procs", dir) < 0)
		return -1;
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return errno == ENOENT ? 0 : -1;
	int count = 0;
	long pid;
	while (fscanf(f, "%ld", &pid) == 1) {
		if (pid > 0)
			kill((pid_t)pid, SIGKILL);
		count++;
	}
	fclose(f);
	return count;
}

int cgroup_destroy(struct cgroup *cg)
{
	int rc = 0;
	for (int c = 0; c < CGROUP_NR_CONTROLLERS; c++) {
		const char *dir = cg->dir[c];
		if (dir[0] == '\0')
			continue;
		/* rmdir fails with EBUSY while any task is inside, so empty it
		 * first: leftovers of a crashed VMM are killed. */
		bool removed = false;
		for (int attempt = 0; attempt < 100; attempt++) {
			if (rmdir(dir) == 0 || errno == ENOENT) {
				removed = true;
				break;
			}
			if (errno != EBUSY)
				break;
			cgroup_kill_procs(dir);
			struct timespec pause = {0, 10L * 1000 * 1000};
			nanosleep(&pause, NULL);
		}
		if (!removed) {
			warn_errno("rmdir %s", dir);
			rc = -1;
			continue;
		}
		cg->dir[c][0] = '\0';
	}
	return rc;
}

int cgroup_cpus_to_quota(const char *cpus, uint64_t period_us, uint64_t *quota_us)
{
	/* Fixed-point milli-CPUs: no floating point, no rounding surprises. */
	uint64_t whole = 0, milli = 0;
	const char *p = cpus;
	int digits = 0;
	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		whole = whole * 10 + (uint64_t)(*p - '0');
		if (whole > 1024)
			return -1;
	}
	if (*p == '.') {
		p++;
		for (; *p >= '0' && *p <= '9'; p++, digits++) {
			if (digits >= 3)
				return -1;
			milli = milli * 10 + (uint64_t)(*p - '0');
		}
		if (digits == 0)
			return -1;
		for (int i = digits; i < 3; i++)
			milli *= 10;
	}
	if (*p != '\0')
		return -1;
	uint64_t total_milli = whole * 1000 + milli;
	if (total_milli == 0 || total_milli > 1024UL * 1000 || period_us == 0)
		return -1;
	uint64_t quota = total_milli * period_us / 1000;
	/* The kernel's minimum quota is 1 ms. */
	if (quota < 1000)
		return -1;
	*quota_us = quota;
	return 0;
}
