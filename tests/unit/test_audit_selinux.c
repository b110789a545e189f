/* Unit tests for runner/audit/audit_selinux.c argument handling and refusal of unusable policies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "audit_selinux.h"

#include <selinux/selinux.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

static int run(int argc, char **argv)
{
	fflush(stdout);
	return audit_selinux_main(argc, argv);
}

/* Runs audit selinux in a child: a usage error or --help ends the process
 * (the one CLI grammar, common/cliopt.c). Returns its exit status. */
static int run_child(int argc, char **argv)
{
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);
		dup2(devnull, STDOUT_FILENO);
		_exit(audit_selinux_main(argc, argv));
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void test_usage_errors_exit_125(void **state)
{
	char *unknown[] = {"selinux", "--frobnicate", NULL};
	assert_int_equal(run_child(2, unknown), 125);
	char *missing[] = {"selinux", "--policy", NULL};
	assert_int_equal(run_child(2, missing), 125);
	char *no_dir[] = {"selinux", "--allowlist-dir", NULL};
	assert_int_equal(run_child(2, no_dir), 125);
	char *no_domain[] = {"selinux", "--print-allowlist", NULL};
	assert_int_equal(run_child(2, no_domain), 125);
	char *operand[] = {"selinux", "extra", NULL};
	assert_int_equal(run_child(2, operand), 125);
	char *help[] = {"selinux", "--help", NULL};
	assert_int_equal(run_child(2, help), 0);
}

static void test_unreadable_or_bogus_policy_exit_2(void **state)
{
	char *absent[] = {"selinux", "--policy", "/nonexistent/policy.33", NULL};
	assert_int_equal(run(3, absent), 2);

	char path[] = "/tmp/lockvm-audit-unit.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	/* Starts like a policy (SELinux magic) but is truncated garbage. */
	static const unsigned char junk[] = {0x8c, 0xff, 0x7c, 0xf9, 0x08, 0x00, 0x00, 0x00,
					     'S',  'E',	 ' ',  'L',  'i',  'n',	 'u',  'x'};
	assert_int_equal(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	close(fd);
	char *bogus[] = {"selinux", "--json", "--policy", path, NULL};
	assert_int_equal(run(4, bogus), 2);
	unlink(path);
}

static void test_no_running_policy_is_an_error(void **state)
{
	if (is_selinux_enabled() > 0) {
		skip(); /* a real SELinux host has a running policy */
		return;
	}
	char *none[] = {"selinux", NULL};
	assert_int_equal(run(1, none), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_usage_errors_exit_125),
	    cmocka_unit_test(test_unreadable_or_bogus_policy_exit_2),
	    cmocka_unit_test(test_no_running_policy_is_an_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
