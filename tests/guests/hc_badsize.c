/* Hostile: a 1-byte (byte) or 8-byte (quad) access to the doorbell instead of 4 bytes. */
#include "hostile.h"
static struct lockvm_hc_nop args;
int main(int argc, char **argv)
{
	volatile uint8_t *door = (volatile uint8_t *)(uintptr_t)LOCKVM_DOORBELL_GPA;
	if (argc > 1 && lv_strcmp(argv[1], "quad") == 0)
		*(volatile uint64_t *)(door + 4 * LOCKVM_HC_NOP) = (uintptr_t)&args;
	else
		door[4 * LOCKVM_HC_NOP] = (uint8_t)(uintptr_t)&args;
	lv_puts("survived");
	return 0;
}
