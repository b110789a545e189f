/* The frame netsend.elf sends and bench/tapsend.c writes: one layout, so the benchmark compares like with like. */
#ifndef LOCKVM_NETSEND_FRAME_H
#define LOCKVM_NETSEND_FRAME_H

#include <stdint.h>

#define NETSEND_FRAME_LEN 60 /* the Ethernet minimum without FCS */

/* dst, src, EtherType 0x88B5 (local experimental), a 32-bit sequence
 * number, zero padding. */
static inline void netsend_frame(uint8_t *f, const uint8_t dst[6], const uint8_t src[6], uint32_t seq)
{
	for (int i = 0; i < NETSEND_FRAME_LEN; i++)
		f[i] = 0;
	for (int i = 0; i < 6; i++) {
		f[i] = dst[i];
		f[6 + i] = src[i];
	}
	f[12] = 0x88;
	f[13] = 0xB5;
	f[14] = (uint8_t)(seq >> 24);
	f[15] = (uint8_t)(seq >> 16);
	f[16] = (uint8_t)(seq >> 8);
	f[17] = (uint8_t)seq;
}

#endif
