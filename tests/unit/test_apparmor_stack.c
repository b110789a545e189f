/* Unit tests for runner/mac/apparmor_stack.c: an engine's profile name is checked before it reaches a label; the stacked label is the kernel's text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "apparmor_stack.h"

#include <stdio.h>
#include <string.h>

#define VM_PROFILE "lockvm-0123abcd-0000-4000-8000-00000000beef"

static void assert_name_refused(const char *name, const char *reason)
{
	char err[512] = "";
	int rc = apparmor_stack_name_check(name, err, sizeof(err));
	if (rc != -1 || !strstr(err, reason))
		fail_msg("name '%s': rc %d, err '%s', want a refusal saying '%s'",
			 name ? name : "(null)", rc, err, reason);
	for (const char *c = err; *c; c++)
		assert_true((unsigned char)*c >= 0x20);
}

static void assert_name_taken(const char *name)
{
	char err[512] = "";
	if (apparmor_stack_name_check(name, err, sizeof(err)) != 0)
		fail_msg("name '%s' refused: %s", name, err);
}

/* The names engines send: podman's, docker's, containerd's, a pod's. */
static void test_engine_names_taken(void **state)
{
	(void)state;
	assert_name_taken("containers-default-0.50.1");
	assert_name_taken("docker-default");
	assert_name_taken("cri-containerd.apparmor.d");
	assert_name_taken("k8s-apparmor-example-deny-write");
	assert_name_taken("a");
	assert_name_taken("e2e_engine+1@x");
}

/* Anything that would change what the label means is refused: another
 * namespace, a hat or child, a further stack, globs, spaces, quotes,
 * control bytes, a path-like name. */
static void test_label_syntax_refused(void **state)
{
	(void)state;
	assert_name_refused(":ns:containers-default", "byte 0 (0x3a)");
	assert_name_refused("containers-default//hat", "byte 18 (0x2f)");
	assert_name_refused("a//&unconfined", "byte 1 (0x2f)");
	assert_name_refused("a&b", "byte 1 (0x26)");
	assert_name_refused("docker-*", "byte 7 (0x2a)");
	assert_name_refused("docker default", "byte 6 (0x20)");
	assert_name_refused("docker\"x", "byte 6 (0x22)");
	assert_name_refused("docker\nx", "byte 6 (0x0a)");
	assert_name_refused("/usr/bin/x", "byte 0 (0x2f)");
	assert_name_refused("-x", "byte 0 (0x2d)");
	assert_name_refused(".x", "byte 0 (0x2e)");
	assert_name_refused("x\xc3\xa9", "byte 1 (0xc3)");
}

static void test_empty_long_and_own_names_refused(void **state)
{
	(void)state;
	char name[APPARMOR_STACK_NAME_MAX + 2];
	assert_name_refused("", "empty");
	assert_name_refused(NULL, "empty");
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_name_refused(name, "longer than 128 bytes");
	name[APPARMOR_STACK_NAME_MAX] = '\0';
	assert_name_taken(name);
	assert_name_refused("lockvm", "one of lockvm's own");
	assert_name_refused(VM_PROFILE, "one of lockvm's own");
	assert_name_refused("unconfined", "no profile to stack");
}

/* The label is the two names in byte order, joined by //&, as the kernel
 * shows a stack in /proc/PID/attr/current. */
static void test_label_in_kernel_order(void **state)
{
	(void)state;
	char out[APPARMOR_STACK_LABEL_SIZE];
	assert_int_equal(
	    apparmor_stack_label(VM_PROFILE, "containers-default-0.50.1", out, sizeof(out)), 0);
	assert_string_equal(out, "containers-default-0.50.1//&" VM_PROFILE);
	assert_int_equal(apparmor_stack_label(VM_PROFILE, "zz-engine", out, sizeof(out)), 0);
	assert_string_equal(out, VM_PROFILE "//&zz-engine");
	char longest[APPARMOR_STACK_NAME_MAX + 1];
	memset(longest, 'z', APPARMOR_STACK_NAME_MAX);
	longest[APPARMOR_STACK_NAME_MAX] = '\0';
	assert_int_equal(apparmor_stack_label(VM_PROFILE, longest, out, sizeof(out)), 0);
	assert_int_equal(strlen(out), strlen(VM_PROFILE) + 3 + APPARMOR_STACK_NAME_MAX);
	char small[16];
	assert_int_equal(apparmor_stack_label(VM_PROFILE, "x", small, sizeof(small)), -1);
}

/* "Loaded" is a whole line's name, never a prefix or a substring. */
static void test_listed_matches_whole_names(void **state)
{
	(void)state;
	const char *profiles = "lockvm (enforce)\n"
			       "containers-default-0.50.1 (enforce)\n"
			       "docker-default//hat (complain)\n"
			       "e2e-engine (enforce)\n";
	assert_true(apparmor_stack_listed(profiles, "containers-default-0.50.1"));
	assert_true(apparmor_stack_listed(profiles, "e2e-engine"));
	assert_false(apparmor_stack_listed(profiles, "containers-default"));
	assert_false(apparmor_stack_listed(profiles, "docker-default"));
	assert_false(apparmor_stack_listed(profiles, "engine"));
	assert_false(apparmor_stack_listed("", "e2e-engine"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_engine_names_taken),
	    cmocka_unit_test(test_label_syntax_refused),
	    cmocka_unit_test(test_empty_long_and_own_names_refused),
	    cmocka_unit_test(test_label_in_kernel_order),
	    cmocka_unit_test(test_listed_matches_whole_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
