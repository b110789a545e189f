/* Hostile: vCPU 1 flips the source MAC of a frame between the NIC's own and a forged one while vCPU 0 sends it; only the NIC's checked copy may reach the tap, never guest memory read again after the check. */
#include "hostile.h"

#define FRAME_LEN 60

static uint8_t frame[FRAME_LEN] __attribute__((aligned(64)));
static volatile uint32_t go, stop;

void vcpu_main(unsigned index)
{
	while (__atomic_load_n(&go, __ATOMIC_ACQUIRE) == 0)
		lv_wait(&go, 0, 0);
	volatile uint8_t *last = &frame[11]; /* the source MAC's last byte */
	uint8_t own = *last, forged = own ^ 0x55;
	while (__atomic_load_n(&stop, __ATOMIC_RELAXED) == 0) {
		*last = forged;
		*last = own;
	}
	lv_park();
}

int main(int argc, char **argv)
{
	uint8_t mac[6];
	uint32_t mtu;
	if (lv_net_info(mac, &mtu) < 0 || lv_vcpu_count() < 2) {
		lv_puts("usage: net_race.elf [N] (needs --net and --vcpus 2)");
		return 2;
	}
	unsigned long n = argc > 1 ? lv_strtoull(argv[1], 0, 10) : 5000, sent = 0;
	static const uint8_t dst[6] = {0x02, 0, 0, 0, 0, 0x99}; /* nobody: flooded */
	memcpy(frame, dst, 6);
	memcpy(frame + 6, mac, 6);
	frame[12] = 0x88; /* EtherType 0x88b5: local experimental */
	frame[13] = 0xb5;
	__atomic_store_n(&go, 1, __ATOMIC_RELEASE);
	lv_wake(&go);
	for (unsigned long i = 0; i < n; i++)
		sent += lv_net_send1(frame, FRAME_LEN) == 1;
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	lv_printf("net_race: %lu of %lu sends returned 1\n", sent, n);
	return 0;
}
