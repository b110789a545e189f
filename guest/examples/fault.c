/* fault.elf pf|gp|ud|de: raises that exception. */
#include <lockvm/guest.h>

int main(int argc, char **argv)
{
	const char *kind = argc > 1 ? argv[1] : "";
	if (lv_strcmp(kind, "pf") == 0)
		*(volatile int *)0 = 1; /* null page is never mapped */
	else if (lv_strcmp(kind, "gp") == 0)
		*(volatile long *)0x8000000000000000ULL = 1; /* non-canonical */
	else if (lv_strcmp(kind, "ud") == 0)
		__asm__ volatile("ud2");
	else if (lv_strcmp(kind, "de") == 0) {
		/* An explicit DIV: the compiler may not fold it away. */
		unsigned long quotient = 100, remainder = 0, zero = 0;
		__asm__ volatile("divq %2" : "+a"(quotient), "+d"(remainder) : "r"(zero));
		lv_printf("%lu\n", quotient);
	}
	lv_puts("usage: fault.elf pf|gp|ud|de");
	return 2;
}
