/* Unit tests of --user, --group-add, --hostname and --rlimit values (runner/common/ident.c): what is taken, and each refusal with its reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "ident.h"

static void user_takes_uid_and_gid(void **state)
{
	uint32_t uid = 7, gid = 7;
	char err[256];
	assert_int_equal(ident_parse_user("1000", &uid, &gid, err, sizeof(err)), 0);
	assert_int_equal(uid, 1000);
	assert_int_equal(gid, 0); /* GID defaults to the VM's root group */
	assert_int_equal(ident_parse_user("0:4294967294", &uid, &gid, err, sizeof(err)), 0);
	assert_int_equal(uid, 0);
	assert_int_equal(gid, 4294967294U);
}

static void user_refuses_garbage(void **state)
{
	static const char *const bad[] = {"",	  "abc",	"root",	 "1000:",      ":1000",
					  "-1",	  "4294967295", "1:2:3", "1 ",	       "+5",
					  "0x10", "1000:wheel", "1e3",	 "99999999999"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint32_t uid, gid;
		char err[256] = "";
		if (ident_parse_user(bad[i], &uid, &gid, err, sizeof(err)) == 0 ||
		    !strstr(err, "want UID[:GID]"))
			fail_msg("--user '%s' taken (err '%s')", bad[i], err);
	}
	uint32_t gid;
	char err[256] = "";
	assert_int_equal(ident_parse_gid("12", &gid, err, sizeof(err)), 0);
	assert_int_equal(gid, 12);
	assert_int_equal(ident_parse_gid("wheel", &gid, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "--group-add 'wheel'"));
}

static void hostname_is_1_to_64_bytes(void **state)
{
	char name[66], err[256] = "";
	memset(name, 'a', 64);
	name[64] = '\0';
	assert_int_equal(ident_check_hostname(name, err, sizeof(err)), 0);
	name[64] = 'a';
	name[65] = '\0';
	assert_int_equal(ident_check_hostname(name, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "65 bytes, want 1 to 64"));
	assert_int_equal(ident_check_hostname("", err, sizeof(err)), -1);
	assert_int_equal(ident_check_hostname("a\nb", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "control byte at offset 1"));
}

static void rlimit_names_values_and_order(void **state)
{
	unsigned r;
	struct ident_rlimit lim;
	char err[256] = "";
	assert_int_equal(ident_parse_rlimit("nofile=1024:2048", &r, &lim, err, sizeof(err)), 0);
	assert_int_equal(r, IDENT_RLIMIT_NOFILE);
	assert_int_equal(lim.cur, 1024);
	assert_int_equal(lim.max, 2048);
	assert_int_equal(ident_parse_rlimit("RLIMIT_NPROC=50", &r, &lim, err, sizeof(err)), 0);
	assert_int_equal(r, 6);
	assert_int_equal(lim.cur, 50);
	assert_int_equal(lim.max, 50); /* HARD defaults to SOFT */
	assert_int_equal(ident_parse_rlimit("core=0:unlimited", &r, &lim, err, sizeof(err)), 0);
	assert_int_equal(r, 4);
	assert_true(lim.max == IDENT_INFINITY);
	assert_int_equal(ident_parse_rlimit("rttime=-1", &r, &lim, err, sizeof(err)), 0);
	assert_int_equal(r, 15);
	assert_true(lim.cur == IDENT_INFINITY);
	assert_string_equal(ident_rlimit_name(7), "nofile");
	assert_null(ident_rlimit_name(16));
}

static void rlimit_refusals(void **state)
{
	static const struct {
		const char *text, *reason;
	} cases[] = {
	    {"nofile=10:5", "soft limit is above the hard one"},
	    {"nofile=unlimited:5", "soft limit is above the hard one"},
	    {"bogus=1", "unknown limit 'bogus'"},
	    {"nofile", "want NAME=SOFT[:HARD]"},
	    {"nofile=", "each a number or unlimited"},
	    {"nofile=x", "each a number or unlimited"},
	    {"nofile=1:", "each a number or unlimited"},
	    {"nofile=-5", "each a number or unlimited"},
	    {"nofile=99999999999999999999999", "want NAME=SOFT[:HARD]"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned r;
		struct ident_rlimit lim;
		char err[256] = "";
		if (ident_parse_rlimit(cases[i].text, &r, &lim, err, sizeof(err)) == 0 ||
		    !strstr(err, cases[i].reason))
			fail_msg("--rlimit '%s': err '%s', want '%s'", cases[i].text, err,
				 cases[i].reason);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(user_takes_uid_and_gid),
	    cmocka_unit_test(user_refuses_garbage),
	    cmocka_unit_test(hostname_is_1_to_64_bytes),
	    cmocka_unit_test(rlimit_names_values_and_order),
	    cmocka_unit_test(rlimit_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
