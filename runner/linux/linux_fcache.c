/* The page cache of private file mappings: pages of the host tree's files that MAP_PRIVATE mappings (ld.so's libraries) share copy-on-write across processes, read from the file once while its identity holds. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "linux.h"
#include "linux_fs.h"
#include "linux_pte.h"

struct linux_fcache_file {
	dev_t dev;
	ino_t ino;
	uint64_t size;
	struct timespec mtime, ctime;
	uint64_t nframes; /* the file's whole pages */
	uint64_t *frames; /* per whole page: its frame (the cache's reference), 0: none yet */
};

/* Only a lower file of the host tree: the VM never writes it (a write
 * copies it up to another node), so only the host can change its bytes,
 * which fstat's identity shows. */
static bool eligible(const struct linux_node *node)
{
	return node->host && !node->writable && !node->vol && !node->dev_kind &&
	       (node->mode & S_IFMT) == S_IFREG;
}

static bool same_file(const struct linux_fcache_file *cf, const struct stat *st)
{
	return cf->dev == st->st_dev && cf->ino == st->st_ino &&
	       cf->size == (uint64_t)st->st_size && cf->mtime.tv_sec == st->st_mtim.tv_sec &&
	       cf->mtime.tv_nsec == st->st_mtim.tv_nsec && cf->ctime.tv_sec == st->st_ctim.tv_sec &&
	       cf->ctime.tv_nsec == st->st_ctim.tv_nsec;
}

/* The cache's references go; mappings keep theirs (their pages stay
 * theirs, as a private mapping's pages are). */
static void file_free(struct linux_proc *proc, struct linux_fcache_file *cf)
{
	struct linux_fcache *c = &proc->fcache;
	for (uint64_t i = 0; i < cf->nframes; i++)
		if (cf->frames[i]) {
			linux_page_put(&proc->pages, cf->frames[i]);
			c->frames--;
		}
	linux_page_flush(&proc->pages);
	free(cf->frames);
	free(cf);
}

static void drop(struct linux_proc *proc, unsigned i)
{
	struct linux_fcache *c = &proc->fcache;
	struct linux_fcache_file *cf = c->files[i];
	for (; i + 1 < LINUX_FCACHE_FILES; i++)
		c->files[i] = c->files[i + 1];
	c->files[LINUX_FCACHE_FILES - 1] = NULL;
	file_free(proc, cf);
}

struct linux_fcache_file *linux_fcache_open(struct linux_proc *proc, const struct linux_node *node,
					    int host_fd)
{
	struct linux_fcache *c = &proc->fcache;
	struct stat st;
	if (host_fd < 0 || !eligible(node) || fstat(host_fd, &st) < 0 || !S_ISREG(st.st_mode))
		return NULL;
	for (unsigned i = 0; i < LINUX_FCACHE_FILES && c->files[i]; i++) {
		struct linux_fcache_file *cf = c->files[i];
		if (cf->dev != st.st_dev || cf->ino != st.st_ino)
			continue;
		if (!same_file(cf, &st)) {
			drop(proc, i); /* changed on the host: read afresh */
			break;
		}
		for (unsigned k = i; k > 0; k--) /* most recent first */
			c->files[k] = c->files[k - 1];
		c->files[0] = cf;
		c->hits++;
		return cf;
	}
	c->misses++;
	uint64_t nframes = (uint64_t)st.st_size / PAGE;
	struct linux_fcache_file *cf = malloc(sizeof(*cf));
	uint64_t *frames = nframes ? calloc(nframes, sizeof(*frames)) : NULL;
	if (!cf || (nframes && !frames)) {
		free(cf);
		free(frames);
		return NULL;
	}
	*cf = (struct linux_fcache_file){.dev = st.st_dev,
					 .ino = st.st_ino,
					 .size = (uint64_t)st.st_size,
					 .mtime = st.st_mtim,
					 .ctime = st.st_ctim,
					 .nframes = nframes,
					 .frames = frames};
	if (c->files[LINUX_FCACHE_FILES - 1])
		drop(proc, LINUX_FCACHE_FILES - 1);
	for (unsigned k = LINUX_FCACHE_FILES - 1; k > 0; k--)
		c->files[k] = c->files[k - 1];
	c->files[0] = cf;
	return cf;
}

/* A new frame for page index (at most an eighth of guest RAM in all; what
 * no mapping holds is reclaimed first when the pool runs out), or 0. */
static uint64_t new_frame(struct linux_proc *proc, const struct linux_fcache_file *cf,
			  uint64_t index, uint8_t **host)
{
	if (index >= cf->nframes || proc->fcache.frames >= proc->pages.count / 8)
		return 0; /* (the last, partial page: the mapping's own copy) */
	uint64_t frame = linux_page_alloc(&proc->pages);
	*host = frame ? linux_page_host(&proc->pages, frame) : NULL;
	return *host ? frame : 0;
}

uint64_t linux_fcache_frame_copy(struct linux_proc *proc, struct linux_fcache_file *cf,
				 uint64_t index, const uint8_t *bytes)
{
	if (index < cf->nframes && cf->frames[index])
		return cf->frames[index];
	uint8_t *host;
	uint64_t frame = bytes ? new_frame(proc, cf, index, &host) : 0;
	if (!frame)
		return 0;
	memcpy(host, bytes, PAGE);
	cf->frames[index] = frame;
	proc->fcache.frames++;
	return frame;
}

uint64_t linux_fcache_frame(struct linux_proc *proc, struct linux_fcache_file *cf,
			    const struct linux_node *node, int host_fd, uint64_t index)
{
	struct linux_fcache *c = &proc->fcache;
	if (index < cf->nframes && cf->frames[index])
		return cf->frames[index];
	uint8_t *host;
	uint64_t frame = new_frame(proc, cf, index, &host);
	if (!frame)
		return 0;
	long n = 0;
	for (uint64_t done = 0; done < PAGE; done += (uint64_t)n) {
		n = linux_fs_pread(node, host_fd, host + done, PAGE - done, index * PAGE + done);
		if (n <= 0)
			break;
	}
	if (n <= 0) { /* shorter than fstat said: not cached */
		linux_page_put(&proc->pages, frame);
		linux_page_flush(&proc->pages);
		return 0;
	}
	cf->frames[index] = frame;
	c->frames++;
	return frame;
}

bool linux_fcache_reclaim(struct linux_proc *proc)
{
	struct linux_fcache *c = &proc->fcache;
	bool freed = false;
	for (unsigned i = 0; i < LINUX_FCACHE_FILES && c->files[i]; i++) {
		struct linux_fcache_file *cf = c->files[i];
		for (uint64_t k = 0; k < cf->nframes; k++)
			if (cf->frames[k] && linux_page_refs(&proc->pages, cf->frames[k]) == 1) {
				linux_page_put(&proc->pages, cf->frames[k]);
				cf->frames[k] = 0;
				c->frames--;
				freed = true;
			}
	}
	linux_page_flush(&proc->pages);
	return freed;
}

void linux_fcache_free(struct linux_proc *proc)
{
	while (proc->fcache.files[0])
		drop(proc, 0);
}
