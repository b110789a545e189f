/* Static ELF64 x86-64 loader with overflow-safe checks of every field. */
#include "elf_image.h"

#include <elf.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

static uint32_t segment_flags(uint32_t p_flags)
{
	return ((p_flags & PF_R) ? ELF_SEG_R : 0) | ((p_flags & PF_W) ? ELF_SEG_W : 0) |
	       ((p_flags & PF_X) ? ELF_SEG_X : 0);
}

static int check_header(const Elf64_Ehdr *eh, uint64_t file_size, char *err, size_t errlen)
{
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
		return err_fmt(err, errlen, "not an ELF file (bad magic)");
	if (eh->e_ident[EI_CLASS] != ELFCLASS64)
		return err_fmt(err, errlen, "not a 64-bit ELF file (class %u)",
			       eh->e_ident[EI_CLASS]);
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return err_fmt(err, errlen, "not a little-endian ELF file");
	if (eh->e_ident[EI_VERSION] != EV_CURRENT || eh->e_version != EV_CURRENT)
		return err_fmt(err, errlen, "unsupported ELF version %u", eh->e_version);
	if (eh->e_ident[EI_OSABI] != ELFOSABI_SYSV && eh->e_ident[EI_OSABI] != ELFOSABI_GNU)
		return err_fmt(err, errlen, "unsupported OS ABI %u", eh->e_ident[EI_OSABI]);
	if (eh->e_machine != EM_X86_64)
		return err_fmt(err, errlen, "not an x86-64 executable (machine %u)", eh->e_machine);
	if (eh->e_type == ET_DYN)
		return err_fmt(err, errlen,
			       "position-independent executable: link guests with -static -no-pie");
	if (eh->e_type != ET_EXEC)
		return err_fmt(err, errlen, "not an executable (ELF type %u)", eh->e_type);
	if (eh->e_ehsize != sizeof(Elf64_Ehdr))
		return err_fmt(err, errlen, "ELF header size %u, want %zu", eh->e_ehsize,
			       sizeof(Elf64_Ehdr));
	if (eh->e_phnum == 0)
		return err_fmt(err, errlen, "no program headers");
	if (eh->e_phnum > ELF_MAX_PHDRS)
		return err_fmt(err, errlen, "too many program headers (%u, at most %d)",
			       eh->e_phnum, ELF_MAX_PHDRS);
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return err_fmt(err, errlen, "program header size %u, want %zu", eh->e_phentsize,
			       sizeof(Elf64_Phdr));
	uint64_t table_end;
	if (add_overflows(eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr), &table_end) ||
	    table_end > file_size)
		return err_fmt(
		    err, errlen,
		    "program header table at offset 0x%llx runs past the end of the file",
		    (unsigned long long)eh->e_phoff);
	if (eh->e_phoff % 8)
		return err_fmt(err, errlen, "program header table offset 0x%llx is misaligned",
			       (unsigned long long)eh->e_phoff);
	return 0;
}

static int check_load(const Elf64_Phdr *ph, unsigned index, uint64_t file_size,
		      const struct elf_limits *limits, char *err, size_t errlen)
{
	uint64_t file_end, mem_end;
	if (add_overflows(ph->p_offset, ph->p_filesz, &file_end) || file_end > file_size)
		return err_fmt(err, errlen, "segment %u: file range runs past the end of the file",
			       index);
	if (ph->p_filesz > ph->p_memsz)
		return err_fmt(err, errlen,
			       "segment %u: file size 0x%llx exceeds memory size 0x%llx", index,
			       (unsigned long long)ph->p_filesz, (unsigned long long)ph->p_memsz);
	if (add_overflows(ph->p_vaddr, ph->p_memsz, &mem_end) || ph->p_vaddr < limits->load_min ||
	    mem_end > limits->load_max)
		return err_fmt(err, errlen,
			       "segment %u: [0x%llx, 0x%llx) is outside loadable guest memory "
			       "[0x%llx, 0x%llx)",
			       index, (unsigned long long)ph->p_vaddr,
			       (unsigned long long)(mem_end < ph->p_vaddr ? UINT64_MAX : mem_end),
			       (unsigned long long)limits->load_min,
			       (unsigned long long)limits->load_max);
	if (ph->p_align > 1 && (ph->p_align & (ph->p_align - 1)))
		return err_fmt(err, errlen, "segment %u: alignment 0x%llx is not a power of two",
			       index, (unsigned long long)ph->p_align);
	if (ph->p_align > 1 &&
	    (ph->p_vaddr % LOCKVM_PAGE_SIZE) != (ph->p_offset % LOCKVM_PAGE_SIZE))
		return err_fmt(err, errlen,
			       "segment %u: address and file offset disagree modulo 4K", index);
	if ((ph->p_flags & PF_W) && (ph->p_flags & PF_X))
		return err_fmt(err, errlen, "segment %u is both writable and executable (W^X)",
			       index);
	return 0;
}

int elf_parse(const uint8_t *file, uint64_t file_size, const struct elf_limits *limits,
	      struct elf_image *out, char *err, size_t errlen)
{
	Elf64_Ehdr eh;
	if (file_size < sizeof(eh))
		return err_fmt(err, errlen, "file too small for an ELF header (%llu bytes)",
			       (unsigned long long)file_size);
	memcpy(&eh, file, sizeof(eh));
	if (check_header(&eh, file_size, err, errlen) < 0)
		return -1;

	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, file + eh.e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
		if (ph.p_type == PT_INTERP)
			return err_fmt(
			    err, errlen,
			    "dynamically linked (has PT_INTERP): link guests with -static");
		if (ph.p_type == PT_DYNAMIC)
			return err_fmt(
			    err, errlen,
			    "has a dynamic section (PT_DYNAMIC): link guests with -static");
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		if (out->segment_count == ELF_MAX_SEGMENTS)
			return err_fmt(err, errlen, "too many loadable segments (at most %d)",
				       ELF_MAX_SEGMENTS);
		if (check_load(&ph, i, file_size, limits, err, errlen) < 0)
			return -1;
		/* Segments may share a page (the loader gives it the union of
		 * their permissions) but never bytes. */
		for (unsigned j = 0; j < out->segment_count; j++) {
			const struct elf_segment *other = &out->segments[j];
			if (ph.p_vaddr < other->vaddr + other->memsz &&
			    other->vaddr < ph.p_vaddr + ph.p_memsz)
				return err_fmt(err, errlen,
					       "segment %u overlaps an earlier segment", i);
		}
		out->segments[out->segment_count++] = (struct elf_segment){
		    .vaddr = ph.p_vaddr,
		    .memsz = ph.p_memsz,
		    .offset = ph.p_offset,
		    .filesz = ph.p_filesz,
		    .flags = segment_flags(ph.p_flags),
		};
	}
	if (out->segment_count == 0)
		return err_fmt(err, errlen, "no loadable segment");

	for (unsigned j = 0; j < out->segment_count; j++) {
		const struct elf_segment *seg = &out->segments[j];
		if ((seg->flags & ELF_SEG_X) && eh.e_entry >= seg->vaddr &&
		    eh.e_entry - seg->vaddr < seg->memsz) {
			out->entry = eh.e_entry;
			return 0;
		}
	}
	return err_fmt(err, errlen, "entry point 0x%llx is not inside an executable segment",
		       (unsigned long long)eh.e_entry);
}

void elf_copy(const uint8_t *file, const struct elf_image *image, struct guest_mem *mem)
{
	for (unsigned i = 0; i < image->segment_count; i++) {
		const struct elf_segment *seg = &image->segments[i];
		uint8_t *dest = guest_mem_ptr(mem, seg->vaddr, seg->memsz);
		if (!dest) /* elf_parse checked this against limits inside RAM */
			continue;
		memcpy(dest, file + seg->offset, seg->filesz);
		memset(dest + seg->filesz, 0, seg->memsz - seg->filesz);
	}
}
