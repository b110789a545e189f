/* Entry point of `lockvm`: the CLI and the per-VM supervisor. */
#include "cli.h"

int main(int argc, char **argv)
{
	return cli_main(argc, argv);
}
