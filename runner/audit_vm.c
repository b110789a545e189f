/* `lockvm audit vm NAME`: a running VM's real state against what its policy says it should be. */
#include "audit_vm.h"

#include <dirent.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "label.h"
#include "paths.h"
#include "procfs.h"
#include "registry.h"
#include "sandbox.h"
#include "util.h"

struct audit {
	json_object *results;
	bool json;
	int drift;
	const char *vm;
};

static void report(struct audit *a, bool ok, const char *check, const char *expected,
		   const char *actual)
{
	if (!ok)
		a->drift++;
	if (a->json) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "check", json_object_new_string(check));
		json_object_object_add(o, "ok", json_object_new_boolean(ok));
		json_object_object_add(o, "expected", json_object_new_string(expected));
		json_object_object_add(o, "actual", json_object_new_string(actual));
		json_object_array_add(a->results, o);
		return;
	}
	if (ok)
		printf("PASS: audit vm %s: %s: %s\n", a->vm, check, actual);
	else
		printf("DRIFT: audit vm %s: %s: expected %s, found %s\n", a->vm, check, expected,
		       actual);
}

static void check_label(struct audit *a, const struct reg_vm *vm)
{
	char live[LABEL_MAX];
	procfs_mac_label(vm->vmm_pid, live, sizeof(live));
	const char *want = registry_enforced_label(vm);
	if (!want) {
		want = strcmp(vm->mac, "apparmor") == 0 ? vm->profile : vm->label.process;
		char actual[LABEL_MAX + 64];
		snprintf(actual, sizeof(actual), "%s (recorded; %s)",
			 vm->label.kind == LABEL_NONE ? "none" : want,
			 vm->label.kind == LABEL_NONE ? "--label none" : "MAC not enforced here");
		report(a, true, "label", want, actual);
		return;
	}
	report(a, strcmp(live, want) == 0, "label", want, live[0] ? live : "(unreadable)");
	/* The label must also not have changed since the registry wrote it. */
	char now[16];
	snprintf(now, sizeof(now), "%s", label_mac_mode());
	report(a, strcmp(now, vm->mac_mode) == 0, "MAC mode", vm->mac_mode, now);
}

static void check_process(struct audit *a, const struct reg_vm *vm, const char *proc)
{
	char v[256], want[64];
	bool caps = vm->layers & SANDBOX_CAPS;
	static const char *const sets[] = {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"};
	for (size_t i = 0; i < ARRAY_SIZE(sets); i++) {
		procfs_status(proc, sets[i], v, sizeof(v));
		if (caps)
			report(a, strcmp(v, "0000000000000000") == 0, sets[i], "0000000000000000",
			       v);
	}
	procfs_status(proc, "NoNewPrivs", v, sizeof(v));
	if (vm->layers & SANDBOX_NO_NEW_PRIVS)
		report(a, strcmp(v, "1") == 0, "NoNewPrivs", "1", v);
	procfs_status(proc, "Uid", v, sizeof(v));
	if (vm->uid) {
		snprintf(want, sizeof(want), "%u\t%u\t%u\t%u", vm->uid, vm->uid, vm->uid, vm->uid);
		report(a, strcmp(v, want) == 0, "uid (real, effective, saved, fs)", want, v);
		procfs_status(proc, "Gid", v, sizeof(v));
		snprintf(want, sizeof(want), "%u\t%u\t%u\t%u", vm->gid, vm->gid, vm->gid, vm->gid);
		report(a, strcmp(v, want) == 0, "gid", want, v);
		procfs_status(proc, "Groups", v, sizeof(v));
		report(a, v[0] == '\0', "supplementary groups", "none", v[0] ? v : "none");
	}
	/* seccomp on every thread lockvm made (kernel helper threads aside) */
	if (vm->layers & SANDBOX_SECCOMP) {
		char dir[PATH_MAX], tdir[PATH_MAX + 300], comm[64];
		snprintf(dir, sizeof(dir), "%s/task", proc);
		DIR *d = opendir(dir);
		struct dirent *e;
		unsigned vcpus = 0;
		while (d && (e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(tdir, sizeof(tdir), "%s/%s", dir, e->d_name);
			char cpath[PATH_MAX + 320];
			snprintf(cpath, sizeof(cpath), "%s/comm", tdir);
			procfs_line(cpath, comm, sizeof(comm));
			bool ours =
			    strncmp(comm, "vcpu", 4) == 0 || strcmp(comm, "lockvm-vmm") == 0;
			if (!ours)
				continue;
			vcpus += strncmp(comm, "vcpu", 4) == 0;
			char check[96];
			procfs_status(tdir, "Seccomp", v, sizeof(v));
			snprintf(check, sizeof(check), "seccomp of thread %s", comm);
			report(a, strcmp(v, "2") == 0, check, "2 (filter)", v);
		}
		if (d)
			closedir(d);
		snprintf(want, sizeof(want), "%u", vm->vcpus);
		snprintf(v, sizeof(v), "%u", vcpus);
		report(a, vcpus == vm->vcpus, "vCPU threads", want, v);
	}
}

static void check_namespaces(struct audit *a, const struct reg_vm *vm, const char *proc)
{
	if (!(vm->layers & SANDBOX_NAMESPACES))
		return;
	static const char *const nss[] = {"mnt", "pid", "net", "ipc", "uts", "cgroup"};
	for (size_t i = 0; i < ARRAY_SIZE(nss); i++) {
		char path[PATH_MAX], mine[128] = "", host[128] = "", check[32];
		snprintf(path, sizeof(path), "%s/ns/%s", proc, nss[i]);
		ssize_t n = readlink(path, mine, sizeof(mine) - 1);
		mine[n > 0 ? n : 0] = '\0';
		snprintf(path, sizeof(path), "/proc/1/ns/%s", nss[i]);
		n = readlink(path, host, sizeof(host) - 1);
		host[n > 0 ? n : 0] = '\0';
		snprintf(check, sizeof(check), "%s namespace", nss[i]);
		report(a, mine[0] && strcmp(mine, host) != 0, check, "its own",
		       mine[0] ? mine : "?");
	}
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/root", proc);
	DIR *d = opendir(path);
	int entries = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		entries += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	if (d)
		closedir(d);
	char found[32];
	snprintf(found, sizeof(found), d ? "%d entries" : "unreadable", entries);
	if (vm->layers & SANDBOX_PIVOT_ROOT)
		report(a, d && entries == 0, "root directory", "empty",
		       d && entries == 0 ? "empty" : found);
}

static void check_cgroup(struct audit *a, const struct reg_vm *vm, const char *proc)
{
	if (!(vm->layers & SANDBOX_CGROUP) || !vm->cgroup.dir[CGROUP_MEMORY][0])
		return;
	char path[PATH_MAX + 64], line[512], want[PATH_MAX];
	/* The VMM must be in the cgroup the registry names. */
	const char *dir = vm->cgroup.dir[vm->cgroup.v2 ? 0 : CGROUP_MEMORY];
	snprintf(path, sizeof(path), "%s/cgroup", proc);
	FILE *f = fopen(path, "re");
	char found[PATH_MAX] = "";
	while (f && fgets(line, sizeof(line), f)) {
		char *ctl = strchr(line, ':'), *rel = ctl ? strchr(ctl + 1, ':') : NULL;
		if (!rel)
			continue;
		*rel++ = '\0';
		rel[strcspn(rel, "\n")] = '\0';
		bool mem =
		    vm->cgroup.v2 ? strcmp(ctl + 1, "") == 0 : strstr(ctl + 1, "memory") != NULL;
		if (mem)
			snprintf(found, sizeof(found), "%s", rel);
	}
	if (f)
		fclose(f);
	const char *tail = strstr(dir, "/lockvm/");
	snprintf(want, sizeof(want), "%s", tail ? tail : dir);
	report(a, tail && strcmp(found, want) == 0, "cgroup", want, found[0] ? found : "?");
	snprintf(path, sizeof(path), "%s/%s", dir,
		 vm->cgroup.v2 ? "memory.max" : "memory.limit_in_bytes");
	procfs_line(path, line, sizeof(line));
	snprintf(want, sizeof(want), "at most %llu",
		 (unsigned long long)(vm->mem * 2 + (256ULL << 20)));
	unsigned long long limit = strtoull(line, NULL, 10);
	report(a, line[0] && limit >= vm->mem && limit <= vm->mem * 2 + (256ULL << 20),
	       "memory limit", want, line[0] ? line : "?");
	const char *pdir = vm->cgroup.dir[vm->cgroup.v2 ? 0 : CGROUP_PIDS];
	snprintf(path, sizeof(path), "%s/pids.max", pdir);
	procfs_line(path, line, sizeof(line));
	snprintf(want, sizeof(want), "%u", vm->vcpus + 16);
	report(a, strcmp(line, want) == 0, "pids limit", want, line[0] ? line : "?");
}

static void check_disks(struct audit *a, const struct reg_vm *vm)
{
	for (unsigned i = 0; i < vm->ndisks; i++) {
		const struct reg_disk *d = &vm->disks[i];
		int fd = open(d->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
		struct stat st;
		char check[REGISTRY_PATH_MAX + 32], want[64], found[64];
		if (fd < 0 || fstat(fd, &st) < 0) {
			snprintf(check, sizeof(check), "disk %s", d->path);
			report(a, false, check, "present", "missing");
			if (fd >= 0)
				close(fd);
			continue;
		}
		if (strcmp(d->mode, "rw") == 0 && vm->uid) {
			snprintf(check, sizeof(check), "owner of disk %s", d->path);
			snprintf(want, sizeof(want), "%u:%u 0600", vm->uid, vm->gid);
			snprintf(found, sizeof(found), "%u:%u %04o", st.st_uid, st.st_gid,
				 st.st_mode & 07777);
			report(a, strcmp(want, found) == 0, check, want, found);
		}
		char label[LABEL_MAX] = "";
		if (strcmp(vm->mac, "selinux") == 0 && vm->label.kind != LABEL_NONE &&
		    label_file_get(fd, label, sizeof(label)) == 0) {
			snprintf(check, sizeof(check), "label of disk %s", d->path);
			report(a, strcmp(label, d->label) == 0, check, d->label, label);
		}
		close(fd);
	}
}

int audit_vm_main(int argc, char **argv)
{
	struct audit a = {0};
	const char *name = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			a.json = true;
		else if (!name)
			name = argv[i];
		else
			die("usage: lockvm audit vm NAME [--json]");
	}
	if (!name)
		die("usage: lockvm audit vm NAME [--json]");
	struct reg_vm vm;
	char proc[64];
	registry_load_live(name, &vm);
	if (vm.vmm_pid <= 0)
		die("VM '%s' has no VMM yet (state %s)", name, vm.state);
	a.vm = name;
	a.results = json_object_new_array();
	snprintf(proc, sizeof(proc), "/proc/%ld", vm.vmm_pid);
	check_label(&a, &vm);
	check_process(&a, &vm, proc);
	check_namespaces(&a, &vm, proc);
	check_cgroup(&a, &vm, proc);
	check_disks(&a, &vm);
	/* The VMM must still be the registry's: a pid reused by another
	 * process would make every line above meaningless. */
	char comm[64], path[96];
	snprintf(path, sizeof(path), "%s/comm", proc);
	procfs_line(path, comm, sizeof(comm));
	report(&a, strcmp(comm, "lockvm-vmm") == 0, "VMM process", "lockvm-vmm",
	       comm[0] ? comm : "gone");
	if (a.json) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "vm", json_object_new_string(name));
		json_object_object_add(o, "drift", json_object_new_int(a.drift));
		json_object_object_add(o, "results", a.results);
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
		json_object_put(o);
	} else {
		json_object_put(a.results);
		printf("%s: %d drift%s\n", name, a.drift, a.drift == 1 ? "" : "s");
	}
	return a.drift ? 1 : 0;
}
