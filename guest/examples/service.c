/* service.elf [SECONDS]: an idle long-running guest. Prints "service up", then
 * sleeps until `lockvm stop` posts the shutdown event (prints "shutdown
 * requested", exits 0) or SECONDS pass (exits 3; default: forever). */
#include <lockvm/guest.h>

int main(int argc, char **argv)
{
	uint64_t limit_ns = argc > 1 ? lv_strtoull(argv[1], 0, 10) * 1000000000ULL : 0;
	uint64_t start = lv_time_ns(LOCKVM_CLOCK_MONOTONIC);
	lv_printf("service up on %u vCPU%s\n", lv_boot()->vcpu_count,
		  lv_boot()->vcpu_count == 1 ? "" : "s");
	for (;;) {
		if (lv_events() & LOCKVM_EVENT_SHUTDOWN) {
			lv_puts("shutdown requested");
			return 0;
		}
		if (limit_ns && lv_time_ns(LOCKVM_CLOCK_MONOTONIC) - start >= limit_ns)
			return 3;
		lv_sleep_ns(1000000000ULL);
	}
}
