/* Hostile: a disk read whose buffer runs past the end of guest RAM. */
#include "hostile.h"
int main(int argc, char **argv)
{
	lv_blk_read(0, 0, 2, (void *)(uintptr_t)(ram_size() - 512));
	lv_puts("survived");
	return 0;
}
