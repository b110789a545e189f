/* What the files of `lockvm run` share: its options, the resources it holds, and each phase's entry point. */
#ifndef LOCKVM_RUN_INTERNAL_H
#define LOCKVM_RUN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"
#include "config.h"
#include "control.h"
#include "label.h"
#include "launch.h"
#include "memory.h"
#include "memstat.h"
#include "net.h"
#include "passt.h"
#include "numa.h"
#include "progress_line.h"
#include "registry.h"
#include "seccomp_policy.h"
#include "uid.h"
#include "util.h"
#include "vmlog.h"

/* A --linux guest's RAM without --mem: enough for real jobs (a 64 MiB malloc,
 * gcc, python, a pipeline of five dynamic programs, which 64M could not
 * hold), and free until touched (RAM is reserved lazily; the cgroup limit
 * is this plus the VMM's overhead). */
#define RUN_LINUX_DEFAULT_MEM	(1ULL << 30)
#define RUN_LINUX_DEFAULT_VCPUS 2 /* --linux without --vcpus (README: why 2) */
#include "volume_spec.h"

struct sandbox_config;

struct run_disk {
	const char *path;
	bool read_only;
	bool shared; /* read-write, shared with other VMs: content label, no chown */
	bool device; /* ,dev: a block device, asked for explicitly */
	int fd;
};

/* --volume HOST:GUEST[:ro|:rw] (run_volume.c) */
struct run_volume {
	const char *host, *guest;
	bool ro;
	enum volume_relabel relabel; /* ,z or ,Z (volume_spec.h): labelled for the VM */
	char real[4096];	     /* HOST's real path: the image record's */
	int fd;			     /* O_PATH fd of the private clone, for the VMM */
	int dir_fd;		     /* the directory, for the supervisor's ownership walks */
	uid_t owner;
	gid_t group;
};

struct run_options {
	uint64_t mem, timeout_ns;
	unsigned vcpus;
	struct run_disk disks[LOCKVM_MAX_DISKS];
	unsigned disk_count;
	bool stats;
	bool json;    /* --json: a result object on stdout when the VM ends (run_result.c) */
	bool confine; /* false only with --confine=off (benchmarks, debugging) */
	bool require_mac;
	/* --apparmor-stack: an engine's profile stacked on lockvm-<uuid> (checked
	 * by apparmor_stack_name_check); NULL: none */
	const char *apparmor_stack;
	enum seccomp_policy_mode seccomp_mode;
	const char *cpus;    /* --cpus as given; NULL: no CPU quota */
	unsigned cpu_shares; /* --cpu-shares; 0: the kernel's default (1024) */
	const char *name;    /* --name; NULL: vm-<uuid prefix> */
	bool detach;
	enum label_kind label_kind;
	const char *label; /* --label CONTEXT (static) */
	const char *group; /* --group NAME */

	struct guest_mem_config mem_config; /* --hugepages, --ksm */
	bool hugepages_set;		    /* --hugepages given: no default backing */
	char backing_note[512];		    /* why a large guest got no THP, for its log */
	uint64_t mem_limit;		    /* --mem-limit; 0: RAM plus the VMM's overhead */
	const char *numa;		    /* --numa as given, NULL when not bound */
	struct numa_set numa_nodes, numa_cpus;
	const char *guest;
	/* --linux guests */
	bool linux_abi, strace;
	unsigned pids; /* --pids; 0: LINUX_DEFAULT_PIDS */
	const char *fs_dir;
	uint64_t fs_upper, fs_tmp; /* bytes of the root's upper layer (0: none) and of /tmp */
	bool fs_upper_set;	   /* --fs-upper given (else sized from --mem) */
	bool tmp_size_set;	   /* --tmpfs /tmp:size= given */
	unsigned tmpfs_count;	   /* --tmpfs mounts besides /tmp, then /dev/shm */
	const char *tmpfs_path[8]; /* LAUNCH_MAX_TMPFS */
	uint64_t tmpfs_size[8];	   /* 0: sized from --mem */
	const char *env[32];
	unsigned envc;
	int fs_fd;
	/* --fs-upper DIR (run_upper.c): where the VMM writes the upper layer when
	 * the job's first process ends; NULL: kept in memory only */
	const char *upper_dir;
	int upper_fd;	       /* O_PATH fd of DIR's private clone, for the VMM */
	int upper_dir_fd;      /* DIR, for the supervisor's ownership walk */
	char upper_real[4096]; /* DIR's real path: its image record's (labelled as a ,Z volume) */
	uid_t upper_owner;
	gid_t upper_group;
	bool keep_upper; /* --keep-upper: a memory upper layer is written to the state dir */
	/* --record FILE (run_record.c): FILE, open for writing, and the memfd the
	 * VMM writes the record into; -1 without --record */
	const char *record;
	int record_fd, record_memfd;
	struct run_volume volumes[8]; /* LAUNCH_MAX_VOLUMES */
	unsigned volume_count;
	int guest_argc;
	char **guest_argv;   /* guest_argv[0] is the guest as given */
	struct net_spec net; /* --net; kind NET_NONE: no NIC */
	/* --linux eth0: --ip ADDR/PREFIX (0: DHCP), --gateway, --dns; network order */
	uint32_t net_ip, net_prefix, net_gateway, net_dns;
	struct passt_publish publish[PASST_PUBLISH_MAX]; /* --net user --publish */
	unsigned publish_count;
	const char *mac; /* --mac; NULL: generated */
	/* `lockvm restore FILE` and `lockvm incoming --listen ADDR` */
	const char *restore; /* FILE */
	const char *listen;  /* ADDR */
	const char *key;     /* --key FILE */
	int key_fd;
	bool incoming_mode, restore_mode; /* which command: set by the caller */
	int accept_timeout_s; /* incoming: how long to wait for the source; 0 = forever */
	bool accept_timeout_set;
	bool require_key;	     /* --require-key: refuse a stream without --key */
	bool label_given, net_given; /* --label/--group, --net: restore keeps them */
	uint64_t log_size_max;	     /* --log-size-max; 0: lockvm.conf's */
	/* --linux: what the program sees of itself, the VM's view only (ident.h) */
	const char *workdir;  /* --workdir; NULL: / */
	const char *hostname; /* --hostname; NULL: lockvm */
	uint32_t uid, gid;    /* --user; 0:0 */
	unsigned ngroups;     /* --group-add */
	uint32_t groups[IDENT_MAX_GROUPS];
	uint32_t rlimit_set; /* bit n: --rlimit gave rlimits[n] */
	struct ident_rlimit rlimits[IDENT_RLIMITS];
	bool ident_given; /* any of the above */
	bool vcpus_given; /* --vcpus given */
	bool mem_given;	  /* --mem; without it a --linux guest has RUN_LINUX_DEFAULT_MEM */
};

/* Per-VM resources taken for the VMM's lifetime and given back after. */
struct run_state {
	struct lockvm_config config;
	struct reg_vm vm; /* what the registry says of this VM */
	int registry_fd;  /* the VM's own registry lock (liveness), -1 before claim */
	bool claimed;
	struct uid_lease lease;
	bool have_lease;
	struct cgroup cgroup;
	bool have_cgroup;
	bool profile_loaded; /* AppArmor lockvm-<uuid> */
	int lifeline;
	const char *listen_path;      /* incoming --listen unix:PATH until accepted on */
	int tap_fd;		      /* --net: the supervisor's copy until the VMM has it */
	bool net_attached;	      /* the tap exists and is on its bridge */
	const char *netns;	      /* --net netns=PATH: the tap's namespace; NULL: ours */
	struct passt passt;	      /* --net user: the helper, pid -1 when none */
	struct vmlog log;	      /* var/log/lockvm/NAME.log, capped (vmlog.h) */
	int out_pipe[2], err_pipe[2]; /* the VMM's stdout and stderr, teed to the log */
	int ready_pipe[2];	      /* the VMM says "R" once its guest runs confined */
	int ready_fd;		      /* --detach: tells the waiting parent */
	int control_pair[2];	      /* supervisor's end, VMM's end (control.h) */
	struct control_relay relay;   /* `lockvm save|migrate` to the VMM */
	bool stdout_mid_line;	      /* the guest's stdout so far does not end a line */
	uint64_t started_ns;	      /* now_ns() when the run began */
	/* --volume: handed to the VM's uid (hand_volumes) until return_volumes */
	unsigned volume_count;
	int volume_fds[8];
	uid_t volume_owner[8], volume_uid;
	gid_t volume_group[8], volume_gid;
	/* --fs-upper DIR: lent to the VM's uid (hand_upper) until return_upper */
	int upper_dir_fd;
	uid_t upper_owner, upper_uid;
	gid_t upper_group, upper_gid;
	int vmm_signal; /* supervise: the signal that killed the VMM, 0 when it exited */
};

/* run_result.c: --json. Needs supervise's status, why and stats: prints
 * the VM's result as one JSON line on stdout (fields in README). */
void run_result_print(const struct run_state *st, int status, const char *why,
		      const struct memstat *stats);

/* run_events.c: the journal (registry/events.h). Needs the VMM running
 * (its pid and label known): adds "started" and "label". */
void run_event_started(const struct run_options *o, const struct run_state *st);
/* Needs supervise's status and why: adds "exited", "oom" or "seccomp". */
void run_event_ended(const struct run_state *st, int status, const char *why);

/* run_options.c: parsing and checking the options. */

/* Fills *o from `lockvm run|restore|incoming` ARGS (o->incoming_mode or
 * o->restore_mode set by the caller, kept); a bad option dies with one line (exit 125), -h
 * prints the usage and exits 0. */
void run_parse_options(int argc, char **argv, struct run_options *o);
/* Needs run_parse_options. Dies when --hugepages, --ksm or --numa do not
 * fit this host; fills o->numa_cpus. */
void check_memory_options(struct run_options *o);
/* restore: needs fd, the saved VM opened (open_guest). Takes the label,
 * --net and --mac from its save record where the options do not say;
 * `note` gets what to say once the VM runs, or "". */
void restore_apply_record(struct run_options *o, int fd, char *note, size_t notelen);

/* run_resources.c: every resource the supervisor takes, with its release. */

/* One timestamped lifecycle line in the VM's log; nothing before open_log. */
void run_log_event(struct run_state *st, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* Needs claim_identity (the VM's name) and the configuration. Opens the
 * VM's log into st->log, capped by --log-size-max or [logs] size_max. */
void open_log(const struct run_options *o, struct run_state *st);
/* A fresh random (version 4) uuid. */
void random_uuid(char out[37]);
/* Returns an fd of the VMM binary beside this executable (or $LOCKVM_VMM). */
int open_vmm_binary(bool confine);
/* Returns an fd of the guest at path, refused unless a regular file. */
int open_guest(const char *path);
/* Opens the file an O_PATH fd names, with flags, through /proc/self/fd;
 * closes path_fd; dies on error. */
int reopen_path_fd(int path_fd, int flags, const char *what, const char *path);
/* --fs: checks that the guest is there inside the tree dir as `chroot dir
 * PROGRAM` would find it (a name without '/' through PATH, from --env or
 * the default); dies with one line when not. The VMM opens it itself,
 * through the tree: the supervisor never reads a file of the tree. */
void find_guest_in_tree(const struct run_options *o);
/* One tree the VMM reaches by fd, and where the sandbox attaches it. */
struct vmm_tree {
	int fd;
	const char *name; /* "lockvm-tree", "lockvm-upper", "lockvm-volumeN" */
	bool ro;
};
/* The --fs tree, --fs-upper DIR and volumes of o, in that order (at most
 * SANDBOX_MAX_TREES): the sandbox attaches them beside the VMM's root
 * and the per-VM AppArmor profile names them there. */
unsigned vmm_trees(const struct run_options *o, struct vmm_tree *out);
/* Opens every --disk into o->disks[i].fd, safely (SECURITY.md "Disks"). */
void open_disks(struct run_options *o);
/* --fs DIR (run_fs.c): an O_PATH fd of a private, read-only, nodev,
 * nosuid, noexec, nosymfollow clone of DIR for the VMM; dies on error. */
int open_fs_tree(const char *dir);
/* The tree of directory dir_fd (named `what` `dir` in errors) as an O_PATH
 * fd of a private, nodev, nosuid, noexec, nosymfollow clone, read-only
 * when read_only; dies on error. */
int clone_tree(int dir_fd, const char *what, const char *dir, bool read_only);
/* Needs claim_identity (the VM's context), open_volumes and the tree:
 * under enforcing SELinux, dies with one line when the VM could not read
 * the --fs tree (naming the boolean lockvm_vm_read_host_files) or use a
 * volume (without ,z/,Z: naming them; a read-write ,z volume: VMs only
 * read shared content), before the guest would meet EACCES. */
void check_tree_labels(const struct run_options *o, const struct run_state *st);
/* Whether path is absolute and plain: no empty, "." or ".." component,
 * no ':' (the size's separator), not "/" itself. */
bool guest_dir_plain(const char *path);
/* run_volume.c: --volume HOST:GUEST[:ro|:rw] into o->volumes; dies on a bad value. */
void parse_volume(struct run_options *o, char *arg);
/* Needs every option parsed (and /dev/shm added): dies when volumes nest
 * or overlap a --tmpfs. */
void check_volumes(const struct run_options *o);
/* Opens and clones each volume's directory; dies when one is missing or
 * not a directory. */
void open_volumes(struct run_options *o);
/* Needs open_volumes and the VM's uid: gives what each volume directory's
 * owner owns there (a file linked elsewhere too excepted) to uid, so the
 * VMM may write it; return_volumes undoes it. */
void hand_volumes(const struct run_options *o, struct run_state *st, uid_t uid, gid_t gid);
/* Gives directory dir_fd and everything beneath it (no symlink followed, no
 * mount crossed) from uid `from` to `to`, group gfrom to gto ((gid_t)-1:
 * groups stay). */
void volume_give(int dir_fd, uid_t from, uid_t to, gid_t gfrom, gid_t gto);

/* run_upper.c: --fs-upper DIR, --keep-upper */
/* Needs the options parsed: makes DIR (or, for --keep-upper with the memory
 * layer, run/lockvm/uppers/ID under the state root), refuses one that is
 * not an empty directory or is a symlink (one line, 125), and clones it for
 * the VMM. No-op without either option. */
void open_upper_dir(struct run_options *o, const char *id);
/* Needs supervise's end of the VMM: what became of the upper layer ("written",
 * or why not), said on stderr and in the log when it was not; NULL without
 * --fs-upper DIR or --keep-upper. */
const char *upper_outcome(const struct run_options *o, struct run_state *st);
/* Needs open_upper_dir and the VM's uid: lends DIR to it for the run. */
void hand_upper(const struct run_options *o, struct run_state *st, uid_t uid, gid_t gid);
/* After the VMM ended: DIR and what the VMM wrote there are its owner's again. */
void return_upper(struct run_state *st);

/* run_record.c: --record FILE */
/* Needs the options parsed: opens FILE (made, or emptied; a symlink, FIFO,
 * device or unwritable path refused in one line, 125) and the memfd the VMM
 * writes into. No-op without --record. */
void open_record(struct run_options *o);
/* Needs supervise's end of the VMM: FILE gets the VMM's record, or one
 * saying it was not written ("complete": false); both fds closed. */
void deliver_record(struct run_options *o, const struct run_state *st);

/* After the VMM ended: everything the VM's uid (gid) owns in each volume
 * becomes the directory owner's (group's); no symlink followed. */
void return_volumes(struct run_state *st);
/* --tmpfs GUEST_DIR[:size=SIZE] into o's mounts (/tmp: its size); dies on a bad value. */
void parse_tmpfs(struct run_options *o, char *arg);
/* --fs-upper memory[:SIZE]|none into o->fs_upper; dies on a bad value. */
void parse_fs_upper(struct run_options *o, const char *arg);
/* --linux: sizes the root's upper layer (unless --fs-upper gave it) and
 * /tmp from --mem. Needs every option parsed. */
void size_memory_fs(struct run_options *o);
/* Bytes the VMM may hold in memory file systems, on top of guest RAM. */
uint64_t memory_fs_bytes(const struct run_options *o);
/* Needs st->config loaded. Starts leasing the VM's uid and gid on a thread
 * (the NSS check of each candidate id is slow); st->lease is the thread's
 * until reserve_uid_finish, which joins it and has cfg run the VMM as them
 * (0), or returns -1 when no uid was free. The supervisor is
 * single-threaded again after it. */
void reserve_uid_start(struct run_state *st);
int reserve_uid_finish(struct run_state *st, struct sandbox_config *cfg);
/* Needs the disks opened, st->config loaded and, given uid_cfg, the uid
 * lease started (reserve_uid_start): it is joined under the registry lock,
 * once the name, label and directory are taken, and the VM runs as it
 * (uid_cfg NULL: uid 0). Claims the VM's name and label in the registry
 * and takes its disks. */
void claim_identity(const struct run_options *o, struct run_state *st,
		    struct sandbox_config *uid_cfg);
/* Needs claim_identity. Loads the VM's AppArmor profile where AppArmor
 * enforces a label; always names it in st->vm.profile. */
void load_apparmor_profile(const struct run_options *o, struct run_state *st);
/* Needs claim_identity. The SELinux context the VMM's channels and shared
 * memory are made in, or NULL: none is needed. */
const char *vmm_channel_label(const struct run_options *o, const struct run_state *st);
/* Needs claim_identity and open_log. --net: makes and attaches the tap,
 * fills the launch message's NIC and adds the fds the VMM keeps to keep. */
void setup_net(const struct run_options *o, struct run_state *st, struct launch *l, int *keep,
	       int *n_keep);
/* Needs the uuid (run_mode draws it; the cgroup keeps that name should
 * claim_identity draw another for a name taken) and nothing of the registry,
 * which records the cgroup's directories. Makes the VM's cgroup with its
 * limits; cfg puts the VMM in it. */
void create_vm_cgroup(const struct run_options *o, struct run_state *st,
		      struct sandbox_config *cfg);
/* Gives back whatever st holds, in the reverse order of taking it; safe to
 * call twice and at any point after st was initialised. */
void release_resources(const struct run_options *o, struct run_state *st);
/* Removes incoming --listen's socket file (st->listen_path) once accepted
 * on; also a release step, so an incoming VM that gives up before a source
 * connects leaves no file to refuse the next --listen at that path. */
void remove_listen_socket(struct run_state *st);
/* From now on, an exit (die()) releases what st holds (release_resources). */
void release_at_exit_arm(const struct run_options *o, struct run_state *st);
/* The --detach caller's side: its exit leaves the resources to the supervisor. */
void release_at_exit_disarm(void);

/* run_timing.c: --debug-timing, the phases of one run (docs/ARCHITECTURE.md). */

/* Timing on from origin (now_ns() at the run's start): the phase "options" begins. */
void run_timing_start(uint64_t origin);
/* The origin, or 0 when timing is off (the VMM gets it in its launch message). */
uint64_t run_timing_origin(void);
/* Shared memory for sandbox_config.marks, or NULL when timing is off. */
uint64_t *run_timing_child_marks(void);
/* Ends the current phase and begins `name` (a string literal); nothing when off. */
void run_timing_phase(const char *name);
/* The policy compiler thread's start and end (it runs beside the phases). */
void run_timing_compile(uint64_t start, uint64_t end);
/* The uid lease's thread (reserve_uid_start), printed as its own line. */
void run_timing_uid(uint64_t start, uint64_t end);
/* Prints every phase, the compiler's and the child's steps ("timing:" lines, stderr). */
void run_timing_report(void);

/* run_launch.c: the seccomp policies and the VMM's launch. */

/* Needs the files opened (run.c: /dev/kvm, the guest or its stream, the
 * disks, --fs, --key, the VMM binary). Takes the uid lease, the identity,
 * the log, the AppArmor profile, the tap and the cgroup in that order,
 * encodes the launch message and spawns the VMM (sandbox_spawn); returns
 * its pid. Dies (resources released at exit) on any failure. */
pid_t start_vmm(const struct run_options *o, struct run_state *st, int vmm_fd, int kvm_fd,
		int guest_fd);
/* Needs start_vmm. Logs the VM's label and which confinement layers it
 * really got (the MAC layer only where a label is enforced). */
void log_confinement(const struct run_options *o, struct run_state *st);

/* run_supervise.c: the VMM's output, its end, and --detach. */

/* Needs start_vmm. Waits for the VMM and returns lockvm's status; `why`
 * gets the reason for the log; stats non-NULL: the VMM's memory. */
int supervise(pid_t vmm, uint64_t timeout_ns, struct run_state *st, int sig_fd,
	      struct memstat *stats, uint64_t mem_limit, char *why, size_t whylen);
/* Blocks SIGINT, SIGTERM, SIGUSR2 and SIGCHLD; returns a signalfd of them
 * for supervise() (and an incoming accept) to read. */
int supervise_signals(void);
/* Needs start_vmm. Waits (at most 60 s) for the VMM to say its guest runs
 * confined, and closes that channel; returns 'R' then, else 0. */
char wait_running(struct run_state *st, struct progress_line *pl);
/* --detach, before anything is claimed: the caller's process waits for
 * run_detach_ready and exits; this one returns as the supervisor. */
void run_detach(struct run_state *st);
/* Needs run_detach (else does nothing). Tells the caller the VM runs. */
void run_detach_ready(struct run_state *st);

#endif
