/* smp.elf [N]: splits prime counting below N over every vCPU; prints the total and how many vCPUs took part. */
#include <lockvm/guest.h>

#include "primes_count.h"

static unsigned long limit = 2000000;
static volatile uint32_t started; /* set by vCPU 0 once `limit` is known */
static volatile unsigned long total;
static volatile uint32_t finished;

static void do_share(unsigned index)
{
	unsigned count = lv_vcpu_count();
	/* Interleaved chunks keep the shares balanced. */
	unsigned long sum = 0;
	for (unsigned long base = (unsigned long)index * 1000; base < limit;
	     base += (unsigned long)count * 1000) {
		unsigned long end = base + 1000 < limit ? base + 1000 : limit;
		sum += count_primes(base, end);
	}
	__atomic_add_fetch(&total, sum, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&finished, 1, __ATOMIC_SEQ_CST);
	lv_wake(&finished);
}

void vcpu_main(unsigned index)
{
	while (__atomic_load_n(&started, __ATOMIC_ACQUIRE) == 0)
		lv_wait(&started, 0, 0);
	do_share(index);
	lv_park();
}

int main(int argc, char **argv)
{
	if (argc > 1)
		limit = lv_strtoull(argv[1], 0, 10);
	__atomic_store_n(&started, 1, __ATOMIC_RELEASE);
	lv_wake(&started);
	do_share(0);
	unsigned count = lv_vcpu_count();
	for (uint32_t done; (done = __atomic_load_n(&finished, __ATOMIC_ACQUIRE)) < count;)
		lv_wait(&finished, done, 0);
	lv_printf("primes below %lu: %lu\n", limit, total);
	lv_printf("vcpus: %u of %u\n", (unsigned)finished, count);
	return 0;
}
