/* Memory calls of a Linux-ABI guest: brk, mmap, munmap, mprotect, mremap, madvise over the calling process's mapping records (linux_vma.c) and page tables (linux_pgtable.c). */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <string.h>
#include <sys/mman.h>

#include "linux.h"
#include "linux_fs.h"
#include "linux_procfs.h"
#include "linux_pte.h"
#include "linux_shm.h"

/* mmap() hands out nothing below this (Linux's vm.mmap_min_addr). */
#define LINUX_MMAP_MIN 0x10000ULL

static uint64_t page_up(uint64_t x)
{
	return (x + PAGE_MASK) & ~PAGE_MASK;
}

static void add_kmap(struct linux_proc *proc, uint64_t addr, uint64_t phys, uint64_t len,
		     uint64_t bits)
{
	if (proc->nkmaps < LINUX_MAX_KMAPS)
		proc->kmaps[proc->nkmaps++] = (struct linux_kmap){addr, len, bits, phys};
}

/* The pool ran out: the private mappings' page cache gives back what no
 * mapping holds. */
static bool reclaim_cached(void *arg)
{
	return linux_fcache_reclaim(arg);
}

int linux_mm_init(struct linux_proc *proc, char *err, size_t errlen)
{
	linux_cpu_init(proc); /* each vCPU has its own list of page-table pages */
	if (linux_pages_init(&proc->pages, &proc->vm->mem, proc->ncpus) < 0) {
		snprintf(err, errlen, "guest RAM too small for a Linux guest");
		return -1;
	}
	proc->pages.reclaim = reclaim_cached;
	proc->pages.reclaim_arg = proc;
	proc->user_top = LINUX_USER_TOP;
	proc->user_low = LINUX_MMAP_MIN;
	if (linux_physmap_init(proc) < 0) {
		snprintf(err, errlen, "guest RAM too small for a Linux guest's page tables");
		return -1;
	}
	/* The doorbell page: user-writable, never RAM, every write an exit. */
	add_kmap(proc, LINUX_DOORBELL_VA, LOCKVM_DOORBELL_GPA, PAGE,
		 PTE_P | PTE_RW | PTE_US | PTE_NX | PTE_A | PTE_D);
	proc->mm = linux_mm_new(proc);
	if (!proc->mm) {
		snprintf(err, errlen, "guest RAM too small for page tables");
		return -1;
	}
	/* The first task (pid 1) owns it. */
	if (linux_tasks_init(proc, proc->cfg.max_tasks) < 0) {
		snprintf(err, errlen, "out of memory for the task table");
		return -1;
	}
	return 0;
}

void linux_mm_free(struct linux_proc *proc)
{
	linux_mm_put(proc->mm);
	proc->mm = NULL;
	if (proc->pages.refs)
		linux_physmap_free(proc);
	linux_pages_free(&proc->pages);
}

void linux_mm_reserve(struct linux_proc *proc, uint64_t addr, uint64_t len, uint64_t pte_bits)
{
	if (!pte_bits)
		return; /* nothing mapped (linux.h) */
	uint64_t bits = pte_bits | PTE_A | PTE_D;
	uint64_t start = addr & ~PAGE_MASK, end = page_up(addr + len);
	if (end > proc->user_low)
		proc->user_low = end; /* the program maps only above */
	add_kmap(proc, start, start, end - start, bits);
	for (uint64_t a = start; a < end; a += PAGE) {
		uint64_t *pte = linux_mm_pte(proc->mm, a, true);
		if (pte) {
			*pte = a | bits;
			linux_mm_dirty(proc->mm, pte);
		}
	}
}

/* Hardware rights of a page of a mapping (write only once it is not shared
 * copy-on-write). */
static uint64_t prot_bits(unsigned prot, bool writable)
{
	if (!(prot & (LINUX_PROT_READ | LINUX_PROT_WRITE | LINUX_PROT_EXEC)))
		return 0; /* PROT_NONE: the program's, but not present */
	return PTE_P | PTE_US | PTE_A | PTE_D |
	       ((prot & LINUX_PROT_WRITE) && writable ? PTE_RW : 0) |
	       ((prot & LINUX_PROT_EXEC) ? 0 : PTE_NX);
}

/* [addr, addr+len) page-aligned, non-empty, above the runner's pages and
 * below user_top? */
static bool range_ok(struct linux_proc *proc, uint64_t addr, uint64_t len)
{
	uint64_t end;
	return len && !(addr & PAGE_MASK) && !(len & PAGE_MASK) && addr >= proc->user_low &&
	       !__builtin_add_overflow(addr, len, &end) && end <= proc->user_top;
}

/* range_ok, and every page of the range is mapped. */
static bool range_mapped(struct linux_proc *proc, uint64_t addr, uint64_t len)
{
	return range_ok(proc, addr, len) && linux_vma_covered(proc->mm, addr, addr + len);
}

static bool range_free(struct linux_proc *proc, uint64_t addr, uint64_t len)
{
	return range_ok(proc, addr, len) && linux_vma_free(proc->mm, addr, addr + len);
}

/* Gives [start, end)'s frames back (zeroed) and clears their entries. */
static void unmap_pages(struct linux_proc *proc, uint64_t start, uint64_t end)
{
	for (uint64_t a = start; a < end; a += PAGE) {
		uint64_t *pte = linux_mm_pte(proc->mm, a, false);
		if (!pte) {
			a = linux_mm_skip(proc->mm, a) - PAGE;
			continue;
		}
		if (*pte & PTE_P)
			proc->tlb_stale = true;
		if (*pte & PTE_USED)
			linux_page_put(&proc->pages, *pte & PTE_ADDR);
		*pte = 0;
		linux_mm_dirty(proc->mm, pte);
	}
	linux_page_flush(&proc->pages);
}

/*
 * MADV_DONTNEED of [start, end): a private page whose frame it alone holds
 * keeps that frame, zeroed in place (no entry changes, so no page-table
 * flush before the program resumes: glibc advises away most of a thread's
 * 8 MiB stack at every thread exit); any other page (a copy-on-write frame
 * another process shares, a shared file page) loses its frame as munmap
 * would, and apply_range() gives it a fresh one.
 */
static void drop_private(struct linux_proc *proc, uint64_t start, uint64_t end)
{
	for (uint64_t a = start; a < end; a += PAGE) {
		const struct linux_vma *v = linux_vma_find(proc->mm, a);
		uint64_t *pte = linux_mm_pte(proc->mm, a, false);
		if (!pte) {
			a = linux_mm_skip(proc->mm, a) - PAGE;
			continue;
		}
		uint64_t frame = *pte & PTE_ADDR;
		/* A lazy page gives its frame back: its next access gets a zero one. */
		bool private = v && !v->shm && !(v->flags & (LINUX_VMA_SHARED | LINUX_VMA_LAZY));
		if (private && (*pte & PTE_USED) && linux_page_refs(&proc->pages, frame) == 1) {
			linux_page_zero(&proc->pages, frame);
			continue;
		}
		if (*pte & PTE_P)
			proc->tlb_stale = true;
		if (*pte & PTE_USED)
			linux_page_put(&proc->pages, frame);
		*pte = 0;
		linux_mm_dirty(proc->mm, pte);
	}
	linux_page_flush(&proc->pages);
}

/* Gives the pages of [start, end) the rights of their mapping v: a frame
 * (zeroed) for each accessible page that has none. */
static int apply_prot(struct linux_proc *proc, const struct linux_vma *v, uint64_t start,
		      uint64_t end)
{
	bool shared = v->flags & LINUX_VMA_SHARED;
	for (uint64_t a = start; a < end; a += PAGE) {
		/* A lazy mapping's pages get frames at their first access
		 * (linux_mm_lazy_fault): only those that have one change. */
		bool none = !prot_bits(v->prot, false) || (v->flags & LINUX_VMA_LAZY);
		if (v->shm) {
			/* A shared file page gets its frame at the first access
			 * (linux_mm_shm_fault), and write at the first write. */
			uint64_t *pte = linux_mm_pte(proc->mm, a, false);
			if (!pte) {
				a = linux_mm_skip(proc->mm, a) - PAGE;
				continue;
			}
			if (!(*pte & PTE_USED))
				continue;
			if (*pte & PTE_P)
				proc->tlb_stale = true;
			*pte = (*pte & PTE_ADDR) | PTE_USED | prot_bits(v->prot, false);
			linux_mm_dirty(proc->mm, pte);
			continue;
		}
		uint64_t *pte = linux_mm_pte(proc->mm, a, !none);
		if (!pte) {
			if (!none)
				return -ENOMEM;
			a = linux_mm_skip(proc->mm, a) - PAGE;
			continue;
		}
		uint64_t old = *pte, frame = old & PTE_ADDR;
		if (!(old & PTE_USED)) {
			if (none)
				continue;
			frame = linux_page_alloc(&proc->pages);
			if (!frame)
				return -ENOMEM;
			old = 0;
		}
		uint64_t bits =
		    prot_bits(v->prot, shared || linux_page_refs(&proc->pages, frame) == 1);
		/* Losing a right a cached translation may still grant. */
		if ((old & PTE_P) && ((old & ~bits) & (PTE_P | PTE_RW) || (bits & ~old & PTE_NX)))
			proc->tlb_stale = true;
		if (*pte == (frame | PTE_USED | bits))
			continue; /* unchanged: KVM's shadow of the table is still right */
		*pte = frame | PTE_USED | bits;
		linux_mm_dirty(proc->mm, pte);
	}
	return 0;
}

/* Every mapping piece inside [addr, end) gets its page rights. */
static int apply_range(struct linux_proc *proc, uint64_t addr, uint64_t end)
{
	for (uint64_t a = addr; a < end;) {
		const struct linux_vma *v = linux_vma_find(proc->mm, a);
		if (!v)
			return -ENOMEM;
		uint64_t e = v->end < end ? v->end : end;
		int rc = apply_prot(proc, v, a, e);
		if (rc < 0)
			return rc;
		a = e;
	}
	return 0;
}

int linux_mm_lazy_fault(struct linux_proc *proc, const struct linux_vma *v, uint64_t addr,
			bool write)
{
	if (!prot_bits(v->prot, false) || (write && !(v->prot & LINUX_PROT_WRITE)))
		return -EACCES;
	uint64_t *pte = linux_mm_pte(proc->mm, addr & ~PAGE_MASK, true);
	if (!pte)
		return -ENOMEM;
	if (*pte & PTE_USED)
		return 0; /* another access got it one */
	uint64_t frame = linux_page_alloc(&proc->pages);
	if (!frame)
		return -ENOMEM;
	*pte = frame | PTE_USED | prot_bits(v->prot, true);
	linux_mm_dirty(proc->mm, pte);
	return 0;
}

int linux_mm_shm_fault(struct linux_proc *proc, const struct linux_vma *v, uint64_t addr,
		       bool write)
{
	if (!prot_bits(v->prot, false) || (write && !(v->prot & LINUX_PROT_WRITE)))
		return -EACCES;
	uint64_t index = v->pgoff / PAGE + ((addr & ~PAGE_MASK) - v->start) / PAGE;
	uint64_t *pte = linux_mm_pte(proc->mm, addr & ~PAGE_MASK, true);
	if (!pte)
		return -ENOMEM;
	if (!(*pte & PTE_USED)) {
		uint64_t frame;
		int rc = linux_shm_page(v->shm, index, &frame);
		if (rc < 0)
			return rc;
		linux_page_get(&proc->pages, frame); /* the entry's reference */
		*pte = frame | PTE_USED | prot_bits(v->prot, false);
	}
	if (write) {
		/* Written from now on: written back (no copy: every mapping
		 * and read/write of the file see this frame). */
		linux_shm_mark_dirty(v->shm, index);
		*pte |= PTE_RW;
	}
	linux_mm_dirty(proc->mm, pte);
	return 0;
}

/* A new mapping kind->[start, end), replacing what was there. */
static int map_kind(struct linux_proc *proc, const struct linux_vma *kind)
{
	uint64_t addr = kind->start, end = kind->end;
	unmap_pages(proc, addr, end);
	int rc = linux_vma_remove(proc->mm, addr, end);
	if (rc == 0)
		rc = linux_vma_insert(proc->mm, kind);
	if (rc == 0)
		rc = apply_range(proc, addr, end);
	if (rc < 0) {
		unmap_pages(proc, addr, end);
		(void)linux_vma_remove(proc->mm, addr, end);
	}
	return rc;
}

/* A new anonymous mapping of [addr, addr+len), replacing what was there. */
static int map_fresh(struct linux_proc *proc, uint64_t addr, uint64_t len, unsigned prot,
		     unsigned flags)
{
	const struct linux_vma kind = {
	    .start = addr, .end = addr + len, .prot = prot, .flags = flags};
	return map_kind(proc, &kind);
}

/* New rights for [addr, addr+len), contents kept; gaps become private
 * mappings. */
static int protect(struct linux_proc *proc, uint64_t addr, uint64_t len, unsigned prot)
{
	struct linux_mm *mm = proc->mm;
	uint64_t end = addr + len;
	if (linux_vma_split(mm, addr) < 0 || linux_vma_split(mm, end) < 0)
		return -ENOMEM;
	for (uint64_t a = addr; a < end;) {
		struct linux_vma *v = linux_vma_find(mm, a);
		if (v) {
			v->prot = prot;
			a = v->end;
			continue;
		}
		const struct linux_vma *next = linux_vma_next(mm, a);
		uint64_t gap_end = next && next->start < end ? next->start : end;
		const struct linux_vma gap = {.start = a, .end = gap_end, .prot = prot};
		if (linux_vma_insert(mm, &gap) < 0)
			return -ENOMEM;
		a = gap_end;
	}
	return apply_range(proc, addr, end);
}

int linux_mm_map(struct linux_proc *proc, uint64_t addr, uint64_t len, unsigned prot, bool zero)
{
	if (!range_ok(proc, addr, len))
		return -ENOMEM;
	return zero ? map_fresh(proc, addr, len, prot, 0) : protect(proc, addr, len, prot);
}

int linux_mm_map_frame(struct linux_proc *proc, uint64_t addr, uint64_t frame)
{
	const struct linux_vma *v = linux_vma_find(proc->mm, addr);
	if (!v || v->shm || (v->flags & LINUX_VMA_SHARED))
		return -EINVAL;
	uint64_t *pte = linux_mm_pte(proc->mm, addr, true);
	if (!pte)
		return -ENOMEM;
	if (*pte & PTE_P)
		proc->tlb_stale = true;
	if (*pte & PTE_USED)
		linux_page_put(&proc->pages, *pte & PTE_ADDR);
	linux_page_get(&proc->pages, frame);
	*pte = frame | PTE_USED;
	linux_mm_dirty(proc->mm, pte);
	return 0;
}

static int unmap_range(struct linux_proc *proc, uint64_t addr, uint64_t len)
{
	if (linux_vma_remove(proc->mm, addr, addr + len) < 0)
		return -ENOMEM; /* a record to split and no room: nothing changed */
	unmap_pages(proc, addr, addr + len);
	return 0;
}

/* The highest free run of len bytes in [low, high), or 0. */
static uint64_t find_free(struct linux_proc *proc, uint64_t len, uint64_t low, uint64_t high)
{
	return linux_vma_gap(proc->mm, len, low, high);
}

long linux_sys_brk(struct linux_proc *proc, uint64_t addr)
{
	struct linux_mm *mm = proc->mm;
	if (addr < mm->brk_start || addr > proc->user_top)
		return (long)mm->brk;
	uint64_t old_end = page_up(mm->brk), new_end = page_up(addr);
	if (new_end > old_end) {
		if (!range_free(proc, old_end, new_end - old_end) ||
		    linux_mm_map(proc, old_end, new_end - old_end,
				 LINUX_PROT_READ | LINUX_PROT_WRITE, true) < 0)
			return (long)mm->brk;
	} else if (new_end < old_end && unmap_range(proc, new_end, old_end - new_end) < 0) {
		return (long)mm->brk;
	}
	mm->brk = addr;
	return (long)mm->brk;
}

#define L_MAP_SHARED	      0x01
#define L_MAP_PRIVATE	      0x02
#define L_MAP_TYPE	      0x0f
#define L_MAP_FIXED	      0x10
#define L_MAP_ANONYMOUS	      0x20
#define L_MAP_NORESERVE	      0x4000
#define L_MAP_HUGETLB	      0x40000
#define L_MAP_FIXED_NOREPLACE 0x100000

/* Where mmap and mremap place a mapping that names no address. */
static uint64_t mmap_low(struct linux_proc *proc)
{
	uint64_t low = page_up(proc->mm->brk);
	return low > LINUX_MMAP_MIN ? low : LINUX_MMAP_MIN;
}

/* Whether the page at addr maps a frame others hold too: with the page
 * cache, one of its frames (a fresh mapping's own frames have one
 * reference). */
static bool maps_shared(struct linux_proc *proc, uint64_t addr)
{
	const uint64_t *pte = linux_mm_pte(proc->mm, addr, false);
	return pte && (*pte & PTE_USED) && linux_page_refs(&proc->pages, *pte & PTE_ADDR) > 1;
}

/* A private file mapping's contents: read through a bounded buffer into
 * the frames just mapped, whatever their rights; pages that map the page
 * cache's frames (`cached`) hold the file's bytes already. */
static long fill_from_file(struct linux_proc *proc, struct linux_file *file, uint64_t addr,
			   uint64_t len, uint64_t offset, bool cached)
{
	uint8_t buf[PAGE];
	for (uint64_t done = 0; done < len; done += PAGE) {
		if (cached && maps_shared(proc, addr + done))
			continue;
		long n = linux_fs_pread(file->node, file->host_fd, buf, PAGE, offset + done);
		if (n < 0)
			return n;
		if (n == 0)
			break;
		if (linux_mm_poke(proc, addr + done, buf, (uint64_t)n) < 0)
			return -EFAULT;
		if (n < (long)PAGE)
			break;
	}
	return 0;
}

/* MAP_SHARED of a regular file: a record naming the node's page cache;
 * pages come at the first access (past the end of the file: SIGBUS). */
static long map_shared_file(struct linux_proc *proc, struct linux_file *file, uint64_t addr,
			    uint64_t len, unsigned prot, uint64_t offset)
{
	struct linux_shm *shm = linux_shm_open(proc, file->node);
	if (!shm)
		return -ENOMEM;
	const struct linux_vma kind = {.start = addr,
				       .end = addr + len,
				       .prot = prot,
				       .flags = LINUX_VMA_SHARED |
						((file->flags & 3) == 2 ? LINUX_VMA_MAYWRITE : 0),
				       .shm = shm,
				       .file = linux_procfs_map_name(proc, file->node),
				       .pgoff = offset};
	int rc = map_kind(proc, &kind);
	linux_vma_drop(&kind); /* the record holds its own references */
	return rc < 0 ? rc : (long)addr;
}

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
		if (type != L_MAP_PRIVATE) {
			/* Writing a shared mapping writes the file: the fd must
			 * be open for writing (and so copied up), as Linux. */
			if ((prot & LINUX_PROT_WRITE) && (file->flags & 3) != 2 /* O_RDWR */)
				return -EACCES;
			if (!file->node->writable && !file->node->host)
				return -ENODEV; /* generated (/proc, /sys): no pages to share */
			uint64_t end;
			if (__builtin_add_overflow(offset, page_up(len), &end))
				return -EOVERFLOW;
		}
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
			hint = find_free(proc, len, mmap_low(proc), proc->stack_low - PAGE);
			if (!hint)
				return -ENOMEM;
		}
		addr = hint;
	}
	if (file && type != L_MAP_PRIVATE)
		return map_shared_file(proc, file, addr, len, (unsigned)prot, offset);
	/* Shared anonymous memory stays shared with children after fork. */
	unsigned vflags = (type != L_MAP_PRIVATE && !file) ? LINUX_VMA_SHARED : 0;
	/* MAP_NORESERVE: private anonymous memory the program will not touch
	 * whole (ASan's shadow, a runtime's reservation) and asks not to be
	 * counted: frames at the first access of each page, as Linux gives
	 * them. Any other mapping still gets its frames now, or ENOMEM. */
	if (type == L_MAP_PRIVATE && !file && (flags & L_MAP_NORESERVE))
		vflags |= LINUX_VMA_LAZY;
	struct linux_fcache_file *cf =
	    file ? linux_fcache_open(proc, file->node, file->host_fd) : NULL;
	/* With the page cache: no frames at first, its pages put in, then
	 * the mapping's rights (fresh frames for the other pages). A file's
	 * mapping is named after it in /proc/PID/maps. */
	const struct linux_vma kind = {.start = addr,
				       .end = addr + len,
				       .prot = cf ? 0u : (unsigned)prot,
				       .flags = vflags,
				       .file =
					   file ? linux_procfs_map_name(proc, file->node) : NULL,
				       .pgoff = file ? offset : 0};
	int rc = map_kind(proc, &kind);
	linux_vma_file_put(kind.file); /* the record holds its own reference */
	for (uint64_t done = 0; cf && rc == 0 && done < len; done += PAGE) {
		uint64_t frame =
		    linux_fcache_frame(proc, cf, file->node, file->host_fd, (offset + done) / PAGE);
		if (!frame)
			continue;
		/* A page-table page the entry needs may reclaim what only the
		 * cache holds: */
		linux_page_get(&proc->pages, frame); /* held while its entry is made */
		rc = linux_mm_map_frame(proc, addr + done, frame);
		linux_page_put(&proc->pages, frame);
	}
	if (cf && rc == 0)
		rc = protect(proc, addr, len, (unsigned)prot);
	if (rc < 0) {
		if (cf)
			(void)unmap_range(proc, addr, len);
		return rc;
	}
	if (file) {
		long n = fill_from_file(proc, file, addr, len, offset, cf != NULL);
		if (n < 0) {
			(void)unmap_range(proc, addr, len);
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
	return unmap_range(proc, addr, len);
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
	/* Write on a shared mapping of a file not open for writing: EACCES. */
	for (const struct linux_vma *v = linux_vma_find(proc->mm, addr); v && v->start < addr + len;
	     v = linux_vma_next(proc->mm, v->end))
		if (v->shm && (prot & LINUX_PROT_WRITE) && !(v->flags & LINUX_VMA_MAYWRITE))
			return -EACCES;
	return linux_mm_map(proc, addr, len, (unsigned)prot, false);
}

#define L_MREMAP_MAYMOVE 1
#define L_MREMAP_FIXED	 2

/* Moves the frames of [old, old+len) to dest (a free range): no copy. */
static int move_pages(struct linux_proc *proc, uint64_t old, uint64_t len, uint64_t dest,
		      const struct linux_vma *v)
{
	struct linux_vma moved = *v;
	moved.start = dest;
	moved.end = dest + len;
	if (linux_vma_insert(proc->mm, &moved) < 0)
		return -ENOMEM;
	for (uint64_t off = 0; off < len; off += PAGE) {
		uint64_t *from = linux_mm_pte(proc->mm, old + off, false);
		if (!from) {
			off = linux_mm_skip(proc->mm, old + off) - old - PAGE;
			continue;
		}
		if (!(*from & PTE_USED))
			continue;
		uint64_t *to = linux_mm_pte(proc->mm, dest + off, true);
		if (!to)
			return -ENOMEM;
		*to = *from;
		*from = 0;
		linux_mm_dirty(proc->mm, to);
		linux_mm_dirty(proc->mm, from);
	}
	proc->tlb_stale = true;
	return unmap_range(proc, old, len);
}

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
	const struct linux_vma *v = linux_vma_find(proc->mm, old);
	if (v->end < old + old_len)
		return -EFAULT; /* Linux: the range must be one mapping */
	if (new_len <= old_len) {
		if (new_len < old_len && unmap_range(proc, old + new_len, old_len - new_len) < 0)
			return -ENOMEM;
		return (long)old;
	}
	if (range_free(proc, old + old_len, new_len - old_len)) {
		/* Grown in place: a file mapping goes on at the next offset. */
		struct linux_vma more = *v;
		more.pgoff += old + old_len - v->start;
		more.start = old + old_len;
		more.end = old + new_len;
		int rc = map_kind(proc, &more);
		return rc < 0 ? rc : (long)old;
	}
	if (!(flags & L_MREMAP_MAYMOVE))
		return -ENOMEM;
	uint64_t dest = find_free(proc, new_len, mmap_low(proc), proc->stack_low - PAGE);
	if (!dest)
		return -ENOMEM;
	struct linux_vma kind = *v;
	kind.pgoff += old - v->start;
	linux_vma_hold(&kind); /* its cache and name kept while the old records go */
	int rc = move_pages(proc, old, old_len, dest, &kind);
	if (rc == 0) {
		kind.pgoff += old_len;
		kind.start = dest + old_len;
		kind.end = dest + new_len;
		rc = map_kind(proc, &kind);
	}
	linux_vma_drop(&kind);
	(void)new_addr;
	return rc < 0 ? rc : (long)dest;
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
	if (advice == L_MADV_DONTNEED) {
		/* Private pages read as zero again. */
		drop_private(proc, addr, addr + len);
		return apply_range(proc, addr, addr + len) < 0 ? -ENOMEM : 0;
	}
	return 0; /* other advice changes nothing here */
}

#define L_MS_ASYNC	1
#define L_MS_INVALIDATE 2
#define L_MS_SYNC	4

long linux_sys_msync(struct linux_proc *proc, uint64_t addr, uint64_t len, uint64_t flags)
{
	if ((addr & PAGE_MASK) || (flags & ~7ULL) ||
	    (flags & (L_MS_ASYNC | L_MS_SYNC)) == (L_MS_ASYNC | L_MS_SYNC))
		return -EINVAL;
	if (len == 0)
		return 0;
	uint64_t end;
	if (__builtin_add_overflow(addr, page_up(len), &end) || page_up(len) < len)
		return -ENOMEM;
	len = page_up(len);
	if (!range_mapped(proc, addr, len))
		return -ENOMEM;
	/* The cache is what every mapping and read() see, so MS_INVALIDATE has
	 * nothing to drop; MS_ASYNC writes back now as MS_SYNC does. */
	for (const struct linux_vma *v = linux_vma_find(proc->mm, addr); v && v->start < end;
	     v = linux_vma_next(proc->mm, v->end)) {
		if (!v->shm)
			continue;
		int rc = linux_shm_writeback(v->shm);
		if (rc < 0)
			return rc == -ENOSPC ? rc : -EIO;
	}
	return 0;
}
