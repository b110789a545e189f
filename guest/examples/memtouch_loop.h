/* The memtouch loop: shared by memtouch.elf and its native bench twin, so both do the same work. */
#ifndef LOCKVM_MEMTOUCH_LOOP_H
#define LOCKVM_MEMTOUCH_LOOP_H

#include <stdint.h>

/* Writes every 8-byte word of [words, words+count) with a value of its
 * index, then reads them all back into a checksum that depends only on
 * count: a guest and a native run of the same size print the same one. */
static inline uint64_t memtouch(uint64_t *words, uint64_t count)
{
	for (uint64_t i = 0; i < count; i++)
		words[i] = (i + 1) * 0x9E3779B97F4A7C15ULL;
	uint64_t sum = 0;
	for (uint64_t i = 0; i < count; i++)
		sum = (sum << 7 | sum >> 57) ^ words[i];
	return sum;
}

/* Parses a size with an optional K, M or G suffix; 0 when malformed. */
static inline uint64_t memtouch_parse_size(const char *s)
{
	uint64_t n = 0;
	if (*s < '0' || *s > '9')
		return 0;
	for (; *s >= '0' && *s <= '9'; s++)
		n = n * 10 + (uint64_t)(*s - '0');
	switch (*s) {
	case 'K': n <<= 10; s++; break;
	case 'M': n <<= 20; s++; break;
	case 'G': n <<= 30; s++; break;
	default: break;
	}
	return *s ? 0 : n;
}

#endif
