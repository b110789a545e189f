/* Hostile: vCPU 1 spins forever while vCPU 0 exits with status 7; the VM must end at once. */
#include "hostile.h"
void vcpu_main(unsigned index)
{
	for (;;)
		__asm__ volatile("pause");
}
int main(int argc, char **argv)
{
	lv_sleep_ns(50000000);
	return 7;
}
