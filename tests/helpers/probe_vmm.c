/* Confined half of the probe, like lockvm-vmm: enters the VMM-side layers and tries every forbidden action. */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/io_uring.h>
#include <linux/keyctl.h>
#include <linux/kvm.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "sandbox.h"
#include "seccomp_install.h"
#include "uid.h"
#include "util.h"

/*
 * Started only by `probe` through sandbox_spawn(), with
 * --layers=MASK --victim=PID --unix=NAME [--wait]. Linked static-pie like
 * lockvm-vmm (mk/confine.mk): its root is empty, with no dynamic loader.
 */

#include "probe.h"

/* ---- actions: each returns 0 when it worked, else the errno it got ---- */

static int result_of(long rc)
{
	return rc < 0 ? errno : 0;
}

static int act_open_passwd(const struct probe_args *a)
{
	return result_of(syscall(SYS_openat, AT_FDCWD, "/etc/passwd", O_RDONLY));
}

static int act_open_root(const struct probe_args *a)
{
	return result_of(syscall(SYS_openat, AT_FDCWD, "/", O_RDONLY | O_DIRECTORY));
}

static int act_socket_inet(const struct probe_args *a)
{
	return result_of(socket(AF_INET, SOCK_STREAM, 0));
}

static int act_unix_connect(const struct probe_args *a)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	size_t len = strlen(a->unix_name);
	if (len + 1 > sizeof(addr.sun_path))
		return ENAMETOOLONG;
	memcpy(addr.sun_path + 1, a->unix_name, len); /* abstract: leading NUL */
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		return errno;
	return result_of(connect(fd, (struct sockaddr *)&addr,
				 (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len)));
}

static int act_execve(const struct probe_args *a)
{
	char *const argv[] = {"true", NULL};
	char *const envp[] = {NULL};
	/* On success /bin/true exits 0 without reporting: counted as ALLOWED. */
	return result_of(syscall(SYS_execve, "/bin/true", argv, envp));
}

static int act_ptrace(const struct probe_args *a)
{
	return result_of(ptrace(PTRACE_ATTACH, a->victim, NULL, NULL));
}

static int act_kill(const struct probe_args *a)
{
	/* Signal 0 runs the same permission checks (uid, pid ns, Landlock
	 * scope) as SIGKILL without harming the "other VM". */
	return result_of(syscall(SYS_kill, a->victim, 0));
}

static int act_mount(const struct probe_args *a)
{
	return result_of(mount("none", "/", "tmpfs", 0, NULL));
}

static int act_unshare_user(const struct probe_args *a)
{
	return result_of(syscall(SYS_unshare, CLONE_NEWUSER));
}

static int act_setuid0(const struct probe_args *a)
{
	/* Raw syscall: glibc's setuid() would broadcast to threads. */
	return result_of(syscall(SYS_setuid, 0));
}

static int act_bpf(const struct probe_args *a)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = 4;
	attr.value_size = 4;
	attr.max_entries = 1;
	return result_of(syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr)));
}

static int act_io_uring(const struct probe_args *a)
{
	struct io_uring_params params;
	memset(&params, 0, sizeof(params));
	return result_of(syscall(SYS_io_uring_setup, 4, &params));
}

static int act_userfaultfd(const struct probe_args *a)
{
	return result_of(syscall(SYS_userfaultfd, O_CLOEXEC));
}

static int act_perf_event(const struct probe_args *a)
{
	/* The most an unprivileged process may ask for: its own task clock,
	 * user space only. */
	struct perf_event_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_SOFTWARE;
	attr.config = PERF_COUNT_SW_TASK_CLOCK;
	attr.disabled = 1;
	attr.exclude_kernel = 1;
	attr.exclude_hv = 1;
	return result_of(syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0));
}

/* A compromised vCPU thread maps more memory into its VM (a KVM ioctl the
 * vCPU filter does not name). Only seccomp mediates ioctls on an fd the
 * VMM legitimately holds (SELinux could, with ioctl xperms). */
static int act_kvm_ioctl(const struct probe_args *a)
{
	if (a->vm_fd < 0)
		return EBADF;
	struct kvm_userspace_memory_region region = {.slot = 7,
						     .guest_phys_addr = 1ULL << 40,
						     .memory_size = 4096,
						     .userspace_addr =
							 (uint64_t)(uintptr_t)a->scratch};
	return result_of(ioctl(a->vm_fd, KVM_SET_USER_MEMORY_REGION, &region));
}

static int act_keyctl(const struct probe_args *a)
{
	/* The supervisor's session keyring holds a secret; the VMM must not
	 * find it. */
	return result_of(syscall(SYS_keyctl, KEYCTL_SEARCH, KEY_SPEC_SESSION_KEYRING, "user",
				 PROBE_SECRET_KEY, 0));
}

/*
 * One action per Landlock right (what landlock.c handles), each aimed at
 * a host path under --scratch= or at the TCP port of --tcp-port=: with
 * every other layer off, Landlock alone must refuse it (confine.sh).
 * IOCTL_DEV has no action: opening a device already needs READ_FILE or
 * WRITE_FILE, and fds opened before Landlock are exempt.
 */
static int scratch_path(const struct probe_args *a, const char *name, char *buf, size_t size)
{
	int n =
	    snprintf(buf, size, "%s/%s", a->scratch_dir ? a->scratch_dir : "/nonexistent", name);
	return n < 0 || (size_t)n >= size ? ENAMETOOLONG : 0;
}

#define SCRATCH(name)                                                                              \
	char path[512];                                                                            \
	if (scratch_path(a, name, path, sizeof(path)) != 0)                                        \
	return ENAMETOOLONG

static int act_fs_read_file(const struct probe_args *a)
{
	SCRATCH("file");
	return result_of(syscall(SYS_openat, AT_FDCWD, path, O_RDONLY));
}

static int act_fs_write_file(const struct probe_args *a)
{
	SCRATCH("file");
	return result_of(syscall(SYS_openat, AT_FDCWD, path, O_WRONLY));
}

static int act_fs_read_dir(const struct probe_args *a)
{
	SCRATCH(".");
	return result_of(syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_DIRECTORY));
}

static int act_fs_make_reg(const struct probe_args *a)
{
	SCRATCH("new_reg");
	return result_of(syscall(SYS_openat, AT_FDCWD, path, O_WRONLY | O_CREAT | O_EXCL, 0600));
}

static int act_fs_make_dir(const struct probe_args *a)
{
	SCRATCH("new_dir");
	return result_of(syscall(SYS_mkdirat, AT_FDCWD, path, 0700));
}

static int act_fs_make_sym(const struct probe_args *a)
{
	SCRATCH("new_sym");
	return result_of(syscall(SYS_symlinkat, "file", AT_FDCWD, path));
}

static int act_fs_make_fifo(const struct probe_args *a)
{
	SCRATCH("new_fifo");
	return result_of(syscall(SYS_mknodat, AT_FDCWD, path, S_IFIFO | 0600, 0));
}

static int act_fs_make_char(const struct probe_args *a)
{
	SCRATCH("new_char");
	return result_of(syscall(SYS_mknodat, AT_FDCWD, path, S_IFCHR | 0600, makedev(1, 3)));
}

static int act_fs_make_block(const struct probe_args *a)
{
	SCRATCH("new_block");
	return result_of(syscall(SYS_mknodat, AT_FDCWD, path, S_IFBLK | 0600, makedev(7, 0)));
}

static int act_fs_make_sock(const struct probe_args *a)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (scratch_path(a, "new_sock", addr.sun_path, sizeof(addr.sun_path)) != 0)
		return ENAMETOOLONG;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		return errno;
	return result_of(bind(fd, (struct sockaddr *)&addr, sizeof(addr)));
}

static int act_fs_remove_file(const struct probe_args *a)
{
	SCRATCH("remove_me");
	return result_of(syscall(SYS_unlinkat, AT_FDCWD, path, 0));
}

static int act_fs_remove_dir(const struct probe_args *a)
{
	SCRATCH("remove_dir");
	return result_of(syscall(SYS_unlinkat, AT_FDCWD, path, AT_REMOVEDIR));
}

static int act_fs_truncate(const struct probe_args *a)
{
	SCRATCH("file");
	return result_of(syscall(SYS_truncate, path, 0));
}

/* REFER: a link into another directory (needs MAKE_REG too: with no rule
 * at all the two cannot be told apart). */
static int act_fs_refer(const struct probe_args *a)
{
	char to[512];
	SCRATCH("file");
	if (scratch_path(a, "dir/linked", to, sizeof(to)) != 0)
		return ENAMETOOLONG;
	return result_of(syscall(SYS_linkat, AT_FDCWD, path, AT_FDCWD, to, 0));
}

static int tcp_socket_to(const struct probe_args *a, unsigned port, struct sockaddr_in *sin)
{
	*sin = (struct sockaddr_in){.sin_family = AF_INET,
				    .sin_port = htons((uint16_t)port),
				    .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	return socket(AF_INET, SOCK_STREAM, 0);
}

static int act_net_bind_tcp(const struct probe_args *a)
{
	struct sockaddr_in sin;
	int fd = tcp_socket_to(a, 0, &sin);
	if (fd < 0)
		return errno;
	return result_of(bind(fd, (struct sockaddr *)&sin, sizeof(sin)));
}

static int act_net_connect_tcp(const struct probe_args *a)
{
	struct sockaddr_in sin;
	int fd = tcp_socket_to(a, a->tcp_port ? a->tcp_port : 9, &sin);
	if (fd < 0)
		return errno;
	/* A dropped SYN must not hang the probe: connect gives up after 5 s. */
	struct timeval limit = {.tv_sec = 5};
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof(limit));
	return result_of(connect(fd, (struct sockaddr *)&sin, sizeof(sin)));
}

static const struct probe_action {
	const char *name;
	int (*run)(const struct probe_args *);
	bool needs_vm; /* made before the filter goes on, as the VMM makes its VM */
} probe_actions[] = {
    {"open_etc_passwd", act_open_passwd, false},
    {"open_root", act_open_root, false},
    {"socket_inet", act_socket_inet, false},
    {"unix_connect", act_unix_connect, false},
    {"execve", act_execve, false},
    {"ptrace_attach", act_ptrace, false},
    {"kill_other", act_kill, false},
    {"mount", act_mount, false},
    {"unshare_user", act_unshare_user, false},
    {"setuid_0", act_setuid0, false},
    {"bpf", act_bpf, false},
    {"io_uring_setup", act_io_uring, false},
    {"userfaultfd", act_userfaultfd, false},
    {"perf_event_open", act_perf_event, false},
    {"keyctl", act_keyctl, false},
    {"kvm_ioctl", act_kvm_ioctl, true},
    {"fs_read_file", act_fs_read_file, false},
    {"fs_write_file", act_fs_write_file, false},
    {"fs_read_dir", act_fs_read_dir, false},
    {"fs_make_reg", act_fs_make_reg, false},
    {"fs_make_dir", act_fs_make_dir, false},
    {"fs_make_sym", act_fs_make_sym, false},
    {"fs_make_fifo", act_fs_make_fifo, false},
    {"fs_make_char", act_fs_make_char, false},
    {"fs_make_block", act_fs_make_block, false},
    {"fs_make_sock", act_fs_make_sock, false},
    {"fs_remove_file", act_fs_remove_file, false},
    {"fs_remove_dir", act_fs_remove_dir, false},
    {"fs_truncate", act_fs_truncate, false},
    {"fs_refer", act_fs_refer, false},
    {"net_bind_tcp", act_net_bind_tcp, false},
    {"net_connect_tcp", act_net_connect_tcp, false},
};

/* Whether --actions= (a comma-separated list) names ACTION; no list: all. */
static bool action_selected(const struct probe_args *a, const char *action)
{
	if (a->actions == NULL)
		return true;
	size_t len = strlen(action);
	for (const char *p = a->actions; *p;) {
		const char *end = strchrnul(p, ',');
		if ((size_t)(end - p) == len && strncmp(p, action, len) == 0)
			return true;
		p = *end ? end + 1 : end;
	}
	return false;
}

/* ---- confined side ---- */

struct action_run {
	const struct probe_args *a;
	const struct probe_action *act;
	int result_fd;
};

/* The action's process: the shipped vCPU filter goes on last, as a vCPU
 * thread installs it, then the action runs and its errno is reported. */
static int action_child(void *arg)
{
	const struct action_run *run = arg;
	if ((run->a->layers & SANDBOX_SECCOMP) &&
	    seccomp_policy_install_fd(run->a->vcpu_policy_fd) < 0)
		_exit(3);
	int r = run->act->run(run->a);
	if (write(run->result_fd, &r, sizeof(r)) != (ssize_t)sizeof(r))
		_exit(2);
	_exit(0);
}

static NORETURN void probe_inner(struct probe_args *a)
{
	struct sandbox_vmm_report report;
	int results[2];
	sandbox_enter_vmm(a->layers, NULL, 0, &report);
	printf("landlock: %s (abi %d)\n", report.landlock ? "enforced" : "off",
	       report.landlock_abi);
	if (a->kvm_fd >= 0) {
		/* The confinement must leave KVM usable through the passed fd
		 * (Landlock's IOCTL_DEV right does not apply to fds opened
		 * before it; the user ns changes nothing for KVM). */
		int api = ioctl(a->kvm_fd, KVM_GET_API_VERSION, 0);
		int vm = api == KVM_API_VERSION ? ioctl(a->kvm_fd, KVM_CREATE_VM, 0) : -1;
		int vcpu = vm >= 0 ? ioctl(vm, KVM_CREATE_VCPU, 0) : -1;
		a->vm_fd = vm; /* made before the fds are sealed, as the VMM does */
		if (vcpu >= 0)
			printf("kvm: VM and vCPU created (api %d)\n", api);
		else
			printf("kvm: FAILED (api %d, %s)\n", api, strerrorname_np(errno));
	}
	if (pipe2(results, O_CLOEXEC | O_NONBLOCK) < 0)
		die_errno("pipe2(O_CLOEXEC|O_NONBLOCK)");
	int limit = sandbox_seal_fds(a->layers, 0);
	printf("fd_seal: %d\n", limit);
	fflush(stdout);
	if (a->wait) {
		/* Seen from outside like the VMM's main thread: its filter on. */
		printf("READY\n");
		fflush(stdout);
		if ((a->layers & SANDBOX_SECCOMP) &&
		    seccomp_policy_install_fd(a->vmm_policy_fd) < 0)
			die_errno("installing the shipped vmm policy");
		for (;;)
			ppoll(NULL, 0, NULL, NULL);
	}
	for (size_t i = 0; i < ARRAY_SIZE(probe_actions); i++) {
		const struct probe_action *act = &probe_actions[i];
		int err = -1, status = 0;
		if (!action_selected(a, act->name))
			continue;
		fflush(stdout);
		/* A child per action, so that a seccomp kill ends only it. An
		 * action on the VM shares the probe's memory (CLONE_VM), as a
		 * vCPU thread shares the VMM's: KVM refuses a VM's ioctls from
		 * any other mm. */
		static char stack[64 << 10] __attribute__((aligned(16)));
		struct action_run run = {.a = a, .act = act, .result_fd = results[1]};
		pid_t pid = act->needs_vm ? clone(action_child, stack + sizeof(stack),
						  CLONE_VM | SIGCHLD, &run)
					  : fork();
		if (pid < 0) {
			printf("%s: probe error (fork: %s)\n", act->name, strerrorname_np(errno));
			continue;
		}
		if (pid == 0)
			action_child(&run);
		if (waitpid(pid, &status, 0) < 0) {
			printf("%s: probe error (waitpid)\n", act->name);
			continue;
		}
		bool got = read(results[0], &err, sizeof(err)) == (ssize_t)sizeof(err);
		if (WIFSIGNALED(status))
			printf("%s: blocked (signal SIG%s)\n", act->name,
			       sigabbrev_np(WTERMSIG(status)) ? sigabbrev_np(WTERMSIG(status))
							      : "?");
		else if (!got && WIFEXITED(status) && WEXITSTATUS(status) == 0)
			printf("%s: ALLOWED (exec'd)\n", act->name);
		else if (!got)
			printf("%s: probe error (exit %d)\n", act->name, WEXITSTATUS(status));
		else if (err == 0)
			printf("%s: ALLOWED\n", act->name);
		else
			printf("%s: blocked (errno %s)\n", act->name,
			       strerrorname_np(err) ? strerrorname_np(err) : "?");
	}
	fflush(stdout);
	_exit(0);
}

int main(int argc, char **argv)
{
	struct probe_args a = {.layers = SANDBOX_LAYERS_ALL,
			       .victim = 1,
			       .unix_name = "lockvm-probe",
			       .kvm_fd = -1,
			       .vm_fd = -1,
			       .vmm_policy_fd = -1,
			       .vcpu_policy_fd = -1};
	util_progname = "probe_vmm";
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		uint64_t value;
		if (strncmp(arg, "--layers=", 9) == 0 &&
		    parse_uint(arg + 9, 0, UINT32_MAX, &value) == 0)
			a.layers = (unsigned)value;
		else if (strncmp(arg, "--victim=", 9) == 0 &&
			 parse_uint(arg + 9, 1, INT32_MAX, &value) == 0)
			a.victim = (pid_t)value;
		else if (strncmp(arg, "--unix=", 7) == 0)
			a.unix_name = arg + 7;
		else if (strcmp(arg, "--wait") == 0)
			a.wait = true;
		else if (strncmp(arg, "--scratch=", 10) == 0)
			a.scratch_dir = arg + 10;
		else if (strncmp(arg, "--tcp-port=", 11) == 0 &&
			 parse_uint(arg + 11, 1, 65535, &value) == 0)
			a.tcp_port = (unsigned)value;
		else if (strncmp(arg, "--actions=", 10) == 0)
			a.actions = arg + 10;
		else if (sscanf(arg, "--seccomp-fds=%d,%d", &a.vmm_policy_fd, &a.vcpu_policy_fd) ==
			 2)
			continue;
		else if (strncmp(arg, "--kvm-fd=", 9) == 0 &&
			 parse_uint(arg + 9, 0, INT32_MAX, &value) == 0)
			a.kvm_fd = (int)value;
		else
			die("unknown argument '%s'", arg);
	}
	probe_inner(&a);
}
