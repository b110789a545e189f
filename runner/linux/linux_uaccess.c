/* The checked copies between the VMM and a --linux program: each page translated through the calling process's own page tables, present, user and (for writes) writable — a copy-on-write page is copied first, a lazy page gets its frame (Linux's uaccess). */
#include <errno.h>
#include <string.h>

#include "linux.h"
#include "linux_pte.h"

/* Host address of the program's byte at addr, valid to the end of its
 * page, or NULL when the program itself could not make that access. */
static uint8_t *user_byte(struct linux_proc *proc, uint64_t addr, bool write)
{
	if (addr >= proc->user_top)
		return NULL;
	uint64_t *pte = linux_mm_pte(proc->mm, addr, false);
	uint64_t need = PTE_P | PTE_US | PTE_USED;
	if (!pte || (*pte & need) != need || (write && !(*pte & PTE_RW))) {
		/* A shared file page not yet (or not writably) mapped: as a fault. */
		const struct linux_vma *v = linux_vma_find(proc->mm, addr);
		if (v && v->shm) {
			if (linux_mm_shm_fault(proc, v, addr, write) < 0)
				return NULL;
			pte = linux_mm_pte(proc->mm, addr, false);
		} else if (v && (v->flags & LINUX_VMA_LAZY) && (!pte || !(*pte & PTE_USED))) {
			/* A lazy page's first access, made by the call for it. */
			if (linux_mm_lazy_fault(proc, v, addr, write) < 0)
				return NULL;
			pte = linux_mm_pte(proc->mm, addr, false);
		}
	}
	if (!pte || (*pte & need) != need)
		return NULL;
	if (write && !(*pte & PTE_RW)) {
		const struct linux_vma *v = linux_vma_find(proc->mm, addr);
		if (!v || !(v->prot & LINUX_PROT_WRITE) || linux_mm_cow(proc, pte) < 0)
			return NULL;
	}
	return linux_page_host(&proc->pages, (*pte & PTE_ADDR) | (addr & PAGE_MASK));
}

/* Calls fn on each page-sized piece of [addr, addr+len): host pointer,
 * offset into the copy, length. */
static long each_page(struct linux_proc *proc, uint64_t addr, uint64_t len, bool write,
		      void (*fn)(uint8_t *host, uint64_t off, uint64_t n, void *arg), void *arg)
{
	uint64_t end;
	if (__builtin_add_overflow(addr, len, &end))
		return -EFAULT;
	for (uint64_t off = 0; off < len;) {
		uint64_t a = addr + off, n = PAGE - (a & PAGE_MASK);
		if (n > len - off)
			n = len - off;
		uint8_t *host = user_byte(proc, a, write);
		if (!host)
			return -EFAULT;
		fn(host, off, n, arg);
		off += n;
	}
	return 0;
}

static void piece_in(uint8_t *host, uint64_t off, uint64_t n, void *dst)
{
	memcpy((uint8_t *)dst + off, host, n);
}

static void piece_out(uint8_t *host, uint64_t off, uint64_t n, void *src)
{
	memcpy(host, (const uint8_t *)src + off, n);
}

static void piece_zero(uint8_t *host, uint64_t off, uint64_t n, void *unused)
{
	memset(host, 0, n);
}

long linux_copy_in(struct linux_proc *proc, void *dst, uint64_t addr, uint64_t len)
{
	return each_page(proc, addr, len, false, piece_in, dst);
}

long linux_copy_out(struct linux_proc *proc, uint64_t addr, const void *src, uint64_t len)
{
	return each_page(proc, addr, len, true, piece_out, (void *)src);
}

static void piece_none(uint8_t *host, uint64_t off, uint64_t n, void *unused)
{
}

long linux_user_access(struct linux_proc *proc, uint64_t addr, uint64_t len, bool write)
{
	return each_page(proc, addr, len, write, piece_none, NULL);
}

long linux_clear_user(struct linux_proc *proc, uint64_t addr, uint64_t len)
{
	return each_page(proc, addr, len, true, piece_zero, NULL);
}

long linux_user_string(struct linux_proc *proc, uint64_t addr, char *out, size_t max)
{
	size_t n = 0;
	while (n < max) {
		/* Up to the end of the page, one translation per page. */
		uint64_t a = addr + n;
		if (a < addr)
			return -EFAULT;
		uint64_t chunk = PAGE - (a & PAGE_MASK);
		if (chunk > max - n)
			chunk = max - n;
		const char *src = (const char *)user_byte(proc, a, false);
		if (!src)
			return -EFAULT;
		const char *nul = memchr(src, '\0', chunk);
		size_t take = nul ? (size_t)(nul - src) : chunk;
		memcpy(out + n, src, take);
		n += take;
		if (nul) {
			out[n] = '\0';
			return (long)n;
		}
	}
	return -ENAMETOOLONG;
}

long linux_mm_poke(struct linux_proc *proc, uint64_t addr, const void *src, uint64_t len)
{
	for (uint64_t off = 0; off < len;) {
		uint64_t a = addr + off, n = PAGE - (a & PAGE_MASK);
		if (n > len - off)
			n = len - off;
		uint64_t *pte = a < proc->user_top ? linux_mm_pte(proc->mm, a, false) : NULL;
		/* Only a frame this process alone holds (a fresh mapping). */
		if (!pte || !(*pte & PTE_USED) ||
		    linux_page_refs(&proc->pages, *pte & PTE_ADDR) != 1)
			return -EFAULT;
		memcpy(linux_page_host(&proc->pages, (*pte & PTE_ADDR) | (a & PAGE_MASK)),
		       (const uint8_t *)src + off, n);
		off += n;
	}
	return 0;
}
