/* Hostile: disk requests past the end, wrapping, empty, oversized, and to a missing disk. */
#include "hostile.h"
static uint8_t buf[4 * 512];
int main(int argc, char **argv)
{
	uint64_t sectors;
	lv_blk_info(0, &sectors, 0);
	lv_printf("at end: %d\n", lv_blk_read(0, sectors, 1, buf));
	lv_printf("straddling end: %d\n", lv_blk_read(0, sectors - 1, 2, buf));
	lv_printf("wrapping: %d\n", lv_blk_read(0, 0xFFFFFFFFFFFFFFFEULL, 4, buf));
	lv_printf("zero count: %d\n", lv_blk_read(0, 0, 0, buf));
	lv_printf("too many: %d\n", lv_blk_read(0, 0, LOCKVM_BLK_MAX_SECTORS + 1, buf));
	lv_printf("no such disk: %d\n", lv_blk_read(7, 0, 1, buf));
	lv_printf("last sector: %d\n", lv_blk_read(0, sectors - 1, 1, buf));
	return 0;
}
