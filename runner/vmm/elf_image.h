/* Static ELF64 x86-64 loader: every field checked before use. Runs only in the confined VMM. */
#ifndef LOCKVM_ELF_H
#define LOCKVM_ELF_H

#include <stddef.h>
#include <stdint.h>

#include "memory.h"

#define ELF_MAX_PHDRS	 128
#define ELF_MAX_SEGMENTS 16

#define ELF_SEG_R 4u
#define ELF_SEG_W 2u
#define ELF_SEG_X 1u

struct elf_segment {
	uint64_t vaddr, memsz;	 /* guest range [vaddr, vaddr+memsz) */
	uint64_t offset, filesz; /* file range copied to its start */
	uint32_t flags;		 /* ELF_SEG_* */
};

struct elf_image {
	uint64_t entry;
	unsigned segment_count;
	struct elf_segment segments[ELF_MAX_SEGMENTS];
};

/* Where segments may be placed: [load_min, load_max). */
struct elf_limits {
	uint64_t load_min, load_max;
};

/*
 * Validates the ELF image in file[0, file_size) and describes its loadable
 * segments in *out. Needs nothing before it. Returns 0, or -1 with a
 * one-line reason (no prefix) in err.
 */
int elf_parse(const uint8_t *file, uint64_t file_size, const struct elf_limits *limits,
	      struct elf_image *out, char *err, size_t errlen);

/* Copies the segments of a parsed image into guest RAM and zeroes their
 * bss. Needs elf_parse() to have accepted the same file and limits inside
 * mem. */
void elf_copy(const uint8_t *file, const struct elf_image *image, struct guest_mem *mem);

#endif
