/* Hostile: MMIO pokes: an unregistered doorbell slot (unbacked MMIO) or an unmapped device address. */
#include "hostile.h"
int main(int argc, char **argv)
{
	if (argc > 1 && lv_strcmp(argv[1], "apic") == 0)
		*(volatile uint32_t *)0xFEE00000 = 1; /* not mapped for the guest at all */
	else
		((volatile uint32_t *)(uintptr_t)LOCKVM_DOORBELL_GPA)[1000] = 1;
	lv_puts("survived");
	return 0;
}
