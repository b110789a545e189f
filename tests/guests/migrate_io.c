/* migrate_io.elf: loops 4 MiB disk reads and 64 KiB random reads, and checks at the next turn (after a migration, on the target) that the memory the VMM wrote still holds what it wrote. Needs --disk of >= 8 MiB whose sector k holds the 64-bit value k repeated. Prints "turn N" every 100 turns, "MISMATCH ..." with exit 3 on a difference, exits 0 on LOCKVM_EVENT_SHUTDOWN. */
#include "hostile.h"

#define SECTORS LOCKVM_BLK_MAX_SECTORS /* 4 MiB per read */
#define WORDS	(LOCKVM_SECTOR_SIZE / 8)

static uint64_t disk_buf[SECTORS * WORDS] __attribute__((aligned(4096)));
static uint8_t rand_buf[LOCKVM_RANDOM_MAX] __attribute__((aligned(4096)));
/* The guest's own record of what the VMM wrote (KVM's dirty log sees these writes). */
static uint64_t disk_base = UINT64_MAX, rand_sum;

static uint64_t checksum(const uint8_t *p, size_t len)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h;
}

int main(int argc, char **argv)
{
	uint64_t sectors;
	int ro;
	if (lv_blk_info(0, &sectors, &ro) < 0 || sectors < 2 * SECTORS) {
		lv_puts("migrate_io: needs a disk of at least 8 MiB");
		return 2;
	}
	for (uint64_t turn = 0;; turn++) {
		if (disk_base != UINT64_MAX) {
			for (uint64_t s = 0; s < SECTORS; s++)
				for (unsigned w = 0; w < WORDS; w++)
					if (disk_buf[s * WORDS + w] != disk_base + s) {
						lv_printf("MISMATCH: turn %llu: disk sector %llu holds %llu\n",
							  (unsigned long long)turn,
							  (unsigned long long)(disk_base + s),
							  (unsigned long long)disk_buf[s * WORDS + w]);
						return 3;
					}
			if (checksum(rand_buf, sizeof(rand_buf)) != rand_sum) {
				lv_printf("MISMATCH: turn %llu: random bytes changed\n",
					  (unsigned long long)turn);
				return 3;
			}
		}
		if (turn % 100 == 0)
			lv_printf("turn %llu\n", (unsigned long long)turn);
		if (lv_events() & LOCKVM_EVENT_SHUTDOWN)
			return 0;
		uint64_t base = (turn * 4099) % (sectors - SECTORS + 1);
		int rc = lv_blk_read(0, base, SECTORS, disk_buf);
		if (rc) {
			lv_printf("disk read: %d\n", rc);
			return 4;
		}
		disk_base = base;
		if (lv_random(rand_buf, sizeof(rand_buf)) != (long)sizeof(rand_buf))
			return 4;
		rand_sum = checksum(rand_buf, sizeof(rand_buf));
	}
}
