/* The checked path from a --linux program's address to a host pointer: present, user and (for writes) writable in the program's own page tables, inside guest RAM (Linux's uaccess). */
#include <errno.h>
#include <string.h>

#include "linux.h"
#include "linux_pte.h"

void *linux_user_ptr(struct linux_proc *proc, uint64_t addr, uint64_t len, bool write)
{
	if (len == 0)
		return proc->vm->mem.host; /* nothing will be touched */
	uint8_t *host = guest_mem_ptr(&proc->vm->mem, addr, len);
	if (!host || addr + len > proc->user_top)
		return NULL;
	uint64_t need = PTE_P | PTE_US | PTE_USED | (write ? PTE_RW : 0);
	for (uint64_t a = addr & ~PAGE_MASK; a < addr + len; a += PAGE)
		if ((proc->ptes[a / PAGE] & need) != need)
			return NULL;
	return host;
}

long linux_copy_in(struct linux_proc *proc, void *dst, uint64_t addr, uint64_t len)
{
	const void *src = linux_user_ptr(proc, addr, len, false);
	if (!src)
		return -EFAULT;
	memcpy(dst, src, len);
	return 0;
}

long linux_copy_out(struct linux_proc *proc, uint64_t addr, const void *src, uint64_t len)
{
	void *dst = linux_user_ptr(proc, addr, len, true);
	if (!dst)
		return -EFAULT;
	memcpy(dst, src, len);
	return 0;
}

long linux_user_string(struct linux_proc *proc, uint64_t addr, char *out, size_t max)
{
	size_t n = 0;
	while (n < max) {
		/* Up to the end of the page, one check per page. */
		uint64_t a = addr + n;
		if (a < addr)
			return -EFAULT;
		uint64_t chunk = PAGE - (a & PAGE_MASK);
		if (chunk > max - n)
			chunk = max - n;
		const char *src = linux_user_ptr(proc, a, chunk, false);
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
