/* netsend.elf DST_MAC N [BATCH]: sends N frames to DST_MAC from the VM's NIC, BATCH per hypercall (default 64, at most LOCKVM_NET_BATCH_MAX), and prints the rate. */
#include <lockvm/guest.h>

#include "netlib.h"
#include "netsend_frame.h"

static uint8_t frames[LOCKVM_NET_BATCH_MAX][NETSEND_FRAME_LEN];
static struct lockvm_net_frame list[LOCKVM_NET_BATCH_MAX];

int main(int argc, char **argv)
{
	uint8_t mac[6], dst[6];
	uint32_t mtu;
	unsigned long long n, batch = LOCKVM_NET_BATCH_MAX, sent = 0;
	if (argc < 3 || net_parse_mac(argv[1], dst) < 0 || !(n = lv_strtoull(argv[2], 0, 10))) {
		lv_printf("usage: netsend.elf DST_MAC N [BATCH]\n");
		return 2;
	}
	if (argc > 3)
		batch = lv_strtoull(argv[3], 0, 10);
	if (batch < 1 || batch > LOCKVM_NET_BATCH_MAX) {
		lv_printf("netsend: BATCH must be 1 to %d\n", LOCKVM_NET_BATCH_MAX);
		return 2;
	}
	if (lv_net_info(mac, &mtu) < 0) {
		lv_printf("netsend: no NIC (run with --net)\n");
		return 3;
	}
	uint64_t start = lv_time_ns(LOCKVM_CLOCK_MONOTONIC);
	while (sent < n) {
		uint32_t k = (uint32_t)(n - sent < batch ? n - sent : batch);
		for (uint32_t i = 0; i < k; i++) {
			netsend_frame(frames[i], dst, mac, (uint32_t)(sent + i));
			list[i] = (struct lockvm_net_frame){.data = (uintptr_t)frames[i],
							    .len = NETSEND_FRAME_LEN};
		}
		long r = lv_net_send(list, k);
		if (r < 0) {
			lv_printf("netsend: send failed (%ld)\n", r);
			return 1;
		}
		sent += k;
	}
	uint64_t ns = lv_time_ns(LOCKVM_CLOCK_MONOTONIC) - start;
	lv_printf("netsend: %llu frames in %llu ns (%llu frames/s, batch %llu)\n", sent,
		  (unsigned long long)ns, ns ? sent * 1000000000ULL / ns : 0, batch);
	return 0;
}
