/* blkcopy.elf [wait]: copies disk 0 onto disk 1 in full, in 1 MiB requests;
 * with "wait", then stays up until `lockvm stop` (lockvm stats reads its
 * disk counters meanwhile). */
#include <lockvm/guest.h>

#define CHUNK_SECTORS 2048u
static uint8_t buffer[CHUNK_SECTORS * LOCKVM_SECTOR_SIZE];

int main(int argc, char **argv)
{
	uint64_t from_sectors, to_sectors;
	int ro;
	if (lv_blk_info(0, &from_sectors, &ro) < 0 || lv_blk_info(1, &to_sectors, &ro) < 0) {
		lv_puts("blkcopy: needs two disks");
		return 2;
	}
	if (ro) {
		lv_puts("blkcopy: disk 1 is read-only");
		return 2;
	}
	if (to_sectors < from_sectors) {
		lv_printf("blkcopy: disk 1 (%lu sectors) is smaller than disk 0 (%lu)\n",
			  (unsigned long)to_sectors, (unsigned long)from_sectors);
		return 2;
	}
	for (uint64_t s = 0; s < from_sectors; s += CHUNK_SECTORS) {
		uint32_t n = from_sectors - s < CHUNK_SECTORS ? (uint32_t)(from_sectors - s)
							      : CHUNK_SECTORS;
		int rc = lv_blk_read(0, s, n, buffer);
		if (rc == 0)
			rc = lv_blk_write(1, s, n, buffer);
		if (rc < 0) {
			lv_printf("blkcopy: I/O error %d at sector %lu\n", rc, (unsigned long)s);
			return 1;
		}
	}
	lv_printf("copied %lu sectors\n", (unsigned long)from_sectors);
	if (argc > 1 && argv[1][0] == 'w')
		while (!(lv_events() & LOCKVM_EVENT_SHUTDOWN))
			lv_sleep_ns(100000000ULL);
	return 0;
}
