/* eth0's TCP offloads on a tap with vnet headers: consecutive full-sized segments lwIP sends on one TCP connection are held and joined into one super-frame, written to the tap in one write (nic_send_tso) that the host kernel cuts back into the same segments; every TCP frame leaves with its checksum for the kernel to finish (lwIP computes none for eth0); everything else goes out as it came, in order. */
#include <string.h>

#include "nic.h"

#include "linux_inet.h"

#define ETH_HDR LOCKVM_NET_HEADER
#define IP4_HDR 20 /* lwIP sends TCP without IP options */
#define IP6_HDR 40
#define TCP_MIN 20
#define TCP_ACK 0x10
#define TCP_PSH 0x08
#define TCP_FIN 0x01

/* The super-frame being gathered: NIC_VNET_HDR bytes of room, then the
 * first segment's headers and the payloads joined so far. */
static struct {
	uint8_t buf[NIC_VNET_HDR + NIC_TSO_FRAME_MAX];
	size_t len;	   /* frame bytes after the room; 0: nothing held */
	unsigned segments; /* joined so far */
	uint16_t mss;	   /* the first segment's payload: every one but the last has it */
	uint32_t next_seq; /* the sequence number a following segment must carry */
	bool closed;	   /* a shorter segment came: it must be the last */
	struct nic_tso tso;
} held;

/* A TCP segment's place in its frame (IPv4 without options or
 * fragmentation, or IPv6 with TCP as the next header, as lwIP sends them);
 * joinable with only ACK (and PSH) set and some payload. */
struct segment {
	struct nic_tso tso; /* header_len and tcp_offset; segment 0 */
	size_t payload;
	uint32_t seq;
	bool joinable;
};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static bool parse(const uint8_t *f, size_t len, struct segment *s)
{
	size_t ip_len;
	memset(s, 0, sizeof(*s));
	if (len < ETH_HDR + IP4_HDR + TCP_MIN)
		return false;
	uint16_t type = get16(f + 12);
	if (type == 0x0800) {
		const uint8_t *ip = f + ETH_HDR;
		if (ip[0] != 0x45 || ip[9] != 6 || (get16(ip + 6) & 0x3fff))
			return false; /* options, not TCP, or a fragment */
		ip_len = get16(ip + 2);
		s->tso.tcp_offset = ETH_HDR + IP4_HDR;
	} else if (type == 0x86dd && len >= ETH_HDR + IP6_HDR + TCP_MIN) {
		const uint8_t *ip = f + ETH_HDR;
		if ((ip[0] >> 4) != 6 || ip[6] != 6)
			return false; /* extension headers, or not TCP */
		ip_len = IP6_HDR + get16(ip + 4);
		s->tso.ipv6 = true;
		s->tso.tcp_offset = ETH_HDR + IP6_HDR;
	} else {
		return false;
	}
	const uint8_t *tcp = f + s->tso.tcp_offset;
	size_t tcp_len = (size_t)(tcp[12] >> 4) * 4;
	s->tso.header_len = (uint16_t)(s->tso.tcp_offset + tcp_len);
	if (ETH_HDR + ip_len != len || tcp_len < TCP_MIN || s->tso.header_len > len)
		return false; /* padded, or a header longer than the frame */
	s->payload = len - s->tso.header_len;
	s->seq = (uint32_t)get16(tcp + 4) << 16 | get16(tcp + 6);
	/* Not SYN, FIN, RST, URG or ECN: flags the kernel would copy into every segment. */
	s->joinable = s->payload && (tcp[13] & ~TCP_PSH) == TCP_ACK;
	return true;
}

/* Whether frames a and b agree on n bytes from at. */
static bool same(const uint8_t *a, const uint8_t *b, size_t at, size_t n)
{
	return memcmp(a + at, b + at, n) == 0;
}

/* Whether segment s (frame f) continues the held super-frame: the same
 * connection, headers equal but for lengths, IP id, sequence number, PSH
 * and checksums, the next sequence number, and room left. */
static bool continues(const uint8_t *f, const struct segment *s)
{
	const uint8_t *h = held.buf + NIC_VNET_HDR;
	size_t t = s->tso.tcp_offset;
	if (!held.len || held.closed || !s->joinable || s->tso.ipv6 != held.tso.ipv6 ||
	    s->tso.header_len != held.tso.header_len || s->seq != held.next_seq ||
	    s->payload > held.mss || held.len + s->payload > NIC_TSO_FRAME_MAX)
		return false;
	if (!same(f, h, 0, ETH_HDR))
		return false;
	/* IPv6: version, class and flow, then next header to the addresses'
	 * end; IPv4: version and TOS, flags to protocol, the addresses. */
	if (s->tso.ipv6 ? !same(f, h, 14, 4) || !same(f, h, 20, 34)
			: !same(f, h, 14, 2) || !same(f, h, 20, 4) || !same(f, h, 26, 8))
		return false;
	return same(f, h, t, 4) &&			       /* ports */
	       same(f, h, t + 8, 5) &&			       /* ack, data offset */
	       ((f[t + 13] ^ h[t + 13]) & ~TCP_PSH) == 0 &&    /* flags */
	       same(f, h, t + 14, 2) &&			       /* window */
	       same(f, h, t + 18, s->tso.header_len - t - 18); /* urgent pointer, options */
}

/* The ones' complement sum of len bytes (big-endian 16-bit words). */
static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Segments as one frame f of len bytes: the IP length of the whole, the
 * IPv4 header checksum anew, and in the TCP checksum field the sum of the
 * pseudo-header alone, which the kernel completes (for each segment). */
static void seal(uint8_t *f, size_t len, const struct nic_tso *tso)
{
	uint8_t *ip = f + ETH_HDR;
	uint32_t tcp_len = (uint32_t)(len - tso->tcp_offset), sum;
	if (tso->ipv6) {
		put16(ip + 4, (uint32_t)(len - ETH_HDR - IP6_HDR));
		sum = sum16(ip + 8, 32, 6 + tcp_len);
	} else {
		put16(ip + 2, (uint32_t)(len - ETH_HDR));
		put16(ip + 10, 0);
		put16(ip + 10, (uint16_t)~fold(sum16(ip, IP4_HDR, 0)));
		sum = sum16(ip + 12, 8, 6 + tcp_len);
	}
	put16(f + tso->tcp_offset + 16, fold(sum));
}

void linux_tso_flush(struct vm *vm)
{
	if (!held.len)
		return;
	seal(held.buf + NIC_VNET_HDR, held.len, &held.tso);
	held.tso.segment = held.segments > 1 ? held.mss : 0; /* 0: one frame, not cut */
	(void)nic_send_tso(vm, held.buf, held.len, &held.tso);
	held.len = 0;
}

/* The joiner's part of linux_tso_send: s is frame's parse when tcp. */
static int join(struct vm *vm, const uint8_t *frame, size_t len, bool tcp, const struct segment *s)
{
	if (tcp && continues(frame, s)) {
		uint8_t *h = held.buf + NIC_VNET_HDR;
		memcpy(h + held.len, frame + s->tso.header_len, s->payload);
		held.len += s->payload;
		h[held.tso.tcp_offset + 13] |= frame[s->tso.tcp_offset + 13] & TCP_PSH;
		held.next_seq += (uint32_t)s->payload;
		held.closed = s->payload < held.mss;
		held.segments++;
		return 0;
	}
	linux_tso_flush(vm); /* in order: what was held goes first */
	if (!tcp)
		return nic_send_frame(vm, frame, len);
	memcpy(held.buf + NIC_VNET_HDR, frame, len);
	held.len = len;
	held.tso = s->tso;
	held.mss = (uint16_t)s->payload;
	held.segments = 1;
	held.next_seq = s->seq + (uint32_t)s->payload;
	held.closed = false;
	if (!s->joinable)
		linux_tso_flush(vm); /* SYN, FIN, RST, a bare ACK: alone, now */
	return 0;
}

int linux_tso_send(struct vm *vm, const uint8_t *frame, size_t len)
{
	struct segment s;
	bool tcp = len <= LOCKVM_NET_FRAME_MAX && parse(frame, len, &s);
	return join(vm, frame, len, tcp, &s);
}

/* The wire MSS of the connection segment s (frame f) belongs to when lwIP
 * sends it larger segments (linux_netif_tcp_large), else 0. */
static uint16_t wire_mss(const uint8_t *f, const struct segment *s)
{
	const uint8_t *ip = f + ETH_HDR, *tcp = f + s->tso.tcp_offset;
	size_t addr = s->tso.ipv6 ? 16 : 4;
	const uint8_t *src = ip + (s->tso.ipv6 ? 8 : 12);
	return linux_netif_wire_mss(s->tso.ipv6, src, src + addr, get16(tcp), get16(tcp + 2));
}

int linux_tso_send_large(struct vm *vm, uint8_t *buf, size_t len)
{
	uint8_t *f = buf + NIC_VNET_HDR;
	struct segment s;
	bool tcp = len <= NIC_TSO_FRAME_MAX && parse(f, len, &s);
	uint16_t mss = tcp && s.payload ? wire_mss(f, &s) : 0;
	if (!mss || s.payload <= mss) {
		if (len > LOCKVM_NET_FRAME_MAX)
			return -1; /* larger than the MTU, yet no larger segments wanted */
		return join(vm, f, len, tcp, &s);
	}
	/* ACK, maybe PSH or FIN, which the kernel keeps for the last segment. */
	if ((f[s.tso.tcp_offset + 13] & ~(TCP_PSH | TCP_FIN)) != TCP_ACK ||
	    s.tso.header_len + mss > LOCKVM_NET_FRAME_MAX)
		return -1;
	linux_tso_flush(vm); /* in order: what was held goes first */
	seal(f, len, &s.tso);
	s.tso.segment = mss;
	return nic_send_tso(vm, buf, len, &s.tso);
}
