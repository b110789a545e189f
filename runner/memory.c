/* Guest RAM mapping with guard pages on both sides. */
#include "memory.h"

#include <errno.h>
#include <sys/mman.h>

/* Guards catch a host-side overrun of a guest buffer computed wrongly:
 * they fault instead of touching a neighbouring mapping. */
#define GUARD_SIZE (2ULL << 20)

int guest_mem_map(struct guest_mem *mem, uint64_t size)
{
	size_t total = (size_t)size + 2 * GUARD_SIZE;
	/* MAP_NORESERVE: RAM is populated lazily, only as the guest touches it. */
	void *base =
	    mmap(NULL, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		return -1;
	uint8_t *ram = (uint8_t *)base + GUARD_SIZE;
	if (mprotect(ram, size, PROT_READ | PROT_WRITE) < 0) {
		int saved = errno;
		munmap(base, total);
		errno = saved;
		return -1;
	}
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
