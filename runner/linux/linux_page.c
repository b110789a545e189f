/* Physical pages of a Linux-ABI guest: guest RAM above the runner's area is a pool of 4K frames, each with a reference count (address spaces sharing it after fork, MAP_SHARED); a frame comes back zeroed. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "linux.h"
#include "linux_pte.h"

uint64_t linux_pages_list_gpa(const struct linux_pages *pg, unsigned cpu)
{
	return LINUX_DIRTY_GPA + (uint64_t)cpu * (pg->dirty_max + 1) * 8;
}

int linux_pages_init(struct linux_pages *pg, struct guest_mem *mem, unsigned ncpus)
{
	memset(pg, 0, sizeof(*pg));
	if (mem->size <= LOCKVM_RUNNER_END || ncpus == 0 || ncpus > LINUX_MAX_CPUS)
		return -ENOMEM;
	/* Each vCPU's share of the list area: its count, then its entries. */
	pg->ncpus = ncpus;
	pg->dirty_max = (LINUX_DIRTY_END - LINUX_DIRTY_GPA) / ncpus / 8 - 1;
	for (unsigned c = 0; c < ncpus; c++) {
		pg->dirty[c] = malloc((pg->dirty_max + 1) * 8);
		if (!pg->dirty[c] ||
		    !guest_mem_ptr(mem, linux_pages_list_gpa(pg, c), (pg->dirty_max + 1) * 8)) {
			linux_pages_free(pg);
			return -ENOMEM;
		}
	}
	pg->mem = mem;
	pg->first = LOCKVM_RUNNER_END / PAGE;
	pg->count = mem->size / PAGE - pg->first;
	for (unsigned c = 0; c < ncpus; c++)
		if (!(pg->listed[c] = calloc((pg->count + 7) / 8, 1))) {
			linux_pages_free(pg);
			return -ENOMEM;
		}
	/* 8 bytes of VMM memory per 4K frame; calloc's zero pages are
	 * only backed as frames are used. */
	pg->refs = calloc(pg->count, sizeof(*pg->refs));
	pg->free = calloc(pg->count, sizeof(*pg->free));
	pg->zero = calloc(LINUX_ZERO_BATCH, sizeof(*pg->zero));
	if (!pg->refs || !pg->free || !pg->zero) {
		linux_pages_free(pg);
		return -ENOMEM;
	}
	return 0;
}

void linux_pages_free(struct linux_pages *pg)
{
	for (unsigned c = 0; c < LINUX_MAX_CPUS; c++) {
		free(pg->dirty[c]);
		pg->dirty[c] = NULL;
		free(pg->listed[c]);
		pg->listed[c] = NULL;
	}
	free(pg->refs);
	free(pg->free);
	free(pg->zero);
	pg->refs = NULL;
	pg->free = NULL;
	pg->zero = NULL;
	pg->nzero = 0;
	pg->count = 0;
}

/* Index of the frame at gpa, or count when gpa is not a pool frame. */
static uint64_t frame_of(const struct linux_pages *pg, uint64_t gpa)
{
	uint64_t f = gpa / PAGE;
	if ((gpa & PAGE_MASK) || f < pg->first || f - pg->first >= pg->count)
		return pg->count;
	return f - pg->first;
}

/* The pool is used up: frames its owner can give back come free (zeroed). */
static bool reclaim(struct linux_pages *pg)
{
	if (!pg->reclaim || !pg->reclaim(pg->reclaim_arg))
		return false;
	linux_page_flush(pg);
	return pg->nfree > 0;
}

uint64_t linux_page_alloc(struct linux_pages *pg)
{
	uint64_t f;
	linux_page_flush(pg); /* a freed frame is zero before it is reused */
	if (!pg->nfree && pg->next >= pg->count && !reclaim(pg))
		return 0; /* (a reclaim puts frames on the free stack) */
	if (pg->nfree)
		f = pg->free[--pg->nfree]; /* reuse: already backed by the host */
	else
		f = pg->next++; /* never used: zero as the host gave it */
	pg->refs[f] = 1;
	pg->used++;
	return (pg->first + f) * PAGE;
}

void linux_page_get(struct linux_pages *pg, uint64_t gpa)
{
	uint64_t f = frame_of(pg, gpa);
	if (f < pg->count && pg->refs[f])
		pg->refs[f]++;
}

uint32_t linux_page_refs(const struct linux_pages *pg, uint64_t gpa)
{
	uint64_t f = frame_of(pg, gpa);
	return f < pg->count ? pg->refs[f] : 0;
}

void *linux_page_host(const struct linux_pages *pg, uint64_t gpa)
{
	if (frame_of(pg, gpa & ~PAGE_MASK) >= pg->count)
		return NULL;
	return guest_mem_ptr(pg->mem, gpa, 1);
}

/* Gives the host back the memory of frames [f, f+n) and makes them read as
 * zero; memset where madvise cannot (hugetlb backing). */
static void zero_frames(struct linux_pages *pg, uint64_t f, uint64_t n)
{
	uint8_t *host = guest_mem_ptr(pg->mem, (pg->first + f) * PAGE, n * PAGE);
	if (!host)
		return;
	if (madvise(host, n * PAGE, MADV_DONTNEED) == 0)
		return;
	memset(host, 0, n * PAGE);
}

void linux_page_flush(struct linux_pages *pg)
{
	/* Runs of consecutive frames, rising or falling: one call each. */
	uint64_t lo = 0, hi = 0;
	for (uint64_t i = 0; i <= pg->nzero; i++) {
		bool more = i < pg->nzero;
		uint64_t f = more ? pg->zero[i] : 0;
		if (more && i > 0 && f == hi + 1) {
			hi = f; /* a rising run goes on */
		} else if (more && i > 0 && f + 1 == lo) {
			lo = f; /* a falling one */
		} else {
			if (i > 0)
				zero_frames(pg, lo, hi - lo + 1);
			lo = hi = f;
		}
	}
	pg->nzero = 0;
}

/* Frame f is zeroed at the next linux_page_flush() (batched: see
 * struct linux_pages). */
static void zero_later(struct linux_pages *pg, uint64_t f)
{
	if (pg->nzero == LINUX_ZERO_BATCH)
		linux_page_flush(pg);
	pg->zero[pg->nzero++] = (uint32_t)f;
}

void linux_page_put(struct linux_pages *pg, uint64_t gpa)
{
	uint64_t f = frame_of(pg, gpa);
	if (f >= pg->count || !pg->refs[f] || --pg->refs[f])
		return;
	pg->free[pg->nfree++] = f;
	pg->used--;
	zero_later(pg, f);
}

void linux_page_zero(struct linux_pages *pg, uint64_t gpa)
{
	uint64_t f = frame_of(pg, gpa);
	if (f < pg->count && pg->refs[f])
		zero_later(pg, f);
}

/* Lists entry (a table's LINUX_PHYSMAP address) on vCPU c's list, unless
 * it is on it already. */
static void list_add(struct linux_pages *pg, unsigned c, uint64_t entry)
{
	uint64_t *list = pg->dirty[c], n = pg->ndirty[c];
	uint64_t f = frame_of(pg, entry - LINUX_PHYSMAP);
	if (f < pg->count && (pg->listed[c][f / 8] & (1u << (f % 8))))
		return;
	if (n >= pg->dirty_max) {
		pg->dirty_overflow = true;
		return;
	}
	list[++pg->ndirty[c]] = entry;
	if (f < pg->count)
		pg->listed[c][f / 8] |= (uint8_t)(1u << (f % 8));
}

void linux_pages_listed_clear(struct linux_pages *pg, unsigned c)
{
	for (uint64_t i = 1; i <= pg->ndirty[c]; i++) {
		uint64_t f = frame_of(pg, pg->dirty[c][i] - LINUX_PHYSMAP);
		if (f < pg->count)
			pg->listed[c][f / 8] &= (uint8_t) ~(1u << (f % 8));
	}
	pg->ndirty[c] = 0;
}

void linux_pages_requeue(struct linux_pages *pg, unsigned cpu, uint64_t left)
{
	const uint64_t *list =
	    guest_mem_ptr(pg->mem, linux_pages_list_gpa(pg, cpu), (pg->dirty_max + 1) * 8);
	if (!list || cpu >= pg->ncpus)
		return;
	uint64_t n = list[0] < pg->dirty_max ? list[0] : pg->dirty_max;
	/* Only what the stub had not written (it goes from the last entry
	 * down): a vCPU kicked in its stub again and again (another vCPU's
	 * faults) would otherwise list the same pages once more each time,
	 * its stub taking longer each time, until the list overflows. */
	for (uint64_t i = 1; i <= n && i <= left; i++)
		list_add(pg, cpu, list[i]);
}

void linux_page_dirty(struct linux_pages *pg, uint64_t table)
{
	table &= ~PAGE_MASK;
	/* Every vCPU's list: any of them may run an address space using it. */
	for (unsigned c = 0; c < pg->ncpus; c++)
		list_add(pg, c, LINUX_PHYSMAP + table);
}
