/* Hostile: breaks memory protection one way per argument (W^X, read-only pages, runner pages, privileged instructions). */
#include "hostile.h"
static const int constant = 42;
static unsigned char data_code[16] = { 0xC3 }; /* ret */
int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	if (!lv_strcmp(what, "write-text"))
		*(volatile unsigned char *)(uintptr_t)main = 0x90;
	else if (!lv_strcmp(what, "write-rodata"))
		*(volatile int *)&constant = 1;
	else if (!lv_strcmp(what, "exec-data"))
		((void (*)(void))(uintptr_t)data_code)();
	else if (!lv_strcmp(what, "exec-stack")) {
		volatile unsigned char code[4] = { 0xC3 };
		((void (*)(void))(uintptr_t)code)();
	} else if (!lv_strcmp(what, "write-bootinfo"))
		*(volatile uint32_t *)(uintptr_t)&lv_boot()->vcpu_count = 64;
	else if (!lv_strcmp(what, "write-pagetable"))
		*(volatile uint64_t *)0x50000 = 0;
	else if (!lv_strcmp(what, "read-idt"))
		lv_printf("%lx\n", *(volatile unsigned long *)0x4000);
	else if (!lv_strcmp(what, "exec-stub"))
		((void (*)(void))0x5000)();
	else if (!lv_strcmp(what, "hlt"))
		__asm__ volatile("hlt");
	else if (!lv_strcmp(what, "lgdt")) {
		struct __attribute__((packed)) { uint16_t limit; uint64_t base; } d = { 0, 0 };
		__asm__ volatile("lgdt %0" : : "m"(d));
	} else if (!lv_strcmp(what, "wrmsr"))
		__asm__ volatile("wrmsr" : : "c"(0xC0000082), "a"(0), "d"(0));
	else if (!lv_strcmp(what, "mov-cr3"))
		__asm__ volatile("mov %0, %%cr3" : : "r"(0x50000UL));
	else if (!lv_strcmp(what, "int80"))
		__asm__ volatile("int $0x80");
	else
		return 2;
	lv_puts("survived");
	return 0;
}
