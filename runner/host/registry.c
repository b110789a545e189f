/* The VM registry: one directory per live VM under <root>/run/lockvm/vms, image records, and recovery of dead VMs. */
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
#include <time.h>
#include <unistd.h>

#include "apparmor_profile.h"
#include "util.h"

#define STATE_MAX  (256 << 10) /* a state file larger than this is not ours */
#define IMAGES_DIR "run/lockvm/images"

const char *registry_enforced_label(const struct reg_vm *vm)
{
	if (strcmp(vm->mac_mode, "not enforced") == 0 || vm->label.kind == LABEL_NONE)
		return NULL;
	return strcmp(vm->mac, "apparmor") == 0 ? vm->profile : vm->label.process;
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

static void add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

static void add_int(json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

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
	if (vm->net.kind[0]) {
		json_object *n = json_object_new_object();
		add_str(n, "kind", vm->net.kind);
		add_str(n, "network", vm->net.network);
		add_str(n, "bridge", vm->net.bridge);
		add_str(n, "tap", vm->net.tap);
		add_str(n, "mac", vm->net.mac);
		add_str(n, "ovs_db", vm->net.ovs_db);
		add_int(n, "stats_fd", vm->net.stats_fd);
		json_object_object_add(o, "net", n);
	}
	char *text = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
	json_object_put(o);
	return text;
}

/* Field readers: each refuses a missing field or a wrong type. */
struct reader {
	json_object *o;
	const char *bad; /* first bad field */
};

static const char *get_str(struct reader *r, const char *k, char *out, size_t size)
{
	json_object *v;
	if (!json_object_object_get_ex(r->o, k, &v) || !json_object_is_type(v, json_type_string) ||
	    (size_t)json_object_get_string_len(v) >= size) {
		if (!r->bad)
			r->bad = k;
		out[0] = '\0';
		return out;
	}
	memcpy(out, json_object_get_string(v), (size_t)json_object_get_string_len(v) + 1);
	return out;
}

static int64_t get_int(struct reader *r, const char *k, int64_t lo, int64_t hi)
{
	json_object *v;
	if (!json_object_object_get_ex(r->o, k, &v) || !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < lo || json_object_get_int64(v) > hi) {
		if (!r->bad)
			r->bad = k;
		return lo;
	}
	return json_object_get_int64(v);
}

static bool get_bool(struct reader *r, const char *k)
{
	json_object *v;
	if (!json_object_object_get_ex(r->o, k, &v) || !json_object_is_type(v, json_type_boolean)) {
		if (!r->bad)
			r->bad = k;
		return false;
	}
	return json_object_get_boolean(v);
}

static json_object *parse_file(const char *path, char *err, size_t errlen)
{
	size_t len;
	char *text = paths_read_file(path, STATE_MAX, &len);
	if (!text) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	enum json_tokener_error jerr;
	json_object *o = json_tokener_parse_verbose(text, &jerr);
	free(text);
	if (!o || !json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "%s: corrupt (%s); not trusted", path,
			 o ? "not a JSON object" : json_tokener_error_desc(jerr));
		if (o)
			json_object_put(o);
		return NULL;
	}
	json_object *f;
	if (!json_object_object_get_ex(o, "format", &f) || !json_object_is_type(f, json_type_int) ||
	    json_object_get_int64(f) != REGISTRY_FORMAT) {
		snprintf(err, errlen,
			 "%s: registry format %s, this lockvm reads format %d; not trusted", path,
			 f ? json_object_to_json_string(f) : "missing", REGISTRY_FORMAT);
		json_object_put(o);
		return NULL;
	}
	return o;
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
			/* What reap hands to ovs-vsctl must be what lockvm wrote. */
			if (n.bad ||
			    (strcmp(rn->kind, "bridge") != 0 && strcmp(rn->kind, "ovs") != 0) ||
			    !netframe_ifname_valid(rn->bridge, NULL) ||
			    !netframe_ifname_valid(rn->tap, NULL) ||
			    strncmp(rn->tap, "lv-", 3) != 0 ||
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

static int state_path(const char *name, const char *leaf, char *out, size_t size)
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
	if (state_path(vm->name, "state.json", path, sizeof(path)) < 0)
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
	if (state_path(name, "lock", path, sizeof(path)) < 0)
		return -1;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int live = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	return live;
}

int registry_claim(const struct reg_vm *vm, int *lock_fd, char *err, size_t errlen)
{
	char dir[PATH_MAX], path[PATH_MAX + 8];
	if (paths_join(dir, sizeof(dir), PATHS_VMS_DIR, vm->name) < 0) {
		snprintf(err, errlen, "registry: path for '%s' too long", vm->name);
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
		snprintf(err, errlen, "a VM named '%s' is already running", vm->name);
		close(fd);
		return -1;
	}
	*lock_fd = fd;
	if (registry_save(vm) < 0) {
		snprintf(err, errlen, "registry: writing %s/state.json: %s", dir, strerror(errno));
		close(fd);
		*lock_fd = -1;
		return -1;
	}
	return 0;
}

void registry_remove(const char *name)
{
	char path[PATH_MAX];
	if (state_path(name, "state.json", path, sizeof(path)) == 0)
		unlink(path);
	if (state_path(name, "lock", path, sizeof(path)) == 0)
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

/* Appends one timestamped line to the VM's log (best effort). */
static void log_line(const char *name, const char *text)
{
	char path[PATH_MAX], file[PATHS_NAME_MAX + 8], stamp[32];
	snprintf(file, sizeof(file), "%s.log", name);
	if (paths_mkdir(PATHS_LOG_DIR) < 0 ||
	    paths_join(path, sizeof(path), PATHS_LOG_DIR, file) < 0)
		return;
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0)
		return;
	time_t now = time(NULL);
	struct tm tm;
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	dprintf(fd, "%s lockvm: %s\n", stamp, text);
	close(fd);
}

/* A dead supervisor's uid lease: removed once no one holds its lock
 * (uid_reserve() would reclaim it anyway; this keeps the directory true). */
static void drop_stale_uid_lease(uint32_t uid)
{
	char path[PATH_MAX], leaf[16];
	snprintf(leaf, sizeof(leaf), "%u", uid);
	if (paths_join(path, sizeof(path), "run/lockvm/uids", leaf) < 0)
		return;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		unlink(path);
	close(fd);
}

int registry_reap(void)
{
	char **names;
	size_t n;
	int reaped = 0;
	if (registry_names(&names, &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (registry_live(names[i]) != 0)
			continue;
		struct reg_vm vm;
		char err[PATH_MAX + 128];
		if (registry_load(names[i], &vm, err, sizeof(err)) < 0) {
			char state[PATH_MAX];
			/* An entry without state.json is a claim that never finished. */
			if (state_path(names[i], "state.json", state, sizeof(state)) == 0 &&
			    access(state, F_OK) < 0 && errno == ENOENT) {
				registry_remove(names[i]);
				continue;
			}
			warn_msg("registry: %s", err);
			continue;
		}
		images_release(vm.name);
		if (vm.uid)
			drop_stale_uid_lease(vm.uid);
		bool same_boot = vm.boot_id[0] && strcmp(vm.boot_id, registry_boot_id()) == 0;
		/* The OVS port record, and the tap if no VMM ever took it over (a
		 * tap of another boot's name would be someone else's). */
		if (vm.net.kind[0])
			net_release(&vm.net, same_boot, net_tap_owner(vm.uid));
		if (same_boot) {
			cgroup_destroy(&vm.cgroup);
			/* Its per-VM AppArmor profile, which only its supervisor
			 * would have removed; one never loaded is not an error. */
			char aerr[PATH_MAX];
			if (strcmp(vm.mac, "apparmor") == 0 && vm.profile[0] &&
			    apparmor_profile_remove(vm.profile, aerr, sizeof(aerr)) < 0 &&
			    !strstr(aerr, strerror(ENOENT)))
				warn_msg("registry: %s: %s", vm.name, aerr);
		}
		log_line(vm.name, vm.net.kind[0]
				      ? "supervisor gone; leftovers recovered (images "
					"restored, cgroup and AppArmor profile removed, "
					"NIC released)"
				      : "supervisor gone; leftovers recovered (images "
					"restored, cgroup and AppArmor profile removed)");
		registry_remove(vm.name);
		reaped++;
	}
	registry_names_free(names, n);
	return reaped;
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

/* ---- image records ---- */

struct image_user {
	char vm[PATHS_NAME_MAX + 1];
	char mode[8];
	char label[LABEL_MAX];
};

struct image_record {
	char path[REGISTRY_PATH_MAX];
	uint64_t dev, ino;
	char boot_id[40];
	uint32_t uid, gid, mode;
	char label[LABEL_MAX];
	int nusers;
	struct image_user users[64];
};

static int record_path(uint64_t dev, uint64_t ino, char *out, size_t size)
{
	char leaf[64];
	snprintf(leaf, sizeof(leaf), "%llx-%llx.json", (unsigned long long)dev,
		 (unsigned long long)ino);
	return paths_join(out, size, IMAGES_DIR, leaf);
}

static int record_load(const char *path, struct image_record *rec, char *err, size_t errlen)
{
	memset(rec, 0, sizeof(*rec));
	json_object *o = parse_file(path, err, errlen);
	if (!o)
		return -1;
	struct reader r = {.o = o};
	get_str(&r, "path", rec->path, sizeof(rec->path));
	rec->dev = (uint64_t)get_int(&r, "dev", 0, INT64_MAX);
	rec->ino = (uint64_t)get_int(&r, "ino", 0, INT64_MAX);
	get_str(&r, "boot_id", rec->boot_id, sizeof(rec->boot_id));
	rec->uid = (uint32_t)get_int(&r, "uid", 0, UINT32_MAX);
	rec->gid = (uint32_t)get_int(&r, "gid", 0, UINT32_MAX);
	rec->mode = (uint32_t)get_int(&r, "mode", 0, 07777);
	get_str(&r, "label", rec->label, sizeof(rec->label));
	json_object *users;
	if (json_object_object_get_ex(o, "users", &users) &&
	    json_object_is_type(users, json_type_array) && json_object_array_length(users) <= 64) {
		rec->nusers = (int)json_object_array_length(users);
		for (int i = 0; i < rec->nusers; i++) {
			struct reader u = {.o = json_object_array_get_idx(users, (size_t)i)};
			if (!json_object_is_type(u.o, json_type_object)) {
				r.bad = "users";
				continue;
			}
			get_str(&u, "vm", rec->users[i].vm, sizeof(rec->users[i].vm));
			get_str(&u, "mode", rec->users[i].mode, sizeof(rec->users[i].mode));
			get_str(&u, "label", rec->users[i].label, sizeof(rec->users[i].label));
			if (u.bad)
				r.bad = "users";
		}
	} else {
		r.bad = "users";
	}
	json_object_put(o);
	if (r.bad) {
		snprintf(err, errlen, "%s: field '%s' missing or invalid; not trusted", path,
			 r.bad);
		return -1;
	}
	return 0;
}

static int record_save(const char *path, const struct image_record *rec)
{
	json_object *o = json_object_new_object();
	add_int(o, "format", REGISTRY_FORMAT);
	add_str(o, "path", rec->path);
	add_int(o, "dev", (int64_t)rec->dev);
	add_int(o, "ino", (int64_t)rec->ino);
	add_str(o, "boot_id", rec->boot_id);
	add_int(o, "uid", rec->uid);
	add_int(o, "gid", rec->gid);
	add_int(o, "mode", rec->mode);
	add_str(o, "label", rec->label);
	json_object *users = json_object_new_array();
	for (int i = 0; i < rec->nusers; i++) {
		json_object *u = json_object_new_object();
		add_str(u, "vm", rec->users[i].vm);
		add_str(u, "mode", rec->users[i].mode);
		add_str(u, "label", rec->users[i].label);
		json_object_array_add(users, u);
	}
	json_object_object_add(o, "users", users);
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY);
	int rc = paths_write_state(path, text, strlen(text), 0600);
	json_object_put(o);
	return rc;
}

/* Drops the user `drop` (may be NULL) and every user whose VM is not live
 * (its supervisor died). */
static void record_prune(struct image_record *rec, const char *drop)
{
	int kept = 0;
	for (int i = 0; i < rec->nusers; i++) {
		const char *who = rec->users[i].vm;
		if ((drop && strcmp(who, drop) == 0) || registry_live(who) != 1)
			continue;
		rec->users[kept++] = rec->users[i];
	}
	rec->nusers = kept;
}

/* Puts the recorded owner, mode and label back, through a fresh fd on the
 * path that must still be the same file. */
static void record_restore(const struct image_record *rec)
{
	int fd = open(rec->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || (uint64_t)st.st_dev != rec->dev ||
	    (uint64_t)st.st_ino != rec->ino) {
		warn_msg("image %s: gone or replaced; its owner and label are not restored",
			 rec->path);
		if (fd >= 0)
			close(fd);
		return;
	}
	if (fchown(fd, rec->uid, rec->gid) < 0 || fchmod(fd, rec->mode) < 0)
		warn_errno("image %s: restoring owner %u:%u mode %o", rec->path, rec->uid, rec->gid,
			   rec->mode);
	if (rec->label[0] && label_file_set(fd, rec->label) < 0)
		warn_errno("image %s: restoring label %s", rec->path, rec->label);
	close(fd);
}

int images_take(int fd, const char *path, const char *vm, const char *mode, const char *label,
		uid_t uid, gid_t gid, char *err, size_t errlen)
{
	struct stat st;
	char rpath[PATH_MAX], lerr[PATH_MAX + 128];
	struct image_record rec;
	if (fstat(fd, &st) < 0 ||
	    record_path((uint64_t)st.st_dev, (uint64_t)st.st_ino, rpath, sizeof(rpath)) < 0) {
		snprintf(err, errlen, "disk %s: %s", path, strerror(errno));
		return -1;
	}
	bool have = access(rpath, F_OK) == 0;
	if (have && record_load(rpath, &rec, lerr, sizeof(lerr)) < 0) {
		snprintf(err, errlen, "disk %s: %s", path, lerr);
		return -1;
	}
	if (have && strcmp(rec.boot_id, registry_boot_id()) != 0)
		have = false; /* from another boot: stale, what the file is now is the original */
	if (have) {
		record_prune(&rec, NULL);
		for (int i = 0; i < rec.nusers; i++) {
			const struct image_user *u = &rec.users[i];
			bool both_shared =
			    strcmp(u->mode, "shared") == 0 && strcmp(mode, "shared") == 0;
			if (strcmp(u->label, label) != 0 && !both_shared) {
				snprintf(err, errlen,
					 "disk %s is in use by VM '%s' with label %s; refusing to "
					 "give it label %s (use ,shared on every VM to share it)",
					 path, u->vm, u->label[0] ? u->label : "(none)",
					 label[0] ? label : "(none)");
				return -1;
			}
		}
		if (rec.nusers == 0) /* last user died: put the original back first */
			record_restore(&rec);
	} else {
		memset(&rec, 0, sizeof(rec));
		if (strlen(path) >= sizeof(rec.path)) {
			snprintf(err, errlen, "disk path longer than %d characters",
				 REGISTRY_PATH_MAX - 1);
			return -1;
		}
		snprintf(rec.path, sizeof(rec.path), "%s", path);
		rec.dev = (uint64_t)st.st_dev;
		rec.ino = (uint64_t)st.st_ino;
		snprintf(rec.boot_id, sizeof(rec.boot_id), "%s", registry_boot_id());
		rec.uid = st.st_uid;
		rec.gid = st.st_gid;
		rec.mode = st.st_mode & 07777;
		if (label_file_get(fd, rec.label, sizeof(rec.label)) < 0) {
			snprintf(err, errlen, "disk %s: reading its label: %s", path,
				 strerror(errno));
			return -1;
		}
	}
	if (rec.nusers == (int)(sizeof(rec.users) / sizeof(rec.users[0]))) {
		snprintf(err, errlen, "disk %s: already used by %d VMs", path, rec.nusers);
		return -1;
	}
	/* A read-write disk becomes the VM's own (the first user's, for a
	 * group's shared image); read-only and shared disks keep their owner. */
	bool chown_it = uid != 0 && strcmp(mode, "rw") == 0 && rec.nusers == 0;
	if (chown_it && (fchown(fd, uid, gid) < 0 || fchmod(fd, 0600) < 0)) {
		snprintf(err, errlen, "disk %s: giving it to uid %u: %s", path, uid,
			 strerror(errno));
		record_restore(&rec);
		return -1;
	}
	if (label_file_set(fd, label) < 0) {
		snprintf(err, errlen, "disk %s: labelling it %s: %s", path, label, strerror(errno));
		record_restore(&rec);
		return -1;
	}
	struct image_user *u = &rec.users[rec.nusers++];
	snprintf(u->vm, sizeof(u->vm), "%s", vm);
	snprintf(u->mode, sizeof(u->mode), "%s", mode);
	snprintf(u->label, sizeof(u->label), "%s", label);
	if (record_save(rpath, &rec) < 0) {
		snprintf(err, errlen, "disk %s: writing %s: %s", path, rpath, strerror(errno));
		rec.nusers--;
		if (rec.nusers == 0)
			record_restore(&rec);
		return -1;
	}
	return 0;
}

/* Calls fn for every image record file. */
static void for_each_record(void (*fn)(const char *path, void *ctx), void *ctx)
{
	char **names, leaf[PATHS_NAME_MAX + 8], path[PATH_MAX];
	size_t n;
	if (paths_names(IMAGES_DIR, ".json", &names, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		snprintf(leaf, sizeof(leaf), "%s.json", names[i]); /* names are <= 64 */
		if (paths_join(path, sizeof(path), IMAGES_DIR, leaf) == 0)
			fn(path, ctx);
	}
	paths_names_free(names, n);
}

static void release_one(const char *path, void *ctx)
{
	const char *vm = ctx;
	struct image_record rec;
	char err[PATH_MAX + 128];
	if (record_load(path, &rec, err, sizeof(err)) < 0) {
		warn_msg("%s", err);
		return;
	}
	bool mine = false;
	for (int i = 0; i < rec.nusers; i++)
		if (strcmp(rec.users[i].vm, vm) == 0)
			mine = true;
	if (!mine)
		return;
	if (strcmp(rec.boot_id, registry_boot_id()) != 0) {
		unlink(path); /* another boot's record: not trusted to restore */
		return;
	}
	record_prune(&rec, vm);
	if (rec.nusers == 0) {
		record_restore(&rec);
		unlink(path);
	} else if (record_save(path, &rec) < 0) {
		warn_errno("writing %s", path);
	}
}

void images_release(const char *vm)
{
	for_each_record(release_one, (void *)vm);
}

struct users_query {
	const char *path;
	char (*users)[PATHS_NAME_MAX + 1];
	int max, n;
};

static void users_one(const char *rpath, void *ctx)
{
	struct users_query *q = ctx;
	struct image_record rec;
	char err[PATH_MAX + 128];
	if (record_load(rpath, &rec, err, sizeof(err)) < 0 || strcmp(rec.path, q->path) != 0)
		return;
	for (int i = 0; i < rec.nusers && q->n < q->max; i++)
		if (registry_live(rec.users[i].vm) == 1)
			snprintf(q->users[q->n++], PATHS_NAME_MAX + 1, "%s", rec.users[i].vm);
}

int images_users(const char *path, char users[][PATHS_NAME_MAX + 1], int max)
{
	struct users_query q = {.path = path, .users = users, .max = max};
	for_each_record(users_one, &q);
	return q.n;
}
