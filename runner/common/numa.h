/* NUMA placement: node and CPU lists, host node checks (supervisor), binding guest RAM and threads (VMM). */
#ifndef LOCKVM_NUMA_H
#define LOCKVM_NUMA_H

#include <stdbool.h>
#include <stddef.h>

/* Nodes and CPUs numbered 0 .. NUMA_LIST_MAX-1 (the kernel's CPU_SETSIZE). */
#define NUMA_LIST_MAX	1024
#define NUMA_LIST_WORDS (NUMA_LIST_MAX / (8 * sizeof(unsigned long)))
#define NUMA_SYSFS_DIR	"/sys/devices/system/node"

/* A set of node or CPU numbers, as the kernel's bitmaps. */
struct numa_set {
	unsigned long bits[NUMA_LIST_WORDS];
};

/* Parses a list such as "0", "0,2" or "0-3,8" (the kernel's cpulist
 * format). Returns 0, or -1 when malformed, empty or a number is
 * NUMA_LIST_MAX or more. */
int numa_parse_list(const char *text, struct numa_set *out);

/* Formats a set as a list ("0-3,8"); "" for an empty set. */
void numa_format_list(const struct numa_set *set, char *out, size_t len);

bool numa_set_has(const struct numa_set *set, unsigned n);
bool numa_set_empty(const struct numa_set *set);

/*
 * Supervisor side: checks every node of `nodes` is online and has memory
 * under sysfs_dir (NUMA_SYSFS_DIR; tests pass their own), and collects the
 * CPUs of those nodes into *cpus. Returns 0, or -1 with a one-line reason
 * for the user in err.
 */
int numa_check_nodes(const char *sysfs_dir, const struct numa_set *nodes, struct numa_set *cpus,
		     char *err, size_t errlen);

/*
 * VMM side, during setup (before seccomp): binds [addr, addr+len) to
 * `nodes` (mbind MPOL_BIND), makes MPOL_BIND the policy of the VMM's own
 * later allocations, and pins the calling thread to `cpus`; threads
 * created afterwards (the vCPUs) inherit both. Returns 0, or -1 with the
 * failed call in err.
 */
int numa_bind(void *addr, size_t len, const struct numa_set *nodes, const struct numa_set *cpus,
	      char *err, size_t errlen);

#endif
