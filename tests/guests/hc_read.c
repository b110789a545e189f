/* Hostile: reads from a hypercall doorbell instead of writing. */
#include "hostile.h"
int main(int argc, char **argv)
{
	volatile uint32_t *door = (volatile uint32_t *)(uintptr_t)LOCKVM_DOORBELL_GPA;
	lv_printf("read %u\n", door[LOCKVM_HC_NOP]);
	return 0;
}
