/* spin.elf: loops forever (for timeouts and stop tests). */
#include <lockvm/guest.h>

int main(int argc, char **argv)
{
	for (;;)
		__asm__ volatile("pause");
}
