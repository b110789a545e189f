/* counter.elf [PERIOD_MS] [DIRTY_MB] [TOUCH_MB]: prints "tick N" every PERIOD_MS (default 20) on vCPU 0, sleeping between; other vCPUs count too; TOUCH_MB is written once at start, DIRTY_MB rewritten between ticks (migration benchmarks). */
#include <lockvm/guest.h>

static volatile uint32_t others[LOCKVM_MAX_VCPUS];

/* The other vCPUs: sleep-tick in a loop, so that several vCPUs are
 * paused inside a sleep hypercall when the VM is saved. */
void vcpu_main(unsigned index)
{
	for (;;) {
		lv_sleep_ns(3000000);
		others[index]++;
	}
}

static void touch(uint8_t *base, uint64_t bytes, uint8_t value)
{
	for (uint64_t off = 0; off < bytes; off += LOCKVM_PAGE_SIZE)
		base[off] = value;
}

int main(int argc, char **argv)
{
	uint64_t period_ms = argc > 1 ? lv_strtoull(argv[1], 0, 10) : 20;
	uint64_t dirty = argc > 2 ? lv_strtoull(argv[2], 0, 10) << 20 : 0;
	uint64_t touched = argc > 3 ? lv_strtoull(argv[3], 0, 10) << 20 : 0;
	uint8_t *heap = lv_heap_start();
	uint64_t room = (uint64_t)((uint8_t *)lv_heap_end() - heap);
	if (touched > room)
		touched = room;
	if (dirty > room)
		dirty = room;
	touch(heap, touched, 1);
	for (uint64_t n = 0;; n++) {
		lv_printf("tick %llu\n", (unsigned long long)n);
		if (lv_events() & LOCKVM_EVENT_SHUTDOWN)
			return 0;
		uint64_t until = lv_time_ns(LOCKVM_CLOCK_MONOTONIC) + period_ms * 1000000;
		if (!dirty) {
			lv_sleep_ns(period_ms * 1000000);
			continue;
		}
		/* Keep writing the dirty set until the next tick is due. */
		for (uint8_t v = 2; lv_time_ns(LOCKVM_CLOCK_MONOTONIC) < until; v++)
			touch(heap, dirty, v);
	}
}
