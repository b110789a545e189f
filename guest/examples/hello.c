/* hello.elf: prints a greeting, then each argument on its own line. */
#include <lockvm/guest.h>

int main(int argc, char **argv)
{
	lv_puts("hello from lockvm");
	for (int i = 1; i < argc; i++)
		lv_puts(argv[i]);
	return 0;
}
