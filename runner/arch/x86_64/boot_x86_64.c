/* x86-64 long-mode setup: identity page tables with per-segment permissions, GDT, TSS, IDT, fault stubs, boot info. */
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch.h"
#include "arch_x86_64.h"

/* Page-table entry bits. */
#define PTE_P	  (1ULL << 0)
#define PTE_RW	  (1ULL << 1)
#define PTE_US	  (1ULL << 2)
#define PTE_A	  (1ULL << 5)
#define PTE_D	  (1ULL << 6)
#define PTE_PS	  (1ULL << 7)
#define PTE_NX	  (1ULL << 63)
#define PTE_TABLE (PTE_P | PTE_RW | PTE_US | PTE_A) /* upper levels: permissive */
#define PAGE_2M	  (2ULL << 20)
#define PAGE_1G	  (1ULL << 30)

/* Permissions of RAM nobody claimed: the guest's heap. */
#define PERM_FREE (PTE_P | PTE_RW | PTE_US | PTE_NX)

struct elf_limits arch_image_limits(uint64_t ram_size, unsigned vcpu_count)
{
	uint64_t stacks = (uint64_t)vcpu_count * (LOCKVM_STACK_SIZE + LOCKVM_STACK_GUARD);
	return (struct elf_limits){
	    .load_min = LOCKVM_RUNNER_END,
	    .load_max = ram_size > stacks ? ram_size - stacks : 0,
	};
}

struct layout {
	struct vm *vm;
	const struct elf_image *image;
	uint64_t next_table;  /* page-table page allocator */
	uint64_t stacks_base; /* lowest byte of the stacks area */
	bool huge_1g;	      /* the guest CPU has 1 GiB pages (CPUID pdpe1gb) */
};

static uint64_t *table_alloc(struct layout *lay, uint64_t *gpa)
{
	if (lay->next_table >= X86_TABLES_END)
		return NULL;
	*gpa = lay->next_table;
	lay->next_table += LOCKVM_PAGE_SIZE;
	uint64_t *table = guest_mem_ptr(&lay->vm->mem, *gpa, LOCKVM_PAGE_SIZE);
	if (table)
		memset(table, 0, LOCKVM_PAGE_SIZE);
	return table;
}

/* Segment permissions of one page: the union over the segments touching
 * it. Returns 0 when no segment touches it. */
static uint64_t segment_perm(const struct elf_image *image, uint64_t page, int *wx)
{
	uint32_t flags = 0;
	bool touched = false;
	for (unsigned i = 0; i < image->segment_count; i++) {
		const struct elf_segment *seg = &image->segments[i];
		uint64_t start = seg->vaddr & ~(LOCKVM_PAGE_SIZE - 1);
		uint64_t end = seg->vaddr + seg->memsz;
		if (page >= start && page < end) {
			flags |= seg->flags;
			touched = true;
		}
	}
	if (!touched)
		return 0;
	if ((flags & ELF_SEG_W) && (flags & ELF_SEG_X))
		*wx = 1;
	return PTE_P | PTE_US | ((flags & ELF_SEG_W) ? PTE_RW : 0) |
	       ((flags & ELF_SEG_X) ? 0 : PTE_NX);
}

/* The permissions of the 4K page at `page`; 0 = not present. */
static uint64_t page_perm(struct layout *lay, uint64_t page, int *wx)
{
	if (page == 0)
		return 0; /* null dereferences fault */
	if (page < LOCKVM_RUNNER_END) {
		if (page == X86_STUBS_GPA)
			return PTE_P; /* ring-0 stubs: supervisor, read-only, executable */
		if (page >= LOCKVM_BOOTINFO_BASE && page < LOCKVM_BOOTINFO_END)
			return PTE_P | PTE_US | PTE_NX; /* boot info: the guest reads it */
		return PTE_P | PTE_RW | PTE_NX;		/* descriptor tables, stacks, page tables */
	}
	if (page >= lay->stacks_base) {
		uint64_t from_top = lay->vm->mem.size - page - 1;
		uint64_t slot = from_top % (LOCKVM_STACK_SIZE + LOCKVM_STACK_GUARD);
		return slot >= LOCKVM_STACK_SIZE ? 0 : PERM_FREE; /* guard below each stack */
	}
	uint64_t perm = segment_perm(lay->image, page, wx);
	return perm ? perm : PERM_FREE;
}

/* True when every page of the `size` region at `base` has PERM_FREE. */
static bool region_is_plain(struct layout *lay, uint64_t base, uint64_t size)
{
	if (base < LOCKVM_RUNNER_END || base + size > lay->stacks_base)
		return false;
	for (unsigned i = 0; i < lay->image->segment_count; i++) {
		const struct elf_segment *seg = &lay->image->segments[i];
		uint64_t start = seg->vaddr & ~(LOCKVM_PAGE_SIZE - 1);
		if (start < base + size && seg->vaddr + seg->memsz > base)
			return false;
	}
	return true;
}

static int build_page_tables(struct layout *lay, char *err, size_t errlen)
{
	uint64_t ram = lay->vm->mem.size, pml4_gpa, pdpt_gpa;
	uint64_t *pml4 = table_alloc(lay, &pml4_gpa);
	uint64_t *pdpt = table_alloc(lay, &pdpt_gpa);
	if (!pml4 || !pdpt || pml4_gpa != X86_PML4_GPA)
		goto out_of_tables;
	pml4[0] = pdpt_gpa | PTE_TABLE;
	for (uint64_t gib = 0; gib * PAGE_1G < ram; gib++) {
		/* A plain GiB is one 1 GiB page where the CPU has them: a 256 GiB
		 * guest then costs a few table pages, not one per GiB. */
		if (lay->huge_1g && region_is_plain(lay, gib * PAGE_1G, PAGE_1G)) {
			pdpt[gib] = gib * PAGE_1G | PERM_FREE | PTE_PS | PTE_A | PTE_D;
			continue;
		}
		uint64_t pd_gpa;
		uint64_t *pd = table_alloc(lay, &pd_gpa);
		if (!pd)
			goto out_of_tables;
		pdpt[gib] = pd_gpa | PTE_TABLE;
		for (unsigned i = 0; i < 512; i++) {
			uint64_t base = gib * PAGE_1G + (uint64_t)i * PAGE_2M;
			if (base >= ram)
				break;
			if (region_is_plain(lay, base, PAGE_2M)) {
				pd[i] = base | PERM_FREE | PTE_PS | PTE_A | PTE_D;
				continue;
			}
			uint64_t pt_gpa;
			uint64_t *pt = table_alloc(lay, &pt_gpa);
			if (!pt)
				goto out_of_tables;
			pd[i] = pt_gpa | PTE_TABLE;
			for (unsigned j = 0; j < 512; j++) {
				uint64_t page = base + (uint64_t)j * LOCKVM_PAGE_SIZE;
				int wx = 0;
				uint64_t perm = page_perm(lay, page, &wx);
				if (wx) {
					snprintf(err, errlen,
						 "image: page 0x%llx would be both writable and "
						 "executable (segments share it)",
						 (unsigned long long)page);
					return -1;
				}
				pt[j] = perm ? (page | perm | PTE_A | PTE_D) : 0;
			}
		}
	}
	/* The doorbell page: user-writable, never backed by RAM, so each
	 * write exits to the VMM as MMIO without any CPL 0 code. */
	uint64_t door_pd_gpa, door_pt_gpa;
	uint64_t *door_pd = table_alloc(lay, &door_pd_gpa);
	uint64_t *door_pt = table_alloc(lay, &door_pt_gpa);
	if (!door_pd || !door_pt)
		goto out_of_tables;
	pdpt[LOCKVM_DOORBELL_GPA / PAGE_1G] = door_pd_gpa | PTE_TABLE;
	door_pd[(LOCKVM_DOORBELL_GPA % PAGE_1G) / PAGE_2M] = door_pt_gpa | PTE_TABLE;
	door_pt[(LOCKVM_DOORBELL_GPA % PAGE_2M) / LOCKVM_PAGE_SIZE] =
	    LOCKVM_DOORBELL_GPA | PTE_P | PTE_RW | PTE_US | PTE_NX | PTE_A | PTE_D;
	return 0;
out_of_tables:
	snprintf(err, errlen, "image: too many distinct regions to map (page-table area full)");
	return -1;
}

static void gdt_setup(struct vm *vm)
{
	uint64_t *gdt = guest_mem_ptr(&vm->mem, X86_GDT_GPA, LOCKVM_PAGE_SIZE);
	memset(gdt, 0, LOCKVM_PAGE_SIZE);
	/* Accessed bits preset so the CPU never writes these descriptors. */
	gdt[X86_SEL_KERNEL_CS >> 3] = 0x00AF9B000000FFFFULL; /* 64-bit code, DPL 0 */
	gdt[X86_SEL_KERNEL_DS >> 3] = 0x00CF93000000FFFFULL; /* data, DPL 0 */
	gdt[X86_SEL_USER_CS32 >> 3] = 0x00CFFB000000FFFFULL; /* (sysret layout) */
	gdt[X86_SEL_USER_DS >> 3] = 0x00CFF3000000FFFFULL;   /* data, DPL 3 */
	gdt[X86_SEL_USER_CS >> 3] = 0x00AFFB000000FFFFULL;   /* 64-bit code, DPL 3 */
	for (unsigned i = 0; i < vm->vcpu_count; i++) {
		uint64_t base = X86_TSS_GPA + (uint64_t)i * X86_TSS_STRIDE;
		uint64_t limit = X86_TSS_LIMIT;
		unsigned slot = (X86_SEL_TSS(i)) >> 3;
		/* 64-bit TSS (busy), present, DPL 0; 16 bytes. */
		gdt[slot] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (0x8BULL << 40) |
			    (((limit >> 16) & 0xF) << 48) | (((base >> 24) & 0xFF) << 56);
		gdt[slot + 1] = base >> 32;
		uint8_t *tss = guest_mem_ptr(&vm->mem, base, X86_TSS_STRIDE);
		memset(tss, 0, X86_TSS_STRIDE);
		uint64_t rsp0 = X86_RING0_STACKS_GPA + (uint64_t)(i + 1) * LOCKVM_PAGE_SIZE;
		memcpy(tss + 4, &rsp0, sizeof(rsp0));
		uint16_t iomap = X86_TSS_LIMIT + 1; /* no I/O bitmap: IOPL 3 rules */
		memcpy(tss + 102, &iomap, sizeof(iomap));
	}
}

/* Vectors whose exception pushes an error code. */
static bool vector_has_error_code(unsigned v)
{
	return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30;
}

/* A 64-bit interrupt gate to `handler` in kernel CS, usable from `dpl`. */
static void idt_gate(uint8_t *idt, unsigned vector, uint64_t handler, unsigned dpl)
{
	uint8_t *gate = idt + (size_t)vector * 16;
	uint32_t high = (uint32_t)(handler >> 32);
	gate[0] = handler & 0xFF;
	gate[1] = (handler >> 8) & 0xFF;
	gate[2] = X86_SEL_KERNEL_CS;
	gate[3] = 0;
	gate[4] = 0;				/* IST 0: TSS.rsp0 */
	gate[5] = (uint8_t)(0x8E | (dpl << 5)); /* present, interrupt gate */
	gate[6] = (handler >> 16) & 0xFF;
	gate[7] = (handler >> 24) & 0xFF;
	memcpy(gate + 8, &high, sizeof(high));
}

static void idt_setup(struct vm *vm)
{
	uint8_t *stubs = guest_mem_ptr(&vm->mem, X86_STUBS_GPA, LOCKVM_PAGE_SIZE);
	uint8_t *idt = guest_mem_ptr(&vm->mem, X86_IDT_GPA, LOCKVM_PAGE_SIZE);
	memset(stubs, 0xCC, LOCKVM_PAGE_SIZE);
	memset(idt, 0, LOCKVM_PAGE_SIZE);
	for (unsigned v = 0; v < X86_STUB_VECTORS; v++) {
		/* Stub: [push $0;] push $v; hlt; jmp . — the VMM reads the
		 * frame on HLT. Three instructions, since CPL 0 code is
		 * emulated on the development hosts. */
		uint8_t *s = stubs + (size_t)v * X86_STUB_SIZE;
		unsigned n = 0;
		if (!vector_has_error_code(v)) {
			s[n++] = 0x6A;
			s[n++] = 0x00;
		}
		s[n++] = 0x6A;
		s[n++] = (uint8_t)v;
		s[n++] = 0xF4;
		s[n++] = 0xEB;
		s[n++] = 0xFE;
		uint64_t handler = X86_STUBS_GPA + (uint64_t)v * X86_STUB_SIZE;
		idt_gate(idt, v, handler, 0);
	}
}

static int boot_info_setup(struct vm *vm, const struct boot_args *args, char *err, size_t errlen)
{
	uint8_t *area = guest_mem_ptr(&vm->mem, X86_ARGS_GPA, LOCKVM_ARGS_AREA);
	uint64_t pointers = ((uint64_t)args->argc + 1) * sizeof(uint64_t), used = pointers;
	if (args->argc > LOCKVM_MAX_ARGS) {
		snprintf(err, errlen, "too many guest arguments (%u, at most %d)", args->argc,
			 LOCKVM_MAX_ARGS);
		return -1;
	}
	memset(area, 0, LOCKVM_ARGS_AREA);
	for (unsigned i = 0; i < args->argc; i++) {
		size_t len = strlen(args->argv[i]) + 1;
		if (used + len > LOCKVM_ARGS_AREA) {
			snprintf(err, errlen, "guest arguments too long (at most %d bytes in all)",
				 LOCKVM_ARGS_AREA);
			return -1;
		}
		uint64_t gpa = X86_ARGS_GPA + used;
		memcpy(area + used, args->argv[i], len);
		memcpy(area + i * sizeof(uint64_t), &gpa, sizeof(gpa));
		used += len;
	}
	for (unsigned i = 0; i < vm->vcpu_count; i++) {
		struct lockvm_boot_info *bi = guest_mem_ptr(
		    &vm->mem, X86_BOOTINFO_GPA + (uint64_t)i * X86_BOOTINFO_STRIDE, sizeof(*bi));
		memset(bi, 0, sizeof(*bi));
		bi->abi_version = LOCKVM_ABI_VERSION;
		bi->vcpu_index = i;
		bi->vcpu_count = vm->vcpu_count;
		bi->argc = args->argc;
		bi->ram_size = vm->mem.size;
		bi->argv = X86_ARGS_GPA;
		bi->stack_top = x86_stack_top(vm->mem.size, i);
		bi->disk_count = vm->disk_count;
		for (unsigned d = 0; d < vm->disk_count; d++) {
			bi->disks[d].sectors = vm->disks[d].sectors;
			bi->disks[d].read_only = vm->disks[d].read_only;
		}
	}
	return 0;
}

void x86_setup_descriptors(struct vm *vm)
{
	gdt_setup(vm);
	idt_setup(vm);
}

int arch_setup_memory(struct vm *vm, const struct elf_image *image, const struct boot_args *args,
		      char *err, size_t errlen)
{
	_Static_assert(sizeof(struct lockvm_boot_info) <= X86_BOOTINFO_STRIDE, "boot info");
	_Static_assert(X86_BOOTINFO_GPA + LOCKVM_MAX_VCPUS * X86_BOOTINFO_STRIDE <= X86_ARGS_GPA,
		       "boot info area");
	_Static_assert(X86_TSS_GPA + LOCKVM_MAX_VCPUS * X86_TSS_STRIDE <= X86_IDT_GPA, "TSS area");
	struct layout lay = {
	    .vm = vm,
	    .image = image,
	    .next_table = X86_PML4_GPA,
	    .stacks_base = arch_image_limits(vm->mem.size, vm->vcpu_count).load_max,
	    .huge_1g = x86_has_1g_pages(vm->kvm_fd),
	};
	if (build_page_tables(&lay, err, errlen) < 0)
		return -1;
	gdt_setup(vm);
	idt_setup(vm);
	return boot_info_setup(vm, args, err, errlen);
}
