/* config.json's mounts and linux sections: what a VM maps, what it has no use for, what it refuses. */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "launch.h"
#include "oci_config_internal.h"
#include "oci_json.h"
#include "util.h"

/* File systems the VM has its own of: nothing of the host's is mounted. */
static const char *const vm_own_types[] = {"proc",   "sysfs",	"devpts", "mqueue",
					   "cgroup", "cgroup2", "tmpfs",  NULL};

/* Files every engine bind-mounts for its own bookkeeping (name resolution,
 * the container's name, podman's marker, Kubernetes' termination log). The
 * VM shows the image's own copies, but for /etc/resolv.conf, which lockvm
 * run generates from --dns (its first name server); README lists them. */
static const char *const engine_plumbing[] = {
    "/etc/hosts",
    "/etc/hostname",
    "/etc/resolv.conf",
    "/run/.containerenv",
    "/dev/shm",
    "/dev/termination-log",
    NULL,
};

static bool in_list(const char *s, const char *const *list)
{
	for (; s && *list; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

/* The host's root and its kernel views are never shown to a VM. */
static bool host_kernel_path(const char *src)
{
	static const char *const views[] = {"/proc", "/sys", "/dev"};
	if (strcmp(src, "/") == 0 || strspn(src, "/") == strlen(src))
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(views); i++) {
		size_t n = strlen(views[i]);
		if (strncmp(src, views[i], n) == 0 && (src[n] == '\0' || src[n] == '/'))
			return true;
	}
	return false;
}

/* A bind mount that becomes a volume: lockvm run checks the rest (a
 * directory, GUEST plain and not the VM's own, no nesting). */
static int add_volume(struct oci_config *cfg, const char *where, const char *src, const char *dest,
		      const char *const *opts, int nopts, char *err, size_t errlen)
{
	if (cfg->volume_count == OCI_MAX_VOLUMES)
		return err_fmt(err, errlen, "%s: at most %d bind mounts", where, OCI_MAX_VOLUMES);
	if (strchr(src, ':') || strchr(dest, ':') || strchr(src, ',') || strchr(dest, ','))
		return err_fmt(err, errlen, "%s: a ':' or ',' in a bind mount's paths", where);
	bool ro = false;
	for (int k = 0; k < nopts; k++)
		ro |= strcmp(opts[k], "ro") == 0;
	cfg->volumes[cfg->volume_count++] =
	    (struct oci_volume){.source = src, .destination = dest, .ro = ro};
	return 0;
}

/* A tmpfs at a directory of the image (/run, or the engine's --tmpfs
 * DIR) becomes the VM's own --tmpfs; /tmp is always one, and /dev, /proc
 * and /sys are the VMM's own. lockvm run checks the path's form. */
static int add_tmpfs(struct oci_config *cfg, const char *where, const char *dest,
		     const char *const *opts, int nopts, char *err, size_t errlen)
{
	static const char *const vm_own[] = {"/tmp", "/dev", "/proc", "/sys"};
	for (size_t i = 0; i < ARRAY_SIZE(vm_own); i++) {
		size_t n = strlen(vm_own[i]);
		if (strncmp(dest, vm_own[i], n) == 0 && (dest[n] == '\0' || dest[n] == '/'))
			return 0;
	}
	if (strcmp(dest, "/") == 0 || strchr(dest, ':') || strchr(dest, ','))
		return err_fmt(err, errlen,
			       "%s.destination: %.64s: not a directory a tmpfs can cover", where,
			       dest);
	if (cfg->tmpfs_count == OCI_MAX_TMPFS)
		return err_fmt(err, errlen, "%s: at most %d tmpfs mounts", where, OCI_MAX_TMPFS);
	uint64_t size = 0;
	for (int k = 0; k < nopts; k++)
		if (strncmp(opts[k], "size=", 5) == 0 &&
		    (parse_size(opts[k] + 5, &size) < 0 || size < 4096 || size > (1ULL << 40)))
			return err_fmt(err, errlen, "%s.options: %.32s: want a size of 4K to 1T",
				       where, opts[k]);
	cfg->tmpfs[cfg->tmpfs_count++] = (struct oci_tmpfs){.destination = dest, .size = size};
	return 0;
}

static int check_mount(json_object *m, size_t i, struct oci_config *cfg, char *err, size_t errlen)
{
	static const char *const known[] = {"destination", "source",	  "type", "options",
					    "uidMappings", "gidMappings", NULL};
	const char *dest, *src, *type, *opts[65];
	int nopts;
	char where[48];
	snprintf(where, sizeof(where), "mounts[%zu]", i);
	if (!json_object_is_type(m, json_type_object))
		return err_fmt(err, errlen, "%s: want an object", where);
	if (ojson_keys_known(m, where, known, err, errlen) < 0 ||
	    ojson_string(m, "destination", where, &dest, err, errlen) < 0 ||
	    ojson_string(m, "source", where, &src, err, errlen) < 0 ||
	    ojson_string(m, "type", where, &type, err, errlen) < 0 ||
	    ojson_strings(m, "options", where, opts, 64, &nopts, err, errlen) < 0 ||
	    ojson_refuse_set(m, "uidMappings", where, "a VM has its own ids", err, errlen) < 0 ||
	    ojson_refuse_set(m, "gidMappings", where, "a VM has its own ids", err, errlen) < 0)
		return -1;
	if (!dest || dest[0] != '/')
		return err_fmt(err, errlen, "%s.destination: want an absolute path", where);
	bool bind = type && (strcmp(type, "bind") == 0 || strcmp(type, "rbind") == 0);
	for (int k = 0; k < nopts; k++)
		bind |= strcmp(opts[k], "bind") == 0 || strcmp(opts[k], "rbind") == 0;
	if (bind) {
		if (!src || src[0] != '/')
			return err_fmt(err, errlen,
				       "%s.source: a bind mount wants an absolute path", where);
		if (host_kernel_path(src))
			return err_fmt(
			    err, errlen,
			    "%s.source: %.64s: the host's root, /proc, /sys and /dev are "
			    "never shown to a VM",
			    where, src);
		/* the engine's name server becomes the VM's --dns */
		if (strcmp(dest, "/etc/resolv.conf") == 0)
			cfg->resolv_source = src;
		if (in_list(dest, engine_plumbing))
			return 0;
		return add_volume(cfg, where, src, dest, opts, nopts, err, errlen);
	}
	if (type && strcmp(type, "tmpfs") == 0)
		return add_tmpfs(cfg, where, dest, opts, nopts, err, errlen);
	if (in_list(type, vm_own_types))
		return 0;
	return err_fmt(err, errlen, "%s.type: %.32s: not a file system a VM has", where,
		       type ? type : "(none)");
}

int oci_check_mounts(json_object *doc, struct oci_config *cfg, char *err, size_t errlen)
{
	bool bad = false;
	json_object *mounts =
	    ojson_get(doc, "mounts", json_type_array, "config", &bad, err, errlen);
	if (bad)
		return -1;
	size_t n = mounts ? json_object_array_length(mounts) : 0;
	if (n > 256)
		return err_fmt(err, errlen, "mounts: %zu entries, at most 256", n);
	for (size_t i = 0; i < n; i++)
		if (check_mount(json_object_array_get_idx(mounts, i), i, cfg, err, errlen) < 0)
			return -1;
	return 0;
}

/* /proc/PID/ns/TYPE for an ipc, uts or pid namespace: how containerd's
 * CRI names a pod's namespaces in each of its containers (PID is the pod's
 * sandbox container's). Any other path of those types is refused here. */
static bool proc_ns_path(const char *path, const char *type)
{
	if (strcmp(type, "ipc") != 0 && strcmp(type, "uts") != 0 && strcmp(type, "pid") != 0)
		return false;
	const char *p = path;
	if (strncmp(p, "/proc/", 6) != 0)
		return false;
	p += 6;
	size_t digits = strspn(p, "0123456789");
	if (digits == 0 || digits > 10 || p[0] == '0')
		return false;
	p += digits;
	return strncmp(p, "/ns/", 4) == 0 && strcmp(p + 4, type) == 0;
}

/* Namespaces without a path are the VM's own; joining a host one has no
 * meaning for a VM, but for the network: the engine's namespace is where
 * the VM's tap is made (lockvm run --net netns=PATH). */
static int check_namespaces(json_object *linux_obj, struct oci_config *cfg, char *err,
			    size_t errlen)
{
	static const char *const types[] = {"pid",  "network", "mount", "ipc", "uts",
					    "user", "cgroup",  "time",	NULL};
	static const char *const known[] = {"type", "path", NULL};
	bool bad = false;
	json_object *list =
	    ojson_get(linux_obj, "namespaces", json_type_array, "linux", &bad, err, errlen);
	if (bad)
		return -1;
	for (size_t i = 0; list && i < json_object_array_length(list); i++) {
		json_object *ns = json_object_array_get_idx(list, i);
		const char *type, *path;
		if (!json_object_is_type(ns, json_type_object))
			return err_fmt(err, errlen, "linux.namespaces[%zu]: want an object", i);
		if (ojson_keys_known(ns, "linux.namespaces[]", known, err, errlen) < 0 ||
		    ojson_string(ns, "type", "linux.namespaces[]", &type, err, errlen) < 0 ||
		    ojson_string(ns, "path", "linux.namespaces[]", &path, err, errlen) < 0)
			return -1;
		if (!in_list(type, types))
			return err_fmt(err, errlen, "linux.namespaces[%zu].type: unknown", i);
		if (path && path[0] && strcmp(type, "network") == 0) {
			if (path[0] != '/' || strlen(path) >= OCI_NETNS_PATH_MAX)
				return err_fmt(err, errlen,
					       "linux.namespaces[%zu] (network).path: want an "
					       "absolute path under %d bytes",
					       i, OCI_NETNS_PATH_MAX);
			cfg->netns_path = path;
		} else if (path && path[0] && proc_ns_path(path, type)) {
			/* a pod's namespace, if it is the pod's sandbox's (oci_pod.c) */
			if (strcmp(type, "ipc") == 0)
				cfg->ipc_ns_path = path;
			else if (strcmp(type, "uts") == 0)
				cfg->uts_ns_path = path;
			else
				cfg->pid_ns_path = path;
		} else if (path && path[0]) {
			return err_fmt(err, errlen,
				       "linux.namespaces[%zu] (%s).path: a VM cannot join a host "
				       "namespace",
				       i, type);
		}
	}
	return 0;
}

static int parse_memory(json_object *res, struct oci_config *cfg, char *err, size_t errlen)
{
	bool bad = false, set;
	json_object *mem =
	    ojson_get(res, "memory", json_type_object, "linux.resources", &bad, err, errlen);
	if (bad)
		return -1;
	static const char *const known[] = {"limit",
					    "reservation",
					    "swap",
					    "kernel",
					    "kernelTCP",
					    "swappiness",
					    "disableOOMKiller",
					    "useHierarchy",
					    "checkBeforeUpdate",
					    NULL};
	int64_t v = 0;
	const char *w = "linux.resources.memory";
	if (ojson_keys_known(mem, w, known, err, errlen) < 0 ||
	    ojson_int(mem, "limit", w, -1, INT64_MAX, &v, &set, err, errlen) < 0)
		return -1;
	/* At least what a VM needs, at most what lockvm gives one (256G). */
	if (set && v > 0 && (v < (16 << 20) || v > (256LL << 30)))
		return err_fmt(err, errlen, "%s.limit: %lld bytes is outside 16M-256G", w,
			       (long long)v);
	cfg->mem_limit = set && v > 0 ? (uint64_t)v : 0;
	/* The others shape a host process's memory; a VM's is one fixed mapping. */
	static const char *const numbers[] = {"reservation", "swap", "kernel", "kernelTCP",
					      "swappiness"};
	for (size_t i = 0; i < ARRAY_SIZE(numbers); i++)
		if (ojson_int(mem, numbers[i], w, -1, INT64_MAX, &v, &set, err, errlen) < 0)
			return -1;
	return ojson_refuse_set(mem, "disableOOMKiller", w,
				"a VM over its limit is stopped (exit 126)", err, errlen);
}

static int parse_cpu(json_object *res, struct oci_config *cfg, char *err, size_t errlen)
{
	bool bad = false, set, pset;
	json_object *cpu =
	    ojson_get(res, "cpu", json_type_object, "linux.resources", &bad, err, errlen);
	if (bad)
		return -1;
	static const char *const known[] = {
	    "shares",	      "quota", "burst", "period", "realtimeRuntime",
	    "realtimePeriod", "cpus",  "mems",	"idle",	  NULL};
	const char *w = "linux.resources.cpu";
	int64_t quota = 0, period = 100000, shares = 0;
	if (ojson_keys_known(cpu, w, known, err, errlen) < 0 ||
	    ojson_int(cpu, "quota", w, -1, INT64_MAX, &quota, &set, err, errlen) < 0 ||
	    ojson_int(cpu, "period", w, 1000, 1000000, &period, &pset, err, errlen) < 0 ||
	    ojson_int(cpu, "shares", w, 0, 262144, &shares, &set, err, errlen) < 0)
		return -1;
	if (!pset)
		period = 100000;
	/* lockvm's --cpus takes up to 1024 CPUs' worth. */
	if (quota > 0 && (quota < 1000 || quota / period > 1024))
		return err_fmt(err, errlen,
			       "%s.quota: %lld us per %lld us is not a CPU share lockvm "
			       "gives",
			       w, (long long)quota, (long long)period);
	cfg->cpu_quota = quota > 0 ? (uint64_t)quota : 0;
	cfg->cpu_period = (uint64_t)period;
	/* The VM's --cpu-shares; 1 is 2, the least cgroup v1 keeps, as the
	 * kernel itself rounds it. */
	cfg->cpu_shares = shares == 1 ? 2 : (uint64_t)shares;
	static const char *const refused[] = {
	    "burst", "realtimeRuntime", "realtimePeriod", "cpus", "mems", "idle"};
	for (size_t i = 0; i < ARRAY_SIZE(refused); i++)
		if (ojson_refuse_set(cpu, refused[i], w, "use quota and period", err, errlen) < 0)
			return -1;
	return 0;
}

static int parse_resources(json_object *linux_obj, struct oci_config *cfg, char *err, size_t errlen)
{
	bool bad = false, set;
	json_object *res =
	    ojson_get(linux_obj, "resources", json_type_object, "linux", &bad, err, errlen);
	if (bad)
		return -1;
	static const char *const known[] = {"devices",	      "memory",	 "cpu",	 "blockIO",
					    "hugepageLimits", "network", "pids", "rdma",
					    "unified",	      NULL};
	static const char *const pid_keys[] = {"limit", NULL};
	const char *w = "linux.resources";
	json_object *pids = ojson_get(res, "pids", json_type_object, w, &bad, err, errlen);
	json_object *devices = ojson_get(res, "devices", json_type_array, w, &bad, err, errlen);
	int64_t limit;
	if (bad || ojson_keys_known(res, w, known, err, errlen) < 0 ||
	    ojson_keys_known(pids, "linux.resources.pids", pid_keys, err, errlen) < 0 ||
	    ojson_int(pids, "limit", "linux.resources.pids", -1, INT64_MAX, &limit, &set, err,
		      errlen) < 0)
		return -1;
	(void)devices; /* the device cgroup: a VM opens no host device */
	/* The processes the job may have: the VM's own limit (--pids, fork
	 * answers EAGAIN past it), not the VMM's cgroup, whose threads are
	 * lockvm's. 0 or -1 (unlimited) leave lockvm's default. */
	if (set && limit > 0) {
		if (limit > LAUNCH_MAX_PIDS)
			return err_fmt(err, errlen,
				       "linux.resources.pids.limit: at most %d in a lockvm VM",
				       LAUNCH_MAX_PIDS);
		cfg->pids_limit = limit;
	}
	if (parse_memory(res, cfg, err, errlen) < 0 || parse_cpu(res, cfg, err, errlen) < 0)
		return -1;
	static const char *const refused[] = {"blockIO", "hugepageLimits", "network", "rdma",
					      "unified"};
	for (size_t i = 0; i < ARRAY_SIZE(refused); i++)
		if (ojson_refuse_set(res, refused[i], w, "no such control for a lockvm VM", err,
				     errlen) < 0)
			return -1;
	return 0;
}

int oci_parse_linux(json_object *doc, struct oci_config *cfg, char *err, size_t errlen)
{
	bool bad = false;
	json_object *l = ojson_get(doc, "linux", json_type_object, "config", &bad, err, errlen);
	if (bad)
		return -1;
	static const char *const known[] = {
	    "namespaces",    "uidMappings", "gidMappings",	 "timeOffsets",
	    "devices",	     "cgroupsPath", "rootfsPropagation", "resources",
	    "intelRdt",	     "sysctl",	    "seccomp",		 "maskedPaths",
	    "readonlyPaths", "mountLabel",  "personality",	 NULL,
	};
	const char *text;
	if (ojson_keys_known(l, "linux", known, err, errlen) < 0 ||
	    check_namespaces(l, cfg, err, errlen) < 0 || parse_resources(l, cfg, err, errlen) < 0 ||
	    ojson_string(l, "cgroupsPath", "linux", &text, err, errlen) < 0 ||
	    ojson_string(l, "rootfsPropagation", "linux", &text, err, errlen) < 0 ||
	    ojson_string(l, "mountLabel", "linux", &text, err, errlen) < 0)
		return -1;
	/* Superseded in a VM (README, "Fields a VM has no use for"): the
	 * program's calls never reach the host kernel, so its seccomp filter,
	 * masked and read-only host paths and sysctls have nothing to act on. */
	static const char *const superseded[][2] = {
	    {"seccomp", "object"},
	    {"maskedPaths", "array"},
	    {"readonlyPaths", "array"},
	    {"sysctl", "object"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(superseded); i++) {
		json_type t = superseded[i][1][0] == 'o' ? json_type_object : json_type_array;
		(void)ojson_get(l, superseded[i][0], t, "linux", &bad, err, errlen);
		if (bad)
			return -1;
	}
	if (ojson_refuse_set(l, "uidMappings", "linux", "a VM has its own ids", err, errlen) < 0 ||
	    ojson_refuse_set(l, "gidMappings", "linux", "a VM has its own ids", err, errlen) < 0 ||
	    ojson_refuse_set(l, "timeOffsets", "linux", "the VM's clocks are the host's", err,
			     errlen) < 0 ||
	    ojson_refuse_set(l, "devices", "linux", "a VM opens no host device", err, errlen) < 0 ||
	    ojson_refuse_set(l, "intelRdt", "linux", "no cache allocation for a VM", err, errlen) <
		0 ||
	    ojson_refuse_set(l, "personality", "linux", "the VM runs x86-64 programs only", err,
			     errlen) < 0)
		return -1;
	return 0;
}
