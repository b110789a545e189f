/* memtouch.elf SIZE [STEP...]: touches SIZE bytes of free RAM and prints a checksum; steps: hold=SECONDS, release, touch. */
#include <lockvm/guest.h>

#include "memtouch_loop.h"

#define ALIGN_2M (2ULL << 20)

int main(int argc, char **argv)
{
	if (argc < 2) {
		lv_printf("usage: memtouch.elf SIZE [hold=SECONDS|release|touch]...\n");
		return 2;
	}
	uint64_t size = memtouch_parse_size(argv[1]);
	/* 2 MiB-aligned, so huge host pages can back it whole. */
	uintptr_t start = ((uintptr_t)lv_heap_start() + ALIGN_2M - 1) & ~(uintptr_t)(ALIGN_2M - 1);
	uintptr_t end = (uintptr_t)lv_heap_end();
	if (size == 0 || size % 8 || start >= end || size > end - start) {
		lv_printf("memtouch: size '%s' is not a multiple of 8 from 8 to %lu bytes\n",
			  argv[1], (unsigned long)(start < end ? end - start : 0));
		return 2;
	}
	uint64_t *words = (uint64_t *)start;
	/* Argument strings live in the runner's pages, never in the region. */
	for (int i = 1; i < argc; i++) {
		const char *step = i == 1 ? "touch" : argv[i];
		if (lv_strcmp(step, "touch") == 0) {
			uint64_t t0 = lv_time_ns(LOCKVM_CLOCK_MONOTONIC);
			uint64_t sum = memtouch(words, size / 8);
			uint64_t ns = lv_time_ns(LOCKVM_CLOCK_MONOTONIC) - t0;
			lv_printf("touched %lu bytes checksum=0x%lx ns=%lu\n", (unsigned long)size,
				  (unsigned long)sum, (unsigned long)ns);
		} else if (lv_strcmp(step, "release") == 0) {
			uint64_t len = (size + LOCKVM_PAGE_SIZE - 1) & ~(LOCKVM_PAGE_SIZE - 1);
			long got = lv_balloon(words, len);
			if (got < 0) {
				lv_printf("memtouch: balloon failed: %ld\n", got);
				return 1;
			}
			lv_printf("released %ld bytes\n", got);
		} else if (step[0] == 'h' && step[1] == 'o' && step[2] == 'l' && step[3] == 'd' &&
			   step[4] == '=') {
			const char *rest;
			uint64_t seconds = lv_strtoull(step + 5, &rest, 10);
			if (*rest || rest == step + 5) {
				lv_printf("memtouch: bad step '%s'\n", step);
				return 2;
			}
			lv_printf("holding %lu s\n", (unsigned long)seconds);
			lv_sleep_ns(seconds * 1000000000ULL);
		} else {
			lv_printf("memtouch: unknown step '%s' (want hold=SECONDS, release or "
				  "touch)\n",
				  step);
			return 2;
		}
	}
	return 0;
}
