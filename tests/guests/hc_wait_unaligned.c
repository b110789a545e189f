/* Hostile: waits on a misaligned address. */
#include "hostile.h"
static uint32_t words[2];
int main(int argc, char **argv)
{
	lv_wait((volatile uint32_t *)((uintptr_t)words + 1), 0, 1000);
	lv_puts("survived");
	return 0;
}
