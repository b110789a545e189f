/* BPF-level checks of compiled seccomp policies: real syscalls in a forked child. */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cmocka.h>

#include <linux/if_tun.h>

#include "seccomp_install.h"
#include "seccomp_policy.h"
#include "util.h"

#ifndef __X32_SYSCALL_BIT
#define __X32_SYSCALL_BIT 0x40000000
#endif

/* Allows what the child needs to report back plus the calls under test. */
static const char test_policy[] =
    "exit_group: 1\n"
    "getpid: 1\n"
    "getuid: return EPERM\n"
    "ioctl: arg1 == KVM_RUN\n"
    "clone: arg0 & CLONE_THREAD && arg0 in CLONE_THREAD|CLONE_VM|CLONE_SIGHAND|CLONE_FS|"
    "CLONE_FILES|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID\n"
    "mmap: arg2 in PROT_READ|PROT_WRITE\n"
    "rt_sigreturn: 1\n";

/* Compiles policy text and exports it; returns the BPF memfd. */
static int compile_fd(const char *text, enum seccomp_policy_mode mode)
{
	char path[] = "/tmp/lockvm-seccomp-bpf.XXXXXX", err[1024];
	int fd = mkstemp(path), bpf;
	scmp_filter_ctx ctx;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	ctx = seccomp_policy_compile_file(path, mode, err, sizeof(err));
	unlink(path);
	if (!ctx)
		fail_msg("compile failed: %s", err);
	bpf = seccomp_policy_export_fd(ctx);
	seccomp_release(ctx);
	assert_true(bpf >= 0);
	return bpf;
}

/*
 * Ends a forked child without running anything else: _exit() is intercepted
 * by ASan, whose leak check would make syscalls the filter kills.
 */
static __attribute__((noreturn)) void child_exit(int code)
{
	for (;;)
		__asm__ volatile("syscall"
				 :
				 : "a"(SYS_exit_group), "D"(code)
				 : "rcx", "r11", "memory");
}

/*
 * Forks; the child sets no_new_privs, installs the filter from bpf_fd (if
 * >= 0) and exits with body()'s result. Returns the child's wait status.
 */
static int run_child(int bpf_fd, int (*body)(void))
{
	int status;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit no_core = {0, 0};
		setrlimit(RLIMIT_CORE, &no_core);
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); /* no core file from SIGSYS */
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			child_exit(101);
		if (bpf_fd >= 0 && seccomp_policy_install_fd(bpf_fd) < 0)
			child_exit(100);
		child_exit(body());
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void expect_exit(int status, int code)
{
	if (WIFSIGNALED(status))
		fail_msg("child killed by signal %d, want exit %d", WTERMSIG(status), code);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), code);
}

static void expect_sigsys(int status)
{
	if (WIFEXITED(status))
		fail_msg("child exited %d, want death by SIGSYS", WEXITSTATUS(status));
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSYS);
}

/* Each body returns 0 when the syscall behaved as allowed. */
static int body_getpid(void)
{
	return syscall(SYS_getpid) > 0 ? 0 : 1;
}

static int body_getppid(void)
{
	return syscall(SYS_getppid) > 0 ? 0 : 1;
}

static int body_getuid(void)
{
	long r = syscall(SYS_getuid);
	return r == -1 && errno == EPERM ? 0 : 1;
}

static int body_ioctl_kvm_run(void)
{
	long r = syscall(SYS_ioctl, -1, KVM_RUN, 0);
	return r == -1 && errno == EBADF ? 0 : 1;
}

static int body_ioctl_get_regs(void)
{
	long r = syscall(SYS_ioctl, -1, KVM_GET_REGS, 0);
	return r == -1 && errno == EBADF ? 0 : 1;
}

static int body_ioctl_tcgets(void)
{
	long r = syscall(SYS_ioctl, -1, TCGETS, 0);
	return r == -1 && errno == EBADF ? 0 : 1;
}

/* recvmsg on the VMM's control fd (200, closed here) passes the filter:
 * EBADF from the kernel; on any other fd the vmm role is killed. */
static int body_recvmsg_control(void)
{
	long r = syscall(SYS_recvmsg, 200, NULL, 0);
	return r == -1 && errno == EBADF ? 0 : 1;
}

static int body_recvmsg_other(void)
{
	long r = syscall(SYS_recvmsg, 201, NULL, 0);
	return r == -1 && errno == EBADF ? 0 : 1;
}

/* Passes the filter; the kernel then refuses CLONE_THREAD without CLONE_SIGHAND. */
static int body_clone_thread(void)
{
	long r = syscall(SYS_clone, CLONE_THREAD, 0, 0, 0, 0);
	return r == -1 && errno == EINVAL ? 0 : 1;
}

/* A plain fork through clone: must be killed before a process exists. */
static int body_clone_fork(void)
{
	long r = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	if (r == 0)
		child_exit(4);
	return r > 0 ? 3 : 1;
}

/* CLONE_THREAD present but a namespace flag outside the allowed set. */
static int body_clone_newuser(void)
{
	long r =
	    syscall(SYS_clone, CLONE_THREAD | CLONE_SIGHAND | CLONE_VM | CLONE_NEWUSER, 0, 0, 0, 0);
	return r == -1 ? 0 : 1;
}

static int body_mmap_rw(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p != MAP_FAILED ? 0 : 1;
}

static int body_mmap_exec(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p != MAP_FAILED ? 0 : 1;
}

/* getpid with the x32 ABI bit: the prologue kills it even though getpid is allowed. */
static int body_x32_getpid(void)
{
	long r = syscall(__X32_SYSCALL_BIT | SYS_getpid);
	return r > 0 ? 0 : 1;
}

/* i386 getpid (20) through int 0x80: another audit arch. */
static int body_i386_getpid(void)
{
	long r = 20;
	__asm__ volatile("int $0x80" : "+a"(r) : : "memory");
	return r > 0 ? 0 : 1;
}

static void trap_handler(int sig)
{
	child_exit(42);
}

static int body_trap_getppid(void)
{
	syscall(SYS_getppid);
	return 1;
}

static void test_allowed_syscall_runs(void **state)
{
	int fd = compile_fd(test_policy, SECCOMP_POLICY_MODE_KILL);
	expect_exit(run_child(fd, body_getpid), 0);
	close(fd);
}

static void test_unlisted_syscall_killed(void **state)
{
	int fd = compile_fd(test_policy, SECCOMP_POLICY_MODE_KILL);
	expect_exit(run_child(-1, body_getppid), 0); /* works without the filter */
	expect_sigsys(run_child(fd, body_getppid));
	close(fd);
}

static void test_return_errno(void **state)
{
	int fd = compile_fd(test_policy, SECCOMP_POLICY_MODE_KILL);
	expect_exit(run_child(-1, body_getuid), 1); /* unfiltered getuid succeeds */
	expect_exit(run_child(fd, body_getuid), 0);
	close(fd);
}

static void test_ioctl_request_filtered(void **state)
{
	int fd = compile_fd(test_policy, SECCOMP_POLICY_MODE_KILL);
	expect_exit(run_child(fd, body_ioctl_kvm_run), 0);
	expect_exit(run_child(-1, body_ioctl_get_regs), 0);
	expect_sigsys(run_child(fd, body_ioctl_get_regs));
	expect_sigsys(run_child(fd, body_ioctl_tcgets));
	close(fd);
}

static void test_clone_needs_thread(void **state)
{
	int fd = compile_fd(test_policy, SECCOMP_POLICY_MODE_KILL);
	expect_exit(run_child(fd, body_clone_thread), 0);
	expect_sigsys(run_child(fd, body_clone_fork));
	expect_sigsys(run_child(fd, body_clone_newuser));
	close(fd);
}

static void test_mmap_no_exec(void **state)
{
	int fd = compile_fd(test_policy, SECCOMP_POLICY_MODE_KILL);
	expect_exit(run_child(fd, body_mmap_rw), 0);
	expect_exit(run_child(-1, body_mmap_exec), 0);
	expect_sigsys(run_child(fd, body_mmap_exec));
	close(fd);
}

static void test_log_mode_allows_unlisted(void **state)
{
	int fd = compile_fd(test_policy, SECCOMP_POLICY_MODE_LOG);
	expect_exit(run_child(fd, body_getppid), 0);
	expect_exit(run_child(fd, body_getuid), 0); /* explicit errno still applies */
	close(fd);
}

static void test_trap_mode_raises_sigsys(void **state)
{
	int fd = compile_fd(test_policy, SECCOMP_POLICY_MODE_TRAP);
	struct sigaction sa = {.sa_handler = trap_handler};
	struct sigaction old;
	/* The handler is inherited by the child; it must exist before the filter. */
	assert_int_equal(sigaction(SIGSYS, &sa, &old), 0);
	expect_exit(run_child(fd, body_trap_getppid), 42);
	assert_int_equal(sigaction(SIGSYS, &old, NULL), 0);
	close(fd);
}

static void test_other_abi_killed(void **state)
{
	int kill_fd = compile_fd(test_policy, SECCOMP_POLICY_MODE_KILL);
	int log_fd = compile_fd(test_policy, SECCOMP_POLICY_MODE_LOG);
	expect_sigsys(run_child(kill_fd, body_x32_getpid));
	expect_sigsys(run_child(log_fd, body_x32_getpid)); /* whatever the mode */
	if (WIFEXITED(run_child(-1, body_i386_getpid))) {
		expect_sigsys(run_child(kill_fd, body_i386_getpid));
		expect_sigsys(run_child(log_fd, body_i386_getpid));
	} else {
		print_message("# i386 emulation unavailable: int 0x80 check not run\n");
	}
	close(kill_fd);
	close(log_fd);
}

static void *thread_with_filter(void *arg)
{
	int fd = *(int *)arg;
	long r;
	if (seccomp_policy_install_fd(fd) < 0)
		return (void *)1;
	r = syscall(SYS_getuid);
	return (void *)(uintptr_t)(r == -1 && errno == EPERM ? 0 : 2);
}

static int thread_fd = -1;

/* Runs in the child: a filter installed by one thread does not bind its siblings. */
static int body_per_thread(void)
{
	pthread_t t;
	void *result;
	if (pthread_create(&t, NULL, thread_with_filter, &thread_fd) != 0 ||
	    pthread_join(t, &result))
		return 10;
	if (result != NULL)
		return (int)(uintptr_t)result;
	return syscall(SYS_getuid) >= 0 ? 0 : 3;
}

static void test_filter_is_per_thread(void **state)
{
	thread_fd = compile_fd("getuid: return EPERM\n", SECCOMP_POLICY_MODE_LOG);
	expect_exit(run_child(-1, body_per_thread), 0);
	close(thread_fd);
}

/* The shipped policies, compiled from policy/seccomp (run from the tree top). */
static int shipped_fd(const char *role)
{
	const char *top = getenv("LOCKVM_TOP");
	char path[4096], err[1024];
	scmp_filter_ctx ctx;
	int fd;
	snprintf(path, sizeof(path), "%s/policy/seccomp/%s.policy", top ? top : ".", role);
	ctx = seccomp_policy_compile_file(path, SECCOMP_POLICY_MODE_KILL, err, sizeof(err));
	if (!ctx)
		fail_msg("%s", err);
	fd = seccomp_policy_export_fd(ctx);
	seccomp_release(ctx);
	assert_true(fd >= 0);
	return fd;
}

static int body_ioctl_create_vm(void)
{
	long r = syscall(SYS_ioctl, -1, KVM_CREATE_VM, 0);
	return r == -1 && errno == EBADF ? 0 : 1;
}

static int body_write_console(void)
{
	return syscall(SYS_write, 1, "", 0) == 0 ? 0 : 1;
}

static int body_write_fd5(void)
{
	long r = syscall(SYS_write, 5, "", 0);
	return r == -1 && errno == EBADF ? 0 : 1;
}

static int body_openat(void)
{
	long r = syscall(SYS_openat, AT_FDCWD, "/", O_RDONLY | O_DIRECTORY);
	return r >= 0 ? 0 : 1;
}

static int body_execve(void)
{
	static char *const argv[] = {"/bin/true", NULL};
	syscall(SYS_execve, argv[0], argv, NULL);
	return 1;
}

static void *thread_noop(void *arg)
{
	return arg;
}

/* glibc's pthread_create under vmm.policy: clone3 gets ENOSYS, clone passes. */
static int body_pthread(void)
{
	pthread_t t;
	void *result = NULL;
	int marker;
	if (pthread_create(&t, NULL, thread_noop, &marker) != 0)
		return 2;
	if (pthread_join(t, &result) != 0)
		return 3;
	return result == &marker ? 0 : 4;
}

static int vcpu_thread_fd = -1;

static void *thread_vcpu_role(void *arg)
{
	if (seccomp_policy_install_fd(vcpu_thread_fd) < 0)
		return (void *)1;
	return syscall(SYS_ioctl, -1, KVM_RUN, 0) == -1 && errno == EBADF ? NULL : (void *)2;
}

/* A vCPU thread installs vcpu.policy, runs, and ends through glibc's thread exit. */
static int body_vcpu_thread(void)
{
	pthread_t t;
	void *result = (void *)9;
	if (pthread_create(&t, NULL, thread_vcpu_role, NULL) != 0 || pthread_join(t, &result))
		return 10;
	return (int)(uintptr_t)result;
}

static void test_shipped_vcpu_policy(void **state)
{
	int fd = shipped_fd("vcpu");
	expect_exit(run_child(fd, body_ioctl_kvm_run), 0);
	expect_exit(run_child(fd, body_ioctl_get_regs), 0);
	expect_exit(run_child(fd, body_write_console), 0);
	expect_sigsys(run_child(fd, body_ioctl_create_vm));
	expect_sigsys(run_child(fd, body_ioctl_tcgets));
	/* vCPU threads may write any fd they hold (the wake eventfd); fd creation is what is sealed. */
	expect_exit(run_child(fd, body_write_fd5), 0);
	expect_exit(run_child(-1, body_openat), 0);
	expect_sigsys(run_child(fd, body_openat));
	expect_sigsys(run_child(fd, body_execve));
	expect_sigsys(run_child(fd, body_clone_thread)); /* vCPU threads create no threads */
	expect_sigsys(run_child(fd, body_mmap_exec));
	close(fd);
}

static void test_shipped_vmm_policy(void **state)
{
	int fd = shipped_fd("vmm");
	expect_exit(run_child(fd, body_write_fd5), 0);
	expect_exit(run_child(fd, body_recvmsg_control), 0);
	expect_sigsys(run_child(fd, body_recvmsg_other));
	expect_sigsys(run_child(fd, body_ioctl_kvm_run));
	expect_sigsys(run_child(fd, body_clone_fork));
	expect_sigsys(run_child(fd, body_clone_newuser));
	expect_sigsys(run_child(fd, body_openat));
	expect_sigsys(run_child(fd, body_execve));
	expect_sigsys(run_child(fd, body_mmap_exec));
	close(fd);
}

static void test_shipped_vcpu_thread_ends(void **state)
{
	vcpu_thread_fd = shipped_fd("vcpu");
	expect_exit(run_child(-1, body_vcpu_thread), 0);
	close(vcpu_thread_fd);
}

/* The VMM holds a tap fd (--net) but configures nothing: no TUN ioctl. */
static int body_ioctl_tunsetiff(void)
{
	return syscall(SYS_ioctl, -1, TUNSETIFF, 0) == -1 ? 0 : 1;
}

static int body_ioctl_tunsetpersist(void)
{
	return syscall(SYS_ioctl, -1, TUNSETPERSIST, 1) == -1 ? 0 : 1;
}

static int body_ioctl_tunsetoffload(void)
{
	return syscall(SYS_ioctl, -1, TUNSETOFFLOAD, 0) == -1 ? 0 : 1;
}

static void test_shipped_policies_refuse_tun_ioctls(void **state)
{
	const char *roles[] = {"vcpu", "vmm"};
	for (size_t i = 0; i < ARRAY_SIZE(roles); i++) {
		int fd = shipped_fd(roles[i]);
		expect_sigsys(run_child(fd, body_ioctl_tunsetiff));
		expect_sigsys(run_child(fd, body_ioctl_tunsetpersist));
		expect_sigsys(run_child(fd, body_ioctl_tunsetoffload));
		/* Frames go through read/write on the fd the supervisor passed. */
		expect_exit(run_child(fd, body_write_fd5), 0);
		close(fd);
	}
}

static void test_shipped_vmm_creates_threads(void **state)
{
	int fd = shipped_fd("vmm");
	expect_exit(run_child(fd, body_pthread), 0);
	close(fd);
}

/* The export is the 6-instruction ABI prologue followed by libseccomp's own program. */
static void test_export_sealed_with_prologue(void **state)
{
	char path[] = "/tmp/lockvm-seccomp-bpf.XXXXXX", err[1024];
	int tmp = mkstemp(path), fd, plain;
	scmp_filter_ctx ctx;
	struct sock_filter insns[BPF_MAXINSNS], plain_insns[BPF_MAXINSNS];
	ssize_t size, plain_size;

	assert_true(tmp >= 0);
	assert_int_equal(write(tmp, test_policy, strlen(test_policy)),
			 (ssize_t)strlen(test_policy));
	close(tmp);
	ctx = seccomp_policy_compile_file(path, SECCOMP_POLICY_MODE_KILL, err, sizeof(err));
	unlink(path);
	if (!ctx)
		fail_msg("%s", err);
	fd = seccomp_policy_export_fd(ctx);
	assert_true(fd >= 0);
	plain = memfd_create("plain-bpf", MFD_CLOEXEC);
	assert_true(plain >= 0);
	assert_int_equal(seccomp_export_bpf(ctx, plain), 0);
	seccomp_release(ctx);

	size = pread(fd, insns, sizeof(insns), 0);
	plain_size = pread(plain, plain_insns, sizeof(plain_insns), 0);
	assert_true(size > 0 && plain_size > 0);
	assert_int_equal(size % 8, 0);
	assert_int_equal(size, plain_size + 6 * (ssize_t)sizeof(struct sock_filter));
	assert_memory_equal(&insns[6], plain_insns, (size_t)plain_size);
	assert_int_equal(insns[0].code, BPF_LD | BPF_W | BPF_ABS);
	assert_int_equal(insns[0].k, offsetof(struct seccomp_data, arch));
	assert_int_equal(insns[1].k, AUDIT_ARCH_X86_64);
	assert_int_equal(insns[2].code, BPF_RET | BPF_K);
	assert_int_equal(insns[2].k, SECCOMP_RET_KILL_PROCESS);
	assert_int_equal(insns[4].code, BPF_JMP | BPF_JGE | BPF_K);
	assert_int_equal(insns[4].k, __X32_SYSCALL_BIT);
	assert_int_equal(insns[5].k, SECCOMP_RET_KILL_PROCESS);

	/* Sealed: the VMM gets exactly what the supervisor checked. */
	assert_int_equal(fcntl(fd, F_GET_SEALS) & (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW),
			 F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW);
	assert_int_equal(pwrite(fd, insns, sizeof(insns[0]), 0), -1);
	assert_int_equal(lseek(fd, 0, SEEK_CUR), 0);
	close(plain);
	close(fd);
}

static int memfd_with(size_t size, unsigned char fill)
{
	int fd = memfd_create("test-bpf", MFD_CLOEXEC);
	unsigned char *buf = malloc(size ? size : 1);
	assert_true(fd >= 0);
	assert_non_null(buf);
	memset(buf, fill, size);
	assert_int_equal(write(fd, buf, size), (ssize_t)size);
	free(buf);
	return fd;
}

static int install_errno(int fd)
{
	errno = 0;
	if (seccomp_policy_install_fd(fd) == 0)
		return 0;
	return errno;
}

static int bad_fd_for_child = -1;

/* Rejections happen before any filter is installed, so the child can report them. */
static int body_install_bad(void)
{
	return install_errno(bad_fd_for_child) == EINVAL ? 0 : 1;
}

static void test_install_rejects_bad_fd(void **state)
{
	static const size_t sizes[] = {0, 7, 12, (BPF_MAXINSNS + 1) * 8};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		bad_fd_for_child = memfd_with(sizes[i], 0x06); /* 0x06 = BPF_RET opcodes */
		expect_exit(run_child(-1, body_install_bad), 0);
		close(bad_fd_for_child);
	}
	/* Right size, but no valid program: the kernel's verifier says no. */
	bad_fd_for_child = memfd_with(8, 0xff);
	expect_exit(run_child(-1, body_install_bad), 0);
	close(bad_fd_for_child);
}

static void test_install_requires_nnp(void **state)
{
	int fd = compile_fd(test_policy, SECCOMP_POLICY_MODE_KILL);
	int status;
	pid_t pid;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		child_exit(install_errno(fd) == EPERM ? 0 : 1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	expect_exit(status, 0);
	close(fd);
}

/*
 * Thread creation and exit go through glibc, and under ASan also through its
 * runtime, which makes syscalls of its own (sigaltstack...): the shipped
 * policies are written for the real VMM, so those checks do not run there.
 */
#ifdef __SANITIZE_ADDRESS__
static const char *const thread_checks_skip = "the ASan runtime makes syscalls the shipped "
					      "policies do not allow";
#else
static const char *const thread_checks_skip = NULL;
#endif

/* Adds test to tests unless skip_reason says why it cannot run here. */
static void add_test(struct CMUnitTest *tests, size_t *n, struct CMUnitTest test,
		     const char *skip_reason)
{
	if (skip_reason)
		printf("SKIP: %s: %s\n", test.name, skip_reason);
	else
		tests[(*n)++] = test;
}

int main(void)
{
	static const struct CMUnitTest always[] = {
	    cmocka_unit_test(test_allowed_syscall_runs),
	    cmocka_unit_test(test_unlisted_syscall_killed),
	    cmocka_unit_test(test_return_errno),
	    cmocka_unit_test(test_ioctl_request_filtered),
	    cmocka_unit_test(test_clone_needs_thread),
	    cmocka_unit_test(test_mmap_no_exec),
	    cmocka_unit_test(test_log_mode_allows_unlisted),
	    cmocka_unit_test(test_trap_mode_raises_sigsys),
	    cmocka_unit_test(test_other_abi_killed),
	    cmocka_unit_test(test_filter_is_per_thread),
	    cmocka_unit_test(test_shipped_vcpu_policy),
	    cmocka_unit_test(test_shipped_vmm_policy),
	    cmocka_unit_test(test_shipped_policies_refuse_tun_ioctls),
	    cmocka_unit_test(test_export_sealed_with_prologue),
	    cmocka_unit_test(test_install_rejects_bad_fd),
	};
	struct CMUnitTest tests[ARRAY_SIZE(always) + 3];
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(always); i++)
		add_test(tests, &n, always[i], NULL);
	add_test(tests, &n, (struct CMUnitTest)cmocka_unit_test(test_shipped_vcpu_thread_ends),
		 thread_checks_skip);
	add_test(tests, &n, (struct CMUnitTest)cmocka_unit_test(test_shipped_vmm_creates_threads),
		 thread_checks_skip);
	add_test(tests, &n, (struct CMUnitTest)cmocka_unit_test(test_install_requires_nnp),
		 prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1
		     ? "no_new_privs is already set on the test process"
		     : NULL);
	fflush(stdout);
	return _cmocka_run_group_tests("seccomp_bpf", tests, n, NULL, NULL);
}
