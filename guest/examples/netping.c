/* netping.elf IP/PREFIX PEER [COUNT] [spoof]: resolves PEER by ARP and pings it COUNT times (default 3) from the VM's NIC; "spoof" forges the source MAC. Exits 0 when every echo came back. */
#include <lockvm/guest.h>

#include "netlib.h"

#define REPLY_WAIT_NS 1000000000ULL /* per echo request */
#define ARP_TRIES     5

static uint8_t in[LOCKVM_NET_FRAME_MAX], out[LOCKVM_NET_FRAME_MAX];
static const uint8_t broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static uint8_t mac[6], peer_mac[6];
static uint32_t ip, peer;

/* Waits up to timeout for a frame that `want` accepts, answering ARP for
 * our address meanwhile. Returns 1 when found, 0 on timeout. */
static int await(int (*want)(long len, uint16_t seq), uint16_t seq, uint64_t timeout)
{
	uint64_t end = lv_time_ns(LOCKVM_CLOCK_MONOTONIC) + timeout;
	for (;;) {
		long len;
		while ((len = lv_net_recv(in, sizeof(in))) > 0) {
			uint32_t n = net_arp_answer(in, len, mac, ip, out);
			if (n)
				lv_net_send1(out, n);
			else if (want(len, seq))
				return 1;
		}
		uint64_t now = lv_time_ns(LOCKVM_CLOCK_MONOTONIC);
		if (now >= end)
			return 0;
		lv_net_wait(end - now);
	}
}

static int arp_reply(long len, uint16_t seq)
{
	(void)seq;
	if (len < 42 || net_get16(in + 12) != ETH_ARP || net_get16(in + 20) != 2 ||
	    net_get32(in + 28) != peer)
		return 0;
	memcpy(peer_mac, in + 22, 6);
	return 1;
}

static int echo_reply(long len, uint16_t seq)
{
	if (len < 42 || net_get16(in + 12) != ETH_IPV4 || in[23] != 1 ||
	    net_get32(in + 26) != peer)
		return 0;
	uint32_t ihl = (uint32_t)(in[14] & 15) * 4;
	const uint8_t *icmp = in + 14 + ihl;
	return 14 + ihl + 8 <= (uint32_t)len && icmp[0] == 0 && net_get16(icmp + 4) == 0x4c56 &&
	       net_get16(icmp + 6) == seq;
}

static uint32_t echo_request(uint16_t seq)
{
	net_eth(out, peer_mac, mac, ETH_IPV4);
	uint8_t *h = out + 14, *icmp = h + 20;
	memset(h, 0, 20);
	h[0] = 0x45;
	net_put16(h + 2, 20 + 8 + 32);
	net_put16(h + 4, seq);
	h[8] = 64;
	h[9] = 1;
	net_put32(h + 12, ip);
	net_put32(h + 16, peer);
	net_put16(h + 10, net_checksum(h, 20));
	icmp[0] = 8;
	icmp[1] = 0;
	net_put16(icmp + 2, 0);
	net_put16(icmp + 4, 0x4c56); /* identifier "LV" */
	net_put16(icmp + 6, seq);
	for (int i = 0; i < 32; i++)
		icmp[8 + i] = (uint8_t)('a' + i % 26);
	net_put16(icmp + 2, net_checksum(icmp, 8 + 32));
	return 14 + 20 + 8 + 32;
}

int main(int argc, char **argv)
{
	uint32_t mtu, prefix;
	unsigned long long count = 3, replies = 0;
	int spoof = argc > 4 && lv_strcmp(argv[4], "spoof") == 0;
	if (argc < 3 || net_parse_ip(argv[1], &ip, &prefix) < 0 || net_parse_ip(argv[2], &peer, 0) < 0) {
		lv_printf("usage: netping.elf IP/PREFIX PEER [COUNT] [spoof]\n");
		return 2;
	}
	if (argc > 3)
		count = lv_strtoull(argv[3], 0, 10);
	if (lv_net_info(mac, &mtu) < 0) {
		lv_printf("netping: no NIC (run with --net)\n");
		return 3;
	}
	if (spoof) { /* another machine's address: the runner must drop these */
		mac[5] ^= 0x55;
		lv_printf("netping: forging source MAC %02x:%02x:%02x:%02x:%02x:%02x\n", mac[0],
			  mac[1], mac[2], mac[3], mac[4], mac[5]);
	}
	int resolved = 0;
	for (int i = 0; i < ARP_TRIES && !resolved; i++) {
		static const uint8_t zero[6];
		lv_net_send1(out, net_arp(out, 1, broadcast, mac, ip, zero, peer));
		resolved = await(arp_reply, 0, 400000000ULL);
	}
	if (!resolved) {
		lv_printf("netping: no ARP reply from %s\n", argv[2]);
		lv_printf("netping: 0/%llu replies from %s\n", count, argv[2]);
		return 1;
	}
	for (unsigned long long seq = 1; seq <= count; seq++) {
		lv_net_send1(out, echo_request((uint16_t)seq));
		replies += (unsigned long long)await(echo_reply, (uint16_t)seq, REPLY_WAIT_NS);
	}
	lv_printf("netping: %llu/%llu replies from %s\n", replies, count, argv[2]);
	return replies == count ? 0 : 1;
}
