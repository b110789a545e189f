/* netecho.elf IP/PREFIX [max=N]: answers ARP and ICMP echo for IP on the VM's NIC until `lockvm stop` (or N echoes), then prints the count. */
#include <lockvm/guest.h>

#include "netlib.h"

static uint8_t in[LOCKVM_NET_FRAME_MAX], out[LOCKVM_NET_FRAME_MAX];

int main(int argc, char **argv)
{
	uint8_t mac[6];
	uint32_t mtu, ip, prefix;
	unsigned long long max = 0, echoes = 0, arps = 0;
	if (argc < 2 || net_parse_ip(argv[1], &ip, &prefix) < 0) {
		lv_printf("usage: netecho.elf IP/PREFIX [max=N]\n");
		return 2;
	}
	if (argc > 2 && argv[2][0] == 'm')
		max = lv_strtoull(argv[2] + 4, 0, 10);
	if (lv_net_info(mac, &mtu) < 0) {
		lv_printf("netecho: no NIC (run with --net)\n");
		return 3;
	}
	lv_printf("netecho: %s on %02x:%02x:%02x:%02x:%02x:%02x ready\n", argv[1], mac[0], mac[1], mac[2],
		  mac[3], mac[4], mac[5]);
	for (;;) {
		int w = lv_net_wait(0);
		if (w == -LOCKVM_EINTR && (lv_events() & LOCKVM_EVENT_SHUTDOWN))
			break;
		long len;
		while ((len = lv_net_recv(in, sizeof(in))) > 0) {
			uint32_t n = net_arp_answer(in, len, mac, ip, out);
			if (n) {
				arps++;
			} else if ((n = net_echo_answer(in, len, mac, ip, out))) {
				echoes++;
			}
			if (n)
				lv_net_send1(out, n);
		}
		if (max && echoes >= max)
			break;
	}
	lv_printf("netecho: answered %llu echo requests and %llu ARP requests\n", echoes, arps);
	return 0;
}
