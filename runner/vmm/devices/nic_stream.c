/* The NIC's stream mode (--net user): qemu's length-prefixed framing of Ethernet frames on a stream socket, parsed with bounded memory. */
#include "nic_stream.h"

#include <string.h>

void nic_stream_init(struct nic_stream *s)
{
	s->prefix_have = 0;
	s->want = 0;
	s->have = 0;
	s->in_frame = false;
	s->skipped = 0;
}

/* Whether the current frame is kept (else its bytes are passed over). */
static bool keeps(const struct nic_stream *s)
{
	return s->want <= sizeof(s->frame);
}

size_t nic_stream_feed(struct nic_stream *s, const uint8_t *data, size_t len,
		       nic_stream_frame_fn *frame, void *ctx)
{
	size_t frames = 0;
	while (len > 0) {
		if (!s->in_frame) {
			s->prefix[s->prefix_have++] = *data++;
			len--;
			if (s->prefix_have < NIC_STREAM_PREFIX)
				continue;
			s->want = (uint32_t)s->prefix[0] << 24 | (uint32_t)s->prefix[1] << 16 |
				  (uint32_t)s->prefix[2] << 8 | s->prefix[3];
			s->prefix_have = 0;
			s->have = 0;
			if (s->want == 0) {
				s->skipped++; /* nothing to deliver, nothing to skip */
				continue;
			}
			s->in_frame = true;
			continue;
		}
		/* The rest of the frame, or what this piece holds of it. */
		size_t part = s->want - s->have;
		if (part > len)
			part = len;
		if (keeps(s))
			memcpy(s->frame + s->have, data, part);
		s->have += (uint32_t)part;
		data += part;
		len -= part;
		if (s->have < s->want)
			continue;
		s->in_frame = false;
		if (keeps(s)) {
			frame(ctx, s->frame, s->want);
			frames++;
		} else {
			s->skipped++;
		}
	}
	return frames;
}

size_t nic_stream_encode(const uint8_t *frame, size_t len, uint8_t *out, size_t room)
{
	if (len == 0 || len > LOCKVM_NET_FRAME_MAX || room < NIC_STREAM_PREFIX + len)
		return 0;
	out[0] = (uint8_t)(len >> 24);
	out[1] = (uint8_t)(len >> 16);
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
	memcpy(out + NIC_STREAM_PREFIX, frame, len);
	return NIC_STREAM_PREFIX + len;
}
