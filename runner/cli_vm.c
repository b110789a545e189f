/* virsh-style commands on the registry: list, inspect, stop, kill, logs, gc. */
#include "cli_vm.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "landlock.h"
#include "memstat.h"
#include "nic.h"
#include "paths.h"
#include "procfs.h"
#include "registry.h"
#include "sandbox.h"
#include "termfilter.h"
#include "util.h"

/* Every command that reads the registry first recovers dead VMs. */
static void reap_dead(void)
{
	int lock = registry_lock();
	if (lock < 0)
		die("cannot lock the VM registry under %s", paths_root());
	int n = registry_reap();
	registry_unlock(lock);
	if (n > 0)
		fprintf(stderr, "lockvm: recovered %d VM%s whose supervisor was gone\n", n,
			n == 1 ? "" : "s");
}

static const char *uptime(int64_t started, char *buf, size_t size)
{
	int64_t s = (int64_t)time(NULL) - started;
	if (s < 0)
		s = 0;
	if (s < 3600)
		snprintf(buf, size, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
	else
		snprintf(buf, size, "%lldh%02lldm", (long long)(s / 3600),
			 (long long)(s % 3600 / 60));
	return buf;
}

/* Whether the kernel shows another label than the one enforced. */
static bool label_mismatch(const struct reg_vm *vm, const char *live)
{
	const char *want = registry_enforced_label(vm);
	return want && strcmp(want, live) != 0;
}

static json_object *vm_json(const struct reg_vm *vm, const char *state)
{
	char live[LABEL_MAX];
	procfs_mac_label(vm->vmm_pid, live, sizeof(live));
	json_object *o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(vm->name));
	json_object_object_add(o, "uuid", json_object_new_string(vm->uuid));
	json_object_object_add(o, "state", json_object_new_string(state));
	json_object_object_add(o, "pid", json_object_new_int64(vm->pid));
	json_object_object_add(o, "vmm_pid", json_object_new_int64(vm->vmm_pid));
	json_object_object_add(o, "started", json_object_new_int64(vm->started));
	json_object_object_add(
	    o, "uptime_s",
	    json_object_new_int64(vm->started ? (int64_t)time(NULL) - vm->started : 0));
	json_object_object_add(o, "vcpus", json_object_new_int64(vm->vcpus));
	json_object_object_add(o, "mem", json_object_new_int64((int64_t)vm->mem));
	json_object_object_add(o, "label", json_object_new_string(vm->label.process));
	json_object_object_add(o, "image_label", json_object_new_string(vm->label.image));
	json_object_object_add(o, "content_label", json_object_new_string(vm->label.content));
	json_object_object_add(o, "label_kind",
			       json_object_new_string(label_kind_name(vm->label.kind)));
	json_object_object_add(o, "group", json_object_new_string(vm->label.group));
	json_object_object_add(o, "mac", json_object_new_string(vm->mac));
	json_object_object_add(o, "mac_mode", json_object_new_string(vm->mac_mode));
	json_object_object_add(o, "profile", json_object_new_string(vm->profile));
	json_object_object_add(o, "live_label", json_object_new_string(live));
	json_object_object_add(o, "label_mismatch",
			       json_object_new_boolean(label_mismatch(vm, live)));
	return o;
}

int cmd_list(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"all", no_argument, NULL, 'a'}, {"json", no_argument, NULL, 'j'}, {0}};
	bool all = false, json = false, labels = false;
	int opt;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "aZ", longopts, NULL)) != -1) {
		switch (opt) {
		case 'a': all = true; break;
		case 'Z': labels = true; break;
		case 'j': json = true; break;
		default: die("usage: lockvm list [-a] [-Z] [--json]");
		}
	}
	if (optind != argc)
		die("usage: lockvm list [-a] [-Z] [--json]");
	reap_dead();
	char **names;
	size_t n;
	if (registry_names(&names, &n) < 0)
		die_errno("reading the registry under %s", paths_root());
	json_object *array = json ? json_object_new_array() : NULL;
	if (!json) {
		printf("%-20s %-9s %8s %8s %8s %5s %8s", "NAME", "STATE", "PID", "VMM-PID",
		       "UPTIME", "VCPUS", "MEMORY");
		if (labels)
			printf("  %-44s %s", "LABEL", "MAC");
		printf("\n");
	}
	for (size_t i = 0; i < n; i++) {
		struct reg_vm vm;
		char err[PATH_MAX + 256], up[32], live[LABEL_MAX];
		if (registry_live(names[i]) != 1)
			continue; /* a claim in progress or a VM ending */
		if (registry_load(names[i], &vm, err, sizeof(err)) < 0) {
			warn_msg("%s", err);
			continue;
		}
		if (json) {
			json_object_array_add(array, vm_json(&vm, vm.state));
			continue;
		}
		printf("%-20s %-9s %8ld %8ld %8s %5u %7lluM", vm.name, vm.state, vm.pid, vm.vmm_pid,
		       uptime(vm.started, up, sizeof(up)), vm.vcpus,
		       (unsigned long long)(vm.mem >> 20));
		if (labels) {
			procfs_mac_label(vm.vmm_pid, live, sizeof(live));
			const char *shown = vm.label.kind == LABEL_NONE	      ? "none"
					    : strcmp(vm.mac, "apparmor") == 0 ? vm.profile
									      : vm.label.process;
			printf("  %-44s %s %s%s", shown, vm.mac, vm.mac_mode,
			       label_mismatch(&vm, live) ? " MISMATCH(live: " : "");
			if (label_mismatch(&vm, live))
				printf("%s)", live[0] ? live : "?");
		}
		printf("\n");
	}
	if (all) {
		/* Definitions without a running VM: "shut off", like virsh list --all. */
		char **defs;
		size_t nd;
		if (paths_names(PATHS_DEFS_DIR, ".conf", &defs, &nd) < 0)
			die_errno("reading the definitions under %s", paths_root());
		for (size_t i = 0; i < nd; i++) {
			if (registry_live(defs[i]) == 1)
				continue;
			if (json) {
				json_object *o = json_object_new_object();
				json_object_object_add(o, "name", json_object_new_string(defs[i]));
				json_object_object_add(o, "state",
						       json_object_new_string("shut off"));
				json_object_object_add(o, "pid", json_object_new_int64(0));
				json_object_object_add(o, "vmm_pid", json_object_new_int64(0));
				json_object_object_add(o, "label", json_object_new_string(""));
				json_object_object_add(o, "image_label",
						       json_object_new_string(""));
				json_object_object_add(o, "mac", json_object_new_string(""));
				json_object_array_add(array, o);
			} else {
				printf("%-20s %-9s %8s %8s %8s %5s %8s\n", defs[i], "shut off", "-",
				       "-", "-", "-", "-");
			}
		}
		paths_names_free(defs, nd);
	}
	if (json) {
		printf("%s\n", json_object_to_json_string_ext(array, JSON_C_TO_STRING_PRETTY));
		json_object_put(array);
	}
	registry_names_free(names, n);
	return 0;
}

/* "Key:" of /proc/PID/status, or of one of its threads; "?" when absent. */
static void status_field(long pid, const char *task, const char *key, char *out, size_t size)
{
	char dir[96];
	if (task)
		snprintf(dir, sizeof(dir), "/proc/%ld/task/%s", pid, task);
	else
		snprintf(dir, sizeof(dir), "/proc/%ld", pid);
	procfs_status(dir, key, out, size);
	if (!out[0])
		snprintf(out, size, "?");
}

static void add(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

/* The NIC: what the registry recorded, and the VMM's live counters from
 * the memfd the supervisor keeps (read through /proc/PID/fd). */
static json_object *net_json(const struct reg_vm *vm)
{
	const struct reg_net *rn = &vm->net;
	json_object *n = json_object_new_object();
	add(n, "kind", rn->kind[0] ? rn->kind : "none");
	if (!rn->kind[0])
		return n;
	add(n, "network", rn->network);
	add(n, "bridge", rn->bridge);
	add(n, "tap", rn->tap);
	add(n, "mac", rn->mac);
	if (rn->ovs_db[0])
		add(n, "ovs_db", rn->ovs_db);
	char path[64];
	struct nic_stats stats;
	snprintf(path, sizeof(path), "/proc/%ld/fd/%d", vm->pid, rn->stats_fd);
	int fd = rn->stats_fd >= 0 ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	bool ok = fd >= 0 && pread(fd, &stats, sizeof(stats), 0) == (ssize_t)sizeof(stats) &&
		  stats.magic == NIC_STATS_MAGIC;
	if (fd >= 0)
		close(fd);
	for (size_t i = 0; ok && i < NIC_COUNTERS; i++)
		json_object_object_add(n, nic_stats_names[i],
				       json_object_new_int64((int64_t)stats.counter[i]));
	return n;
}

int cmd_inspect(int argc, char **argv)
{
	bool json = argc == 3 && strcmp(argv[2], "--json") == 0;
	if (argc != 2 && !json)
		die("usage: lockvm inspect NAME [--json]");
	reap_dead();
	struct reg_vm vm;
	registry_load_live(argv[1], &vm);
	json_object *o = vm_json(&vm, vm.state);
	char buf[512], path[PATH_MAX + 64];
	long pid = vm.vmm_pid;

	add(o, "seccomp_mode", vm.seccomp);
	add(o, "cpus", vm.cpus);
	json_object_object_add(o, "uid", json_object_new_int64(vm.uid));
	json_object_object_add(o, "gid", json_object_new_int64(vm.gid));
	json_object_object_add(o, "confined", json_object_new_boolean(vm.confined));
	json_object *layers = json_object_new_array();
	for (unsigned bit = 1; bit & SANDBOX_LAYERS_ALL; bit <<= 1)
		if (vm.layers & bit)
			json_object_array_add(layers,
					      json_object_new_string(sandbox_layer_name(bit)));
	json_object_object_add(o, "layers", layers);
	int abi = landlock_abi();
	snprintf(buf, sizeof(buf), "%s",
		 (vm.layers & SANDBOX_LANDLOCK) && abi > 0 ? "enforced" : "off");
	add(o, "landlock", buf);
	json_object_object_add(o, "landlock_abi", json_object_new_int(abi > 0 ? abi : 0));

	/* The VMM process as the kernel sees it. */
	json_object *proc = json_object_new_object();
	static const char *const fields[] = {
	    "Uid",    "Gid",	"CapInh",     "CapPrm",	 "CapEff",
	    "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp", "Seccomp_filters"};
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		status_field(pid, NULL, fields[i], buf, sizeof(buf));
		add(proc, fields[i], buf);
	}
	json_object *threads = json_object_new_array();
	snprintf(path, sizeof(path), "/proc/%ld/task", pid);
	DIR *d = opendir(path);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		json_object *t = json_object_new_object();
		char comm[64];
		snprintf(path, sizeof(path), "/proc/%ld/task/%s/comm", pid, e->d_name);
		procfs_line(path, comm, sizeof(comm));
		add(t, "tid", e->d_name);
		add(t, "name", comm);
		status_field(pid, e->d_name, "Seccomp", buf, sizeof(buf));
		add(t, "seccomp", buf);
		status_field(pid, e->d_name, "Seccomp_filters", buf, sizeof(buf));
		add(t, "seccomp_filters", buf);
		json_object_array_add(threads, t);
	}
	if (d)
		closedir(d);
	json_object_object_add(proc, "threads", threads);
	json_object *ns = json_object_new_object();
	static const char *const nss[] = {"mnt", "pid", "net", "ipc", "uts", "cgroup", "user"};
	for (size_t i = 0; i < ARRAY_SIZE(nss); i++) {
		char link[128] = "?", self[128] = "";
		snprintf(path, sizeof(path), "/proc/%ld/ns/%s", pid, nss[i]);
		ssize_t n = readlink(path, link, sizeof(link) - 1);
		link[n > 0 ? n : 1] = '\0';
		snprintf(path, sizeof(path), "/proc/self/ns/%s", nss[i]);
		n = readlink(path, self, sizeof(self) - 1);
		self[n > 0 ? n : 0] = '\0';
		snprintf(buf, sizeof(buf), "%s%s", link,
			 strcmp(link, self) == 0 ? " (host's)" : "");
		add(ns, nss[i], buf);
	}
	json_object_object_add(proc, "namespaces", ns);
	json_object_object_add(o, "vmm", proc);

	/* memory as the kernel accounts it (issue 8) */
	struct memstat ms;
	json_object *mem = json_object_new_object();
	if (memstat_read((pid_t)pid, &ms) == 0) {
		json_object_object_add(mem, "rss_bytes",
				       json_object_new_int64((int64_t)ms.rss_bytes));
		json_object_object_add(mem, "peak_rss_bytes",
				       json_object_new_int64((int64_t)ms.peak_rss_bytes));
		json_object_object_add(mem, "anon_huge_bytes",
				       json_object_new_int64((int64_t)ms.anon_huge_bytes));
		json_object_object_add(mem, "hugetlb_bytes",
				       json_object_new_int64((int64_t)ms.hugetlb_bytes));
		json_object_object_add(
		    mem, "ksm_merging_pages",
		    ms.have_ksm ? json_object_new_int64((int64_t)ms.ksm_merging_pages) : NULL);
	}
	json_object_object_add(o, "memory", mem);

	/* cgroup limits and usage */
	json_object *cg = json_object_new_object();
	static const struct {
		int ctl;
		const char *file;
	} cgfiles[] = {
	    {CGROUP_MEMORY, "memory.limit_in_bytes"},
	    {CGROUP_MEMORY, "memory.usage_in_bytes"},
	    {CGROUP_MEMORY, "memory.max"},
	    {CGROUP_MEMORY, "memory.current"},
	    {CGROUP_PIDS, "pids.max"},
	    {CGROUP_PIDS, "pids.current"},
	    {CGROUP_CPU, "cpu.cfs_quota_us"},
	    {CGROUP_CPU, "cpu.max"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cgfiles); i++) {
		const char *dir = vm.cgroup.dir[vm.cgroup.v2 ? 0 : cgfiles[i].ctl];
		if (!dir[0])
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, cgfiles[i].file);
		if (access(path, R_OK) < 0)
			continue;
		procfs_line(path, buf, sizeof(buf));
		add(cg, cgfiles[i].file, buf);
	}
	add(cg, "path", vm.cgroup.dir[0][0] ? vm.cgroup.dir[0] : "");
	json_object_object_add(o, "cgroup", cg);

	/* disks: recorded label, the file's label now, owner and mode now */
	json_object *disks = json_object_new_array();
	for (unsigned i = 0; i < vm.ndisks; i++) {
		json_object *dj = json_object_new_object();
		add(dj, "path", vm.disks[i].path);
		add(dj, "mode", vm.disks[i].mode);
		add(dj, "label", vm.disks[i].label);
		int fd = open(vm.disks[i].path,
			      O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
		struct stat st;
		char now[LABEL_MAX] = "";
		if (fd >= 0 && fstat(fd, &st) == 0) {
			snprintf(buf, sizeof(buf), "%u:%u", st.st_uid, st.st_gid);
			add(dj, "owner", buf);
			snprintf(buf, sizeof(buf), "%04o", st.st_mode & 07777);
			add(dj, "file_mode", buf);
			label_file_get(fd, now, sizeof(now));
		}
		if (fd >= 0)
			close(fd);
		add(dj, "file_label",
		    now[0]				       ? now
		    : strcmp(vm.mac_mode, "not enforced") == 0 ? "not enforced"
							       : "?");
		json_object_array_add(disks, dj);
	}
	json_object_object_add(o, "disks", disks);
	json_object *net = net_json(&vm);
	json_object_object_add(o, "net", net);

	if (json) {
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
		json_object_put(o);
		return 0;
	}
	/* Human form: "Key: value" lines, like virsh dominfo. */
	json_object_object_foreach(o, key, val)
	{
		if (json_object_is_type(val, json_type_object) ||
		    json_object_is_type(val, json_type_array))
			continue;
		printf("%-16s %s\n", key, json_object_get_string(val));
	}
	printf("%-16s", "layers");
	for (size_t i = 0; i < json_object_array_length(layers); i++)
		printf(" %s", json_object_get_string(json_object_array_get_idx(layers, i)));
	printf("\n");
	json_object_object_foreach(proc, pkey, pval)
	{
		if (json_object_is_type(pval, json_type_string))
			printf("vmm.%-12s %s\n", pkey, json_object_get_string(pval));
	}
	for (size_t i = 0; i < json_object_array_length(threads); i++) {
		json_object *t = json_object_array_get_idx(threads, i), *v1, *v2, *v3;
		json_object_object_get_ex(t, "name", &v1);
		json_object_object_get_ex(t, "seccomp", &v2);
		json_object_object_get_ex(t, "seccomp_filters", &v3);
		printf("thread %-9s seccomp %s, %s filter(s)\n", json_object_get_string(v1),
		       json_object_get_string(v2), json_object_get_string(v3));
	}
	json_object_object_foreach(ns, nkey, nval)
	{
		printf("ns.%-13s %s\n", nkey, json_object_get_string(nval));
	}
	json_object_object_foreach(mem, mkey, mval)
	{
		printf("memory.%-9s %s\n", mkey, mval ? json_object_get_string(mval) : "n/a");
	}
	json_object_object_foreach(cg, ckey, cval)
	{
		printf("cgroup.%-9s %s\n", ckey, json_object_get_string(cval));
	}
	for (size_t i = 0; i < json_object_array_length(disks); i++) {
		json_object *dj = json_object_array_get_idx(disks, i);
		printf("disk %zu:", i);
		json_object_object_foreach(dj, dkey, dval)
		{
			printf(" %s=%s", dkey, json_object_get_string(dval));
		}
		printf("\n");
	}
	if (vm.net.kind[0]) {
		printf("net:");
		json_object_object_foreach(net, nkey2, nval2)
		{
			printf(" %s=%s", nkey2, json_object_get_string(nval2));
		}
		printf("\n");
	}
	json_object_put(o);
	return 0;
}

/* Waits up to timeout_ms for NAME's supervisor to let go of its lock. */
static bool wait_gone(const char *name, int timeout_ms)
{
	for (int waited = 0; waited <= timeout_ms; waited += 20) {
		if (registry_live(name) != 1)
			return true;
		struct timespec ts = {0, 20L * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	return registry_live(name) != 1;
}

static int end_vm(const char *name, bool graceful, uint64_t timeout_ns)
{
	struct reg_vm vm;
	reap_dead();
	registry_load_live(name, &vm);
	if (graceful) {
		/* The supervisor forwards SIGUSR2; the VMM posts SHUTDOWN. */
		if (kill((pid_t)vm.pid, SIGUSR2) < 0)
			die_errno("signalling supervisor %ld of '%s'", vm.pid, name);
		if (wait_gone(name, (int)(timeout_ns / 1000000))) {
			printf("%s: stopped\n", name);
			return 0;
		}
		fprintf(stderr, "lockvm: %s did not stop within %.1f s; killing it\n", name,
			(double)timeout_ns / 1e9);
	}
	/* SIGKILL to the VMM: the supervisor sees it die and cleans up. */
	if (vm.vmm_pid > 0)
		kill((pid_t)vm.vmm_pid, SIGKILL);
	else
		kill((pid_t)vm.pid, SIGTERM);
	if (!wait_gone(name, 10000)) {
		kill((pid_t)vm.pid, SIGKILL);
		wait_gone(name, 2000);
		reap_dead();
	}
	printf("%s: killed\n", name);
	return 0;
}

int cmd_stop(int argc, char **argv)
{
	uint64_t timeout_ns = 10ULL * 1000000000ULL;
	if (argc == 4 && strcmp(argv[2], "--timeout") == 0) {
		if (parse_seconds(argv[3], 3600, &timeout_ns) < 0)
			die("--timeout '%s': want seconds, e.g. 10 or 0.5", argv[3]);
	} else if (argc != 2) {
		die("usage: lockvm stop NAME [--timeout SECONDS]");
	}
	return end_vm(argv[1], true, timeout_ns);
}

int cmd_kill(int argc, char **argv)
{
	if (argc != 2)
		die("usage: lockvm kill NAME");
	return end_vm(argv[1], false, 0);
}

/* Writes log bytes to stdout, through the filter when it is a terminal. */
static int log_write(struct term_filter *tty, const char *buf, size_t n, char *shown)
{
	if (!tty)
		return write_all(STDOUT_FILENO, buf, n);
	return write_all(STDOUT_FILENO, shown, term_filter(tty, buf, n, shown));
}

int cmd_logs(int argc, char **argv)
{
	bool follow = argc == 3 && strcmp(argv[2], "-f") == 0;
	if (argc != 2 && !follow)
		die("usage: lockvm logs NAME [-f]");
	const char *why;
	if (!paths_name_valid(argv[1], &why))
		die("VM name '%s': %s", argv[1], why);
	char path[PATH_MAX], leaf[PATHS_NAME_MAX + 8];
	snprintf(leaf, sizeof(leaf), "%s.log", argv[1]);
	if (paths_join(path, sizeof(path), PATHS_LOG_DIR, leaf) < 0)
		die("log path too long");
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		die_errno("no log for '%s' (%s)", argv[1], path);
	/* The log holds the guest's bytes raw: a terminal gets escape
	 * sequences shown, not obeyed; a pipe or file gets the exact bytes. */
	struct term_filter filter = {0};
	struct term_filter *tty = isatty(STDOUT_FILENO) ? &filter : NULL;
	static char buf[65536], shown[TERM_FILTER_OUT_MAX(sizeof(buf))];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n > 0) {
			if (log_write(tty, buf, (size_t)n, shown) < 0)
				break;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		/* At the end: -f follows while the VM lives. */
		if (!follow || registry_live(argv[1]) != 1) {
			n = read(fd, buf, sizeof(buf)); /* what the last moment added */
			if (n > 0)
				(void)log_write(tty, buf, (size_t)n, shown);
			if (tty)
				(void)write_all(STDOUT_FILENO, shown,
						term_filter_flush(tty, shown));
			break;
		}
		struct timespec ts = {0, 100L * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	close(fd);
	return 0;
}

int cmd_gc(int argc, char **argv)
{
	if (argc != 1)
		die("usage: lockvm gc");
	int lock = registry_lock();
	if (lock < 0)
		die("cannot lock the VM registry under %s", paths_root());
	int n = registry_reap();
	registry_unlock(lock);
	printf("gc: recovered %d VM%s\n", n < 0 ? 0 : n, n == 1 ? "" : "s");
	return n < 0 ? EXIT_REFUSED : 0;
}
