/* Hostile: the argument struct itself straddles the end of guest RAM. */
#include "hostile.h"
int main(int argc, char **argv)
{
	raw_hypercall(LOCKVM_HC_CONSOLE_WRITE, (uint32_t)(ram_size() - 8));
	lv_puts("survived");
	return 0;
}
