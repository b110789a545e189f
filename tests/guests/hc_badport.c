/* Hostile: a hypercall number nobody registered. */
#include "hostile.h"
static struct lockvm_hc_nop args;
int main(int argc, char **argv)
{
	raw_hypercall(200, (uint32_t)(uintptr_t)&args);
	lv_puts("survived");
	return 0;
}
