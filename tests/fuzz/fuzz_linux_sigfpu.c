/* libFuzzer target: linux_sigfpu_parse(), the check of the fpstate a --linux program's signal handler returns with (guest bytes: sw_reserved magics and sizes, the XSAVE header, MXCSR), and the round trip of what it accepts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "linux.h"

/* Input: 8 bytes of the fpstate's address (its alignment counts), then its
 * bytes; a short input is what could be read before a fault. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t addr = 0;
	if (size >= sizeof(addr)) {
		memcpy(&addr, data, sizeof(addr));
		data += sizeof(addr);
		size -= sizeof(addr);
	}
	/* An exact-size copy, so ASan sees any read past what was given. */
	uint8_t *buf = size ? malloc(size) : NULL;
	if (size && !buf)
		return 0;
	if (size)
		memcpy(buf, data, size);
	struct linux_fpu fpu;
	if (linux_sigfpu_parse(buf, size > LINUX_SIGFPU_SIZE ? LINUX_SIGFPU_SIZE : size, addr,
			       &fpu) == 0) {
		/* What it accepts loads (MXCSR's reserved bits clear) and, framed
		 * again as a delivery does, parses to the same state. */
		uint32_t mxcsr;
		memcpy(&mxcsr, fpu.legacy + 24, sizeof(mxcsr));
		if (mxcsr & ~0xFFFFU)
			abort();
		uint8_t frame[LINUX_SIGFPU_SIZE];
		struct linux_fpu again;
		linux_sigfpu_build(&fpu, frame);
		if (linux_sigfpu_parse(frame, sizeof(frame), 0, &again) != 0 ||
		    memcmp(&again, &fpu, sizeof(fpu)) != 0)
			abort();
	}
	free(buf);
	return 0;
}
