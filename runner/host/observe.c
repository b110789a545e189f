/* vm_observe(): a running VM as the kernel shows it from outside, read once for `lockvm inspect` and `lockvm audit vm`. */
#include "observe.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "procfs.h"
#include "util.h"

const char *const observe_status_keys[OBSERVE_NR_STATUS] = {
    "Uid",    "Gid",	    "CapInh",  "CapPrm",	  "CapEff", "CapBnd",
    "CapAmb", "NoNewPrivs", "Seccomp", "Seccomp_filters", "Groups"};

const char *const observe_ns_names[OBSERVE_NR_NS] = {"mnt", "pid",    "net", "ipc",
						     "uts", "cgroup", "user"};

const char *const observe_cgfile_names[OBSERVE_NR_CGFILES] = {
    "memory.limit_in_bytes", "memory.usage_in_bytes", "memory.max", "memory.current", "pids.max",
    "pids.current",	     "cpu.cfs_quota_us",      "cpu.max",    "cpu.shares",     "cpu.weight"};

/* The controller each of those files belongs to (v1: its own directory). */
static const int cgfile_ctl[OBSERVE_NR_CGFILES] = {
    CGROUP_MEMORY, CGROUP_MEMORY, CGROUP_MEMORY, CGROUP_MEMORY, CGROUP_PIDS,
    CGROUP_PIDS,   CGROUP_CPU,	  CGROUP_CPU,	 CGROUP_CPU,	CGROUP_CPU};

static void observe_threads(struct vm_observation *obs)
{
	char path[PATH_MAX], tdir[PATH_MAX + 300];
	size_t cap = 0;
	snprintf(path, sizeof(path), "/proc/%ld/task", obs->pid);
	DIR *d = opendir(path);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (obs->nthreads == cap) {
			cap = cap ? cap * 2 : 16;
			obs->threads = realloc(obs->threads, cap * sizeof(*obs->threads));
			if (!obs->threads)
				die("out of memory");
		}
		struct observed_thread *t = &obs->threads[obs->nthreads++];
		snprintf(t->tid, sizeof(t->tid), "%s", e->d_name);
		snprintf(tdir, sizeof(tdir), "%s/%s", path, e->d_name);
		char cpath[PATH_MAX + 320];
		snprintf(cpath, sizeof(cpath), "%s/comm", tdir);
		procfs_line(cpath, t->name, sizeof(t->name));
		procfs_status(tdir, "Seccomp", t->seccomp, sizeof(t->seccomp));
		procfs_status(tdir, "Seccomp_filters", t->seccomp_filters,
			      sizeof(t->seccomp_filters));
	}
	if (d)
		closedir(d);
}

static void read_link(const char *path, char *out, size_t size)
{
	ssize_t n = readlink(path, out, size - 1);
	out[n > 0 ? n : 0] = '\0';
}

static void observe_namespaces(struct vm_observation *obs)
{
	char path[PATH_MAX];
	for (size_t i = 0; i < OBSERVE_NR_NS; i++) {
		snprintf(path, sizeof(path), "/proc/%ld/ns/%s", obs->pid, observe_ns_names[i]);
		read_link(path, obs->ns[i], sizeof(obs->ns[i]));
		snprintf(path, sizeof(path), "/proc/self/ns/%s", observe_ns_names[i]);
		read_link(path, obs->self_ns[i], sizeof(obs->self_ns[i]));
		snprintf(path, sizeof(path), "/proc/1/ns/%s", observe_ns_names[i]);
		read_link(path, obs->init_ns[i], sizeof(obs->init_ns[i]));
	}
	snprintf(path, sizeof(path), "/proc/%ld/root", obs->pid);
	DIR *d = opendir(path);
	struct dirent *e;
	while (d && (e = readdir(d)))
		obs->root_entries += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	obs->root_readable = d != NULL;
	if (d)
		closedir(d);
}

/* Its memory cgroup as /proc/PID/cgroup names it (v2: the "0::" line). */
static void observe_cgroup(const struct reg_vm *vm, struct vm_observation *obs)
{
	char path[PATH_MAX + 64], line[512];
	snprintf(path, sizeof(path), "/proc/%ld/cgroup", obs->pid);
	FILE *f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		char *ctl = strchr(line, ':'), *rel = ctl ? strchr(ctl + 1, ':') : NULL;
		if (!rel)
			continue;
		*rel++ = '\0';
		rel[strcspn(rel, "\n")] = '\0';
		bool mem =
		    vm->cgroup.v2 ? strcmp(ctl + 1, "") == 0 : strstr(ctl + 1, "memory") != NULL;
		if (mem)
			snprintf(obs->cgroup_member, sizeof(obs->cgroup_member), "%s", rel);
	}
	if (f)
		fclose(f);
	for (size_t i = 0; i < OBSERVE_NR_CGFILES; i++) {
		const char *dir = vm->cgroup.dir[vm->cgroup.v2 ? 0 : cgfile_ctl[i]];
		if (!dir[0])
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, observe_cgfile_names[i]);
		if (access(path, R_OK) < 0)
			continue;
		procfs_line(path, obs->cgfile[i], sizeof(obs->cgfile[i]));
		obs->cgfile_present[i] = true;
	}
}

/* The VMM's live NIC counters, from the memfd its supervisor keeps (read
 * through /proc/PID/fd of the supervisor). */
static void observe_nic(const struct reg_vm *vm, struct vm_observation *obs)
{
	const struct reg_net *rn = &vm->net;
	if (!rn->kind[0])
		return;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%ld/fd/%d", vm->pid, rn->stats_fd);
	int fd = rn->stats_fd >= 0 ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	obs->have_nic_stats =
	    fd >= 0 && pread(fd, &obs->nic, sizeof(obs->nic), 0) == (ssize_t)sizeof(obs->nic) &&
	    obs->nic.magic == NIC_STATS_MAGIC;
	if (fd >= 0)
		close(fd);
}

static void observe_disks(const struct reg_vm *vm, struct vm_observation *obs)
{
	for (unsigned i = 0; i < vm->ndisks; i++) {
		struct observed_disk *od = &obs->disks[i];
		int fd = open(vm->disks[i].path,
			      O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
		struct stat st;
		if (fd >= 0 && fstat(fd, &st) == 0) {
			od->present = true;
			od->uid = st.st_uid;
			od->gid = st.st_gid;
			od->mode = st.st_mode & 07777;
			od->label_rc = label_file_get(fd, od->label, sizeof(od->label));
		}
		if (fd >= 0)
			close(fd);
	}
}

void vm_observe(const struct reg_vm *vm, struct vm_observation *obs)
{
	char proc[64];
	memset(obs, 0, sizeof(*obs));
	obs->pid = vm->vmm_pid;
	snprintf(proc, sizeof(proc), "/proc/%ld", obs->pid);
	procfs_mac_label(obs->pid, obs->live_label, sizeof(obs->live_label));
	for (size_t i = 0; i < OBSERVE_NR_STATUS; i++)
		procfs_status(proc, observe_status_keys[i], obs->status[i], sizeof(obs->status[i]));
	observe_threads(obs);
	observe_namespaces(obs);
	obs->have_memory = memstat_read((pid_t)obs->pid, &obs->memory) == 0;
	observe_cgroup(vm, obs);
	observe_disks(vm, obs);
	observe_nic(vm, obs);
	/* Last: a pid reused by another process while we read shows here. */
	char path[96];
	snprintf(path, sizeof(path), "%s/comm", proc);
	procfs_line(path, obs->comm, sizeof(obs->comm));
}

void vm_observation_free(struct vm_observation *obs)
{
	free(obs->threads);
	obs->threads = NULL;
	obs->nthreads = 0;
}

const char *observe_cgfile(const struct vm_observation *obs, const char *name)
{
	for (size_t i = 0; i < OBSERVE_NR_CGFILES; i++)
		if (strcmp(observe_cgfile_names[i], name) == 0)
			return obs->cgfile[i];
	return "";
}
