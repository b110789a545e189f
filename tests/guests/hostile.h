/* Helpers for hostile test guests: raw hypercalls with arbitrary (bad) arguments. */
#ifndef LOCKVM_HOSTILE_H
#define LOCKVM_HOSTILE_H
#include <lockvm/guest.h>

static inline void raw_hypercall(unsigned nr, uint32_t gpa)
{
	/* The argument struct must be in memory before the doorbell rings. */
	__asm__ volatile("" : : : "memory");
	((volatile uint32_t *)(uintptr_t)LOCKVM_DOORBELL_GPA)[nr] = gpa;
	__asm__ volatile("" : : : "memory");
}
static inline uint64_t ram_size(void)
{
	return lv_boot()->ram_size;
}
#endif
