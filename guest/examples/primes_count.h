/* Prime counting by trial division: shared by primes.elf, smp.elf and the native bench twin. */
#ifndef LOCKVM_PRIMES_COUNT_H
#define LOCKVM_PRIMES_COUNT_H

static inline int is_prime(unsigned long n)
{
	if (n < 2)
		return 0;
	if (n % 2 == 0)
		return n == 2;
	for (unsigned long d = 3; d * d <= n; d += 2)
		if (n % d == 0)
			return 0;
	return 1;
}

/* Primes in [from, to). */
static inline unsigned long count_primes(unsigned long from, unsigned long to)
{
	unsigned long count = 0;
	for (unsigned long n = from; n < to; n++)
		count += (unsigned long)is_prime(n);
	return count;
}

#endif
