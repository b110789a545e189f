/* The page cache of a --linux file node (linux_shm.c): the frames MAP_SHARED file mappings share with each other and with read/write of the node. */
#ifndef LOCKVM_LINUX_SHM_H
#define LOCKVM_LINUX_SHM_H

#include <stdbool.h>
#include <stdint.h>

struct linux_proc;
struct linux_node;

/* One cached page: its index in the file (offset / 4096), its frame. */
struct linux_shm_page {
	uint64_t index, frame;
	bool dirty; /* written through a mapping since it was cached: written back */
};

/*
 * A node's cache, hung off node->shm while a mapping record names it. It
 * holds one frame reference per cached page (each page-table entry that
 * maps one holds its own) and a reference on the node. Frames come from
 * the VM's pool, so cached pages count against --mem like any other.
 */
struct linux_shm {
	struct linux_proc *proc;
	struct linux_node *node;
	unsigned vmas;		      /* mapping records naming it (split and fork add) */
	struct linux_shm_page *pages; /* sorted by index */
	uint64_t npages, cap;
	struct linux_shm *next; /* proc->shms: every cache of the VM */
};

/* The cache of node, made when none exists, with one more mapping record
 * naming it. NULL: out of memory. */
struct linux_shm *linux_shm_open(struct linux_proc *proc, struct linux_node *node);
/* One more mapping record names shm (a split, a fork's copy). */
void linux_shm_ref(struct linux_shm *shm);
/* A mapping record naming shm went; the last one writes the dirty pages
 * back and frees the cache. */
void linux_shm_unref(struct linux_shm *shm);
/* The frame caching page `index` (filled from the file the first time):
 * 0, -EFAULT past the end of the file (SIGBUS), -ENOMEM no frame left. */
int linux_shm_page(struct linux_shm *shm, uint64_t index, uint64_t *frame);
/* A mapping is about to write page index (already cached). */
void linux_shm_mark_dirty(struct linux_shm *shm, uint64_t index);
/* Writes the dirty pages back to the node's file: a --volume file's host
 * file (opened for the time it takes), a memory file's bytes. 0 or -errno. */
int linux_shm_writeback(struct linux_shm *shm);
/* Every cache of the VM written back: the first process ends (vCPU thread). */
void linux_shm_sync_all(struct linux_proc *proc);
/* Frees every cache without writing back (the VM's teardown: host files
 * may not be touched from there). */
void linux_shm_free_all(struct linux_proc *proc);

/* Hooks of the file code, all no-ops for a node without a cache. */
/* Reads through the cache (cached pages, else the file): bytes or -errno;
 * -ENOSYS when node has no cache. */
long linux_shm_pread(const struct linux_node *node, int host_fd, void *dst, uint64_t len,
		     uint64_t offset);
/* len bytes at offset were written to the file: cached pages take them. */
void linux_shm_wrote(struct linux_node *node, uint64_t offset, const void *buf, uint64_t len);
/* The file shrank (or grew) to size: pages wholly past it leave every
 * mapping and the cache (a later access is SIGBUS); the last page's tail
 * reads as zero. */
void linux_shm_truncated(struct linux_node *node, uint64_t size);
/* The last fd of a file description on node closed: written back. */
void linux_shm_closed(struct linux_node *node);

#endif
