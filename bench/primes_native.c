/* The native twin of primes.elf: the same counting code, built for the host. */
#include <stdio.h>
#include <stdlib.h>

#include "primes_count.h"

int main(int argc, char **argv)
{
	unsigned long limit = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
	printf("primes below %lu: %lu\n", limit, count_primes(0, limit));
	return 0;
}
