/* What a running VM really is, as the kernel shows it from outside (/proc of its VMM, its cgroup, its disks): one observation shared by `lockvm inspect` and `lockvm audit vm`. */
#ifndef LOCKVM_OBSERVE_H
#define LOCKVM_OBSERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "label.h"
#include "memstat.h"
#include "nic.h"
#include "registry.h"

/* The /proc/PID/status fields observed, in the order inspect shows them
 * (Groups last: audit only). */
enum observe_status {
	OBSERVE_UID,
	OBSERVE_GID,
	OBSERVE_CAP_INH,
	OBSERVE_CAP_PRM,
	OBSERVE_CAP_EFF,
	OBSERVE_CAP_BND,
	OBSERVE_CAP_AMB,
	OBSERVE_NO_NEW_PRIVS,
	OBSERVE_SECCOMP,
	OBSERVE_SECCOMP_FILTERS,
	OBSERVE_GROUPS,
	OBSERVE_NR_STATUS
};

/* Their keys in status: "Uid", "CapEff", ... */
extern const char *const observe_status_keys[OBSERVE_NR_STATUS];

/* The namespaces observed: mnt pid net ipc uts cgroup user. */
#define OBSERVE_NR_NS 7
extern const char *const observe_ns_names[OBSERVE_NR_NS];

/* The cgroup files observed (inspect's "cgroup" section), each read from
 * the controller's directory (v2: the one directory). */
#define OBSERVE_NR_CGFILES 10
extern const char *const observe_cgfile_names[OBSERVE_NR_CGFILES];

struct observed_thread {
	char tid[256];
	char name[64];		   /* comm; "" when unreadable */
	char seccomp[256];	   /* its status "Seccomp"; "" when absent */
	char seccomp_filters[256]; /* "Seccomp_filters" */
};

struct observed_disk {
	bool present; /* it opened and fstat worked; else nothing below is set */
	uid_t uid;
	gid_t gid;
	unsigned mode;	       /* permission bits */
	int label_rc;	       /* label_file_get(): 0, or -1 */
	char label[LABEL_MAX]; /* its file label now; "" when unread */
};

/* Every string is "" when the kernel did not show it (process gone,
 * no permission, controller absent). */
struct vm_observation {
	long pid;		    /* the VMM (the record's vmm_pid) */
	char live_label[LABEL_MAX]; /* procfs_mac_label() */
	char status[OBSERVE_NR_STATUS][256];
	struct observed_thread *threads; /* every thread under /proc/PID/task */
	size_t nthreads;
	char ns[OBSERVE_NR_NS][128];		 /* readlink of /proc/PID/ns/NAME */
	char self_ns[OBSERVE_NR_NS][128];	 /* ours: the host's, as inspect sees it */
	char init_ns[OBSERVE_NR_NS][128];	 /* /proc/1's: the host's, as audit sees it */
	bool root_readable;			 /* /proc/PID/root opened */
	int root_entries;			 /* entries in it besides . and .. */
	char cgroup_member[PATH_MAX];		 /* its memory cgroup in /proc/PID/cgroup */
	bool cgfile_present[OBSERVE_NR_CGFILES]; /* readable (access R_OK) */
	char cgfile[OBSERVE_NR_CGFILES][512];	 /* first line of each */
	bool have_memory;			 /* memstat_read() worked */
	struct memstat memory;
	bool have_nic_stats; /* the supervisor's NIC counters memfd read */
	struct nic_stats nic;
	struct observed_disk disks[LOCKVM_MAX_DISKS]; /* vm->disks[i] */
	char comm[64]; /* the VMM's comm, read last (a reused pid shows here) */
};

/*
 * Observes the running VM vm (a record from registry_load_live): its VMM's
 * /proc (status, threads, namespaces, root, cgroup membership), memory
 * figures, cgroup limits and usage, NIC counters, and its disks' owners,
 * modes and labels. Reads only; a part it cannot read stays "" / false.
 * The caller frees it with vm_observation_free().
 */
void vm_observe(const struct reg_vm *vm, struct vm_observation *obs);
void vm_observation_free(struct vm_observation *obs);

/* The observed value of the cgroup file NAME (one of observe_cgfile_names),
 * "" when absent or unreadable. */
const char *observe_cgfile(const struct vm_observation *obs, const char *name);

#endif
