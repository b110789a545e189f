/* Unit tests of the command-line grammar: both value forms, operands anywhere, "did you mean". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cliopt.h"
#include "util.h"

static const struct cliopt options[] = {
    {"timeout", 't', required_argument, 0, "SECONDS", "t"},
    {"json", 'j', no_argument, 0, NULL, "j"},
    {"all", 'a', no_argument, 'a', NULL, "a"},
    {"hugepages", 'H', optional_argument, 0, "KIND", "h"},
};
static const struct cliopt_spec spec = {.command = "test",
					.operands = "NAME",
					.summary = "s",
					.options = options,
					.count = ARRAY_SIZE(options),
					.min_operands = 1,
					.max_operands = 2};

/* Parses args; the keys seen in keys[], their values in values[]; the
 * operands joined by spaces in *joined. */
static int parse(char **args, int argc, int *keys, const char **values, char *joined)
{
	struct cliopt_parser p;
	int key, n = 0, count;
	cliopt_begin(&p, &spec, argc, args);
	while ((key = cliopt_next(&p))) {
		keys[n] = key;
		values[n++] = p.value;
	}
	char **ops = cliopt_operands(&p, &count);
	joined[0] = '\0';
	for (int i = 0; i < count; i++) {
		strcat(joined, i ? " " : "");
		strcat(joined, ops[i]);
	}
	return n;
}

static void value_forms_and_operand_order(void **state)
{
	char *a[] = {"test", "--timeout=3", "vm1", "--json", NULL};
	char *b[] = {"test", "vm1", "--timeout", "3", "-a", "x", NULL};
	char *c[] = {"test", "--hugepages", "--", "--json", NULL};
	int keys[8];
	const char *values[8];
	char joined[64];
	assert_int_equal(parse(a, 4, keys, values, joined), 2);
	assert_int_equal(keys[0], 't');
	assert_string_equal(values[0], "3");
	assert_int_equal(keys[1], 'j');
	assert_null(values[1]);
	assert_string_equal(joined, "vm1");
	assert_int_equal(parse(b, 6, keys, values, joined), 2);
	assert_int_equal(keys[0], 't');
	assert_string_equal(values[0], "3");
	assert_int_equal(keys[1], 'a');
	assert_string_equal(joined, "vm1 x");
	/* an optional value only as --opt=VALUE; after "--", operands only */
	assert_int_equal(parse(c, 4, keys, values, joined), 1);
	assert_int_equal(keys[0], 'H');
	assert_null(values[0]);
	assert_string_equal(joined, "--json");
}

static void suggestions(void **state)
{
	const char *commands[] = {"run", "restore", "list", "inspect", "stop", "kill", "gc"};
	const char *opts[] = {"mem", "mem-limit", "vcpus", "timeout", "json"};
	assert_string_equal(cliopt_suggest("rnu", commands, ARRAY_SIZE(commands)), "run");
	assert_string_equal(cliopt_suggest("lsit", commands, ARRAY_SIZE(commands)), "list");
	assert_string_equal(cliopt_suggest("inspcet", commands, ARRAY_SIZE(commands)), "inspect");
	assert_string_equal(cliopt_suggest("cg", commands, ARRAY_SIZE(commands)), "gc");
	/* as close to "stats" as to "start", but the same letters as "start" */
	const char *near[] = {"stats", "start"};
	assert_string_equal(cliopt_suggest("statr", near, ARRAY_SIZE(near)), "start");
	assert_string_equal(cliopt_suggest("stast", near, ARRAY_SIZE(near)), "stats");
	assert_string_equal(cliopt_suggest("memory", opts, ARRAY_SIZE(opts)), "mem");
	assert_string_equal(cliopt_suggest("timout", opts, ARRAY_SIZE(opts)), "timeout");
	assert_string_equal(cliopt_suggest("vcpu", opts, ARRAY_SIZE(opts)), "vcpus");
	/* no guess when nothing is close */
	assert_null(cliopt_suggest("frobnicate", commands, ARRAY_SIZE(commands)));
	assert_null(cliopt_suggest("xy", opts, ARRAY_SIZE(opts)));
	assert_null(cliopt_suggest("", opts, ARRAY_SIZE(opts)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(value_forms_and_operand_order),
	    cmocka_unit_test(suggestions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
