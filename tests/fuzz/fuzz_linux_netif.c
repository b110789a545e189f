/* libFuzzer target: frames from the bridge into a --linux VM's stack as the NIC hands them over (linux_netif_feed: Ethernet, ARP, IPv4/IPv6, ICMP, TCP to a listener and a connection, UDP to a bound socket), then lwIP's timers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/tcp.h"
#include "lwip/timeouts.h"
#include "lwip/udp.h"

#include "linux_inet.h"

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	if (p) {
		tcp_recved(pcb, p->tot_len);
		pbuf_free(p);
	}
	return ERR_OK;
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	if (err != ERR_OK || !pcb)
		return ERR_VAL;
	tcp_recv(pcb, on_recv);
	return ERR_OK;
}

static void on_udp(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
		   u16_t port)
{
	pbuf_free(p);
}

/* eth0 at 10.0.0.2/24 with a TCP listener on port 80, a connection from
 * it to 10.0.0.1:8080 (an ARP request goes out: dropped, no VM) and a UDP
 * socket on port 53. */
static void setup(void)
{
	static const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 2};
	struct linux_netcfg cfg = {
	    .ip = PP_HTONL(0x0a000002), .prefix = 24, .gateway = PP_HTONL(0x0a000001)};
	linux_netif_add(&cfg, mac, NULL);
	struct tcp_pcb *l = tcp_new();
	if (!l || tcp_bind(l, IP4_ADDR_ANY, 80) != ERR_OK || !(l = tcp_listen(l)))
		abort();
	tcp_accept(l, on_accept);
	struct tcp_pcb *c = tcp_new();
	ip_addr_t peer = IPADDR4_INIT(PP_HTONL(0x0a000001));
	if (!c || tcp_connect(c, &peer, 8080, NULL) != ERR_OK)
		abort();
	tcp_recv(c, on_recv);
	struct udp_pcb *u = udp_new();
	if (!u || udp_bind(u, IP4_ADDR_ANY, 53) != ERR_OK)
		abort();
	udp_recv(u, on_udp, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	if (!ready) {
		setup();
		ready = true;
	}
	/* Input: frames, each a 2-byte length then its bytes (cut to what is left). */
	while (size >= 2) {
		size_t len = (size_t)(data[0] | data[1] << 8);
		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		linux_netif_feed(data, len);
		data += len;
		size -= len;
	}
	(void)linux_lwip_poll();
	return 0;
}
