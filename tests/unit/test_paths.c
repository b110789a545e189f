/* Unit tests of the root, name validation, listings and atomic files (runner/host/paths.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "paths.h"

static char tmp_root[PATH_MAX];

static int make_root(void **state)
{
	snprintf(tmp_root, sizeof(tmp_root), "/tmp/lockvm-test-paths.XXXXXX");
	if (!mkdtemp(tmp_root))
		return -1;
	char err[256];
	return paths_set_root(tmp_root, err, sizeof(err));
}

static int remove_root(void **state)
{
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp_root);
	return system(cmd) == 0 ? 0 : -1;
}

static void names(void **state)
{
	const char *why = NULL;
	assert_true(paths_name_valid("vm1", &why));
	assert_true(paths_name_valid("a.b_c-D9", &why));
	char max[65];
	memset(max, 'x', 64);
	max[64] = '\0';
	assert_true(paths_name_valid(max, &why));
	char over[66];
	memset(over, 'x', 65);
	over[65] = '\0';
	assert_false(paths_name_valid(over, &why));
	assert_string_equal(why, "longer than 64 characters");
	assert_false(paths_name_valid("", &why));
	assert_string_equal(why, "empty");
	assert_false(paths_name_valid(".hidden", &why));
	assert_false(paths_name_valid("-opt", &why));
	assert_string_equal(why, "starts with '.' or '-'");
	assert_false(paths_name_valid("a/b", &why));
	assert_string_equal(why, "has a character outside [A-Za-z0-9_.-]");
	assert_false(paths_name_valid("..", &why));
	assert_false(paths_name_valid("a b", &why));
	assert_false(paths_name_valid("caf\xc3\xa9", &why));
}

static void root_and_join(void **state)
{
	char err[256], out[PATH_MAX];
	assert_string_equal(paths_root(), tmp_root);
	assert_int_equal(paths_join(out, sizeof(out), PATHS_VMS_DIR, "vm1"), 0);
	char want[PATH_MAX + 32];
	snprintf(want, sizeof(want), "%s/run/lockvm/vms/vm1", tmp_root);
	assert_string_equal(out, want);
	char tiny[8];
	assert_int_equal(paths_join(tiny, sizeof(tiny), PATHS_VMS_DIR, "vm1"), -1);
	assert_int_equal(errno, ENAMETOOLONG);
	assert_int_equal(paths_set_root("relative/dir", err, sizeof(err)), -1);
	assert_int_equal(paths_set_root("/nonexistent-lockvm-root", err, sizeof(err)), -1);
	assert_string_equal(paths_root(), tmp_root); /* unchanged by refusals */
	/* mkdir -p under the root, run/ private */
	assert_int_equal(paths_mkdir(PATHS_VMS_DIR), 0);
	assert_int_equal(paths_mkdir(PATHS_VMS_DIR), 0); /* idempotent */
	struct stat st;
	assert_int_equal(paths_join(out, sizeof(out), "run/lockvm", NULL), 0);
	assert_int_equal(stat(out, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	/* a symlink on the way is refused */
	char link[PATH_MAX + 16];
	snprintf(link, sizeof(link), "%s/var", tmp_root);
	assert_int_equal(symlink("/tmp", link), 0);
	assert_int_equal(paths_mkdir(PATHS_LOG_DIR), -1);
	assert_int_equal(errno, ENOTDIR);
}

static void atomic_files(void **state)
{
	char path[PATH_MAX];
	size_t len = 0;
	assert_int_equal(paths_mkdir(PATHS_RUN_DIR), 0);
	assert_int_equal(paths_join(path, sizeof(path), PATHS_RUN_DIR, "f.json"), 0);
	assert_int_equal(paths_write_atomic(path, "{\"a\":1}", 7, 0600), 0);
	char *text = paths_read_file(path, 64, &len);
	assert_non_null(text);
	assert_int_equal(len, 7);
	assert_string_equal(text, "{\"a\":1}");
	free(text);
	assert_int_equal(paths_write_atomic(path, "xy", 2, 0600), 0); /* replaced whole */
	text = paths_read_file(path, 64, &len);
	assert_string_equal(text, "xy");
	free(text);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* too large: refused, not truncated */
	assert_null(paths_read_file(path, 1, &len));
	assert_int_equal(errno, EFBIG);
	assert_int_equal(paths_join(path, sizeof(path), PATHS_RUN_DIR, "missing"), 0);
	assert_null(paths_read_file(path, 64, &len));
	assert_int_equal(errno, ENOENT);
}

static void touch(const char *rel, const char *leaf)
{
	char path[PATH_MAX];
	assert_int_equal(paths_join(path, sizeof(path), rel, leaf), 0);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
}

static void listing(void **state)
{
	char **names;
	size_t n;
	/* a directory that does not exist yet: empty, not an error */
	assert_int_equal(paths_names(PATHS_DEFS_DIR, ".conf", &names, &n), 0);
	assert_int_equal(n, 0);
	paths_names_free(names, n);
	assert_int_equal(paths_mkdir(PATHS_DEFS_DIR), 0);
	touch(PATHS_DEFS_DIR, "web.conf");
	touch(PATHS_DEFS_DIR, "db.conf");
	touch(PATHS_DEFS_DIR, "notes.txt");	  /* other suffix */
	touch(PATHS_DEFS_DIR, ".conf");		  /* empty name */
	touch(PATHS_DEFS_DIR, "-bad.conf");	  /* invalid name */
	touch(PATHS_DEFS_DIR, "a.conf.conf.bak"); /* suffix not at the end */
	assert_int_equal(paths_names(PATHS_DEFS_DIR, ".conf", &names, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "db"); /* sorted */
	assert_string_equal(names[1], "web");
	paths_names_free(names, n);
	/* no suffix: every valid entry, "." and ".." and "-bad.conf" left out */
	assert_int_equal(paths_names(PATHS_DEFS_DIR, NULL, &names, &n), 0);
	assert_int_equal(n, 4);
	assert_string_equal(names[0], "a.conf.conf.bak");
	assert_string_equal(names[3], "web.conf");
	paths_names_free(names, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(names),
	    cmocka_unit_test_setup_teardown(root_and_join, make_root, remove_root),
	    cmocka_unit_test_setup_teardown(atomic_files, make_root, remove_root),
	    cmocka_unit_test_setup_teardown(listing, make_root, remove_root),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
