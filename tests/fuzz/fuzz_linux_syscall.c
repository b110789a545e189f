/* libFuzzer target: the --linux syscall layer driven with random calls against a small process (hostile pointers, lengths, fds, paths, host signals pending), with sequences of file-tree and pipe calls (create, remove, chdir, pipe, dup, read, write, poll, close, mknod of FIFOs, openat2 with open_how and RESOLVE_* flags, splice, tee in any order) whose reference counts are checked after every call, with sequences of memory calls over forked address spaces (mmap, munmap, mprotect, mremap, writes, write faults, fork, exit, shared mappings of a file with ftruncate, msync and pwrite) whose frame counts, copy-on-write contents and shared file pages are checked after every call, with sequences of process and thread calls (fork, vfork, clone, clone of a thread, exit, exit_group, wait4, waitid, kill, tgkill, setpgid, setsid, pipes, O_TMPFILE and memfd files, futex wait/wake/requeue/wake-op on mapped and unmapped words, robust lists built from the input, loops included) whose tasks' files and address spaces are checked after every call, and with sequences of AF_UNIX, AF_INET and AF_INET6 socket calls (SCM_RIGHTS loops, names, loopback TCP/UDP over lwIP, accept queues, malformed msghdr/cmsg) whose queue accounting is checked after every call, inotify instances watching the tree while it changes, and with sequences of epoll, eventfd, timerfd, signalfd and timer calls across forked tasks whose fd counts are checked after every call. */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "linux.h"
#include "linux_shm.h"
#include "linux_socket.h"

#define RAM	 (8ULL << 20)
#define CALLS	 16
#define CALL_LEN (1 + 6 * 8)

/* A small host tree made once: /d/f, /d/l -> f, /esc -> /../../etc, a FIFO. */
static int tree_fd(void)
{
	static char dir[] = "/tmp/fuzz-linux-fs.XXXXXX";
	static bool made;
	if (!made) {
		if (!mkdtemp(dir))
			abort();
		char path[128];
		snprintf(path, sizeof(path), "%s/d", dir);
		mkdir(path, 0755);
		snprintf(path, sizeof(path), "%s/d/f", dir);
		FILE *f = fopen(path, "w");
		fputs("file contents\n", f);
		fclose(f);
		snprintf(path, sizeof(path), "%s/d/l", dir);
		symlink("f", path);
		snprintf(path, sizeof(path), "%s/esc", dir);
		symlink("/../../etc", path);
		snprintf(path, sizeof(path), "%s/fifo", dir);
		mkfifo(path, 0600);
		made = true;
	}
	int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		abort();
	return fd;
}

/*
 * Sequences of file-tree calls. Input: TREE_MAGIC, then TREE_OP_LEN bytes
 * per call: what (a call of tree_calls), a path (tree_paths), an fd
 * choice and a flag byte. The paths name a few directories from many
 * sides (absolute, relative, through "..", the host tree, long names that
 * re-fill freed chunks), so that short inputs remove what the cwd or an
 * open fd still holds. After every call the reference count of every node
 * the process can reach is recomputed and compared (abort on a mismatch);
 * ASan reports any use of a freed node and LeakSanitizer any node a
 * missed put() kept alive past linux_free().
 */
#define TREE_MAGIC  'T'
#define TREE_OP_LEN 4
#define TREE_OPS    64

static const char *const tree_paths[] = {
    "/tmp/a",
    "a",
    "..",
    "../a",
    "/tmp/a/b",
    "b",
    "/tmp",
    ".",
    "/tmp/b",
    "../b",
    "a/b",
    "/d",
    "/tmp/a/.",
    "../..",
    "b/..",
    "/d/f",
    "f",
    "/tmp/f",
    "",
    "/",
    /* /proc: generated nodes made and pruned as pids and fds come and go */
    "/proc/self/fd/3",
    "/proc/1/status",
    "/proc/1",
    "/proc/self/fd",
    "/proc/1/cwd/..",
    "/proc/self/maps",
    "/proc/1/task/1/stat",
    "/proc/self/fdinfo/4",
    "/proc/self/exe",
    "/proc",
    "/proc/self/root/tmp/a",
    "/proc/1/environ",
    /* ptys: a master, its slave */
    "/dev/ptmx",
    "/dev/pts/0",
    "/dev/pts/1",
};
#define TREE_PATHS (sizeof(tree_paths) / sizeof(tree_paths[0]))
#define TREE_LONG  0x80 /* path byte with this bit: /tmp/ + a long name of 'A's */

enum tree_call {
	T_MKDIR,
	T_RMDIR,
	T_OPEN_DIR,
	T_OPEN_CREAT,
	T_OPEN,
	T_CLOSE,
	T_CHDIR,
	T_FCHDIR,
	T_UNLINK,
	T_GETCWD,
	T_GETDENTS,
	T_MKDIRAT,
	T_OPENAT_CREAT,
	T_UNLINKAT,
	T_DUP,
	T_WRITE,
	T_FSTATAT,
	T_MMAP,
	T_RENAME,
	T_RENAME2,
	T_SYMLINK,
	T_MEMFD,
	T_PIPE,
	T_READ,
	T_POLL,
	T_SELECT,
	T_IOCTL,
	T_SENDFILE,
	T_COPY_RANGE,
	T_MKNOD,
	T_OPENAT2,
	T_SPLICE,
	T_TEE,
	T_INOTIFY_INIT,
	T_INOTIFY_ADD,
	T_INOTIFY_RM,
	T_CALLS
};

/* Terminal ioctls a pty end takes (linux_pty.c), the argument a buffer. */
static const uint32_t tty_ioctls[] = {0x5401, 0x5402, 0x5404,	  0x540B,     0x540E,
				      0x540F, 0x5410, 0x5413,	  0x5414,     0x541B,
				      0x5422, 0x5429, 0x80045430, 0x40045431, 0x5441};

/* A pollfd array at `at`: fds 3..10, each for reading and writing. */
static void poll_fds(struct linux_proc *proc, uint64_t at)
{
	for (int k = 0; k < 8; k++) {
		int32_t pfd = 3 + k;
		int16_t ev = POLLIN | POLLOUT;
		linux_copy_out(proc, at + 8 * k, &pfd, 4);
		linux_copy_out(proc, at + 8 * k + 4, &ev, 2);
	}
}

/* Builds the path of byte b at `at` in program memory; returns its address. */
static uint64_t tree_path(struct linux_proc *proc, uint64_t at, uint8_t b)
{
	char dst[300];
	if (b & TREE_LONG) {
		size_t len = 100 + (b & 0x7f); /* 100..227: around a node's size */
		memcpy(dst, "/tmp/", 5);
		memset(dst + 5, 'A', len);
		dst[5 + len] = '\0';
	} else {
		strcpy(dst, tree_paths[b % TREE_PATHS]);
	}
	linux_copy_out(proc, at, dst, strlen(dst) + 1);
	return at;
}

struct ref_node {
	struct linux_node *node;
	unsigned want;
};

static void ref_add(struct ref_node *set, size_t *n, size_t max, struct linux_node *node,
		    unsigned want)
{
	for (size_t i = 0; i < *n; i++)
		if (set[i].node == node) {
			set[i].want += want;
			return;
		}
	if (*n == max)
		abort();
	set[(*n)++] = (struct ref_node){node, want};
}

/* Whether a node is reference-counted: a /tmp or upper-layer node made in
 * the VM, or a /proc node of one pid (lower nodes, copied up or not, live
 * as long as the tree). */
static bool counted(const struct linux_fs *fs, const struct linux_node *node)
{
	return (node->writable || node->gen) && !node->lower && node != fs->tmp;
}

/* Adds the counted nodes under dir (linked: +1 each for the link). */
static void ref_tree(struct linux_fs *fs, struct linux_node *dir, struct ref_node *set, size_t *n,
		     size_t max)
{
	for (struct linux_node *c = dir->children; c; c = c->next) {
		if (c->unlinked || c->parent != dir)
			abort(); /* a listed child must be linked, here */
		if (counted(fs, c))
			ref_add(set, n, max, c, 1);
		if (c->writable || c->proc_kind)
			ref_tree(fs, c, set, n,
				 max); /* host-only directories hold no counted node */
	}
}

/* Recomputes every reachable /tmp node's reference count from the
 * pointers that hold one, and aborts if a node disagrees. */
static void check_refs(struct linux_proc *proc)
{
	enum { MAX = 8192 };
	static struct ref_node set[MAX];
	size_t n = 0;
	struct linux_fs *fs = &proc->fs;
	ref_tree(fs, fs->tmp, set, &n, MAX);
	ref_tree(fs, fs->root, set, &n, MAX); /* the upper layer's nodes */
	for (unsigned m = 0; m < fs->mount_count; m++)
		if (fs->mounts[m].dir->proc_kind)
			ref_tree(fs, fs->mounts[m].dir, set, &n, MAX); /* /proc's pid nodes */
	for (int fd = 0; fd < LINUX_MAX_FDS; fd++) {
		struct linux_file *f = proc->fds[fd].file;
		/* a FIFO's end (a pipe file) holds its node too */
		if (!f || (f->kind != LINUX_FILE_NODE && f->kind != LINUX_FILE_PIPE) || !f->node ||
		    !counted(fs, f->node))
			continue;
		bool seen = false; /* a dup'ed description holds one reference */
		for (int k = 0; k < fd; k++)
			seen |= proc->fds[k].file == f;
		if (!seen)
			ref_add(set, &n, MAX, f->node, 1);
	}
	if (counted(fs, proc->cwd))
		ref_add(set, &n, MAX, proc->cwd, 1);
	if (proc->cur->fifo_wait && counted(fs, proc->cur->fifo_wait))
		ref_add(set, &n, MAX, proc->cur->fifo_wait,
			1); /* an open waiting for the other end */
	/* Every node pins its parent: walk up from each (the set grows as
	 * unlinked parents are found, and the loop reaches them too). */
	for (size_t i = 0; i < n; i++) {
		struct linux_node *p = set[i].node->parent;
		if (counted(fs, p))
			ref_add(set, &n, MAX, p, 1);
	}
	for (size_t i = 0; i < n; i++) /* and each inotify watch its node */
		set[i].want += linux_inotify_watches_on(set[i].node);
	for (size_t i = 0; i < n; i++)
		if (set[i].node->refs != set[i].want) {
			fprintf(stderr,
				"fuzz_linux_syscall: node '%.*s' has %u references, want %u\n",
				(int)set[i].node->name_len, set[i].node->name, set[i].node->refs,
				set[i].want);
			abort();
		}
}

/*
 * Sequences of memory calls over several address spaces. Input:
 * MM_MAGIC, then MM_OP_LEN bytes per call: what, which address space
 * (one of MM_SLOTS; fork fills an empty one), a page and a page count in
 * a small window. A model keeps the byte each space last wrote at the
 * start of each private page: after a fork either side's writes stay its
 * own (copy-on-write). After every call every frame's reference count is
 * recomputed from all the page tables and compared (abort on a mismatch).
 */
#define MM_MAGIC  'M'
#define MM_OP_LEN 4
#define MM_SLOTS  4
#define MM_PAGES  32
#define MM_BASE	  0x400000ULL

struct mm_model {
	struct linux_mm *mm;
	int16_t byte[MM_PAGES]; /* -1: not known (unmapped, shared, zero) */
};

static void count_level(struct linux_proc *proc, uint32_t *refs, uint64_t table, int level)
{
	uint64_t *t = linux_page_host(&proc->pages, table);
	refs[table / 4096 - proc->pages.first]++;
	for (unsigned i = 0; i < 512; i++) {
		if (level == 3 && i == LINUX_PHYSMAP >> 39)
			continue; /* the VM's map of RAM: counted once below */
		if (level > 0 && (t[i] & 1))
			count_level(proc, refs, t[i] & 0xFFFFFFFFFF000ULL, level - 1);
		else if (level == 0 && (t[i] & (1ULL << 9)))
			refs[(t[i] & 0xFFFFFFFFFF000ULL) / 4096 - proc->pages.first]++;
	}
}

/* Every page a shared file mapping maps is its file's cached frame for
 * that offset, inside the file (ftruncate took the others away). */
static void check_shared(struct linux_proc *proc, struct linux_mm *mm)
{
	for (unsigned i = 0; i < mm->nvmas; i++) {
		const struct linux_vma *v = &mm->vmas[i];
		if (!v->shm)
			continue;
		for (uint64_t a = v->start; a < v->end; a += 4096) {
			const uint64_t *pte = linux_mm_pte(mm, a, false);
			if (!pte || !(*pte & (1ULL << 9)))
				continue;
			uint64_t index = v->pgoff / 4096 + (a - v->start) / 4096, frame = 0;
			const struct linux_shm *shm = v->shm;
			for (uint64_t k = 0; k < shm->npages; k++)
				if (shm->pages[k].index == index)
					frame = shm->pages[k].frame;
			if (frame != (*pte & 0xFFFFFFFFFF000ULL) ||
			    index >= (shm->node->size + 4095) / 4096)
				abort();
		}
	}
}

static void check_frames(struct linux_proc *proc, struct mm_model *m)
{
	uint32_t *refs = calloc(proc->pages.count, sizeof(*refs));
	for (int k = 0; k < MM_SLOTS; k++)
		if (m[k].mm) {
			count_level(proc, refs, m[k].mm->root, 3);
			check_shared(proc, m[k].mm);
		}
	/* each page a file's cache holds */
	for (const struct linux_shm *shm = proc->shms; shm; shm = shm->next)
		for (uint64_t k = 0; k < shm->npages; k++)
			refs[shm->pages[k].frame / 4096 - proc->pages.first]++;
	const uint64_t *pdpt = linux_page_host(&proc->pages, proc->pages.physmap);
	refs[proc->pages.physmap / 4096 - proc->pages.first]++;
	for (unsigned g = 0; g < 512; g++)
		if (pdpt[g] & 1)
			refs[(pdpt[g] & 0xFFFFFFFFFF000ULL) / 4096 - proc->pages.first]++;
	for (uint64_t f = 0; f < proc->pages.count; f++)
		if (refs[f] != proc->pages.refs[f])
			abort();
	free(refs);
}

static void mm_sequence(struct linux_proc *proc, const uint8_t *in, size_t size)
{
	struct mm_model m[MM_SLOTS] = {{.mm = proc->mm}};
	memset(m[0].byte, 0xff, sizeof(m[0].byte));
	/* A /tmp file of 8 pages for shared file mappings (its page cache). */
	const uint64_t scratch = 0x200000;
	linux_copy_out(proc, scratch, "/tmp/shm", 9);
	long file = linux_sys_openat(proc, (const uint64_t[]){(uint64_t)-100, scratch, 0102, 0600});
	linux_sys_ftruncate(proc, (const uint64_t[]){(uint64_t)file, 8 * 4096});
	for (size_t i = 0; i + MM_OP_LEN <= size; i += MM_OP_LEN) {
		const uint8_t *op = in + i;
		struct mm_model *cur = &m[op[1] % MM_SLOTS];
		if (!cur->mm)
			continue;
		proc->mm = cur->mm;
		unsigned page = op[2] % MM_PAGES, n = 1 + op[3] % 4;
		uint64_t at = MM_BASE + page * 4096ULL, len = n * 4096ULL;
		uint8_t b = op[3];
		switch (op[0] % 12) {
		case 8: /* a shared (or private) mapping of the file, fixed */
			if (linux_sys_mmap(proc, at, len, op[3] & 3, (op[3] & 0x80 ? 2 : 1) | 0x10,
					   (uint64_t)file, (op[3] % 12) * 4096ULL) == (long)at)
				for (unsigned k = page; k < page + n && k < MM_PAGES; k++)
					cur->byte[k] = -1;
			break;
		case 9: /* the file shrinks or grows (its pages past the end go) */
			linux_sys_ftruncate(
			    proc, (const uint64_t[]){(uint64_t)file,
						     (op[3] % 16) * 4096ULL + (op[3] & 1) * 100});
			break;
		case 10: linux_sys_msync(proc, at, len, op[3] & 7); break;
		case 11: /* written by pwrite: a mapping of that page sees it */
			linux_copy_out(proc, scratch + 64, &b, 1);
			if (linux_sys_pwrite64(proc,
					       (const uint64_t[]){(uint64_t)file, scratch + 64, 1,
								  (op[3] % 12) * 4096ULL}) == 1) {
				const struct linux_vma *v = linux_vma_find(proc->mm, at);
				uint8_t got;
				if (v && v->shm &&
				    v->pgoff + (at - v->start) == (op[3] % 12) * 4096ULL &&
				    linux_copy_in(proc, &got, at, 1) == 0 && got != b)
					abort(); /* the mapping and the file disagree */
			}
			break;
		case 0: /* mmap private or shared, fixed */
			if (linux_sys_mmap(proc, at, len, 3, (op[3] & 0x80 ? 1 : 2) | 0x30, -1ULL,
					   0) == (long)at)
				for (unsigned k = page; k < page + n && k < MM_PAGES; k++)
					cur->byte[k] = op[3] & 0x80 ? -1 : 0;
			break;
		case 1:
			if (linux_sys_munmap(proc, at, len) == 0)
				for (unsigned k = page; k < page + n && k < MM_PAGES; k++)
					cur->byte[k] = -1;
			break;
		case 2: linux_sys_mprotect(proc, at, len, op[3] & 7); break;
		case 3: /* the program writes (copy_out as the VMM writes for it) */
			if (linux_copy_out(proc, at, &b, 1) == 0 && cur->byte[page] >= 0)
				cur->byte[page] = b;
			break;
		case 4: { /* a write fault, then the byte read back */
			uint8_t got;
			if (cur->byte[page] >= 0 && linux_copy_in(proc, &got, at, 1) == 0 &&
			    got != cur->byte[page])
				abort(); /* another space's write reached this one */
			linux_mm_fault(proc, at, 2 | 4);
			break;
		}
		case 5: { /* fork into a free slot */
			for (int k = 0; k < MM_SLOTS; k++)
				if (!m[k].mm) {
					m[k].mm = linux_mm_fork(proc);
					memcpy(m[k].byte, cur->byte, sizeof(cur->byte));
					break;
				}
			break;
		}
		case 6: /* the space goes (exit), never the last one */
			for (int k = 0; k < MM_SLOTS; k++)
				if (&m[k] != cur && m[k].mm) {
					linux_mm_put(cur->mm);
					cur->mm = NULL;
					proc->mm = m[k].mm;
					break;
				}
			break;
		case 7: /* grown in place or moved out of the window */
			if (linux_sys_mremap(proc, at, len, len + 4096, 1, 0) != (long)at)
				for (unsigned k = page; k < page + n && k < MM_PAGES; k++)
					cur->byte[k] = -1;
			break;
		}
		if (cur->mm)
			proc->mm = cur->mm;
		check_frames(proc, m);
	}
	for (int k = 0; k < MM_SLOTS; k++)
		if (m[k].mm && m[k].mm != proc->mm)
			linux_mm_put(m[k].mm);
}

static void tree_sequence(struct linux_proc *proc, uint64_t user, const uint8_t *in, size_t size)
{
	uint64_t path_at = user, buf_at = user + 0x1000;
	for (size_t i = 0; i < TREE_OPS && (i + 1) * TREE_OP_LEN <= size; i++) {
		const uint8_t *op = in + i * TREE_OP_LEN;
		uint64_t path = tree_path(proc, path_at, op[1]);
		uint64_t fd = 3 + op[2] % 8;
		/* dirfd: AT_FDCWD or one of the fds */
		uint64_t dirfd = op[2] & 0x80 ? fd : (uint64_t)(int64_t)-100;
		struct linux_regs r = {.rsp = proc->user_top - 0x1000};
		uint64_t a[6] = {0};
		switch ((enum tree_call)(op[0] % T_CALLS)) {
		case T_MKDIR: r.rax = 83, a[0] = path, a[1] = 0755; break;
		case T_RMDIR: r.rax = 84, a[0] = path; break;
		case T_OPEN_DIR:
			r.rax = 257, a[0] = dirfd, a[1] = path, a[2] = O_RDONLY | O_DIRECTORY;
			break;
		case T_OPEN_CREAT:
			r.rax = 2, a[0] = path, a[1] = O_CREAT | O_RDWR | (op[3] & 1 ? O_EXCL : 0);
			a[2] = 0644;
			break;
		case T_OPEN: r.rax = 2, a[0] = path, a[1] = op[3] & 1 ? O_RDWR : O_RDONLY; break;
		case T_CLOSE: r.rax = 3, a[0] = fd; break;
		case T_CHDIR: r.rax = 80, a[0] = path; break;
		case T_FCHDIR: r.rax = 81, a[0] = fd; break;
		case T_UNLINK: r.rax = 87, a[0] = path; break;
		case T_GETCWD: r.rax = 79, a[0] = buf_at, a[1] = op[3] & 1 ? 4096 : op[3]; break;
		case T_GETDENTS: r.rax = 217, a[0] = fd, a[1] = buf_at, a[2] = 4096; break;
		case T_MKDIRAT: r.rax = 258, a[0] = dirfd, a[1] = path, a[2] = 0755; break;
		case T_OPENAT_CREAT:
			r.rax = 257, a[0] = dirfd, a[1] = path, a[2] = O_CREAT | O_WRONLY,
			a[3] = 0644;
			break;
		case T_UNLINKAT:
			r.rax = 263, a[0] = dirfd, a[1] = path, a[2] = op[3] & 1 ? 0x200 : 0;
			break;
		case T_DUP: r.rax = 33, a[0] = fd, a[1] = 3 + op[3] % 8; break;
		case T_WRITE: /* small, or past a pipe's 64 KiB */
			r.rax = 1, a[0] = fd, a[1] = buf_at, a[2] = op[3] & 1 ? 70000 : op[3];
			break;
		case T_FSTATAT: r.rax = 262, a[0] = dirfd, a[1] = path, a[2] = buf_at; break;
		case T_MMAP:
			/* a file mapping copies the bytes: it must not need the node after */
			r.rax = 9, a[1] = 4096, a[2] = 1 /* PROT_READ */,
			a[3] = 2 /* MAP_PRIVATE */;
			a[4] = fd;
			break;
		case T_RENAME:
			r.rax = 82, a[0] = path, a[1] = tree_path(proc, path_at + 0x400, op[3]);
			break;
		case T_RENAME2: /* NOREPLACE, EXCHANGE or both (EINVAL) by op[3]'s bits */
			r.rax = 316, a[0] = dirfd, a[1] = path, a[2] = (uint64_t)(int64_t)-100;
			a[3] = tree_path(proc, path_at + 0x400, op[3]), a[4] = (op[3] >> 5) & 3;
			break;
		case T_SYMLINK:
			r.rax = 88, a[0] = tree_path(proc, path_at + 0x400, op[3]), a[1] = path;
			break;
		case T_MEMFD: r.rax = 319, a[0] = path, a[1] = op[3] & 1; break;
		case T_PIPE: /* op[3]: O_NONBLOCK, O_CLOEXEC, or a flag pipe2 refuses */
			r.rax = 293, a[0] = buf_at + (op[3] & 0x80 ? 0x7fff0000 : 0);
			a[1] = (op[3] & 1 ? O_NONBLOCK : 0) | (op[3] & 2 ? O_CLOEXEC : 0) |
			       (op[3] & 4 ? O_DIRECT : 0);
			break;
		case T_READ:
			r.rax = 0, a[0] = fd, a[1] = buf_at, a[2] = (uint64_t)op[3] * 600;
			break;
		case T_SENDFILE: /* the offset from the buffer (any value), or the fd's own */
			r.rax = 40, a[0] = fd, a[1] = 3 + op[3] % 8,
			a[2] = op[3] & 0x80 ? buf_at : 0;
			a[3] = (uint64_t)op[3] * 600;
			break;
		case T_COPY_RANGE: /* either offset from the buffer; op[3]'s bit 5: a flag (EINVAL) */
			r.rax = 326, a[0] = fd, a[1] = op[3] & 0x40 ? buf_at : 0,
			a[2] = 3 + op[3] % 8;
			a[3] = op[3] & 0x80 ? buf_at + 8 : 0, a[4] = (uint64_t)op[3] * 600;
			a[5] = (op[3] >> 5) & 1;
			break;
		case T_POLL: /* fds 3..10 for reading and writing, timeout 0 or forever */
			poll_fds(proc, buf_at);
			r.rax = 7, a[0] = buf_at, a[1] = 1 + op[3] % 8,
			a[2] = op[3] & 0x80 ? -1 : 0;
			break;
		case T_SELECT: /* every fd below 3 + op[3] % 12 in both sets */
			linux_copy_out(proc, buf_at,
				       "\xff\xff\xff\xff\xff\xff\xff\xff"
				       "\xff\xff\xff\xff\xff\xff\xff\xff",
				       16);
			r.rax = 23, a[0] = 3 + op[3] % 12, a[1] = buf_at, a[2] = buf_at + 8;
			break;
		case T_IOCTL: /* the buffer holds what the fuzzer wrote: termios, sizes, ints */
			r.rax = 16, a[0] = fd,
			a[1] = tty_ioctls[op[3] % (sizeof(tty_ioctls) / sizeof(tty_ioctls[0]))],
			a[2] = op[3] & 0x80 ? buf_at : 0;
			break;
		case T_MKNOD: /* a FIFO, a file, or a device node (EPERM) */
			r.rax = 259, a[0] = dirfd, a[1] = path;
			a[2] = (op[3] & 1 ? S_IFIFO : op[3] & 2 ? S_IFCHR : S_IFREG) | 0600;
			break;
		case T_OPENAT2: { /* an open_how from op[3]: flags, mode, resolve, size */
			static const uint64_t how_flags[4] = {
			    O_RDONLY, O_RDWR | O_CREAT, O_WRONLY | O_NONBLOCK, O_PATH | O_NOFOLLOW};
			uint64_t how[4] = {how_flags[op[3] & 3], op[3] & 4 ? 0644 : 0,
					   (uint64_t)(op[3] >> 3) & 0x3f, op[3] & 0x40 ? 1 : 0};
			linux_copy_out(proc, buf_at, how, sizeof(how));
			r.rax = 437, a[0] = dirfd, a[1] = path, a[2] = buf_at;
			a[3] = op[3] & 0x80 ? sizeof(how) : 24;
			break;
		}
		case T_SPLICE: /* either offset from the buffer; bit 5: SPLICE_F_NONBLOCK */
			r.rax = 275, a[0] = fd, a[1] = op[3] & 0x80 ? buf_at : 0;
			a[2] = 3 + op[3] % 8, a[3] = op[3] & 0x40 ? buf_at + 8 : 0;
			a[4] = (uint64_t)op[3] * 600, a[5] = op[3] & 0x20 ? 2 : 0;
			break;
		case T_TEE:
			r.rax = 276, a[0] = fd, a[1] = 3 + op[3] % 8, a[2] = op[3] * 600u;
			break;
		case T_INOTIFY_INIT: /* IN_NONBLOCK: a read never waits here */
			r.rax = 294, a[0] = O_NONBLOCK | (op[3] & 1 ? O_CLOEXEC : 0);
			break;
		case T_INOTIFY_ADD: /* events from op[3]; bits 7..5: IN_ONESHOT, IN_MASK_ADD, IN_EXCL_UNLINK */
			r.rax = 254, a[0] = fd, a[1] = path;
			a[2] = ((uint32_t)op[3] * 0x11u & LINUX_IN_ALL_EVENTS) |
			       (op[3] & 0x80 ? LINUX_IN_ONESHOT : 0) |
			       (op[3] & 0x40 ? LINUX_IN_MASK_ADD : 0) |
			       (op[3] & 0x20 ? LINUX_IN_EXCL_UNLINK : 0);
			break;
		case T_INOTIFY_RM: r.rax = 255, a[0] = fd, a[1] = 1 + op[3] % 8; break;
		case T_CALLS: abort();
		}
		r.rdi = a[0], r.rsi = a[1], r.rdx = a[2], r.r10 = a[3], r.r8 = a[4], r.r9 = a[5];
		uint64_t nr = r.rax;
		linux_syscall(proc, &r);
		if (nr == 9 && (int64_t)r.rax > 0)
			linux_sys_munmap(proc, r.rax, 4096);
		check_refs(proc);
	}
}

/*
 * Sequences of AF_UNIX calls. Input: SOCK_MAGIC, then SOCK_OP_LEN bytes
 * per call: what (enum sock_call), an fd choice, and two argument bytes;
 * after the ops, the rest of the input is a raw msghdr + cmsg area for
 * S_RAW. After every call the VM's socket accounting (files in flight,
 * queued bytes, socket count) is recomputed and compared; LeakSanitizer
 * reports a socket or file that a cycle kept past linux_free().
 */
#define SOCK_MAGIC  'S'
#define SOCK_OP_LEN 4
#define SOCK_OPS    64

enum sock_call {
	S_SOCKET,
	S_PAIR,
	S_BIND,
	S_LISTEN,
	S_CONNECT,
	S_ACCEPT,
	S_SEND,
	S_SENDFDS,
	S_SENDTO,
	S_RECVMSG,
	S_CLOSE,
	S_SHUTDOWN,
	S_DUP,
	S_POLL,
	S_SETSOCKOPT,
	S_GETSOCKOPT,
	S_RAW,
	S_CALLS
};

static void check_net(const struct linux_proc *proc)
{
	const struct linux_net *net = proc->net;
	if (!net)
		return;
	unsigned count = 0, inflight = 0;
	uint64_t bytes = 0;
	for (const struct linux_sock *s = net->socks; s; s = s->next) {
		count++;
		uint64_t rq = 0;
		for (const struct unix_msg *m = s->rq; m; m = m->next) {
			inflight += m->nfiles;
			rq += sizeof(*m) + m->len;
			if (m->off > m->len)
				abort();
		}
		if (rq != s->rq_bytes)
			abort();
		bytes += rq;
		if (s->file &&
		    (s->file->kind != LINUX_FILE_SOCKET || s->file->sock != s || !s->file->refs))
			abort();
	}
	if (count != net->count || inflight != net->inflight || bytes != net->bytes ||
	    inflight > LINUX_INFLIGHT_MAX || net->dying || net->busy) {
		fprintf(stderr, "fuzz_linux_syscall: sockets %u/%u in flight %u/%u bytes %lu/%lu\n",
			count, net->count, inflight, net->inflight, (unsigned long)bytes,
			(unsigned long)net->bytes);
		abort();
	}
}

/* A sockaddr at `at`: by b's top bits 127.0.0.1 or ::1 at one of 4 ports (or a port
 * chosen, or a short length), else a sockaddr_un: abstract "a".."d", /tmp/s0../tmp/s3,
 * or family only (autobind). */
static uint64_t sock_name(struct linux_proc *proc, uint64_t at, uint8_t b, uint64_t *len)
{
	uint8_t dst[110] = {0};
	if (b & 0xc0) {
		bool six = b & 0x80;
		dst[0] = six ? 10 : 2; /* AF_INET6, AF_INET */
		dst[2] = 0x13;
		dst[3] = (b & 4) ? 0 : (uint8_t)(0x88 + (b & 3)); /* port 0: the stack chooses */
		if (six)
			dst[23] = 1; /* ::1 */
		else
			dst[4] = 127, dst[7] = 1;
		*len = (b & 0x38) == 0x38 ? 15 : six ? 28 : 16;
		linux_copy_out(proc, at, dst, sizeof(dst));
		return at;
	}
	dst[0] = 1; /* AF_UNIX */
	if ((b & 7) == 7) {
		*len = 2;
	} else if (b & 4) {
		memcpy(dst + 2, "/tmp/s0", 8);
		dst[8] = (uint8_t)('0' + (b & 3));
		*len = 11;
	} else {
		dst[3] = (uint8_t)('a' + (b & 3));
		*len = 4;
	}
	linux_copy_out(proc, at, dst, sizeof(dst));
	return at;
}

/* A msghdr at `at` with one iovec of len bytes and, when nfds, SCM_RIGHTS of fds 3.. by mask. */
static uint64_t sock_msghdr(struct linux_proc *proc, uint64_t at, uint64_t len, uint8_t mask,
			    bool cred)
{
	uint8_t h[0x200] = {0};
	uint64_t iov[2] = {at + 0x400, len}, ctl = at + 0x100, ctllen = 0;
	memcpy(h + 0x80, iov, sizeof(iov));
	uint64_t iovp = at + 0x80, one = 1;
	memcpy(h + 16, &iovp, 8);
	memcpy(h + 24, &one, 8);
	uint8_t *c = h + 0x100;
	int32_t fds[8];
	uint64_t n = 0;
	for (int k = 0; k < 8; k++)
		if (mask & (1u << k))
			fds[n++] = 3 + k;
	if (n) {
		uint64_t clen = 16 + 4 * n;
		const int32_t lt[2] = {1, 1};
		memcpy(c, &clen, 8);
		memcpy(c + 8, lt, 8);
		memcpy(c + 16, fds, 4 * n);
		ctllen = (clen + 7) & ~7ULL;
	}
	if (cred) {
		uint64_t clen = 28;
		const int32_t lt[2] = {1, 2}, ucred[3] = {1, 0, 0};
		memcpy(c + ctllen, &clen, 8);
		memcpy(c + ctllen + 8, lt, 8);
		memcpy(c + ctllen + 16, ucred, 12);
		ctllen += 32;
	}
	if (ctllen) {
		memcpy(h + 32, &ctl, 8);
		memcpy(h + 40, &ctllen, 8);
	}
	linux_copy_out(proc, at, h, sizeof(h));
	return at;
}

static void sock_sequence(struct linux_proc *proc, uint64_t user, const uint8_t *in, size_t size)
{
	uint64_t name_at = user, msg_at = user + 0x1000, buf_at = user + 0x4000;
	size_t ops = size / SOCK_OP_LEN < SOCK_OPS ? size / SOCK_OP_LEN : SOCK_OPS;
	size_t raw = size - ops * SOCK_OP_LEN;
	if (raw > 0x800)
		raw = 0x800;
	for (size_t i = 0; i < ops; i++) {
		const uint8_t *op = in + i * SOCK_OP_LEN;
		uint64_t fd = 3 + op[1] % 8, len = 0;
		static const uint64_t types[3] = {1, 2, 5};
		uint64_t type = types[op[2] % 3] | (op[2] & 8 ? L_O_NONBLOCK : 0) |
				(op[2] & 16 ? L_O_CLOEXEC : 0);
		struct linux_regs r = {.rsp = proc->user_top - 0x1000, .rip = 0x200002};
		uint64_t a[6] = {0};
		switch ((enum sock_call)(op[0] % S_CALLS)) {
		case S_SOCKET: /* AF_UNIX, or AF_INET/AF_INET6 (lwIP) by op[3] */
			r.rax = 41, a[0] = op[3] & 1 ? (op[3] & 2 ? 10 : 2) : 1, a[1] = type;
			break;
		case S_PAIR: r.rax = 53, a[0] = 1, a[1] = type, a[3] = buf_at; break;
		case S_BIND:
			r.rax = 49, a[0] = fd, a[1] = sock_name(proc, name_at, op[2], &len),
			a[2] = len;
			break;
		case S_LISTEN: r.rax = 50, a[0] = fd, a[1] = op[2] % 4; break;
		case S_CONNECT:
			r.rax = 42, a[0] = fd, a[1] = sock_name(proc, name_at, op[2], &len),
			a[2] = len;
			break;
		case S_ACCEPT: r.rax = 288, a[0] = fd, a[3] = op[2] & 8 ? L_O_NONBLOCK : 0; break;
		case S_SEND: /* small, or past a queue's bound */
			r.rax = 44, a[0] = fd, a[1] = buf_at, a[2] = op[2] & 1 ? 300000 : op[3];
			a[3] = 0x40 | (op[2] & 2 ? 0x4000 : 0); /* MSG_DONTWAIT, MSG_NOSIGNAL */
			break;
		case S_SENDFDS:
			r.rax = 46, a[0] = fd,
			a[1] = sock_msghdr(proc, msg_at, op[3] % 4, op[2], op[3] & 0x80);
			a[2] = 0x4040;
			break;
		case S_SENDTO:
			r.rax = 44, a[0] = fd, a[1] = buf_at, a[2] = op[3];
			a[3] = 0x4040, a[4] = sock_name(proc, name_at, op[2], &len), a[5] = len;
			break;
		case S_RECVMSG: { /* control room for op[3] % 40 bytes; PEEK, TRUNC, WAITALL, CMSG_CLOEXEC */
			uint64_t h = sock_msghdr(proc, msg_at, op[2] & 1 ? 2 : 70000, 0, false);
			uint64_t ctl = msg_at + 0x100, ctllen = op[3] % 40, nm = name_at, nl = 110;
			linux_copy_out(proc, h, &nm, 8);
			linux_copy_out(proc, h + 8, &nl, 4);
			linux_copy_out(proc, h + 32, &ctl, 8);
			linux_copy_out(proc, h + 40, &ctllen, 8);
			r.rax = 47, a[0] = fd, a[1] = h;
			a[2] = 0x40 | (op[2] & 2 ? 0x2 : 0) | (op[2] & 4 ? 0x20 : 0) |
			       (op[2] & 8 ? 0x100 : 0) | (op[2] & 16 ? 0x40000000 : 0);
			break;
		}
		case S_CLOSE: r.rax = 3, a[0] = fd; break;
		case S_SHUTDOWN: r.rax = 48, a[0] = fd, a[1] = op[2] % 4; break;
		case S_DUP: r.rax = 33, a[0] = fd, a[1] = 3 + op[2] % 8; break;
		case S_POLL:
			poll_fds(proc, buf_at);
			r.rax = 7, a[0] = buf_at, a[1] = 8, a[2] = 0;
			break;
		case S_SETSOCKOPT:
		case S_GETSOCKOPT: {
			int32_t v = op[3] * 1000, l = 16;
			linux_copy_out(proc, buf_at, &v, 4);
			linux_copy_out(proc, buf_at + 16, &l, 4);
			r.rax = op[0] % S_CALLS == S_SETSOCKOPT ? 54 : 55;
			a[0] = fd, a[1] = op[2] & 0x80 ? 6 : 1, a[2] = op[2] % 40, a[3] = buf_at;
			a[4] = r.rax == 54 ? (uint64_t)(op[3] % 20) : buf_at + 16;
			break;
		}
		case S_RAW: /* the input's tail as a msghdr and its cmsgs, pointers fixed up by bit */
			if (raw < 56)
				continue;
			linux_copy_out(proc, msg_at, in + ops * SOCK_OP_LEN, raw);
			for (int k = 0; k < 56; k += 8) {
				uint64_t v;
				linux_copy_in(proc, &v, msg_at + k, 8);
				if (v >> 63) /* into the area itself */
					v = msg_at + v % raw;
				linux_copy_out(proc, msg_at + k, &v, 8);
			}
			r.rax = op[2] & 1 ? 47 : 46, a[0] = fd, a[1] = msg_at, a[2] = 0x4040;
			break;
		case S_CALLS: abort();
		}
		r.rdi = a[0], r.rsi = a[1], r.rdx = a[2], r.r10 = a[3], r.r8 = a[4], r.r9 = a[5];
		linux_syscall(proc, &r);
		check_net(proc);
		if (vm_is_ending(proc->vm))
			break; /* SIGPIPE's default action */
	}
}

/*
 * Sequences of process and thread calls. Input: PROC_MAGIC, then
 * PROC_OP_LEN bytes per call: what (a call of proc_calls), a task choice,
 * a signal or flag byte and a status byte. The running task changes as
 * calls block (a read of an empty pipe, wait4, a futex wait) or tasks
 * exit. After every call: every open file's count equals the fd slots
 * naming it of one table per process (the running thread's for its own,
 * threads share one), every live task holds an address space, dead ones
 * none, and the table stays within --pids (abort otherwise); ASan and
 * LeakSanitizer watch the rest.
 */
#define PROC_MAGIC  'P'
#define PROC_OP_LEN 4
#define PROC_PIDS   8
#define PROC_THREAD 1056 /* not a call: clone of a thread, as glibc's pthread_create */
#define PROC_POKE   1057 /* not a call: a pointer written into the robust-list area */
#define ROBUST_AT   256	 /* where in the program's memory robust lists are built */

static const struct linux_task_state *state_of(const struct linux_proc *proc,
					       const struct linux_task *t)
{
	return t == proc->cur ? &proc->task_state : &t->saved;
}

/* The task whose fd table counts for t's process: the running thread for
 * its own, else the first live thread. */
static bool holds_files(const struct linux_proc *proc, unsigned i)
{
	const struct linux_task *t = proc->tasks[i];
	if (!linux_thread_alive(t))
		return false;
	if (t->tgid == proc->cur->tgid && linux_thread_alive(proc->cur))
		return t == proc->cur;
	for (unsigned j = 0; j < i; j++)
		if (proc->tasks[j]->tgid == t->tgid && linux_thread_alive(proc->tasks[j]))
			return false;
	return true;
}

static void check_tasks(struct linux_proc *proc)
{
	if (proc->ntasks > proc->max_tasks || !proc->cur)
		abort();
	for (unsigned i = 0; i < proc->ntasks; i++) {
		const struct linux_task *t = proc->tasks[i];
		const struct linux_task_state *st = state_of(proc, t);
		if (linux_thread_alive(t) != (st->mm != NULL))
			abort();
		if (!holds_files(proc, i))
			continue;
		for (unsigned fd = 0; fd < LINUX_MAX_FDS; fd++) {
			const struct linux_file *f = st->fds[fd].file;
			if (!f)
				continue;
			unsigned slots = 0;
			for (unsigned j = 0; j < proc->ntasks; j++) {
				if (!holds_files(proc, j))
					continue;
				const struct linux_task_state *su = state_of(proc, proc->tasks[j]);
				for (unsigned k = 0; k < LINUX_MAX_FDS; k++)
					slots += su->fds[k].file == f;
			}
			if (slots != f->refs)
				abort();
		}
	}
}

/* Arguments of the thread and futex calls of a process sequence. */
static void thread_args(const struct linux_proc *proc, uint64_t user, const uint8_t *c,
			uint64_t *nr, uint64_t *a)
{
	uint64_t word = c[2] & 0x80 ? 16 : user + (c[2] % 16) * 4; /* unmapped, or a word */
	switch (*nr) {
	case PROC_THREAD: /* VM FS FILES SIGHAND THREAD SYSVSEM SETTLS PARENT_SETTID CHILD_CLEARTID */
		*nr = 56;
		a[0] = 0x3D0F00, a[1] = user + 0x8000, a[2] = user + 128,
		a[3] = user + (c[3] % 16) * 4;
		a[4] = user + 0x9000;
		break;
	case 202: /* futex: any op (PRIVATE by a bit), a zero timeout or a huge count */
		a[0] = word, a[1] = (c[3] % 12) | (c[3] & 0x80 ? 128u : 0), a[2] = c[1] & 1;
		a[3] = c[3] & 0x40 ? user + 512 : c[3] & 0x20 ? 0 : 0x7FFFFFFF;
		a[4] = user + ((c[2] >> 3) % 16) * 4, a[5] = c[1] & 2 ? 0xFFFFFFFF : c[3];
		break;
	case 273: a[0] = user + ROBUST_AT + (c[2] % 4) * 8, a[1] = c[3] & 1 ? 24 : c[3]; break;
	case 234: a[0] = proc->cur->tgid, a[1] = c[2] % 12, a[2] = c[3] % 66; break; /* tgkill */
	case PROC_POKE: /* a list entry pointing at another (or itself, or the futex words) */
		a[0] = user + ROBUST_AT + (c[2] % 8) * 8;
		a[1] = c[3] & 0x80 ? user + (c[3] % 16) * 4 : user + ROBUST_AT + (c[3] % 8) * 8;
		break;
	}
}

static void proc_sequence(struct linux_proc *proc, uint64_t user, const uint8_t *in, size_t size)
{
	static const uint16_t proc_calls[] = {
	    57, 58,  56,  231, 61,  62,	 109, 112, 22,		3,	     0,		1,   247,
	    60, 202, 202, 273, 234, 186, 24,  435, PROC_THREAD, PROC_THREAD, PROC_POKE, 257, 319};
	proc->max_tasks = PROC_PIDS;
	for (size_t i = 0; i + PROC_OP_LEN <= size && !vm_is_ending(proc->vm); i += PROC_OP_LEN) {
		const uint8_t *c = in + i;
		uint64_t nr = proc_calls[c[0] % (sizeof(proc_calls) / sizeof(proc_calls[0]))];
		int64_t pid = (int64_t)(c[1] % 12) - 3; /* -3..8: groups, any, 0, pids */
		struct linux_regs r = {.rax = nr, .rsp = proc->user_top - 0x1000, .rip = 0x200002};
		uint64_t a[6] = {(uint64_t)pid, c[2] % 66, c[3]};
		thread_args(proc, user, c, &nr, a);
		if (nr == PROC_POKE) {
			(void)linux_copy_out(proc, a[0], &a[1], sizeof(a[1]));
			continue;
		}
		r.rax = nr;
		switch (nr) {
		case 56: a[0] = (uint64_t)c[2] << 8 | c[3]; break; /* clone: flags */
		case 60:
		case 231: /* pid 1's exit, or any exit_group of its threads, would end the run */
			if (nr == 60 ? proc->cur->pid == 1 : proc->cur->tgid == 1)
				continue;
			a[0] = c[3];
			break;
		case 435: a[0] = user + 1024, a[1] = 64 + (c[3] % 4) * 8; break; /* clone3 */
		case 61: a[1] = user, a[2] = c[2] & 1, a[3] = 0; break; /* wait4 [WNOHANG] */
		case 22: a[0] = user; break;				/* pipe */
		case 3: a[0] = c[2] % 8; break;				/* close */
		case 0:
		case 1: a[0] = c[2] % 8, a[1] = user + 64, a[2] = c[3]; break; /* read, write */
		case 247:
			a[0] = c[2] % 3, a[1] = (uint64_t)(pid < 0 ? 0 : pid), a[2] = user,
			a[3] = 4 | (c[3] & 1);
			break; /* waitid */
		case 257:      /* openat(O_TMPFILE) of /tmp, and memfd_create: files of no name */
		case 319:
			(void)linux_copy_out(proc, user + 1800, "/tmp", 5);
			if (nr == 257)
				a[0] = (uint64_t)-100, a[1] = user + 1800,
				a[2] = 020200002 /* O_TMPFILE | O_RDWR */, a[3] = 0600;
			else
				a[0] = user + 1800, a[1] = c[3] & 1; /* MFD_CLOEXEC */
			break;
		}
		r.rdi = a[0], r.rsi = a[1], r.rdx = a[2], r.r10 = a[3], r.r8 = a[4], r.r9 = a[5];
		linux_syscall(proc, &r);
		if (!vm_is_ending(proc->vm))
			check_tasks(proc);
	}
}

/*
 * Sequences of event-file and timer calls. Input: EVENT_MAGIC, then
 * EVENT_OP_LEN bytes per call: what (a call of event_calls), two fd
 * choices and a flag byte. Sets watch pipes, eventfds, timerfds, signalfds
 * and each other (cycles tried), forked tasks share and close them, timers
 * fire into signals that may end the running task. After every call the
 * fd counts are checked as for process sequences; ASan reports an item
 * left on a freed file and LeakSanitizer a set or timer never freed.
 */
#define EVENT_MAGIC  'E'
#define EVENT_OP_LEN 4

static void event_sequence(struct linux_proc *proc, uint64_t user, const uint8_t *in, size_t size)
{
	static const uint16_t event_calls[] = {291, 233, 232, 281, 441, 22, 290, 283, 286, 287,
					       289, 3,	 32,  57,  231, 0,  1,	 7,   222, 223,
					       226, 38,	 37,  62,  14,	13, 127, 98,  100, 61};
	proc->max_tasks = PROC_PIDS;
	for (size_t i = 0; i + EVENT_OP_LEN <= size && !vm_is_ending(proc->vm); i += EVENT_OP_LEN) {
		const uint8_t *c = in + i;
		uint64_t nr = event_calls[c[0] % (sizeof(event_calls) / sizeof(event_calls[0]))];
		uint64_t fd1 = c[1] % 12, fd2 = c[2] % 12, flag = c[3];
		struct linux_regs r = {.rax = nr, .rsp = proc->user_top - 0x1000, .rip = 0x200002};
		/* at user: an epoll_event, an itimerspec, a sigset, a sigevent */
		const uint64_t its[4] = {0, flag & 1 ? 1 : 0, 0, (uint64_t)(flag & 7) * 1000};
		const uint32_t ev[3] = {(uint32_t)flag << 24 | (flag & 0x3F), (uint32_t)fd1, 0};
		const int32_t sev[5] = {0, 0, (int32_t)(flag % 70), (int32_t)(flag >> 6),
					proc->cur->pid};
		(void)linux_copy_out(proc, user, ev, sizeof(ev));
		(void)linux_copy_out(proc, user + 16, its, sizeof(its));
		(void)linux_copy_out(proc, user + 48, &(uint64_t){flag * 0x0101010101ULL}, 8);
		(void)linux_copy_out(proc, user + 64, sev, sizeof(sev));
		uint64_t a[6] = {fd1, fd2, user, flag, 0, 0};
		switch (nr) {
		case 291: a[0] = flag & 1 ? L_O_CLOEXEC : 0; break;	   /* epoll_create1 */
		case 233: a[1] = flag % 4, a[2] = fd2, a[3] = user; break; /* epoll_ctl */
		case 232:
		case 281:
		case 441: /* waits: maxevents small or huge, no timeout or a short one */
			a[1] = user + 128, a[2] = flag & 0x80 ? 0x7FFFFFFF / 12 : flag % 9;
			a[3] = nr == 441 ? (flag & 1 ? user + 16 : 0) : (uint64_t)(flag & 1);
			a[4] = flag & 2 ? user + 48 : 0, a[5] = 8;
			break;
		case 22: a[0] = user + 128; break; /* pipe */
		case 290: a[0] = flag, a[1] = (flag & 1) | (flag & 2 ? L_O_NONBLOCK : 0); break;
		case 283: a[0] = flag % 10, a[1] = flag & 0x10 ? L_O_NONBLOCK : 0; break;
		case 286:
			a[1] = flag & 1, a[2] = user + 16, a[3] = flag & 2 ? user + 160 : 0;
			break;
		case 287: a[1] = user + 160; break;
		case 289:
			a[0] = flag & 1 ? fd1 : (uint64_t)-1, a[1] = user + 48, a[2] = 8,
			a[3] = flag & 2 ? L_O_NONBLOCK : 0;
			break;
		case 231: /* exit_group: pid 1's would end the run */
			if (proc->cur->pid == 1)
				continue;
			a[0] = flag;
			break;
		case 0:
		case 1: a[1] = user + 256, a[2] = flag; break;
		case 7: a[0] = user + 128, a[1] = 1, a[2] = flag & 1; break; /* poll */
		case 222:
			a[0] = flag % 10, a[1] = flag & 1 ? user + 64 : 0, a[2] = user + 200;
			break;
		case 223: a[0] = fd1 % 4, a[1] = flag & 1, a[2] = user + 16, a[3] = 0; break;
		case 226: a[0] = fd1 % 4; break;
		case 38:
			a[0] = flag % 3, a[1] = user + 16, a[2] = user + 160;
			break;					  /* setitimer */
		case 37: a[0] = flag % 3; break;		  /* alarm */
		case 62: a[0] = fd1 % 4, a[1] = flag % 33; break; /* kill */
		case 14: a[0] = flag % 3, a[1] = user + 48, a[2] = 0, a[3] = 8; break;
		case 13: a[0] = flag % 33, a[1] = 0, a[2] = 0, a[3] = 8; break; /* query only */
		case 127: a[0] = user + 160, a[1] = 8; break;
		case 98: a[0] = flag % 3 - 1, a[1] = user + 256; break;
		case 100: a[0] = user + 256; break;
		case 61: a[0] = (uint64_t)-1, a[1] = user + 160, a[2] = 1, a[3] = user + 256; break;
		}
		r.rdi = a[0], r.rsi = a[1], r.rdx = a[2], r.r10 = a[3], r.r8 = a[4], r.r9 = a[5];
		linux_syscall(proc, &r);
		if (!vm_is_ending(proc->vm))
			check_tasks(proc);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vm vm;
	static int devnull = -1;
	if (devnull < 0) {
		devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (devnull < 0 || guest_mem_map(&vm.mem, RAM) < 0)
			abort();
	}
	struct guest_mem mem = vm.mem;
	vm_init(&vm);
	vm.mem = mem;
	static struct vcpu vcpu0; /* never started: vm_end() (SIGPIPE) has nothing to kick */
	vm.vcpus = &vcpu0;
	vm.vcpu_count = 1;
	vm.console_fd = devnull;
	vm.deadline_ns = 1; /* already past: sleeps and futex waits return at once */

	struct linux_proc *proc = calloc(1, sizeof(*proc));
	char err[256];
	proc->vm = &vm;
	proc->cfg.tmp_limit = 1 << 20;
	if (!proc || linux_mm_init(proc, err, sizeof(err)) < 0 ||
	    linux_fs_init(&proc->fs, tree_fd(), 1 << 20, 1 << 20, err, sizeof(err)) < 0)
		abort();
	proc->fs.owner = proc; /* /proc shows its tasks */
	/* Program memory: an "image" at 2 MiB and a stack below the tables. */
	uint64_t user = 0x200000, user_len = 0x100000;
	proc->stack_low = proc->user_top - 0x40000;
	linux_mm_map(proc, user, user_len, LINUX_PROT_READ | LINUX_PROT_WRITE, true);
	linux_mm_map(proc, proc->stack_low, 0x40000, LINUX_PROT_READ | LINUX_PROT_WRITE, true);
	proc->mm->brk_start = proc->mm->brk = user + user_len;
	linux_fd_init(proc);
	for (int fd = 0; fd < 3; fd++)
		proc->fds[fd].file->host_fd = devnull;
	proc->cwd = proc->fs.root;
	if (size > 0 && data[0] == TREE_MAGIC) {
		tree_sequence(proc, user, data + 1, size - 1);
		goto out;
	}
	if (size > 0 && data[0] == SOCK_MAGIC) {
		sock_sequence(proc, user, data + 1, size - 1);
		goto out;
	}
	if (size > 0 && data[0] == PROC_MAGIC) {
		proc_sequence(proc, user, data + 1, size - 1);
		goto out;
	}
	if (size > 0 && data[0] == MM_MAGIC) {
		mm_sequence(proc, data + 1, size - 1);
		goto out;
	}
	if (size > 0 && data[0] == EVENT_MAGIC) {
		event_sequence(proc, user, data + 1, size - 1);
		goto out;
	}
	struct linux_open_how how; /* openat2's parser on the raw input too */
	(void)linux_open_how_parse(data, size, &how);
	size_t head = CALLS * CALL_LEN;
	if (size > head)
		linux_copy_out(proc, user, data + head,
			       size - head < user_len ? size - head : user_len);

	for (size_t i = 0; i < CALLS && (i + 1) * CALL_LEN <= size && !vm_is_ending(&vm); i++) {
		const uint8_t *c = data + i * CALL_LEN;
		struct linux_regs r = {0};
		uint64_t a[6];
		memcpy(a, c + 1, sizeof(a));
		/* Arguments with the top bit set become pointers into program memory. */
		for (int k = 0; k < 6; k++)
			if (a[k] >> 63)
				a[k] = user + (a[k] % user_len);
		static const uint16_t interesting[] = {
		    0,	 1,   2,   3,	4,   5,	  8,   9,   10,	 11,  12,  13,	14,  15,
		    16,	 17,  19,  20,	21,  25,  28,  32,  33,	 72,  77,  79,	80,  83,
		    87,	 89,  158, 202, 217, 228, 257, 262, 263, 267, 292, 302, 318, 332,
		    999, 7,   22,  23,	270, 271, 293, 61,  62,	 109, 112, 121, 200, 234,
		    247, 41,  42,  43,	44,  45,  46,  47,  48,	 49,  50,  51,	52,  53,
		    54,	 55,  288, 213, 232, 233, 281, 291, 441, 284, 290, 282, 289, 283,
		    286, 287, 36,  37,	38,  222, 223, 224, 225, 226, 98,  100, 127};
		r.rax = interesting[c[0] % (sizeof(interesting) / sizeof(interesting[0]))];
		if (r.rax == 60 || r.rax == 231)
			continue;
		r.rdi = a[0];
		r.rsi = a[1];
		r.rdx = a[2];
		r.r10 = a[3];
		r.r8 = a[4];
		r.r9 = a[5];
		r.rsp = proc->user_top - 0x1000;
		r.rip = 0x200002; /* a restarted call steps back 2 bytes */
		if (c[0] & 0x40)  /* SIGTERM from the host, taken when this call returns */
			proc->host_pending |= 1ULL << (15 - 1);
		linux_syscall(proc, &r);
	}
out:
	linux_free(proc);
	pthread_mutex_destroy(&vm.lock);
	pthread_cond_destroy(&vm.cond);
	return 0;
}
