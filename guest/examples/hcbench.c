/* hcbench.elf N: times N null hypercalls and prints nanoseconds per call. */
#include <lockvm/guest.h>

int main(int argc, char **argv)
{
	unsigned long n = argc > 1 ? lv_strtoull(argv[1], 0, 10) : 10000;
	lv_nop(); /* warm up */
	uint64_t start = lv_time_ns(LOCKVM_CLOCK_MONOTONIC);
	for (unsigned long i = 0; i < n; i++)
		lv_nop();
	uint64_t end = lv_time_ns(LOCKVM_CLOCK_MONOTONIC);
	lv_printf("hypercall_ns %lu\n", (unsigned long)((end - start) / (n ? n : 1)));
	return 0;
}
