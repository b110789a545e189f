/* Unit tests of the NIC's stream mode (--net user): qemu's length-prefixed framing parsed in pieces of any size, bounded lengths skipped, and a frame's path through a stream NIC (runner/vmm/devices/nic_stream.c, nic.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nic.h"
#include "nic_stream.h"
#include "vm.h"

/* What the parser handed over, in order. */
static struct seen {
	unsigned count;
	size_t lens[16];
	uint8_t first[16];
} seen;

static void on_frame(void *ctx, const uint8_t *frame, size_t len)
{
	(void)ctx;
	assert_true(len >= 1 && len <= LOCKVM_NET_FRAME_MAX);
	if (seen.count < 16) {
		seen.lens[seen.count] = len;
		seen.first[seen.count] = frame[0];
	}
	seen.count++;
}

/* prefix (big-endian len) + len bytes of `fill` at out; returns bytes. */
static size_t put(uint8_t *out, uint32_t len, uint8_t fill, size_t body)
{
	out[0] = (uint8_t)(len >> 24);
	out[1] = (uint8_t)(len >> 16);
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
	memset(out + 4, fill, body);
	return 4 + body;
}

/* stream: frames split at every byte boundary come out whole and in order */
static void frames_come_whole_in_any_pieces(void **state)
{
	static uint8_t buf[3 * (4 + LOCKVM_NET_FRAME_MAX)];
	size_t n = put(buf, 60, 0xa1, 60);
	n += put(buf + n, LOCKVM_NET_FRAME_MAX, 0xb2, LOCKVM_NET_FRAME_MAX);
	n += put(buf + n, 1, 0xc3, 1);
	for (size_t piece = 1; piece <= n; piece = piece < 8 ? piece + 1 : piece * 3) {
		static struct nic_stream s;
		nic_stream_init(&s);
		memset(&seen, 0, sizeof(seen));
		size_t frames = 0;
		for (size_t at = 0; at < n; at += piece)
			frames += nic_stream_feed(&s, buf + at, n - at < piece ? n - at : piece,
						  on_frame, NULL);
		assert_int_equal(frames, 3);
		assert_int_equal(seen.count, 3);
		assert_int_equal(seen.lens[0], 60);
		assert_int_equal(seen.first[0], 0xa1);
		assert_int_equal(seen.lens[1], LOCKVM_NET_FRAME_MAX);
		assert_int_equal(seen.first[1], 0xb2);
		assert_int_equal(seen.lens[2], 1);
		assert_int_equal(seen.first[2], 0xc3);
		assert_int_equal(s.skipped, 0);
	}
}

/* stream: a frame one byte over LOCKVM_NET_FRAME_MAX, an empty one and a
 * 4 GiB claim are skipped, and the stream stays in step after them */
static void oversized_and_empty_frames_are_skipped(void **state)
{
	static uint8_t buf[2 * (4 + LOCKVM_NET_FRAME_MAX) + 64];
	static struct nic_stream s;
	nic_stream_init(&s);
	memset(&seen, 0, sizeof(seen));
	size_t n = put(buf, LOCKVM_NET_FRAME_MAX + 1, 0xee, LOCKVM_NET_FRAME_MAX + 1);
	n += put(buf + n, 0, 0, 0);
	n += put(buf + n, 14, 0x42, 14);
	assert_int_equal(nic_stream_feed(&s, buf, n, on_frame, NULL), 1);
	assert_int_equal(s.skipped, 2);
	assert_int_equal(seen.count, 1);
	assert_int_equal(seen.lens[0], 14);
	assert_int_equal(seen.first[0], 0x42);
	/* A length of 0xffffffff: its bytes are passed over, never kept. */
	uint8_t huge[4 + 4096];
	put(huge, 0xffffffffu, 0x55, 4096);
	assert_int_equal(nic_stream_feed(&s, huge, sizeof(huge), on_frame, NULL), 0);
	assert_true(s.in_frame);
	assert_int_equal(s.have, 4096);
	assert_int_equal(seen.count, 1);
}

/* stream: encode refuses sizes out of range and small buffers, and what it
 * writes parses back to the same frame */
static void encode_round_trips(void **state)
{
	uint8_t frame[LOCKVM_NET_FRAME_MAX + 1], out[4 + LOCKVM_NET_FRAME_MAX + 1];
	memset(frame, 0x77, sizeof(frame));
	assert_int_equal(nic_stream_encode(frame, 0, out, sizeof(out)), 0);
	assert_int_equal(nic_stream_encode(frame, LOCKVM_NET_FRAME_MAX + 1, out, sizeof(out)), 0);
	assert_int_equal(nic_stream_encode(frame, 100, out, 103), 0);
	assert_int_equal(nic_stream_encode(frame, 100, out, 104), 104);
	assert_int_equal(out[3], 100);
	assert_int_equal(out[0] | out[1] | out[2], 0);
	static struct nic_stream s;
	nic_stream_init(&s);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(nic_stream_feed(&s, out, 104, on_frame, NULL), 1);
	assert_int_equal(seen.lens[0], 100);
}

/* stream NIC: frames from the peer reach the guest's queue through the MAC
 * filter and counters; the guest's frames leave prefixed, forged ones never */
static void stream_nic_in_and_out(void **state)
{
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	static struct vm vm;
	vm_init(&vm);
	const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 1};
	char err[128];
	assert_int_equal(nic_attach_stream(&vm, sv[0], mac, -1, err, sizeof(err)), 0);
	uint8_t in[2 * (4 + 64)];
	uint8_t frame[64] = {0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00};
	uint8_t other[64] = {0x02, 0, 0, 0, 0, 9, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00};
	size_t n = nic_stream_encode(frame, sizeof(frame), in, sizeof(in));
	n += nic_stream_encode(other, sizeof(other), in + n, sizeof(in) - n);
	/* Split mid-frame: the first write ends inside the second frame. */
	assert_int_equal(write(sv[1], in, 70), 70);
	nic_input(&vm);
	assert_true(nic_frames_queued(&vm));
	assert_int_equal(write(sv[1], in + 70, n - 70), (ssize_t)(n - 70));
	nic_input(&vm);
	uint8_t got[LOCKVM_NET_FRAME_MAX];
	assert_int_equal(nic_take_frame(&vm, got, sizeof(got)), sizeof(frame));
	assert_memory_equal(got, frame, sizeof(frame));
	assert_int_equal(nic_take_frame(&vm, got, sizeof(got)),
			 -LOCKVM_EAGAIN); /* other: filtered */
	char stats[512];
	nic_format_stats(&vm, stats, sizeof(stats));
	assert_non_null(strstr(stats, "rx_frames=1 "));
	assert_non_null(strstr(stats, "rx_filtered=1 "));
	/* Out: the guest's own source MAC goes, prefixed; a forged one does not. */
	uint8_t out[64] = {0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00};
	assert_int_equal(nic_send_frame(&vm, out, sizeof(out)), 0);
	assert_int_equal(nic_send_frame(&vm, frame, sizeof(frame)), -1); /* source ...:02 */
	uint8_t wire[4 + 64 + 1];
	assert_int_equal(read(sv[1], wire, sizeof(wire)), 4 + 64);
	assert_int_equal(wire[3], 64);
	assert_memory_equal(wire + 4, out, sizeof(out));
	nic_format_stats(&vm, stats, sizeof(stats));
	assert_non_null(strstr(stats, "tx_frames=1 "));
	assert_non_null(strstr(stats, "tx_forged=1"));
	/* The peer gone: the NIC stops polling its fd, the guest runs on. */
	close(sv[1]);
	nic_input(&vm);
	assert_int_equal(nic_poll_fd(&vm), -1);
	nic_detach(&vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(frames_come_whole_in_any_pieces),
	    cmocka_unit_test(oversized_and_empty_frames_are_skipped),
	    cmocka_unit_test(encode_round_trips),
	    cmocka_unit_test(stream_nic_in_and_out),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
