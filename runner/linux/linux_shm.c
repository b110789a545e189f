/* The page cache of a --linux file node: MAP_SHARED file mappings of every process map its frames, read/write of the node go through it, dirty pages are written back (msync, the last mapping's end, the last close). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "linux.h"
#include "linux_pte.h"
#include "linux_shm.h"

/* Index of the first cached page at or after index (npages if none). */
static uint64_t slot_of(const struct linux_shm *shm, uint64_t index)
{
	uint64_t lo = 0, hi = shm->npages;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (shm->pages[mid].index < index)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct linux_shm_page *cached(const struct linux_shm *shm, uint64_t index)
{
	uint64_t i = slot_of(shm, index);
	return i < shm->npages && shm->pages[i].index == index ? &shm->pages[i] : NULL;
}

struct linux_shm *linux_shm_open(struct linux_proc *proc, struct linux_node *node)
{
	if (node->shm) {
		node->shm->vmas++;
		return node->shm;
	}
	struct linux_shm *shm = calloc(1, sizeof(*shm));
	if (!shm)
		return NULL;
	shm->proc = proc;
	shm->node = node;
	shm->vmas = 1;
	shm->next = proc->shms;
	proc->shms = shm;
	node->shm = shm;
	linux_fs_get(&proc->fs, node); /* the cache keeps the file */
	return shm;
}

void linux_shm_ref(struct linux_shm *shm)
{
	shm->vmas++;
}

/* Drops every cached frame and the cache itself, out of proc->shms
 * already (no write-back). */
static void shm_release(struct linux_shm *shm)
{
	struct linux_proc *proc = shm->proc;
	for (uint64_t i = 0; i < shm->npages; i++)
		linux_page_put(&proc->pages, shm->pages[i].frame);
	linux_page_flush(&proc->pages);
	shm->node->shm = NULL;
	linux_fs_put(&proc->fs, shm->node);
	free(shm->pages);
	free(shm);
}

static void shm_free(struct linux_shm *shm)
{
	for (struct linux_shm **p = &shm->proc->shms; *p; p = &(*p)->next)
		if (*p == shm) {
			*p = shm->next;
			break;
		}
	shm_release(shm);
}

void linux_shm_unref(struct linux_shm *shm)
{
	if (--shm->vmas)
		return;
	(void)linux_shm_writeback(shm); /* a failed write-back loses what the host refused */
	shm_free(shm);
}

/* Reads page index of the file, bypassing the cache, into buf (zero past
 * the end). 0 or -errno. */
static int fill(struct linux_shm *shm, uint64_t index, uint8_t *buf)
{
	struct linux_node *node = shm->node;
	int fd = -1;
	if (node->host) {
		fd = linux_hostfs_open(&shm->proc->fs, node);
		if (fd < 0)
			return fd;
	}
	long n = 0;
	for (uint64_t done = 0; done < PAGE; done += (uint64_t)n) {
		n = linux_fs_pread_raw(node, fd, buf + done, PAGE - done, index * PAGE + done);
		if (n <= 0)
			break;
	}
	if (fd >= 0)
		close(fd);
	return n < 0 ? (int)n : 0;
}

/* Drops the clean cached pages no mapping maps (as Linux reclaims its page
 * cache): true when a frame came free. */
static bool reclaim(struct linux_proc *proc)
{
	bool freed = false;
	for (struct linux_shm *shm = proc->shms; shm; shm = shm->next) {
		uint64_t kept = 0;
		for (uint64_t i = 0; i < shm->npages; i++) {
			const struct linux_shm_page *p = &shm->pages[i];
			if (p->dirty || linux_page_refs(&proc->pages, p->frame) > 1) {
				shm->pages[kept++] = *p;
				continue;
			}
			linux_page_put(&proc->pages, p->frame);
			freed = true;
		}
		shm->npages = kept;
	}
	linux_page_flush(&proc->pages);
	return freed;
}

int linux_shm_page(struct linux_shm *shm, uint64_t index, uint64_t *frame)
{
	struct linux_proc *proc = shm->proc;
	if (index >= (shm->node->size + PAGE_MASK) / PAGE)
		return -EFAULT; /* past the end of the file: SIGBUS */
	const struct linux_shm_page *hit = cached(shm, index);
	if (hit) {
		*frame = hit->frame;
		return 0;
	}
	if (shm->npages == shm->cap) {
		uint64_t cap = shm->cap ? 2 * shm->cap : 16;
		struct linux_shm_page *grown =
		    realloc_copy(shm->pages, shm->cap * sizeof(*grown), cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		shm->pages = grown;
		shm->cap = cap;
	}
	uint64_t f = linux_page_alloc(&proc->pages); /* counts against --mem */
	if (!f && reclaim(proc)) /* (a full pool: clean pages no mapping maps go) */
		f = linux_page_alloc(&proc->pages);
	if (!f)
		return -ENOMEM;
	int rc = fill(shm, index, linux_page_host(&proc->pages, f));
	if (rc < 0) {
		linux_page_put(&proc->pages, f);
		linux_page_flush(&proc->pages);
		return rc;
	}
	uint64_t i = slot_of(shm, index); /* (reclaim may have moved the pages) */
	memmove(&shm->pages[i + 1], &shm->pages[i], (shm->npages - i) * sizeof(*shm->pages));
	shm->pages[i] = (struct linux_shm_page){.index = index, .frame = f};
	shm->npages++;
	*frame = f;
	return 0;
}

void linux_shm_mark_dirty(struct linux_shm *shm, uint64_t index)
{
	struct linux_shm_page *p = cached(shm, index);
	if (p)
		p->dirty = true;
}

int linux_shm_writeback(struct linux_shm *shm)
{
	struct linux_proc *proc = shm->proc;
	struct linux_node *node = shm->node;
	int fd = -1, rc = 0;
	if (proc->shm_teardown)
		return 0; /* the main thread may not touch host files */
	for (uint64_t i = 0; i < shm->npages && rc == 0; i++) {
		const struct linux_shm_page *p = &shm->pages[i];
		uint64_t off = p->index * PAGE;
		if (!p->dirty || off >= node->size)
			continue;
		uint64_t len = node->size - off < PAGE ? node->size - off : PAGE;
		const uint8_t *src = linux_page_host(&proc->pages, p->frame);
		if (!node->vol) {
			/* A memory file: its bytes (within size, so within tmp_cap). */
			if (node->writable && node->tmp_data)
				memcpy(node->tmp_data + off, src, len);
			continue;
		}
		if (fd < 0 && (fd = linux_volume_open(&proc->fs, node, O_WRONLY)) < 0)
			return fd;
		for (uint64_t done = 0; done < len;) {
			ssize_t n = pwrite(fd, src + done, len - done, (off_t)(off + done));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				rc = n < 0 ? -errno : -EIO;
				break;
			}
			done += (uint64_t)n;
		}
	}
	if (fd >= 0)
		close(fd);
	return rc;
}

void linux_shm_sync_all(struct linux_proc *proc)
{
	for (struct linux_shm *shm = proc->shms; shm; shm = shm->next)
		(void)linux_shm_writeback(shm);
}

void linux_shm_free_all(struct linux_proc *proc)
{
	struct linux_shm *shm;
	while ((shm = proc->shms) != NULL) {
		proc->shms = shm->next;
		shm_release(shm);
	}
}

long linux_shm_pread(const struct linux_node *node, int host_fd, void *dst, uint64_t len,
		     uint64_t offset)
{
	const struct linux_shm *shm = node->shm;
	if (!shm)
		return -ENOSYS;
	if (offset >= node->size)
		return 0;
	if (len > node->size - offset)
		len = node->size - offset;
	uint64_t done = 0;
	while (done < len) {
		uint64_t at = offset + done, in = at & PAGE_MASK;
		uint64_t piece = PAGE - in < len - done ? PAGE - in : len - done;
		const struct linux_shm_page *p = cached(shm, at / PAGE);
		if (p) {
			memcpy((uint8_t *)dst + done,
			       (const uint8_t *)linux_page_host(&shm->proc->pages, p->frame) + in,
			       piece);
			done += piece;
			continue;
		}
		long n = linux_fs_pread_raw(node, host_fd, (uint8_t *)dst + done, piece, at);
		if (n < 0)
			return done ? (long)done : n;
		done += (uint64_t)n;
		if ((uint64_t)n < piece)
			break;
	}
	return (long)done;
}

void linux_shm_wrote(struct linux_node *node, uint64_t offset, const void *buf, uint64_t len)
{
	struct linux_shm *shm = node->shm;
	if (!shm)
		return;
	for (uint64_t done = 0; done < len;) {
		uint64_t at = offset + done, in = at & PAGE_MASK;
		uint64_t piece = PAGE - in < len - done ? PAGE - in : len - done;
		const struct linux_shm_page *p = cached(shm, at / PAGE);
		if (p)
			memcpy((uint8_t *)linux_page_host(&shm->proc->pages, p->frame) + in,
			       (const uint8_t *)buf + done, piece);
		done += piece;
	}
}

/* Clears the entries of mm mapping pages of shm at file index `cut` and above. */
static void unmap_from(struct linux_proc *proc, struct linux_mm *mm, const struct linux_shm *shm,
		       uint64_t cut)
{
	for (unsigned i = 0; i < mm->nvmas; i++) {
		const struct linux_vma *v = &mm->vmas[i];
		if (v->shm != shm)
			continue;
		for (uint64_t a = v->start; a < v->end; a += PAGE) {
			if (v->pgoff / PAGE + (a - v->start) / PAGE < cut)
				continue;
			uint64_t *pte = linux_mm_pte(mm, a, false);
			if (!pte || !(*pte & PTE_USED))
				continue;
			linux_page_put(&proc->pages, *pte & PTE_ADDR);
			*pte = 0;
			linux_mm_dirty(mm, pte);
			proc->tlb_stale = true;
		}
	}
}

void linux_shm_truncated(struct linux_node *node, uint64_t size)
{
	struct linux_shm *shm = node->shm;
	if (!shm)
		return;
	struct linux_proc *proc = shm->proc;
	uint64_t cut = (size + PAGE_MASK) / PAGE;
	for (struct linux_mm *mm = proc->pages.mms; mm; mm = mm->next)
		unmap_from(proc, mm, shm, cut);
	uint64_t keep = slot_of(shm, cut);
	for (uint64_t i = keep; i < shm->npages; i++)
		linux_page_put(&proc->pages, shm->pages[i].frame);
	linux_page_flush(&proc->pages);
	shm->npages = keep;
	struct linux_shm_page *last = size & PAGE_MASK ? cached(shm, size / PAGE) : NULL;
	if (last) /* the bytes past the end read as zero, as Linux */
		memset((uint8_t *)linux_page_host(&proc->pages, last->frame) + (size & PAGE_MASK),
		       0, PAGE - (size & PAGE_MASK));
}

void linux_shm_closed(struct linux_node *node)
{
	if (node->shm)
		(void)linux_shm_writeback(node->shm);
}
