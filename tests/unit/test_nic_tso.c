/* Unit tests of TCP segmentation offload on a tap with vnet headers: eth0's joining of lwIP's segments into super-frames (runner/linux/linux_netif_tso.c) and the NIC's checks, header and counters for them (runner/vmm/devices/nic.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <linux/virtio_net.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "linux_inet.h"
#include "nic.h"
#include "vm.h"

static const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 1};
static const uint8_t peer[6] = {0x02, 0, 0, 0, 0, 2};

static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i < len; i++)
		sum += i & 1 ? p[i] : (uint32_t)p[i] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The pseudo-header's sum for a TCP length of tcp_len (IPv4 or IPv6). */
static uint32_t pseudo(const uint8_t *frame, bool v6, uint32_t tcp_len)
{
	const uint8_t *ip = frame + 14;
	return v6 ? sum16(ip + 8, 32, 6 + tcp_len) : sum16(ip + 12, 8, 6 + tcp_len);
}

/* An lwIP-like TCP segment (ACK, checksums whole) with `payload` bytes of
 * fill from `seq`, from source MAC src; its length. */
static size_t segment(uint8_t *f, bool v6, const uint8_t src[6], uint32_t seq, size_t payload,
		      uint8_t flags)
{
	size_t ip_hdr = v6 ? 40 : 20, t = 14 + ip_hdr;
	memset(f, 0, t + 20 + payload);
	memcpy(f, peer, 6);
	memcpy(f + 6, src, 6);
	uint8_t *ip = f + 14, *tcp = f + t;
	if (v6) {
		put16(f + 12, 0x86dd);
		ip[0] = 0x60;
		put16(ip + 4, (uint32_t)(20 + payload));
		ip[6] = 6;
		ip[7] = 64;
		ip[8] = 0xfd, ip[23] = 2;  /* fd00::2 */
		ip[24] = 0xfd, ip[39] = 1; /* fd00::1 */
	} else {
		put16(f + 12, 0x0800);
		ip[0] = 0x45;
		put16(ip + 2, (uint32_t)(20 + 20 + payload));
		put16(ip + 4, seq & 0xffff); /* an id */
		ip[6] = 0x40;		     /* DF */
		ip[8] = 64;
		ip[9] = 6;
		ip[12] = 10, ip[15] = 2; /* 10.0.0.2 */
		ip[16] = 10, ip[19] = 1; /* 10.0.0.1 */
		put16(ip + 10, (uint16_t)~fold(sum16(ip, 20, 0)));
	}
	put16(tcp, 40000);
	put16(tcp + 2, 80);
	put16(tcp + 4, seq >> 16);
	put16(tcp + 6, seq);
	put16(tcp + 8, 0x1234);
	put16(tcp + 10, 0x5678);
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	put16(tcp + 14, 0xffff);
	for (size_t i = 0; i < payload; i++)
		tcp[20 + i] = (uint8_t)(seq + i);
	uint32_t tcp_len = (uint32_t)(20 + payload);
	put16(tcp + 16, (uint16_t)~fold(sum16(tcp, tcp_len, pseudo(f, v6, tcp_len))));
	return t + 20 + payload;
}

struct tap {
	struct vm vm;
	int host; /* the tap's other end: one datagram per write */
};

static void tap_open(struct tap *t)
{
	int sv[2];
	char err[128];
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv), 0);
	vm_init(&t->vm);
	assert_int_equal(nic_attach(&t->vm, sv[0], mac, -1, err, sizeof(err)), 0);
	nic_set_vnet(&t->vm);
	t->host = sv[1];
}

static void tap_close(struct tap *t)
{
	nic_detach(&t->vm);
	close(t->host);
}

static uint64_t counter(struct tap *t, const char *name)
{
	char stats[512], key[64];
	nic_format_stats(&t->vm, stats, sizeof(stats));
	snprintf(key, sizeof(key), "%s=", name);
	const char *at = strstr(stats, key);
	assert_non_null(at);
	return strtoull(at + strlen(key), NULL, 10);
}

static uint8_t wire[NIC_VNET_HDR + NIC_TSO_FRAME_MAX + 64];

/* One datagram from the tap's other end: its length (0: none). */
static size_t take(struct tap *t)
{
	ssize_t n = read(t->host, wire, sizeof(wire));
	return n < 0 ? 0 : (size_t)n;
}

/* tso: 40 full segments and a short one on one connection leave as one
 * super-frame the kernel can cut back: vnet header, IP length, IPv4
 * header checksum, pseudo-header sum, payload in order; the counters show
 * the 41 wire frames and their bytes */
static void joined_segments_form_one_super_frame(bool v6)
{
	static uint8_t f[LOCKVM_NET_FRAME_MAX];
	struct tap t;
	tap_open(&t);
	size_t mss = v6 ? 1440 : 1460, hdr = 14 + (v6 ? 40 : 20) + 20, total = 40 * mss + 100;
	uint32_t seq = 0xfffff000; /* wraps inside the super-frame */
	uint64_t wire_bytes = 0;
	for (size_t done = 0; done < total;) {
		size_t n = total - done < mss ? total - done : mss;
		size_t len = segment(f, v6, mac, seq + (uint32_t)done, n, 0x10);
		assert_int_equal(linux_tso_send(&t.vm, f, len), 0);
		wire_bytes += len;
		done += n;
	}
	assert_int_equal(take(&t), 0); /* held until the flush */
	linux_tso_flush(&t.vm);
	size_t n = take(&t);
	assert_int_equal(n, NIC_VNET_HDR + hdr + total);
	assert_int_equal(take(&t), 0);
	struct virtio_net_hdr h;
	memcpy(&h, wire, sizeof(h));
	assert_int_equal(h.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(h.gso_type, v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4);
	assert_int_equal(h.gso_size, mss);
	assert_int_equal(h.hdr_len, hdr);
	assert_int_equal(h.csum_start, hdr - 20);
	assert_int_equal(h.csum_offset, 16);
	uint8_t *fr = wire + NIC_VNET_HDR, *ip = fr + 14, *tcp = fr + hdr - 20;
	assert_memory_equal(fr + 6, mac, 6);
	if (v6) {
		assert_int_equal(ip[4] << 8 | ip[5], total + 20);
	} else {
		assert_int_equal(ip[2] << 8 | ip[3], total + 40);
		assert_int_equal(fold(sum16(ip, 20, 0)), 0xffff); /* its checksum is whole */
	}
	assert_int_equal(get32(tcp + 4), seq);
	assert_int_equal(tcp[16] << 8 | tcp[17], fold(pseudo(fr, v6, (uint32_t)(20 + total))));
	for (size_t i = 0; i < total; i++)
		if (tcp[20 + i] != (uint8_t)(seq + i))
			fail_msg("payload byte %zu is %u", i, tcp[20 + i]);
	assert_int_equal(counter(&t, "tx_frames"), 41);
	assert_int_equal(counter(&t, "tx_bytes"), wire_bytes);
	tap_close(&t);
}

static void joined_ipv4(void **state)
{
	joined_segments_form_one_super_frame(false);
}

static void joined_ipv6(void **state)
{
	joined_segments_form_one_super_frame(true);
}

/* As the kernel finishes a checksum it was asked to (NEEDS_CSUM): the sum
 * from the TCP header on, the pseudo-header's sum already in the field;
 * then whether the frame's TCP checksum is whole. */
static bool finished_checksum_is_whole(uint8_t *frame, bool v6, size_t len)
{
	size_t t = 14 + (v6 ? 40 : 20);
	uint8_t *tcp = frame + t;
	put16(tcp + 16, (uint16_t)~fold(sum16(tcp, len - t, 0)));
	return fold(sum16(tcp, len - t, pseudo(frame, v6, (uint32_t)(len - t)))) == 0xffff;
}

/* tso: what cannot be joined goes in order as it came: a gap in the
 * sequence, a FIN; a lone segment is not cut, but its checksum is left to
 * the kernel like every TCP frame's (lwIP computes none for eth0) */
static void unjoinable_frames_keep_their_order(void **state)
{
	static uint8_t f[LOCKVM_NET_FRAME_MAX];
	struct tap t;
	tap_open(&t);
	size_t a = segment(f, false, mac, 1000, 1460, 0x10);
	assert_int_equal(linux_tso_send(&t.vm, f, a), 0);
	size_t b = segment(f, false, mac, 1000 + 1460 + 1, 1460, 0x10); /* a gap */
	assert_int_equal(linux_tso_send(&t.vm, f, b), 0);
	size_t c = segment(f, false, mac, 1000 + 2 * 1460 + 1, 10, 0x11); /* FIN */
	assert_int_equal(linux_tso_send(&t.vm, f, c), 0);
	linux_tso_flush(&t.vm);
	struct virtio_net_hdr h;
	size_t lens[3] = {a, b, c};
	for (int i = 0; i < 3; i++) {
		assert_int_equal(take(&t), NIC_VNET_HDR + lens[i]);
		memcpy(&h, wire, sizeof(h));
		assert_int_equal(h.gso_type, VIRTIO_NET_HDR_GSO_NONE);
		assert_int_equal(h.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
		assert_int_equal(h.csum_start, 34);
		assert_int_equal(h.csum_offset, 16);
		assert_true(finished_checksum_is_whole(wire + NIC_VNET_HDR, false, lens[i]));
	}
	/* A frame that is not TCP (ARP) goes as it is, no checksum asked. */
	uint8_t arp[42] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 1, 0x08, 0x06};
	assert_int_equal(linux_tso_send(&t.vm, arp, sizeof(arp)), 0);
	assert_int_equal(take(&t), NIC_VNET_HDR + sizeof(arp));
	memcpy(&h, wire, sizeof(h));
	assert_int_equal(h.flags, 0);
	assert_memory_equal(wire + NIC_VNET_HDR, arp, sizeof(arp));
	assert_int_equal(take(&t), 0);
	assert_int_equal(counter(&t, "tx_frames"), 4);
	tap_close(&t);
}

/* tso: a super-frame with a source MAC not the NIC's is dropped before the
 * tap and counted (the check runs once, on the header every segment gets) */
static void forged_super_frame_is_dropped_and_counted(void **state)
{
	static uint8_t buf[NIC_VNET_HDR + NIC_TSO_FRAME_MAX];
	const uint8_t forged[6] = {0x02, 0, 0, 0, 0, 7};
	struct tap t;
	tap_open(&t);
	size_t len = segment(buf + NIC_VNET_HDR, false, forged, 1, 20 * 1460, 0x10);
	struct nic_tso tso = {.tcp_offset = 34, .header_len = 54, .segment = 1460};
	assert_int_equal(nic_send_tso(&t.vm, buf, len, &tso), -1);
	assert_int_equal(take(&t), 0);
	assert_int_equal(counter(&t, "tx_forged"), 1);
	assert_int_equal(counter(&t, "tx_frames"), 0);
	/* The same with the NIC's own MAC goes, counted as its 20 segments. */
	len = segment(buf + NIC_VNET_HDR, false, mac, 1, 20 * 1460, 0x10);
	assert_int_equal(nic_send_tso(&t.vm, buf, len, &tso), 0);
	assert_int_equal(take(&t), NIC_VNET_HDR + len);
	assert_int_equal(counter(&t, "tx_frames"), 20);
	assert_int_equal(counter(&t, "tx_bytes"), len + 19 * 54);
	/* Sizes that do not fit are refused: a segment over the MTU, headers past the frame. */
	tso.segment = 1500;
	assert_int_equal(nic_send_tso(&t.vm, buf, len, &tso), -1);
	tso = (struct nic_tso){.tcp_offset = 34, .header_len = (uint16_t)len, .segment = 1460};
	assert_int_equal(nic_send_tso(&t.vm, buf, len, &tso), -1);
	assert_int_equal(take(&t), 0);
	assert_int_equal(counter(&t, "tx_errors"), 2);
	tap_close(&t);
}

/* vnet: frames from the tap lose their header on the way in; a header
 * asking for offloads the NIC never offered is filtered */
static void received_frames_lose_their_header(void **state)
{
	struct tap t;
	tap_open(&t);
	uint8_t in[NIC_VNET_HDR + 64] = {0};
	memcpy(in + NIC_VNET_HDR, mac, 6);
	memcpy(in + NIC_VNET_HDR + 6, peer, 6);
	in[NIC_VNET_HDR + 12] = 0x08;
	assert_int_equal(write(t.host, in, sizeof(in)), sizeof(in));
	in[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	assert_int_equal(write(t.host, in, sizeof(in)), sizeof(in));
	assert_int_equal(write(t.host, in, 4), 4); /* shorter than a header */
	nic_input(&t.vm);
	uint8_t got[LOCKVM_NET_FRAME_MAX];
	assert_int_equal(nic_take_frame(&t.vm, got, sizeof(got)), 64);
	assert_memory_equal(got, in + NIC_VNET_HDR, 64);
	assert_int_equal(nic_take_frame(&t.vm, got, sizeof(got)), -LOCKVM_EAGAIN);
	assert_int_equal(counter(&t, "rx_filtered"), 2);
	/* And a plain frame out gets a header of zeros. */
	uint8_t out[64] = {0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00};
	assert_int_equal(nic_send_frame(&t.vm, out, sizeof(out)), 0);
	assert_int_equal(take(&t), NIC_VNET_HDR + 64);
	static const uint8_t zero[NIC_VNET_HDR];
	assert_memory_equal(wire, zero, NIC_VNET_HDR);
	assert_memory_equal(wire + NIC_VNET_HDR, out, 64);
	tap_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(joined_ipv4),
	    cmocka_unit_test(joined_ipv6),
	    cmocka_unit_test(unjoinable_frames_keep_their_order),
	    cmocka_unit_test(forged_super_frame_is_dropped_and_counted),
	    cmocka_unit_test(received_frames_lose_their_header),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
