/* Entry point of `lockvm-vmm`: the confined VMM started by the supervisor. */
#include "vmm.h"

int main(int argc, char **argv)
{
	return vmm_main(argc, argv);
}
