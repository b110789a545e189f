/* Unit tests of the VM log: the cap holds for both parts, lifecycle lines carried, durations parsed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "paths.h"
#include "util.h"
#include "vmlog.h"

static char tmp_root[] = "/tmp/lockvm-vmlog-XXXXXX";

static int setup(void **state)
{
	char err[256];
	if (!mkdtemp(tmp_root))
		return -1;
	return paths_set_root(tmp_root, err, sizeof(err));
}

static int teardown(void **state)
{
	char cmd[sizeof(tmp_root) + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp_root);
	return system(cmd) == 0 ? 0 : -1;
}

static uint64_t size_of(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* Whether the file at path holds text. */
static bool holds(const char *path, const char *text)
{
	static char buf[1 << 20];
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return memmem(buf, n, text, strlen(text)) != NULL;
}

static void cap_holds_and_lifecycle_kept(void **state)
{
	static struct vmlog log;
	static char chunk[16384];
	memset(chunk, 'y', sizeof(chunk));
	assert_int_equal(vmlog_open(&log, "capped", VMLOG_SIZE_MAX_MIN), 0);
	vmlog_lifecycle(&log, "start: guest");
	uint64_t written = 0;
	for (int i = 0; i < 256; i++, written += sizeof(chunk)) {
		vmlog_console(&log, chunk, sizeof(chunk));
		assert_true(size_of(log.path) + size_of(log.old_path) <= VMLOG_SIZE_MAX_MIN);
	}
	vmlog_lifecycle(&log, "exit: 0");
	vmlog_close(&log);
	assert_true(size_of(log.path) + size_of(log.old_path) <= VMLOG_SIZE_MAX_MIN);
	assert_true(log.dropped >= written - VMLOG_SIZE_MAX_MIN);
	assert_true(holds(log.path, "lockvm: start: guest\n"));
	assert_true(holds(log.path, "lockvm: exit: 0\n"));
	assert_true(holds(log.path, "bytes before it dropped"));
	assert_true(holds(log.old_path, "lockvm: start: guest\n"));
}

static void small_output_not_rotated(void **state)
{
	static struct vmlog log;
	assert_int_equal(vmlog_open(&log, "quiet", VMLOG_SIZE_MAX_DEFAULT), 0);
	vmlog_lifecycle(&log, "start: guest");
	vmlog_console(&log, "hello\n", 6);
	vmlog_close(&log);
	assert_int_equal(size_of(log.old_path), 0);
	assert_true(holds(log.path, "hello\n"));
}

static void ages(void **state)
{
	uint64_t s;
	assert_int_equal(vmlog_parse_age("7d", &s), 0);
	assert_int_equal(s, 7 * 86400);
	assert_int_equal(vmlog_parse_age("12h", &s), 0);
	assert_int_equal(s, 12 * 3600);
	assert_int_equal(vmlog_parse_age("30m", &s), 0);
	assert_int_equal(s, 1800);
	assert_int_equal(vmlog_parse_age("45", &s), 0);
	assert_int_equal(s, 45);
	assert_int_equal(vmlog_parse_age("0", &s), 0);
	assert_int_equal(s, 0);
	assert_int_equal(vmlog_parse_age("", &s), -1);
	assert_int_equal(vmlog_parse_age("d", &s), -1);
	assert_int_equal(vmlog_parse_age("3x", &s), -1);
	assert_int_equal(vmlog_parse_age("-1d", &s), -1);
	assert_int_equal(vmlog_parse_age("99999999999999999999d", &s), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(cap_holds_and_lifecycle_kept),
	    cmocka_unit_test(small_output_not_rotated),
	    cmocka_unit_test(ages),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
