/* Guest RAM: one host mapping with guard pages, and the one checked path from guest address to host pointer. */
#ifndef LOCKVM_MEMORY_H
#define LOCKVM_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lockvm/abi.h>

struct guest_mem {
	uint8_t *host; /* first byte of guest RAM (GPA 0) */
	uint64_t size; /* bytes of guest RAM */
	void *mapping; /* whole mapping, guards included (NULL if not ours) */
	size_t mapping_len;
	uint64_t page_size; /* host page backing guest RAM: 4 KiB, or 2 MiB for hugetlb */
};

/* What backs guest RAM (`lockvm run --hugepages`). */
enum guest_mem_backing {
	GUEST_MEM_SMALL_PAGES, /* ordinary 4 KiB pages (the host's THP mode still applies) */
	GUEST_MEM_THP,	       /* transparent huge pages asked for (MADV_HUGEPAGE) */
	GUEST_MEM_HUGETLB,     /* 2 MiB pages from the host's hugetlb pool, reserved at map time */
};

struct guest_mem_config {
	enum guest_mem_backing backing;
	bool mergeable; /* KSM may merge identical guest pages (MADV_MERGEABLE) */
};

/* Smallest and largest --mem accepted; sizes are multiples of 2 MiB. */
#define GUEST_MEM_MIN	(8ULL << 20)
#define GUEST_MEM_MAX	(256ULL << 30)
#define GUEST_MEM_ALIGN (2ULL << 20)

/*
 * Maps `size` bytes of anonymous, lazily-populated RAM between two
 * PROT_NONE guard regions. Returns 0, or -1 with errno set.
 */
int guest_mem_map(struct guest_mem *mem, uint64_t size);

/*
 * As guest_mem_map(), with the backing and KSM choice of cfg. Guest RAM
 * starts 2 MiB-aligned so that huge host pages line up with guest ones.
 * Returns 0, or -1 with a message naming the failed call in err.
 */
int guest_mem_map_config(struct guest_mem *mem, uint64_t size, const struct guest_mem_config *cfg,
			 char *err, size_t errlen);
void guest_mem_unmap(struct guest_mem *mem);

/*
 * The balloon: gives the host back every whole host page inside
 * [gpa, gpa+len), which the caller has checked lies in guest RAM; they
 * read as zero when next touched. Returns the bytes released (0 when no
 * whole page fits), or -1 with errno.
 */
int64_t guest_mem_release(struct guest_mem *mem, uint64_t gpa, uint64_t len);

/*
 * The checked translation for the runner's own use (building its pages,
 * loading the image, snapshots): returns a host pointer to [gpa, gpa+len)
 * if that whole range lies inside guest RAM (overflow-safe), else NULL. A
 * zero-length range is valid when gpa <= size. Callers still check the
 * meaning of what they read (offset + len <= capacity). Never for a range
 * the guest names: that is guest_mem_user_ptr().
 */
static inline void *guest_mem_ptr(const struct guest_mem *mem, guest_ptr_t gpa, uint64_t len)
{
	uint64_t end;
	if (__builtin_add_overflow(gpa, len, &end) || end > mem->size)
		return NULL;
	return mem->host + gpa;
}

/* What the VMM does to guest memory on the guest's behalf. */
enum guest_access {
	GUEST_READ,  /* it reads the range (console write, disk write, NIC send, WAIT) */
	GUEST_WRITE, /* it writes the range (disk read, random, NIC receive, `ret` fields) */
};

/* Why a range the guest named was refused. */
enum guest_range {
	GUEST_RANGE_OK,
	GUEST_RANGE_OUTSIDE, /* not wholly inside guest RAM (or gpa + len overflows) */
	GUEST_RANGE_RUNNER,  /* overlaps page 0 or the runner's own pages */
};

/*
 * The one check of a range the guest names for the VMM to access on its
 * behalf: [gpa, gpa+len) must lie in guest RAM (overflow-safe) and must
 * not overlap [0, LOCKVM_RUNNER_END): page 0, the page tables, GDT, TSS,
 * IDT, ring-0 stubs and stacks. A GUEST_READ may lie wholly inside
 * [LOCKVM_BOOTINFO_BASE, LOCKVM_BOOTINFO_END), which the guest can read
 * with its own loads too. A zero-length range touches nothing and only
 * needs gpa <= size.
 */
enum guest_range guest_mem_user_check(const struct guest_mem *mem, guest_ptr_t gpa, uint64_t len,
				      enum guest_access access);

/* guest_mem_user_check() as a host pointer: NULL unless GUEST_RANGE_OK.
 * Every hypercall reaches guest memory through this (hypercall_buffer). */
void *guest_mem_user_ptr(const struct guest_mem *mem, guest_ptr_t gpa, uint64_t len,
			 enum guest_access access);

/* Checks a --mem value; returns NULL if fine, else a static reason. */
const char *guest_mem_size_problem(uint64_t size);

#endif
