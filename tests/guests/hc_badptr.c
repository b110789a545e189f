/* Hostile: console write whose buffer lies past the end of guest RAM. */
#include "hostile.h"
static struct lockvm_hc_console_write args;
int main(int argc, char **argv)
{
	args.data = ram_size() + 0x1000;
	args.len = 16;
	raw_hypercall(LOCKVM_HC_CONSOLE_WRITE, (uint32_t)(uintptr_t)&args);
	lv_puts("survived");
	return 0;
}
