/* Shared by the probe's two halves: probe.c (supervisor side) and probe_vmm.c (confined side). */
#ifndef LOCKVM_PROBE_H
#define LOCKVM_PROBE_H

#include <stdbool.h>
#include <sys/types.h>

#define PROBE_SECRET_KEY "lockvm-probe-secret"
/* Every CLONE_NEW* flag that clone() (not clone3) accepts. */
#define PROBE_CLONE_NEW_MASK 0x7E020000ULL

struct probe_args {
	unsigned layers;
	pid_t victim;
	const char *unix_name;
	const char *cgroup_parent;
	bool wait;
	int kvm_fd; /* -1: no KVM check */
	int vm_fd;  /* a VM made through kvm_fd, or -1 */
	int vmm_policy_fd, vcpu_policy_fd; /* the shipped filters as BPF memfds */
	/* The Landlock actions' targets: a host directory the test prepared
	 * (see confine.sh) and a TCP port listening on 127.0.0.1. */
	const char *scratch_dir;
	unsigned tcp_port;
	const char *actions; /* comma-separated action names to run; NULL: all */
	char scratch[4096] __attribute__((aligned(4096)));
};

#endif
