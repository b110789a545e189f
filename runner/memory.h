/* Guest RAM: one host mapping with guard pages, and the one checked path from guest address to host pointer. */
#ifndef LOCKVM_MEMORY_H
#define LOCKVM_MEMORY_H

#include <stddef.h>
#include <stdint.h>

#include <lockvm/abi.h>

struct guest_mem {
	uint8_t *host; /* first byte of guest RAM (GPA 0) */
	uint64_t size; /* bytes of guest RAM */
	void *mapping; /* whole mapping, guards included (NULL if not ours) */
	size_t mapping_len;
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
void guest_mem_unmap(struct guest_mem *mem);

/*
 * The one checked translation: returns a host pointer to [gpa, gpa+len) if
 * that whole range lies inside guest RAM (overflow-safe), else NULL. A
 * zero-length range is valid when gpa <= size. Callers still check the
 * meaning of what they read (offset + len <= capacity).
 */
static inline void *guest_mem_ptr(const struct guest_mem *mem, guest_ptr_t gpa, uint64_t len)
{
	uint64_t end;
	if (__builtin_add_overflow(gpa, len, &end) || end > mem->size)
		return NULL;
	return mem->host + gpa;
}

/* Checks a --mem value; returns NULL if fine, else a static reason. */
const char *guest_mem_size_problem(uint64_t size);

#endif
