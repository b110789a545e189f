/* Unit tests of the ELF loader: a good image, and one golden error message per way an image can be bad. */
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "elf_image.h"

#define FILE_SIZE 0x3000
static uint8_t file[FILE_SIZE];
static const struct elf_limits limits = {.load_min = 0x200000, .load_max = 0x3000000};

static Elf64_Ehdr *eh(void)
{
	return (Elf64_Ehdr *)file;
}
static Elf64_Phdr *ph(unsigned i)
{
	return (Elf64_Phdr *)(file + sizeof(Elf64_Ehdr)) + i;
}

/* A valid image: text (R X) at 0x400000 and data+bss (RW) at 0x401000. */
static void build_good(void)
{
	memset(file, 0, sizeof(file));
	Elf64_Ehdr *h = eh();
	memcpy(h->e_ident, ELFMAG, SELFMAG);
	h->e_ident[EI_CLASS] = ELFCLASS64;
	h->e_ident[EI_DATA] = ELFDATA2LSB;
	h->e_ident[EI_VERSION] = EV_CURRENT;
	h->e_type = ET_EXEC;
	h->e_machine = EM_X86_64;
	h->e_version = EV_CURRENT;
	h->e_entry = 0x400010;
	h->e_phoff = sizeof(Elf64_Ehdr);
	h->e_ehsize = sizeof(Elf64_Ehdr);
	h->e_phentsize = sizeof(Elf64_Phdr);
	h->e_phnum = 2;
	*ph(0) = (Elf64_Phdr){.p_type = PT_LOAD,
			      .p_flags = PF_R | PF_X,
			      .p_offset = 0x1000,
			      .p_vaddr = 0x400000,
			      .p_filesz = 0x100,
			      .p_memsz = 0x100,
			      .p_align = 0x1000};
	*ph(1) = (Elf64_Phdr){.p_type = PT_LOAD,
			      .p_flags = PF_R | PF_W,
			      .p_offset = 0x2000,
			      .p_vaddr = 0x401000,
			      .p_filesz = 0x10,
			      .p_memsz = 0x5000,
			      .p_align = 0x1000};
	memset(file + 0x1000, 0x90, 0x100);
	memset(file + 0x2000, 0xAB, 0x10);
}

static void good_image_parses(void **state)
{
	struct elf_image image;
	char err[256] = "";
	build_good();
	assert_int_equal(elf_parse(file, FILE_SIZE, &limits, &image, err, sizeof(err)), 0);
	assert_int_equal(image.entry, 0x400010);
	assert_int_equal(image.segment_count, 2);
	assert_int_equal(image.segments[0].flags, ELF_SEG_R | ELF_SEG_X);
	assert_int_equal(image.segments[1].flags, ELF_SEG_R | ELF_SEG_W);
	assert_int_equal(image.segments[1].memsz, 0x5000);
}

static void copy_zeroes_bss(void **state)
{
	struct elf_image image;
	char err[256];
	static uint8_t ram[0x800000];
	memset(ram, 0xFF, sizeof(ram));
	struct guest_mem mem = {.host = ram, .size = sizeof(ram)};
	struct elf_limits small = {.load_min = 0x200000, .load_max = sizeof(ram)};
	build_good();
	assert_int_equal(elf_parse(file, FILE_SIZE, &small, &image, err, sizeof(err)), 0);
	elf_copy(file, &image, &mem);
	assert_int_equal(ram[0x400000], 0x90);
	assert_int_equal(ram[0x401000], 0xAB);
	assert_int_equal(ram[0x401010], 0); /* bss zeroed */
	assert_int_equal(ram[0x405fff], 0);
	assert_int_equal(ram[0x406000], 0xFF); /* beyond memsz untouched */
}

struct bad_case {
	const char *name;
	void (*mutate)(void);
	uint64_t size; /* 0 = FILE_SIZE */
	const char *message;
};

static void m_magic(void)
{
	file[1] = 'X';
}
static void m_class(void)
{
	file[EI_CLASS] = ELFCLASS32;
}
static void m_endian(void)
{
	file[EI_DATA] = ELFDATA2MSB;
}
static void m_version(void)
{
	eh()->e_version = 9;
}
static void m_osabi(void)
{
	file[EI_OSABI] = 9;
}
static void m_machine(void)
{
	eh()->e_machine = EM_AARCH64;
}
static void m_pie(void)
{
	eh()->e_type = ET_DYN;
}
static void m_core(void)
{
	eh()->e_type = ET_CORE;
}
static void m_ehsize(void)
{
	eh()->e_ehsize = 52;
}
static void m_nophdr(void)
{
	eh()->e_phnum = 0;
}
static void m_manyphdr(void)
{
	eh()->e_phnum = 200;
}
static void m_phentsize(void)
{
	eh()->e_phentsize = 32;
}
static void m_phoff_past(void)
{
	eh()->e_phoff = FILE_SIZE - 8;
}
static void m_phoff_wrap(void)
{
	eh()->e_phoff = UINT64_MAX - 8;
}
static void m_phoff_misaligned(void)
{
	eh()->e_phoff = 65;
}
static void m_interp(void)
{
	ph(1)->p_type = PT_INTERP;
}
static void m_dynamic(void)
{
	ph(1)->p_type = PT_DYNAMIC;
}
static void m_file_past(void)
{
	ph(0)->p_filesz = FILE_SIZE;
}
static void m_file_wrap(void)
{
	ph(0)->p_offset = UINT64_MAX - 0x10;
	ph(0)->p_filesz = 0x100;
}
static void m_filesz(void)
{
	ph(1)->p_memsz = 0x8;
}
static void m_below(void)
{
	ph(0)->p_vaddr = 0x1000;
	ph(0)->p_offset = 0x1000;
}
static void m_above(void)
{
	ph(1)->p_vaddr = 0x2ffe000;
}
static void m_vaddr_wrap(void)
{
	ph(1)->p_vaddr = UINT64_MAX - 0xfff;
	ph(1)->p_offset = 0x2000;
}
static void m_align(void)
{
	ph(0)->p_align = 0x1800;
}
static void m_congruence(void)
{
	ph(0)->p_offset = 0x1010;
}
static void m_wx(void)
{
	ph(1)->p_flags = PF_R | PF_W | PF_X;
}
static void m_overlap(void)
{
	ph(1)->p_vaddr = 0x4000f0;
	ph(1)->p_offset = 0x10f0 + 0x1000;
}
static void m_entry(void)
{
	eh()->e_entry = 0x401000;
}
static void m_entry_outside(void)
{
	eh()->e_entry = 0x900000;
}
static void m_noload(void)
{
	ph(0)->p_type = PT_NOTE;
	ph(1)->p_type = PT_NOTE;
}

static const struct bad_case bad_cases[] = {
    {"short file", NULL, 10, "file too small for an ELF header (10 bytes)"},
    {"magic", m_magic, 0, "not an ELF file (bad magic)"},
    {"class", m_class, 0, "not a 64-bit ELF file (class 1)"},
    {"endianness", m_endian, 0, "not a little-endian ELF file"},
    {"version", m_version, 0, "unsupported ELF version 9"},
    {"OS ABI", m_osabi, 0, "unsupported OS ABI 9"},
    {"machine", m_machine, 0, "not an x86-64 executable (machine 183)"},
    {"PIE", m_pie, 0, "position-independent executable: link guests with -static -no-pie"},
    {"core file", m_core, 0, "not an executable (ELF type 4)"},
    {"header size", m_ehsize, 0, "ELF header size 52, want 64"},
    {"no program headers", m_nophdr, 0, "no program headers"},
    {"too many program headers", m_manyphdr, 0, "too many program headers (200, at most 128)"},
    {"program header size", m_phentsize, 0, "program header size 32, want 56"},
    {"table past end", m_phoff_past, 0,
     "program header table at offset 0x2ff8 runs past the end of the file"},
    {"table offset wraps", m_phoff_wrap, 0,
     "program header table at offset 0xfffffffffffffff7 runs past the end of the file"},
    {"table misaligned", m_phoff_misaligned, 0, "program header table offset 0x41 is misaligned"},
    {"PT_INTERP", m_interp, 0, "dynamically linked (has PT_INTERP): link guests with -static"},
    {"PT_DYNAMIC", m_dynamic, 0, "has a dynamic section (PT_DYNAMIC): link guests with -static"},
    {"segment past file", m_file_past, 0, "segment 0: file range runs past the end of the file"},
    {"segment offset wraps", m_file_wrap, 0, "segment 0: file range runs past the end of the file"},
    {"filesz > memsz", m_filesz, 0, "segment 1: file size 0x10 exceeds memory size 0x8"},
    {"segment below runner end", m_below, 0,
     "segment 0: [0x1000, 0x1100) is outside loadable guest memory [0x200000, 0x3000000)"},
    {"segment above limit", m_above, 0,
     "segment 1: [0x2ffe000, 0x3003000) is outside loadable guest memory [0x200000, 0x3000000)"},
    {"segment address wraps", m_vaddr_wrap, 0,
     "segment 1: [0xfffffffffffff000, 0xffffffffffffffff) is outside loadable guest memory "
     "[0x200000, 0x3000000)"},
    {"alignment not power of two", m_align, 0, "segment 0: alignment 0x1800 is not a power of two"},
    {"address/offset congruence", m_congruence, 0,
     "segment 0: address and file offset disagree modulo 4K"},
    {"W^X", m_wx, 0, "segment 1 is both writable and executable (W^X)"},
    {"overlap", m_overlap, 0, "segment 1 overlaps an earlier segment"},
    {"entry in data", m_entry, 0, "entry point 0x401000 is not inside an executable segment"},
    {"entry outside", m_entry_outside, 0,
     "entry point 0x900000 is not inside an executable segment"},
    {"no PT_LOAD", m_noload, 0, "no loadable segment"},
};

static void bad_images_refused_with_golden_messages(void **state)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct elf_image image;
		char err[256] = "";
		build_good();
		if (c->mutate)
			c->mutate();
		int rc = elf_parse(file, c->size ? c->size : FILE_SIZE, &limits, &image, err,
				   sizeof(err));
		if (rc != -1 || strcmp(err, c->message) != 0)
			fail_msg("case '%s': rc=%d message '%s', want '%s'", c->name, rc, err,
				 c->message);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(good_image_parses),
	    cmocka_unit_test(copy_zeroes_bss),
	    cmocka_unit_test(bad_images_refused_with_golden_messages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
