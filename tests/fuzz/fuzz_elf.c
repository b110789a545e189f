/* libFuzzer target: the ELF loader on arbitrary bytes (parse, then copy into a small guest RAM). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "elf_image.h"

#define RAM (8u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *ram;
	if (!ram)
		ram = malloc(RAM);
	struct guest_mem mem = {.host = ram, .size = RAM};
	struct elf_limits limits = {.load_min = 0x200000, .load_max = RAM - 0x20000};
	struct elf_image image;
	char err[256];
	if (elf_parse(data, size, &limits, &image, err, sizeof(err)) == 0) {
		/* Whatever was accepted must copy inside RAM and the file. */
		elf_copy(data, &image, &mem);
	} else if (err[0] == '\0') {
		abort(); /* every refusal names its reason */
	}
	return 0;
}
