/* Unit tests for --linux: path resolution inside the host tree (escapes, swapped directories, FIFOs and device nodes refused), its listing, reference counts of /tmp nodes (cwd, fds, parents), the checked program-pointer path and the RFLAGS a program may set. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "linux.h"

/* A host tree in a new temp dir: /a (dir), /a/f (file "hello"), /l -> /../../a/f,
 * /loop -> loop, /esc -> ../../../../../etc, a FIFO and a device node. Returns an
 * O_PATH fd of it; its path in dir. */
static int build_tree(char *dir)
{
	char p[256];
	strcpy(dir, "/tmp/lockvm-test-linux.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(p, sizeof(p), "%s/a", dir);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/a/f", dir);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs("hello", f);
	fclose(f);
	snprintf(p, sizeof(p), "%s/l", dir);
	assert_int_equal(symlink("/../../a/f", p), 0);
	snprintf(p, sizeof(p), "%s/loop", dir);
	assert_int_equal(symlink("loop", p), 0);
	snprintf(p, sizeof(p), "%s/esc", dir);
	assert_int_equal(symlink("../../../../../etc", p), 0);
	snprintf(p, sizeof(p), "%s/fifo", dir);
	assert_int_equal(mkfifo(p, 0666), 0);
	snprintf(p, sizeof(p), "%s/null", dir);
	assert_int_equal(mknod(p, S_IFCHR | 0666, makedev(1, 3)), 0);
	int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

static void remove_tree(const char *dir)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void tree_resolved_inside(void **state)
{
	char dir[64], err[256];
	struct linux_fs fs;
	assert_int_equal(linux_fs_init(&fs, build_tree(dir), 0, 65536, err, sizeof(err)), 0);
	struct linux_node *node;
	assert_int_equal(linux_fs_resolve(&fs, fs.root, "/a/f", 0, &node, NULL, NULL, 0), 0);
	assert_int_equal(node->size, 5);
	/* ".." at the root stays at the root */
	assert_int_equal(linux_fs_resolve(&fs, fs.root, "../../../a/./f", 0, &node, NULL, NULL, 0),
			 0);
	assert_int_equal(node->size, 5);
	/* an absolute symlink with ".." resolves inside the tree */
	assert_int_equal(
	    linux_fs_resolve(&fs, fs.root, "/l", LINUX_RESOLVE_FOLLOW, &node, NULL, NULL, 0), 0);
	assert_int_equal(node->size, 5);
	assert_int_equal(
	    linux_fs_resolve(&fs, fs.root, "/loop", LINUX_RESOLVE_FOLLOW, &node, NULL, NULL, 0),
	    -ELOOP);
	assert_int_equal(linux_fs_resolve(&fs, fs.root, "/a/f/x", 0, &node, NULL, NULL, 0),
			 -ENOTDIR);
	/* a relative symlink climbing out lands on the tree's own /etc: none */
	assert_int_equal(linux_fs_resolve(&fs, fs.root, "/esc/passwd", 0, &node, NULL, NULL, 0),
			 -ENOENT);
	/* FIFOs and device nodes are never opened on the host */
	assert_int_equal(linux_fs_resolve(&fs, fs.root, "/fifo", 0, &node, NULL, NULL, 0), 0);
	assert_true(S_ISFIFO(node->mode));
	assert_int_equal(linux_hostfs_open(&fs, node), -EACCES);
	assert_int_equal(linux_fs_resolve(&fs, fs.root, "/null", 0, &node, NULL, NULL, 0), 0);
	assert_int_equal(linux_hostfs_open(&fs, node), -EACCES);
	/* /tmp is writable, the tree is not */
	struct linux_node *made;
	assert_int_equal(linux_fs_create(&fs, fs.tmp, "x", S_IFREG | 0644, &made), 0);
	assert_int_equal(linux_fs_write(&fs, made, 0, "abc", 3), 3);
	assert_int_equal(linux_fs_write(&fs, made, 65536, "a", 1),
			 -EFBIG); /* past the /tmp limit */
	assert_int_equal(linux_fs_create(&fs, fs.root, "y", S_IFREG | 0644, &made), -EROFS);
	linux_fs_free(&fs);
	remove_tree(dir);
}

/* A directory the walk cached, swapped on the host for a symlink to /etc:
 * the kernel refuses the symlink (RESOLVE_NO_SYMLINKS), /etc is never read. */
static void swapped_directory_refused(void **state)
{
	char dir[64], err[256], p[128], q[128];
	struct linux_fs fs;
	assert_int_equal(linux_fs_init(&fs, build_tree(dir), 0, 65536, err, sizeof(err)), 0);
	struct linux_node *node;
	assert_int_equal(linux_fs_resolve(&fs, fs.root, "/a", 0, &node, NULL, NULL, 0), 0);
	assert_true(S_ISDIR(node->mode));
	snprintf(p, sizeof(p), "%s/a", dir);
	snprintf(q, sizeof(q), "%s/a.real", dir);
	assert_int_equal(rename(p, q), 0);
	assert_int_equal(symlink("/etc", p), 0);
	assert_int_equal(linux_fs_resolve(&fs, fs.root, "/a/passwd", 0, &node, NULL, NULL, 0),
			 -ELOOP);
	linux_fs_free(&fs);
	remove_tree(dir);
}

/* The host listing: every entry once, after the VMM's /tmp and /dev. */
static void host_directory_listed(void **state)
{
	char dir[64], err[256];
	struct linux_fs fs;
	assert_int_equal(linux_fs_init(&fs, build_tree(dir), 0, 65536, err, sizeof(err)), 0);
	const char *name;
	size_t len;
	struct linux_node *node;
	char seen[256] = "";
	for (uint64_t n = 0; linux_fs_dirent(&fs, fs.root, &n, &name, &len, &node);) {
		assert_true(strlen(seen) + len + 2 < sizeof(seen));
		strncat(seen, name, len);
		strcat(seen, " ");
	}
	/* ". .. tmp dev sys proc" then the host's entries in its order: check each once */
	static const char *const want[] = {" a ", " l ", " loop ", " esc ", " fifo ", " null "};
	assert_int_equal(strncmp(seen, ". .. tmp dev sys proc ", 22), 0);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_non_null(strstr(seen + 21, want[i]));
	assert_int_equal(strlen(seen), strlen(". .. tmp dev sys proc a l loop esc fifo null "));
	linux_fs_free(&fs);
	remove_tree(dir);
}

/* A process's memory on 8 MiB of guest RAM (the caller unmaps vm's RAM). */
static void proc_init(struct vm *vm, struct linux_proc *proc)
{
	char err[256];
	vm_init(vm);
	assert_int_equal(guest_mem_map(&vm->mem, 8ULL << 20), 0);
	memset(proc, 0, sizeof(*proc));
	proc->vm = vm;
	assert_int_equal(linux_mm_init(proc, err, sizeof(err)), 0);
	proc->stack_low = proc->user_top - 0x100000;
}

static void user_pointers_checked_page_by_page(void **state)
{
	static struct vm vm;
	struct linux_proc proc;
	proc_init(&vm, &proc);
	uint8_t b[0x2001];
	assert_int_equal(linux_mm_map(&proc, 0x300000, 0x2000, LINUX_PROT_READ, true), 0);
	assert_int_equal(linux_copy_in(&proc, b, 0x300000, 0x2000), 0);
	assert_int_equal(linux_copy_out(&proc, 0x300000, b, 1), -EFAULT);	/* read-only */
	assert_int_equal(linux_copy_in(&proc, b, 0x300000, 0x2001), -EFAULT);	/* one byte over */
	assert_int_equal(linux_copy_in(&proc, b, 0x1000, 16), -EFAULT);		/* runner page */
	assert_int_equal(linux_copy_in(&proc, b, 0x50000ULL, 8), -EFAULT);	/* page tables */
	assert_int_equal(linux_copy_in(&proc, b, proc.mm->root, 8), -EFAULT);	/* its own root */
	assert_int_equal(linux_copy_in(&proc, b, UINT64_MAX - 8, 16), -EFAULT); /* wraps */
	assert_int_equal(linux_mm_map(&proc, 0x1000, 0x1000, LINUX_PROT_READ, true), -ENOMEM);
	assert_int_equal(linux_sys_munmap(&proc, 0x4000, 0x1000), -EINVAL);
	assert_int_equal(linux_sys_munmap(&proc, 0x300000, 0x1000), 0);
	assert_int_equal(linux_copy_in(&proc, b, 0x300000, 1), -EFAULT);
	assert_int_equal(linux_copy_in(&proc, b, 0x301000, 1), 0);
	assert_int_equal(linux_sys_mprotect(&proc, 0x301000, 0x1000, 0), 0);
	assert_int_equal(linux_copy_in(&proc, b, 0x301000, 1), -EFAULT); /* PROT_NONE */
	linux_mm_free(&proc);
	guest_mem_unmap(&vm.mem);
}

/* The frame pool: frames come zeroed, are counted, and a freed one comes
 * back zeroed. */
static void frames_counted_and_zeroed(void **state)
{
	static struct vm vm;
	struct linux_proc proc;
	proc_init(&vm, &proc);
	struct linux_pages *pg = &proc.pages;
	uint64_t used = pg->used, a = linux_page_alloc(pg), b = linux_page_alloc(pg);
	assert_true(a >= LOCKVM_RUNNER_END && b >= LOCKVM_RUNNER_END && a != b);
	assert_int_equal(pg->used, used + 2);
	uint8_t *ha = linux_page_host(pg, a);
	assert_int_equal(ha[100], 0);
	memset(ha, 0xAB, 4096);
	linux_page_get(pg, a);
	assert_int_equal(linux_page_refs(pg, a), 2);
	linux_page_put(pg, a);
	assert_int_equal(ha[100], 0xAB); /* still referenced */
	linux_page_put(pg, a);
	assert_int_equal(linux_page_refs(pg, a), 0);
	uint64_t again = linux_page_alloc(pg); /* the freed frame, zeroed */
	assert_int_equal(again, a);
	assert_int_equal(((uint8_t *)linux_page_host(pg, again))[100], 0);
	assert_null(linux_page_host(pg, 0x1000)); /* runner pages are no frames */
	while (linux_page_alloc(pg))
		;
	assert_int_equal(pg->used, pg->count); /* bounded by guest RAM */
	linux_mm_free(&proc);
	guest_mem_unmap(&vm.mem);
}

/* Freed frames are zeroed in batches (linux_page_flush(): one madvise per
 * run of consecutive frames): frames given back rising, falling, or
 * neither, more than one batch at a time, all read zero when handed out
 * again. */
static void freed_frames_zeroed_in_batches(void **state)
{
	static struct vm vm;
	struct linux_proc proc;
	char err[256];
	vm_init(&vm);
	assert_int_equal(guest_mem_map(&vm.mem, 24ULL << 20), 0);
	memset(&proc, 0, sizeof(proc));
	proc.vm = &vm;
	assert_int_equal(linux_mm_init(&proc, err, sizeof(err)), 0);
	struct linux_pages *pg = &proc.pages;
	enum { N = LINUX_ZERO_BATCH + 300 };
	static uint64_t frames[N];
	for (unsigned order = 0; order < 3; order++) {
		for (unsigned i = 0; i < N; i++) {
			frames[i] = linux_page_alloc(pg);
			assert_true(frames[i] != 0);
			memset(linux_page_host(pg, frames[i]), 0xAB, 4096);
		}
		for (unsigned i = 0; i < N; i++) {
			/* rising, falling, then evens before odds */
			unsigned k = order == 0	  ? i
				     : order == 1 ? N - 1 - i
						  : (i < N / 2 ? 2 * i : 2 * (i - N / 2) + 1);
			linux_page_put(pg, frames[k]);
		}
		for (unsigned i = 0; i < N; i++) {
			uint64_t f = linux_page_alloc(pg);
			const uint8_t *h = linux_page_host(pg, f);
			assert_true(f != 0 && h[0] == 0 && h[4095] == 0);
			frames[i] = f;
		}
		for (unsigned i = 0; i < N; i++)
			linux_page_put(pg, frames[i]);
	}
	linux_mm_free(&proc);
	guest_mem_unmap(&vm.mem);
}

/* fork: the child sees the parent's memory as it was; a write on either
 * side copies the page for that side only; after the child goes, every
 * frame has one reference again. */
static void fork_copies_on_write(void **state)
{
	static struct vm vm;
	struct linux_proc proc;
	proc_init(&vm, &proc);
	const uint64_t at = 0x400000, shared = 0x500000;
	uint32_t v = 1, got;
	assert_int_equal(linux_mm_map(&proc, at, 0x2000, LINUX_PROT_READ | LINUX_PROT_WRITE, true),
			 0);
	assert_int_equal(linux_sys_mmap(&proc, shared, 0x1000, LINUX_PROT_READ | LINUX_PROT_WRITE,
					0x01 | 0x10 | 0x20 /* SHARED FIXED ANON */, -1ULL, 0),
			 (long)shared);
	assert_int_equal(linux_copy_out(&proc, at, &v, 4), 0);
	uint64_t used = proc.pages.used;
	struct linux_mm *parent = proc.mm, *child = linux_mm_fork(&proc);
	assert_non_null(child);
	uint64_t *ppte = linux_mm_pte(parent, at, false), *cpte = linux_mm_pte(child, at, false);
	assert_int_equal(*ppte & ~0xFFFULL, *cpte & ~0xFFFULL); /* one frame */
	assert_false(*ppte & 2);				/* read-only in the parent */
	assert_false(*cpte & 2);				/* and in the child */
	assert_int_equal(linux_page_refs(&proc.pages, *ppte & ~0xFFFULL & ~(1ULL << 63)), 2);
	assert_true(*linux_mm_pte(parent, shared, false) & 2); /* MAP_SHARED stays writable */
	/* The parent writes: its page is copied, the child's keeps 1. */
	v = 2;
	assert_int_equal(linux_copy_out(&proc, at, &v, 4), 0);
	proc.mm = child;
	assert_int_equal(linux_copy_in(&proc, &got, at, 4), 0);
	assert_int_equal(got, 1);
	v = 3; /* the child writes its own copy (one reference left: no copy) */
	uint64_t child_frame = *cpte & 0xFFFFFFFFFF000ULL;
	assert_int_equal(linux_copy_out(&proc, at, &v, 4), 0);
	assert_int_equal(*linux_mm_pte(child, at, false) & 0xFFFFFFFFFF000ULL, child_frame);
	v = 4; /* shared memory: both see the write */
	assert_int_equal(linux_copy_out(&proc, shared, &v, 4), 0);
	proc.mm = parent;
	assert_int_equal(linux_copy_in(&proc, &got, at, 4), 0);
	assert_int_equal(got, 2);
	assert_int_equal(linux_copy_in(&proc, &got, shared, 4), 0);
	assert_int_equal(got, 4);
	/* A write fault on the second page (never written) copies it too. */
	uint64_t second = *linux_mm_pte(parent, at + 0x1000, false) & 0xFFFFFFFFFF000ULL;
	assert_true(linux_mm_fault(&proc, at + 0x1000, 2 | 4));
	assert_true(*linux_mm_pte(parent, at + 0x1000, false) & 2);
	assert_int_not_equal(*linux_mm_pte(parent, at + 0x1000, false) & 0xFFFFFFFFFF000ULL,
			     second);
	assert_false(linux_mm_fault(&proc, 0x700000, 2 | 4)); /* nothing mapped there */
	/* The child goes: every frame of the parent is its own again. */
	linux_mm_put(child);
	assert_int_equal(
	    linux_page_refs(&proc.pages, *linux_mm_pte(parent, at, false) & 0xFFFFFFFFFF000ULL), 1);
	assert_int_equal(
	    linux_page_refs(&proc.pages, *linux_mm_pte(parent, shared, false) & 0xFFFFFFFFFF000ULL),
	    1);
	assert_int_equal(proc.pages.used, used); /* the child's frames and tables came back */
	/* A read-only mapping is not made writable by a write fault. */
	assert_int_equal(linux_sys_mprotect(&proc, at, 0x1000, LINUX_PROT_READ), 0);
	assert_false(linux_mm_fault(&proc, at, 2 | 4));
	assert_int_equal(linux_copy_out(&proc, at, &v, 4), -EFAULT);
	linux_mm_free(&proc);
	guest_mem_unmap(&vm.mem);
}

/* exec: a new empty address space; the old one lives on while shared. */
static void exec_replaces_address_space(void **state)
{
	static struct vm vm;
	struct linux_proc proc;
	proc_init(&vm, &proc);
	uint32_t v = 7;
	assert_int_equal(
	    linux_mm_map(&proc, 0x400000, 0x1000, LINUX_PROT_READ | LINUX_PROT_WRITE, true), 0);
	assert_int_equal(linux_copy_out(&proc, 0x400000, &v, 4), 0);
	struct linux_mm *old = proc.mm;
	old->refs++; /* a vfork parent shares it */
	assert_int_equal(linux_mm_exec(&proc), 0);
	assert_ptr_not_equal(proc.mm, old);
	assert_int_equal(linux_copy_in(&proc, &v, 0x400000, 4), -EFAULT);
	assert_int_equal(old->refs, 1);
	bool flush;
	assert_int_equal(linux_mm_cr3(&proc, old->root, &flush), proc.mm->root);
	assert_true(flush); /* another address space: the TLB is flushed */
	assert_int_equal(linux_mm_cr3(&proc, proc.mm->root, &flush), proc.mm->root);
	assert_false(flush);
	linux_mm_put(old);
	linux_mm_free(&proc);
	guest_mem_unmap(&vm.mem);
}

/* Names a listing of dir shows, each followed by a space. */
static void list_names(struct linux_fs *fs, struct linux_node *dir, char *out, size_t size)
{
	const char *name;
	size_t len;
	struct linux_node *node;
	out[0] = '\0';
	for (uint64_t n = 0; linux_fs_dirent(fs, dir, &n, &name, &len, &node);) {
		assert_true(strlen(out) + len + 2 < size);
		strncat(out, name, len);
		strcat(out, " ");
	}
}

/* overlay: writes copy up, deletes leave whiteouts, a re-created directory
 * is opaque, the upper layer's size is a limit, the host tree never changes. */
static void overlay_copies_up_and_hides(void **state)
{
	char dir[64], err[256], p[128], names[256], buf[16];
	struct linux_fs fs;
	assert_int_equal(linux_fs_init(&fs, build_tree(dir), 8192, 65536, err, sizeof(err)), 0);
	struct linux_node *f, *a, *made;
	assert_int_equal(linux_fs_resolve(&fs, fs.root, "/a/f", 0, &f, NULL, NULL, 0), 0);
	/* a write to a lower file lands in its upper copy, not on the host */
	assert_int_equal(linux_fs_truncate(&fs, f, 0), 0);
	assert_int_equal(linux_fs_write(&fs, f, 0, "upper", 5), 5);
	assert_true(f->writable && !f->host);
	assert_int_equal(linux_fs_pread(f, -1, buf, sizeof(buf), 0), 5);
	assert_memory_equal(buf, "upper", 5);
	snprintf(p, sizeof(p), "%s/a/f", dir);
	FILE *host = fopen(p, "r");
	assert_non_null(host);
	assert_int_equal(fread(buf, 1, sizeof(buf), host), 5);
	fclose(host);
	assert_memory_equal(buf, "hello", 5); /* the lower file is unchanged */
	/* a deleted lower file is gone from lookups and listings */
	assert_int_equal(linux_fs_resolve(&fs, fs.root, "/a", 0, &a, NULL, NULL, 0), 0);
	assert_int_equal(linux_fs_unlink(&fs, a, "f", false), 0);
	assert_int_equal(linux_fs_resolve(&fs, fs.root, "/a/f", 0, &made, NULL, NULL, 0), -ENOENT);
	list_names(&fs, a, names, sizeof(names));
	assert_string_equal(names, ". .. ");
	assert_int_equal(access(p, F_OK), 0); /* still on the host */
	/* the lower directory, now empty in the merged view, goes; a new one is opaque */
	assert_int_equal(linux_fs_unlink(&fs, fs.root, "a", true), 0);
	assert_int_equal(linux_fs_create(&fs, fs.root, "a", S_IFDIR | 0755, &made), 0);
	assert_int_equal(linux_fs_resolve(&fs, fs.root, "/a/f", 0, &f, NULL, NULL, 0), -ENOENT);
	list_names(&fs, made, names, sizeof(names));
	assert_string_equal(names, ". .. ");
	/* a file created where a lower one was is found; its removal hides the lower one again */
	assert_int_equal(linux_fs_create(&fs, made, "f", S_IFREG | 0644, &f), 0);
	assert_int_equal(linux_fs_unlink(&fs, made, "f", false), 0);
	/* the upper layer is full at 8 KiB: ENOSPC, and what failed took nothing */
	assert_int_equal(linux_fs_create(&fs, made, "big", S_IFREG | 0644, &f), 0);
	uint64_t used = fs.upper_pool.used;
	assert_int_equal(linux_fs_write(&fs, f, 0, "x", 1), 1);
	assert_int_equal(linux_fs_truncate(&fs, f, 8192), -ENOSPC);
	assert_true(fs.upper_pool.used <= fs.upper_pool.limit);
	assert_true(fs.upper_pool.used > used);
	linux_fs_free(&fs);
	assert_int_equal(access(p, F_OK), 0);
	remove_tree(dir);
}

/* getdents offsets stay with their entries while others are removed and added. */
static void listing_offsets_stable(void **state)
{
	struct linux_fs fs;
	char err[256], name[8];
	assert_int_equal(linux_fs_init(&fs, -1, 0, 65536, err, sizeof(err)), 0);
	struct linux_node *n;
	for (int i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		assert_int_equal(linux_fs_create(&fs, fs.tmp, name, S_IFREG | 0644, &n), 0);
	}
	/* read three entries past ". ..", delete what was read, add one: the rest follow once */
	const char *got;
	size_t len;
	uint64_t pos = 0;
	for (int i = 0; i < 5; i++)
		assert_true(linux_fs_dirent(&fs, fs.tmp, &pos, &got, &len, &n));
	assert_int_equal(len, 2);
	assert_memory_equal(got, "f2", 2);
	assert_int_equal(linux_fs_unlink(&fs, fs.tmp, "f0", false), 0);
	assert_int_equal(linux_fs_unlink(&fs, fs.tmp, "f1", false), 0);
	assert_int_equal(linux_fs_create(&fs, fs.tmp, "g", S_IFREG | 0644, &n), 0);
	const char *want[] = {"f3", "f4", "f5", "g"};
	for (size_t i = 0; i < 4; i++) {
		assert_true(linux_fs_dirent(&fs, fs.tmp, &pos, &got, &len, &n));
		assert_int_equal(len, strlen(want[i]));
		assert_memory_equal(got, want[i], len);
	}
	assert_false(linux_fs_dirent(&fs, fs.tmp, &pos, &got, &len, &n));
	linux_fs_free(&fs);
}

/* /tmp bytes in use with nothing created: a freed node gives its share back. */
static void tmp_nodes_live_while_referenced(void **state)
{
	struct linux_fs fs;
	char err[256];
	assert_int_equal(linux_fs_init(&fs, -1, 0, 65536, err, sizeof(err)), 0);
	uint64_t empty = fs.tmp_pool.used;
	struct linux_node *d, *f, *x;
	/* refs: a node stays alive while an open file refers to it */
	assert_int_equal(linux_fs_create(&fs, fs.tmp, "d", S_IFDIR | 0755, &d), 0);
	assert_int_equal(d->refs, 1); /* its link */
	linux_fs_get(&fs, d);	      /* an open fd */
	assert_int_equal(linux_fs_unlink(&fs, fs.tmp, "d", true), 0);
	assert_true(d->unlinked);
	assert_int_equal(d->refs, 1);
	assert_true(fs.tmp_pool.used > empty); /* still alive */
	/* rmdir: a removed directory accepts no new entries (ENOENT) */
	assert_int_equal(linux_fs_create(&fs, d, "x", S_IFREG | 0644, &x), -ENOENT);
	assert_int_equal(linux_fs_create(&fs, d, "x", S_IFDIR | 0755, &x), -ENOENT);
	/* refs: freed when the last reference goes */
	linux_fs_put(&fs, d);
	assert_int_equal(fs.tmp_pool.used, empty);

	/* refs: a child pins its parent, linked or not */
	assert_int_equal(linux_fs_create(&fs, fs.tmp, "d", S_IFDIR | 0755, &d), 0);
	assert_int_equal(linux_fs_create(&fs, d, "f", S_IFREG | 0644, &f), 0);
	assert_int_equal(d->refs, 2); /* link + child */
	linux_fs_get(&fs, f);	      /* f open */
	assert_int_equal(linux_fs_unlink(&fs, fs.tmp, "d", true), -ENOTEMPTY);
	assert_int_equal(linux_fs_unlink(&fs, d, "f", false), 0);
	assert_int_equal(linux_fs_unlink(&fs, fs.tmp, "d", true), 0);
	assert_int_equal(d->refs, 1); /* only f's parent reference */
	assert_ptr_equal(f->parent, d);
	assert_true(fs.tmp_pool.used > empty);
	linux_fs_put(&fs, f); /* frees f, then d */
	assert_int_equal(fs.tmp_pool.used, empty);
	/* the root and /tmp live as long as the tree: no count to break */
	linux_fs_put(&fs, fs.tmp);
	linux_fs_put(&fs, fs.root);
	assert_non_null(linux_fs_lookup(&fs, fs.root, "tmp", 3));
	linux_fs_free(&fs);
}

/* A process with the test image, a writable page for paths and buffers. */
struct test_proc {
	char dir[64]; /* the host tree */
	struct vm vm;
	struct linux_proc proc;
	uint64_t user;
};

static void test_proc_init(struct test_proc *t)
{
	char err[256];
	memset(t, 0, sizeof(*t));
	vm_init(&t->vm);
	assert_int_equal(guest_mem_map(&t->vm.mem, 8ULL << 20), 0);
	t->vm.console_fd = -1;
	t->proc.vm = &t->vm;
	t->proc.cfg.fs_fd = -1;
	assert_int_equal(linux_mm_init(&t->proc, err, sizeof(err)), 0);
	assert_int_equal(linux_fs_init(&t->proc.fs, build_tree(t->dir), 0, 65536, err, sizeof(err)),
			 0);
	t->user = 0x300000;
	assert_int_equal(
	    linux_mm_map(&t->proc, t->user, 0x2000, LINUX_PROT_READ | LINUX_PROT_WRITE, true), 0);
	linux_fd_init(&t->proc);
	t->proc.cwd = t->proc.fs.root;
}

/* Puts a path in program memory; returns its address. */
static uint64_t upath(struct test_proc *t, const char *path)
{
	assert_int_equal(linux_copy_out(&t->proc, t->user, path, strlen(path) + 1), 0);
	return t->user;
}

static long call1(struct test_proc *t, long (*sys)(struct linux_proc *, const uint64_t *),
		  uint64_t a0, uint64_t a1, uint64_t a2)
{
	uint64_t a[6] = {a0, a1, a2};
	return sys(&t->proc, a);
}

static void test_proc_free(struct test_proc *t)
{
	linux_fd_free(&t->proc);
	linux_cwd_release(&t->proc);
	linux_fs_free(&t->proc.fs);
	linux_mm_free(&t->proc);
	remove_tree(t->dir);
	guest_mem_unmap(&t->vm.mem);
}

static void cwd_and_fds_hold_their_directory(void **state)
{
	static struct test_proc t;
	test_proc_init(&t);
	uint64_t empty = t.proc.fs.tmp_pool.used;
	uint64_t buf = t.user + 0x1000;
	/* refs: a node stays alive while cwd refers to it */
	assert_int_equal(call1(&t, linux_sys_mkdir, upath(&t, "/tmp/d"), 0755, 0), 0);
	assert_int_equal(call1(&t, linux_sys_chdir, upath(&t, "/tmp/d"), 0, 0), 0);
	struct linux_node *d = t.proc.cwd;
	assert_int_equal(d->refs, 2); /* link + cwd */
	assert_int_equal(call1(&t, linux_sys_rmdir, upath(&t, "../d"), 0, 0), 0);
	assert_true(d->unlinked);
	assert_int_equal(d->refs, 1);
	/* rmdir: a removed cwd accepts no new entries (ENOENT) */
	assert_int_equal(call1(&t, linux_sys_mkdir, upath(&t, "x"), 0755, 0), -ENOENT);
	assert_int_equal(call1(&t, linux_sys_open, upath(&t, "x"), O_CREAT | O_WRONLY, 0644),
			 -ENOENT);
	/* getcwd: a removed cwd gives ENOENT */
	assert_int_equal(call1(&t, linux_sys_getcwd, buf, 4096, 0), -ENOENT);
	/* rmdir: "." is EINVAL, ".." ENOTEMPTY; unlink of either EISDIR */
	assert_int_equal(call1(&t, linux_sys_rmdir, upath(&t, "."), 0, 0), -EINVAL);
	assert_int_equal(call1(&t, linux_sys_rmdir, upath(&t, "/tmp/.."), 0, 0), -ENOTEMPTY);
	assert_int_equal(call1(&t, linux_sys_unlink, upath(&t, "/tmp/."), 0, 0), -EISDIR);
	/* chdir: ".." of a removed cwd is its old parent; leaving frees it */
	assert_int_equal(call1(&t, linux_sys_chdir, upath(&t, ".."), 0, 0), 0);
	assert_ptr_equal(t.proc.cwd, t.proc.fs.tmp);
	assert_int_equal(t.proc.fs.tmp_pool.used, empty);

	/* refs: an fd holds its directory; the last close frees it */
	assert_int_equal(call1(&t, linux_sys_mkdir, upath(&t, "/tmp/e"), 0755, 0), 0);
	long fd = call1(&t, linux_sys_open, upath(&t, "/tmp/e"), O_RDONLY | O_DIRECTORY, 0);
	assert_true(fd >= 3);
	long fd2 = call1(&t, linux_sys_dup, (uint64_t)fd, 0, 0);
	assert_true(fd2 > fd);
	struct linux_node *e = linux_fd_get(&t.proc, (uint64_t)fd)->node;
	assert_int_equal(e->refs, 2); /* link + one open file (shared by the dup) */
	assert_int_equal(call1(&t, linux_sys_rmdir, upath(&t, "/tmp/e"), 0, 0), 0);
	uint64_t at[6] = {(uint64_t)fd, upath(&t, "sub"), 0755};
	assert_int_equal(linux_sys_mkdirat(&t.proc, at), -ENOENT);
	uint64_t ot[6] = {(uint64_t)fd, upath(&t, "f"), O_CREAT | O_WRONLY, 0644};
	assert_int_equal(linux_sys_openat(&t.proc, ot), -ENOENT);
	uint64_t gd[6] = {(uint64_t)fd, buf, 4096};
	assert_int_equal(linux_sys_getdents64(&t.proc, gd), -ENOENT);
	assert_int_equal(call1(&t, linux_sys_fchdir, (uint64_t)fd, 0, 0), 0);
	assert_int_equal(e->refs, 2); /* open file + cwd */
	assert_int_equal(call1(&t, linux_sys_close, (uint64_t)fd, 0, 0), 0);
	assert_int_equal(call1(&t, linux_sys_close, (uint64_t)fd2, 0, 0), 0);
	assert_int_equal(e->refs, 1); /* cwd */
	assert_true(t.proc.fs.tmp_pool.used > empty);
	assert_int_equal(call1(&t, linux_sys_chdir, upath(&t, "/"), 0, 0), 0);
	assert_int_equal(t.proc.fs.tmp_pool.used, empty);
	test_proc_free(&t);
}

/* refs: a mapping holds its file, once per mmap however its records split
 * or fork copies them; the last record's unmap lets an unlinked file go. */
static void mappings_hold_their_file(void **state)
{
	static struct test_proc t;
	test_proc_init(&t);
	uint64_t empty = t.proc.fs.tmp_pool.used;
	long fd = call1(&t, linux_sys_open, upath(&t, "/tmp/m"), O_CREAT | O_RDWR, 0644);
	assert_true(fd >= 3);
	assert_int_equal(call1(&t, linux_sys_ftruncate, (uint64_t)fd, 3 * 4096, 0), 0);
	struct linux_node *m = linux_fd_get(&t.proc, (uint64_t)fd)->node;
	assert_int_equal(m->refs, 2); /* link + open file */
	uint64_t addr = 0x400000;
	assert_int_equal(linux_sys_mmap(&t.proc, addr, 3 * 4096, LINUX_PROT_READ,
					0x12 /* MAP_PRIVATE | MAP_FIXED */, (uint64_t)fd, 0),
			 (long)addr);
	assert_int_equal(m->refs, 3); /* + the mapping */
	struct linux_vma *v = linux_vma_find(t.proc.mm, addr);
	assert_non_null(v);
	assert_non_null(v->file);
	assert_ptr_equal(v->file->node, m);
	/* a hole in the middle: two records, one name, offsets kept */
	assert_int_equal(linux_sys_munmap(&t.proc, addr + 4096, 4096), 0);
	struct linux_vma *lo = linux_vma_find(t.proc.mm, addr);
	struct linux_vma *hi = linux_vma_find(t.proc.mm, addr + 2 * 4096);
	assert_ptr_equal(lo->file, hi->file);
	assert_int_equal(lo->file->refs, 2);
	assert_int_equal(hi->pgoff, 2 * 4096);
	assert_int_equal(m->refs, 3);
	/* a fork's copy names it too; its end gives the name back */
	struct linux_mm *child = linux_mm_fork(&t.proc);
	assert_non_null(child);
	assert_int_equal(lo->file->refs, 4);
	linux_mm_put(child);
	lo = linux_vma_find(t.proc.mm, addr);
	assert_int_equal(lo->file->refs, 2);
	/* closed and unlinked: the mapping keeps the file */
	assert_int_equal(call1(&t, linux_sys_close, (uint64_t)fd, 0, 0), 0);
	assert_int_equal(call1(&t, linux_sys_unlink, upath(&t, "/tmp/m"), 0, 0), 0);
	assert_int_equal(m->refs, 1);
	assert_true(t.proc.fs.tmp_pool.used > empty);
	assert_int_equal(linux_sys_munmap(&t.proc, addr, 4096), 0);
	assert_true(t.proc.fs.tmp_pool.used > empty);
	assert_int_equal(linux_sys_munmap(&t.proc, addr + 2 * 4096, 4096), 0);
	assert_int_equal(t.proc.fs.tmp_pool.used, empty);
	test_proc_free(&t);
}

/* refs: an O_TMPFILE file counts its fd once, like any open file: a dup's
 * close leaves it open, the last close frees it */
static void tmpfile_counted_like_any_file(void **state)
{
	static struct test_proc t;
	test_proc_init(&t);
	uint64_t empty = t.proc.fs.tmp_pool.used;
	long fd =
	    call1(&t, linux_sys_open, upath(&t, "/tmp"), 020000000 | O_DIRECTORY | O_RDWR, 0600);
	assert_true(fd >= 3);
	struct linux_file *f = linux_fd_get(&t.proc, (uint64_t)fd);
	assert_int_equal(f->refs, 1);
	long fd2 = call1(&t, linux_sys_dup, (uint64_t)fd, 0, 0);
	assert_true(fd2 > fd);
	assert_int_equal(f->refs, 2);
	assert_int_equal(call1(&t, linux_sys_close, (uint64_t)fd2, 0, 0), 0);
	assert_int_equal(f->refs, 1);
	assert_true(t.proc.fs.tmp_pool.used > empty);
	assert_int_equal(call1(&t, linux_sys_close, (uint64_t)fd, 0, 0), 0);
	assert_int_equal(t.proc.fs.tmp_pool.used, empty);
	test_proc_free(&t);
}

static void rflags_a_program_sets_are_filtered(void **state)
{
	static const struct {
		const char *name;
		uint64_t bit;
	} never[] = {
	    {"IOPL", 3ULL << 12}, {"NT", 1ULL << 14},  {"VM", 1ULL << 17},
	    {"VIF", 1ULL << 19},  {"VIP", 1ULL << 20}, {"reserved 22-63", ~0ULL << 22},
	};
	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++)
		if (linux_user_rflags(never[i].bit) & never[i].bit)
			fail_msg("RFLAGS %s reaches the guest", never[i].name);
	assert_int_equal(linux_user_rflags(~0ULL) & (3ULL << 12 | 1ULL << 14 | 1ULL << 17), 0);
	/* IF and the reserved bit 1 are always set */
	assert_int_equal(linux_user_rflags(0), 0x202);
	/* what user code may set itself passes: CF PF AF ZF SF TF DF OF RF AC ID */
	uint64_t user = 0x1 | 0x4 | 0x10 | 0x40 | 0x80 | 0x100 | 0x400 | 0x800 | 1ULL << 16 |
			1ULL << 18 | 1ULL << 21;
	assert_int_equal(linux_user_rflags(user), user | 0x202);
}

/* `#!` lines as Linux's binfmt_script reads them: one interpreter, one
 * optional argument (inner blanks kept), 256 bytes at most. */
static void shebang_lines_as_linux(void **state)
{
	static const struct {
		const char *line;
		int rc;
		const char *interp, *arg;
	} cases[] = {
	    {"#!/bin/sh\necho hi\n", 1, "/bin/sh", ""},
	    {"#! \t/bin/sh  -e \t\nrest", 1, "/bin/sh", "-e"},
	    {"#!/usr/bin/env python3 -u\n", 1, "/usr/bin/env", "python3 -u"},
	    {"#!/bin/sh", 1, "/bin/sh", ""}, /* no newline: the file's end ends the line */
	    {"#!\n", -ENOEXEC, NULL, NULL},
	    {"#!   \n", -ENOEXEC, NULL, NULL},
	    {"#!", -ENOEXEC, NULL, NULL},
	    {"#/bin/sh\n", 0, NULL, NULL},
	    {"\177ELF", 0, NULL, NULL},
	};
	char interp[257], arg[257];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *line = cases[i].line;
		int rc = linux_exec_shebang((const uint8_t *)line, strlen(line), interp, arg);
		if (rc != cases[i].rc)
			fail_msg("%zu: rc %d, want %d", i, rc, cases[i].rc);
		if (rc == 1 && (strcmp(interp, cases[i].interp) || strcmp(arg, cases[i].arg)))
			fail_msg("%zu: interp '%s' arg '%s'", i, interp, arg);
	}
	/* An interpreter name running past the 255 bytes Linux reads: cut, ENOEXEC. */
	uint8_t long_line[400];
	memset(long_line, 'a', sizeof(long_line));
	memcpy(long_line, "#!/", 3);
	assert_int_equal(linux_exec_shebang(long_line, sizeof(long_line), interp, arg), -ENOEXEC);
	/* ...but a name that ends within them keeps its argument, cut at 255 bytes. */
	memcpy(long_line, "#!/bin/sh ", 10);
	assert_int_equal(linux_exec_shebang(long_line, sizeof(long_line), interp, arg), 1);
	assert_string_equal(interp, "/bin/sh");
	assert_int_equal(strlen(arg), 255 - 10);
}

/* --record's SHA-256 (the CPU's SHA instructions where it has them) is
 * libsodium's for every length around the block and padding edges, however
 * the bytes come in pieces. */
static void record_sha256_matches_libsodium(void **state)
{
	(void)state;
	static uint8_t data[1 << 20];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 2654435761u >> 13);
	static const size_t pieces[] = {1, 7, 55, 56, 63, 64, 65, 4096, 1 << 20};
	uint8_t want[32], got[32];
	for (size_t len = 0; len <= 300; len++)
		for (size_t p = 0; p < sizeof(pieces) / sizeof(pieces[0]); p++) {
			crypto_hash_sha256(want, data, len);
			linux_record_sha256(data, len, pieces[p], got);
			assert_memory_equal(got, want, 32);
		}
	crypto_hash_sha256(want, data, sizeof(data));
	linux_record_sha256(data, sizeof(data), 1000, got);
	assert_memory_equal(got, want, 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(tree_resolved_inside),
	    cmocka_unit_test(record_sha256_matches_libsodium),
	    cmocka_unit_test(swapped_directory_refused),
	    cmocka_unit_test(host_directory_listed),
	    cmocka_unit_test(overlay_copies_up_and_hides),
	    cmocka_unit_test(listing_offsets_stable),
	    cmocka_unit_test(user_pointers_checked_page_by_page),
	    cmocka_unit_test(frames_counted_and_zeroed),
	    cmocka_unit_test(freed_frames_zeroed_in_batches),
	    cmocka_unit_test(fork_copies_on_write),
	    cmocka_unit_test(exec_replaces_address_space),
	    cmocka_unit_test(tmp_nodes_live_while_referenced),
	    cmocka_unit_test(cwd_and_fds_hold_their_directory),
	    cmocka_unit_test(mappings_hold_their_file),
	    cmocka_unit_test(tmpfile_counted_like_any_file),
	    cmocka_unit_test(rflags_a_program_sets_are_filtered),
	    cmocka_unit_test(shebang_lines_as_linux),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
