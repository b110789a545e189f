/* Memory of a Linux-ABI guest: 4K identity page tables the VMM edits for brk/mmap/munmap/mprotect/mremap/madvise, the fault and mapping calls (program addresses become host pointers in linux_uaccess.c). */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <string.h>
#include <sys/mman.h>

#include "arch_x86_64.h"
#include "linux.h"
#include "linux_pte.h"

/* Upper levels, in the runner's table area. */
#define LINUX_PML4_ALT_GPA (X86_PML4_GPA + 1 * PAGE) /* same tables: switching flushes the TLB */
#define LINUX_PDPT_GPA	   (X86_PML4_GPA + 2 * PAGE)
#define LINUX_DOOR_PD_GPA  (X86_PML4_GPA + 3 * PAGE)
#define LINUX_DOOR_PT_GPA  (X86_PML4_GPA + 4 * PAGE)
#define LINUX_PD_GPA	   (X86_PML4_GPA + 5 * PAGE)

/* mmap() hands out nothing below this (Linux's vm.mmap_min_addr). */
#define LINUX_MMAP_MIN 0x10000ULL

static uint64_t page_up(uint64_t x)
{
	return (x + PAGE_MASK) & ~PAGE_MASK;
}

static uint64_t *table(struct linux_proc *proc, uint64_t gpa)
{
	return guest_mem_ptr(&proc->vm->mem, gpa, PAGE);
}

int linux_mm_init(struct linux_proc *proc, char *err, size_t errlen)
{
	struct guest_mem *mem = &proc->vm->mem;
	uint64_t pages = mem->size / PAGE;
	uint64_t pt_pages = pages / 512;
	uint64_t pd_pages = (mem->size + PAGE_1G - 1) / PAGE_1G;
	if (LINUX_PD_GPA + pd_pages * PAGE > X86_TABLES_END) {
		snprintf(err, errlen, "--mem too large for a Linux guest's page tables");
		return -1;
	}
	proc->tables_gpa = mem->size - pt_pages * PAGE;
	proc->user_top = proc->tables_gpa;
	proc->ptes = guest_mem_ptr(mem, proc->tables_gpa, pt_pages * PAGE);
	uint64_t *pml4 = table(proc, X86_PML4_GPA), *pml4_alt = table(proc, LINUX_PML4_ALT_GPA);
	uint64_t *pdpt = table(proc, LINUX_PDPT_GPA);
	uint64_t *door_pd = table(proc, LINUX_DOOR_PD_GPA),
		 *door_pt = table(proc, LINUX_DOOR_PT_GPA);
	if (!proc->ptes || !pml4 || !pml4_alt || !pdpt || !door_pd || !door_pt) {
		snprintf(err, errlen, "guest RAM too small for page tables");
		return -1;
	}
	memset(pml4, 0, PAGE);
	memset(pdpt, 0, PAGE);
	memset(door_pd, 0, PAGE);
	memset(door_pt, 0, PAGE);
	pml4[0] = LINUX_PDPT_GPA | PTE_TABLE;
	for (uint64_t g = 0; g < pd_pages; g++) {
		uint64_t *pd = table(proc, LINUX_PD_GPA + g * PAGE);
		memset(pd, 0, PAGE);
		pdpt[g] = (LINUX_PD_GPA + g * PAGE) | PTE_TABLE;
		for (uint64_t i = 0; i < 512 && g * 512 + i < pt_pages; i++)
			pd[i] = (proc->tables_gpa + (g * 512 + i) * PAGE) | PTE_TABLE;
	}
	/* The doorbell page: user-writable, never RAM, every write an exit. */
	pdpt[LOCKVM_DOORBELL_GPA / PAGE_1G] = LINUX_DOOR_PD_GPA | PTE_TABLE;
	door_pd[(LOCKVM_DOORBELL_GPA % PAGE_1G) / PAGE_2M] = LINUX_DOOR_PT_GPA | PTE_TABLE;
	door_pt[(LOCKVM_DOORBELL_GPA % PAGE_2M) / PAGE] =
	    LOCKVM_DOORBELL_GPA | PTE_P | PTE_RW | PTE_US | PTE_NX | PTE_A | PTE_D;
	memcpy(pml4_alt, pml4, PAGE);
	for (uint64_t p = 0; p < pages; p++)
		proc->ptes[p] = p * PAGE; /* free: not present, nobody's */
	/* Page 0, the runner's pages and the tables themselves. */
	linux_mm_reserve(proc, 0, LOCKVM_RUNNER_END, 0);
	linux_mm_reserve(proc, proc->tables_gpa, pt_pages * PAGE, 0);
	return 0;
}

void linux_mm_reserve(struct linux_proc *proc, uint64_t addr, uint64_t len, uint64_t pte_bits)
{
	for (uint64_t a = addr & ~PAGE_MASK; a < addr + len && a < proc->vm->mem.size; a += PAGE)
		proc->ptes[a / PAGE] = a | PTE_RESERVED | (pte_bits ? pte_bits | PTE_A | PTE_D : 0);
}

static uint64_t prot_bits(unsigned prot)
{
	if (!(prot & (LINUX_PROT_READ | LINUX_PROT_WRITE | LINUX_PROT_EXEC)))
		return 0; /* PROT_NONE: the program's, but not present */
	return PTE_P | PTE_US | PTE_A | PTE_D | ((prot & LINUX_PROT_WRITE) ? PTE_RW : 0) |
	       ((prot & LINUX_PROT_EXEC) ? 0 : PTE_NX);
}

static unsigned pte_prot(uint64_t pte)
{
	if (!(pte & PTE_P))
		return 0;
	return LINUX_PROT_READ | ((pte & PTE_RW) ? LINUX_PROT_WRITE : 0) |
	       ((pte & PTE_NX) ? 0 : LINUX_PROT_EXEC);
}

/* [addr, addr+len) page-aligned, non-empty and below user_top? */
static bool range_ok(struct linux_proc *proc, uint64_t addr, uint64_t len)
{
	uint64_t end;
	return len && !(addr & PAGE_MASK) && !(len & PAGE_MASK) &&
	       !__builtin_add_overflow(addr, len, &end) && end <= proc->user_top;
}

/* range_ok, and every page of the range is mapped. */
static bool range_mapped(struct linux_proc *proc, uint64_t addr, uint64_t len)
{
	if (!range_ok(proc, addr, len))
		return false;
	for (uint64_t a = addr; a < addr + len; a += PAGE)
		if (!(proc->ptes[a / PAGE] & PTE_USED))
			return false;
	return true;
}

/* Gives pages back to the host and makes them read as zero. */
static void zero_pages(struct linux_proc *proc, uint64_t addr, uint64_t len)
{
	uint8_t *host = guest_mem_ptr(&proc->vm->mem, addr, len);
	if (!host)
		return;
	if (len >= 16 * PAGE && madvise(host, len, MADV_DONTNEED) == 0)
		return;
	memset(host, 0, len);
}

int linux_mm_map(struct linux_proc *proc, uint64_t addr, uint64_t len, unsigned prot, bool zero)
{
	if (!range_ok(proc, addr, len))
		return -ENOMEM;
	for (uint64_t a = addr; a < addr + len; a += PAGE)
		if (proc->ptes[a / PAGE] & PTE_RESERVED)
			return -ENOMEM;
	uint64_t bits = prot_bits(prot);
	for (uint64_t a = addr; a < addr + len; a += PAGE) {
		uint64_t old = proc->ptes[a / PAGE];
		/* Losing a right a cached translation may still grant. */
		if ((old & PTE_P) && ((old & ~bits) & (PTE_P | PTE_RW) || (bits & ~old & PTE_NX)))
			proc->tlb_stale = true;
		proc->ptes[a / PAGE] = a | PTE_USED | bits;
	}
	if (zero)
		zero_pages(proc, addr, len);
	return 0;
}

static void unmap_range(struct linux_proc *proc, uint64_t addr, uint64_t len)
{
	bool any = false;
	for (uint64_t a = addr; a < addr + len; a += PAGE) {
		uint64_t *pte = &proc->ptes[a / PAGE];
		if (*pte & PTE_USED) {
			if (*pte & PTE_P)
				proc->tlb_stale = true;
			*pte = a;
			any = true;
		}
	}
	if (any)
		zero_pages(proc, addr, len);
}

int linux_mm_exec(struct linux_proc *proc)
{
	/* Run by run of the program's pages (the runner's are never USED). */
	uint64_t start = 0, len = 0;
	for (uint64_t a = 0; a <= proc->user_top; a += PAGE) {
		if (a < proc->user_top && (proc->ptes[a / PAGE] & PTE_USED)) {
			start = len ? start : a;
			len += PAGE;
		} else if (len) {
			unmap_range(proc, start, len);
			len = 0;
		}
	}
	proc->brk_start = proc->brk = 0;
	proc->stack_low = proc->user_top;
	return 0;
}

bool linux_mm_fault_is_stale(struct linux_proc *proc, uint64_t addr, uint64_t error_code)
{
	if (addr >= proc->user_top)
		return false;
	uint64_t pte = proc->ptes[addr / PAGE];
	if (!(pte & PTE_USED) || !(pte & PTE_P))
		return false;
	if ((error_code & 2) && !(pte & PTE_RW))
		return false;
	if ((error_code & 16) && (pte & PTE_NX))
		return false;
	return true;
}

/* The highest free run of len bytes in [low, high), or 0. */
static uint64_t find_free(struct linux_proc *proc, uint64_t len, uint64_t low, uint64_t high)
{
	uint64_t run = 0;
	for (uint64_t a = high; a >= low + PAGE; a -= PAGE) {
		if (proc->ptes[(a - PAGE) / PAGE] & (PTE_USED | PTE_RESERVED)) {
			run = 0;
			continue;
		}
		run += PAGE;
		if (run == len)
			return a - PAGE;
	}
	return 0;
}

static bool range_free(struct linux_proc *proc, uint64_t addr, uint64_t len)
{
	if (!range_ok(proc, addr, len))
		return false;
	for (uint64_t a = addr; a < addr + len; a += PAGE)
		if (proc->ptes[a / PAGE] & (PTE_USED | PTE_RESERVED))
			return false;
	return true;
}

long linux_sys_brk(struct linux_proc *proc, uint64_t addr)
{
	if (addr < proc->brk_start || addr > proc->user_top)
		return (long)proc->brk;
	uint64_t old_end = page_up(proc->brk), new_end = page_up(addr);
	if (new_end > old_end) {
		if (!range_free(proc, old_end, new_end - old_end) ||
		    linux_mm_map(proc, old_end, new_end - old_end,
				 LINUX_PROT_READ | LINUX_PROT_WRITE, true) < 0)
			return (long)proc->brk;
	} else if (new_end < old_end) {
		unmap_range(proc, new_end, old_end - new_end);
	}
	proc->brk = addr;
	return (long)proc->brk;
}

#define L_MAP_SHARED	      0x01
#define L_MAP_PRIVATE	      0x02
#define L_MAP_TYPE	      0x0f
#define L_MAP_FIXED	      0x10
#define L_MAP_ANONYMOUS	      0x20
#define L_MAP_HUGETLB	      0x40000
#define L_MAP_FIXED_NOREPLACE 0x100000

long linux_sys_mmap(struct linux_proc *proc, uint64_t addr, uint64_t len, uint64_t prot,
		    uint64_t flags, uint64_t fd, uint64_t offset)
{
	uint64_t type = flags & L_MAP_TYPE;
	if (len == 0 || (offset & PAGE_MASK) ||
	    (type != L_MAP_SHARED && type != L_MAP_PRIVATE && type != 3 /* MAP_SHARED_VALIDATE */))
		return -EINVAL;
	if (flags & L_MAP_HUGETLB)
		return -EINVAL;
	if (prot & ~7ULL)
		return -EINVAL;
	if (len > proc->user_top)
		return -ENOMEM;
	len = page_up(len);
	struct linux_file *file = NULL;
	if (!(flags & L_MAP_ANONYMOUS)) {
		file = linux_fd_get(proc, fd);
		if (!file)
			return -EBADF;
		if (file->kind != LINUX_FILE_NODE || (file->node->mode & S_IFMT) != S_IFREG)
			return -ENODEV;
		if ((file->flags & 3) == 1 /* O_WRONLY */)
			return -EACCES;
		if (type != L_MAP_PRIVATE && (prot & LINUX_PROT_WRITE))
			return -EACCES; /* shared writable file mappings: none */
	}
	bool fixed = flags & (L_MAP_FIXED | L_MAP_FIXED_NOREPLACE);
	if (fixed) {
		if (!range_ok(proc, addr, len) || addr < LINUX_MMAP_MIN)
			return addr & PAGE_MASK ? -EINVAL : -ENOMEM;
		if ((flags & L_MAP_FIXED_NOREPLACE) && !(flags & L_MAP_FIXED) &&
		    !range_free(proc, addr, len))
			return -EEXIST;
	} else {
		uint64_t hint = addr & ~PAGE_MASK;
		if (!(hint >= LINUX_MMAP_MIN && range_free(proc, hint, len))) {
			uint64_t low = page_up(proc->brk) > LINUX_MMAP_MIN ? page_up(proc->brk)
									   : LINUX_MMAP_MIN;
			hint = find_free(proc, len, low, proc->stack_low - PAGE);
			if (!hint)
				return -ENOMEM;
		}
		addr = hint;
	}
	int rc = linux_mm_map(proc, addr, len, (unsigned)prot, true);
	if (rc < 0)
		return rc;
	if (file) {
		long n = linux_fs_pread(file->node, file->host_fd,
					guest_mem_ptr(&proc->vm->mem, addr, len), len, offset);
		if (n < 0) {
			unmap_range(proc, addr, len);
			return n;
		}
	}
	return (long)addr;
}

long linux_sys_munmap(struct linux_proc *proc, uint64_t addr, uint64_t len)
{
	if (len == 0 || (addr & PAGE_MASK))
		return -EINVAL;
	len = page_up(len);
	if (!range_ok(proc, addr, len))
		return -EINVAL;
	for (uint64_t a = addr; a < addr + len; a += PAGE)
		if (proc->ptes[a / PAGE] & PTE_RESERVED)
			return -EINVAL;
	unmap_range(proc, addr, len);
	return 0;
}

long linux_sys_mprotect(struct linux_proc *proc, uint64_t addr, uint64_t len, uint64_t prot)
{
	if ((addr & PAGE_MASK) || (prot & ~7ULL))
		return -EINVAL;
	if (len == 0)
		return 0;
	len = page_up(len);
	if (!range_mapped(proc, addr, len))
		return -ENOMEM;
	return linux_mm_map(proc, addr, len, (unsigned)prot, false);
}

#define L_MREMAP_MAYMOVE 1
#define L_MREMAP_FIXED	 2

long linux_sys_mremap(struct linux_proc *proc, uint64_t old, uint64_t old_len, uint64_t new_len,
		      uint64_t flags, uint64_t new_addr)
{
	if ((old & PAGE_MASK) || (flags & ~3ULL) || new_len == 0 || new_len > proc->user_top ||
	    old_len > proc->user_top)
		return -EINVAL;
	if (flags & L_MREMAP_FIXED)
		return -EINVAL; /* not offered */
	old_len = page_up(old_len);
	new_len = page_up(new_len);
	if (old_len == 0 || !range_mapped(proc, old, old_len))
		return -EFAULT;
	unsigned prot = pte_prot(proc->ptes[old / PAGE]);
	if (new_len <= old_len) {
		if (new_len < old_len)
			unmap_range(proc, old + new_len, old_len - new_len);
		return (long)old;
	}
	if (range_free(proc, old + old_len, new_len - old_len)) {
		int rc = linux_mm_map(proc, old + old_len, new_len - old_len, prot, true);
		return rc < 0 ? rc : (long)old;
	}
	if (!(flags & L_MREMAP_MAYMOVE))
		return -ENOMEM;
	uint64_t low = page_up(proc->brk) > LINUX_MMAP_MIN ? page_up(proc->brk) : LINUX_MMAP_MIN;
	uint64_t dest = find_free(proc, new_len, low, proc->stack_low - PAGE);
	if (!dest)
		return -ENOMEM;
	int rc = linux_mm_map(proc, dest, new_len, prot, true);
	if (rc < 0)
		return rc;
	memcpy(guest_mem_ptr(&proc->vm->mem, dest, old_len),
	       guest_mem_ptr(&proc->vm->mem, old, old_len), old_len);
	unmap_range(proc, old, old_len);
	(void)new_addr;
	return (long)dest;
}

#define L_MADV_DONTNEED 4

long linux_sys_madvise(struct linux_proc *proc, uint64_t addr, uint64_t len, uint64_t advice)
{
	if (addr & PAGE_MASK)
		return -EINVAL;
	if (len == 0)
		return 0;
	len = page_up(len);
	if (!range_mapped(proc, addr, len))
		return -ENOMEM;
	if (advice == L_MADV_DONTNEED)
		zero_pages(proc, addr, len);
	return 0; /* other advice changes nothing here */
}
