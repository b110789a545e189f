/* SHA-256 blocks with the CPU's SHA extensions (SHA-NI), for --record's hashing of what a job read: about five times libsodium's portable code on the development hosts. */
#include <cpuid.h>
#include <immintrin.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch.h"

bool arch_has_sha256(void)
{
	unsigned a, b, c, d;
	/* CPUID.(EAX=7,ECX=0):EBX bit 29 (SHA); SSSE3 and SSE4.1 come with it on every such CPU. */
	return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 29));
}

static const uint32_t round_constants[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

__attribute__((target("sha,sse4.1,ssse3"))) void
arch_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks)
{
	/* Big-endian words from each 16 bytes of the message. */
	const __m128i swap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
	/* SHA256RNDS2 keeps the state as ABEF and CDGH. */
	__m128i tmp = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state[0]), 0xB1);
	__m128i cdgh = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state[4]), 0x1B);
	__m128i abef = _mm_alignr_epi8(tmp, cdgh, 8);
	cdgh = _mm_blend_epi16(cdgh, tmp, 0xF0);
	for (; blocks; blocks--, data += 64) {
		__m128i abef_in = abef, cdgh_in = cdgh, w[4];
		for (size_t g = 0; g < 16; g++) { /* four rounds a group */
			if (g < 4)
				w[g] = _mm_shuffle_epi8(
				    _mm_loadu_si128((const __m128i *)(data + 16 * g)), swap);
			else /* W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16], four at a time */
				w[g % 4] = _mm_sha256msg2_epu32(
				    _mm_add_epi32(
					_mm_sha256msg1_epu32(w[g % 4], w[(g + 1) % 4]),
					_mm_alignr_epi8(w[(g + 3) % 4], w[(g + 2) % 4], 4)),
				    w[(g + 3) % 4]);
			__m128i m = _mm_add_epi32(
			    w[g % 4], _mm_loadu_si128((const __m128i *)&round_constants[4 * g]));
			cdgh = _mm_sha256rnds2_epu32(cdgh, abef, m);
			abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(m, 0x0E));
		}
		abef = _mm_add_epi32(abef, abef_in);
		cdgh = _mm_add_epi32(cdgh, cdgh_in);
	}
	tmp = _mm_shuffle_epi32(abef, 0x1B);
	cdgh = _mm_shuffle_epi32(cdgh, 0xB1);
	_mm_storeu_si128((__m128i *)&state[0], _mm_blend_epi16(tmp, cdgh, 0xF0));
	_mm_storeu_si128((__m128i *)&state[4], _mm_alignr_epi8(cdgh, tmp, 8));
}
