/* --linux test program: large malloc/calloc/realloc (brk and mmap), every byte checked. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? (size_t)atoi(argv[1]) : 64;
	size_t n = mib << 20;
	uint8_t *big = malloc(n);
	if (!big)
		return printf("malloc(%zu MiB) failed\n", mib), 1;
	for (size_t i = 0; i < n; i++)
		big[i] = (uint8_t)(i * 7 + 3);
	uint64_t sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += big[i] == (uint8_t)(i * 7 + 3);
	uint8_t *zero = calloc(1, 8 << 20);
	for (size_t i = 0; zero && i < (8u << 20); i++)
		if (zero[i])
			return printf("calloc memory not zero at %zu\n", i), 1;
	big = realloc(big, n + (16 << 20));
	for (size_t i = 0; big && i < n; i += 4096)
		if (big[i] != (uint8_t)(i * 7 + 3))
			return printf("realloc lost data at %zu\n", i), 1;
	/* many small blocks through brk */
	void *small[10000];
	for (int i = 0; i < 10000; i++)
		memset(small[i] = malloc(100 + i % 300), i & 0xFF, 100);
	for (int i = 0; i < 10000; i++)
		free(small[i]);
	free(big);
	free(zero);
	printf("malloc %zu MiB ok (%llu bytes checked)\n", mib, (unsigned long long)sum);
	return sum == n ? 0 : 1;
}
