/* Guest RAM: one mapping between guards (small pages, THP or hugetlb; KSM-mergeable) and the balloon. */
#include "memory.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "util.h"

/* Guards catch a host-side overrun of a guest buffer computed wrongly:
 * they fault instead of touching a neighbouring mapping. */
#define GUARD_SIZE (2ULL << 20)
/* Guest RAM starts at a multiple of this host address, so a 2 MiB guest
 * region is a 2 MiB host region (THP and hugetlb need that). */
#define RAM_ALIGN (2ULL << 20)
#define HUGE_2M	  (2ULL << 20)
/* MAP_HUGE_2MB (linux/mman.h, which clashes with sys/mman.h): log2 of the page size. */
#define HUGETLB_2M_FLAG (21 << MAP_HUGE_SHIFT)

int guest_mem_map(struct guest_mem *mem, uint64_t size)
{
	const struct guest_mem_config plain = {.backing = GUEST_MEM_SMALL_PAGES};
	char err[160];
	return guest_mem_map_config(mem, size, &plain, err, sizeof(err));
}

/* Unmaps base (when set), writes "<what>: <strerror>" to err, keeps errno. */
static PRINTF_LIKE(5, 6) int map_fail(void *base, size_t total, char *err, size_t errlen,
				      const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	size_t used = strlen(err);
	if (used < errlen)
		snprintf(err + used, errlen - used, ": %s", strerror(saved));
	if (base)
		munmap(base, total);
	errno = saved;
	return -1;
}

int guest_mem_map_config(struct guest_mem *mem, uint64_t size, const struct guest_mem_config *cfg,
			 char *err, size_t errlen)
{
	size_t total = (size_t)size + 2 * GUARD_SIZE + RAM_ALIGN;
	unsigned long long bytes = (unsigned long long)size;
	/* MAP_NORESERVE: RAM is populated lazily, only as the guest touches
	 * it, and no swap is set aside for it: a 256G guest costs nothing
	 * until it uses its memory. The whole range starts PROT_NONE. */
	void *base =
	    mmap(NULL, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		return map_fail(NULL, 0, err, errlen, "mmap(guest RAM, %llu bytes)", bytes);
	uintptr_t start =
	    ((uintptr_t)base + GUARD_SIZE + RAM_ALIGN - 1) & ~(uintptr_t)(RAM_ALIGN - 1);
	uint8_t *ram = (uint8_t *)start;
	mem->page_size = LOCKVM_PAGE_SIZE;
	if (cfg->backing == GUEST_MEM_HUGETLB) {
		/* Private hugetlb pages are reserved from the pool here, all at
		 * once (no MAP_NORESERVE): a pool too small fails now, not with
		 * a SIGBUS while the guest runs. */
		void *huge = mmap(
		    ram, (size_t)size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_HUGETLB | HUGETLB_2M_FLAG, -1, 0);
		if (huge == MAP_FAILED)
			return map_fail(base, total, err, errlen,
					"mmap(guest RAM, %llu bytes, MAP_HUGETLB) (not enough free "
					"2 MiB huge pages?)",
					bytes);
		mem->page_size = HUGE_2M;
	} else if (mprotect(ram, (size_t)size, PROT_READ | PROT_WRITE) < 0) {
		return map_fail(base, total, err, errlen, "mprotect(guest RAM, %llu bytes)", bytes);
	}
	if (cfg->backing == GUEST_MEM_THP && madvise(ram, (size_t)size, MADV_HUGEPAGE) < 0)
		return map_fail(base, total, err, errlen,
				"madvise(guest RAM, %llu bytes, MADV_HUGEPAGE)", bytes);
	if (cfg->mergeable && madvise(ram, (size_t)size, MADV_MERGEABLE) < 0)
		return map_fail(base, total, err, errlen,
				"madvise(guest RAM, %llu bytes, MADV_MERGEABLE) (kernel without "
				"KSM?)",
				bytes);
	/* Guest RAM never goes into a core dump of the VMM. */
	(void)madvise(ram, size, MADV_DONTDUMP);
	mem->host = ram;
	mem->size = size;
	mem->mapping = base;
	mem->mapping_len = total;
	return 0;
}

void guest_mem_unmap(struct guest_mem *mem)
{
	if (mem->mapping)
		munmap(mem->mapping, mem->mapping_len);
	mem->mapping = NULL;
	mem->host = NULL;
	mem->size = 0;
}

int64_t guest_mem_release(struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
	uint64_t page = mem->page_size ? mem->page_size : LOCKVM_PAGE_SIZE;
	uint64_t end;
	if (__builtin_add_overflow(gpa, len, &end) || end > mem->size) {
		errno = EINVAL;
		return -1;
	}
	/* Whole host pages only: a hugetlb page partly in use stays. */
	uint64_t first = (gpa + page - 1) & ~(page - 1), last = end & ~(page - 1);
	if (first >= last)
		return 0;
	/* Private anonymous (and private hugetlb) memory: MADV_DONTNEED frees
	 * the pages, KVM's MMU notifier drops its mappings of them, and the
	 * next touch gets a fresh zero page. */
	if (madvise(mem->host + first, (size_t)(last - first), MADV_DONTNEED) < 0)
		return -1;
	return (int64_t)(last - first);
}

enum guest_range guest_mem_user_check(const struct guest_mem *mem, guest_ptr_t gpa, uint64_t len,
				      enum guest_access access)
{
	/* Inside RAM by the one overflow-safe check (guest_mem_ptr); then end
	 * cannot wrap. */
	if (!guest_mem_ptr(mem, gpa, len))
		return GUEST_RANGE_OUTSIDE;
	uint64_t end = gpa + len;
	if (len == 0 || gpa >= LOCKVM_RUNNER_END)
		return GUEST_RANGE_OK; /* (an empty range touches nothing) */
	if (access == GUEST_READ && gpa >= LOCKVM_BOOTINFO_BASE && end <= LOCKVM_BOOTINFO_END)
		return GUEST_RANGE_OK; /* boot info and argv: the guest reads them itself */
	return GUEST_RANGE_RUNNER;
}

void *guest_mem_user_ptr(const struct guest_mem *mem, guest_ptr_t gpa, uint64_t len,
			 enum guest_access access)
{
	if (guest_mem_user_check(mem, gpa, len, access) != GUEST_RANGE_OK)
		return NULL;
	return mem->host + gpa;
}

const char *guest_mem_size_problem(uint64_t size)
{
	if (size < GUEST_MEM_MIN)
		return "is below the minimum of 8M";
	if (size > GUEST_MEM_MAX)
		return "is above the maximum of 256G";
	if (size % GUEST_MEM_ALIGN)
		return "is not a multiple of 2M";
	return NULL;
}
