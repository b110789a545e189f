/* dup.elf [SIZE] [SECONDS]: fills SIZE bytes of RAM (default: all free RAM) with identical pages, for KSM, then holds. */
#include <lockvm/guest.h>

#include "memtouch_loop.h"

int main(int argc, char **argv)
{
	uintptr_t start = (uintptr_t)lv_heap_start(), end = (uintptr_t)lv_heap_end();
	uint64_t size = end - start, seconds = 0;
	if (argc > 1 && !(size = memtouch_parse_size(argv[1]))) {
		lv_printf("dup: bad size '%s'\n", argv[1]);
		return 2;
	}
	if (argc > 2)
		seconds = lv_strtoull(argv[2], 0, 10);
	if (size > end - start) {
		lv_printf("dup: %lu bytes do not fit in %lu bytes of free RAM\n",
			  (unsigned long)size, (unsigned long)(end - start));
		return 2;
	}
	uint64_t pages = size / LOCKVM_PAGE_SIZE;
	/* The same non-zero content in every page (zero pages are KSM's
	 * special case), different from page to page inside. */
	for (uint64_t p = 0; p < pages; p++) {
		uint64_t *words = (uint64_t *)(start + p * LOCKVM_PAGE_SIZE);
		for (uint64_t i = 0; i < LOCKVM_PAGE_SIZE / 8; i++)
			words[i] = 0x6c6f636b766d0000ULL + i;
	}
	lv_printf("filled %lu identical pages (%lu bytes)\n", (unsigned long)pages,
		  (unsigned long)(pages * LOCKVM_PAGE_SIZE));
	if (seconds) {
		lv_printf("holding %lu s\n", (unsigned long)seconds);
		lv_sleep_ns(seconds * 1000000000ULL);
	}
	return 0;
}
