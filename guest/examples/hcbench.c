/* hcbench.elf N [hold]: times N null hypercalls and prints nanoseconds per call; with hold, then sleeps until shut down (a known count for `lockvm stats`). */
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
	while (argc > 2 && !(lv_events() & LOCKVM_EVENT_SHUTDOWN))
		lv_sleep_ns(3600000000000ULL);
	return 0;
}
