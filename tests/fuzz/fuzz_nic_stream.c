/* libFuzzer target: what passt's side of --net user's stream could send (qemu's length-prefixed frames, any lengths, cut anywhere), parsed by the NIC's stream mode; every frame handed on is within bounds, and the same bytes cut differently give the same frames. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nic_stream.h"

struct digest {
	size_t frames, bytes;
	uint64_t sum;
};

static void on_frame(void *ctx, const uint8_t *frame, size_t len)
{
	struct digest *d = ctx;
	if (len == 0 || len > LOCKVM_NET_FRAME_MAX)
		abort();
	d->frames++;
	d->bytes += len;
	for (size_t i = 0; i < len; i++)
		d->sum = d->sum * 31 + frame[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct nic_stream whole, cut;
	struct digest a = {0}, b = {0};
	if (size < 1)
		return 0;
	/* The first byte picks the piece sizes of the second parse. */
	size_t step = (size_t)data[0] % 17 + 1;
	data++;
	size--;
	nic_stream_init(&whole);
	size_t n = nic_stream_feed(&whole, data, size, on_frame, &a);
	nic_stream_init(&cut);
	size_t m = 0;
	for (size_t at = 0; at < size; at += step, step = step * 5 % 23 + 1)
		m += nic_stream_feed(&cut, data + at, size - at < step ? size - at : step, on_frame,
				     &b);
	if (n != a.frames || m != b.frames || a.frames != b.frames || a.bytes != b.bytes ||
	    a.sum != b.sum || whole.skipped != cut.skipped || whole.have != cut.have)
		abort();
	if (whole.in_frame && whole.have >= whole.want)
		abort();
	/* What encode writes parses back to itself. */
	uint8_t out[NIC_STREAM_PREFIX + LOCKVM_NET_FRAME_MAX];
	size_t len = size < LOCKVM_NET_FRAME_MAX ? size : LOCKVM_NET_FRAME_MAX;
	size_t total = nic_stream_encode(data, len, out, sizeof(out));
	if ((total == 0) != (len == 0))
		abort();
	struct digest c = {0};
	nic_stream_init(&cut);
	if (total && nic_stream_feed(&cut, out, total, on_frame, &c) != 1)
		abort();
	return 0;
}
