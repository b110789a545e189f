/* Test helper: runs `lockvm audit selinux` (audit_selinux_main) before the CLI wires it in. */
#include "audit_selinux.h"

int main(int argc, char **argv)
{
	/* argv[0] stands in for the "selinux" subcommand word. */
	return audit_selinux_main(argc, argv);
}
