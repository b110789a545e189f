/* Unit tests of save records (runner/host/save_record.c): found for the saved file, stale once it changes, refused when they hold what lockvm never writes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "save_record.h"

static char tmp_root[PATH_MAX], saved[PATH_MAX + 16];

static int make_root(void **state)
{
	snprintf(tmp_root, sizeof(tmp_root), "/tmp/lockvm-test-saverec.XXXXXX");
	if (!mkdtemp(tmp_root))
		return -1;
	char err[256];
	snprintf(saved, sizeof(saved), "%s/vm.snap", tmp_root);
	return paths_set_root(tmp_root, err, sizeof(err));
}

static int remove_root(void **state)
{
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp_root);
	return system(cmd) == 0 ? 0 : -1;
}

/* A saved file and the record of a static-label VM with a NIC. */
static int save_one(void)
{
	static struct reg_vm vm;
	char err[512];
	memset(&vm, 0, sizeof(vm));
	snprintf(vm.name, sizeof(vm.name), "web");
	vm.label.kind = LABEL_STATIC;
	snprintf(vm.label.process, sizeof(vm.label.process),
		 "system_u:system_r:lockvm_vm_t:s0:c1,c2");
	snprintf(vm.net.kind, sizeof(vm.net.kind), "bridge");
	snprintf(vm.net.bridge, sizeof(vm.net.bridge), "br0");
	snprintf(vm.net.mac, sizeof(vm.net.mac), "02:00:00:00:00:01");
	int fd = open(saved, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "stream", 6), 6);
	assert_int_equal(save_record_write(fd, saved, &vm, err, sizeof(err)), 0);
	return fd;
}

static void found_for_the_saved_file(void **state)
{
	struct save_record rec;
	char why[512];
	int fd = save_one();
	assert_int_equal(save_record_find(fd, &rec, why, sizeof(why)), 1);
	assert_int_equal(rec.label_kind, LABEL_STATIC);
	assert_string_equal(rec.label, "system_u:system_r:lockvm_vm_t:s0:c1,c2");
	assert_string_equal(rec.net, "bridge=br0");
	assert_string_equal(rec.mac, "02:00:00:00:00:01");
	assert_string_equal(rec.vm, "web");
	close(fd);
}

static void stale_after_a_change(void **state)
{
	struct save_record rec;
	char why[512];
	int fd = save_one();
	struct timespec later[2] = {{.tv_nsec = UTIME_OMIT}, {.tv_sec = 1000000}};
	assert_int_equal(futimens(fd, later), 0);
	assert_int_equal(save_record_find(fd, &rec, why, sizeof(why)), 0);
	assert_non_null(strstr(why, "stale"));
	/* ... and the stale record is gone. */
	assert_int_equal(save_record_find(fd, &rec, why, sizeof(why)), 0);
	assert_non_null(strstr(why, "no save record"));
	close(fd);
}

/* Rewritten in place, same size, mtime put back: the ctime still moved. */
static void stale_after_a_rewrite_with_mtime_reset(void **state)
{
	struct save_record rec;
	char why[512];
	int fd = save_one();
	struct stat before;
	assert_int_equal(fstat(fd, &before), 0);
	usleep(20000); /* past the filesystem's timestamp granularity */
	assert_int_equal(pwrite(fd, "forged", 6, 0), 6);
	struct timespec reset[2] = {{.tv_nsec = UTIME_OMIT}, before.st_mtim};
	assert_int_equal(futimens(fd, reset), 0);
	struct stat after;
	assert_int_equal(fstat(fd, &after), 0);
	assert_int_equal(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
	assert_int_equal(after.st_size, before.st_size);
	assert_int_equal(save_record_find(fd, &rec, why, sizeof(why)), 0);
	assert_non_null(strstr(why, "stale"));
	close(fd);
}

static void a_copy_has_none(void **state)
{
	struct save_record rec;
	char why[512], copy[PATH_MAX + 16];
	close(save_one());
	snprintf(copy, sizeof(copy), "%s/copy.snap", tmp_root);
	int fd = open(copy, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "stream", 6), 6);
	assert_int_equal(save_record_find(fd, &rec, why, sizeof(why)), 0);
	assert_non_null(strstr(why, "copied or moved"));
	close(fd);
}

static void bad_fields_not_trusted(void **state)
{
	struct save_record rec;
	char why[512], path[PATH_MAX + 64];
	int fd = save_one();
	struct stat sb;
	assert_int_equal(fstat(fd, &sb), 0);
	snprintf(path, sizeof(path), "%s/%s/%llu-%llu.json", tmp_root, PATHS_SAVES_DIR,
		 (unsigned long long)sb.st_dev, (unsigned long long)sb.st_ino);
	FILE *f = fopen(path, "r+");
	assert_non_null(f);
	char text[4096] = {0};
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	assert_true(n > 0);
	/* A group name lockvm would never accept, with a static kind. */
	char *kind = strstr(text, "\"static\"");
	assert_non_null(kind);
	memcpy(kind, "\"group\" ", 8);
	rewind(f);
	assert_int_equal(fwrite(text, 1, n, f), n);
	fclose(f);
	assert_int_equal(save_record_find(fd, &rec, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "not trusted"));
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(found_for_the_saved_file, make_root, remove_root),
	    cmocka_unit_test_setup_teardown(stale_after_a_change, make_root, remove_root),
	    cmocka_unit_test_setup_teardown(stale_after_a_rewrite_with_mtime_reset, make_root,
					    remove_root),
	    cmocka_unit_test_setup_teardown(a_copy_has_none, make_root, remove_root),
	    cmocka_unit_test_setup_teardown(bad_fields_not_trusted, make_root, remove_root),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
