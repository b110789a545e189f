/* `lockvm run`: validates input, opens every resource, starts the VMM and reports how it ended. */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <elf.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/openat2.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kvm.h"
#include "memhost.h"
#include "linux_fs.h"
#include "memory.h"
#include "memstat.h"
#include "numa.h"
#include "cgroup.h"
#include "apparmor_profile.h"
#include "config.h"
#include "control.h"
#include "migrate_addr.h"
#include "label.h"
#include "launch.h"
#include "registry.h"
#include "images.h"
#include "recovery.h"
#include "mac.h"
#include "net.h"
#include "netframe.h"
#include "paths.h"
#include "sandbox.h"
#include "save_record.h"
#include "seccomp_policy.h"
#include "termfilter.h"
#include "uid.h"
#include "util.h"

/* The smallest --mem-limit: the VMM alone needs a few MiB. */
#define RUN_MEM_LIMIT_MIN (16ULL << 20)
/* How often --stats samples the VMM's memory while it runs. */
#define STATS_INTERVAL_NS (100ULL * 1000000ULL)

/* The supervisor kills a VMM that outlives its own deadline by this much. */
#define BACKSTOP_NS (5ULL * 1000000000ULL)

/* `lockvm incoming` gives up when no source connects within this long
 * (--accept-timeout; README), so a forgotten target does not hold its
 * socket for ever. */
#define RUN_ACCEPT_TIMEOUT_S 300
/* getopt value of --require-key (no short letter is free to name it). */
#define RUN_OPT_REQUIRE_KEY 0x100

struct run_disk {
	const char *path;
	bool read_only;
	bool shared; /* read-write, shared with other VMs: content label, no chown */
	bool device; /* ,dev: a block device, asked for explicitly */
	int fd;
};

struct run_options {
	uint64_t mem, timeout_ns;
	unsigned vcpus;
	struct run_disk disks[LOCKVM_MAX_DISKS];
	unsigned disk_count;
	bool stats;
	bool confine; /* false only with --confine=off (benchmarks, debugging) */
	bool require_mac;
	enum seccomp_policy_mode seccomp_mode;
	const char *cpus; /* --cpus as given; NULL: no CPU quota */
	const char *name; /* --name; NULL: vm-<uuid prefix> */
	bool detach;
	enum label_kind label_kind;
	const char *label; /* --label CONTEXT (static) */
	const char *group; /* --group NAME */

	struct guest_mem_config mem_config; /* --hugepages, --ksm */
	uint64_t mem_limit;		    /* --mem-limit; 0: RAM plus the VMM's overhead */
	const char *numa;		    /* --numa as given, NULL when not bound */
	struct numa_set numa_nodes, numa_cpus;
	const char *guest;
	/* --linux guests */
	bool linux_abi, strace;
	const char *fs_dir;
	const char *env[32];
	unsigned envc;
	int fs_fd;
	int guest_argc;
	char **guest_argv;   /* guest_argv[0] is the guest as given */
	struct net_spec net; /* --net; kind NET_NONE: no NIC */
	const char *mac;     /* --mac; NULL: generated */
	/* `lockvm restore FILE` and `lockvm incoming --listen ADDR` */
	const char *restore; /* FILE */
	const char *listen;  /* ADDR */
	const char *key;     /* --key FILE */
	int key_fd;
	bool incoming_mode;
	int accept_timeout_s; /* incoming: how long to wait for the source; 0 = forever */
	bool accept_timeout_set;
	bool require_key;	     /* --require-key: refuse a stream without --key */
	bool label_given, net_given; /* --label/--group, --net: restore keeps them */
};

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: lockvm run [OPTIONS] GUEST [-- ARGS...]\n"
	    "  --mem SIZE         guest RAM (K/M/G suffix; default 64M, 8M..256G, multiple of 2M)\n"
	    "  --vcpus N          vCPUs, one host thread each (1-64, default 1)\n"
	    "  --disk PATH[,ro|,shared][,dev]  attach a disk image, or with ,dev a block device\n"
	    "                     (repeatable, up to 16; no symbolic link in PATH)\n"
	    "  --name NAME        the VM's name in the registry (default vm-XXXXXXXX)\n"
	    "  -d, --detach       return once the VM runs; console goes to its log\n"
	    "  --label dynamic|none|CONTEXT  the VM's MAC label (default dynamic)\n"
	    "  --group NAME       share one category pair with the group's other VMs\n"
	    "  --timeout SECONDS  stop the VM after this long (exit 124)\n"
	    "  --ksm              let the host's KSM merge identical guest pages\n"
	    "  --hugepages[=thp|hugetlb]  back guest RAM with huge pages (default thp)\n"
	    "  --numa NODES       bind guest RAM and vCPU threads to NUMA nodes (e.g. 0 or 0,1)\n"
	    "  --mem-limit SIZE   cgroup memory limit (default: guest RAM + VMM overhead)\n"
	    "  --cpus N           CPU time quota in CPUs (e.g. 0.5 or 2; cgroup cpu controller)\n"
	    "  --seccomp MODE     kill (default): a syscall outside the policy kills the VMM\n"
	    "                     log: allowed and logged by the kernel (learning mode)\n"
	    "                     trap: the syscall is named on stderr, then exit 159\n"
	    "  --require-mac      refuse to run (125) unless SELinux or AppArmor enforces\n"
	    "  --confine on|off   off runs the VMM unconfined (benchmarks, debugging only)\n"
	    "  --stats            print exit counts and the VMM's memory when the VM ends\n"
	    "  --linux            GUEST is an unmodified static Linux x86-64 program\n"
	    "  --fs HOSTDIR       with --linux: the read-only file tree it sees as /\n"
	    "  --env NAME=VALUE   with --linux: add to its environment (repeatable)\n"
	    "  --strace           with --linux: print each system call and its result\n"
	    "  --net none|bridge=BR|ovs=BR|network=NAME  give the VM a NIC on a tap (default "
	    "none)\n"
	    "  --mac ADDR         the NIC's MAC (default: a random locally administered one)\n");
}

/* Parses PATH[,ro|,rw|,shared][,dev] in place (argv strings are ours to
 * cut). Options are read from the end, dev last, so a path holding a comma
 * still works when a mode follows it (vmdef_run_argv always writes one). */
static void parse_disk(struct run_options *o, char *spec)
{
	if (o->disk_count == LOCKVM_MAX_DISKS)
		die("--disk: at most %d disks", LOCKVM_MAX_DISKS);
	struct run_disk *d = &o->disks[o->disk_count];
	char *comma = strrchr(spec, ',');
	d->read_only = false;
	d->shared = false;
	d->device = false;
	if (comma && strcmp(comma + 1, "dev") == 0) {
		d->device = true;
		*comma = '\0';
		comma = strrchr(spec, ',');
	}
	if (comma) {
		if (strcmp(comma + 1, "ro") == 0)
			d->read_only = true;
		else if (strcmp(comma + 1, "shared") == 0)
			d->shared = true;
		else if (strcmp(comma + 1, "rw") != 0)
			die("--disk %s: unknown option '%s' (want ro, rw or shared, then dev)",
			    spec, comma + 1);
		*comma = '\0';
	}
	if (spec[0] == '\0')
		die("--disk: empty path");
	d->path = spec;
	o->disk_count++;
}

static void parse_options(int argc, char **argv, struct run_options *o)
{
	/* clang-format off */
	static const struct option longopts[] = {
	    {"mem", required_argument, NULL, 'm'},     {"vcpus", required_argument, NULL, 'c'},
	    {"disk", required_argument, NULL, 'k'},    {"timeout", required_argument, NULL, 't'},
	    {"stats", no_argument, NULL, 's'},	       {"confine", required_argument, NULL, 'C'},
	    {"seccomp", required_argument, NULL, 'S'}, {"require-mac", no_argument, NULL, 'R'},
	    {"cpus", required_argument, NULL, 'P'},    {"name", required_argument, NULL, 'n'},
	    {"detach", no_argument, NULL, 'D'},	       {"label", required_argument, NULL, 'l'},
	    {"group", required_argument, NULL, 'g'},   {"help", no_argument, NULL, 'h'},
	    {"ksm", no_argument, NULL, 'K'},	       {"hugepages", optional_argument, NULL, 'H'},
	    {"numa", required_argument, NULL, 'N'},    {"mem-limit", required_argument, NULL, 'L'},
	    {"linux", no_argument, NULL, 'X'},	       {"fs", required_argument, NULL, 'F'},
	    {"strace", no_argument, NULL, 'T'},	       {"env", required_argument, NULL, 'E'},
	    {"net", required_argument, NULL, 'W'},     {"mac", required_argument, NULL, 'A'},
	    {"restore", required_argument, NULL, 'r'}, {"listen", required_argument, NULL, 'i'},
	    {"key", required_argument, NULL, 'y'},
	    {"accept-timeout", required_argument, NULL, 'a'},
	    {"require-key", no_argument, NULL, RUN_OPT_REQUIRE_KEY},
	    {0},
	};
	/* clang-format on */
	uint64_t value;
	int opt;
	bool incoming = o->incoming_mode;
	*o = (struct run_options){.mem = 64ULL << 20,
				  .vcpus = 1,
				  .confine = true,
				  .fs_fd = -1,
				  .key_fd = -1,
				  .accept_timeout_s = RUN_ACCEPT_TIMEOUT_S};
	o->incoming_mode = incoming;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+hd", longopts, NULL)) != -1) {
		switch (opt) {
		case 'm': {
			const char *problem;
			if (parse_size(optarg, &o->mem) < 0)
				die("--mem '%s': not a size (use e.g. 64M or 1G)", optarg);
			if ((problem = guest_mem_size_problem(o->mem)))
				die("--mem %s %s", optarg, problem);
			break;
		}
		case 'c':
			if (parse_uint(optarg, 1, LOCKVM_MAX_VCPUS, &value) < 0)
				die("--vcpus '%s': want a number from 1 to %d", optarg,
				    LOCKVM_MAX_VCPUS);
			o->vcpus = (unsigned)value;
			break;
		case 'k': parse_disk(o, optarg); break;
		case 't':
			if (parse_seconds(optarg, 31536000, &o->timeout_ns) < 0)
				die("--timeout '%s': want seconds greater than 0, e.g. 10 or 0.5",
				    optarg);
			break;
		case 's': o->stats = true; break;
		case 'C':
			if (strcmp(optarg, "on") != 0 && strcmp(optarg, "off") != 0)
				die("--confine '%s': want on or off", optarg);
			o->confine = strcmp(optarg, "on") == 0;
			break;
		case 'X': o->linux_abi = true; break;
		case 'W': {
			char err[PATH_MAX + 256];
			o->net_given = true;
			if (net_spec_parse(optarg, &o->net, err, sizeof(err)) < 0)
				die("%s", err);
			break;
		}
		case 'A': {
			uint8_t mac[NETFRAME_MAC_LEN];
			const char *why;
			if (netframe_mac_parse(optarg, mac, &why) < 0)
				die("--mac '%s': %s", optarg, why);
			o->mac = optarg;
			break;
		}
		case 'T': o->strace = true; break;
		case 'F': o->fs_dir = optarg; break;
		case 'E':
			if (!strchr(optarg, '=') || optarg[0] == '=' || strchr(optarg, '\n'))
				die("--env '%s': want NAME=VALUE", optarg);
			if (o->envc == ARRAY_SIZE(o->env))
				die("--env: at most %zu variables", ARRAY_SIZE(o->env));
			o->env[o->envc++] = optarg;
			break;
		case 'S':
			if (strcmp(optarg, "kill") == 0)
				o->seccomp_mode = SECCOMP_POLICY_MODE_KILL;
			else if (strcmp(optarg, "log") == 0)
				o->seccomp_mode = SECCOMP_POLICY_MODE_LOG;
			else if (strcmp(optarg, "trap") == 0)
				o->seccomp_mode = SECCOMP_POLICY_MODE_TRAP;
			else
				die("--seccomp '%s': want kill, log or trap", optarg);
			break;
		case 'R': o->require_mac = true; break;
		case 'n': {
			const char *why;
			if (!paths_name_valid(optarg, &why))
				die("--name '%s': %s (want 1-64 of [A-Za-z0-9_.-], not starting "
				    "with '.' or '-')",
				    optarg, why);
			o->name = optarg;
			break;
		}
		case 'D':
		case 'd': o->detach = true; break;
		case 'l':
			o->label_given = true;
			if (o->label_kind == LABEL_GROUP)
				die("--label and --group exclude each other");
			if (strcmp(optarg, "dynamic") == 0)
				o->label_kind = LABEL_DYNAMIC;
			else if (strcmp(optarg, "none") == 0)
				o->label_kind = LABEL_NONE;
			else {
				o->label_kind = LABEL_STATIC;
				o->label = optarg;
			}
			break;
		case 'g': {
			const char *why;
			if (o->label_kind != LABEL_DYNAMIC)
				die("--label and --group exclude each other");
			if (!paths_name_valid(optarg, &why))
				die("--group '%s': %s", optarg, why);
			o->label_kind = LABEL_GROUP;
			o->group = optarg;
			o->label_given = true;
			break;
		}
		case 'P': {
			uint64_t quota;
			if (cgroup_cpus_to_quota(optarg, CGROUP_CPU_PERIOD_US, &quota) < 0)
				die("--cpus '%s': want a number of CPUs above 0, e.g. 0.5 or 2 "
				    "(up to 3 decimals)",
				    optarg);
			o->cpus = optarg;
			break;
		}
		case 'K': o->mem_config.mergeable = true; break;
		case 'H': {
			/* Optional argument: only "--hugepages=KIND" carries one. */
			const char *eq = strchr(argv[optind - 1], '=');
			const char *kind = eq ? eq + 1 : "thp";
			if (strcmp(kind, "thp") == 0)
				o->mem_config.backing = GUEST_MEM_THP;
			else if (strcmp(kind, "hugetlb") == 0)
				o->mem_config.backing = GUEST_MEM_HUGETLB;
			else
				die("--hugepages=%s: want thp or hugetlb", kind);
			break;
		}
		case 'N':
			if (numa_parse_list(optarg, &o->numa_nodes) < 0)
				die("--numa '%s': want a NUMA node or a list such as 0 or 0,1 or "
				    "0-1",
				    optarg);
			o->numa = optarg;
			break;
		case 'L':
			if (parse_size(optarg, &o->mem_limit) < 0 ||
			    o->mem_limit < RUN_MEM_LIMIT_MIN)
				die("--mem-limit '%s': want a size of at least 16M, e.g. 512M or "
				    "2G",
				    optarg);
			break;
		case 'r': o->restore = optarg; break;
		case 'i': o->listen = optarg; break;
		case 'y': o->key = optarg; break;
		case RUN_OPT_REQUIRE_KEY: o->require_key = true; break;
		case 'a':
			if (parse_uint(optarg, 0, 31536000, &value) < 0)
				die("--accept-timeout '%s': want whole seconds from 0 (wait "
				    "forever) to 31536000",
				    optarg);
			o->accept_timeout_s = (int)value;
			o->accept_timeout_set = true;
			break;
		case 'h': usage(stdout); exit(0);
		default:
			die("run: unknown or incomplete option '%s' (see 'lockvm run --help')",
			    argv[optind - 1]);
		}
	}
	if (!o->linux_abi && (o->fs_dir || o->strace || o->envc))
		die("run: --fs, --env and --strace need --linux");
	if (o->linux_abi && o->vcpus != 1)
		die("run: a --linux guest runs on one vCPU (drop --vcpus)");
	if (o->mac && o->net.kind == NET_NONE)
		die("run: --mac needs --net");
	if (o->linux_abi && o->net.kind != NET_NONE)
		die("run: --net is not offered to --linux guests (they have no sockets)");
	if (o->linux_abi && o->disk_count)
		die("run: --disk is not offered to --linux guests (use --fs)");
	if (o->incoming_mode && !o->listen)
		die("usage: lockvm incoming --listen unix:PATH|tcp:HOST:PORT [--accept-timeout S] "
		    "[--name NAME] [-d] [--key FILE] [--require-key] [--mem SIZE] [--vcpus N] "
		    "[--disk PATH]...");
	if ((o->key || o->require_key) && !o->restore && !o->listen)
		die("run: --key and --require-key go with restore and incoming");
	if (o->require_key && !o->key)
		die("%s: --require-key: no --key given, and an unauthenticated stream is refused "
		    "(give --key FILE)",
		    o->restore ? "restore" : "incoming");
	if (o->listen && !o->key && strncmp(o->listen, "tcp:", 4) == 0)
		fprintf(stderr,
			"lockvm: warning: incoming --listen %s without --key: anyone who can reach "
			"the port can send the VM (give --key FILE; --require-key refuses this)\n",
			o->listen);
	if (o->accept_timeout_set && !o->listen)
		die("run: --accept-timeout goes with incoming");
	if (o->restore || o->listen) {
		/* The guest is the saved one: no image, no arguments. */
		if (optind < argc)
			die("%s: unexpected argument '%s'", o->restore ? "restore" : "incoming",
			    argv[optind]);
		if (o->linux_abi)
			die("--linux VMs cannot be restored or migrated yet");
		static char *none[1];
		o->guest = o->restore ? o->restore : o->listen;
		o->guest_argv = none;
		o->guest_argc = 0;
		return;
	}
	if (optind >= argc)
		die("run: no guest given (usage: lockvm run [OPTIONS] GUEST [-- ARGS...])");
	o->guest = argv[optind];
	o->guest_argv = argv + optind;
	o->guest_argc = argc - optind;
	/* "GUEST -- ARGS": drop the separator, keep GUEST as argv[0]. */
	if (o->guest_argc > 1 && strcmp(o->guest_argv[1], "--") == 0) {
		o->guest_argv[1] = o->guest_argv[0];
		o->guest_argv++;
		o->guest_argc--;
	}
	size_t bytes = ((size_t)o->guest_argc + 1) * sizeof(uint64_t);
	for (int i = 0; i < o->guest_argc; i++)
		bytes += strlen(o->guest_argv[i]) + 1;
	if (o->guest_argc > LOCKVM_MAX_ARGS)
		die("too many guest arguments (%d, at most %d)", o->guest_argc, LOCKVM_MAX_ARGS);
	if (bytes > LOCKVM_ARGS_AREA)
		die("guest arguments too long (%zu bytes, at most %d)", bytes, LOCKVM_ARGS_AREA);
}

/* Checks --hugepages, --ksm and --numa against this host, where a refusal
 * is clearer than a VMM failing halfway through its setup. */
static void check_memory_options(struct run_options *o)
{
	char err[384];
	if (o->mem_config.mergeable && o->mem_config.backing == GUEST_MEM_HUGETLB)
		die("--ksm and --hugepages=hugetlb do not go together: KSM merges only small "
		    "pages (use --hugepages=thp or no huge pages)");
	if (o->mem_config.backing == GUEST_MEM_THP &&
	    memhost_check_thp(MEMHOST_SYSFS_MM, err, sizeof(err)) < 0)
		die("--hugepages=thp: %s", err);
	if (o->mem_config.backing == GUEST_MEM_HUGETLB &&
	    memhost_check_hugetlb(MEMHOST_SYSFS_MM, o->mem, err, sizeof(err)) < 0)
		die("--hugepages=hugetlb: %s", err);
	if (o->mem_config.mergeable) {
		int ksm = memhost_ksm_state(MEMHOST_SYSFS_MM);
		if (ksm < 0)
			die("--ksm: this kernel has no KSM (%s/ksm is missing)", MEMHOST_SYSFS_MM);
		if (ksm == 0)
			warn_msg("--ksm: KSM is not running on this host (%s/ksm/run is not 1): "
				 "guest RAM is mergeable, but nothing merges until it runs",
				 MEMHOST_SYSFS_MM);
	}
	if (o->numa &&
	    numa_check_nodes(NUMA_SYSFS_DIR, &o->numa_nodes, &o->numa_cpus, err, sizeof(err)) < 0)
		die("--numa %s: %s", o->numa, err);
}

/* Whether our own VMM binary asks for a dynamic loader: it then cannot
 * start in the VMM's empty root (sanitizer builds cannot link static). */
static bool vmm_is_dynamic(int fd)
{
	Elf64_Ehdr eh;
	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) ||
	    eh.e_phentsize != sizeof(Elf64_Phdr))
		return false;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * sizeof(ph))) !=
		    (ssize_t)sizeof(ph))
			return false;
		if (ph.p_type == PT_INTERP)
			return true;
	}
	return false;
}

/* Opens the VMM binary that sits next to this executable. */
static int open_vmm_binary(bool confine)
{
	char self[PATH_MAX], path[PATH_MAX + 16];
	const char *override = getenv("LOCKVM_VMM");
	if (override) {
		snprintf(path, sizeof(path), "%s", override);
	} else {
		util_exe_dir(self, sizeof(self));
		snprintf(path, sizeof(path), "%s/lockvm-vmm", self);
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die_errno("open(%s) (the VMM binary; is lockvm installed completely?)", path);
	if (confine && vmm_is_dynamic(fd))
		die("%s is dynamically linked (a sanitizer build?) and cannot start in the "
		    "VMM's empty root: use a release build, or --confine off",
		    path);
	return fd;
}

/* Opens the file an O_PATH fd names, with flags: the same inode, through
 * /proc/self/fd, not a second walk of a path that could find another
 * file. Closes path_fd. */
static int reopen_path_fd(int path_fd, int flags, const char *what, const char *path)
{
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", path_fd);
	int fd = open(proc, flags | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		die_errno("%s %s (reopening it through %s)", what, path, proc);
	close(path_fd);
	return fd;
}

/* The guest may be reached through a symbolic link (it is only read), but
 * its type is known before it is opened: a FIFO would block the open. */
static int open_guest(const char *path)
{
	int path_fd = open(path, O_PATH | O_CLOEXEC);
	if (path_fd < 0)
		die_errno("guest %s", path);
	struct stat st;
	if (fstat(path_fd, &st) < 0)
		die_errno("fstat(%s)", path);
	if (!S_ISREG(st.st_mode))
		die("guest %s: not a regular file", path);
	return reopen_path_fd(path_fd, O_RDONLY, "guest", path);
}

static const char *file_kind(mode_t mode)
{
	return S_ISREG(mode)	? "a regular file"
	       : S_ISBLK(mode)	? "a block device"
	       : S_ISCHR(mode)	? "a character device"
	       : S_ISFIFO(mode) ? "a FIFO"
	       : S_ISSOCK(mode) ? "a socket"
	       : S_ISDIR(mode)	? "a directory"
	       : S_ISLNK(mode)	? "a symbolic link"
				: "not a regular file";
}

/*
 * Opens one --disk for the VM. The supervisor is root and gives a rw disk
 * to the VM's uid, so whoever can write a directory on the path must not
 * be able to steer the open elsewhere (SECURITY.md "Disks"):
 * - no symbolic link anywhere in the path (openat2 RESOLVE_NO_SYMLINKS;
 *   O_NOFOLLOW on the last component where openat2 is missing);
 * - the type is decided by fstat of an O_PATH fd, before the file is
 *   really opened, so a FIFO cannot block us and no device is opened
 *   (opening some has side effects) unless ,dev asked for a block device;
 * - the real open goes through /proc/self/fd of that O_PATH fd
 *   (reopen_path_fd).
 */
static int open_disk(const struct run_disk *d)
{
	struct open_how how = {.flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_NO_SYMLINKS};
	int path_fd = (int)syscall(SYS_openat2, AT_FDCWD, d->path, &how, sizeof(how));
	if (path_fd < 0 && errno == ENOSYS) /* before Linux 5.6 */
		path_fd = open(d->path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (path_fd >= 0 && fstat(path_fd, &st) < 0)
		die_errno("fstat(%s)", d->path);
	if ((path_fd < 0 && errno == ELOOP) || (path_fd >= 0 && S_ISLNK(st.st_mode)))
		die("disk %s: the path goes through a symbolic link; give the real path "
		    "(realpath %s)",
		    d->path, d->path);
	if (path_fd < 0)
		die_errno("disk %s", d->path);
	if (d->device && !S_ISBLK(st.st_mode))
		die("disk %s: ,dev is for block devices and this is %s", d->path,
		    file_kind(st.st_mode));
	if (S_ISBLK(st.st_mode) && !d->device)
		die("disk %s: a block device; attach one only by saying so, with --disk %s,dev",
		    d->path, d->path);
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		die("disk %s: %s; a disk is an image file (or a block device, with ,dev)", d->path,
		    file_kind(st.st_mode));
	int fd = reopen_path_fd(path_fd, d->read_only ? O_RDONLY : O_RDWR, "disk", d->path);
	struct stat now;
	if (fstat(fd, &now) < 0)
		die_errno("fstat(%s)", d->path);
	if (now.st_dev != st.st_dev || now.st_ino != st.st_ino)
		die("disk %s: changed while being opened", d->path);
	if (S_ISREG(now.st_mode) && now.st_size % LOCKVM_SECTOR_SIZE)
		die("disk %s: size %lld is not a multiple of %d bytes", d->path,
		    (long long)now.st_size, LOCKVM_SECTOR_SIZE);
	return fd;
}

static void open_disks(struct run_options *o)
{
	for (unsigned i = 0; i < o->disk_count; i++)
		o->disks[i].fd = open_disk(&o->disks[i]);
}

/* --fs: the supervisor reads the host tree now, while privileged; the VMM
 * gets one sealed memfd holding the packed image and never sees a path. */
static int pack_fs(const char *dir)
{
	char err[512];
	int fd = memfd_create("lockvm-fs", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		die_errno("memfd_create(--fs image)");
	if (linux_fsimage_pack(dir, fd, err, sizeof(err)) < 0)
		die("%s", err);
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) < 0)
		die_errno("sealing the --fs image");
	return fd;
}

/* A policy compiled to a BPF memfd on a thread beside the main one:
 * compiling overlaps the uid reservation and cgroup setup (start cost,
 * `make bench`). */
struct policy_job {
	const char *name;
	enum seccomp_policy_mode mode;
	pthread_t thread;
	int fd;
	char err[PATH_MAX + 640];
};

static void *compile_policy(void *arg)
{
	struct policy_job *job = arg;
	char dir[PATH_MAX], path[PATH_MAX + 32], err[512];
	seccomp_policy_default_dir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, job->name);
	job->fd = -1;
	scmp_filter_ctx ctx = seccomp_policy_compile_file(path, job->mode, err, sizeof(err));
	if (!ctx) {
		snprintf(job->err, sizeof(job->err), "seccomp policy %s: %s", path, err);
		return NULL;
	}
	job->fd = seccomp_policy_export_fd(ctx);
	if (job->fd < 0)
		snprintf(job->err, sizeof(job->err), "exporting seccomp policy %s: %s", path,
			 strerror(errno));
	seccomp_release(ctx);
	return NULL;
}

/* The VMM's filters: its main thread's, its vCPU threads', and the setup
 * phase's (installed before it parses any guest input, kept under both). */
#define VMM_POLICIES 3

static void *compile_all(void *arg)
{
	struct policy_job *jobs = arg;
	for (int i = 0; i < VMM_POLICIES; i++)
		compile_policy(&jobs[i]);
	return NULL;
}

/* One thread for all: the main thread reserves the uid and makes the
 * cgroup meanwhile, and these machines may have two cores. */
static void compile_policies_start(struct policy_job jobs[VMM_POLICIES],
				   enum seccomp_policy_mode mode)
{
	jobs[0] = (struct policy_job){.name = "vmm.policy", .mode = mode};
	jobs[1] = (struct policy_job){.name = "vcpu.policy", .mode = mode};
	jobs[2] = (struct policy_job){.name = "vmm_setup.policy", .mode = mode};
	int rc = pthread_create(&jobs[0].thread, NULL, compile_all, jobs);
	if (rc != 0) {
		errno = rc;
		die_errno("pthread_create (seccomp policy compiler)");
	}
}

/* Joins the compiler: the supervisor is single-threaded again after it,
 * as sandbox_spawn() needs. */
static void compile_policies_finish(struct policy_job jobs[VMM_POLICIES])
{
	pthread_join(jobs[0].thread, NULL);
	for (int i = 0; i < VMM_POLICIES; i++)
		if (jobs[i].fd < 0)
			die("%s", jobs[i].err);
}

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
	int tap_fd;	   /* --net: the supervisor's copy until the VMM has it */
	bool net_attached; /* the tap exists and is on its bridge */
	int log_fd;
	int out_pipe[2], err_pipe[2]; /* the VMM's stdout and stderr, teed to the log */
	int ready_pipe[2];	      /* the VMM says "R" once its guest runs confined */
	int ready_fd;		      /* --detach: tells the waiting parent */
	int control_pair[2];	      /* supervisor's end, VMM's end (control.h) */
	struct control_relay relay;   /* `lockvm save|migrate` to the VMM */
};

/* One timestamped lifecycle line in the VM's log. */
static void log_event(struct run_state *st, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void log_event(struct run_state *st, const char *fmt, ...)
{
	if (st->log_fd < 0)
		return;
	char stamp[32], line[1024];
	time_t now = time(NULL);
	struct tm tm;
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	dprintf(st->log_fd, "%s lockvm: %s\n", stamp, line);
}

static void open_log(struct run_state *st)
{
	char path[PATH_MAX], leaf[PATHS_NAME_MAX + 8];
	snprintf(leaf, sizeof(leaf), "%s.log", st->vm.name);
	if (paths_mkdir(PATHS_LOG_DIR) < 0 ||
	    paths_join(path, sizeof(path), PATHS_LOG_DIR, leaf) < 0)
		die_errno("creating %s/%s", paths_root(), PATHS_LOG_DIR);
	st->log_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (st->log_fd < 0)
		die_errno("opening the VM's log %s", path);
}

static void random_uuid(char out[37])
{
	uint8_t b[16];
	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		die_errno("getrandom");
	b[6] = (uint8_t)((b[6] & 0x0F) | 0x40); /* version 4 */
	b[8] = (uint8_t)((b[8] & 0x3F) | 0x80); /* RFC 4122 variant */
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
}

static const char *disk_mode(const struct run_disk *d)
{
	return d->shared ? "shared" : d->read_only ? "ro" : "rw";
}

/*
 * The VM's identity, under the registry lock: dead VMs reaped, the name
 * claimed, a label unique among live VMs, the disks taken (owner, mode,
 * label, with conflicts refused). Everything it takes is recorded in
 * state.json first, so a killed supervisor's leftovers can be recovered.
 */
static void claim_identity(const struct run_options *o, struct run_state *st, uid_t uid, gid_t gid)
{
	char err[PATH_MAX + 256];
	struct reg_vm *vm = &st->vm;
	int lock = registry_lock();
	if (lock < 0)
		die("cannot lock the VM registry under %s", paths_root());
	registry_reap();
	if (o->name) {
		snprintf(vm->name, sizeof(vm->name), "%s", o->name);
		if (registry_live(vm->name) == 1) {
			registry_unlock(lock);
			die("a VM named '%s' is already running", vm->name);
		}
	} else {
		do /* vm-<8 hex>, like a short container id */
			snprintf(vm->name, sizeof(vm->name), "vm-%.8s", vm->uuid);
		while (registry_live(vm->name) == 1 && (random_uuid(vm->uuid), true));
	}
	struct vm_label *l = &vm->label;
	l->cat_a = l->cat_b = -1;
	l->kind = o->label_kind;
	if (l->kind == LABEL_STATIC)
		snprintf(l->process, sizeof(l->process), "%s", o->label);
	if (l->kind == LABEL_GROUP) {
		snprintf(l->group, sizeof(l->group), "%s", o->group);
		if (registry_group_pair(o->group, &l->cat_a, &l->cat_b) < 0)
			l->cat_a = -1; /* the group's first live member: a new pair */
	}
	if ((l->kind == LABEL_DYNAMIC || l->kind == LABEL_GROUP) && l->cat_a < 0) {
		uint32_t *used;
		size_t n;
		if (registry_pairs_in_use(&used, &n) < 0 ||
		    label_pick_pair(&st->config, used, n, &l->cat_a, &l->cat_b) < 0) {
			registry_unlock(lock);
			die("no free category pair in c%u.c%u: %zu VMs hold one", st->config.cat_lo,
			    st->config.cat_hi, n);
		}
		free(used);
	}
	label_format(&st->config, l);
	snprintf(vm->mac, sizeof(vm->mac), "%s", label_mac_model());
	snprintf(vm->mac_mode, sizeof(vm->mac_mode), "%s", label_mac_mode());
	snprintf(vm->state, sizeof(vm->state), "starting");
	vm->pid = (long)getpid();
	vm->started = (int64_t)time(NULL);
	vm->vcpus = o->vcpus;
	vm->mem = o->mem;
	vm->uid = uid;
	vm->gid = gid;
	vm->confined = o->confine;
	vm->linux_abi = o->linux_abi;
	snprintf(vm->seccomp, sizeof(vm->seccomp), "%s",
		 o->seccomp_mode == SECCOMP_POLICY_MODE_LOG    ? "log"
		 : o->seccomp_mode == SECCOMP_POLICY_MODE_TRAP ? "trap"
							       : "kill");
	snprintf(vm->cpus, sizeof(vm->cpus), "%s", o->cpus ? o->cpus : "");
	snprintf(vm->boot_id, sizeof(vm->boot_id), "%s", registry_boot_id());
	vm->ndisks = o->disk_count;
	for (unsigned i = 0; i < o->disk_count; i++) {
		struct reg_disk *d = &vm->disks[i];
		if (strlen(o->disks[i].path) >= sizeof(d->path)) {
			registry_unlock(lock);
			die("disk path longer than %d characters: %s", REGISTRY_PATH_MAX - 1,
			    o->disks[i].path);
		}
		snprintf(d->path, sizeof(d->path), "%s", o->disks[i].path);
		snprintf(d->mode, sizeof(d->mode), "%s", disk_mode(&o->disks[i]));
		snprintf(d->label, sizeof(d->label), "%s",
			 strcmp(d->mode, "rw") == 0 ? l->image : l->content);
	}
	if (registry_claim(vm, &st->registry_fd, err, sizeof(err)) < 0) {
		registry_unlock(lock);
		die("%s", err);
	}
	st->claimed = true;
	for (unsigned i = 0; i < o->disk_count; i++) {
		const struct reg_disk *d = &vm->disks[i];
		/* Labels are only written where SELinux is on (label_file_set). */
		if (images_take(o->disks[i].fd, d->path, vm->name, d->mode, d->label, uid, gid, err,
				sizeof(err)) < 0) {
			registry_unlock(lock);
			die("%s", err);
		}
	}
	registry_unlock(lock);
}

/* AppArmor: the per-VM profile lockvm-<uuid> with only this VM's files. */
static void load_apparmor_profile(const struct run_options *o, struct run_state *st)
{
	char err[PATH_MAX + 256], real[LOCKVM_MAX_DISKS + 1][PATH_MAX];
	struct apparmor_disk files[LOCKVM_MAX_DISKS + 1];
	size_t n = 0;
	if (apparmor_profile_name(st->vm.uuid, st->vm.profile, sizeof(st->vm.profile), err,
				  sizeof(err)) < 0)
		die("%s", err);
	if (strcmp(st->vm.mac, "apparmor") != 0 || st->vm.label.kind == LABEL_NONE)
		return; /* recorded and shown, "not enforced" */
	for (unsigned i = 0; i < o->disk_count; i++, n++) {
		if (!realpath(o->disks[i].path, real[n]))
			die_errno("realpath(%s)", o->disks[i].path);
		files[n] = (struct apparmor_disk){real[n], o->disks[i].read_only};
	}
	if (o->restore || o->listen) /* the stream is an fd: no file to name */
		n--;
	else if (!realpath(o->guest, real[n]))
		die_errno("realpath(%s)", o->guest);
	files[n] = (struct apparmor_disk){real[n], true};
	n++;
	static char text[64 << 10];
	if (apparmor_profile_generate(st->vm.uuid, files, n, text, sizeof(text), err, sizeof(err)) <
		0 ||
	    apparmor_profile_load(text, err, sizeof(err)) < 0)
		die("AppArmor profile %s: %s", st->vm.profile, err);
	st->profile_loaded = true;
}

/*
 * --net: the NIC's tap, made persistent and attached while privileged. It
 * is recorded in state.json first, so a killed supervisor's tap and port
 * can be removed by the next registry_reap(). The VMM gets an unattached
 * /dev/net/tun fd and the tap's name (it attaches itself: nic_tap_attach)
 * and a sealed memfd for its counters (kept for `lockvm inspect`).
 */
/* The SELinux context the VMM's channels and shared memory are made in
 * (mac_vmm_channel, mac_vmm_label_memfd), or NULL: none is needed. */
static const char *vmm_channel_label(const struct run_options *o, const struct run_state *st)
{
	return o->confine && strcmp(st->vm.mac, "selinux") == 0 && st->vm.label.process[0]
		   ? st->vm.label.process
		   : NULL;
}

static void setup_net(const struct run_options *o, struct run_state *st, struct launch *l,
		      int *keep, int *n_keep)
{
	char err[PATH_MAX + 256], mac_text[NETFRAME_MAC_TEXT];
	struct reg_net *rn = &st->vm.net;
	uint8_t mac[NETFRAME_MAC_LEN];
	if (o->net.kind == NET_NONE)
		return;
	if (o->mac) {
		(void)netframe_mac_parse(o->mac, mac, NULL); /* checked with the options */
	} else {
		uint8_t random[NETFRAME_MAC_LEN];
		if (getrandom(random, sizeof(random), 0) != (ssize_t)sizeof(random))
			die_errno("getrandom");
		netframe_mac_generate(random, mac);
	}
	netframe_mac_format(mac, mac_text);
	snprintf(rn->kind, sizeof(rn->kind), "%s", net_kind_name(o->net.kind));
	snprintf(rn->network, sizeof(rn->network), "%s", o->net.network);
	snprintf(rn->bridge, sizeof(rn->bridge), "%s", o->net.bridge);
	snprintf(rn->mac, sizeof(rn->mac), "%s", mac_text);
	snprintf(rn->ovs_db, sizeof(rn->ovs_db), "%s", o->net.kind == NET_OVS ? o->net.ovs_db : "");
	net_tap_name(st->vm.name, st->vm.uuid, rn->tap);
	rn->stats_fd = memfd_create("lockvm-nic-stats", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (rn->stats_fd < 0 || ftruncate(rn->stats_fd, 4096) < 0 ||
	    fcntl(rn->stats_fd, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) < 0)
		die_errno("the NIC counters memfd");
	/* In the VM's own context, like its channels: the MCS-constrained VMM
	 * maps it read-write, which a memfd of ours would refuse it. */
	if (mac_vmm_label_memfd(vmm_channel_label(o, st), rn->stats_fd) < 0)
		die_errno("labelling the NIC counters memfd for %s", vmm_channel_label(o, st));
	if (registry_save(&st->vm) < 0)
		die_errno("registry: recording the NIC of %s", st->vm.name);
	st->net_attached = true; /* from here, release_resources undoes it */
	/* The tap is the VMM's uid's (the per-VM uid, else ours): the VMM
	 * attaches itself, so the tun socket gets its label (tap_create). */
	uid_t owner = net_tap_owner(st->vm.uid);
	gid_t group = st->vm.uid ? (gid_t)st->vm.gid : getegid();
	if (net_attach(rn, owner, group, err, sizeof(err)) < 0)
		die("%s", err);
	st->tap_fd = tap_open_unattached(err, sizeof(err));
	if (st->tap_fd < 0)
		die("%s", err);
	l->net_fd = st->tap_fd;
	l->net_tap = rn->tap;
	memcpy(l->net_mac, mac, sizeof(l->net_mac));
	l->net_stats_fd = rn->stats_fd;
	keep[(*n_keep)++] = st->tap_fd;
	keep[(*n_keep)++] = rn->stats_fd;
	log_event(st, "net: tap %s on %s %s%s%s, mac %s", rn->tap, rn->kind, rn->bridge,
		  rn->network[0] ? ", network " : "", rn->network, mac_text);
}

static pid_t start_vmm(const struct run_options *o, struct run_state *st, int vmm_fd, int kvm_fd,
		       int guest_fd)
{
	/* Everything the VMM is told, in one checked message (common/launch.h);
	 * fd numbers are the supervisor's own (sandbox_spawn keeps them open
	 * across exec). */
	struct launch l;
	struct sandbox_config cfg;
	int keep[16 + LOCKVM_MAX_DISKS],
	    n_keep = 0; /* 16: stdio, kvm, guest, fs, three policies, ready, tap, NIC counters,
			   control, key, spare, launch */
	int policy_fds[VMM_POLICIES] = {-1, -1, -1};
	sandbox_config_init(&cfg);
	launch_init(&l);
	l.kvm_fd = kvm_fd;
	if (o->restore || o->listen) {
		l.restore_fd = guest_fd;
		if (o->listen)
			l.flags |= LAUNCH_INCOMING;
		if (o->key_fd >= 0) {
			l.key_fd = o->key_fd;
			keep[n_keep++] = o->key_fd;
		}
	} else {
		l.elf_fd = guest_fd;
	}
	l.mem = o->mem;
	l.vcpus = o->vcpus;
	l.timeout_ns = o->timeout_ns;
	l.flags |= (o->stats ? LAUNCH_STATS : 0) | (o->mem_config.mergeable ? LAUNCH_KSM : 0);
	l.hugepages = o->mem_config.backing == GUEST_MEM_THP	   ? LAUNCH_THP
		      : o->mem_config.backing == GUEST_MEM_HUGETLB ? LAUNCH_HUGETLB
								   : LAUNCH_SMALL_PAGES;
	if (o->numa) {
		l.flags |= LAUNCH_NUMA;
		l.numa_nodes = o->numa_nodes;
		l.numa_cpus = o->numa_cpus;
	}
	if (o->linux_abi) {
		for (int fd = 0; fd < 3; fd++)
			l.tty_mask |= isatty(fd) ? 1u << fd : 0;
		l.flags |= LAUNCH_LINUX | (o->strace ? LAUNCH_STRACE : 0);
		l.fs_fd = o->fs_fd;
		l.envc = o->envc;
		l.envp = (const char **)o->env; /* read only: launch_encode copies */
	}
	keep[n_keep++] = STDIN_FILENO;
	keep[n_keep++] = STDOUT_FILENO;
	keep[n_keep++] = STDERR_FILENO;
	keep[n_keep++] = kvm_fd;
	keep[n_keep++] = guest_fd;
	if (o->fs_fd >= 0)
		keep[n_keep++] = o->fs_fd;
	l.disk_count = o->disk_count;
	for (unsigned i = 0; i < o->disk_count; i++) {
		l.disks[i] = (struct launch_disk){
		    .fd = o->disks[i].fd, .ro = o->disks[i].read_only, .path = o->disks[i].path};
		keep[n_keep++] = o->disks[i].fd;
	}

	/* Even unconfined, the VMM dies with its supervisor: nothing else would
	 * end it and give its resources back. */
	cfg.layers =
	    o->confine ? SANDBOX_LAYERS_ALL & ~sandbox_layers_unavailable() : SANDBOX_PDEATHSIG;
	struct policy_job policies[VMM_POLICIES] = {
	    {0}}; /* (clang-tidy cannot see o->confine stay) */
	if (o->confine)
		compile_policies_start(policies, o->seccomp_mode);
	if (o->confine) {
		unsigned missing = sandbox_layers_unavailable();
		for (unsigned bit = 1; bit & SANDBOX_LAYERS_ALL; bit <<= 1) {
			if (!(missing & bit))
				continue;
			if (bit == SANDBOX_UID)
				fprintf(stderr,
					"lockvm: rootless: layer uid not applied (the VMM runs as "
					"uid %u, unmapped in its own user namespace)\n",
					(unsigned)getuid());
			else
				fprintf(stderr, "lockvm: rootless: layer %s not applied (%s)\n",
					sandbox_layer_name(bit),
					bit == SANDBOX_CGROUP ? "no memory, pids or cpu limit"
							      : "needs root");
		}
		if (cfg.layers & SANDBOX_UID) {
			if (uid_reserve(paths_root(), &st->config.uids, &st->lease) < 0)
				die("cannot reserve a per-VM uid");
			st->have_lease = true;
			cfg.uid = st->lease.uid;
			cfg.gid = st->lease.gid;
		}
	}
	claim_identity(o, st, o->confine && (cfg.layers & SANDBOX_UID) ? cfg.uid : 0,
		       o->confine && (cfg.layers & SANDBOX_UID) ? cfg.gid : 0);
	open_log(st);
	log_event(st, "start: %s, %u vCPU%s, %" PRIu64 " MiB, uuid %s", o->guest, o->vcpus,
		  o->vcpus == 1 ? "" : "s", o->mem >> 20, st->vm.uuid);
	load_apparmor_profile(o, st);
	setup_net(o, st, &l, keep, &n_keep);
	if (o->confine) {
		if (cfg.layers & SANDBOX_CGROUP) {
			char name[64];
			struct cgroup_limits limits = {
			    /* guest RAM plus the VMM's own overhead (documented in README) */
			    .memory_bytes =
				o->mem_limit ? o->mem_limit : cgroup_vm_memory_limit(o->mem),
			    .pids_max = o->vcpus + 16,
			};
			if (o->cpus) {
				cgroup_cpus_to_quota(o->cpus, CGROUP_CPU_PERIOD_US,
						     &limits.cpu_quota_us);
				limits.cpu_period_us = CGROUP_CPU_PERIOD_US;
			}
			/* By uuid: cgroups are host-wide, names only per root. */
			snprintf(name, sizeof(name), "vm-%s", st->vm.uuid);
			if (cgroup_create(&st->cgroup, NULL, NULL, name, &limits) < 0)
				die("cannot create the VM's cgroup");
			st->have_cgroup = true;
			cfg.cgroup = &st->cgroup;
			st->vm.cgroup = st->cgroup;
		}
		compile_policies_finish(policies);
		for (int i = 0; i < VMM_POLICIES; i++) {
			policy_fds[i] = policies[i].fd;
			keep[n_keep++] = policies[i].fd;
		}
		l.layers = cfg.layers;
		l.seccomp_vmm_fd = policies[0].fd;
		l.seccomp_vcpu_fd = policies[1].fd;
		l.seccomp_setup_fd = policies[2].fd;
		if (o->seccomp_mode == SECCOMP_POLICY_MODE_TRAP)
			l.flags |= LAUNCH_SECCOMP_TRAP;
	}
	/* The VMM's channels (ready, stdout, stderr), made once the label is
	 * claimed: socketpairs in the VM's
	 * own SELinux context where it gets one (mac_vmm_channel), else pipes. */
	const char *channel_label = vmm_channel_label(o, st);
	if (mac_vmm_channel(channel_label, st->ready_pipe) < 0)
		die_errno("making the VMM's ready channel (label %s)",
			  channel_label ? channel_label : "none");
	/* The control socket (save, migrate) in the VM's context too: under MCS
	 * the VMM may not use a socket carrying the supervisor's range. */
	if (mac_vmm_socketpair(channel_label, SOCK_SEQPACKET, st->control_pair) < 0)
		die_errno("making the VMM's control socket (label %s)",
			  channel_label ? channel_label : "none");
	l.control_fd = st->control_pair[1];
	keep[n_keep++] = st->control_pair[1];
	l.ready_fd = st->ready_pipe[1];
	keep[n_keep++] = st->ready_pipe[1];
	/* The exec label: the VM's SELinux context, or its AppArmor profile. */
	if (strcmp(st->vm.mac, "selinux") == 0 && st->vm.label.process[0])
		cfg.exec_label = st->vm.label.process;
	else if (st->profile_loaded)
		cfg.exec_label = st->vm.profile;
	cfg.require_mac = o->require_mac;
	st->vm.layers = cfg.layers;
	l.argc = (unsigned)o->guest_argc;
	l.argv = (const char **)o->guest_argv;
	char err[256], launch_fd_text[16];
	size_t launch_len;
	uint8_t *message = launch_encode(&l, &launch_len, err, sizeof(err));
	int launch_fd = message ? launch_write_memfd(message, launch_len, err, sizeof(err)) : -1;
	free(message);
	if (launch_fd < 0)
		die("%s", err);
	keep[n_keep++] = launch_fd;
	snprintf(launch_fd_text, sizeof(launch_fd_text), "%d", launch_fd);
	char *vmm_argv[] = {"lockvm-vmm", "--launch-fd", launch_fd_text, NULL};

	cfg.keep_fds = keep;
	cfg.n_keep_fds = (unsigned)n_keep;
	cfg.rlimits.fsize = 1ULL << 30; /* the disks are fds; stdout/err are pipes */
	for (unsigned i = 0; i < o->disk_count; i++) {
		struct stat sb;
		if (fstat(o->disks[i].fd, &sb) == 0 && (uint64_t)sb.st_size > cfg.rlimits.fsize)
			cfg.rlimits.fsize = (uint64_t)sb.st_size;
	}
	cfg.rlimits.nproc = o->vcpus + 16; /* threads count against NPROC */
	cfg.hostname = st->vm.name;

	/* The VMM's stdout and stderr are pipes the supervisor tees to the log
	 * (and to its own stdout/stderr): swapped in around the spawn, which
	 * hands fds 1 and 2 to the child as they are. */
	if (mac_vmm_channel(channel_label, st->out_pipe) < 0 ||
	    mac_vmm_channel(channel_label, st->err_pipe) < 0)
		die_errno("making the VMM's output channels (label %s)",
			  channel_label ? channel_label : "none");
	fflush(NULL);
	int saved_out = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
	int saved_err = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	if (saved_out < 0 || saved_err < 0 || dup2(st->out_pipe[1], STDOUT_FILENO) < 0 ||
	    dup2(st->err_pipe[1], STDERR_FILENO) < 0)
		die_errno("redirecting the VMM's stdout/stderr");
	pid_t pid = sandbox_spawn(&cfg, vmm_fd, vmm_argv, &st->lifeline);
	close(launch_fd);
	int spawn_errno = errno;
	dup2(saved_out, STDOUT_FILENO);
	dup2(saved_err, STDERR_FILENO);
	close(saved_out);
	close(saved_err);
	close(st->out_pipe[1]);
	close(st->err_pipe[1]);
	close(st->ready_pipe[1]);
	st->out_pipe[1] = st->err_pipe[1] = st->ready_pipe[1] = -1;
	if (pid < 0) {
		errno = spawn_errno;
		die_errno("starting the VMM (clone)");
	}
	for (int i = 0; i < VMM_POLICIES; i++) /* the policies are the VMM's now */
		if (policy_fds[i] >= 0)
			close(policy_fds[i]);
	if (st->tap_fd >= 0) /* the VMM's now: it attaches to the tap with it */
		close(st->tap_fd);
	st->tap_fd = -1;
	return pid;
}

static void release_resources(const struct run_options *o, struct run_state *st)
{
	if (st->lifeline >= 0)
		close(st->lifeline);
	st->lifeline = -1;
	if (st->have_cgroup)
		cgroup_destroy(&st->cgroup);
	st->have_cgroup = false;
	if (st->tap_fd >= 0)
		close(st->tap_fd);
	st->tap_fd = -1;
	if (st->net_attached)
		net_release(&st->vm.net, true, net_tap_owner(st->vm.uid));
	st->net_attached = false;
	if (st->profile_loaded) {
		char err[256];
		if (apparmor_profile_remove(st->vm.profile, err, sizeof(err)) < 0)
			warn_msg("removing AppArmor profile %s: %s", st->vm.profile, err);
		st->profile_loaded = false;
	}
	if (st->claimed) {
		int lock = registry_lock();
		images_release(st->vm.name);
		registry_remove(st->vm.name);
		registry_unlock(lock);
		close(st->registry_fd);
		st->registry_fd = -1;
		st->claimed = false;
	}
	if (st->have_lease)
		uid_release(&st->lease);
	st->have_lease = false;
}

/* What run_main has taken is given back also when it dies on the way
 * (die() exits): cgroup removed, images restored, name and uid released. */
static struct {
	const struct run_options *o;
	struct run_state *st;
} taken;

static void release_at_exit(void)
{
	if (taken.st)
		release_resources(taken.o, taken.st);
}

/* Copies what the VMM wrote on one pipe to `to` and to the log. With a
 * filter (`to` is a terminal), `to` gets the bytes a terminal would obey
 * shown instead (termfilter.h); the log always gets them raw. Returns
 * false at EOF. */
static bool tee_pipe(int from, int to, struct term_filter *filter, struct run_state *st)
{
	static char buf[16384], shown[TERM_FILTER_OUT_MAX(sizeof(buf))];
	ssize_t n = read(from, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	/* A closed terminal must not stop the VM: write errors are ignored. */
	if (n <= 0) {
		if (filter)
			(void)write_all(to, shown, term_filter_flush(filter, shown));
		return false;
	}
	if (filter)
		(void)write_all(to, shown, term_filter(filter, buf, (size_t)n, shown));
	else
		(void)write_all(to, buf, (size_t)n);
	if (st->log_fd >= 0)
		(void)write_all(st->log_fd, buf, (size_t)n);
	return true;
}

/* The VMM's end as lockvm's status, with a reason for the log. */
static int vmm_status(int wstatus, bool killed_for_time, const struct cgroup *cgroup,
		      uint64_t mem_limit, char *why, size_t whylen)
{
	if (killed_for_time) {
		fprintf(stderr, "timeout: VMM did not stop in time and was killed\n");
		snprintf(why, whylen, "timeout (VMM killed)");
		return EXIT_TIMEOUT;
	}
	if (WIFEXITED(wstatus)) {
		snprintf(why, whylen, "exit status %d", WEXITSTATUS(wstatus));
		return WEXITSTATUS(wstatus);
	}
	int sig = WTERMSIG(wstatus);
	uint64_t oom_kills = 0;
	/* The cgroup's OOM killer sends SIGKILL; its counter says it was the
	 * one, rather than a user's kill -9. */
	if (sig == SIGKILL && cgroup && cgroup_oom_kills(cgroup, &oom_kills) == 0 &&
	    oom_kills > 0) {
		fprintf(stderr,
			"lockvm: VM exceeded its memory limit (%" PRIu64
			" MiB: guest RAM plus VMM overhead, or --mem-limit) and was stopped\n",
			mem_limit >> 20);
		snprintf(why, whylen, "memory limit of %" PRIu64 " MiB exceeded", mem_limit >> 20);
		return EXIT_OOM_KILLED;
	}
	if (sig == SIGSYS)
		fprintf(stderr, "lockvm: VMM killed by seccomp (SIGSYS)\n");
	else
		fprintf(stderr, "lockvm: VMM killed by signal %d (%s)\n", sig, strsignal(sig));
	snprintf(why, whylen, "VMM killed by signal %d (%s)", sig, strsignal(sig));
	return EXIT_SIGNAL_BASE + sig;
}

/*
 * Waits for the VMM, teeing its output to the log and forwarding
 * SIGINT/SIGTERM (end now) and SIGUSR2 (`lockvm stop`: ask the guest);
 * returns lockvm's status and says why in `why`. With stats non-NULL,
 * samples the VMM's memory every STATS_INTERVAL_NS into *stats (the VMM
 * itself sees no /proc), and sets its peak from the kernel's count at exit.
 */
static int supervise(pid_t vmm, uint64_t timeout_ns, struct run_state *st, int sig_fd,
		     struct memstat *stats, uint64_t mem_limit, char *why, size_t whylen)
{
	uint64_t backstop = timeout_ns ? now_ns() + timeout_ns + BACKSTOP_NS : 0;
	bool killed_for_time = false, reaped = false;
	int status = EXIT_REFUSED;
	bool out_open = true, err_open = true;
	/* Guest output may carry escape sequences: a terminal gets them shown,
	 * not obeyed; a pipe or file gets the exact bytes. */
	struct term_filter out_filter = {0}, err_filter = {0};
	struct term_filter *out_tty = isatty(STDOUT_FILENO) ? &out_filter : NULL;
	struct term_filter *err_tty = isatty(STDERR_FILENO) ? &err_filter : NULL;
	const struct cgroup *cgroup = st->have_cgroup ? &st->cgroup : NULL;
	snprintf(why, whylen, "?");
	while (!reaped || out_open || err_open) {
		struct pollfd fds[5] = {
		    {.fd = sig_fd, .events = POLLIN},
		    {.fd = out_open ? st->out_pipe[0] : -1, .events = POLLIN},
		    {.fd = err_open ? st->err_pipe[0] : -1, .events = POLLIN},
		    {.fd = reaped ? -1 : st->relay.listen_fd, .events = POLLIN},
		    {.fd = reaped ? -1 : st->relay.vmm_fd, .events = POLLIN},
		};
		/* Once the VMM is gone, only its pipes are drained (its children
		 * died with its pid namespace, so EOF comes promptly). */
		int timeout_ms = stats && !reaped     ? (int)(STATS_INTERVAL_NS / 1000000)
				 : reaped || backstop ? 1000
						      : -1;
		int n = poll(fds, 5, timeout_ms);
		if (n < 0 && errno != EINTR)
			die_errno("poll");
		if (n > 0)
			control_relay_poll(&st->relay, fds[3].revents, fds[4].revents);
		if (n == 0 && reaped)
			break; /* a writer outlived the VMM: do not wait forever */
		if (fds[1].revents)
			out_open = tee_pipe(st->out_pipe[0], STDOUT_FILENO, out_tty, st);
		if (fds[2].revents)
			err_open = tee_pipe(st->err_pipe[0], STDERR_FILENO, err_tty, st);
		if (fds[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si) && !reaped &&
			    si.ssi_signo != SIGCHLD)
				kill(vmm, (int)si.ssi_signo);
		}
		if (backstop && !reaped && now_ns() >= backstop && !killed_for_time) {
			kill(vmm, SIGKILL);
			killed_for_time = true;
		}
		if (reaped)
			continue;
		struct memstat now;
		/* A zombie's status has no memory lines: keep the last live sample. */
		if (stats && memstat_read(vmm, &now) == 0 && now.rss_bytes)
			memstat_merge(stats, &now);
		int wstatus;
		struct rusage usage;
		if (wait4(vmm, &wstatus, WNOHANG | __WALL, &usage) == vmm) {
			reaped = true;
			if (stats && (uint64_t)usage.ru_maxrss * 1024 > stats->peak_rss_bytes)
				stats->peak_rss_bytes = (uint64_t)usage.ru_maxrss * 1024;
			status =
			    vmm_status(wstatus, killed_for_time, cgroup, mem_limit, why, whylen);
		}
	}
	return status;
}

/*
 * --detach: the caller's process waits until the VM runs, then exits 0
 * printing the VM's name; the supervisor carries on in a new session.
 * Whatever the supervisor prints before that reaches the caller's stderr.
 */
static void detach(struct run_state *st)
{
	int ready[2];
	if (pipe2(ready, O_CLOEXEC) < 0)
		die_errno("pipe2");
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		die_errno("fork");
	if (pid > 0) { /* the caller */
		taken.st = NULL;
		close(ready[1]);
		/* The supervisor's messages, then ACK and the VM's name; EOF
		 * without ACK means it gave up (its exit status says how). */
		static char buf[16384];
		size_t used = 0;
		ssize_t n;
		while (used < sizeof(buf) &&
		       (n = read(ready[0], buf + used, sizeof(buf) - used)) != 0) {
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				break;
			used += (size_t)n;
		}
		char *ack = memchr(buf, '\006', used);
		(void)write_all(STDERR_FILENO, buf, ack ? (size_t)(ack - buf) : used);
		if (ack) {
			(void)write_all(STDOUT_FILENO, ack + 1, used - (size_t)(ack + 1 - buf));
			_exit(0);
		}
		int wstatus;
		if (waitpid(pid, &wstatus, 0) == pid && WIFEXITED(wstatus) &&
		    WEXITSTATUS(wstatus) != 0)
			_exit(WEXITSTATUS(wstatus));
		_exit(EXIT_REFUSED);
	}
	close(ready[0]);
	setsid();
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0)
		die_errno("/dev/null");
	dup2(null, STDIN_FILENO);
	dup2(null, STDOUT_FILENO);
	dup2(ready[1], STDERR_FILENO); /* messages go to the caller until ready */
	close(null);
	st->ready_fd = ready[1];
}

static void detach_ready(struct run_state *st)
{
	if (st->ready_fd < 0)
		return;
	char msg[PATHS_NAME_MAX + 4];
	int len = snprintf(msg, sizeof(msg), "\006%s\n", st->vm.name);
	(void)write_all(st->ready_fd, msg, (size_t)len);
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, STDERR_FILENO);
		close(null);
	}
	close(st->ready_fd);
	st->ready_fd = -1;
}

/* Whether the VMM was given an exec label (SELinux context or profile). */
static bool cfg_label_set(const struct run_state *st)
{
	return (strcmp(st->vm.mac, "selinux") == 0 && st->vm.label.process[0]) ||
	       st->profile_loaded;
}

/*
 * restore: the saved VM's label kind, static label, group, --net and --mac
 * from the record `lockvm save` left (save_record.h), where the options do
 * not say otherwise. Without a usable record the VM gets a fresh dynamic
 * label, and `note` says why (printed once the VM runs).
 */
static void restore_apply_record(struct run_options *o, int fd, char *note, size_t notelen)
{
	static struct save_record rec;
	char why[PATH_MAX + 128], err[PATH_MAX + 256];
	note[0] = '\0';
	if (save_record_find(fd, &rec, why, sizeof(why)) != 1) {
		if (!o->label_given)
			snprintf(note, notelen,
				 "restore: %s: %s; the VM gets a fresh dynamic label", o->restore,
				 why);
		return;
	}
	if (!o->label_given) {
		o->label_kind = rec.label_kind;
		o->label = rec.label_kind == LABEL_STATIC ? rec.label : NULL;
		o->group = rec.label_kind == LABEL_GROUP ? rec.group : NULL;
		if (o->label_kind == LABEL_STATIC &&
		    label_static_check(o->label, err, sizeof(err)) < 0)
			die("restore: the saved VM's label: %s (give --label)", err);
	}
	if (!o->net_given && rec.net[0] && net_spec_parse(rec.net, &o->net, err, sizeof(err)) < 0)
		die("restore: the saved VM's --net %s: %s (give --net)", rec.net, err);
	if (!o->mac && rec.mac[0] && o->net.kind != NET_NONE)
		o->mac = rec.mac; /* the guest may have cached it */
}

static int run_mode(int argc, char **argv, bool incoming);

int run_main(int argc, char **argv)
{
	return run_mode(argc, argv, false);
}

/* `lockvm restore FILE [OPTIONS]`: `run --restore FILE [OPTIONS]`. */
int restore_main(int argc, char **argv)
{
	static char *args[256];
	if (argc < 2 || argv[1][0] == '-' || argc > 250)
		die("usage: lockvm restore FILE [--name NAME] [-d] [--key FILE] [--require-key] "
		    "[--mem SIZE] "
		    "[--vcpus N] [--disk PATH]...");
	args[0] = argv[0];
	args[1] = "--restore";
	args[2] = argv[1];
	for (int i = 2; i < argc; i++)
		args[i + 1] = argv[i];
	return run_mode(argc + 1, args, false);
}

/* `lockvm incoming --listen ADDR [OPTIONS]`. */
int incoming_main(int argc, char **argv)
{
	return run_mode(argc, argv, true);
}

static int run_mode(int argc, char **argv, bool incoming)
{
	struct run_options o = {.incoming_mode = incoming};
	static struct run_state st;
	char err[PATH_MAX + 256], why[256];
	parse_options(argc, argv, &o);
	st = (struct run_state){.lifeline = -1,
				.tap_fd = -1,
				.registry_fd = -1,
				.log_fd = -1,
				.ready_fd = -1,
				.out_pipe = {-1, -1},
				.err_pipe = {-1, -1},
				.ready_pipe = {-1, -1},
				.control_pair = {-1, -1}};
	control_relay_init(&st.relay, -1, -1);
	check_memory_options(&o);
	taken.o = &o;
	taken.st = &st;
	atexit(release_at_exit);
	if (o.require_mac && !mac_enforcing())
		die("--require-mac: neither SELinux nor AppArmor is enforcing on this host "
		    "(active MAC: %s)",
		    mac_active());
	if (config_load(&st.config, err, sizeof(err)) < 0)
		die("%s", err);
	if (paths_mkdir(PATHS_VMS_DIR) < 0)
		die_errno("creating %s/%s", paths_root(), PATHS_VMS_DIR);
	if (o.label_kind == LABEL_STATIC && label_static_check(o.label, err, sizeof(err)) < 0)
		die("%s", err);
	random_uuid(st.vm.uuid);

	/* Everything is opened here, while privileged; the VMM gets fds only. */
	int kvm_fd = kvm_open_device(err, sizeof(err));
	if (kvm_fd < 0)
		die("%s", err);
	if (kvm_check(kvm_fd, o.vcpus, err, sizeof(err)) < 0)
		die("%s", err);
	int guest_fd = -1, listen_fd = -1;
	if (o.listen) {
		listen_fd = migrate_addr_listen(o.listen, err, sizeof(err));
		if (listen_fd < 0)
			die("incoming --listen %s: %s", o.listen, err);
	} else {
		guest_fd = open_guest(o.guest);
	}
	char restore_note[PATH_MAX + 256] = "";
	if (o.restore)
		restore_apply_record(&o, guest_fd, restore_note, sizeof(restore_note));
	if (o.key && (o.key_fd = open(o.key, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		die_errno("--key %s", o.key);
	open_disks(&o);
	if (o.fs_dir)
		o.fs_fd = pack_fs(o.fs_dir);
	int vmm_fd = open_vmm_binary(o.confine);
	if (o.detach)
		detach(&st);

	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	int sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sig_fd < 0)
		die_errno("signalfd");
	if (listen_fd >= 0) {
		/* The stream is read by the VMM only; the supervisor just
		 * accepts (a quiet source times out after 30 s). Nothing is
		 * claimed yet: giving up leaves only the socket to remove. */
		guest_fd = migrate_addr_accept(listen_fd, o.accept_timeout_s, 30, sig_fd, err,
					       sizeof(err));
		close(listen_fd);
		if (strncmp(o.listen, "unix:", 5) == 0)
			unlink(o.listen + 5);
		if (guest_fd < 0)
			die("incoming --listen %s: %s", o.listen, err);
	}
	pid_t vmm = start_vmm(&o, &st, vmm_fd, kvm_fd, guest_fd);
	close(st.control_pair[1]);
	if (o.key_fd >= 0)
		close(o.key_fd);
	control_relay_init(&st.relay, control_listen(st.vm.name), st.control_pair[0]);
	close(kvm_fd);
	close(guest_fd);
	close(vmm_fd);
	if (o.fs_fd >= 0)
		close(o.fs_fd);
	st.vm.vmm_pid = (long)vmm;
	/* "running" once every vCPU runs the guest confined (or the VMM ended:
	 * supervise() then reports how); the wait has a bound of its own. */
	struct pollfd rp = {.fd = st.ready_pipe[0], .events = POLLIN};
	char r = 0;
	if (poll(&rp, 1, 60000) > 0)
		(void)!read(st.ready_pipe[0], &r, 1);
	close(st.ready_pipe[0]);
	/* Said once the stream was accepted, so a refusal stays one line. */
	if (r == 'R' && restore_note[0]) {
		fprintf(stderr, "lockvm: %s\n", restore_note);
		log_event(&st, "%s", restore_note);
	}
	snprintf(st.vm.state, sizeof(st.vm.state), "running");
	if (registry_save(&st.vm) < 0)
		warn_errno("registry: recording VMM pid");
	log_event(&st, "label: %s (%s%s%s; image %s; %s %s)",
		  st.vm.label.process[0] ? st.vm.label.process : "none",
		  label_kind_name(st.vm.label.kind), st.vm.label.group[0] ? " " : "",
		  st.vm.label.group, st.vm.label.image[0] ? st.vm.label.image : "unlabelled",
		  st.vm.mac, st.vm.mac_mode);
	char on[512] = "", off[512] = "";
	bool mac_off = strcmp(st.vm.mac_mode, "not enforced") == 0 || !cfg_label_set(&st);
	for (unsigned bit = 1; bit & SANDBOX_LAYERS_ALL; bit <<= 1) {
		bool applied = (st.vm.layers & bit) && !(bit == SANDBOX_MAC && mac_off);
		char *list = applied ? on : off;
		size_t len = strlen(list);
		snprintf(list + len, sizeof(on) - len, "%s%s", len ? " " : "",
			 sandbox_layer_name(bit));
	}
	log_event(&st, "layers enforced: %s%s", on[0] ? on : "none",
		  o.confine ? "" : " (--confine off)");
	log_event(&st, "layers not enforced: %s%s", off[0] ? off : "none",
		  mac_off ? " (the MAC label is recorded, not enforced)" : "");
	log_event(&st, "vmm pid %ld", st.vm.vmm_pid);
	detach_ready(&st);
	struct memstat stats = {0};
	int status =
	    supervise(vmm, o.timeout_ns, &st, sig_fd, o.stats ? &stats : NULL,
		      o.mem_limit ? o.mem_limit : cgroup_vm_memory_limit(o.mem), why, sizeof(why));
	if (o.stats) {
		char line[256];
		memstat_format(&stats, line, sizeof(line));
		fprintf(stderr, "stats: %s\n", line);
	}
	control_relay_close(&st.relay, st.vm.name);
	log_event(&st, "exit: %d (%s)", status, why);
	release_resources(&o, &st);
	for (unsigned i = 0; i < o.disk_count; i++)
		close(o.disks[i].fd);
	return status;
}
