/* Test driver for the seccomp CLI entry points until `lockvm` dispatches them. */
#include <stdio.h>
#include <string.h>

#include "audit_seccomp.h"
#include "cli_policy.h"
#include "util.h"

/* seccomp_tool compile FILE [--mode M] | seccomp_tool audit [ARGS...] */
int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "compile") == 0)
		return seccomp_policy_print_main(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "audit") == 0)
		return audit_seccomp_main(argc - 1, argv + 1);
	die("usage: seccomp_tool compile FILE [--mode kill|log|trap] | audit [--json] [--diff A B] "
	    "[FILE...]");
}
