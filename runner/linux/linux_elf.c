/* Loader for static Linux executables (non-PIE and static-PIE), every field checked; and telling Linux programs from SDK guests. */
#include <elf.h>
#include <stdio.h>
#include <string.h>

#include "elf_image.h"
#include "linux.h"
#include "util.h"

/* Where a static-PIE is placed (Linux's ELF_ET_DYN_BASE would be far above RAM). */
#define LINUX_PIE_BASE 0x400000ULL
#define PAGE_MASK      (LOCKVM_PAGE_SIZE - 1)

/* The header and a pointer to a phnum-long, in-file program header table. */
static const char *read_header(const uint8_t *file, uint64_t size, Elf64_Ehdr *eh)
{
	if (size < sizeof(*eh))
		return "file too small for an ELF header";
	memcpy(eh, file, sizeof(*eh));
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
		return "not an ELF file (bad magic)";
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return "not a 64-bit little-endian ELF file";
	if (eh->e_machine != EM_X86_64)
		return "not an x86-64 executable";
	if (eh->e_ident[EI_VERSION] != EV_CURRENT || eh->e_version != EV_CURRENT)
		return "unsupported ELF version";
	if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN)
		return "not an executable";
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 ||
	    eh->e_phnum > ELF_MAX_PHDRS)
		return "bad program header table";
	uint64_t end;
	if (__builtin_add_overflow(eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr), &end) ||
	    end > size)
		return "program header table runs past the end of the file";
	return NULL;
}

static Elf64_Phdr phdr_at(const uint8_t *file, const Elf64_Ehdr *eh, unsigned i)
{
	Elf64_Phdr ph;
	memcpy(&ph, file + eh->e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
	return ph;
}

/* A GNU ABI-tag note ("GNU", type 1) in [off, off+len) of the file. */
static bool has_abi_note(const uint8_t *file, uint64_t size, uint64_t off, uint64_t len)
{
	uint64_t end;
	if (__builtin_add_overflow(off, len, &end) || end > size)
		return false;
	while (off + 12 <= end) {
		uint32_t namesz, descsz, type;
		memcpy(&namesz, file + off, 4);
		memcpy(&descsz, file + off + 4, 4);
		memcpy(&type, file + off + 8, 4);
		uint64_t name_end = off + 12 + (((uint64_t)namesz + 3) & ~3ULL);
		if (name_end > end)
			return false;
		if (type == NT_GNU_ABI_TAG && namesz == 4 && memcmp(file + off + 12, "GNU", 4) == 0)
			return true;
		off = name_end + (((uint64_t)descsz + 3) & ~3ULL);
	}
	return false;
}

bool linux_elf_looks_linux(const uint8_t *file, uint64_t size)
{
	Elf64_Ehdr eh;
	if (read_header(file, size, &eh))
		return false;
	if (eh.e_ident[EI_OSABI] == ELFOSABI_LINUX)
		return true;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph = phdr_at(file, &eh, i);
		if (ph.p_type == PT_TLS)
			return true;
		if (ph.p_type == PT_DYNAMIC && eh.e_type == ET_DYN)
			return true; /* static-PIE */
		if (ph.p_type == PT_NOTE && has_abi_note(file, size, ph.p_offset, ph.p_filesz))
			return true;
	}
	return false;
}

static unsigned prot_of(uint32_t p_flags)
{
	return ((p_flags & PF_R) ? LINUX_PROT_READ : 0) |
	       ((p_flags & PF_W) ? LINUX_PROT_WRITE : 0) | ((p_flags & PF_X) ? LINUX_PROT_EXEC : 0);
}

int linux_elf_load(struct linux_proc *proc, const uint8_t *file, uint64_t size, char *err,
		   size_t errlen)
{
	Elf64_Ehdr eh;
	const char *problem = read_header(file, size, &eh);
	if (problem)
		return err_fmt(err, errlen, "%s", problem);
	uint64_t lo = UINT64_MAX, hi = 0, max_align = LOCKVM_PAGE_SIZE, phdr_vaddr = 0;
	bool have_phdr = false, have_exec = false;
	unsigned loads = 0;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph = phdr_at(file, &eh, i);
		if (ph.p_type == PT_INTERP)
			return err_fmt(err, errlen,
				       "dynamically linked (asks for an interpreter): --linux runs "
				       "static programs only (link with -static or -static-pie)");
		if (ph.p_type == PT_PHDR) {
			phdr_vaddr = ph.p_vaddr;
			have_phdr = true;
		}
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		uint64_t file_end, mem_end;
		if (__builtin_add_overflow(ph.p_offset, ph.p_filesz, &file_end) ||
		    file_end > size || ph.p_filesz > ph.p_memsz ||
		    __builtin_add_overflow(ph.p_vaddr, ph.p_memsz, &mem_end) ||
		    mem_end > (1ULL << 46))
			return err_fmt(err, errlen, "segment %u: bad file or memory range", i);
		if ((ph.p_vaddr & PAGE_MASK) != (ph.p_offset & PAGE_MASK))
			return err_fmt(err, errlen,
				       "segment %u: address and file offset disagree modulo 4K", i);
		if (ph.p_align > 1 && (ph.p_align & (ph.p_align - 1)))
			return err_fmt(err, errlen, "segment %u: alignment is not a power of two",
				       i);
		if (ph.p_align > max_align)
			max_align = ph.p_align;
		if (ph.p_vaddr < lo)
			lo = ph.p_vaddr;
		if (mem_end > hi)
			hi = mem_end;
		loads++;
	}
	if (loads == 0)
		return err_fmt(err, errlen, "no loadable segment");
	if (loads > ELF_MAX_SEGMENTS)
		return err_fmt(err, errlen, "too many loadable segments (%u)", loads);
	lo &= ~PAGE_MASK;
	uint64_t bias = 0;
	if (eh.e_type == ET_DYN) {
		if (max_align > (2ULL << 20))
			max_align = 2ULL << 20;
		uint64_t base = (LINUX_PIE_BASE + max_align - 1) & ~(max_align - 1);
		bias = base - lo;
	}
	uint64_t load_lo = lo + bias, load_hi = hi + bias;
	if (load_lo < LOCKVM_RUNNER_END || load_hi > proc->stack_low)
		return err_fmt(
		    err, errlen,
		    "image [0x%llx, 0x%llx) does not fit between 0x%llx and the stack at "
		    "0x%llx (more --mem?)",
		    (unsigned long long)load_lo, (unsigned long long)load_hi,
		    (unsigned long long)LOCKVM_RUNNER_END, (unsigned long long)proc->stack_low);
	uint64_t span = ((load_hi + PAGE_MASK) & ~PAGE_MASK) - load_lo;
	/* Writable while copying; final rights below, page by page. */
	if (linux_mm_map(proc, load_lo, span, LINUX_PROT_READ | LINUX_PROT_WRITE, false) < 0)
		return err_fmt(err, errlen, "image does not fit in guest memory");
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph = phdr_at(file, &eh, i);
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		uint64_t dest = ph.p_vaddr + bias;
		if (linux_copy_out(proc, dest, file + ph.p_offset, ph.p_filesz) < 0 ||
		    linux_clear_user(proc, dest + ph.p_filesz, ph.p_memsz - ph.p_filesz) < 0)
			return err_fmt(err, errlen, "segment %u is outside guest memory", i);
		uint64_t entry = eh.e_entry + bias;
		if ((ph.p_flags & PF_X) && entry >= ph.p_vaddr + bias &&
		    entry - (ph.p_vaddr + bias) < ph.p_memsz)
			have_exec = true;
		if (!have_phdr && eh.e_phoff >= ph.p_offset &&
		    eh.e_phoff - ph.p_offset < ph.p_filesz) {
			phdr_vaddr = ph.p_vaddr + (eh.e_phoff - ph.p_offset);
			have_phdr = true;
		}
	}
	if (!have_exec)
		return err_fmt(err, errlen,
			       "entry point 0x%llx is not inside an executable segment",
			       (unsigned long long)eh.e_entry);
	/* Each page gets the union of the rights of the segments touching it;
	 * gaps between segments are given back. */
	for (uint64_t page = load_lo; page < load_lo + span; page += LOCKVM_PAGE_SIZE) {
		unsigned prot = 0;
		bool touched = false;
		for (unsigned i = 0; i < eh.e_phnum; i++) {
			Elf64_Phdr ph = phdr_at(file, &eh, i);
			if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
				continue;
			uint64_t s = (ph.p_vaddr + bias) & ~PAGE_MASK,
				 e = ph.p_vaddr + bias + ph.p_memsz;
			if (page >= s && page < e) {
				prot |= prot_of(ph.p_flags);
				touched = true;
			}
		}
		if (touched)
			linux_mm_map(proc, page, LOCKVM_PAGE_SIZE, prot, false);
		else
			linux_sys_munmap(proc, page, LOCKVM_PAGE_SIZE);
	}
	proc->tlb_stale = false; /* nothing ran yet */
	proc->entry = eh.e_entry + bias;
	proc->load_bias = bias;
	proc->phdr = have_phdr ? phdr_vaddr + bias : 0; /* both forms are link-time addresses */
	proc->phnum = eh.e_phnum;
	proc->image_end = load_hi;
	return 0;
}
