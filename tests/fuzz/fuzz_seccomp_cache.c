/* libFuzzer target: a seccomp cache entry's checks (runner/confine/seccomp_cache.c) on arbitrary bytes, sealed as lockvm would so that the checks past the seal are reached. */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "seccomp_cache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* magic, seal, then the input: key, counts, file list, program */
	size_t total = 8 + 32 + size;
	uint8_t *buf = malloc(total);
	if (!buf || sodium_init() < 0)
		abort();
	memcpy(buf, "LVMSBPF1", 8);
	memcpy(buf + 40, data, size);
	crypto_generichash(buf + 8, 32, buf + 40, size, NULL, 0);
	size_t at = 0, len = 0;
	char why[256];
	if (seccomp_cache_entry_check(buf, total, "fuzz", &at, &len, why, sizeof(why)) == 0) {
		/* accepted: the program is the rest, whole instructions */
		if (at + len != total || len % 8 != 0 || len < 48)
			abort();
	} else if (strncmp(why, "fuzz: ", 6) != 0) {
		abort();
	}
	/* an unsealed copy is always refused */
	if (size > 0) {
		buf[total - 1] ^= 1;
		if (seccomp_cache_entry_check(buf, total, "fuzz", &at, &len, why, sizeof(why)) == 0)
			abort();
	}
	free(buf);
	return 0;
}
