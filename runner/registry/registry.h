/* The VM registry's store: one directory per live VM under <root>/run/lockvm/vms, its lock, listing, label queries (images.h: disk records; recovery.h: dead VMs). */
#ifndef LOCKVM_REGISTRY_H
#define LOCKVM_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <lockvm/abi.h>

#include "apparmor_stack.h"
#include "cgroup.h"
#include "label.h"
#include "net_record.h"
#include "paths.h"

#define REGISTRY_FORMAT	  1		      /* state.json and image records carry it */
#define REGISTRY_PATH_MAX 1024		      /* longest disk path a VM may record */
#define IMAGES_DIR	  "run/lockvm/images" /* image records (images.c); made by registry_lock() */

struct reg_disk {
	char path[REGISTRY_PATH_MAX];
	char mode[8];	       /* "rw", "ro" or "shared" */
	char label[LABEL_MAX]; /* what the disk carries while the VM runs */
};

/*
 * What <root>/run/lockvm/vms/NAME/state.json says (json-c; field names are
 * documented in the README and stable). A VM is live while its supervisor
 * holds the flock on vms/NAME/lock; nothing else is trusted for liveness.
 */
struct reg_vm {
	char name[PATHS_NAME_MAX + 1];
	char uuid[37];
	char state[16];	 /* "starting", "restoring", "incoming", "running", "saving", "migrating" */
	long pid;	 /* the supervisor */
	long vmm_pid;	 /* 0 until the VMM exists */
	int64_t started; /* unix seconds */
	unsigned vcpus;
	uint64_t mem;
	struct vm_label label;
	char mac[16];	   /* label_mac_model() when the VM started */
	char mac_mode[16]; /* label_mac_mode() */
	char profile[64];  /* AppArmor profile name, lockvm-<uuid> */
	/* --apparmor-stack: the engine's profile stacked on `profile`, and the
	 * label the VMM then runs under (apparmor_stack_label); "" without one
	 * ("apparmor_stack" absent from older lockvm's entries) */
	char apparmor_stack[APPARMOR_STACK_NAME_MAX + 1];
	char apparmor_label[APPARMOR_STACK_LABEL_SIZE];
	uint32_t uid, gid; /* 0: no per-VM uid (rootless or unconfined) */
	unsigned layers;   /* sandbox layers applied */
	bool confined;
	char seccomp[8];
	char cpus[16];
	uint32_t cpu_shares; /* --cpu-shares; 0: the kernel's default */
	struct cgroup cgroup;
	unsigned ndisks;
	struct reg_disk disks[LOCKVM_MAX_DISKS];
	char boot_id[40];
	struct reg_net net; /* the NIC (--net); net.kind "" without one */
	bool linux_abi;	    /* a --linux VM ("linux"; absent from older lockvm: false) */
	/* --fs-upper DIR or --keep-upper: where the job's upper layer is written
	 * when the VM ends (its real path); "" without one (absent: "") */
	char upper[REGISTRY_PATH_MAX];
};

/* The label the kernel should show on the VMM (AppArmor profile, or its
 * stack with the engine's, or SELinux context), or NULL when none is enforced (not enforced here, or --label
 * none): then nothing can be compared. */
const char *registry_enforced_label(const struct reg_vm *vm);

/* Takes the registry-wide lock (flock on run/lockvm/registry.lock), which
 * every change of the registry or of image records happens under. Returns
 * the fd, or -1 with a message. */
int registry_lock(void);
void registry_unlock(int fd);

/*
 * Claims vm->name for this process: creates vms/NAME, takes its lock (kept
 * in *lock_fd for the VM's lifetime; close-on-exec) and writes state.json.
 * Needs the registry lock. Refuses (-1, reason in err) a name a live VM
 * has; a dead VM's leftovers must have been reaped first.
 */
int registry_claim(const struct reg_vm *vm, int *lock_fd, char *err, size_t errlen);
/* registry_claim's first half: vms/NAME made and locked, no state.json yet
 * (others see the VM only from registry_save on: what must exist before,
 * the control socket, is made in between). */
int registry_reserve(const char *name, int *lock_fd, char *err, size_t errlen);

/* Rewrites vms/NAME/state.json atomically. 0 or -1 with errno. */
int registry_save(const struct reg_vm *vm);

/* Reads vms/NAME/state.json. Refuses another format version, bad JSON and
 * values out of range: -1 with the reason in err (never half-trusted). */
int registry_load(const char *name, struct reg_vm *vm, char *err, size_t errlen);

/* 1: the supervisor of NAME holds its lock; 0: no one does (dead or
 * gone); -1: no such entry. */
int registry_live(const char *name);

/* The record of the running VM NAME, for commands on it (stop, save ...):
 * an invalid name, no such running VM or a bad record end the command with
 * one line (die). */
void registry_load_live(const char *name, struct reg_vm *vm);

/* The names under vms/, sorted; free with registry_names_free. */
int registry_names(char ***names, size_t *n);
void registry_names_free(char **names, size_t n);

/* The path of LEAF ("state.json", "lock") in NAME's entry into out.
 * 0, or -1 with errno (ENAMETOOLONG). */
int registry_entry_path(const char *name, const char *leaf, char *out, size_t size);

/* Removes vms/NAME (state, lock). */
void registry_remove(const char *name);

/* The label pairs of every live VM (keys from label_pair_key), for
 * allocation; group members also report their group in groups (may be
 * NULL). Needs the registry lock. Returns the count, or -1. */
int registry_pairs_in_use(uint32_t **pairs, size_t *n);

/* The pair of a live group member, or -1 when the group has none live. */
int registry_group_pair(const char *group, int *a, int *b);

/* This boot's id (/proc/sys/kernel/random/boot_id). */
const char *registry_boot_id(void);

#endif
