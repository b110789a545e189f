/* Confinement of the VMM: the supervisor's child before fexecve, and the VMM after it. */
#ifndef LOCKVM_SANDBOX_H
#define LOCKVM_SANDBOX_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"
#include "util.h"

/*
 * Layers, each switchable on its own so the probe can show every forbidden
 * action is still blocked with any single one disabled. Production uses
 * SANDBOX_LAYERS_ALL.
 */
enum sandbox_layer {
	SANDBOX_CGROUP = 1u << 0,     /* join the per-VM cgroup before its namespace */
	SANDBOX_NAMESPACES = 1u << 1, /* new pid, mount, ipc, uts, net, cgroup ns; lo down */
	SANDBOX_MAC = 1u << 2,	      /* exec label (SELinux) / profile (AppArmor) */
	SANDBOX_PIVOT_ROOT = 1u << 3, /* root becomes an empty read-only tmpfs (needs NAMESPACES) */
	SANDBOX_RLIMITS = 1u << 4,    /* core 0, NOFILE/NPROC/FSIZE/MEMLOCK/MSGQUEUE */
	SANDBOX_CLOSE_FDS = 1u << 5,  /* every fd not in keep_fds closed */
	SANDBOX_CLEAR_ENV = 1u << 6,  /* the VMM starts with an empty environment */
	SANDBOX_UID = 1u << 7,	      /* per-VM uid/gid, no supplementary groups */
	SANDBOX_KEYRING = 1u << 8,    /* a new, empty session keyring */
	SANDBOX_USERNS = 1u << 9,     /* a user ns with no uid mapped: no nested userns */
	SANDBOX_CHROOT = 1u << 10,    /* root is an empty subdirectory: "chrooted" */
	SANDBOX_CAPS = 1u << 11,      /* all five capability sets empty, securebits locked */
	SANDBOX_PDEATHSIG = 1u << 12, /* SIGKILL when the supervisor dies */
	/* Applied in the VMM by sandbox_enter_vmm() / sandbox_seal_fds(): */
	SANDBOX_NO_NEW_PRIVS = 1u << 13,
	SANDBOX_LANDLOCK = 1u << 14,
	SANDBOX_SECCOMP = 1u << 15, /* installed by seccomp.c per thread; listed for switches */
	SANDBOX_FD_SEAL = 1u << 16, /* RLIMIT_NOFILE = lowest free fd: no new fd at all */
};
#define SANDBOX_LAYERS_ALL ((1u << 17) - 1)

struct sandbox_rlimits {
	uint64_t nofile;  /* > highest fd the VMM will open (vCPUs, eventfds) */
	uint64_t nproc;	  /* per-VM uid: the VMM's threads (vCPUs + helpers) */
	uint64_t fsize;	  /* >= the largest writable disk image, else writes fail */
	uint64_t memlock; /* 0: the VMM locks no memory */
};

/* The --fs tree, its upper DIR and LAUNCH_MAX_VOLUMES volumes. */
#define SANDBOX_MAX_TREES 10

struct sandbox_config {
	unsigned layers; /* enum sandbox_layer bits */
	uid_t uid;	 /* per-VM ids from uid_reserve(): never 0 */
	gid_t gid;
	const int *keep_fds; /* fds the VMM gets (kvm, images, console, 0-2, ...) */
	unsigned n_keep_fds;
	struct sandbox_rlimits rlimits;
	const struct cgroup *cgroup; /* NULL: no cgroup even with SANDBOX_CGROUP */
	const char *exec_label;	     /* SELinux context / AppArmor profile, or NULL */
	bool require_mac;	     /* --require-mac: "not enforced" is an error */
	/* Empty root-owned directory to chroot into when SANDBOX_PIVOT_ROOT is
	 * off but SANDBOX_CHROOT is on (tests); unused otherwise. */
	const char *empty_dir;
	const char *hostname; /* in the new uts ns; NULL: "lockvm" */
	/* --debug-timing: shared memory (MAP_SHARED) the child stamps with
	 * now_ns() at each enum sandbox_mark, or NULL. */
	uint64_t *marks;
	/* --linux trees the VMM reaches by fd (--fs, --volume, --fs-upper
	 * DIR): detached mounts (open_tree clones) the child attaches at
	 * /NAME of the empty root, beside the directory the VMM is chrooted
	 * into, so that they have a path AppArmor can name in the per-VM
	 * profile ("/lockvm-tree/{,**}", ...) and the VMM still reaches none of
	 * them by path. With SANDBOX_PIVOT_ROOT only; the fds stay the VMM's. */
	struct sandbox_tree {
		int fd;
		const char *name; /* one path component, e.g. "lockvm-tree" */
	} trees[SANDBOX_MAX_TREES];
	unsigned n_trees;
};

/* The child's steps, as --debug-timing reports them. */
enum sandbox_mark {
	SANDBOX_MARK_START,	 /* the child runs (after the parent's go) */
	SANDBOX_MARK_NAMESPACES, /* cgroup joined, namespaces made */
	SANDBOX_MARK_PIVOT_ROOT, /* exec label set, root pivoted */
	SANDBOX_MARK_EXEC,	 /* every layer applied: fexecve next */
	SANDBOX_MARKS
};

/* Fills *cfg with every layer on, the default rlimits and no fds kept. */
void sandbox_config_init(struct sandbox_config *cfg);

/* "namespaces", "landlock", ... for a single bit; "?" otherwise. */
const char *sandbox_layer_name(unsigned layer);
/* Parses one layer name; 0 when unknown. */
unsigned sandbox_layer_parse(const char *name);

/*
 * Starts the VMM: clone()s a child (with CLONE_NEWPID when SANDBOX_NAMESPACES
 * is on, so the VMM is pid 1 of its own pid namespace and anything it forks
 * dies with it) that runs sandbox_enter_child() and fexecve()s exec_fd with
 * argv and an empty environment. Needs: a single-threaded caller; when
 * not root, the rootless mode described in sandbox.c applies (the layers
 * of sandbox_layers_unavailable() are skipped); exec_fd open (O_RDONLY or O_PATH,
 * close-on-exec is fine) and in cfg->keep_fds only if the VMM needs it.
 * Returns the VMM's pid (as seen by the caller) or -1 with errno when clone
 * failed. *lifeline_fd receives the write end of a pipe the child uses to
 * see whether the supervisor is still alive: keep it open until the VMM has
 * been reaped (NULL: it stays open, close-on-exec, for the caller's life).
 * A child that fails to confine itself exits 125 with one line on stderr.
 */
pid_t sandbox_spawn(const struct sandbox_config *cfg, int exec_fd, char *const argv[],
		    int *lifeline_fd);

/* Layers sandbox_spawn() cannot apply for this caller (SANDBOX_UID when not
 * root); the supervisor states them (issue 3: "states which layers it
 * could not apply"). */
unsigned sandbox_layers_unavailable(void);

/*
 * The confinement, in docs/ARCHITECTURE.md's order, ending in fexecve. Runs in the
 * forked child only; never returns; any failure _exit(125)s. lifeline_fd is
 * the read end of sandbox_spawn()'s pipe, or -1 to skip the parent check.
 */
NORETURN void sandbox_enter_child(const struct sandbox_config *cfg, int exec_fd, char *const argv[],
				  int lifeline_fd);

/* What sandbox_enter_vmm() applied; the VMM logs it. */
struct sandbox_vmm_report {
	bool no_new_privs;
	bool landlock;	  /* enforced */
	int landlock_abi; /* 0: the kernel has no Landlock (reported, not skipped silently) */
};

/*
 * First thing in the VMM's main(), before any thread and before parsing the
 * guest: dumpable 0 again (exec reset it), no_new_privs, then Landlock with
 * nothing allowed but the trees' rights (landlock.h; --linux --fs and --volume). Dies (125) when a layer that is on fails; an absent
 * Landlock is not a failure but is written to *report and to stderr.
 */
struct landlock_tree;
void sandbox_enter_vmm(unsigned layers, const struct landlock_tree *trees, unsigned count,
		       struct sandbox_vmm_report *report);

/*
 * After the VMM has created every fd it will ever need (VM, vCPUs,
 * eventfds) and before seccomp: lowers RLIMIT_NOFILE to the lowest free fd
 * number, so any later fd-creating call (open, socket, io_uring_setup,
 * userfaultfd, perf_event_open, bpf, memfd, accept) fails with EMFILE even
 * if seccomp lets it through; `spare` slots above it stay free (--linux
 * --fs: the host fds of the guest's open files, opened beneath the tree
 * only). Returns the limit set; dies on failure.
 */
int sandbox_seal_fds(unsigned layers, unsigned spare);

/* One step of the confinement sequence (docs/ARCHITECTURE.md, "Confinement order"). */
struct sandbox_step {
	unsigned step;	   /* its number in the sequence, 1.. */
	unsigned layers;   /* the SANDBOX_* switches that turn it off (0: always applied) */
	const char *what;  /* as the documentation's table names it */
	const char *where; /* the file that applies it */
	const char *test;  /* a test that shows it holds */
};

/* The whole sequence, in order; *count gets its length. */
const struct sandbox_step *sandbox_sequence(size_t *count);

#endif
