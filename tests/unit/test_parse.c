/* Unit tests of the guest-pointer check and of size, number and seconds parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "memory.h"
#include "util.h"

static void guest_pointer_checks(void **state)
{
	static uint8_t ram[4096];
	struct guest_mem mem = {.host = ram, .size = sizeof(ram)};
	assert_ptr_equal(guest_mem_ptr(&mem, 0, 4096), ram);
	assert_ptr_equal(guest_mem_ptr(&mem, 4095, 1), ram + 4095);
	assert_ptr_equal(guest_mem_ptr(&mem, 4096, 0), ram + 4096); /* empty range at the end */
	assert_null(guest_mem_ptr(&mem, 4096, 1));
	assert_null(guest_mem_ptr(&mem, 4095, 2));
	assert_null(guest_mem_ptr(&mem, 0, 4097));
	assert_null(guest_mem_ptr(&mem, 4097, 0));
	/* the classic bug: a start-only check, or an end that wraps */
	assert_null(guest_mem_ptr(&mem, 16, UINT64_MAX));
	assert_null(guest_mem_ptr(&mem, UINT64_MAX, 2));
	assert_null(guest_mem_ptr(&mem, UINT64_MAX - 10, 20));
}

static void sizes(void **state)
{
	uint64_t v;
	assert_int_equal(parse_size("64M", &v), 0);
	assert_int_equal(v, 64ULL << 20);
	assert_int_equal(parse_size("1G", &v), 0);
	assert_int_equal(v, 1ULL << 30);
	assert_int_equal(parse_size("512k", &v), 0);
	assert_int_equal(v, 512ULL << 10);
	assert_int_equal(parse_size("2GiB", &v), 0);
	assert_int_equal(v, 2ULL << 30);
	assert_int_equal(parse_size("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(parse_size("", &v), -1);
	assert_int_equal(parse_size("M", &v), -1);
	assert_int_equal(parse_size("12X", &v), -1);
	assert_int_equal(parse_size("-1M", &v), -1);
	assert_int_equal(parse_size("1.5G", &v), -1);
	assert_int_equal(parse_size("17179869184G", &v), -1); /* 2^34 G overflows */
	assert_int_equal(parse_size("99999999999999999999", &v), -1);
	assert_int_equal(parse_size("16777215T", &v), 0);
	assert_non_null(guest_mem_size_problem(1ULL << 20));
	assert_non_null(guest_mem_size_problem(9ULL << 20));
	assert_non_null(guest_mem_size_problem(512ULL << 30));
	assert_null(guest_mem_size_problem(64ULL << 20));
	assert_null(guest_mem_size_problem(256ULL << 30));
}

static void numbers(void **state)
{
	uint64_t v;
	assert_int_equal(parse_uint("1", 1, 64, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(parse_uint("64", 1, 64, &v), 0);
	assert_int_equal(parse_uint("0", 1, 64, &v), -1);
	assert_int_equal(parse_uint("65", 1, 64, &v), -1);
	assert_int_equal(parse_uint("4x", 1, 64, &v), -1);
	assert_int_equal(parse_uint(" 4", 1, 64, &v), -1);
	assert_int_equal(parse_uint("18446744073709551616", 0, UINT64_MAX, &v), -1);
}

static void seconds(void **state)
{
	uint64_t ns;
	assert_int_equal(parse_seconds("10", 100, &ns), 0);
	assert_int_equal(ns, 10000000000ULL);
	assert_int_equal(parse_seconds("0.5", 100, &ns), 0);
	assert_int_equal(ns, 500000000ULL);
	assert_int_equal(parse_seconds("0.000000001", 100, &ns), 0);
	assert_int_equal(ns, 1);
	assert_int_equal(parse_seconds("0", 100, &ns), -1);
	assert_int_equal(parse_seconds("0.0", 100, &ns), -1);
	assert_int_equal(parse_seconds("1.", 100, &ns), -1);
	assert_int_equal(parse_seconds("1.0000000001", 100, &ns), -1);
	assert_int_equal(parse_seconds("101", 100, &ns), -1);
	assert_int_equal(parse_seconds("100.5", 100, &ns), -1);
	assert_int_equal(parse_seconds("-1", 100, &ns), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(guest_pointer_checks),
	    cmocka_unit_test(sizes),
	    cmocka_unit_test(numbers),
	    cmocka_unit_test(seconds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
