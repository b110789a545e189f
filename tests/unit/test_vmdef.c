/* Unit tests of VM definitions (runner/cli/vmdef.c): golden files tests/golden/vmdef/NAME.conf vs NAME.ok, limits, reading; and of the pool (runner/cli/pool.c). */
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "paths.h"
#include "pool.h"
#include "vmdef.h"

/*
 * NAME.ok holds "ok" then the `lockvm run` argv of the definition started
 * as VM "test-vm", one argument a line; or the exact error line
 * "FILE:LINE: message". VMDEF_GOLDEN_UPDATE=1 rewrites the .ok files from
 * the current output (review the diff before committing).
 */
static char *golden_actual(const char *conf_path)
{
	char err[1024];
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct vmdef def;
	assert_non_null(out);
	if (vmdef_load(conf_path, &def, err, sizeof(err)) == 0) {
		int argc;
		char **argv = vmdef_run_argv(&def, "test-vm", &argc);
		assert_non_null(argv);
		assert_null(argv[argc]);
		fprintf(out, "ok\n");
		for (int i = 0; i < argc; i++)
			fprintf(out, "%s\n", argv[i]);
		vmdef_argv_free(argv);
		vmdef_free(&def);
	} else {
		/* one line, naming the file */
		assert_null(strchr(err, '\n'));
		assert_true(strncmp(err, conf_path, strlen(conf_path)) == 0);
		fprintf(out, "%s\n", err);
	}
	fclose(out);
	return buf;
}

static void test_golden(void **state)
{
	const char *conf_path = *state;
	char ok_path[512];
	size_t len = strlen(conf_path) - strlen(".conf");
	char *actual = golden_actual(conf_path), *expected;
	size_t expected_len;

	snprintf(ok_path, sizeof(ok_path), "%.*s.ok", (int)len, conf_path);
	if (getenv("VMDEF_GOLDEN_UPDATE")) {
		FILE *f = fopen(ok_path, "we");
		assert_non_null(f);
		fputs(actual, f);
		fclose(f);
	}
	expected = paths_read_file(ok_path, 1 << 16, &expected_len);
	if (!expected)
		fail_msg("%s: missing %s (run with VMDEF_GOLDEN_UPDATE=1)", conf_path, ok_path);
	if (strcmp(expected, actual) != 0)
		fail_msg("%s: output differs from %s\n--- expected\n%s--- actual\n%s", conf_path,
			 ok_path, expected, actual);
	free(expected);
	free(actual);
}

/* Parses text; returns the error line ("" when it parsed). */
static const char *parse_error(const char *text, size_t len)
{
	static char err[1024];
	struct vmdef def;
	if (vmdef_parse(text, len, "t.conf", &def, err, sizeof(err)) == 0) {
		vmdef_free(&def);
		return "";
	}
	/* a refused definition leaves nothing behind */
	assert_null(def.guest);
	assert_int_equal(def.disk_count, 0);
	assert_int_equal(def.arg_count, 0);
	return err;
}

static void test_disk_limit(void **state)
{
	char text[4096];
	size_t n = (size_t)snprintf(text, sizeof(text), "[vm]\nguest = /g.elf\n");
	for (int i = 0; i < LOCKVM_MAX_DISKS; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "[disk]\npath = /d%d.img\n", i);
	assert_string_equal(parse_error(text, n), "");
	n += (size_t)snprintf(text + n, sizeof(text) - n, "[disk]\npath = /last.img\n");
	char want[64];
	snprintf(want, sizeof(want), "t.conf:%d: more than %d [disk] sections",
		 3 + 2 * LOCKVM_MAX_DISKS, LOCKVM_MAX_DISKS);
	assert_string_equal(parse_error(text, n), want);
}

static void test_arg_limits(void **state)
{
	static char text[16384];
	size_t n = (size_t)snprintf(text, sizeof(text), "[vm]\nguest = /g.elf\n");
	/* the guest is argv[0]: LOCKVM_MAX_ARGS - 1 arguments fit */
	for (int i = 0; i < LOCKVM_MAX_ARGS - 1; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "arg = a%d\n", i);
	assert_string_equal(parse_error(text, n), "");
	n += (size_t)snprintf(text + n, sizeof(text) - n, "arg = extra\n");
	char want[64];
	snprintf(want, sizeof(want), "t.conf:%d: more than %d guest arguments", 2 + LOCKVM_MAX_ARGS,
		 LOCKVM_MAX_ARGS - 1);
	assert_string_equal(parse_error(text, n), want);

	/* 50 arguments of 190 bytes cross the 8192-byte argument area */
	char arg[191];
	memset(arg, 'x', sizeof(arg) - 1);
	arg[sizeof(arg) - 1] = '\0';
	n = (size_t)snprintf(text, sizeof(text), "[vm]\nguest = /g.elf\n");
	for (int i = 0; i < 50; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "arg=%s\n", arg);
	/* 52 pointers (guest, 50 arguments, NULL) + "/g.elf" + 41 × 191 bytes
	 * crosses 8192: the 41st argument, on line 43, is blamed */
	assert_string_equal(parse_error(text, n),
			    "t.conf:43: the guest arguments up to here take more than 8192 bytes");
}

static void test_long_lines_and_bytes(void **state)
{
	char text[1024];
	/* inih's line buffer is 200 bytes: the longest line is 197 */
	int n = snprintf(text, sizeof(text), "[vm]\nguest = /%0*d\n", 197 - 9, 0);
	assert_string_equal(parse_error(text, (size_t)n), "");
	n = snprintf(text, sizeof(text), "[vm]\nguest = /%0*d\nmem = 1M\n", 198 - 9, 0);
	/* refused whole, never cut in two (the rest would parse as a line) */
	assert_string_equal(parse_error(text, (size_t)n),
			    "t.conf:2: line longer than 197 characters");
	static const char with_nul[] = "[vm]\nguest = /g\0.elf\n";
	assert_string_equal(parse_error(with_nul, sizeof(with_nul) - 1),
			    "t.conf:2: control character 0x00 in the line");
	static const char no_newline[] = "[vm]\nguest = /g.elf";
	assert_string_equal(parse_error(no_newline, sizeof(no_newline) - 1), "");
	/* the text need not be NUL-terminated: only len bytes are read */
	static const char cut[] = "[vm]\nguest = /g.elf\nmem = 1M\n";
	assert_string_equal(parse_error(cut, 19), "");
	assert_string_equal(parse_error("", 0), "t.conf: no [vm] section");
}

/* The argv `lockvm start` would run for definition text[0, len) as VM vm1. */
static char **run_argv_of(const char *text, size_t len, int *argc)
{
	char err[256];
	struct vmdef def;
	assert_int_equal(vmdef_parse(text, len, "t.conf", &def, err, sizeof(err)), 0);
	char **argv = vmdef_run_argv(&def, "vm1", argc);
	vmdef_free(&def);
	assert_non_null(argv);
	return argv;
}

/* argv[0, argc) is want[0, n), word for word. */
static void assert_argv(char **argv, int argc, const char *const *want, size_t n)
{
	assert_int_equal(argc, (int)n);
	for (int i = 0; i < argc; i++)
		assert_string_equal(argv[i], want[i]);
}

static void test_argv(void **state)
{
	static const char text[] = "[vm]\nguest = /g.elf\narg = --\narg = -x\n"
				   "[disk]\npath = /a,ro\n";
	int argc;
	char **argv = run_argv_of(text, sizeof(text) - 1, &argc);
	/* no --mem nor --vcpus: run's own defaults */
	const char *want[] = {"run",	  "--detach", "--name", "vm1", "--disk",
			      "/a,ro,rw", "/g.elf",   "--",	"--",  "-x"};
	assert_argv(argv, argc, want, sizeof(want) / sizeof(want[0]));
	assert_null(argv[argc]);
	vmdef_argv_free(argv);
	vmdef_argv_free(NULL);
}

/* Every [vm] key that is a run option reaches run's argv as that option. */
static void test_run_option_keys(void **state)
{
	static const char text[] = "[vm]\nguest = /g.elf\nlinux = yes\nstrace = no\nfs = /t\n"
				   "env = A=1\nenv = B=x=y\nnet = bridge=br0\n"
				   "mac = 52:54:00:12:34:56\nksm = yes\nhugepages = thp\nnuma = 0\n"
				   "mem_limit = 256M\nrequire_mac = yes\nlog_size_max = 1M\n"
				   "volume = /w:/work,Z\nvolume = /c:/cache:ro,z\n";
	int argc;
	char **argv = run_argv_of(text, sizeof(text) - 1, &argc);
	const char *want[] = {"run",
			      "--detach",
			      "--name",
			      "vm1",
			      "--linux",
			      "--fs=/t",
			      "--env=A=1",
			      "--env=B=x=y",
			      "--net=bridge=br0",
			      "--mac=52:54:00:12:34:56",
			      "--ksm",
			      "--hugepages=thp",
			      "--numa=0",
			      "--mem-limit=256M",
			      "--require-mac",
			      "--log-size-max=1M",
			      "--volume=/w:/work,Z",
			      "--volume=/c:/cache:ro,z",
			      "/g.elf"};
	assert_argv(argv, argc, want, sizeof(want) / sizeof(want[0]));
	vmdef_argv_free(argv);
}

/* parse_error of a NUL-terminated text. */
static const char *refusal(const char *text)
{
	return parse_error(text, strlen(text));
}

static void test_run_option_keys_refused(void **state)
{
	assert_string_equal(refusal("[vm]\nguest = /g\nlinux = maybe\n"),
			    "t.conf:3: linux 'maybe': want yes or no");
	assert_string_equal(refusal("[vm]\nguest = /g\nfs = rel\n"),
			    "t.conf:3: fs 'rel': want an absolute path");
	assert_string_equal(refusal("[vm]\nguest = /g\nenv = =x\n"),
			    "t.conf:3: env '=x': want NAME=VALUE");
	assert_string_equal(
	    refusal("[vm]\nguest = /g\nmac = 01:00:00:00:00:01\n"),
	    "t.conf:3: mac '01:00:00:00:00:01': a multicast or broadcast address cannot be a "
	    "NIC's own");
	assert_string_equal(
	    refusal("[vm]\nguest = /g\nmem_limit = 1M\n"),
	    "t.conf:3: mem_limit '1M': want a size of at least 16M, e.g. 512M or 2G");
	assert_string_equal(refusal("[vm]\nguest = /g\nfs = /a\nfs = /b\n"),
			    "t.conf:4: fs given twice (first on line 3)");
	assert_string_equal(refusal("[vm]\nguest = /g\nenv = A=1\nenv = A=2\n"), "");
	assert_string_equal(
	    refusal("[vm]\nguest = /g\nvolume = /w:/work,Q\n"),
	    "t.conf:3: volume '/w:/work,Q': /w:/work,Q: want HOST:GUEST[:ro|:rw][,z|,Z] "
	    "(,z: the shared label, ,Z: the VM's own)");
	assert_string_equal(
	    refusal("[vm]\nguest = /g\nvolume = /w:/proc/x,Z\n"),
	    "t.conf:3: volume '/w:/proc/x,Z': /w:/proc/x,Z: /proc is the VM's own; a "
	    "volume cannot cover it");
}

static char tmp_root[PATH_MAX];

static int make_root(void **state)
{
	char err[256];
	snprintf(tmp_root, sizeof(tmp_root), "/tmp/lockvm-test-vmdef.XXXXXX");
	if (!mkdtemp(tmp_root))
		return -1;
	return paths_set_root(tmp_root, err, sizeof(err));
}

static int remove_root(void **state)
{
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp_root);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_load(void **state)
{
	char path[PATH_MAX + 32], err[PATH_MAX + 128];
	struct vmdef def;
	snprintf(path, sizeof(path), "%s/missing.conf", tmp_root);
	assert_int_equal(vmdef_load(path, &def, err, sizeof(err)), -1);
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(err, "cannot read it: No such file or directory"));
	assert_int_equal(vmdef_load(tmp_root, &def, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a regular file"));
	snprintf(path, sizeof(path), "%s/big.conf", tmp_root);
	FILE *f = fopen(path, "we");
	assert_non_null(f);
	for (unsigned i = 0; i <= VMDEF_FILE_MAX / 8; i++)
		fputs(";comment\n", f);
	fclose(f);
	assert_int_equal(vmdef_load(path, &def, err, sizeof(err)), -1);
	assert_int_equal(errno, EFBIG);
	assert_non_null(strstr(err, "larger than 65536 bytes"));
}

static bool always_in_use(const char *path, void *ctx)
{
	*(const char **)ctx = strrchr(path, '/');
	return true;
}

static void test_pool(void **state)
{
	char err[PATH_MAX + 256], path[PATH_MAX];
	struct pool_image *images;
	size_t count;
	struct stat st;

	assert_int_equal(pool_list(&images, &count, err, sizeof(err)), 0); /* no directory yet */
	assert_int_equal(count, 0);
	free(images);
	mode_t old_umask = umask(0);
	assert_int_equal(pool_create("b", 1ULL << 30, err, sizeof(err)), 0);
	umask(old_umask);
	assert_int_equal(pool_create("a", 4096, err, sizeof(err)), 0);
	assert_int_equal(pool_create("a", 4096, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "image a already exists"));
	assert_int_equal(pool_create("c", 1000, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a positive multiple of 512"));
	assert_int_equal(pool_create("c", 0, err, sizeof(err)), -1);
	assert_int_equal(pool_create("../c", 512, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "image name '../c' starts with '.' or '-'"));

	assert_int_equal(pool_image_path("b", path, sizeof(path), err, sizeof(err)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600); /* whatever the umask */
	assert_int_equal(st.st_size, 1LL << 30);
	assert_true(st.st_blocks * 512 < (1 << 20)); /* sparse */

	/* not images: a symlink, a bad name, another extension, a temporary */
	char other[PATH_MAX + 64];
	snprintf(other, sizeof(other), "%s/var/lib/lockvm/images/link.img", tmp_root);
	assert_int_equal(symlink(path, other), 0);
	snprintf(other, sizeof(other), "%s/var/lib/lockvm/images/.hidden.img", tmp_root);
	fclose(fopen(other, "we"));
	snprintf(other, sizeof(other), "%s/var/lib/lockvm/images/notes.txt", tmp_root);
	fclose(fopen(other, "we"));
	assert_int_equal(pool_list(&images, &count, err, sizeof(err)), 0);
	assert_int_equal(count, 2);
	assert_string_equal(images[0].name, "a");
	assert_string_equal(images[1].name, "b");
	assert_string_equal(images[1].path, path);
	assert_int_equal(images[1].size, 1ULL << 30);
	free(images);

	const char *asked = NULL;
	assert_int_equal(pool_delete("b", always_in_use, &asked, err, sizeof(err)), -1);
	assert_int_equal(errno, EBUSY);
	assert_string_equal(asked, "/b.img");
	assert_non_null(strstr(err, "image b is a disk of a running VM"));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(pool_delete("b", NULL, NULL, err, sizeof(err)), 0);
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(pool_delete("b", NULL, NULL, err, sizeof(err)), -1);
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(err, "no image named 'b' in the pool"));
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
	if (chdir("tests/golden/vmdef") < 0) {
		perror("chdir tests/golden/vmdef");
		return 1;
	}
	if (glob("*.conf", 0, NULL, &found) != 0 || found.gl_pathc == 0) {
		fprintf(stderr, "no golden definitions found\n");
		return 1;
	}
	tests = calloc(found.gl_pathc + 10, sizeof(*tests));
	if (!tests)
		return 1;
	for (size_t i = 0; i < found.gl_pathc; i++) {
		tests[n].name = found.gl_pathv[i];
		tests[n].test_func = test_golden;
		tests[n].initial_state = found.gl_pathv[i];
		n++;
	}
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_disk_limit);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_arg_limits);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_long_lines_and_bytes);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_argv);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_run_option_keys);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_run_option_keys_refused);
	tests[n++] =
	    (struct CMUnitTest)cmocka_unit_test_setup_teardown(test_load, make_root, remove_root);
	tests[n++] =
	    (struct CMUnitTest)cmocka_unit_test_setup_teardown(test_pool, make_root, remove_root);
	rc = _cmocka_run_group_tests("vmdef", tests, n, NULL, NULL);
	free(tests);
	globfree(&found);
	return rc;
}
