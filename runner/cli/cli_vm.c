/* virsh-style commands on the registry: list, inspect, stop, kill, gc. */
#include "cli_vm.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli_exit.h"
#include "exits.h"
#include "cliopt.h"
#include "events.h"
#include "landlock.h"
#include "memstat.h"
#include "nic.h"
#include "observe.h"
#include "paths.h"
#include "procfs.h"
#include "recovery.h"
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
	json_object_object_add(o, "apparmor_stack", json_object_new_string(vm->apparmor_stack));
	json_object_object_add(o, "live_label", json_object_new_string(live));
	json_object_object_add(o, "label_mismatch",
			       json_object_new_boolean(label_mismatch(vm, live)));
	return o;
}

int cmd_list(int argc, char **argv)
{
	static const struct cliopt options[] = {
	    {"all", 'a', no_argument, 'a', NULL, "also defined VMs that do not run (shut off)"},
	    {"labels", 'Z', no_argument, 'Z', NULL, "show each VM's MAC label and mode"},
	    {"json", 'j', no_argument, 0, NULL, "a JSON array (fields in README)"},
	};
	static const struct cliopt_spec spec = {.command = "list",
						.operands = "",
						.summary = "list running VMs",
						.options = options,
						.count = ARRAY_SIZE(options)};
	bool all = false, json = false, labels = false;
	struct cliopt_parser p;
	int key, count;
	cliopt_begin(&p, &spec, argc, argv);
	while ((key = cliopt_next(&p))) {
		switch (key) {
		case 'a': all = true; break;
		case 'Z': labels = true; break;
		case 'j': json = true; break;
		}
	}
	cliopt_operands(&p, &count);
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
					    : vm.apparmor_label[0]	      ? vm.apparmor_label
					    : strcmp(vm.mac, "apparmor") == 0 ? vm.profile
									      : vm.label.process;
			printf("  %-44s %s %s%s", shown, vm.mac, vm.mac_mode,
			       label_mismatch(&vm, live) ? " MISMATCH(live: " : "");
			if (label_mismatch(&vm, live))
				printf("%s)", live[0] ? live : "?");
		}
		printf("\n");
	}
	if (all)
		cli_exit_list(array);
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

/* An observed value as inspect shows it: "?" when the kernel did not. */
static const char *shown(const char *v)
{
	return v[0] ? v : "?";
}

static void add(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

/* The VMM process as the kernel sees it: status, threads, namespaces. */
static json_object *vmm_json(const struct vm_observation *obs)
{
	char buf[512];
	json_object *proc = json_object_new_object();
	for (size_t i = 0; i < OBSERVE_NR_STATUS; i++)
		if (i != OBSERVE_GROUPS) /* audit's, not shown */
			add(proc, observe_status_keys[i], shown(obs->status[i]));
	json_object *threads = json_object_new_array();
	for (size_t i = 0; i < obs->nthreads; i++) {
		const struct observed_thread *ot = &obs->threads[i];
		json_object *t = json_object_new_object();
		add(t, "tid", ot->tid);
		add(t, "name", ot->name);
		add(t, "seccomp", shown(ot->seccomp));
		add(t, "seccomp_filters", shown(ot->seccomp_filters));
		json_object_array_add(threads, t);
	}
	json_object_object_add(proc, "threads", threads);
	json_object *ns = json_object_new_object();
	for (size_t i = 0; i < OBSERVE_NR_NS; i++) {
		const char *link = shown(obs->ns[i]);
		snprintf(buf, sizeof(buf), "%s%s", link,
			 strcmp(link, obs->self_ns[i]) == 0 ? " (host's)" : "");
		add(ns, observe_ns_names[i], buf);
	}
	json_object_object_add(proc, "namespaces", ns);
	return proc;
}

/* memory as the kernel accounts it (issue 8) */
static json_object *memory_json(const struct vm_observation *obs)
{
	const struct memstat *ms = &obs->memory;
	json_object *mem = json_object_new_object();
	if (!obs->have_memory)
		return mem;
	json_object_object_add(mem, "rss_bytes", json_object_new_int64((int64_t)ms->rss_bytes));
	json_object_object_add(mem, "peak_rss_bytes",
			       json_object_new_int64((int64_t)ms->peak_rss_bytes));
	json_object_object_add(mem, "anon_huge_bytes",
			       json_object_new_int64((int64_t)ms->anon_huge_bytes));
	json_object_object_add(mem, "hugetlb_bytes",
			       json_object_new_int64((int64_t)ms->hugetlb_bytes));
	json_object_object_add(mem, "ksm_merging_pages",
			       ms->have_ksm ? json_object_new_int64((int64_t)ms->ksm_merging_pages)
					    : NULL);
	return mem;
}

/* cgroup limits and usage */
static json_object *cgroup_json(const struct reg_vm *vm, const struct vm_observation *obs)
{
	json_object *cg = json_object_new_object();
	for (size_t i = 0; i < OBSERVE_NR_CGFILES; i++)
		if (obs->cgfile_present[i])
			add(cg, observe_cgfile_names[i], obs->cgfile[i]);
	add(cg, "path", vm->cgroup.dir[0][0] ? vm->cgroup.dir[0] : "");
	return cg;
}

/* disks: recorded label, the file's label now, owner and mode now */
static json_object *disks_json(const struct reg_vm *vm, const struct vm_observation *obs)
{
	char buf[64];
	json_object *disks = json_object_new_array();
	for (unsigned i = 0; i < vm->ndisks; i++) {
		const struct observed_disk *od = &obs->disks[i];
		json_object *dj = json_object_new_object();
		add(dj, "path", vm->disks[i].path);
		add(dj, "mode", vm->disks[i].mode);
		add(dj, "label", vm->disks[i].label);
		if (od->present) {
			snprintf(buf, sizeof(buf), "%u:%u", od->uid, od->gid);
			add(dj, "owner", buf);
			snprintf(buf, sizeof(buf), "%04o", od->mode);
			add(dj, "file_mode", buf);
		}
		add(dj, "file_label",
		    od->label[0]				? od->label
		    : strcmp(vm->mac_mode, "not enforced") == 0 ? "not enforced"
								: "?");
		json_object_array_add(disks, dj);
	}
	return disks;
}

/* The NIC: what the registry recorded, and the VMM's live counters. */
static json_object *net_json(const struct reg_vm *vm, const struct vm_observation *obs)
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
	if (rn->netns[0]) {
		add(n, "netns", rn->netns);
		json_object_object_add(n, "adopt", json_object_new_boolean(rn->adopt));
	}
	for (size_t i = 0; obs->have_nic_stats && i < NIC_COUNTERS; i++)
		json_object_object_add(n, nic_stats_names[i],
				       json_object_new_int64((int64_t)obs->nic.counter[i]));
	return n;
}

/* Everything inspect shows: the record, the sandbox it asked for, and the
 * observation. */
static json_object *inspect_json(const struct reg_vm *vm, const struct vm_observation *obs)
{
	json_object *o = vm_json(vm, vm->state);
	add(o, "seccomp_mode", vm->seccomp);
	add(o, "cpus", vm->cpus);
	json_object_object_add(o, "cpu_shares", json_object_new_int64(vm->cpu_shares));
	json_object_object_add(o, "uid", json_object_new_int64(vm->uid));
	json_object_object_add(o, "gid", json_object_new_int64(vm->gid));
	json_object_object_add(o, "confined", json_object_new_boolean(vm->confined));
	json_object *layers = json_object_new_array();
	for (unsigned bit = 1; bit & SANDBOX_LAYERS_ALL; bit <<= 1)
		if (vm->layers & bit)
			json_object_array_add(layers,
					      json_object_new_string(sandbox_layer_name(bit)));
	json_object_object_add(o, "layers", layers);
	int abi = landlock_abi();
	add(o, "landlock", (vm->layers & SANDBOX_LANDLOCK) && abi > 0 ? "enforced" : "off");
	json_object_object_add(o, "landlock_abi", json_object_new_int(abi > 0 ? abi : 0));
	json_object_object_add(o, "vmm", vmm_json(obs));
	json_object_object_add(o, "memory", memory_json(obs));
	json_object_object_add(o, "cgroup", cgroup_json(vm, obs));
	json_object_object_add(o, "disks", disks_json(vm, obs));
	json_object_object_add(o, "net", net_json(vm, obs));
	if (vm->upper[0]) { /* --fs-upper DIR or --keep-upper */
		add(o, "upper", vm->upper);
		add(o, "upper_state", "written when the VM ends");
	}
	return o;
}

static json_object *field(json_object *o, const char *key)
{
	json_object *v = NULL;
	json_object_object_get_ex(o, key, &v);
	return v;
}

/* Human form of inspect_json: "Key: value" lines, like virsh dominfo. */
static void inspect_print(const struct reg_vm *vm, json_object *o)
{
	json_object *layers = field(o, "layers"), *proc = field(o, "vmm");
	json_object *threads = field(proc, "threads"), *ns = field(proc, "namespaces");
	json_object *mem = field(o, "memory"), *cg = field(o, "cgroup");
	json_object *disks = field(o, "disks"), *net = field(o, "net");
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
		json_object *t = json_object_array_get_idx(threads, i);
		printf("thread %-9s seccomp %s, %s filter(s)\n",
		       json_object_get_string(field(t, "name")),
		       json_object_get_string(field(t, "seccomp")),
		       json_object_get_string(field(t, "seccomp_filters")));
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
	if (vm->net.kind[0]) {
		printf("net:");
		json_object_object_foreach(net, nkey2, nval2)
		{
			printf(" %s=%s", nkey2, json_object_get_string(nval2));
		}
		printf("\n");
	}
}

/* Parses a command whose options are only --json: the one operand, NAME. */
const char *cli_parse_name(const char *command, const char *summary, int argc, char **argv,
			   bool *json)
{
	static const struct cliopt options[] = {
	    {"json", 'j', no_argument, 0, NULL, "JSON instead of text (fields in README)"}};
	const struct cliopt_spec spec = {.command = command,
					 .operands = "NAME",
					 .summary = summary,
					 .options = json ? options : NULL,
					 .count = json ? ARRAY_SIZE(options) : 0,
					 .min_operands = 1,
					 .max_operands = 1};
	struct cliopt_parser p;
	int count;
	cliopt_begin(&p, &spec, argc, argv);
	while (cliopt_next(&p))
		if (json)
			*json = true; /* --json, the only option */
	return cliopt_operands(&p, &count)[0];
}

int cmd_inspect(int argc, char **argv)
{
	bool json = false;
	const char *name =
	    cli_parse_name("inspect", "everything about a running VM", argc, argv, &json);
	reap_dead();
	struct reg_vm vm;
	struct vm_observation obs;
	/* An ended detached VM: its exit record, until lockvm rm or gc. */
	if (registry_live(name) != 1 && cli_exit_inspect(name, json))
		return 0;
	registry_load_live(name, &vm);
	vm_observe(&vm, &obs);
	json_object *o = inspect_json(&vm, &obs);
	vm_observation_free(&obs);
	if (json)
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
	else
		inspect_print(&vm, o);
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
			events_emit("stopped", name, NULL);
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
	events_emit("killed", name, NULL);
	return 0;
}

int cmd_stop(int argc, char **argv)
{
	static const struct cliopt options[] = {
	    {"timeout", 't', required_argument, 't', "SECONDS",
	     "kill the VM if it has not stopped after this long (default 10)"}};
	static const struct cliopt_spec spec = {
	    .command = "stop",
	    .operands = "NAME",
	    .summary = "ask a VM to shut down (its guest sees SHUTDOWN), kill it after --timeout",
	    .options = options,
	    .count = ARRAY_SIZE(options),
	    .min_operands = 1,
	    .max_operands = 1};
	uint64_t timeout_ns = 10ULL * 1000000000ULL;
	struct cliopt_parser p;
	int count;
	cliopt_begin(&p, &spec, argc, argv);
	while (cliopt_next(&p))
		if (parse_seconds(p.value, 3600, &timeout_ns) < 0) /* --timeout */
			die("stop: --timeout '%s': want seconds, e.g. 10 or 0.5", p.value);
	return end_vm(cliopt_operands(&p, &count)[0], true, timeout_ns);
}

int cmd_kill(int argc, char **argv)
{
	return end_vm(cli_parse_name("kill", "kill a VM now", argc, argv, NULL), false, 0);
}

int cmd_gc(int argc, char **argv)
{
	static const struct cliopt options[] = {
	    {"keep-exited", 'k', required_argument, 0, "SECONDS",
	     "also remove exit records of detached VMs that ended longer ago (default 86400)"},
	};
	static const struct cliopt_spec spec = {
	    .command = "gc",
	    .operands = "",
	    .summary = "recover what VMs with a dead supervisor left behind, and remove the "
		       "logs of VMs gone longer than lockvm.conf's [logs] max_age (default 7d)",
	    .options = options,
	    .count = ARRAY_SIZE(options)};
	/* Exit records older than this go too (default: one day). */
	uint64_t keep = 86400;
	struct cliopt_parser p;
	int count;
	cliopt_begin(&p, &spec, argc, argv);
	while (cliopt_next(&p))
		if (parse_uint(p.value, 0, 100ULL * 365 * 86400, &keep) < 0)
			die("gc --keep-exited '%s': want seconds, e.g. 3600", p.value);
	cliopt_operands(&p, &count);
	int lock = registry_lock();
	if (lock < 0)
		die("cannot lock the VM registry under %s", paths_root());
	int n = registry_reap();
	registry_unlock(lock);
	int exited = exits_gc((int64_t)keep);
	printf("gc: recovered %d VM%s\n", n < 0 ? 0 : n, n == 1 ? "" : "s");
	if (exited > 0)
		printf("gc: removed %d exit record%s\n", exited, exited == 1 ? "" : "s");
	return logs_gc() < 0 || n < 0 ? EXIT_REFUSED : 0;
}
