/* `lockvm audit vm NAME`: a running VM's real state against what its policy says it should be. */
#include "audit_vm.h"

#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "cliopt.h"
#include "events.h"
#include "label.h"
#include "observe.h"
#include "paths.h"
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

static void check_label(struct audit *a, const struct reg_vm *vm, const struct vm_observation *obs)
{
	const char *live = obs->live_label;
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

static void check_process(struct audit *a, const struct reg_vm *vm,
			  const struct vm_observation *obs)
{
	char v[256], want[64];
	bool caps = vm->layers & SANDBOX_CAPS;
	for (int i = OBSERVE_CAP_INH; caps && i <= OBSERVE_CAP_AMB; i++)
		report(a, strcmp(obs->status[i], "0000000000000000") == 0, observe_status_keys[i],
		       "0000000000000000", obs->status[i]);
	const char *nnp = obs->status[OBSERVE_NO_NEW_PRIVS];
	if (vm->layers & SANDBOX_NO_NEW_PRIVS)
		report(a, strcmp(nnp, "1") == 0, "NoNewPrivs", "1", nnp);
	if (vm->uid) {
		const char *uid = obs->status[OBSERVE_UID], *gid = obs->status[OBSERVE_GID];
		const char *groups = obs->status[OBSERVE_GROUPS];
		snprintf(want, sizeof(want), "%u\t%u\t%u\t%u", vm->uid, vm->uid, vm->uid, vm->uid);
		report(a, strcmp(uid, want) == 0, "uid (real, effective, saved, fs)", want, uid);
		snprintf(want, sizeof(want), "%u\t%u\t%u\t%u", vm->gid, vm->gid, vm->gid, vm->gid);
		report(a, strcmp(gid, want) == 0, "gid", want, gid);
		report(a, groups[0] == '\0', "supplementary groups", "none",
		       groups[0] ? groups : "none");
	}
	/* seccomp on every thread lockvm made (kernel helper threads aside) */
	if (vm->layers & SANDBOX_SECCOMP) {
		unsigned vcpus = 0;
		for (size_t i = 0; i < obs->nthreads; i++) {
			const struct observed_thread *t = &obs->threads[i];
			bool ours =
			    strncmp(t->name, "vcpu", 4) == 0 || strcmp(t->name, "lockvm-vmm") == 0;
			if (!ours)
				continue;
			vcpus += strncmp(t->name, "vcpu", 4) == 0;
			char check[96];
			snprintf(check, sizeof(check), "seccomp of thread %s", t->name);
			report(a, strcmp(t->seccomp, "2") == 0, check, "2 (filter)", t->seccomp);
		}
		snprintf(want, sizeof(want), "%u", vm->vcpus);
		snprintf(v, sizeof(v), "%u", vcpus);
		report(a, vcpus == vm->vcpus, "vCPU threads", want, v);
	}
}

static void check_namespaces(struct audit *a, const struct reg_vm *vm,
			     const struct vm_observation *obs)
{
	if (!(vm->layers & SANDBOX_NAMESPACES))
		return;
	for (size_t i = 0; i < OBSERVE_NR_NS; i++) {
		if (strcmp(observe_ns_names[i], "user") == 0)
			continue; /* audited: the six the sandbox unshares */
		/* Its own: neither init's nor the auditor's. A namespace we cannot
		 * read on either side fails (init's /proc/1/ns is unreadable in
		 * some containers: then ours must be readable and differ). */
		const char *mine = obs->ns[i], *init = obs->init_ns[i], *self = obs->self_ns[i];
		bool own = mine[0] && (init[0] || self[0]) &&
			   (!init[0] || strcmp(mine, init) != 0) &&
			   (!self[0] || strcmp(mine, self) != 0);
		char check[32];
		snprintf(check, sizeof(check), "%s namespace", observe_ns_names[i]);
		report(a, own, check, "its own", mine[0] ? mine : "?");
	}
	char found[32];
	snprintf(found, sizeof(found), obs->root_readable ? "%d entries" : "unreadable",
		 obs->root_entries);
	bool empty = obs->root_readable && obs->root_entries == 0;
	if (vm->layers & SANDBOX_PIVOT_ROOT)
		report(a, empty, "root directory", "empty", empty ? "empty" : found);
}

static void check_cgroup(struct audit *a, const struct reg_vm *vm, const struct vm_observation *obs)
{
	if (!(vm->layers & SANDBOX_CGROUP) || !vm->cgroup.dir[CGROUP_MEMORY][0])
		return;
	char want[PATH_MAX];
	/* The VMM must be in the cgroup the registry names. */
	const char *dir = vm->cgroup.dir[vm->cgroup.v2 ? 0 : CGROUP_MEMORY];
	const char *found = obs->cgroup_member;
	const char *tail = strstr(dir, "/lockvm/");
	snprintf(want, sizeof(want), "%s", tail ? tail : dir);
	report(a, tail && strcmp(found, want) == 0, "cgroup", want, found[0] ? found : "?");
	const char *line =
	    observe_cgfile(obs, vm->cgroup.v2 ? "memory.max" : "memory.limit_in_bytes");
	snprintf(want, sizeof(want), "at most %llu",
		 (unsigned long long)(vm->mem * 2 + (256ULL << 20)));
	unsigned long long limit = strtoull(line, NULL, 10);
	report(a, line[0] && limit >= vm->mem && limit <= vm->mem * 2 + (256ULL << 20),
	       "memory limit", want, line[0] ? line : "?");
	line = observe_cgfile(obs, "pids.max");
	snprintf(want, sizeof(want), "%u", vm->vcpus + 16);
	report(a, strcmp(line, want) == 0, "pids limit", want, line[0] ? line : "?");
}

static void check_disks(struct audit *a, const struct reg_vm *vm, const struct vm_observation *obs)
{
	for (unsigned i = 0; i < vm->ndisks; i++) {
		const struct reg_disk *d = &vm->disks[i];
		const struct observed_disk *od = &obs->disks[i];
		char check[REGISTRY_PATH_MAX + 32], want[64], found[64];
		if (!od->present) {
			snprintf(check, sizeof(check), "disk %s", d->path);
			report(a, false, check, "present", "missing");
			continue;
		}
		if (strcmp(d->mode, "rw") == 0 && vm->uid) {
			snprintf(check, sizeof(check), "owner of disk %s", d->path);
			snprintf(want, sizeof(want), "%u:%u 0600", vm->uid, vm->gid);
			snprintf(found, sizeof(found), "%u:%u %04o", od->uid, od->gid, od->mode);
			report(a, strcmp(want, found) == 0, check, want, found);
		}
		if (strcmp(vm->mac, "selinux") == 0 && vm->label.kind != LABEL_NONE &&
		    od->label_rc == 0) {
			snprintf(check, sizeof(check), "label of disk %s", d->path);
			report(a, strcmp(od->label, d->label) == 0, check, d->label, od->label);
		}
	}
}

int audit_vm_main(int argc, char **argv)
{
	static const struct cliopt options[] = {
	    {"json", 'j', no_argument, 0, NULL, "the results as JSON (fields in README)"}};
	static const struct cliopt_spec spec = {
	    .command = "audit vm",
	    .operands = "NAME",
	    .summary = "hold a running VM to what it should be: label, process, namespaces, "
		       "cgroup, disks (exit 1 on drift)",
	    .options = options,
	    .count = ARRAY_SIZE(options),
	    .min_operands = 1,
	    .max_operands = 1};
	struct audit a = {0};
	struct cliopt_parser p;
	int count;
	cliopt_begin(&p, &spec, argc, argv);
	while (cliopt_next(&p))
		a.json = true; /* --json, the only option */
	const char *name = cliopt_operands(&p, &count)[0];
	struct reg_vm vm;
	struct vm_observation obs;
	registry_load_live(name, &vm);
	if (vm.vmm_pid <= 0)
		die("VM '%s' has no VMM yet (state %s)", name, vm.state);
	a.vm = name;
	a.results = json_object_new_array();
	vm_observe(&vm, &obs);
	check_label(&a, &vm, &obs);
	check_process(&a, &vm, &obs);
	check_namespaces(&a, &vm, &obs);
	check_cgroup(&a, &vm, &obs);
	check_disks(&a, &vm, &obs);
	/* The VMM must still be the registry's: a pid reused by another
	 * process would make every line above meaningless (vm_observe reads
	 * its comm last). */
	report(&a, strcmp(obs.comm, "lockvm-vmm") == 0, "VMM process", "lockvm-vmm",
	       obs.comm[0] ? obs.comm : "gone");
	vm_observation_free(&obs);
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
	if (a.drift) {
		json_object *event = json_object_new_object();
		json_object_object_add(event, "drift", json_object_new_int(a.drift));
		events_emit("drift", name, event);
	}
	return a.drift ? 1 : 0;
}
