/* The native twin of memtouch.elf: the same loop over SIZE bytes of fresh anonymous memory, with or without THP. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "memtouch_loop.h"

int main(int argc, char **argv)
{
	uint64_t size = argc > 1 ? memtouch_parse_size(argv[1]) : 0;
	int huge = argc > 2 && strcmp(argv[2], "thp") == 0;
	if (size == 0 || size % 8) {
		fprintf(stderr, "usage: memtouch_native SIZE [thp]\n");
		return 2;
	}
	/* 2 MiB-aligned like the guest's region. */
	size_t align = 2u << 20;
	uint8_t *raw = mmap(NULL, size + align, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	uint64_t *words = (uint64_t *)(((uintptr_t)raw + align - 1) & ~(uintptr_t)(align - 1));
	madvise(words, size, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	uint64_t sum = memtouch(words, size / 8);
	clock_gettime(CLOCK_MONOTONIC, &b);
	uint64_t ns = (uint64_t)(b.tv_sec - a.tv_sec) * 1000000000ULL + (uint64_t)b.tv_nsec -
		      (uint64_t)a.tv_nsec;
	printf("touched %" PRIu64 " bytes checksum=0x%" PRIx64 " ns=%" PRIu64 "\n", size, sum, ns);
	return 0;
}
