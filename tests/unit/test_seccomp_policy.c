/* Golden tests of the seccomp policy parser: tests/golden/seccomp/NAME.policy vs NAME.ok. */
#include <errno.h>
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "seccomp_policy.h"

/*
 * NAME.ok holds "ok" then the normalized dump of the rules, or the exact
 * error line "FILE:LINE: message". SECCOMP_GOLDEN_UPDATE=1 rewrites the .ok
 * files from the current output (review the diff before committing).
 */
static char *golden_actual(const char *policy_path)
{
	char err[1024];
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct seccomp_policy *policy;
	assert_non_null(out);
	policy = seccomp_policy_parse_file(policy_path, err, sizeof(err));
	if (policy) {
		fprintf(out, "ok\n");
		seccomp_policy_dump(policy, out);
		seccomp_policy_free(policy);
	} else {
		fprintf(out, "%s\n", err);
	}
	fclose(out);
	return buf;
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf;
	long size;
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)size + 1);
	if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static void test_golden(void **state)
{
	const char *policy_path = *state;
	char ok_path[512];
	char *actual = golden_actual(policy_path), *expected;
	size_t len = strlen(policy_path) - strlen(".policy");

	snprintf(ok_path, sizeof(ok_path), "%.*s.ok", (int)len, policy_path);
	if (getenv("SECCOMP_GOLDEN_UPDATE")) {
		FILE *f = fopen(ok_path, "we");
		assert_non_null(f);
		fputs(actual, f);
		fclose(f);
	}
	expected = read_text(ok_path);
	if (!expected)
		fail_msg("%s: missing %s (run with SECCOMP_GOLDEN_UPDATE=1)", policy_path, ok_path);
	if (strcmp(expected, actual) != 0)
		fail_msg("%s: output differs from %s\n--- expected\n%s--- actual\n%s", policy_path,
			 ok_path, expected, actual);
	free(expected);
	free(actual);
}

static void test_mode_parse(void **state)
{
	enum seccomp_policy_mode mode;
	assert_int_equal(seccomp_policy_mode_parse("kill", &mode), 0);
	assert_int_equal(mode, SECCOMP_POLICY_MODE_KILL);
	assert_int_equal(seccomp_policy_mode_parse("log", &mode), 0);
	assert_int_equal(mode, SECCOMP_POLICY_MODE_LOG);
	assert_int_equal(seccomp_policy_mode_parse("trap", &mode), 0);
	assert_int_equal(mode, SECCOMP_POLICY_MODE_TRAP);
	assert_int_equal(seccomp_policy_mode_parse("allow", &mode), -1);
	assert_int_equal(seccomp_policy_mode_parse("", &mode), -1);
}

static struct seccomp_policy *parse_text(const char *text)
{
	char path[] = "/tmp/lockvm-seccomp-unit.XXXXXX", err[1024];
	int fd = mkstemp(path);
	struct seccomp_policy *policy;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	policy = seccomp_policy_parse_file(path, err, sizeof(err));
	unlink(path);
	if (!policy)
		fail_msg("parse failed: %s", err);
	return policy;
}

static const struct seccomp_policy_entry *find_entry(const struct seccomp_policy *p,
						     const char *name)
{
	for (size_t i = 0; i < p->nentries; i++)
		if (strcmp(p->entries[i].name, name) == 0)
			return &p->entries[i];
	fail_msg("no entry %s", name);
	return NULL;
}

/* '&', 'in' and '==' on one argument merge into one masked comparison. */
static void test_arg_mask_merge(void **state)
{
	struct seccomp_policy *p = parse_text("clone: arg0 & 0x10 && arg0 in 0x30\n"
					      "read: arg0 == 5\n"
					      "write: arg0 != 5\n");
	uint64_t mask, datum;
	const struct seccomp_policy_entry *e = find_entry(p, "clone");
	assert_true(seccomp_policy_rule_arg_mask(&e->rules[0], 0, &mask, &datum));
	assert_int_equal(mask, ~UINT64_C(0x30) | 0x10);
	assert_int_equal(datum, 0x10);
	assert_false(seccomp_policy_rule_arg_mask(&e->rules[0], 1, &mask, &datum));
	e = find_entry(p, "read");
	assert_true(seccomp_policy_rule_arg_mask(&e->rules[0], 0, &mask, &datum));
	assert_int_equal(mask, UINT64_MAX);
	assert_int_equal(datum, 5);
	e = find_entry(p, "write");
	assert_false(seccomp_policy_rule_arg_mask(&e->rules[0], 0, &mask, &datum));
	seccomp_policy_free(p);
}

int main(void)
{
	const char *top = getenv("LOCKVM_TOP");
	struct CMUnitTest *tests;
	glob_t found;
	size_t n = 0;
	int rc;

	if (top && chdir(top) < 0) {
		perror(top);
		return 1;
	}
	/* Relative paths keep the FILE part of golden error lines stable. */
	if (chdir("tests/golden/seccomp") < 0) {
		perror("chdir tests/golden/seccomp");
		return 1;
	}
	if (glob("*.policy", 0, NULL, &found) != 0 || found.gl_pathc == 0) {
		fprintf(stderr, "no golden policies found\n");
		return 1;
	}
	tests = calloc(found.gl_pathc + 3, sizeof(*tests));
	if (!tests)
		return 1;
	for (size_t i = 0; i < found.gl_pathc; i++) {
		tests[n].name = found.gl_pathv[i];
		tests[n].test_func = test_golden;
		tests[n].initial_state = found.gl_pathv[i];
		n++;
	}
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_mode_parse);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_arg_mask_merge);
	rc = _cmocka_run_group_tests("seccomp_policy", tests, n, NULL, NULL);
	free(tests);
	globfree(&found);
	return rc;
}
