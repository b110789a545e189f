/* `lockvm run`: validates input, opens every resource, starts the VMM and reports how it ended. */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <elf.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kvm.h"
#include "linux_fs.h"
#include "memory.h"
#include "cgroup.h"
#include "image_owner.h"
#include "mac.h"
#include "paths.h"
#include "sandbox.h"
#include "seccomp_policy.h"
#include "uid.h"
#include "util.h"

/* The supervisor kills a VMM that outlives its own deadline by this much. */
#define BACKSTOP_NS (5ULL * 1000000000ULL)

struct run_disk {
	const char *path;
	bool read_only;
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
	const char *guest;
	/* --linux guests */
	bool linux_abi, strace;
	const char *fs_dir;
	const char *env[32];
	unsigned envc;
	int fs_fd;
	int guest_argc;
	char **guest_argv; /* guest_argv[0] is the guest as given */
};

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: lockvm run [OPTIONS] GUEST [-- ARGS...]\n"
	    "  --mem SIZE         guest RAM (K/M/G suffix; default 64M, 8M..256G, multiple of 2M)\n"
	    "  --vcpus N          vCPUs, one host thread each (1-64, default 1)\n"
	    "  --disk PATH[,ro]   attach a disk image (repeatable, up to 16)\n"
	    "  --timeout SECONDS  stop the VM after this long (exit 124)\n"
	    "  --cpus N           CPU time quota in CPUs (e.g. 0.5 or 2; cgroup cpu controller)\n"
	    "  --seccomp MODE     kill (default): a syscall outside the policy kills the VMM\n"
	    "                     log: allowed and logged by the kernel (learning mode)\n"
	    "                     trap: the syscall is named on stderr, then exit 159\n"
	    "  --require-mac      refuse to run (125) unless SELinux or AppArmor enforces\n"
	    "  --confine on|off   off runs the VMM unconfined (benchmarks, debugging only)\n"
	    "  --stats            print exit and hypercall counts when the VM ends\n"
	    "  --linux            GUEST is an unmodified static Linux x86-64 program\n"
	    "  --fs HOSTDIR       with --linux: the read-only file tree it sees as /\n"
	    "  --env NAME=VALUE   with --linux: add to its environment (repeatable)\n"
	    "  --strace           with --linux: print each system call and its result\n");
}

/* Parses PATH[,ro|,rw] in place (argv strings are ours to cut). */
static void parse_disk(struct run_options *o, char *spec)
{
	if (o->disk_count == LOCKVM_MAX_DISKS)
		die("--disk: at most %d disks", LOCKVM_MAX_DISKS);
	struct run_disk *d = &o->disks[o->disk_count];
	char *comma = strrchr(spec, ',');
	d->read_only = false;
	if (comma) {
		if (strcmp(comma + 1, "ro") == 0)
			d->read_only = true;
		else if (strcmp(comma + 1, "rw") != 0)
			die("--disk %s: unknown option '%s' (want ro or rw)", spec, comma + 1);
		*comma = '\0';
	}
	if (spec[0] == '\0')
		die("--disk: empty path");
	d->path = spec;
	o->disk_count++;
}

static void parse_options(int argc, char **argv, struct run_options *o)
{
	static const struct option longopts[] = {
	    {"mem", required_argument, NULL, 'm'},
	    {"vcpus", required_argument, NULL, 'c'},
	    {"disk", required_argument, NULL, 'd'},
	    {"timeout", required_argument, NULL, 't'},
	    {"stats", no_argument, NULL, 's'},
	    {"confine", required_argument, NULL, 'C'},
	    {"seccomp", required_argument, NULL, 'S'},
	    {"require-mac", no_argument, NULL, 'R'},
	    {"cpus", required_argument, NULL, 'P'},
	    {"help", no_argument, NULL, 'h'},
	    {"linux", no_argument, NULL, 'L'},
	    {"fs", required_argument, NULL, 'F'},
	    {"strace", no_argument, NULL, 'T'},
	    {"env", required_argument, NULL, 'E'},
	    {0},
	};
	uint64_t value;
	int opt;
	*o = (struct run_options){.mem = 64ULL << 20, .vcpus = 1, .confine = true, .fs_fd = -1};
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
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
		case 'd': parse_disk(o, optarg); break;
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
		case 'L': o->linux_abi = true; break;
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
		case 'P': {
			uint64_t quota;
			if (cgroup_cpus_to_quota(optarg, CGROUP_CPU_PERIOD_US, &quota) < 0)
				die("--cpus '%s': want a number of CPUs above 0, e.g. 0.5 or 2 "
				    "(up to 3 decimals)",
				    optarg);
			o->cpus = optarg;
			break;
		}
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
	if (o->linux_abi && o->disk_count)
		die("run: --disk is not offered to --linux guests (use --fs)");
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

static int open_guest(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		die_errno("guest %s", path);
	struct stat st;
	if (fstat(fd, &st) < 0)
		die_errno("fstat(%s)", path);
	if (!S_ISREG(st.st_mode))
		die("guest %s: not a regular file", path);
	return fd;
}

static void open_disks(struct run_options *o)
{
	for (unsigned i = 0; i < o->disk_count; i++) {
		struct run_disk *d = &o->disks[i];
		d->fd = open(d->path, (d->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NOCTTY);
		if (d->fd < 0)
			die_errno("disk %s", d->path);
		struct stat st;
		if (fstat(d->fd, &st) < 0)
			die_errno("fstat(%s)", d->path);
		if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
			die("disk %s: not a regular file or block device", d->path);
		if (S_ISREG(st.st_mode) && st.st_size % LOCKVM_SECTOR_SIZE)
			die("disk %s: size %lld is not a multiple of %d bytes", d->path,
			    (long long)st.st_size, LOCKVM_SECTOR_SIZE);
	}
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

/* The VMM's argv; fd numbers are the supervisor's own (sandbox_spawn keeps
 * them open across exec). */
struct vmm_argv {
	char *argv[56 + 2 * LOCKVM_MAX_DISKS + LOCKVM_MAX_ARGS + 2 * 32];
	char numbers[16 + LOCKVM_MAX_DISKS][32];
	int n, used;
};

static void vmm_arg(struct vmm_argv *a, const char *flag, const char *fmt, ...) PRINTF_LIKE(3, 4);
static void vmm_arg(struct vmm_argv *a, const char *flag, const char *fmt, ...)
{
	a->argv[a->n++] = (char *)flag;
	if (!fmt)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(a->numbers[a->used], sizeof(a->numbers[0]), fmt, ap);
	va_end(ap);
	a->argv[a->n++] = a->numbers[a->used++];
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

static void *compile_both(void *arg)
{
	struct policy_job *jobs = arg;
	compile_policy(&jobs[0]);
	compile_policy(&jobs[1]);
	return NULL;
}

/* One thread for both: the main thread reserves the uid and makes the
 * cgroup meanwhile, and these machines may have two cores. */
static void compile_policies_start(struct policy_job jobs[2], enum seccomp_policy_mode mode)
{
	jobs[0] = (struct policy_job){.name = "vmm.policy", .mode = mode};
	jobs[1] = (struct policy_job){.name = "vcpu.policy", .mode = mode};
	int rc = pthread_create(&jobs[0].thread, NULL, compile_both, jobs);
	if (rc != 0) {
		errno = rc;
		die_errno("pthread_create (seccomp policy compiler)");
	}
}

/* Joins the compiler: the supervisor is single-threaded again after it,
 * as sandbox_spawn() needs. */
static void compile_policies_finish(struct policy_job jobs[2])
{
	pthread_join(jobs[0].thread, NULL);
	for (int i = 0; i < 2; i++)
		if (jobs[i].fd < 0)
			die("%s", jobs[i].err);
}

/* Per-VM resources taken for the VMM's lifetime and given back after. */
struct run_state {
	struct uid_lease lease;
	bool have_lease;
	struct cgroup cgroup;
	bool have_cgroup;
	struct image_owner owners[LOCKVM_MAX_DISKS];
	int lifeline;
};

static pid_t start_vmm(const struct run_options *o, struct run_state *st, int vmm_fd, int kvm_fd,
		       int guest_fd)
{
	static struct vmm_argv a;
	struct sandbox_config cfg;
	int keep[9 + LOCKVM_MAX_DISKS],
	    n_keep = 0; /* 9: stdio, kvm, guest, fs, two policies, spare */
	sandbox_config_init(&cfg);
	memset(&a, 0, sizeof(a));
	a.argv[a.n++] = "lockvm-vmm";
	vmm_arg(&a, "--kvm-fd", "%d", kvm_fd);
	vmm_arg(&a, "--elf-fd", "%d", guest_fd);
	vmm_arg(&a, "--mem", "%" PRIu64, o->mem);
	vmm_arg(&a, "--vcpus", "%u", o->vcpus);
	if (o->timeout_ns)
		vmm_arg(&a, "--timeout-ns", "%" PRIu64, o->timeout_ns);
	if (o->stats)
		vmm_arg(&a, "--stats", NULL);
	if (o->linux_abi) {
		unsigned tty = 0;
		for (int fd = 0; fd < 3; fd++)
			tty |= isatty(fd) ? 1u << fd : 0;
		vmm_arg(&a, "--linux", NULL);
		vmm_arg(&a, "--tty-mask", "%u", tty);
		if (o->strace)
			vmm_arg(&a, "--strace", NULL);
		if (o->fs_fd >= 0)
			vmm_arg(&a, "--fs-fd", "%d", o->fs_fd);
		for (unsigned i = 0; i < o->envc; i++) {
			a.argv[a.n++] = "--env";
			a.argv[a.n++] = (char *)o->env[i];
		}
	}
	keep[n_keep++] = STDIN_FILENO;
	keep[n_keep++] = STDOUT_FILENO;
	keep[n_keep++] = STDERR_FILENO;
	keep[n_keep++] = kvm_fd;
	keep[n_keep++] = guest_fd;
	if (o->fs_fd >= 0)
		keep[n_keep++] = o->fs_fd;
	uint64_t largest = 1ULL << 30; /* console output to a file: up to 1 GiB */
	for (unsigned i = 0; i < o->disk_count; i++) {
		vmm_arg(&a, "--disk", "%d,%s", o->disks[i].fd, o->disks[i].read_only ? "ro" : "rw");
		keep[n_keep++] = o->disks[i].fd;
		struct stat sb;
		if (fstat(o->disks[i].fd, &sb) == 0 && (uint64_t)sb.st_size > largest)
			largest = (uint64_t)sb.st_size;
	}

	cfg.layers = o->confine ? SANDBOX_LAYERS_ALL & ~sandbox_layers_unavailable() : 0;
	struct policy_job policies[2];
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
			if (uid_reserve(paths_root(), NULL, &st->lease) < 0)
				die("cannot reserve a per-VM uid");
			st->have_lease = true;
			cfg.uid = st->lease.uid;
			cfg.gid = st->lease.gid;
			for (unsigned i = 0; i < o->disk_count; i++)
				if (image_owner_take(o->disks[i].fd, cfg.uid, cfg.gid,
						     &st->owners[i]) < 0)
					die("disk %s: cannot give it to the VM's uid",
					    o->disks[i].path);
		}
		if (cfg.layers & SANDBOX_CGROUP) {
			char name[64];
			struct cgroup_limits limits = {
			    /* guest RAM plus the VMM's own overhead (documented in README) */
			    .memory_bytes = o->mem + (64ULL << 20),
			    .pids_max = o->vcpus + 16,
			};
			if (o->cpus) {
				cgroup_cpus_to_quota(o->cpus, CGROUP_CPU_PERIOD_US,
						     &limits.cpu_quota_us);
				limits.cpu_period_us = CGROUP_CPU_PERIOD_US;
			}
			snprintf(name, sizeof(name), "vm-%d", (int)getpid());
			if (cgroup_create(&st->cgroup, NULL, NULL, name, &limits) < 0)
				die("cannot create the VM's cgroup");
			st->have_cgroup = true;
			cfg.cgroup = &st->cgroup;
		}
		compile_policies_finish(policies);
		int vmm_policy = policies[0].fd, vcpu_policy = policies[1].fd;
		keep[n_keep++] = vmm_policy;
		keep[n_keep++] = vcpu_policy;
		vmm_arg(&a, "--layers", "%u", cfg.layers);
		vmm_arg(&a, "--seccomp-fds", "%d,%d", vmm_policy, vcpu_policy);
		if (o->seccomp_mode == SECCOMP_POLICY_MODE_TRAP)
			vmm_arg(&a, "--seccomp-trap", NULL);
	}
	a.argv[a.n++] = "--";
	for (int i = 0; i < o->guest_argc; i++)
		a.argv[a.n++] = o->guest_argv[i];
	a.argv[a.n] = NULL;

	cfg.keep_fds = keep;
	cfg.n_keep_fds = (unsigned)n_keep;
	cfg.rlimits.fsize = largest;
	cfg.rlimits.nproc = o->vcpus + 16; /* threads count against NPROC */
	pid_t pid = sandbox_spawn(&cfg, vmm_fd, a.argv, &st->lifeline);
	if (pid < 0)
		die_errno("starting the VMM (clone)");
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
	for (unsigned i = 0; i < o->disk_count; i++)
		image_owner_restore(&st->owners[i]);
	if (st->have_lease)
		uid_release(&st->lease);
	st->have_lease = false;
}

/* What run_main has taken is given back also when it dies on the way
 * (die() exits): cgroup removed, images' owners restored, uid released. */
static struct {
	const struct run_options *o;
	struct run_state *st;
} taken;

static void release_at_exit(void)
{
	if (taken.st)
		release_resources(taken.o, taken.st);
}

/* Waits for the VMM, forwarding SIGINT/SIGTERM; returns lockvm's status. */
static int supervise(pid_t vmm, uint64_t timeout_ns)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGCHLD);
	uint64_t backstop = timeout_ns ? now_ns() + timeout_ns + BACKSTOP_NS : 0;
	bool killed_for_time = false;
	for (;;) {
		int wstatus;
		pid_t done = waitpid(vmm, &wstatus, WNOHANG | __WALL);
		if (done == vmm) {
			if (killed_for_time) {
				fprintf(stderr,
					"timeout: VMM did not stop in time and was killed\n");
				return EXIT_TIMEOUT;
			}
			if (WIFEXITED(wstatus))
				return WEXITSTATUS(wstatus);
			int sig = WTERMSIG(wstatus);
			if (sig == SIGSYS)
				fprintf(stderr, "lockvm: VMM killed by seccomp (SIGSYS)\n");
			else
				fprintf(stderr, "lockvm: VMM killed by signal %d (%s)\n", sig,
					strsignal(sig));
			return EXIT_SIGNAL_BASE + sig;
		}
		if (done < 0 && errno != EINTR)
			die_errno("waitpid(%d)", (int)vmm);
		struct timespec wait = {.tv_sec = 1};
		if (backstop && now_ns() >= backstop && !killed_for_time) {
			kill(vmm, SIGKILL);
			killed_for_time = true;
		}
		siginfo_t info;
		int sig = sigtimedwait(&set, &info, &wait);
		if (sig == SIGINT || sig == SIGTERM)
			kill(vmm, sig);
	}
}

int run_main(int argc, char **argv)
{
	struct run_options o;
	struct run_state st = {.lifeline = -1};
	char err[256];
	parse_options(argc, argv, &o);
	taken.o = &o;
	taken.st = &st;
	atexit(release_at_exit);
	if (o.require_mac && !mac_enforcing())
		die("--require-mac: neither SELinux nor AppArmor is enforcing on this host "
		    "(active MAC: %s)",
		    mac_active());

	/* Everything is opened here, while privileged; the VMM gets fds only. */
	int kvm_fd = kvm_open_device(err, sizeof(err));
	if (kvm_fd < 0)
		die("%s", err);
	if (kvm_check(kvm_fd, o.vcpus, err, sizeof(err)) < 0)
		die("%s", err);
	int guest_fd = open_guest(o.guest);
	open_disks(&o);
	if (o.fs_dir)
		o.fs_fd = pack_fs(o.fs_dir);
	int vmm_fd = open_vmm_binary(o.confine);

	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	fflush(NULL);
	pid_t vmm = start_vmm(&o, &st, vmm_fd, kvm_fd, guest_fd);
	close(kvm_fd);
	close(guest_fd);
	close(vmm_fd);
	if (o.fs_fd >= 0)
		close(o.fs_fd);
	int status = supervise(vmm, o.timeout_ns);
	release_resources(&o, &st);
	for (unsigned i = 0; i < o.disk_count; i++)
		close(o.disks[i].fd);
	return status;
}
