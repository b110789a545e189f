/* An OCI bundle's config.json, checked whole before any of it is used. */
#ifndef LOCKVM_OCI_CONFIG_H
#define LOCKVM_OCI_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ident.h"

#define OCI_MAX_ARGS	   256
#define OCI_MAX_ENV	   30 /* lockvm run takes 32 --env; PATH and HOME may be added */
#define OCI_MAX_HOOKS	   16 /* per kind */
#define OCI_MAX_CONFIG	   (4u << 20)
#define OCI_MAX_STRING	   4096
#define OCI_MAX_ANNOTATION 64
#define OCI_MAX_VOLUMES	   8	 /* bind mounts of directories: lockvm run --volume */
#define OCI_MAX_TMPFS	   7	 /* tmpfs mounts: lockvm run --tmpfs (7 besides /tmp) */
#define OCI_NETNS_PATH_MAX 256	 /* lockvm run's --net netns= (net.h) */
#define OCI_RESOLV_MAX	   65536 /* the most of a resolv.conf that is read */

enum oci_hook_kind {
	OCI_HOOK_PRESTART,
	OCI_HOOK_CREATE_RUNTIME,
	OCI_HOOK_CREATE_CONTAINER,
	OCI_HOOK_START_CONTAINER,
	OCI_HOOK_POSTSTART,
	OCI_HOOK_POSTSTOP,
	OCI_HOOK_KINDS,
};

struct oci_hook {
	const char *path;
	const char *args[OCI_MAX_ARGS + 1];
	const char *env[OCI_MAX_ENV + 1];
	int timeout_s; /* 0: none */
};

/* One process.rlimits entry, as lockvm run --rlimit takes it. */
struct oci_rlimit {
	unsigned resource; /* Linux's number (ident.h) */
	uint64_t soft, hard;
};

struct oci_annotation {
	const char *key, *value;
};

/* A bind mount of a host directory: lockvm run --volume SOURCE:DESTINATION[:ro]. */
struct oci_volume {
	const char *source, *destination;
	bool ro;
};

/* A tmpfs mount the VM makes itself: lockvm run --tmpfs DESTINATION[:size=N]. */
struct oci_tmpfs {
	const char *destination;
	uint64_t size; /* bytes; 0: lockvm's default */
};

/* What lockvm honours of a config.json. Strings point into the parsed
 * document (oci_config_free releases both). */
struct oci_config {
	void *doc; /* the json-c document */
	const char *args[OCI_MAX_ARGS + 1];
	int argc;
	const char *env[OCI_MAX_ENV + 1];
	int envc;
	const char *cwd;
	uint32_t uid, gid; /* process.user: the VM's view (--user) */
	uint32_t groups[IDENT_MAX_GROUPS];
	int ngroups;
	struct oci_rlimit rlimits[IDENT_RLIMITS];
	int rlimit_count;
	bool terminal;
	unsigned console_rows, console_cols;
	int oom_score_adj;
	bool oom_score_adj_set;
	const char *root_path;
	bool root_readonly;
	const char *hostname;
	const char *netns_path;	   /* linux.namespaces network path: --net netns=PATH,adopt */
	const char *resolv_source; /* the bind mount's source for /etc/resolv.conf: --dns */
	bool cri_sandbox;	   /* a Kubernetes pod's sandbox (pause) container: no NIC */
	/* A pod's container (CRI's io.kubernetes.cri.sandbox-id): its pod's
	 * sandbox, whose namespaces it names as /proc/PID/ns/TYPE (oci_pod.c) */
	const char *cri_sandbox_id;
	/* linux.namespaces paths of the form /proc/PID/ns/TYPE for ipc, uts
	 * and pid: only a pod's sandbox's are taken (oci_pod_resolve) */
	const char *ipc_ns_path, *uts_ns_path, *pid_ns_path;
	const char *selinux_label;
	const char *apparmor_profile; /* the engine's, stacked on lockvm-<uuid> (checked) */
	uint64_t mem_limit;	      /* linux.resources.memory.limit, 0: none */
	uint64_t cpu_quota;	      /* linux.resources.cpu.quota (µs), 0: none */
	uint64_t cpu_period;	      /* µs; 100000 when unset */
	uint64_t cpu_shares;	/* linux.resources.cpu.shares: the VM's --cpu-shares; 0: unset */
	const char *vm_mem;	/* io.lockvm.mem */
	const char *vm_seccomp; /* io.lockvm.seccomp */
	const char *vm_vcpus;	/* io.lockvm.vcpus: 1 to 8 (checked) */
	const char *vm_record;	/* io.lockvm.record: an absolute host path, the VM's --record */
	int64_t pids_limit;	/* linux.resources.pids.limit: the VM's --pids; 0: unset */
	struct oci_hook hooks[OCI_HOOK_KINDS][OCI_MAX_HOOKS];
	int hook_count[OCI_HOOK_KINDS];
	struct oci_annotation annotations[OCI_MAX_ANNOTATION];
	int annotation_count;
	struct oci_volume volumes[OCI_MAX_VOLUMES];
	int volume_count;
	struct oci_tmpfs tmpfs[OCI_MAX_TMPFS];
	int tmpfs_count;
};

/* The spec's hook kinds by enum oci_hook_kind, NULL-terminated. */
extern const char *const oci_hook_names[OCI_HOOK_KINDS + 1];

/* The spec's name of a hook kind ("prestart", ...). */
const char *oci_hook_name(enum oci_hook_kind kind);

/*
 * Parses and checks config.json text (len bytes, need not be terminated).
 * Every field is known to lockvm and either honoured or one the README
 * lists as not needing anything in a VM; anything else refuses. Returns 0,
 * or -1 with one line naming the field in err. Touches no file.
 */
int oci_config_parse(const char *text, size_t len, struct oci_config *cfg, char *err,
		     size_t errlen);

void oci_config_free(struct oci_config *cfg);

/*
 * The first IPv4 "nameserver" of resolv.conf text (len bytes, need not be
 * terminated; an engine's file, read with a bound): its dotted form in
 * out (INET_ADDRSTRLEN bytes). Loopback servers are skipped (the VM's own
 * loopback serves no names), and so are IPv6 ones. 0, or -1: none.
 */
int oci_resolv_nameserver(const char *text, size_t len, char *out, size_t outlen);
/* `exec --process FILE`: an OCI process object, checked as config.json's
 * `process` is (the fields of cfg it fills); free with oci_config_free. */
int oci_process_parse(const char *text, size_t len, struct oci_config *cfg, char *err,
		      size_t errlen);

#endif
