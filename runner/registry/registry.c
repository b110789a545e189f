/* The VM registry's store: one directory per live VM under <root>/run/lockvm/vms (state.json, its lock), the registry lock, listing, and label queries over live VMs. */
#include "registry.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "registry_json.h"
#include "util.h"

const char *registry_enforced_label(const struct reg_vm *vm)
{
	if (strcmp(vm->mac_mode, "not enforced") == 0 || vm->label.kind == LABEL_NONE)
		return NULL;
	if (strcmp(vm->mac, "apparmor") != 0)
		return vm->label.process;
	return vm->apparmor_label[0] ? vm->apparmor_label : vm->profile;
}

/* ---- the lock ---- */

int registry_lock(void)
{
	char path[PATH_MAX];
	if (paths_mkdir(PATHS_VMS_DIR) < 0 || paths_mkdir(IMAGES_DIR) < 0 ||
	    paths_join(path, sizeof(path), PATHS_RUN_DIR, "registry.lock") < 0) {
		warn_errno("registry: creating %s/%s", paths_root(), PATHS_RUN_DIR);
		return -1;
	}
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		warn_errno("registry: open(%s)", path);
		return -1;
	}
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			warn_errno("registry: flock(%s)", path);
			close(fd);
			return -1;
		}
	}
	return fd;
}

void registry_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* drops the flock */
}

const char *registry_boot_id(void)
{
	static char id[40];
	if (id[0] == '\0') {
		FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
		if (!f || !fgets(id, sizeof(id), f))
			snprintf(id, sizeof(id), "unknown");
		if (f)
			fclose(f);
		id[strcspn(id, "\n")] = '\0';
	}
	return id;
}

/* ---- state.json ---- */
static char *vm_to_json(const struct reg_vm *vm)
{
	json_object *o = json_object_new_object();
	add_int(o, "format", REGISTRY_FORMAT);
	add_str(o, "name", vm->name);
	add_str(o, "uuid", vm->uuid);
	add_str(o, "state", vm->state);
	add_int(o, "pid", vm->pid);
	add_int(o, "vmm_pid", vm->vmm_pid);
	add_int(o, "started", vm->started);
	add_int(o, "vcpus", vm->vcpus);
	add_int(o, "mem", (int64_t)vm->mem);
	add_str(o, "label_kind", label_kind_name(vm->label.kind));
	add_str(o, "label", vm->label.process);
	add_str(o, "image_label", vm->label.image);
	add_str(o, "content_label", vm->label.content);
	add_int(o, "cat_a", vm->label.cat_a);
	add_int(o, "cat_b", vm->label.cat_b);
	add_str(o, "group", vm->label.group);
	add_str(o, "mac", vm->mac);
	add_str(o, "mac_mode", vm->mac_mode);
	add_str(o, "profile", vm->profile);
	add_int(o, "uid", vm->uid);
	add_int(o, "gid", vm->gid);
	add_int(o, "layers", vm->layers);
	json_object_object_add(o, "confined", json_object_new_boolean(vm->confined));
	add_str(o, "seccomp", vm->seccomp);
	add_str(o, "cpus", vm->cpus);
	add_int(o, "cpu_shares", vm->cpu_shares);
	json_object_object_add(o, "cgroup_v2", json_object_new_boolean(vm->cgroup.v2));
	json_object *cg = json_object_new_array();
	for (int c = 0; c < CGROUP_NR_CONTROLLERS; c++)
		json_object_array_add(cg, json_object_new_string(vm->cgroup.dir[c]));
	json_object_object_add(o, "cgroup", cg);
	json_object *disks = json_object_new_array();
	for (unsigned i = 0; i < vm->ndisks; i++) {
		json_object *d = json_object_new_object();
		add_str(d, "path", vm->disks[i].path);
		add_str(d, "mode", vm->disks[i].mode);
		add_str(d, "label", vm->disks[i].label);
		json_object_array_add(disks, d);
	}
	json_object_object_add(o, "disks", disks);
	add_str(o, "boot_id", vm->boot_id);
	json_object_object_add(o, "linux", json_object_new_boolean(vm->linux_abi));
	if (vm->upper[0])
		add_str(o, "upper", vm->upper);
	if (vm->apparmor_stack[0])
		add_str(o, "apparmor_stack", vm->apparmor_stack);
	if (vm->net.kind[0]) {
		json_object *n = json_object_new_object();
		add_str(n, "kind", vm->net.kind);
		add_str(n, "network", vm->net.network);
		add_str(n, "bridge", vm->net.bridge);
		add_str(n, "tap", vm->net.tap);
		add_str(n, "mac", vm->net.mac);
		add_str(n, "ovs_db", vm->net.ovs_db);
		add_int(n, "stats_fd", vm->net.stats_fd);
		add_str(n, "netns", vm->net.netns);
		json_object_object_add(n, "adopt", json_object_new_boolean(vm->net.adopt));
		json_object_object_add(o, "net", n);
	}
	char *text = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
	json_object_put(o);
	return text;
}

static int label_kind_parse(const char *s, enum label_kind *k)
{
	for (int i = LABEL_DYNAMIC; i <= LABEL_NONE; i++)
		if (strcmp(s, label_kind_name((enum label_kind)i)) == 0) {
			*k = (enum label_kind)i;
			return 0;
		}
	return -1;
}

int registry_load(const char *name, struct reg_vm *vm, char *err, size_t errlen)
{
	char dir[PATH_MAX], path[PATH_MAX + 16];
	memset(vm, 0, sizeof(*vm));
	if (!paths_name_valid(name, NULL) ||
	    paths_join(dir, sizeof(dir), PATHS_VMS_DIR, name) < 0) {
		snprintf(err, errlen, "registry: bad entry name '%s'", name);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/state.json", dir);
	json_object *o = parse_file(path, err, errlen);
	if (!o)
		return -1;
	struct reader r = {.o = o};
	char kind[16];
	get_str(&r, "name", vm->name, sizeof(vm->name));
	get_str(&r, "uuid", vm->uuid, sizeof(vm->uuid));
	get_str(&r, "state", vm->state, sizeof(vm->state));
	vm->pid = (long)get_int(&r, "pid", 1, INT32_MAX);
	vm->vmm_pid = (long)get_int(&r, "vmm_pid", 0, INT32_MAX);
	vm->started = get_int(&r, "started", 0, INT64_MAX);
	vm->vcpus = (unsigned)get_int(&r, "vcpus", 1, LOCKVM_MAX_VCPUS);
	vm->mem = (uint64_t)get_int(&r, "mem", 1, INT64_MAX);
	get_str(&r, "label_kind", kind, sizeof(kind));
	get_str(&r, "label", vm->label.process, sizeof(vm->label.process));
	get_str(&r, "image_label", vm->label.image, sizeof(vm->label.image));
	get_str(&r, "content_label", vm->label.content, sizeof(vm->label.content));
	vm->label.cat_a = (int)get_int(&r, "cat_a", -1, 1023);
	vm->label.cat_b = (int)get_int(&r, "cat_b", -1, 1023);
	get_str(&r, "group", vm->label.group, sizeof(vm->label.group));
	get_str(&r, "mac", vm->mac, sizeof(vm->mac));
	get_str(&r, "mac_mode", vm->mac_mode, sizeof(vm->mac_mode));
	get_str(&r, "profile", vm->profile, sizeof(vm->profile));
	vm->uid = (uint32_t)get_int(&r, "uid", 0, INT32_MAX);
	vm->gid = (uint32_t)get_int(&r, "gid", 0, INT32_MAX);
	vm->layers = (unsigned)get_int(&r, "layers", 0, UINT32_MAX);
	vm->confined = get_bool(&r, "confined");
	get_str(&r, "seccomp", vm->seccomp, sizeof(vm->seccomp));
	get_str(&r, "cpus", vm->cpus, sizeof(vm->cpus));
	vm->cgroup.v2 = get_bool(&r, "cgroup_v2");
	get_str(&r, "boot_id", vm->boot_id, sizeof(vm->boot_id));
	json_object *cg, *disks;
	if (json_object_object_get_ex(o, "cgroup", &cg) &&
	    json_object_is_type(cg, json_type_array) &&
	    json_object_array_length(cg) == CGROUP_NR_CONTROLLERS) {
		for (int c = 0; c < CGROUP_NR_CONTROLLERS; c++) {
			json_object *d = json_object_array_get_idx(cg, (size_t)c);
			const char *s = json_object_is_type(d, json_type_string)
					    ? json_object_get_string(d)
					    : NULL;
			if (!s || strlen(s) >= sizeof(vm->cgroup.dir[c]) ||
			    (s[0] && strncmp(s, "/sys/fs/cgroup/", 15) != 0) || strstr(s, "/.."))
				r.bad = r.bad ? r.bad : "cgroup";
			else
				snprintf(vm->cgroup.dir[c], sizeof(vm->cgroup.dir[c]), "%s", s);
		}
	} else if (!r.bad) {
		r.bad = "cgroup";
	}
	if (json_object_object_get_ex(o, "disks", &disks) &&
	    json_object_is_type(disks, json_type_array) &&
	    json_object_array_length(disks) <= LOCKVM_MAX_DISKS) {
		vm->ndisks = (unsigned)json_object_array_length(disks);
		for (unsigned i = 0; i < vm->ndisks; i++) {
			struct reader d = {.o = json_object_array_get_idx(disks, i)};
			if (!json_object_is_type(d.o, json_type_object)) {
				r.bad = r.bad ? r.bad : "disks";
				continue;
			}
			get_str(&d, "path", vm->disks[i].path, sizeof(vm->disks[i].path));
			get_str(&d, "mode", vm->disks[i].mode, sizeof(vm->disks[i].mode));
			get_str(&d, "label", vm->disks[i].label, sizeof(vm->disks[i].label));
			if (d.bad && !r.bad)
				r.bad = "disks";
		}
	} else if (!r.bad) {
		r.bad = "disks";
	}
	/* "upper" only with --fs-upper DIR or --keep-upper. */
	json_object *upper;
	if (json_object_object_get_ex(o, "upper", &upper))
		get_str(&r, "upper", vm->upper, sizeof(vm->upper));
	/* "apparmor_stack" only with --apparmor-stack; the label follows from it. */
	json_object *stack;
	if (json_object_object_get_ex(o, "apparmor_stack", &stack)) {
		get_str(&r, "apparmor_stack", vm->apparmor_stack, sizeof(vm->apparmor_stack));
		if (!r.bad &&
		    (apparmor_stack_name_check(vm->apparmor_stack, NULL, 0) < 0 ||
		     apparmor_stack_label(vm->profile, vm->apparmor_stack, vm->apparmor_label,
					  sizeof(vm->apparmor_label)) < 0))
			r.bad = "apparmor_stack";
	}
	/* "cpu_shares" is absent from older lockvm's entries: the default. */
	json_object *shares;
	if (json_object_object_get_ex(o, "cpu_shares", &shares))
		vm->cpu_shares = (uint32_t)get_int(&r, "cpu_shares", 0, CGROUP_CPU_SHARES_MAX);
	/* "linux" is absent from older lockvm's entries: an SDK guest. */
	json_object *linux_abi;
	if (json_object_object_get_ex(o, "linux", &linux_abi))
		vm->linux_abi = get_bool(&r, "linux");
	/* "net" is absent for VMs without a NIC (and from older lockvm). */
	json_object *net;
	vm->net.stats_fd = -1;
	if (json_object_object_get_ex(o, "net", &net)) {
		struct reader n = {.o = net};
		struct reg_net *rn = &vm->net;
		if (!json_object_is_type(net, json_type_object)) {
			r.bad = r.bad ? r.bad : "net";
		} else {
			get_str(&n, "kind", rn->kind, sizeof(rn->kind));
			get_str(&n, "network", rn->network, sizeof(rn->network));
			get_str(&n, "bridge", rn->bridge, sizeof(rn->bridge));
			get_str(&n, "tap", rn->tap, sizeof(rn->tap));
			get_str(&n, "mac", rn->mac, sizeof(rn->mac));
			get_str(&n, "ovs_db", rn->ovs_db, sizeof(rn->ovs_db));
			rn->stats_fd = (int)get_int(&n, "stats_fd", -1, 1 << 20);
			/* "netns" and "adopt" are absent from older lockvm's entries. */
			json_object *ignored;
			if (json_object_object_get_ex(net, "netns", &ignored))
				get_str(&n, "netns", rn->netns, sizeof(rn->netns));
			if (json_object_object_get_ex(net, "adopt", &ignored))
				rn->adopt = get_bool(&n, "adopt");
			bool netns = strcmp(rn->kind, "netns") == 0;
			/* --net user: passt's, no bridge, no tap, no namespace. */
			bool user = strcmp(rn->kind, "user") == 0 && !rn->bridge[0] &&
				    !rn->tap[0] && !rn->netns[0] && !rn->adopt;
			/* What reap hands to ovs-vsctl and to a helper in the
			 * namespace must be what lockvm wrote: a netns NIC has
			 * no bridge but an absolute namespace path. */
			if (n.bad ||
			    (strcmp(rn->kind, "bridge") != 0 && strcmp(rn->kind, "ovs") != 0 &&
			     !netns && !user) ||
			    (!user && (netns ? rn->bridge[0] || rn->netns[0] != '/'
					     : rn->netns[0] || rn->adopt ||
						   !netframe_ifname_valid(rn->bridge, NULL))) ||
			    (!user && !netframe_ifname_valid(rn->tap, NULL)) ||
			    (!user && strncmp(rn->tap, "lv-", 3) != 0) ||
			    (strcmp(rn->kind, "ovs") == 0 && !net_ovs_db_valid(rn->ovs_db)))
				r.bad = r.bad ? r.bad : "net";
		}
	}
	json_object_put(o);
	if (!r.bad && label_kind_parse(kind, &vm->label.kind) < 0)
		r.bad = "label_kind";
	if (!r.bad && strcmp(vm->name, name) != 0)
		r.bad = "name";
	if (r.bad) {
		snprintf(err, errlen, "%s: field '%s' missing or invalid; not trusted", path,
			 r.bad);
		return -1;
	}
	return 0;
}

int registry_entry_path(const char *name, const char *leaf, char *out, size_t size)
{
	char dir[PATH_MAX];
	if (paths_join(dir, sizeof(dir), PATHS_VMS_DIR, name) < 0)
		return -1;
	if (snprintf(out, size, "%s/%s", dir, leaf) >= (int)size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int registry_save(const struct reg_vm *vm)
{
	char path[PATH_MAX];
	if (registry_entry_path(vm->name, "state.json", path, sizeof(path)) < 0)
		return -1;
	char *text = vm_to_json(vm);
	if (!text) {
		errno = ENOMEM;
		return -1;
	}
	int rc = paths_write_state(path, text, strlen(text), 0600);
	free(text);
	return rc;
}

int registry_live(const char *name)
{
	char path[PATH_MAX];
	if (registry_entry_path(name, "lock", path, sizeof(path)) < 0)
		return -1;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int live = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	return live;
}

int registry_reserve(const char *name, int *lock_fd, char *err, size_t errlen)
{
	char dir[PATH_MAX], path[PATH_MAX + 8];
	if (paths_join(dir, sizeof(dir), PATHS_VMS_DIR, name) < 0) {
		snprintf(err, errlen, "registry: path for '%s' too long", name);
		return -1;
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "registry: mkdir %s: %s", dir, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/lock", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "registry: open(%s): %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		snprintf(err, errlen, "a VM named '%s' is already running", name);
		close(fd);
		return -1;
	}
	*lock_fd = fd;
	return 0;
}

int registry_claim(const struct reg_vm *vm, int *lock_fd, char *err, size_t errlen)
{
	if (registry_reserve(vm->name, lock_fd, err, errlen) < 0)
		return -1;
	if (registry_save(vm) < 0) {
		char dir[PATH_MAX];
		int e = errno;
		(void)paths_join(dir, sizeof(dir), PATHS_VMS_DIR, vm->name);
		snprintf(err, errlen, "registry: writing %s/state.json: %s", dir, strerror(e));
		close(*lock_fd);
		*lock_fd = -1;
		return -1;
	}
	return 0;
}

void registry_remove(const char *name)
{
	char path[PATH_MAX];
	if (registry_entry_path(name, "state.json", path, sizeof(path)) == 0)
		unlink(path);
	if (registry_entry_path(name, "lock", path, sizeof(path)) == 0)
		unlink(path);
	if (paths_join(path, sizeof(path), PATHS_VMS_DIR, name) == 0)
		rmdir(path);
}

void registry_load_live(const char *name, struct reg_vm *vm)
{
	char err[PATH_MAX + 256];
	const char *why;
	if (!paths_name_valid(name, &why))
		die("VM name '%s': %s", name, why);
	if (registry_live(name) != 1)
		die("no running VM named '%s'", name);
	if (registry_load(name, vm, err, sizeof(err)) < 0)
		die("%s", err);
}

int registry_names(char ***names, size_t *n)
{
	return paths_names(PATHS_VMS_DIR, NULL, names, n);
}

void registry_names_free(char **names, size_t n)
{
	paths_names_free(names, n);
}

/* Pairs the kernel shows on running VMMs (SELinux: /proc/PID/attr/current
 * of every lockvm-vmm): a registry that was wiped or rebuilt cannot make a
 * live VM's pair look free. Appends to pairs (capacity cap). */
static void pairs_from_processes(uint32_t **pairs, size_t *n, size_t *cap)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		char path[300], buf[LABEL_MAX];
		snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
		FILE *f = fopen(path, "re");
		if (!f)
			continue;
		bool vmm = fgets(buf, sizeof(buf), f) && strcmp(buf, "lockvm-vmm\n") == 0;
		fclose(f);
		if (!vmm)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/attr/current", e->d_name);
		f = fopen(path, "re");
		int a, b;
		if (f && fgets(buf, sizeof(buf), f)) {
			buf[strcspn(buf, "\n")] = '\0';
			if (label_pair_of(buf, &a, &b) == 0) {
				if (*n == *cap) {
					*cap = *cap ? *cap * 2 : 64;
					*pairs = realloc(*pairs, *cap * sizeof(uint32_t));
					if (!*pairs)
						die("out of memory");
				}
				(*pairs)[(*n)++] = label_pair_key(a, b);
			}
		}
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
}

int registry_pairs_in_use(uint32_t **pairs, size_t *n)
{
	char **names;
	size_t count;
	*pairs = NULL;
	*n = 0;
	if (registry_names(&names, &count) < 0)
		return -1;
	*pairs = calloc(count ? count : 1, sizeof(uint32_t));
	if (!*pairs)
		die("out of memory");
	for (size_t i = 0; i < count; i++) {
		struct reg_vm vm;
		char err[PATH_MAX + 128];
		if (registry_live(names[i]) != 1 ||
		    registry_load(names[i], &vm, err, sizeof(err)) < 0)
			continue;
		if (vm.label.cat_a >= 0 && vm.label.cat_b > vm.label.cat_a)
			(*pairs)[(*n)++] = label_pair_key(vm.label.cat_a, vm.label.cat_b);
	}
	registry_names_free(names, count);
	size_t cap = count ? count : 1;
	if (label_mac_model()[0] == 's') /* selinux: labels are on the processes */
		pairs_from_processes(pairs, n, &cap);
	return (int)*n;
}

int registry_group_pair(const char *group, int *a, int *b)
{
	char **names;
	size_t count;
	int found = -1;
	if (registry_names(&names, &count) < 0)
		return -1;
	for (size_t i = 0; i < count && found < 0; i++) {
		struct reg_vm vm;
		char err[PATH_MAX + 128];
		if (registry_live(names[i]) != 1 ||
		    registry_load(names[i], &vm, err, sizeof(err)) < 0)
			continue;
		if (vm.label.kind == LABEL_GROUP && strcmp(vm.label.group, group) == 0) {
			*a = vm.label.cat_a;
			*b = vm.label.cat_b;
			found = 0;
		}
	}
	registry_names_free(names, count);
	return found;
}
