/* `lockvm run` options: parsing, checks against this host, usage, and what a restore takes from its save record. */
#include "run_internal.h"

#include <arpa/inet.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apparmor_stack.h"
#include "cliopt.h"
#include "memhost.h"
#include "netframe.h"
#include "paths.h"
#include "save_record.h"

/* The smallest --mem-limit: the VMM alone needs a few MiB. */
#define RUN_MEM_LIMIT_MIN (16ULL << 20)
/* `lockvm incoming` gives up when no source connects within this long
 * (--accept-timeout; README), so a forgotten target does not hold its
 * socket for ever. */
#define RUN_ACCEPT_TIMEOUT_S 300
/* getopt value of --require-key (no short letter is free to name it). */
#define RUN_OPT_REQUIRE_KEY  0x100
#define RUN_OPT_LOG_SIZE_MAX 0x101
/* --linux: the program's view of itself (parse_ident_option). */
#define RUN_OPT_WORKDIR	       0x102
#define RUN_OPT_HOSTNAME       0x103
#define RUN_OPT_USER	       0x104
#define RUN_OPT_GROUP_ADD      0x105
#define RUN_OPT_RLIMIT	       0x106
#define RUN_OPT_FS_UPPER       0x107
#define RUN_OPT_TMPFS	       0x108
#define RUN_OPT_PIDS	       0x109
#define RUN_OPT_IP	       0x110
#define RUN_OPT_GATEWAY	       0x111
#define RUN_OPT_DNS	       0x112
#define RUN_OPT_PUBLISH	       0x113
#define RUN_OPT_KEEP_UPPER     0x120
#define RUN_OPT_CPU_SHARES     0x121
#define RUN_OPT_RECORD	       0x122
#define RUN_OPT_APPARMOR_STACK 0x123

/*
 * The options of run, restore and incoming: one entry each (the help is
 * made from it); the switch in run_parse_options reads each key.
 */
static const struct cliopt run_options_table[] = {
    {"mem", 'm', required_argument, 0, "SIZE",
     "guest RAM (K/M/G suffix; default 64M, --linux 1G; 8M..256G, multiple of 2M)"},
    {"vcpus", 'c', required_argument, 0, "N",
     "vCPUs, one host thread each (1-64; --linux: 1-8; default 1)"},
    {"disk", 'k', required_argument, 0, "PATH[,ro|,shared][,dev]",
     "attach a disk image, or with ,dev a block device (repeatable, up to 16; no symbolic "
     "link in PATH)"},
    {"name", 'n', required_argument, 0, "NAME",
     "the VM's name in the registry (default vm-XXXXXXXX)"},
    {"detach", 'D', no_argument, 'd', NULL, "return once the VM runs; console goes to its log"},
    {"label", 'l', required_argument, 0, "dynamic|none|CONTEXT",
     "the VM's MAC label (default dynamic)"},
    {"group", 'g', required_argument, 0, "NAME",
     "share one category pair with the group's other VMs"},
    {"timeout", 't', required_argument, 0, "SECONDS", "stop the VM after this long (exit 124)"},
    {"ksm", 'K', no_argument, 0, NULL, "let the host's KSM merge identical guest pages"},
    {"hugepages", 'H', optional_argument, 0, "thp|hugetlb|off",
     "back guest RAM with huge pages (default thp); without it: thp for 512 MiB of RAM or "
     "more where the host allows it (not with --ksm), else 4 KiB pages; off: 4 KiB"},
    {"numa", 'N', required_argument, 0, "NODES",
     "bind guest RAM and vCPU threads to NUMA nodes (e.g. 0 or 0,1)"},
    {"mem-limit", 'L', required_argument, 0, "SIZE",
     "cgroup memory limit (default: guest RAM + VMM overhead)"},
    {"cpus", 'P', required_argument, 0, "N",
     "CPU time quota in CPUs (e.g. 0.5 or 2; cgroup cpu controller)"},
    {"cpu-shares", RUN_OPT_CPU_SHARES, required_argument, 0, "N",
     "the VM's CPU weight under contention, 2-262144 (default 1024: cgroup v1 cpu.shares, "
     "v2 cpu.weight converted as runc does)"},
    {"seccomp", 'S', required_argument, 0, "kill|log|trap",
     "a syscall outside the policy: kill the VMM (default); log: allowed and logged by the "
     "kernel (learning mode); trap: named on stderr, then exit 159"},
    {"require-mac", 'R', no_argument, 0, NULL,
     "refuse to run (125) unless SELinux or AppArmor enforces"},
    {"apparmor-stack", RUN_OPT_APPARMOR_STACK, required_argument, 0, "PROFILE",
     "where AppArmor is on, also confine the VMM by this loaded profile (an engine's), stacked "
     "on its own lockvm-UUID: both must allow (unconfined: none)"},
    {"confine", 'C', required_argument, 0, "on|off",
     "off runs the VMM unconfined (benchmarks, debugging only)"},
    {"stats", 's', no_argument, 0, NULL, "print exit counts and the VMM's memory when the VM ends"},
    {"json", 'j', no_argument, 0, NULL,
     "when the VM ends, print its result as one JSON line on stdout (fields in README)"},
    {"linux", 'X', no_argument, 0, NULL, "GUEST is an unmodified static Linux x86-64 program"},
    {"fs", 'F', required_argument, 0, "HOSTDIR",
     "with --linux: the file tree it sees as /, read-only, under --fs-upper"},
    {"fs-upper", RUN_OPT_FS_UPPER, required_argument, 0, "memory[:SIZE]|none|DIR",
     "with --linux: where writes to / go: a copy-on-write layer in memory (default, SIZE "
     "default half of --mem, at least 16M), none (a read-only root), or DIR (a path with a "
     "'/', empty or new): the memory layer, written to DIR as an OCI layer when the job "
     "ends"},
    {"keep-upper", RUN_OPT_KEEP_UPPER, no_argument, 0, NULL,
     "with --linux and the memory layer: write it when the job ends to a new directory "
     "under the state root (its path is printed and logged), as --fs-upper DIR would"},
    {"record", RUN_OPT_RECORD, required_argument, 0, "FILE",
     "with --linux: when the job ends, write to FILE (made or emptied now) as JSON every path "
     "it read (size and SHA-256 of what it read from --fs and volumes), wrote, created, "
     "deleted, renamed and ran, and every process it ran (argv, exit, CPU time)"},
    {"tmpfs", RUN_OPT_TMPFS, required_argument, 0, "GUEST_DIR[:size=SIZE]",
     "with --linux: an empty in-memory file system at GUEST_DIR (repeatable, up to 7; "
     "SIZE default a quarter of --mem, at least 16M; /tmp and /dev/shm always are one)"},
    {"volume", 'v', required_argument, 'v', "HOST:GUEST[:ro|:rw]",
     "with --linux: host directory HOST appears at GUEST, written in place (repeatable, up "
     "to 8); what the job leaves there belongs to HOST's owner when the VM ends"},
    {"env", 'E', required_argument, 0, "NAME=VALUE",
     "with --linux: add to its environment (repeatable)"},
    {"strace", 'T', no_argument, 0, NULL, "with --linux: print each system call and its result"},
    {"pids", RUN_OPT_PIDS, required_argument, 0, "N",
     "with --linux: processes the program may have at once, zombies included (default 256); "
     "fork fails with EAGAIN past it"},
    {"workdir", RUN_OPT_WORKDIR, required_argument, 0, "DIR",
     "with --linux: the program's first working directory, inside the tree (default /)"},
    {"hostname", RUN_OPT_HOSTNAME, required_argument, 0, "NAME",
     "with --linux: what uname and gethostname say in the VM (1-64 bytes; default lockvm)"},
    {"user", RUN_OPT_USER, required_argument, 0, "UID[:GID]",
     "with --linux: the ids the program sees itself run as (default 0:0); the VM's view "
     "only, never a host identity"},
    {"group-add", RUN_OPT_GROUP_ADD, required_argument, 0, "GID",
     "with --linux: a supplementary group the program sees (repeatable, up to 32)"},
    {"rlimit", RUN_OPT_RLIMIT, required_argument, 0, "NAME=SOFT[:HARD]",
     "with --linux: what getrlimit says (nofile, nproc, core, stack, ...; repeatable); "
     "nofile bounds the fd table (at most 64)"},
    {"net", 'W', required_argument, 0, "none|user|bridge=BR|ovs=BR|network=NAME|netns=PATH[,adopt]",
     "give the VM a NIC on a tap (default none); netns=PATH: the tap is made in that "
     "network namespace (a container engine's); ,adopt: the VM takes over the interface of "
     "its default route there (MAC, address, gateway); user: no tap, outbound TCP/UDP "
     "through passt's NAT, the gateway address reaching the host's loopback"},
    {"publish", RUN_OPT_PUBLISH, required_argument, 0, "HOSTPORT:GUESTPORT[/tcp|udp]",
     "with --net user: the host's port HOSTPORT forwards to the VM's GUESTPORT (repeatable, "
     "up to 16)"},
    {"ip", RUN_OPT_IP, required_argument, 0, "ADDR/PREFIX",
     "with --linux --net: eth0's IPv4 address (default: DHCP on eth0)"},
    {"gateway", RUN_OPT_GATEWAY, required_argument, 0, "ADDR",
     "with --linux --net --ip: eth0's default route"},
    {"dns", RUN_OPT_DNS, required_argument, 0, "ADDR",
     "with --linux --net: the name server /etc/resolv.conf names (default: DHCP's)"},
    {"mac", 'A', required_argument, 0, "ADDR",
     "the NIC's MAC (default: a random locally administered one)"},
    {"restore", 'r', required_argument, 0, "FILE", "run: continue the VM saved in FILE"},
    {"listen", 'i', required_argument, 0, "unix:PATH|tcp:HOST:PORT",
     "incoming: where the migrated VM comes from"},
    {"key", 'y', required_argument, 0, "FILE",
     "restore, incoming: the key the stream is authenticated with"},
    {"accept-timeout", 'a', required_argument, 0, "SECONDS",
     "incoming: give up when no source connects within this long (0: wait forever)"},
    {"require-key", RUN_OPT_REQUIRE_KEY, no_argument, 0, NULL,
     "restore, incoming: refuse a stream without --key"},
    {"log-size-max", RUN_OPT_LOG_SIZE_MAX, required_argument, 0, "SIZE",
     "cap of the VM's log, NAME.log and NAME.log.1 together (default: lockvm.conf [logs] "
     "size_max, 8M)"},
};

static const struct cliopt_spec run_spec = {
    .command = "run",
    .operands = "GUEST [-- ARGS...]",
    .summary = "run a guest in a new confined VM; the exit status is the guest's",
    .options = run_options_table,
    .count = ARRAY_SIZE(run_options_table),
    .max_operands = CLIOPT_MANY,
    /* Words after GUEST are the guest's own arguments. */
    .options_end_at_operand = true,
};
static const struct cliopt_spec restore_spec = {
    .command = "restore",
    .operands = "FILE",
    .summary = "continue a VM saved with 'lockvm save' in a new confined VM",
    .options = run_options_table,
    .count = ARRAY_SIZE(run_options_table),
    .min_operands = 1,
    .max_operands = 1,
};
static const struct cliopt_spec incoming_spec = {
    .command = "incoming",
    .operands = "",
    .summary = "wait for a VM migrated with 'lockvm migrate' and run it (needs --listen)",
    .options = run_options_table,
    .count = ARRAY_SIZE(run_options_table),
};

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

/* --workdir, --hostname, --user, --group-add, --rlimit: false for any other
 * option. */
static bool parse_ident_option(struct run_options *o, int opt, const char *arg)
{
	char err[256];
	unsigned resource;
	struct ident_rlimit lim;
	switch (opt) {
	case RUN_OPT_WORKDIR:
		if (arg[0] != '/' || strlen(arg) >= LAUNCH_PATH_MAX)
			die("--workdir '%.64s': want an absolute path in the VM's tree", arg);
		o->workdir = arg;
		break;
	case RUN_OPT_HOSTNAME:
		if (ident_check_hostname(arg, err, sizeof(err)) < 0)
			die("%s", err);
		o->hostname = arg;
		break;
	case RUN_OPT_USER:
		if (ident_parse_user(arg, &o->uid, &o->gid, err, sizeof(err)) < 0)
			die("%s", err);
		break;
	case RUN_OPT_GROUP_ADD:
		if (o->ngroups == IDENT_MAX_GROUPS)
			die("--group-add: at most %d groups", IDENT_MAX_GROUPS);
		if (ident_parse_gid(arg, &o->groups[o->ngroups], err, sizeof(err)) < 0)
			die("%s", err);
		o->ngroups++;
		break;
	case RUN_OPT_RLIMIT:
		if (ident_parse_rlimit(arg, &resource, &lim, err, sizeof(err)) < 0)
			die("%s", err);
		o->rlimits[resource] = lim;
		o->rlimit_set |= 1u << resource;
		break;
	default: return false;
	}
	o->ident_given = true;
	return true;
}

/* "A.B.C.D" (prefix NULL) or "A.B.C.D/P" (P 1..32) into network order;
 * a unicast address, neither 0.0.0.0 nor in 127/8, 224/4 or 255.255.255.255. */
static void parse_ipv4(const char *arg, const char *opt, uint32_t *addr, uint32_t *prefix)
{
	char text[INET_ADDRSTRLEN + 4];
	const char *want = prefix ? "want A.B.C.D/PREFIX, e.g. 10.0.0.2/24" : "want A.B.C.D";
	if (strlen(arg) >= sizeof(text))
		die("%s '%s': %s", opt, arg, want);
	snprintf(text, sizeof(text), "%s", arg);
	char *slash = strchr(text, '/');
	if ((slash != NULL) != (prefix != NULL))
		die("%s '%s': %s", opt, arg, want);
	if (slash) {
		char *end;
		*slash = '\0';
		unsigned long p = strtoul(slash + 1, &end, 10);
		if (!slash[1] || *end || p < 1 || p > 32)
			die("%s '%s': prefix from 1 to 32, %s", opt, arg, want);
		*prefix = (uint32_t)p;
	}
	struct in_addr in;
	if (inet_pton(AF_INET, text, &in) != 1)
		die("%s '%s': %s", opt, arg, want);
	uint32_t host = ntohl(in.s_addr);
	if (host == 0 || host == 0xffffffffU || (host >> 24) == 127 || (host >> 28) == 14)
		die("%s '%s': not a unicast address", opt, arg);
	*addr = in.s_addr;
}

void run_parse_options(int argc, char **argv, struct run_options *o)
{
	const struct cliopt_spec *spec = o->incoming_mode  ? &incoming_spec
					 : o->restore_mode ? &restore_spec
							   : &run_spec;
	struct cliopt_parser p;
	uint64_t value;
	int opt, count;
	bool incoming = o->incoming_mode, restore = o->restore_mode;
	*o = (struct run_options){.mem = 64ULL << 20,
				  .vcpus = 1,
				  .confine = true,
				  .fs_fd = -1,
				  .upper_fd = -1,
				  .upper_dir_fd = -1,
				  .record_fd = -1,
				  .record_memfd = -1,
				  .key_fd = -1,
				  .accept_timeout_s = RUN_ACCEPT_TIMEOUT_S};
	o->incoming_mode = incoming;
	o->restore_mode = restore;
	cliopt_begin(&p, spec, argc, argv);
	while ((opt = cliopt_next(&p))) {
		char *arg = p.value;
		switch (opt) {
		case 'm': {
			const char *problem;
			if (parse_size(arg, &o->mem) < 0)
				die("--mem '%s': not a size (use e.g. 64M or 1G)", arg);
			if ((problem = guest_mem_size_problem(o->mem)))
				die("--mem %s %s", arg, problem);
			o->mem_given = true;
			break;
		}
		case 'c':
			if (parse_uint(arg, 1, LOCKVM_MAX_VCPUS, &value) < 0)
				die("--vcpus '%s': want a number from 1 to %d", arg,
				    LOCKVM_MAX_VCPUS);
			o->vcpus = (unsigned)value;
			o->vcpus_given = true;
			break;
		case 'k': parse_disk(o, arg); break;
		case 't':
			if (parse_seconds(arg, 31536000, &o->timeout_ns) < 0)
				die("--timeout '%s': want seconds greater than 0, e.g. 10 or 0.5",
				    arg);
			break;
		case 's': o->stats = true; break;
		case 'j': o->json = true; break;
		case 'C':
			if (strcmp(arg, "on") != 0 && strcmp(arg, "off") != 0)
				die("--confine '%s': want on or off", arg);
			o->confine = strcmp(arg, "on") == 0;
			break;
		case 'X': o->linux_abi = true; break;
		case 'W': {
			char err[PATH_MAX + 256];
			o->net_given = true;
			if (net_spec_parse(arg, &o->net, err, sizeof(err)) < 0)
				die("%s", err);
			break;
		}
		case 'A': {
			uint8_t mac[NETFRAME_MAC_LEN];
			const char *why;
			if (netframe_mac_parse(arg, mac, &why) < 0)
				die("--mac '%s': %s", arg, why);
			o->mac = arg;
			break;
		}
		case 'T': o->strace = true; break;
		case RUN_OPT_IP: parse_ipv4(arg, "--ip", &o->net_ip, &o->net_prefix); break;
		case RUN_OPT_GATEWAY: parse_ipv4(arg, "--gateway", &o->net_gateway, NULL); break;
		case RUN_OPT_DNS: parse_ipv4(arg, "--dns", &o->net_dns, NULL); break;
		case RUN_OPT_PUBLISH: {
			char err[256];
			if (o->publish_count == PASST_PUBLISH_MAX)
				die("--publish: at most %d", PASST_PUBLISH_MAX);
			if (passt_publish_parse(arg, &o->publish[o->publish_count], err,
						sizeof(err)) < 0)
				die("%s", err);
			o->publish_count++;
			break;
		}
		case 'F': o->fs_dir = arg; break;
		case RUN_OPT_FS_UPPER: parse_fs_upper(o, arg); break;
		case RUN_OPT_TMPFS: parse_tmpfs(o, arg); break;
		case RUN_OPT_KEEP_UPPER: o->keep_upper = true; break;
		case 'v': parse_volume(o, arg); break;
		case 'E':
			if (!strchr(arg, '=') || arg[0] == '=' || strchr(arg, '\n'))
				die("--env '%s': want NAME=VALUE", arg);
			if (o->envc == ARRAY_SIZE(o->env))
				die("--env: at most %zu variables", ARRAY_SIZE(o->env));
			o->env[o->envc++] = arg;
			break;
		case 'S':
			if (strcmp(arg, "kill") == 0)
				o->seccomp_mode = SECCOMP_POLICY_MODE_KILL;
			else if (strcmp(arg, "log") == 0)
				o->seccomp_mode = SECCOMP_POLICY_MODE_LOG;
			else if (strcmp(arg, "trap") == 0)
				o->seccomp_mode = SECCOMP_POLICY_MODE_TRAP;
			else
				die("--seccomp '%s': want kill, log or trap", arg);
			break;
		case 'R': o->require_mac = true; break;
		case 'n': {
			const char *why;
			if (!paths_name_valid(arg, &why))
				die("--name '%s': %s (want 1-64 of [A-Za-z0-9_.-], not starting "
				    "with '.' or '-')",
				    arg, why);
			o->name = arg;
			break;
		}
		case 'D': o->detach = true; break;
		case 'l':
			o->label_given = true;
			if (o->label_kind == LABEL_GROUP)
				die("--label and --group exclude each other");
			if (strcmp(arg, "dynamic") == 0)
				o->label_kind = LABEL_DYNAMIC;
			else if (strcmp(arg, "none") == 0)
				o->label_kind = LABEL_NONE;
			else {
				o->label_kind = LABEL_STATIC;
				o->label = arg;
			}
			break;
		case 'g': {
			const char *why;
			if (o->label_kind != LABEL_DYNAMIC)
				die("--label and --group exclude each other");
			if (!paths_name_valid(arg, &why))
				die("--group '%s': %s", arg, why);
			o->label_kind = LABEL_GROUP;
			o->group = arg;
			o->label_given = true;
			break;
		}
		case 'P': {
			uint64_t quota;
			if (cgroup_cpus_to_quota(arg, CGROUP_CPU_PERIOD_US, &quota) < 0)
				die("--cpus '%s': want a number of CPUs above 0, e.g. 0.5 or 2 "
				    "(up to 3 decimals)",
				    arg);
			o->cpus = arg;
			break;
		}
		case 'K': o->mem_config.mergeable = true; break;
		case 'H': {
			/* Optional argument: only "--hugepages=KIND" carries one. */
			const char *kind = arg ? arg : "thp";
			o->hugepages_set = true;
			if (strcmp(kind, "off") == 0)
				o->mem_config.backing = GUEST_MEM_SMALL_PAGES;
			else if (strcmp(kind, "thp") == 0)
				o->mem_config.backing = GUEST_MEM_THP;
			else if (strcmp(kind, "hugetlb") == 0)
				o->mem_config.backing = GUEST_MEM_HUGETLB;
			else
				die("--hugepages=%s: want thp, hugetlb or off", kind);
			break;
		}
		case 'N':
			if (numa_parse_list(arg, &o->numa_nodes) < 0)
				die("--numa '%s': want a NUMA node or a list such as 0 or 0,1 or "
				    "0-1",
				    arg);
			o->numa = arg;
			break;
		case 'L':
			if (parse_size(arg, &o->mem_limit) < 0 || o->mem_limit < RUN_MEM_LIMIT_MIN)
				die("--mem-limit '%s': want a size of at least 16M, e.g. 512M or "
				    "2G",
				    arg);
			break;
		case 'r': o->restore = arg; break;
		case 'i': o->listen = arg; break;
		case 'y': o->key = arg; break;
		case RUN_OPT_REQUIRE_KEY: o->require_key = true; break;
		case RUN_OPT_APPARMOR_STACK: {
			char why[256];
			if (strcmp(arg, "unconfined") == 0) {
				o->apparmor_stack = NULL; /* the engine asks for no profile */
				break;
			}
			if (apparmor_stack_name_check(arg, why, sizeof(why)) < 0)
				die("--apparmor-stack: %s", why);
			o->apparmor_stack = arg;
			break;
		}
		case RUN_OPT_CPU_SHARES: {
			char why[96];
			if (cgroup_shares_parse(arg, &value, why, sizeof(why)) < 0)
				die("--cpu-shares '%s': %s", arg, why);
			o->cpu_shares = (unsigned)value;
			break;
		}
		case RUN_OPT_PIDS:
			if (parse_uint(arg, 1, LAUNCH_MAX_PIDS, &value) < 0)
				die("--pids '%s': want a number from 1 to %d", arg,
				    LAUNCH_MAX_PIDS);
			o->pids = (unsigned)value;
			break;
		case RUN_OPT_LOG_SIZE_MAX:
			if (parse_size(arg, &o->log_size_max) < 0 ||
			    o->log_size_max < VMLOG_SIZE_MAX_MIN)
				die("--log-size-max '%s': want a size of at least 64K, e.g. 8M",
				    arg);
			break;
		case 'a':
			if (parse_uint(arg, 0, 31536000, &value) < 0)
				die("--accept-timeout '%s': want whole seconds from 0 (wait "
				    "forever) to 31536000",
				    arg);
			o->accept_timeout_s = (int)value;
			o->accept_timeout_set = true;
			break;
		case RUN_OPT_RECORD: o->record = arg; break;
		default: parse_ident_option(o, opt, arg); break;
		}
	}
	char **operands = cliopt_operands(&p, &count);
	if (restore)
		o->restore = operands[0];
	if (!o->linux_abi && o->keep_upper)
		die("run: --keep-upper needs --linux");
	if (!o->linux_abi && o->record)
		die("%s: --record needs --linux", spec->command);
	if (!o->linux_abi && (o->fs_dir || o->strace || o->envc || o->fs_upper_set ||
			      o->upper_dir || o->tmpfs_count || o->tmp_size_set || o->volume_count))
		die("run: --fs, --fs-upper, --tmpfs, --volume, --env and --strace need --linux");
	if ((o->upper_dir || o->keep_upper) && o->fs_upper_set && !o->fs_upper)
		die("run: --fs-upper none has no upper layer to write (drop --keep-upper)");
	if ((o->upper_dir || o->keep_upper) && (o->restore_mode || o->incoming_mode))
		die("%s: --fs-upper DIR and --keep-upper are for run", spec->command);
	if (!o->linux_abi && o->ident_given)
		die("run: --workdir, --hostname, --user, --group-add and --rlimit need --linux");
	/* A job's RAM: reserved as it is touched, so a size that fits real
	 * jobs (gcc, python, a pipeline of dynamic programs) costs nothing
	 * until used; the cgroup limit follows it. */
	if (o->linux_abi && !o->mem_given)
		o->mem = RUN_LINUX_DEFAULT_MEM;
	/* The vCPUs of a job without --vcpus (README: why two); a restored VM
	 * keeps its own. */
	if (o->linux_abi && !o->vcpus_given && !o->restore_mode && !o->incoming_mode)
		o->vcpus = RUN_LINUX_DEFAULT_VCPUS;
	if (o->linux_abi)
		size_memory_fs(o);
	check_volumes(o);
	if (!o->linux_abi && o->pids)
		die("run: --pids needs --linux");
	if (o->linux_abi && o->vcpus > LAUNCH_MAX_LINUX_VCPUS)
		die("run: a --linux guest runs on 1 to %d vCPUs (--vcpus %u)",
		    LAUNCH_MAX_LINUX_VCPUS, o->vcpus);
	if (o->json && o->detach)
		die("%s: --json reports the VM's end, which --detach does not wait for (use "
		    "inspect --json)",
		    spec->command);
	if (o->mac && o->net.kind == NET_NONE)
		die("run: --mac needs --net");
	if (o->publish_count && o->net.kind != NET_USER)
		die("run: --publish needs --net user");
	if ((o->net_ip || o->net_gateway || o->net_dns) &&
	    (!o->linux_abi || o->net.kind == NET_NONE))
		die("run: --ip, --gateway and --dns need --linux and --net");
	if (o->net_gateway && !o->net_ip)
		die("run: --gateway needs --ip (DHCP gives the route)");
	if (o->net_dns && !o->net_ip && o->net.kind == NET_NETNS && !o->net.adopt)
		die("run: --dns with --net netns= needs --ip (no DHCP there) or ,adopt");
	if ((o->net_ip || o->net_gateway) && o->net.adopt)
		die("run: --ip and --gateway with --net netns=PATH,adopt: the VM takes the "
		    "namespace's own");
	if (o->mac && o->net.adopt)
		die("run: --mac with --net netns=PATH,adopt: the VM takes the interface's");
	if (o->linux_abi && o->disk_count)
		die("run: --disk is not offered to --linux guests (use --fs)");
	if (o->incoming_mode && !o->listen)
		cliopt_usage_die(spec, "--listen unix:PATH|tcp:HOST:PORT is needed");
	if (!o->incoming_mode && o->listen)
		die("%s: --listen goes with incoming", spec->command);
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
		if (count > (restore ? 1 : 0))
			die("%s: unexpected argument '%s'", o->restore ? "restore" : "incoming",
			    operands[restore ? 1 : 0]);
		if (o->linux_abi)
			die("--linux VMs cannot be restored or migrated yet");
		static char *none[1];
		o->guest = o->restore ? o->restore : o->listen;
		o->guest_argv = none;
		o->guest_argc = 0;
		return;
	}
	if (count == 0)
		cliopt_usage_die(spec, "no guest given");
	o->guest = operands[0];
	o->guest_argv = operands;
	o->guest_argc = count;
	/* "GUEST -- ARGS": drop the separator, keep GUEST as argv[0]. */
	if (o->guest_argc > 1 && strcmp(o->guest_argv[1], "--") == 0) {
		o->guest_argv[1] = o->guest_argv[0];
		o->guest_argv++;
		o->guest_argc--;
	}
	size_t bytes = ((size_t)o->guest_argc + 1) * sizeof(uint64_t);
	/* operands are argv's strings: none is NULL before guest_argc */
	for (int i = 0; i < o->guest_argc && o->guest_argv[i]; i++)
		bytes += strlen(o->guest_argv[i]) + 1;
	if (o->guest_argc > LOCKVM_MAX_ARGS)
		die("too many guest arguments (%d, at most %d)", o->guest_argc, LOCKVM_MAX_ARGS);
	if (bytes > LOCKVM_ARGS_AREA)
		die("guest arguments too long (%zu bytes, at most %d)", bytes, LOCKVM_ARGS_AREA);
}

/* Checks --hugepages, --ksm and --numa against this host, where a refusal
 * is clearer than a VMM failing halfway through its setup. */
void check_memory_options(struct run_options *o)
{
	char err[384];
	if (!o->hugepages_set &&
	    memhost_default_thp(MEMHOST_SYSFS_MM, o->mem, o->mem_config.mergeable, o->backing_note,
				sizeof(o->backing_note)))
		o->mem_config.backing = GUEST_MEM_THP; /* the host's mode is said in the log */
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

/*
 * restore: the saved VM's label kind, static label, group, --net and --mac
 * from the record `lockvm save` left (save_record.h), where the options do
 * not say otherwise. Without a usable record the VM gets a fresh dynamic
 * label, and `note` says why (printed once the VM runs).
 */
void restore_apply_record(struct run_options *o, int fd, char *note, size_t notelen)
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
