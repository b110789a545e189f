/* Subcommand dispatch for `lockvm`. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

#include "run.h"
#include <lockvm/abi.h>

#include "util.h"

#define LOCKVM_VERSION "0.1.0"

int check_main(int argc, char **argv);

static int version_main(int argc, char **argv)
{
	printf("lockvm %s (guest ABI %d)\n", LOCKVM_VERSION, LOCKVM_ABI_VERSION);
	return 0;
}

static int help_main(int argc, char **argv);

static const struct command {
	const char *name;
	int (*main)(int argc, char **argv);
	const char *summary;
} commands[] = {
    {"run", run_main, "run a guest in a new confined VM"},
    {"check", check_main, "validate this host for lockvm"},
    {"version", version_main, "print the version"},
    {"help", help_main, "this list"},
};

static int help_main(int argc, char **argv)
{
	printf("usage: lockvm COMMAND [ARGS...]\n\ncommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		printf("  %-10s %s\n", commands[i].name, commands[i].summary);
	return 0;
}

int cli_main(int argc, char **argv)
{
	if (argc < 2) {
		help_main(argc, argv);
		return EXIT_REFUSED;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return help_main(argc, argv);
	if (strcmp(argv[1], "--version") == 0)
		return version_main(argc, argv);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].main(argc - 1, argv + 1);
	die("unknown command '%s' (see 'lockvm help')", argv[1]);
}
