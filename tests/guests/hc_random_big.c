/* Hostile: asks for more random bytes in one call than the runner allows. */
#include "hostile.h"
int main(int argc, char **argv)
{
	lv_random((void *)0x1000000, 1u << 20);
	lv_puts("survived");
	return 0;
}
