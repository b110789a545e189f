/* Mapping records of a Linux-ABI address space: a sorted array of non-overlapping [start, end) ranges with their rights, whether they are shared, and the file they name (Linux's VMAs). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "linux.h"
#include "linux_fs.h"
#include "linux_pte.h"
#include "linux_shm.h"

/* Linux's default vm.max_map_count. */
#define LINUX_MAX_VMAS 65530u

/* Index of the first record ending above addr (nvmas if none). */
static unsigned first_above(const struct linux_mm *mm, uint64_t addr)
{
	unsigned lo = 0, hi = mm->nvmas;
	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		if (mm->vmas[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct linux_vma *linux_vma_next(struct linux_mm *mm, uint64_t addr)
{
	unsigned i = first_above(mm, addr);
	return i < mm->nvmas ? &mm->vmas[i] : NULL;
}

struct linux_vma *linux_vma_find(struct linux_mm *mm, uint64_t addr)
{
	struct linux_vma *v = linux_vma_next(mm, addr);
	return v && v->start <= addr ? v : NULL;
}

/* Room for one more record at index i (records from i move up). */
static int open_slot(struct linux_mm *mm, unsigned i)
{
	if (mm->nvmas >= LINUX_MAX_VMAS)
		return -ENOMEM;
	if (mm->nvmas == mm->vmas_cap) {
		unsigned cap = mm->vmas_cap ? 2 * mm->vmas_cap : 16;
		struct linux_vma *v =
		    realloc_copy(mm->vmas, mm->vmas_cap * sizeof(*v), cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		mm->vmas = v;
		mm->vmas_cap = cap;
	}
	memmove(&mm->vmas[i + 1], &mm->vmas[i], (mm->nvmas - i) * sizeof(*mm->vmas));
	mm->nvmas++;
	return 0;
}

struct linux_vma_file *linux_vma_file_new(struct linux_fs *fs, struct linux_node *node,
					  const char *path, uint64_t dev, uint64_t ino)
{
	size_t len = node ? 0 : strlen(path);
	struct linux_vma_file *f = malloc(sizeof(*f) + len + 1);
	if (!f)
		return NULL;
	*f = (struct linux_vma_file){.refs = 1, .dev = dev, .ino = ino, .fs = fs, .node = node};
	memcpy(f->path, node ? "" : path, len + 1);
	if (node)
		linux_fs_get(fs, node);
	return f;
}

void linux_vma_file_put(struct linux_vma_file *f)
{
	if (!f || --f->refs)
		return;
	if (f->node)
		linux_fs_put(f->fs, f->node);
	free(f);
}

void linux_vma_hold(const struct linux_vma *v)
{
	if (v->shm)
		linux_shm_ref(v->shm);
	if (v->file)
		v->file->refs++;
}

void linux_vma_drop(const struct linux_vma *v)
{
	if (v->shm)
		linux_shm_unref(v->shm);
	linux_vma_file_put(v->file);
}

int linux_vma_split(struct linux_mm *mm, uint64_t addr)
{
	unsigned i = first_above(mm, addr);
	if (i >= mm->nvmas || mm->vmas[i].start >= addr)
		return 0; /* already a boundary, or outside every record */
	if (open_slot(mm, i) < 0)
		return -ENOMEM;
	mm->vmas[i].end = addr;
	mm->vmas[i + 1].start = addr;
	/* both halves name the cache and the file; the upper one's offset moves */
	linux_vma_hold(&mm->vmas[i + 1]);
	mm->vmas[i + 1].pgoff += addr - mm->vmas[i].start;
	return 0;
}

int linux_vma_remove(struct linux_mm *mm, uint64_t start, uint64_t end)
{
	if (linux_vma_split(mm, start) < 0 || linux_vma_split(mm, end) < 0)
		return -ENOMEM;
	unsigned i = first_above(mm, start), j = i;
	while (j < mm->nvmas && mm->vmas[j].end <= end)
		j++;
	if (j == i)
		return 0; /* nothing there (and maybe no array yet) */
	for (unsigned k = i; k < j; k++)
		linux_vma_drop(&mm->vmas[k]);
	memmove(&mm->vmas[i], &mm->vmas[j], (mm->nvmas - j) * sizeof(*mm->vmas));
	mm->nvmas -= j - i;
	return 0;
}

/* Whether lo and hi (lo just below hi) are one mapping: same rights, and
 * for a file the same cache and name at contiguous offsets. */
static bool same_kind(const struct linux_vma *lo, const struct linux_vma *hi)
{
	return lo->prot == hi->prot && lo->flags == hi->flags && lo->shm == hi->shm &&
	       lo->file == hi->file &&
	       (!(lo->shm || lo->file) || lo->pgoff + (lo->end - lo->start) == hi->pgoff);
}

int linux_vma_insert(struct linux_mm *mm, const struct linux_vma *v)
{
	uint64_t start = v->start, end = v->end;
	unsigned i = first_above(mm, start);
	if (i < mm->nvmas && mm->vmas[i].start < end)
		return -EEXIST;
	/* Merged with a neighbour of the same kind: brk grows one record. */
	if (i > 0 && mm->vmas[i - 1].end == start && same_kind(&mm->vmas[i - 1], v)) {
		mm->vmas[i - 1].end = end;
		if (i < mm->nvmas && mm->vmas[i].start == end && same_kind(v, &mm->vmas[i])) {
			mm->vmas[i - 1].end = mm->vmas[i].end;
			linux_vma_drop(&mm->vmas[i]); /* one record fewer names them */
			memmove(&mm->vmas[i], &mm->vmas[i + 1],
				(mm->nvmas - i - 1) * sizeof(*mm->vmas));
			mm->nvmas--;
		}
		return 0;
	}
	if (i < mm->nvmas && mm->vmas[i].start == end && same_kind(v, &mm->vmas[i])) {
		mm->vmas[i].start = start;
		mm->vmas[i].pgoff = v->pgoff;
		return 0;
	}
	if (open_slot(mm, i) < 0)
		return -ENOMEM;
	mm->vmas[i] = *v;
	linux_vma_hold(v);
	return 0;
}

int linux_vma_name(struct linux_mm *mm, uint64_t start, uint64_t end, struct linux_vma_file *f,
		   uint64_t pgoff)
{
	if (linux_vma_split(mm, start) < 0 || linux_vma_split(mm, end) < 0)
		return -ENOMEM;
	for (unsigned i = first_above(mm, start); i < mm->nvmas && mm->vmas[i].start < end; i++) {
		struct linux_vma *v = &mm->vmas[i];
		f->refs++;
		linux_vma_file_put(v->file);
		v->file = f;
		if (!v->shm)
			v->pgoff = pgoff + (v->start - start);
	}
	return 0;
}

void linux_vma_free_all(struct linux_mm *mm)
{
	for (unsigned i = 0; i < mm->nvmas; i++)
		linux_vma_drop(&mm->vmas[i]);
	mm->nvmas = 0;
}

bool linux_vma_free(struct linux_mm *mm, uint64_t start, uint64_t end)
{
	unsigned i = first_above(mm, start);
	return i >= mm->nvmas || mm->vmas[i].start >= end;
}

bool linux_vma_covered(struct linux_mm *mm, uint64_t start, uint64_t end)
{
	for (unsigned i = first_above(mm, start); start < end; i++) {
		if (i >= mm->nvmas || mm->vmas[i].start > start)
			return false;
		start = mm->vmas[i].end;
	}
	return true;
}

uint64_t linux_vma_gap(struct linux_mm *mm, uint64_t len, uint64_t low, uint64_t high)
{
	/* From the top down, as Linux's default mmap layout. */
	uint64_t top = high;
	for (unsigned i = first_above(mm, high);; i--) {
		uint64_t bottom = i > 0 ? mm->vmas[i - 1].end : 0;
		if (bottom < low)
			bottom = low;
		if (i < mm->nvmas && mm->vmas[i].start < top)
			top = mm->vmas[i].start;
		if (top >= bottom + len && top >= len)
			return top - len;
		if (i == 0 || mm->vmas[i - 1].end <= low)
			return 0;
		top = mm->vmas[i - 1].start;
	}
}
