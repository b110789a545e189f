/* The NIC's stream mode (--net user): Ethernet frames over a connected stream socket in qemu's framing, each frame after its 4-byte big-endian length. */
#ifndef LOCKVM_NIC_STREAM_H
#define LOCKVM_NIC_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lockvm/abi.h>

#define NIC_STREAM_PREFIX 4 /* bytes of the length before each frame */

/*
 * The receive side's state: what the peer (passt, or anything that took
 * its place) has sent so far, parsed as it comes, in pieces of any size.
 * A frame longer than LOCKVM_NET_FRAME_MAX is skipped byte by byte without
 * being kept (its length may say up to 4 GiB), so memory stays bounded and
 * the stream stays in step.
 */
struct nic_stream {
	uint8_t prefix[NIC_STREAM_PREFIX];
	unsigned prefix_have; /* bytes of the prefix read, 0-3 */
	uint32_t want;	      /* the current frame's length, from its prefix */
	uint32_t have;	      /* bytes of it read so far */
	bool in_frame;	      /* the prefix is complete, the frame is being read */
	uint64_t skipped;     /* frames longer than LOCKVM_NET_FRAME_MAX or empty, dropped */
	uint8_t frame[LOCKVM_NET_FRAME_MAX];
};

/* Called once per whole frame of 1 to LOCKVM_NET_FRAME_MAX bytes. */
typedef void nic_stream_frame_fn(void *ctx, const uint8_t *frame, size_t len);

/* A stream at its start (no byte read). */
void nic_stream_init(struct nic_stream *s);

/*
 * Parses len more bytes of the stream, calling frame() for each frame it
 * completes, in order; a frame cut between two calls is kept until its
 * end arrives. Returns how many frames were handed to frame().
 */
size_t nic_stream_feed(struct nic_stream *s, const uint8_t *data, size_t len,
		       nic_stream_frame_fn *frame, void *ctx);

/*
 * Writes frame (1 to LOCKVM_NET_FRAME_MAX bytes) with its length prefix
 * into out (room bytes). Returns the bytes written, or 0 when the frame's
 * size is out of range or out is too small.
 */
size_t nic_stream_encode(const uint8_t *frame, size_t len, uint8_t *out, size_t room);

#endif
