/* Address spaces of a Linux-ABI guest: each has its own page-table root and sparse tables taken from the frame pool, its mapping records, brk; fork shares private pages copy-on-write, a write fault copies. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "linux.h"
#include "linux_pte.h"
#include "linux_shm.h"

static uint64_t *host_table(struct linux_mm *mm, uint64_t gpa)
{
	return linux_page_host(mm->pages, gpa & PTE_ADDR);
}

uint64_t *linux_mm_pte(struct linux_mm *mm, uint64_t va, bool alloc)
{
	uint64_t table = mm->root;
	for (int level = 3; level > 0; level--) {
		uint64_t *t = host_table(mm, table);
		unsigned i = (unsigned)(va >> (PAGE_SHIFT + 9 * level)) & 511;
		if (!t)
			return NULL;
		if (!(t[i] & PTE_P)) {
			if (!alloc)
				return NULL;
			uint64_t fresh = linux_page_alloc(mm->pages);
			if (!fresh)
				return NULL;
			t[i] = fresh | PTE_TABLE;
			linux_page_dirty(mm->pages, table);
			linux_page_dirty(mm->pages, fresh); /* KVM may shadow its old use */
		}
		table = t[i];
	}
	uint64_t *pt = host_table(mm, table);
	return pt ? pt + ((va >> PAGE_SHIFT) & 511) : NULL;
}

/* The next address to look at after va when va's table is missing. */
void linux_mm_dirty(struct linux_mm *mm, const uint64_t *pte)
{
	linux_page_dirty(mm->pages, (uint64_t)((const uint8_t *)pte - mm->pages->mem->host));
}

uint64_t linux_mm_skip(struct linux_mm *mm, uint64_t va)
{
	/* Past what the first missing entry on va's walk would map: 512 GiB,
	 * 1 GiB or 2 MiB (a MAP_NORESERVE reservation of terabytes is walked
	 * in a few steps, not one per 2 MiB). */
	uint64_t table = mm->root;
	for (int level = 3; level > 0; level--) {
		const uint64_t *t = host_table(mm, table);
		unsigned i = (unsigned)(va >> (PAGE_SHIFT + 9 * level)) & 511;
		uint64_t span = 1ULL << (PAGE_SHIFT + 9 * level);
		if (!t || !(t[i] & PTE_P))
			return (va + span) & ~(span - 1);
		table = t[i];
	}
	return (va & ~PAGE_MASK) + PAGE;
}

struct linux_mm *linux_mm_new(struct linux_proc *proc)
{
	struct linux_mm *mm = calloc(1, sizeof(*mm));
	if (!mm)
		return NULL;
	mm->refs = 1;
	mm->pages = &proc->pages;
	mm->next = proc->pages.mms;
	proc->pages.mms = mm;
	mm->root = linux_page_alloc(mm->pages);
	if (!mm->root)
		goto fail;
	linux_page_dirty(mm->pages, mm->root);
	host_table(mm, mm->root)[LINUX_PHYSMAP >> 39] =
	    proc->pages.physmap | PTE_P | PTE_RW | PTE_A;
	/* The runner's pages and the doorbell, at the same place in every
	 * address space; never PTE_USED, so never the program's frames. */
	for (unsigned k = 0; k < proc->nkmaps; k++) {
		const struct linux_kmap *m = &proc->kmaps[k];
		for (uint64_t a = m->addr; a < m->addr + m->len; a += PAGE) {
			uint64_t *pte = linux_mm_pte(mm, a, true);
			if (!pte)
				goto fail;
			*pte = (m->phys + (a - m->addr)) | m->bits;
		}
	}
	return mm;
fail:
	linux_mm_put(mm);
	return NULL;
}

/* Drops the frames a table level holds (leaves: the program's pages). */
static void free_level(struct linux_mm *mm, uint64_t table, int level)
{
	uint64_t *t = host_table(mm, table);
	for (unsigned i = 0; t && i < 512; i++) {
		if (level == 3 && i == LINUX_PHYSMAP >> 39)
			continue; /* the VM's, shared by every address space */
		if (level > 0 && (t[i] & PTE_P))
			free_level(mm, t[i] & PTE_ADDR, level - 1);
		else if (level == 0 && (t[i] & PTE_USED))
			linux_page_put(mm->pages, t[i] & PTE_ADDR);
	}
	linux_page_put(mm->pages, table);
}

void linux_mm_put(struct linux_mm *mm)
{
	if (!mm || --mm->refs)
		return;
	if (mm->root)
		free_level(mm, mm->root, 3);
	linux_page_flush(mm->pages);
	linux_vma_free_all(mm); /* the last mapping of a file writes its cache back */
	for (struct linux_mm **p = &mm->pages->mms; *p; p = &(*p)->next)
		if (*p == mm) {
			*p = mm->next;
			break;
		}
	free(mm->vmas);
	free(mm);
}

int linux_mm_exec(struct linux_proc *proc)
{
	struct linux_mm *fresh = linux_mm_new(proc);
	if (!fresh)
		return -ENOMEM;
	linux_mm_put(proc->mm);
	proc->mm = fresh;
	proc->tlb_stale = true;
	return 0;
}

/* The child shares every page; private ones lose write in both. */
static int share_range(struct linux_mm *parent, struct linux_mm *child, const struct linux_vma *v)
{
	for (uint64_t a = v->start; a < v->end; a += PAGE) {
		uint64_t *pte = linux_mm_pte(parent, a, false);
		if (!pte) {
			a = linux_mm_skip(parent, a) - PAGE;
			continue;
		}
		if (!(*pte & PTE_USED))
			continue;
		if (!(v->flags & LINUX_VMA_SHARED)) {
			*pte &= ~PTE_RW;
			linux_mm_dirty(parent, pte);
		}
		uint64_t *cpte = linux_mm_pte(child, a, true);
		if (!cpte)
			return -ENOMEM;
		*cpte = *pte;
		linux_mm_dirty(child, cpte);
		linux_page_get(parent->pages, *pte & PTE_ADDR);
	}
	return 0;
}

struct linux_mm *linux_mm_fork(struct linux_proc *proc)
{
	struct linux_mm *parent = proc->mm, *child = linux_mm_new(proc);
	if (!child)
		return NULL;
	child->vmas = malloc((parent->nvmas ? parent->nvmas : 1) * sizeof(*child->vmas));
	if (!child->vmas)
		goto fail;
	if (parent->nvmas)
		memcpy(child->vmas, parent->vmas, parent->nvmas * sizeof(*child->vmas));
	child->vmas_cap = parent->nvmas ? parent->nvmas : 1;
	child->nvmas = parent->nvmas;
	for (unsigned i = 0; i < child->nvmas; i++)
		linux_vma_hold(&child->vmas[i]); /* the child's records name them too */
	child->brk_start = parent->brk_start;
	child->brk = parent->brk;
	proc->tlb_stale = true; /* the parent's cached writable translations */
	for (unsigned i = 0; i < parent->nvmas; i++)
		if (share_range(parent, child, &parent->vmas[i]) < 0)
			goto fail;
	return child;
fail:
	linux_mm_put(child);
	return NULL;
}

void linux_mm_reclaim_write(struct linux_proc *proc, struct linux_mm *mm)
{
	struct linux_pages *pg = &proc->pages;
	for (unsigned i = 0; i < mm->nvmas; i++) {
		const struct linux_vma *v = &mm->vmas[i];
		if (!(v->prot & LINUX_PROT_WRITE) || (v->flags & LINUX_VMA_SHARED))
			continue;
		for (uint64_t a = v->start; a < v->end; a += PAGE) {
			uint64_t *pte = linux_mm_pte(mm, a, false);
			if (!pte) {
				a = linux_mm_skip(mm, a) - PAGE;
				continue;
			}
			uint64_t want = PTE_USED | PTE_P;
			if ((*pte & (want | PTE_RW)) == want &&
			    linux_page_refs(pg, *pte & PTE_ADDR) == 1) {
				*pte |= PTE_RW;
				linux_mm_dirty(mm, pte);
			}
		}
	}
}

int linux_mm_cow(struct linux_proc *proc, uint64_t *pte)
{
	struct linux_pages *pg = &proc->pages;
	uint64_t old = *pte & PTE_ADDR;
	if (linux_page_refs(pg, old) > 1) {
		uint64_t fresh = linux_page_alloc(pg);
		if (!fresh)
			return -ENOMEM;
		memcpy(linux_page_host(pg, fresh), linux_page_host(pg, old), PAGE);
		linux_page_put(pg, old);
		*pte = (*pte & ~PTE_ADDR) | fresh;
		proc->tlb_stale = true; /* a cached read-only translation names the old frame */
	}
	*pte |= PTE_RW;
	linux_mm_dirty(proc->mm, pte);
	return 0;
}

bool linux_mm_fault(struct linux_proc *proc, uint64_t addr, uint64_t error_code)
{
	proc->fault_sigbus = false;
	if (addr >= proc->user_top)
		return false;
	const struct linux_vma *v = linux_vma_find(proc->mm, addr);
	if (v && v->shm) {
		if ((error_code & 16) && !(v->prot & LINUX_PROT_EXEC))
			return false;
		int rc = linux_mm_shm_fault(proc, v, addr, error_code & 2);
		/* Past the end of the file, or no frame for the page: SIGBUS
		 * (as Linux); a right the mapping lacks: SIGSEGV. */
		proc->fault_sigbus = rc == -EFAULT || rc == -ENOMEM;
		return rc == 0;
	}
	uint64_t *pte = linux_mm_pte(proc->mm, addr, false);
	if (v && (v->flags & LINUX_VMA_LAZY) && (!pte || !(*pte & PTE_USED))) {
		/* Its first access: a right the mapping lacks is SIGSEGV; no
		 * frame left is SIGSEGV too, where Linux would OOM-kill. */
		if ((error_code & 16) && !(v->prot & LINUX_PROT_EXEC))
			return false;
		return linux_mm_lazy_fault(proc, v, addr, error_code & 2) == 0;
	}
	if (!v || !pte || (*pte & (PTE_USED | PTE_P)) != (PTE_USED | PTE_P))
		return false;
	if ((error_code & 16) && (*pte & PTE_NX))
		return false;
	if ((error_code & 2) && !(*pte & PTE_RW)) {
		/* A copy-on-write page of a writable mapping: copied now (no
		 * frame left: the program gets SIGSEGV, where Linux would OOM). */
		return (v->prot & LINUX_PROT_WRITE) && linux_mm_cow(proc, pte) == 0;
	}
	return true; /* the rights are there: a stale TLB entry */
}

uint64_t linux_mm_cr3(struct linux_proc *proc, uint64_t cur, bool *flush)
{
	struct linux_pages *pg = &proc->pages;
	unsigned c = proc->cpu->index;
	linux_cpu_tlb_stale(proc); /* every vCPU's, if a mapping lost rights */
	*flush = proc->cpu->tlb_stale || pg->ndirty[c] || cur != proc->mm->root;
	proc->cpu->tlb_stale = false;
	if (pg->dirty_overflow)
		vm_end(proc->vm, EXIT_GUEST_ERROR,
		       "lockvm-vmm: more than %llu page-table pages changed in one call",
		       (unsigned long long)pg->dirty_max);
	/* The flush stub's list: its count, read by the guest itself. */
	uint64_t *list =
	    guest_mem_ptr(&proc->vm->mem, linux_pages_list_gpa(pg, c), (pg->ndirty[c] + 1) * 8);
	pg->dirty[c][0] = pg->ndirty[c];
	if (list)
		memcpy(list, pg->dirty[c], (pg->ndirty[c] + 1) * 8);
	linux_pages_listed_clear(pg, c); /* handed to the stub: listed afresh from now */
	return proc->mm->root;
}

int linux_physmap_init(struct linux_proc *proc)
{
	struct linux_pages *pg = &proc->pages;
	uint64_t gigs = (pg->mem->size + PAGE_1G - 1) / PAGE_1G;
	if (gigs > 512)
		return -ENOMEM;
	pg->physmap = linux_page_alloc(pg);
	uint64_t *pdpt = linux_page_host(pg, pg->physmap);
	if (!pdpt)
		return -ENOMEM;
	for (uint64_t g = 0; g < gigs; g++) {
		uint64_t pd_gpa = linux_page_alloc(pg);
		uint64_t *pd = linux_page_host(pg, pd_gpa);
		if (!pd)
			return -ENOMEM;
		pdpt[g] = pd_gpa | PTE_P | PTE_RW | PTE_A;
		/* Supervisor-only, never executable, 2 MiB pages (PS). */
		for (uint64_t i = 0; i < 512 && g * PAGE_1G + i * PAGE_2M < pg->mem->size; i++)
			pd[i] = (g * PAGE_1G + i * PAGE_2M) | PTE_P | PTE_RW | PTE_A | PTE_D |
				PTE_PS | PTE_NX;
	}
	return 0;
}

void linux_physmap_free(struct linux_proc *proc)
{
	struct linux_pages *pg = &proc->pages;
	uint64_t *pdpt = linux_page_host(pg, pg->physmap);
	for (unsigned g = 0; pdpt && g < 512; g++)
		if (pdpt[g] & PTE_P)
			linux_page_put(pg, pdpt[g] & PTE_ADDR);
	linux_page_put(pg, pg->physmap);
	linux_page_flush(pg);
	pg->physmap = 0;
}
