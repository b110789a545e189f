/* The VMM process main loop (placeholder until the core lands). */
#include "vmm.h"

#include "util.h"

int vmm_main(int argc, char **argv)
{
	util_progname = "lockvm-vmm";
	die("not implemented yet");
}
