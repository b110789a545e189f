/* Tiny Ethernet/ARP/IPv4/ICMP helpers for the network example guests (netecho, netping, netsend). */
#ifndef LOCKVM_NETLIB_H
#define LOCKVM_NETLIB_H

#include <stdint.h>

#include <lockvm/guest.h>

#define ETH_ARP	 0x0806
#define ETH_IPV4 0x0800
#define ETH_TEST 0x88B5 /* IEEE local experimental: netsend's frames */

static inline uint16_t net_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void net_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint32_t net_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void net_put32(uint8_t *p, uint32_t v)
{
	net_put16(p, (uint16_t)(v >> 16));
	net_put16(p + 2, (uint16_t)v);
}

/* "A.B.C.D" then optionally "/P"; returns 0 or -1. */
static inline int net_parse_ip(const char *s, uint32_t *ip, uint32_t *prefix)
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++) {
		const char *end;
		unsigned long long part = lv_strtoull(s, &end, 10);
		if (end == s || part > 255)
			return -1;
		v = v << 8 | (uint32_t)part;
		s = end;
		if (i < 3 && *s++ != '.')
			return -1;
	}
	if (prefix) {
		*prefix = 32;
		if (*s == '/') {
			const char *end;
			unsigned long long p = lv_strtoull(s + 1, &end, 10);
			if (end == s + 1 || p < 1 || p > 32)
				return -1;
			*prefix = (uint32_t)p;
			s = end;
		}
	}
	if (*s)
		return -1;
	*ip = v;
	return 0;
}

/* "xx:xx:xx:xx:xx:xx"; returns 0 or -1. */
static inline int net_parse_mac(const char *s, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++) {
		int v = 0;
		for (int j = 0; j < 2; j++, s++) {
			char c = *s;
			int d = c >= '0' && c <= '9'   ? c - '0'
				: c >= 'a' && c <= 'f' ? c - 'a' + 10
				: c >= 'A' && c <= 'F' ? c - 'A' + 10
						       : -1;
			if (d < 0)
				return -1;
			v = v << 4 | d;
		}
		mac[i] = (uint8_t)v;
		if (i < 5 && *s++ != ':')
			return -1;
	}
	return *s ? -1 : 0;
}

static inline uint16_t net_checksum(const uint8_t *p, uint32_t len)
{
	uint32_t sum = 0;
	for (uint32_t i = 0; i + 1 < len; i += 2)
		sum += net_get16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xFFFF) + (sum >> 16);
	return (uint16_t)~sum;
}

static inline void net_eth(uint8_t *f, const uint8_t dst[6], const uint8_t src[6], uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	net_put16(f + 12, type);
}

/* An ARP packet (op 1 request, 2 reply) into f; returns its length. */
static inline uint32_t net_arp(uint8_t *f, uint16_t op, const uint8_t eth_dst[6],
			       const uint8_t sha[6], uint32_t spa, const uint8_t tha[6], uint32_t tpa)
{
	net_eth(f, eth_dst, sha, ETH_ARP);
	uint8_t *a = f + 14;
	net_put16(a, 1);	/* Ethernet */
	net_put16(a + 2, ETH_IPV4);
	a[4] = 6;
	a[5] = 4;
	net_put16(a + 6, op);
	memcpy(a + 8, sha, 6);
	net_put32(a + 14, spa);
	memcpy(a + 18, tha, 6);
	net_put32(a + 24, tpa);
	return 42;
}

/* If f is an ARP request for ip, writes the reply from mac into out and
 * returns its length; else 0. */
static inline uint32_t net_arp_answer(const uint8_t *f, long len, const uint8_t mac[6], uint32_t ip,
				      uint8_t *out)
{
	if (len < 42 || net_get16(f + 12) != ETH_ARP || net_get16(f + 20) != 1 ||
	    net_get32(f + 38) != ip)
		return 0;
	return net_arp(out, 2, f + 22, mac, ip, f + 22, net_get32(f + 28));
}

/* If f is an ICMP echo request to ip, turns a copy into the reply from mac
 * in out and returns its length; else 0. */
static inline uint32_t net_echo_answer(const uint8_t *f, long len, const uint8_t mac[6], uint32_t ip,
				       uint8_t *out)
{
	if (len < 42 || net_get16(f + 12) != ETH_IPV4 || (f[14] >> 4) != 4)
		return 0;
	uint32_t ihl = (uint32_t)(f[14] & 15) * 4, total = net_get16(f + 16);
	if (ihl < 20 || f[23] != 1 || net_get32(f + 30) != ip || total < ihl + 8 ||
	    14 + total > (uint32_t)len || f[14 + ihl] != 8)
		return 0;
	memcpy(out, f, 14 + total);
	net_eth(out, f + 6, mac, ETH_IPV4);
	net_put32(out + 26, ip);
	memcpy(out + 30, f + 26, 4);
	out[22] = 64;			   /* TTL */
	net_put16(out + 24, 0);
	net_put16(out + 24, net_checksum(out + 14, ihl));
	uint8_t *icmp = out + 14 + ihl;
	icmp[0] = 0; /* echo reply */
	net_put16(icmp + 2, 0);
	net_put16(icmp + 2, net_checksum(icmp, total - ihl));
	return 14 + total;
}

#endif
