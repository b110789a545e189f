/* Unit tests of per-VM labels: dynamic pair picking, label formats, static context checks, a context's level and pair parsing (runner/mac/label.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <selinux/selinux.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "label.h"

static struct lockvm_config range_config(uint32_t lo, uint32_t hi)
{
	struct lockvm_config cfg;
	config_defaults(&cfg);
	cfg.cat_lo = lo;
	cfg.cat_hi = hi;
	return cfg;
}

/* label: a picked pair lies within [cat_lo, cat_hi] and has A < B */
static void pick_within_range_and_ordered(void **state)
{
	struct lockvm_config cfg = range_config(100, 109);
	for (int i = 0; i < 500; i++) {
		int a = -1, b = -1;
		assert_int_equal(label_pick_pair(&cfg, NULL, 0, &a, &b), 0);
		assert_in_range(a, 100, 109);
		assert_in_range(b, 100, 109);
		assert_true(a < b);
	}
}

/* label: filling the range pair by pair gives every pair once, then refuses */
static void pick_unique_until_full(void **state)
{
	/* c5..c9: 5 categories, 10 pairs */
	struct lockvm_config cfg = range_config(5, 9);
	uint32_t used[10];
	size_t n = 0;
	for (; n < 10; n++) {
		int a = -1, b = -1;
		assert_int_equal(label_pick_pair(&cfg, used, n, &a, &b), 0);
		assert_in_range(a, 5, 9);
		assert_in_range(b, 5, 9);
		assert_true(a < b);
		uint32_t key = label_pair_key(a, b);
		for (size_t i = 0; i < n; i++)
			assert_int_not_equal(used[i], key);
		used[n] = key;
	}
	int a = -1, b = -1;
	assert_int_equal(label_pick_pair(&cfg, used, n, &a, &b), -1);
	assert_int_equal(a, -1);
	assert_int_equal(b, -1);
}

/* label: with all pairs but one taken, the one left is found (the scan
 * after the random probes) */
static void pick_finds_the_last_free_pair(void **state)
{
	struct lockvm_config cfg = range_config(0, 15); /* 120 pairs */
	uint32_t used[119];
	size_t n = 0;
	for (int x = 0; x <= 15; x++)
		for (int y = x + 1; y <= 15; y++)
			if (!(x == 7 && y == 12))
				used[n++] = label_pair_key(x, y);
	assert_int_equal(n, 119);
	for (int round = 0; round < 20; round++) {
		int a = -1, b = -1;
		assert_int_equal(label_pick_pair(&cfg, used, n, &a, &b), 0);
		assert_int_equal(a, 7);
		assert_int_equal(b, 12);
	}
}

/* label: a range of one category has no pair */
static void pick_refuses_a_single_category(void **state)
{
	struct lockvm_config cfg = range_config(3, 3);
	int a = -1, b = -1;
	assert_int_equal(label_pick_pair(&cfg, NULL, 0, &a, &b), -1);
}

/* label: dynamic labels carry the pair in process and image, none in content */
static void format_dynamic_and_none(void **state)
{
	struct lockvm_config cfg;
	config_defaults(&cfg);
	struct vm_label l = {.kind = LABEL_DYNAMIC, .cat_a = 4, .cat_b = 17};
	label_format(&cfg, &l);
	assert_string_equal(l.process, "system_u:system_r:lockvm_vm_t:s0:c4,c17");
	assert_string_equal(l.image, "system_u:object_r:lockvm_image_t:s0:c4,c17");
	assert_string_equal(l.content, "system_u:object_r:lockvm_content_t:s0");
	int a, b;
	assert_int_equal(label_pair_of(l.process, &a, &b), 0);
	assert_int_equal(a, 4);
	assert_int_equal(b, 17);

	struct vm_label none = {.kind = LABEL_NONE, .cat_a = -1, .cat_b = -1};
	strcpy(none.process, "left over");
	label_format(&cfg, &none);
	assert_string_equal(none.process, "");
	assert_string_equal(none.image, "");
	assert_string_equal(none.content, "");
}

/* label: a static label's image takes the static context's level */
static void format_static_keeps_the_level(void **state)
{
	struct lockvm_config cfg;
	config_defaults(&cfg);
	struct vm_label l = {.kind = LABEL_STATIC, .cat_a = -1, .cat_b = -1};
	strcpy(l.process, "system_u:system_r:lockvm_vm_t:s0-s0:c0.c1023");
	label_format(&cfg, &l);
	assert_string_equal(l.process, "system_u:system_r:lockvm_vm_t:s0-s0:c0.c1023");
	assert_string_equal(l.image, "system_u:object_r:lockvm_image_t:s0-s0:c0.c1023");
}

/* label: --label takes user:role:type:level with an MLS/MCS level */
static void static_check_accepts_well_formed(void **state)
{
	/* With SELinux enabled the loaded policy decides too; the form alone is
	 * checked where it is not. */
	if (is_selinux_enabled() > 0)
		skip();
	static const char *const good[] = {
	    "system_u:system_r:lockvm_vm_t:s0",
	    "system_u:system_r:lockvm_vm_t:s0:c1,c2",
	    "system_u:system_r:lockvm_vm_t:s0-s0:c0.c1023",
	    "user_u:role_r:my_type_2:s1-s15:c0.c5,c9",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char err[512] = "";
		if (label_static_check(good[i], err, sizeof(err)) != 0)
			fail_msg("'%s' refused: %s", good[i], err);
	}
}

/* label: malformed --label contexts are refused with the reason */
static void static_check_refuses_malformed(void **state)
{
	static const struct {
		const char *context, *reason;
	} bad[] = {
	    {"", "want user:role:type:level"},
	    {"system_u:system_r:lockvm_vm_t", "want user:role:type:level"},
	    {"system_u", "want user:role:type:level"},
	    {":system_r:lockvm_vm_t:s0", "'' is not an SELinux name"},
	    {"system_u::lockvm_vm_t:s0", "'' is not an SELinux name"},
	    {"system_u:system_r:lockvm-vm_t:s0", "'lockvm-vm_t' is not an SELinux name"},
	    {"sys tem_u:system_r:lockvm_vm_t:s0", "'sys tem_u' is not an SELinux name"},
	    {"system_u:system_r:lockvm_vm_t:", "'' is not an MLS/MCS level"},
	    {"system_u:system_r:lockvm_vm_t:c1,c2", "'c1,c2' is not an MLS/MCS level"},
	    {"system_u:system_r:lockvm_vm_t:s0:c1;rm", "'s0:c1;rm' is not an MLS/MCS level"},
	    {"system_u:system_r:lockvm_vm_t:s0 c1", "'s0 c1' is not an MLS/MCS level"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[512] = "";
		if (label_static_check(bad[i].context, err, sizeof(err)) != -1)
			fail_msg("'%s' accepted", bad[i].context);
		if (!strstr(err, bad[i].reason))
			fail_msg("'%s': reason '%s' lacks '%s'", bad[i].context, err,
				 bad[i].reason);
	}
	char long_context[LABEL_MAX + 8];
	memset(long_context, 'a', sizeof(long_context) - 1);
	long_context[sizeof(long_context) - 1] = '\0';
	char err[512] = "";
	assert_int_equal(label_static_check(long_context, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "longer than 255 characters"));
}

/* label: label_pair_of reads ":cA,cB" at the end, 0 <= A < B <= 1023 */
static void pair_of_parses_and_refuses(void **state)
{
	int a = -1, b = -1;
	assert_int_equal(label_pair_of("system_u:system_r:lockvm_vm_t:s0:c0,c1023", &a, &b), 0);
	assert_int_equal(a, 0);
	assert_int_equal(b, 1023);
	assert_int_equal(label_pair_of(":c5,c6", &a, &b), 0);
	assert_int_equal(a, 5);
	assert_int_equal(b, 6);

	static const char *const bad[] = {
	    "system_u:system_r:lockvm_vm_t:s0",		 /* no pair */
	    "system_u:system_r:lockvm_vm_t:s0:c5,c5",	 /* A == B */
	    "system_u:system_r:lockvm_vm_t:s0:c9,c3",	 /* A > B */
	    "system_u:system_r:lockvm_vm_t:s0:c1,c1024", /* beyond c1023 */
	    "system_u:system_r:lockvm_vm_t:s0:c-1,c3",	 /* negative */
	    "system_u:system_r:lockvm_vm_t:s0:c1,c2,c3", /* three */
	    "system_u:system_r:lockvm_vm_t:s0:c1,c2x",	 /* trailing junk */
	    "system_u:system_r:lockvm_vm_t:s0:c0.c1023", /* a range, not a pair */
	    "system_u:system_r:lockvm_vm_t:s0:c1",	 /* one category */
	    "c1,c2",					 /* no colon */
	    "",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		a = b = -7;
		if (label_pair_of(bad[i], &a, &b) != -1)
			fail_msg("'%s' parsed as c%d,c%d", bad[i], a, b);
		assert_int_equal(a, -7);
		assert_int_equal(b, -7);
	}
}

/* label: the kinds have their documented names */
static void level_is_after_the_third_colon(void **state)
{
	assert_string_equal(label_level("u:r:t:s0:c1,c2"), "s0:c1,c2");
	assert_string_equal(label_level("u:r:t:s0-s0:c0.c1023"), "s0-s0:c0.c1023");
	assert_string_equal(label_level("u:r::s0"), "s0");
	assert_string_equal(label_level("u:r:t:"), "");
	assert_null(label_level("u:r:t"));
	assert_null(label_level("unconfined"));
}

static void kind_names(void **state)
{
	assert_string_equal(label_kind_name(LABEL_DYNAMIC), "dynamic");
	assert_string_equal(label_kind_name(LABEL_STATIC), "static");
	assert_string_equal(label_kind_name(LABEL_GROUP), "group");
	assert_string_equal(label_kind_name(LABEL_NONE), "none");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(pick_within_range_and_ordered),
	    cmocka_unit_test(pick_unique_until_full),
	    cmocka_unit_test(pick_finds_the_last_free_pair),
	    cmocka_unit_test(pick_refuses_a_single_category),
	    cmocka_unit_test(format_dynamic_and_none),
	    cmocka_unit_test(format_static_keeps_the_level),
	    cmocka_unit_test(static_check_accepts_well_formed),
	    cmocka_unit_test(static_check_refuses_malformed),
	    cmocka_unit_test(pair_of_parses_and_refuses),
	    cmocka_unit_test(level_is_after_the_third_colon),
	    cmocka_unit_test(kind_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
