/* Per-VM cgroup lockvm/<name>: memory, pids and cpu limits, on cgroup v2 or v1. */
#ifndef LOCKVM_CGROUP_H
#define LOCKVM_CGROUP_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define CGROUP_DEFAULT_FS_ROOT "/sys/fs/cgroup"
#define CGROUP_DEFAULT_PARENT  "lockvm"
#define CGROUP_NAME_MAX	       64
#define CGROUP_CPU_PERIOD_US   100000 /* the kernel's default CFS period */

/* The controllers lockvm uses, each in its own v1 hierarchy or all in v2. */
enum cgroup_controller { CGROUP_MEMORY, CGROUP_PIDS, CGROUP_CPU, CGROUP_NR_CONTROLLERS };

struct cgroup_limits {
	uint64_t memory_bytes; /* 0: no limit; else guest RAM plus the VMM's overhead */
	uint64_t pids_max;     /* 0: no limit */
	uint64_t cpu_quota_us; /* 0: no quota; else runtime per cpu_period_us */
	uint64_t cpu_period_us;
	uint64_t cpu_shares; /* 0: the kernel's default; else v1 cpu.shares (2-262144), v2
				cpu.weight converted as runc and crun do */
};

/*
 * A created cgroup. v2: one directory (dir[0]); v1: one directory per
 * controller (dir[CGROUP_MEMORY] ...), "" for a controller not in use.
 */
struct cgroup {
	bool v2;
	char dir[CGROUP_NR_CONTROLLERS][PATH_MAX];
};

/*
 * Creates <fs_root>/<parent>/<name> (v2, when <fs_root>'s or
 * <fs_root>/unified's cgroup.controllers lists every controller needed) or
 * the same path under each v1 controller directory, and writes the limits.
 * fs_root NULL means CGROUP_DEFAULT_FS_ROOT for v2, and for v1 each
 * controller's mount point from /proc/self/mountinfo, wherever it is (a
 * controller mounted nowhere is refused with one line saying how to run
 * lockvm instead); a given fs_root has <fs_root>/<controller> for v1.
 * parent NULL means CGROUP_DEFAULT_PARENT
 * (tests pass their own). name and parent: 1..64 of [A-Za-z0-9_.-], not
 * "." or "..". The cgroup must not exist yet. Returns 0, or -1 with errno
 * and a message already printed; nothing is left behind on failure.
 */
int cgroup_create(struct cgroup *cg, const char *fs_root, const char *parent, const char *name,
		  const struct cgroup_limits *limits);

/*
 * The mount point of the cgroup v1 hierarchy carrying controller ("memory",
 * "pids", "cpu"), read from mountinfo (/proc/self/mountinfo): a mount of
 * type cgroup whose options name it, mounted at its root if one is. Returns
 * 0 with the path in out[len], or -1 with errno (ENOENT: not mounted).
 */
int cgroup_v1_mount_point(const char *mountinfo, const char *controller, char *out, size_t len);

/* Moves process pid (0: the caller, which works from inside a new pid
 * namespace too) into every directory of cg. Returns 0 or -1 with errno. */
int cgroup_attach(const struct cgroup *cg, pid_t pid);

/* Moves the caller into every directory of cg; works from inside a new pid
 * namespace. The caller must have one thread (sandbox_enter_child, a fresh
 * clone): under cgroup v1 only the calling thread moves, which is cheaper
 * than moving a process (cgroup.c says why). Returns 0 or -1 with errno. */
int cgroup_attach_self(const struct cgroup *cg);

/* Reads memory use in bytes (memory.current / memory.usage_in_bytes) and the
 * number of tasks (pids.current). Returns 0 or -1 with errno. */
int cgroup_usage(const struct cgroup *cg, uint64_t *memory_bytes, uint64_t *pids);

/*
 * The memory limit of a VM with guest_ram bytes of RAM: the RAM itself plus
 * the VMM's overhead, CGROUP_VMM_OVERHEAD (the VMM's own code, heap, thread
 * stacks and KVM's per-VM and per-vCPU kernel memory) and 1/256 of the RAM
 * (the host's and KVM's page tables for it, 8 bytes per 4 KiB page each).
 */
#define CGROUP_VMM_OVERHEAD (64ULL << 20)
uint64_t cgroup_vm_memory_limit(uint64_t guest_ram);

/* How many times the kernel's OOM killer killed a task of cg because the
 * cgroup hit its memory limit (v1 memory.oom_control, v2 memory.events
 * "oom_kill"). Call it before cgroup_destroy(). Returns 0 or -1 with errno. */
int cgroup_oom_kills(const struct cgroup *cg, uint64_t *kills);

/*
 * Kills whatever is still in cg (SIGKILL to every pid in cgroup.procs,
 * repeated until empty, at most ~1 s) and removes its directories. Call it
 * after the VMM has been reaped. Returns 0 or -1 (message printed).
 */
int cgroup_destroy(struct cgroup *cg);

/* Converts a --cpus value ("0.5", "2", up to 3 decimals) to a quota for
 * period_us. Returns 0 or -1 when malformed, zero or above 1024 CPUs. */
/* The relative CPU weight a VM gets under contention (--cpu-shares, an OCI
 * bundle's linux.resources.cpu.shares): the bounds of cgroup v1's cpu.shares. */
#define CGROUP_CPU_SHARES_MIN 2
#define CGROUP_CPU_SHARES_MAX 262144

/* cgroup v2's cpu.weight (1-10000) for a v1 cpu.shares value (2-262144), the
 * mapping runc and crun use: 2 is 1, 262144 is 10000, the default 1024 is 39. */
uint64_t cgroup_shares_to_weight(uint64_t shares);
/* A --cpu-shares value (`run`, a definition's cpu_shares): 0, or -1 with
 * why (the bounds). */
int cgroup_shares_parse(const char *text, uint64_t *shares, char *why, size_t len);

int cgroup_cpus_to_quota(const char *cpus, uint64_t period_us, uint64_t *quota_us);

/* True when name is a safe single path component for a cgroup. */
bool cgroup_name_valid(const char *name);

#endif
