/* `lockvm audit seccomp`'s judge: the BPF interpreter on known programs, its
 * verdicts on compiled policies, and a few of them checked against the
 * kernel running the same filter in a forked child. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
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
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "audit_seccomp_eval.h"
#include "bpf_eval.h"

static uint32_t run(const struct sock_filter *prog, size_t n, uint32_t arch, int nr, uint64_t arg0)
{
	struct seccomp_data d = {.nr = nr, .arch = arch, .args = {arg0}};
	uint32_t verdict = 0xdead;
	char err[256];
	assert_int_equal(bpf_eval(prog, n, &d, &verdict, err, sizeof(err)), 0);
	return verdict;
}

static int refused(const struct sock_filter *prog, size_t n, const char *why)
{
	struct seccomp_data d = {.nr = 1, .arch = AUDIT_ARCH_X86_64};
	uint32_t verdict;
	char err[256] = "";
	int rc = bpf_eval(prog, n, &d, &verdict, err, sizeof(err));
	if (rc == 0 || !strstr(err, why))
		fprintf(stderr, "want refusal '%s', got rc %d: %s\n", why, rc, err);
	return rc < 0 && strstr(err, why);
}

/* Known small programs: loads, jumps and returns as the kernel runs them. */
static void test_interpreter_known_programs(void **state)
{
	const struct sock_filter getpid_only[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getpid, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
	};
	const struct sock_filter masked[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
	    BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0x4),
	    BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x4, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
	    BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 2, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
	};
	(void)state;
	assert_int_equal(run(getpid_only, 4, AUDIT_ARCH_X86_64, SYS_getpid, 0), SECCOMP_RET_ALLOW);
	assert_int_equal(run(getpid_only, 4, AUDIT_ARCH_X86_64, SYS_read, 0),
			 SECCOMP_RET_ERRNO | EPERM);
	assert_int_equal(run(masked, 8, AUDIT_ARCH_X86_64, 0, 0x7), SECCOMP_RET_KILL_PROCESS);
	assert_int_equal(run(masked, 8, AUDIT_ARCH_X86_64, 0, 0x4), SECCOMP_RET_KILL_PROCESS);
	assert_int_equal(run(masked, 8, AUDIT_ARCH_X86_64, 0, 0x3), SECCOMP_RET_ALLOW);
	assert_int_equal(run(masked, 8, AUDIT_ARCH_X86_64, 0, 0x1), SECCOMP_RET_TRAP);
	assert_true(bpf_verdict_allows(SECCOMP_RET_ALLOW));
	assert_true(bpf_verdict_allows(SECCOMP_RET_LOG));
	assert_false(bpf_verdict_allows(SECCOMP_RET_ERRNO | 1));
	assert_false(bpf_verdict_allows(SECCOMP_RET_KILL_PROCESS));
}

/* What seccomp filters never use, and malformed programs, are refused. */
static void test_interpreter_refuses(void **state)
{
	const struct sock_filter byte_load[] = {
	    BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	const struct sock_filter past_data[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, sizeof(struct seccomp_data)),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	const struct sock_filter jump_out[] = {
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 5, 5),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	const struct sock_filter no_ret[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
	};
	const struct sock_filter alu_div[] = {
	    BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 2),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	(void)state;
	assert_true(refused(byte_load, 2, "instruction seccomp does not use"));
	assert_true(refused(past_data, 2, "load outside struct seccomp_data"));
	assert_true(refused(jump_out, 2, "jump out of the program"));
	assert_true(refused(no_ret, 1, "ends without RET"));
	assert_true(refused(alu_div, 2, "instruction seccomp does not use"));
}

static struct seccomp_policy *parse_text(const char *text)
{
	char path[] = "/tmp/test_audit_seccomp_XXXXXX", err[512];
	int fd = mkstemp(path);
	struct seccomp_policy *p;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	p = seccomp_policy_parse_file(path, err, sizeof(err));
	unlink(path);
	if (!p)
		fail_msg("%s", err);
	return p;
}

static bool allows(const struct audit_seccomp_filter *f, uint32_t arch, int nr, uint64_t a0,
		   uint64_t a1, uint64_t a2)
{
	const uint64_t args[SECCOMP_POLICY_MAX_ARGS] = {a0, a1, a2};
	uint32_t verdict;
	char err[256];
	assert_int_equal(audit_seccomp_filter_run(f, arch, nr, args, &verdict, err, sizeof(err)),
			 0);
	return bpf_verdict_allows(verdict);
}

static const char cross_policy[] = "exit_group: 1\n"
				   "mprotect: arg2 in PROT_READ|PROT_WRITE\n"
				   "ioctl: arg1 == KVM_RUN\n"
				   "getpid: 1\n";

/* "Compiled policy X allows syscall Y with args Z", from the exported BPF. */
static void test_compiled_policy_verdicts(void **state)
{
	struct seccomp_policy *p = parse_text(cross_policy);
	struct audit_seccomp_filter f;
	char err[512];
	(void)state;
	assert_int_equal(audit_seccomp_filter_build(p, &f, err, sizeof(err)), 0);
	assert_true(allows(&f, AUDIT_ARCH_X86_64, SYS_mprotect, 0, 4096, PROT_READ));
	assert_true(allows(&f, AUDIT_ARCH_X86_64, SYS_mprotect, 0, 4096, PROT_READ | PROT_WRITE));
	assert_false(allows(&f, AUDIT_ARCH_X86_64, SYS_mprotect, 0, 4096, PROT_READ | PROT_EXEC));
	assert_true(allows(&f, AUDIT_ARCH_X86_64, SYS_ioctl, 3, KVM_RUN, 0));
	assert_false(allows(&f, AUDIT_ARCH_X86_64, SYS_ioctl, 3, 0x5412 /* TIOCSTI */, 0));
	assert_false(allows(&f, AUDIT_ARCH_X86_64, SYS_ioctl, 3, KVM_RUN | (1ULL << 32), 0));
	assert_false(allows(&f, AUDIT_ARCH_X86_64, SYS_execve, 0, 0, 0));
	/* The prologue: i386 and x32 numbers are killed whatever the policy. */
	assert_false(allows(&f, AUDIT_ARCH_I386, 20 /* i386 getpid */, 0, 0, 0));
	assert_false(allows(&f, AUDIT_ARCH_X86_64, SYS_getpid | 0x40000000, 0, 0, 0));
	audit_seccomp_filter_free(&f);
	seccomp_policy_free(p);
}

/* Status of a child that installs f and runs syscall nr(a0, a1, a2). */
static int kernel_status(const struct audit_seccomp_filter *f, long nr, long a0, long a1, long a2)
{
	struct sock_fprog fprog = {.len = (unsigned short)f->n, .filter = f->prog};
	int status;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) < 0)
			_exit(99);
		syscall(nr, a0, a1, a2);
		syscall(SYS_exit_group, 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

/* The interpreter agrees with the kernel on the same exported program. */
static void test_interpreter_agrees_with_kernel(void **state)
{
	struct seccomp_policy *p = parse_text(cross_policy);
	struct audit_seccomp_filter f;
	char err[512];
	void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	const struct {
		long nr, a0, a1, a2;
	} cases[] = {
	    {SYS_mprotect, (long)page, 4096, PROT_READ},
	    {SYS_mprotect, (long)page, 4096, PROT_READ | PROT_EXEC},
	    {SYS_getpid, 0, 0, 0},
	    {SYS_getppid, 0, 0, 0},
	    {SYS_ioctl, -1, 0x5412, 0},
	    {SYS_ioctl, -1, KVM_RUN, 0},
	};
	(void)state;
	assert_true(page != MAP_FAILED);
	assert_int_equal(audit_seccomp_filter_build(p, &f, err, sizeof(err)), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int status = kernel_status(&f, cases[i].nr, cases[i].a0, cases[i].a1, cases[i].a2);
		bool kernel_allowed = WIFEXITED(status) && WEXITSTATUS(status) == 0;
		assert_false(WIFEXITED(status) && WEXITSTATUS(status) == 99);
		if (!kernel_allowed)
			assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS);
		assert_int_equal(allows(&f, AUDIT_ARCH_X86_64, (int)cases[i].nr,
					(uint64_t)cases[i].a0, (uint64_t)cases[i].a1,
					(uint64_t)cases[i].a2),
				 kernel_allowed);
	}
	munmap(page, 4096);
	audit_seccomp_filter_free(&f);
	seccomp_policy_free(p);
}

/* The first finding of role for text, or NULL; *nfindings counts them. */
static char *first_finding(const char *role, const char *text, size_t *nfindings)
{
	struct seccomp_policy *p = parse_text(text);
	struct audit_seccomp_filter f;
	struct audit_seccomp_result res;
	char err[512], *found = NULL;
	assert_int_equal(audit_seccomp_filter_build(p, &f, err, sizeof(err)), 0);
	assert_int_equal(audit_seccomp_evaluate(role, &f, p, NULL, &res, err, sizeof(err)), 0);
	*nfindings = res.nfindings;
	for (size_t i = 0; i < res.n && !found; i++)
		if (res.allowed[i].finding[0] && !res.allowed[i].accepted)
			found = strdup(res.allowed[i].finding);
	audit_seccomp_result_free(&res);
	audit_seccomp_filter_free(&f);
	seccomp_policy_free(p);
	return found;
}

static void expect_finding(const char *role, const char *text, const char *want)
{
	size_t n;
	char *got = first_finding(role, text, &n);
	if (!want) {
		if (got)
			fail_msg("%s: unexpected finding: %s", text, got);
		assert_int_equal(n, 0);
		return;
	}
	if (!got || !strstr(got, want))
		fail_msg("%s: want a finding with '%s', got '%s'", text, want, got ? got : "none");
	free(got);
}

/* Findings by argument class, as the compiled filter decides them. */
static void test_findings(void **state)
{
	(void)state;
	expect_finding("vcpu", "ioctl: 1\n", "ioctl allowed for any request (TIOCSTI passes)");
	expect_finding("vcpu", "ioctl: arg1 == KVM_RUN\n", NULL);
	expect_finding("vcpu", "ioctl: arg1 == KVM_CREATE_VCPU\n", "not among the vcpu role's");
	expect_finding("setup", "ioctl: arg1 == KVM_CREATE_VCPU\n", NULL);
	expect_finding("vcpu", "mprotect: arg2 in PROT_READ|PROT_WRITE\n", NULL);
	expect_finding("vcpu", "mprotect: arg2 != PROT_EXEC\n", "can add PROT_EXEC");
	expect_finding("vcpu", "execve: return EPERM\n", NULL);
	expect_finding("vcpu", "openat: arg2 == 0\n", "opens files");
	expect_finding("vmm", "clone: arg0 in CLONE_THREAD|CLONE_VM|CLONE_SIGHAND\n",
		       "creates processes");
	expect_finding("vmm", "clone: arg0 & CLONE_THREAD|CLONE_VM|CLONE_SIGHAND\n",
		       "creates namespaces");
	expect_finding("vmm", "clone: arg0 == CLONE_THREAD|CLONE_VM|CLONE_SIGHAND\n", NULL);
	expect_finding("vmm", "memfd_create: arg1 in MFD_CLOEXEC\n", "MFD_NOEXEC_SEAL");
	expect_finding("vmm", "memfd_create: arg1 & MFD_NOEXEC_SEAL\n", NULL);
	expect_finding("vmm", "prctl: 1\n", "prctl allowed with option");
	expect_finding("vmm", "prctl: arg0 != PR_SET_SECCOMP\n", "prctl allowed with option");
	expect_finding("vmm", "prctl: arg0 == PR_SET_NAME || arg0 == PR_GET_NAME\n", NULL);
	expect_finding("vmm", "kill: arg0 == 0\n", NULL);
	expect_finding("vmm", "kill: arg0 != 0\n", "signals other processes");
	expect_finding("vmm", "tgkill: 1\n", NULL); /* a declared need of every role */
	expect_finding("vmm", "tkill: 1\n", "signals other processes");
	expect_finding("vmm", "socket: arg0 == AF_UNIX\n", "opens network or IPC endpoints");
	expect_finding("vmm", "settimeofday: 1\n", "@clock");
	expect_finding("vmm", "read: 1\nwrite: 1\n", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_interpreter_known_programs),
	    cmocka_unit_test(test_interpreter_refuses),
	    cmocka_unit_test(test_compiled_policy_verdicts),
	    cmocka_unit_test(test_interpreter_agrees_with_kernel),
	    cmocka_unit_test(test_findings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
