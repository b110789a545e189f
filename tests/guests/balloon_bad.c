/* Hostile: balloon requests for the runner's page tables, misaligned ranges, and RAM that is not there. */
#include "hostile.h"
int main(int argc, char **argv)
{
	long tables = lv_balloon((void *)0x50000, 4096);
	long misaligned = lv_balloon((char *)lv_heap_start() + 1, 4096);
	lv_printf("page tables: %ld, misaligned: %ld\n", tables, misaligned);
	/* The page tables must still work: touch fresh heap. */
	volatile uint64_t *heap = (volatile uint64_t *)lv_heap_start();
	*heap = 42;
	lv_printf("still running: %lu\n", (unsigned long)*heap);
	if (argc > 1 && lv_strcmp(argv[1], "past-ram") == 0)
		lv_balloon((void *)(uintptr_t)(ram_size() - 4096), 8192);
	lv_puts("survived");
	return 0;
}
