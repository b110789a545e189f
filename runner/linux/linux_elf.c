/* ELF images of Linux programs and their interpreters: every field checked before anything is mapped (linux_elf_parse), then the segments written through the checked copies (linux_elf_map); and telling Linux programs from SDK guests. */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "elf_image.h"
#include "linux.h"
#include "util.h"

#define PAGE_MASK (LOCKVM_PAGE_SIZE - 1)

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

static Elf64_Phdr phdr_at(const uint8_t *file, uint64_t phoff, unsigned i)
{
	Elf64_Phdr ph;
	memcpy(&ph, file + phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
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
		Elf64_Phdr ph = phdr_at(file, eh.e_phoff, i);
		if (ph.p_type == PT_TLS)
			return true;
		if (ph.p_type == PT_DYNAMIC && eh.e_type == ET_DYN)
			return true; /* static-PIE */
		if (ph.p_type == PT_NOTE && has_abi_note(file, size, ph.p_offset, ph.p_filesz))
			return true;
	}
	return false;
}

/* PT_INTERP: a NUL-terminated path inside the file, as Linux wants it. */
static const char *check_interp(const uint8_t *file, uint64_t size, const Elf64_Phdr *ph,
				struct linux_elf *elf)
{
	uint64_t end;
	if (elf->interp_len)
		return "more than one interpreter (PT_INTERP)";
	if (ph->p_filesz < 2 || ph->p_filesz > LINUX_PATH_MAX ||
	    __builtin_add_overflow(ph->p_offset, ph->p_filesz, &end) || end > size)
		return "bad interpreter path (PT_INTERP)";
	/* As Linux: the last byte NUL; the path is the string before the first. */
	const char *path = (const char *)file + ph->p_offset;
	if (path[ph->p_filesz - 1] != '\0' || path[0] == '\0')
		return "interpreter path (PT_INTERP) is not a NUL-terminated string";
	elf->interp_off = ph->p_offset;
	elf->interp_len = strlen(path);
	return NULL;
}

/* One PT_LOAD: in the file, in the address space, offset and address congruent. */
static const char *check_load(uint64_t size, const Elf64_Phdr *ph, struct linux_elf *elf)
{
	uint64_t file_end, mem_end;
	if (__builtin_add_overflow(ph->p_offset, ph->p_filesz, &file_end) || file_end > size ||
	    ph->p_filesz > ph->p_memsz ||
	    __builtin_add_overflow(ph->p_vaddr, ph->p_memsz, &mem_end) || mem_end > (1ULL << 46))
		return "a segment has a bad file or memory range";
	if ((ph->p_vaddr & PAGE_MASK) != (ph->p_offset & PAGE_MASK))
		return "a segment's address and file offset disagree modulo 4K";
	if (ph->p_align > 1 && (ph->p_align & (ph->p_align - 1)))
		return "a segment's alignment is not a power of two";
	if (ph->p_align > elf->max_align)
		elf->max_align = ph->p_align;
	if (ph->p_vaddr < elf->lo)
		elf->lo = ph->p_vaddr;
	if (mem_end > elf->hi)
		elf->hi = mem_end;
	return NULL;
}

/* The entry in an executable segment; the program headers in a loaded one. */
static const char *check_entry(const uint8_t *file, const Elf64_Ehdr *eh, struct linux_elf *elf)
{
	bool have_exec = false;
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph = phdr_at(file, eh->e_phoff, i);
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		if ((ph.p_flags & PF_X) && eh->e_entry >= ph.p_vaddr &&
		    eh->e_entry - ph.p_vaddr < ph.p_memsz)
			have_exec = true;
		if (!elf->have_phdr && eh->e_phoff >= ph.p_offset &&
		    eh->e_phoff - ph.p_offset < ph.p_filesz) {
			elf->phdr = ph.p_vaddr + (eh->e_phoff - ph.p_offset);
			elf->have_phdr = true;
		}
	}
	return have_exec ? NULL : "the entry point is not inside an executable segment";
}

int linux_elf_parse(const uint8_t *file, uint64_t size, struct linux_elf *elf, char *err,
		    size_t errlen)
{
	Elf64_Ehdr eh = {0};
	const char *problem = read_header(file, size, &eh);
	*elf = (struct linux_elf){.lo = UINT64_MAX, .max_align = LOCKVM_PAGE_SIZE};
	unsigned loads = 0;
	for (unsigned i = 0; !problem && i < eh.e_phnum; i++) {
		Elf64_Phdr ph = phdr_at(file, eh.e_phoff, i);
		if (ph.p_type == PT_INTERP)
			problem = check_interp(file, size, &ph, elf);
		if (ph.p_type == PT_PHDR) {
			elf->phdr = ph.p_vaddr;
			elf->have_phdr = true;
		}
		if (ph.p_type == PT_LOAD && ph.p_memsz) {
			problem = check_load(size, &ph, elf);
			loads++;
		}
	}
	if (!problem && loads == 0)
		problem = "no loadable segment";
	if (!problem && loads > ELF_MAX_SEGMENTS)
		problem = "too many loadable segments";
	if (!problem)
		problem = check_entry(file, &eh, elf);
	if (problem)
		return err_fmt(err, errlen, "%s", problem);
	elf->lo &= ~PAGE_MASK;
	elf->hi = (elf->hi + PAGE_MASK) & ~PAGE_MASK;
	if (elf->max_align > (2ULL << 20))
		elf->max_align = 2ULL << 20;
	elf->dyn = eh.e_type == ET_DYN;
	elf->entry = eh.e_entry;
	elf->phoff = eh.e_phoff;
	elf->phnum = eh.e_phnum;
	return 0;
}

static unsigned prot_of(uint32_t p_flags)
{
	return ((p_flags & PF_R) ? LINUX_PROT_READ : 0) |
	       ((p_flags & PF_W) ? LINUX_PROT_WRITE : 0) | ((p_flags & PF_X) ? LINUX_PROT_EXEC : 0);
}

/* The union of the rights of the segments touching the page at link-time address `page`. */
static unsigned page_prot(const uint8_t *file, const struct linux_elf *elf, uint64_t page,
			  bool *touched)
{
	unsigned prot = 0;
	*touched = false;
	for (unsigned i = 0; i < elf->phnum; i++) {
		Elf64_Phdr ph = phdr_at(file, elf->phoff, i);
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		if (page >= (ph.p_vaddr & ~PAGE_MASK) && page < ph.p_vaddr + ph.p_memsz) {
			prot |= prot_of(ph.p_flags);
			*touched = true;
		}
	}
	return prot;
}

/* The file offset of the page at link-time address `page` when one
 * segment alone touches it, read-only, and its file bytes cover the page
 * whole: the page is that file page as it is, the same for every process
 * running the program. */
static bool page_of_file(const uint8_t *file, const struct linux_elf *elf, uint64_t page,
			 uint64_t *off)
{
	unsigned segments = 0;
	bool whole = false;
	for (unsigned i = 0; i < elf->phnum; i++) {
		Elf64_Phdr ph = phdr_at(file, elf->phoff, i);
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		if (page < (ph.p_vaddr & ~PAGE_MASK) || page >= ph.p_vaddr + ph.p_memsz)
			continue;
		segments++;
		whole = !(ph.p_flags & PF_W) && page >= ph.p_vaddr &&
			page + LOCKVM_PAGE_SIZE <= ph.p_vaddr + ph.p_filesz;
		if (whole)
			*off = ph.p_offset + (page - ph.p_vaddr);
	}
	return segments == 1 && whole && !(*off & PAGE_MASK);
}

/* Segment ph's file bytes copied in, but the pages mapped from the cache. */
static int copy_segment(struct linux_proc *proc, const uint8_t *file, const struct linux_elf *elf,
			const Elf64_Phdr *ph, uint64_t bias, struct linux_exec_file *cached)
{
	uint64_t at = ph->p_vaddr, end = ph->p_vaddr + ph->p_filesz;
	while (at < end) {
		uint64_t page = at & ~PAGE_MASK, off;
		uint64_t next = page + LOCKVM_PAGE_SIZE < end ? page + LOCKVM_PAGE_SIZE : end;
		if (!cached || !page_of_file(file, elf, page, &off) ||
		    !linux_exec_share_frame(proc, cached, off, false)) {
			const uint8_t *from = file + ph->p_offset + (at - ph->p_vaddr);
			if (linux_copy_out(proc, at + bias, from, next - at) < 0)
				return -EFAULT;
		}
		at = next;
	}
	return 0;
}

/* Each segment's pages holding its file bytes (a bss page past them holds
 * none) are a mapping of their own named `name`, as Linux's loader maps
 * each segment: a later one takes a page two share. */
static int name_segments(struct linux_proc *proc, const uint8_t *file, const struct linux_elf *elf,
			 uint64_t bias, const struct linux_vma_file *name)
{
	for (unsigned i = 0; name && i < elf->phnum; i++) {
		Elf64_Phdr ph = phdr_at(file, elf->phoff, i);
		if (ph.p_type != PT_LOAD || ph.p_filesz == 0)
			continue;
		uint64_t start = ph.p_vaddr & ~PAGE_MASK;
		uint64_t end = (ph.p_vaddr + ph.p_filesz + PAGE_MASK) & ~PAGE_MASK;
		struct linux_vma_file *own =
		    linux_vma_file_new(name->fs, name->node, name->path, name->dev, name->ino);
		int rc = own ? linux_vma_name(proc->mm, start + bias, end + bias, own,
					      ph.p_offset & ~PAGE_MASK)
			     : 0;
		linux_vma_file_put(own);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int linux_elf_map(struct linux_proc *proc, const uint8_t *file, const struct linux_elf *elf,
		  uint64_t bias, struct linux_exec_file *cached, struct linux_vma_file *name)
{
	uint64_t span = elf->hi - elf->lo;
	/* Zeroed and writable while copying; final rights below, page by page.
	 * With the cache's copy: no frames at first, the file's shared pages
	 * put in, then fresh frames for the others. */
	int rc = linux_mm_map(proc, elf->lo + bias, span,
			      cached ? 0u : LINUX_PROT_READ | LINUX_PROT_WRITE, true);
	for (uint64_t page = elf->lo; cached && rc == 0 && page < elf->hi;
	     page += LOCKVM_PAGE_SIZE) {
		uint64_t off, frame;
		if (page_of_file(file, elf, page, &off) &&
		    (frame = linux_exec_share_frame(proc, cached, off, true)) != 0)
			rc = linux_mm_map_frame(proc, page + bias, frame);
	}
	if (cached && rc == 0)
		rc = linux_mm_map(proc, elf->lo + bias, span, LINUX_PROT_READ | LINUX_PROT_WRITE,
				  false);
	if (rc < 0)
		return rc;
	for (unsigned i = 0; i < elf->phnum; i++) {
		Elf64_Phdr ph = phdr_at(file, elf->phoff, i);
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		if (copy_segment(proc, file, elf, &ph, bias, cached) < 0)
			return -EFAULT;
	}
	/* Gaps between segments are given back. */
	for (uint64_t page = elf->lo; page < elf->hi; page += LOCKVM_PAGE_SIZE) {
		bool touched;
		unsigned prot = page_prot(file, elf, page, &touched);
		if (touched)
			rc = linux_mm_map(proc, page + bias, LOCKVM_PAGE_SIZE, prot, false);
		else
			rc = (int)linux_sys_munmap(proc, page + bias, LOCKVM_PAGE_SIZE);
		if (rc < 0)
			return rc;
	}
	return name_segments(proc, file, elf, bias, name);
}
