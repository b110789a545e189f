/* Subcommand dispatch for `lockvm`. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

int cli_main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0) {
		printf("usage: lockvm COMMAND [ARGS...]\n");
		return argc < 2 ? EXIT_REFUSED : 0;
	}
	die("unknown command '%s' (try 'lockvm help')", argv[1]);
}
