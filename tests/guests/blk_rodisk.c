/* Hostile: writes to a disk attached read-only; must get -EROFS and the image must not change. */
#include "hostile.h"
static uint8_t sector[512];
int main(int argc, char **argv)
{
	memset(sector, 0x5A, sizeof(sector));
	lv_printf("write: %d\n", lv_blk_write(0, 0, 1, sector));
	return 0;
}
