/* Hostile: NIC requests that break the ABI (frame sizes, frame counts, buffers outside RAM); each must end the VM with a guest error. */
#include "hostile.h"

static uint8_t frame[2048];
static struct lockvm_net_frame list[LOCKVM_NET_BATCH_MAX + 1];

int main(int argc, char **argv)
{
	uint8_t mac[6];
	uint32_t mtu;
	if (argc < 2 || lv_net_info(mac, &mtu) < 0) {
		lv_puts("usage: net_bad.elf oversized|undersized|zero|toomany|badbuf|badlist|badrecv (needs --net)");
		return 2;
	}
	memcpy(frame + 6, mac, 6);
	const char *m = argv[1];
	if (lv_strcmp(m, "oversized") == 0)
		lv_net_send1(frame, LOCKVM_NET_FRAME_MAX + 1);
	else if (lv_strcmp(m, "undersized") == 0)
		lv_net_send1(frame, LOCKVM_NET_FRAME_MIN - 1);
	else if (lv_strcmp(m, "zero") == 0)
		lv_net_send(list, 0);
	else if (lv_strcmp(m, "toomany") == 0)
		lv_net_send(list, LOCKVM_NET_BATCH_MAX + 1);
	else if (lv_strcmp(m, "badbuf") == 0)
		lv_net_send1((void *)(uintptr_t)(ram_size() - 8), 60);
	else if (lv_strcmp(m, "badlist") == 0)
		lv_net_send((void *)(uintptr_t)(ram_size() - 8), 2);
	else if (lv_strcmp(m, "badrecv") == 0)
		lv_net_recv((void *)(uintptr_t)(ram_size() - 8), 1514);
	lv_puts("survived");
	return 0;
}
