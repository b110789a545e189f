/* Hostile: console write lengths that overflow (huge) or wrap the address space (wrap). */
#include "hostile.h"
static struct lockvm_hc_console_write args;
int main(int argc, char **argv)
{
	if (argc > 1 && lv_strcmp(argv[1], "wrap") == 0) {
		args.data = 0xFFFFFFFFFFFFFFF8ULL;
		args.len = 16;
	} else {
		args.data = 0x400000;
		args.len = 0xFFFFFFFFFFFFFFF0ULL;
	}
	raw_hypercall(LOCKVM_HC_CONSOLE_WRITE, (uint32_t)(uintptr_t)&args);
	lv_puts("survived");
	return 0;
}
