/* `lockvm run`: validates input, opens every resource, starts the VMM and reports how it ended. */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kvm.h"
#include "memory.h"
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
	const char *guest;
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
	    "  --timeout SECONDS  stop the VM after this long (exit 124)\n");
}

static void parse_disk(struct run_options *o, const char *spec)
{
	if (o->disk_count == LOCKVM_MAX_DISKS)
		die("--disk: at most %d disks", LOCKVM_MAX_DISKS);
	struct run_disk *d = &o->disks[o->disk_count];
	char *copy = strdup(spec);
	if (!copy)
		die("out of memory");
	char *comma = strchr(copy, ',');
	d->read_only = false;
	if (comma) {
		*comma = '\0';
		if (strcmp(comma + 1, "ro") == 0)
			d->read_only = true;
		else if (strcmp(comma + 1, "rw") != 0)
			die("--disk %s: unknown option '%s' (want ro or rw)", spec, comma + 1);
	}
	if (copy[0] == '\0')
		die("--disk %s: empty path", spec);
	d->path = copy;
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
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	uint64_t value;
	int opt;
	*o = (struct run_options){.mem = 64ULL << 20, .vcpus = 1};
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
		case 'h': usage(stdout); exit(0);
		default:
			die("run: unknown or incomplete option '%s' (see 'lockvm run --help')",
			    argv[optind - 1]);
		}
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

/* Opens the VMM binary that sits next to this executable. */
static int open_vmm_binary(void)
{
	char self[PATH_MAX], path[PATH_MAX + 16];
	const char *override = getenv("LOCKVM_VMM");
	if (override) {
		snprintf(path, sizeof(path), "%s", override);
	} else {
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n < 0)
			die_errno("readlink(/proc/self/exe)");
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash)
			*slash = '\0';
		snprintf(path, sizeof(path), "%s/lockvm-vmm", self);
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die_errno("open(%s) (the VMM binary; is lockvm installed completely?)", path);
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

/* Moves fd to number `target` without close-on-exec. */
static void place_fd(int fd, int target)
{
	if (fd == target) {
		if (fcntl(fd, F_SETFD, 0) < 0)
			_exit(EXIT_REFUSED);
		return;
	}
	if (dup2(fd, target) < 0)
		_exit(EXIT_REFUSED);
}

/* First fd number the VMM receives resources at. */
#define VMM_FD_BASE 3

static pid_t start_vmm(const struct run_options *o, int vmm_fd, int kvm_fd, int guest_fd,
		       const sigset_t *old_mask)
{
	/* Build the VMM's argv before fork: the child only execs. */
	char **argv =
	    calloc((size_t)o->guest_argc + 32 + 2 * (size_t)LOCKVM_MAX_DISKS, sizeof(char *));
	char numbers[8 + LOCKVM_MAX_DISKS][32];
	int n = 0, fd_next = VMM_FD_BASE;
	if (!argv)
		die("out of memory");
	argv[n++] = "lockvm-vmm";
	snprintf(numbers[0], sizeof(numbers[0]), "%d", fd_next++);
	argv[n++] = "--kvm-fd";
	argv[n++] = numbers[0];
	snprintf(numbers[1], sizeof(numbers[1]), "%d", fd_next++);
	argv[n++] = "--elf-fd";
	argv[n++] = numbers[1];
	snprintf(numbers[2], sizeof(numbers[2]), "%" PRIu64, o->mem);
	argv[n++] = "--mem";
	argv[n++] = numbers[2];
	snprintf(numbers[3], sizeof(numbers[3]), "%u", o->vcpus);
	argv[n++] = "--vcpus";
	argv[n++] = numbers[3];
	if (o->timeout_ns) {
		snprintf(numbers[4], sizeof(numbers[4]), "%" PRIu64, o->timeout_ns);
		argv[n++] = "--timeout-ns";
		argv[n++] = numbers[4];
	}
	if (o->stats)
		argv[n++] = "--stats";
	for (unsigned i = 0; i < o->disk_count; i++) {
		snprintf(numbers[8 + i], sizeof(numbers[8 + i]), "%d,%s", fd_next++,
			 o->disks[i].read_only ? "ro" : "rw");
		argv[n++] = "--disk";
		argv[n++] = numbers[8 + i];
	}
	argv[n++] = "--";
	for (int i = 0; i < o->guest_argc; i++)
		argv[n++] = o->guest_argv[i];
	argv[n] = NULL;

	/* Every resource is at or above VMM_FD_BASE + count; move them high
	 * first so placing them cannot clobber one another. */
	int sources[2 + LOCKVM_MAX_DISKS], count = 0;
	sources[count++] = kvm_fd;
	sources[count++] = guest_fd;
	for (unsigned i = 0; i < o->disk_count; i++)
		sources[count++] = o->disks[i].fd;
	for (int i = 0; i < count; i++) {
		int high = fcntl(sources[i], F_DUPFD_CLOEXEC, 100);
		if (high < 0)
			die_errno("fcntl(F_DUPFD_CLOEXEC)");
		sources[i] = high;
	}
	int high_vmm = fcntl(vmm_fd, F_DUPFD_CLOEXEC, 100);
	if (high_vmm < 0)
		die_errno("fcntl(F_DUPFD_CLOEXEC)");

	pid_t pid = fork();
	if (pid < 0)
		die_errno("fork");
	if (pid == 0) {
		for (int i = 0; i < count; i++)
			place_fd(sources[i], VMM_FD_BASE + i);
		sigprocmask(SIG_SETMASK, old_mask, NULL);
		char *envp[] = {NULL};
		syscall(SYS_execveat, high_vmm, "", argv, envp, AT_EMPTY_PATH);
		fprintf(stderr, "lockvm: execveat(lockvm-vmm): %s\n", strerror(errno));
		_exit(EXIT_REFUSED);
	}
	for (int i = 0; i < count; i++)
		close(sources[i]);
	close(high_vmm);
	free(argv);
	return pid;
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
		pid_t done = waitpid(vmm, &wstatus, WNOHANG);
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
		if (backstop) {
			uint64_t now = now_ns();
			if (now >= backstop && !killed_for_time) {
				kill(vmm, SIGKILL);
				killed_for_time = true;
			}
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
	char err[256];
	parse_options(argc, argv, &o);

	/* Everything is opened here, while privileged; the VMM gets fds only. */
	int kvm_fd = kvm_open_device(err, sizeof(err));
	if (kvm_fd < 0)
		die("%s", err);
	if (kvm_check(kvm_fd, o.vcpus, err, sizeof(err)) < 0)
		die("%s", err);
	int guest_fd = open_guest(o.guest);
	open_disks(&o);
	int vmm_fd = open_vmm_binary();

	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	fflush(NULL);
	pid_t vmm = start_vmm(&o, vmm_fd, kvm_fd, guest_fd, &old);
	close(kvm_fd);
	close(guest_fd);
	close(vmm_fd);
	for (unsigned i = 0; i < o.disk_count; i++)
		close(o.disks[i].fd);
	return supervise(vmm, o.timeout_ns);
}
