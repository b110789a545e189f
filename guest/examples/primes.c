/* primes.elf N: counts the primes below N (default 1000000) and prints the count. */
#include <lockvm/guest.h>

#include "primes_count.h"

int main(int argc, char **argv)
{
	unsigned long limit = argc > 1 ? lv_strtoull(argv[1], 0, 10) : 1000000;
	lv_printf("primes below %lu: %lu\n", limit, count_primes(0, limit));
	return 0;
}
