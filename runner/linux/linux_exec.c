/* execve/execveat and the one loader every program goes through: `#!` scripts, the ELF image and its interpreter (PT_INTERP) read from the VM's file tree, all checked before the old image goes; then the new image, its stack (argv, envp, auxv) and a clean process state. */
#include <cpuid.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux.h"
#include "linux_procfs.h"

#define PAGE_MASK	      (LOCKVM_PAGE_SIZE - 1)
#define LINUX_PIE_BASE	      0x400000ULL /* Linux's ELF_ET_DYN_BASE would be far above RAM */
#define LINUX_ARG_STRLEN_MAX  ((size_t)32 * 4096) /* MAX_ARG_STRLEN: one argument or variable */
#define LINUX_BINPRM_BUF      256U		  /* bytes of a `#!` line Linux looks at */
#define LINUX_EXEC_DEPTH      5U /* nested `#!` interpreters, as Linux's exec_binprm */
#define L_AT_FDCWD	      (-100)
#define L_AT_SYMLINK_NOFOLLOW 0x100
#define L_AT_EMPTY_PATH	      0x1000

static uint64_t align_up(uint64_t x, uint64_t align)
{
	return (x + align - 1) & ~(align - 1);
}

/* ---- argv and envp, copied in before anything else changes ---- */

static int args_put(struct linux_exec_args *args, const char *s, size_t len)
{
	if (len + 1 > LINUX_ARG_STRLEN_MAX)
		return -E2BIG;
	/* Linux counts each string and its pointer against ARG_MAX. */
	if (args->len + len + 1 + 8 * ((uint64_t)args->argc + args->envc + 1) > args->limit)
		return -E2BIG;
	if (args->len + len + 1 > args->cap) {
		size_t cap = args->cap ? args->cap : 4096;
		while (cap < args->len + len + 1)
			cap *= 2;
		char *grown = realloc_copy(args->buf, args->len, cap);
		if (!grown)
			return -ENOMEM;
		args->buf = grown;
		args->cap = cap;
	}
	memcpy(args->buf + args->len, s, len);
	args->buf[args->len + len] = '\0';
	args->len += len + 1;
	return 0;
}

int linux_exec_args_add(struct linux_exec_args *args, const char *s, bool env)
{
	int rc = args_put(args, s, strlen(s));
	if (rc == 0 && env)
		args->envc++;
	else if (rc == 0)
		args->argc++;
	return rc;
}

void linux_exec_args_free(struct linux_exec_args *args)
{
	free(args->buf);
	*args = (struct linux_exec_args){0};
}

/* A NULL-terminated array of string pointers in the program's memory. */
static long args_copy_user(struct linux_proc *proc, struct linux_exec_args *args, uint64_t uarray,
			   bool env, char *tmp)
{
	for (uint64_t i = 0; uarray; i++) {
		uint64_t ptr;
		if (linux_copy_in(proc, &ptr, uarray + 8 * i, sizeof(ptr)) < 0)
			return -EFAULT;
		if (!ptr)
			return 0;
		long len = linux_user_string(proc, ptr, tmp, LINUX_ARG_STRLEN_MAX);
		if (len == -ENAMETOOLONG)
			return -E2BIG;
		if (len < 0)
			return len;
		int rc = args_put(args, tmp, (size_t)len);
		if (rc < 0)
			return rc;
		*(env ? &args->envc : &args->argc) += 1;
	}
	return 0;
}

/* argv[0] becomes interp [arg] filename, as Linux's binfmt_script. */
static int args_script(struct linux_exec_args *args, const char *interp, const char *arg,
		       const char *filename)
{
	struct linux_exec_args out = {.limit = args->limit};
	size_t skip = args->argc ? strlen(args->buf) + 1 : 0;
	int rc = linux_exec_args_add(&out, interp, false);
	if (rc == 0 && arg)
		rc = linux_exec_args_add(&out, arg, false);
	if (rc == 0)
		rc = linux_exec_args_add(&out, filename, false);
	for (size_t off = skip; rc == 0 && off < args->len;) {
		size_t len = strlen(args->buf + off);
		rc = args_put(&out, args->buf + off, len);
		off += len + 1;
	}
	if (rc < 0) {
		linux_exec_args_free(&out);
		return rc;
	}
	out.argc += args->argc ? args->argc - 1 : 0;
	out.envc = args->envc;
	linux_exec_args_free(args);
	*args = out;
	return 0;
}

/* ---- reading the files, from the VM's tree only ---- */

/* A program's bytes behind the pointer every caller holds, with what says
 * whether a copy still is the file (struct linux_exec_cache). */
struct linux_exec_file {
	unsigned refs; /* the cache's while it lists the copy, and each exec's */
	uint64_t size;
	dev_t dev;
	ino_t ino;
	struct timespec mtime, ctime;
	/* Listed copies: guest frames of its pages that read-only segments
	 * map (linux_elf_map()), nframes slots, 0 where none yet. */
	struct linux_exec_cache *cache;
	struct linux_pages *pages;
	uint64_t *frames, nframes;
	/* A program too large for the cache: its bytes are the file mapped
	 * read-only (map_len bytes from the page before them, which holds
	 * this record), and the pages read-only segments map come from the
	 * private mappings' page cache (fc; NULL: copied). */
	uint64_t map_len;
	struct linux_fcache_file *fc;
	uint8_t bytes[];
};

static struct linux_exec_file *file_of(uint8_t *bytes)
{
	return (struct linux_exec_file *)(void *)(bytes - offsetof(struct linux_exec_file, bytes));
}

void linux_exec_file_put(uint8_t *bytes)
{
	if (!bytes)
		return;
	struct linux_exec_file *ef = file_of(bytes);
	if (--ef->refs)
		return;
	if (ef->map_len) {
		for (unsigned i = 0; i < LINUX_EXEC_LARGE; i++)
			if (ef->cache->large[i] == ef)
				ef->cache->large[i] = NULL;
		munmap(bytes - LOCKVM_PAGE_SIZE, ef->map_len);
		return;
	}
	for (uint64_t i = 0; ef->frames && i < ef->nframes; i++)
		if (ef->frames[i]) {
			linux_page_put(ef->pages, ef->frames[i]);
			ef->cache->frames--;
		}
	free(ef->frames);
	free(ef);
}

uint64_t linux_exec_share_frame(struct linux_proc *proc, struct linux_exec_file *cached,
				uint64_t off, bool fill)
{
	uint64_t i = off / LOCKVM_PAGE_SIZE;
	if ((off & PAGE_MASK) || off + LOCKVM_PAGE_SIZE > cached->size)
		return 0;
	if (cached->fc) /* a large program: the page cache's frame */
		return linux_fcache_frame_copy(proc, cached->fc, i,
					       fill ? cached->bytes + off : NULL);
	if (!cached->cache)
		return 0;
	if (!cached->frames && fill) {
		cached->nframes = cached->size / LOCKVM_PAGE_SIZE;
		cached->frames = calloc(cached->nframes, sizeof(*cached->frames));
	}
	if (!cached->frames || cached->frames[i] || !fill)
		return cached->frames ? cached->frames[i] : 0;
	/* At most 16 MiB of frames, and a sixteenth of guest RAM. */
	struct linux_exec_cache *c = cached->cache;
	if (c->frames >= LINUX_EXEC_CACHE_MAX / LOCKVM_PAGE_SIZE ||
	    c->frames >= proc->pages.count / 16)
		return 0;
	uint64_t frame = linux_page_alloc(&proc->pages);
	uint8_t *host = frame ? linux_page_host(&proc->pages, frame) : NULL;
	if (!host)
		return 0;
	memcpy(host, cached->bytes + off, LOCKVM_PAGE_SIZE);
	cached->frames[i] = frame;
	c->frames++;
	return frame;
}

/* The cache's entry whose copy `bytes` is, or the record of a large
 * program mapped for an exec under way, or NULL. */
static struct linux_exec_file *cached_copy(struct linux_proc *proc, const uint8_t *bytes)
{
	struct linux_exec_cache *c = &proc->exec_cache;
	for (unsigned i = 0; i < LINUX_EXEC_CACHE_FILES && c->files[i]; i++)
		if (c->files[i]->bytes == bytes)
			return c->files[i];
	for (unsigned i = 0; i < LINUX_EXEC_LARGE; i++)
		if (c->large[i] && c->large[i]->bytes == bytes)
			return c->large[i];
	return NULL;
}

/*
 * A program too large for the exec cache, mapped from its file instead of
 * read into the heap (cc1 is 33 MiB: only the pages exec copies are
 * touched), its record in the page before the bytes. The mapping lasts
 * for this exec only. NULL: the caller reads it.
 */
static uint8_t *map_large(struct linux_proc *proc, const struct linux_node *node, int fd,
			  const struct stat *st)
{
	uint64_t len = (uint64_t)st->st_size;
	if (len <= LINUX_EXEC_CACHE_MAX || len != node->size || len > SIZE_MAX - LOCKVM_PAGE_SIZE)
		return NULL;
	uint8_t *base = mmap(NULL, LOCKVM_PAGE_SIZE + len, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return NULL;
	if (mmap(base + LOCKVM_PAGE_SIZE, len, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0) ==
	    MAP_FAILED) {
		munmap(base, LOCKVM_PAGE_SIZE + len);
		return NULL;
	}
	struct linux_exec_cache *c = &proc->exec_cache;
	struct linux_exec_file *ef = file_of(base + LOCKVM_PAGE_SIZE);
	*ef = (struct linux_exec_file){
	    .refs = 1, .size = len, .cache = c, .map_len = LOCKVM_PAGE_SIZE + len};
	for (unsigned i = 0; i < LINUX_EXEC_LARGE; i++)
		if (!c->large[i]) { /* listed: its pages may come from the page cache */
			c->large[i] = ef;
			ef->fc = linux_fcache_open(proc, node, fd);
			break;
		}
	return ef->bytes;
}

static bool same_file(const struct linux_exec_file *ef, const struct stat *st)
{
	return ef->dev == st->st_dev && ef->ino == st->st_ino &&
	       ef->size == (uint64_t)st->st_size && ef->mtime.tv_sec == st->st_mtim.tv_sec &&
	       ef->mtime.tv_nsec == st->st_mtim.tv_nsec && ef->ctime.tv_sec == st->st_ctim.tv_sec &&
	       ef->ctime.tv_nsec == st->st_ctim.tv_nsec;
}

/* Takes copy i out of the cache (an exec still using it keeps it). */
static void cache_drop(struct linux_exec_cache *c, unsigned i)
{
	struct linux_exec_file *ef = c->files[i];
	c->bytes -= ef->size;
	for (; i + 1 < LINUX_EXEC_CACHE_FILES; i++)
		c->files[i] = c->files[i + 1];
	c->files[LINUX_EXEC_CACHE_FILES - 1] = NULL;
	linux_exec_file_put(ef->bytes);
}

/* The cached copy of the file st describes, with a reference for the
 * caller, or NULL. A copy of the same inode that no longer matches is
 * dropped. */
static struct linux_exec_file *cache_find(struct linux_exec_cache *c, const struct stat *st)
{
	for (unsigned i = 0; i < LINUX_EXEC_CACHE_FILES && c->files[i]; i++) {
		struct linux_exec_file *ef = c->files[i];
		if (ef->dev != st->st_dev || ef->ino != st->st_ino)
			continue;
		if (!same_file(ef, st)) {
			cache_drop(c, i);
			break;
		}
		for (unsigned k = i; k > 0; k--) /* most recent first */
			c->files[k] = c->files[k - 1];
		c->files[0] = ef;
		ef->refs++;
		c->hits++;
		return ef;
	}
	c->misses++;
	return NULL;
}

/* Lists a copy just read (st: its file), dropping the least recently used
 * ones to stay within the cache's bounds. */
static void cache_add(struct linux_exec_cache *c, struct linux_pages *pages,
		      struct linux_exec_file *ef, const struct stat *st)
{
	if (ef->size > LINUX_EXEC_CACHE_MAX || ef->size != (uint64_t)st->st_size)
		return; /* too large, or changing while it was read */
	ef->dev = st->st_dev;
	ef->ino = st->st_ino;
	ef->mtime = st->st_mtim;
	ef->ctime = st->st_ctim;
	ef->cache = c;
	ef->pages = pages;
	while (c->files[LINUX_EXEC_CACHE_FILES - 1] || c->bytes + ef->size > LINUX_EXEC_CACHE_MAX) {
		unsigned last = LINUX_EXEC_CACHE_FILES - 1;
		while (!c->files[last])
			last--;
		cache_drop(c, last);
	}
	for (unsigned k = LINUX_EXEC_CACHE_FILES - 1; k > 0; k--)
		c->files[k] = c->files[k - 1];
	c->files[0] = ef;
	c->bytes += ef->size;
	ef->refs++;
}

void linux_exec_cache_free(struct linux_proc *proc)
{
	while (proc->exec_cache.files[0])
		cache_drop(&proc->exec_cache, 0);
}

/* A regular file with an x bit, read whole (*size bytes, for
 * linux_exec_file_put()), or NULL with -errno in *rc. */
static uint8_t *read_node(struct linux_proc *proc, struct linux_node *node, uint64_t *size,
			  long *rc)
{
	*rc = node->host && !node->statted ? linux_hostfs_stat(&proc->fs, node) : 0;
	if (*rc < 0)
		return NULL;
	if ((node->mode & S_IFMT) != S_IFREG || node->dev_kind || !(node->mode & 0111)) {
		*rc = -EACCES;
		return NULL;
	}
	int fd = node->host ? linux_hostfs_open(&proc->fs, node) : -1;
	if (node->host && fd < 0) {
		*rc = fd;
		return NULL;
	}
	/* A file of the host's tree: its cached copy while it is the same file. */
	struct stat st;
	bool known = fd >= 0 && fstat(fd, &st) == 0;
	struct linux_exec_file *ef = known ? cache_find(&proc->exec_cache, &st) : NULL;
	if (ef) {
		close(fd);
		*size = ef->size;
		return ef->bytes;
	}
	uint8_t *mapped = known ? map_large(proc, node, fd, &st) : NULL;
	if (mapped) {
		close(fd);
		*size = node->size;
		return mapped;
	}
	uint64_t len = node->size, done = 0;
	/* Larger than RAM: it could never be loaded. */
	ef = len > proc->vm->mem.size ? NULL : malloc(sizeof(*ef) + (len ? len : 1));
	*rc = ef ? 0 : -ENOMEM;
	while (*rc == 0 && done < len) {
		long n = linux_fs_pread(node, fd, ef->bytes + done, len - done, done);
		if (n <= 0)
			*rc = n < 0 ? n : -EIO; /* shorter than its size said */
		else
			done += (uint64_t)n;
	}
	if (fd >= 0)
		close(fd);
	if (*rc < 0) {
		free(ef);
		return NULL;
	}
	*ef = (struct linux_exec_file){.refs = 1, .size = len};
	if (known)
		cache_add(&proc->exec_cache, &proc->pages, ef, &st);
	*size = len;
	return ef->bytes;
}

uint8_t *linux_exec_read_path(struct linux_proc *proc, const char *path, uint64_t *size, long *rc)
{
	struct linux_node *node;
	*rc = linux_fs_resolve(&proc->fs, proc->cwd, path,
			       LINUX_RESOLVE_FOLLOW | LINUX_RESOLVE_RECORD, &node, NULL, NULL, 0);
	return *rc < 0 ? NULL : read_node(proc, node, size, rc);
}

/* ---- `#!` ---- */

/*
 * The interpreter and its one optional argument from a `#!` line, as
 * Linux's binfmt_script: blanks around them dropped, everything after the
 * interpreter's name one argument. Returns 1 (a script), 0 (not one) or
 * -ENOEXEC (no interpreter, or its name cut by the 256-byte limit).
 */
int linux_exec_shebang(const uint8_t *file, uint64_t size, char *interp, char *arg)
{
	if (size < 2 || file[0] != '#' || file[1] != '!')
		return 0;
	char line[LINUX_BINPRM_BUF + 1];
	uint64_t n = size < LINUX_BINPRM_BUF ? size : LINUX_BINPRM_BUF;
	memcpy(line, file, n);
	line[n] = '\0';
	char *nl = memchr(line, '\n', n);
	/* Without a newline Linux reads 255 bytes; with no NUL in them either,
	 * the line is cut there. */
	bool cut = false;
	if (nl) {
		*nl = '\0';
	} else if (n >= LINUX_BINPRM_BUF - 1) {
		line[LINUX_BINPRM_BUF - 1] = '\0';
		cut = strlen(line) == LINUX_BINPRM_BUF - 1;
	}
	char *p = line + 2;
	while (*p == ' ' || *p == '\t')
		p++;
	char *name = p;
	while (*p && *p != ' ' && *p != '\t')
		p++;
	if (p == name || (cut && !*p))
		return -ENOEXEC;
	size_t name_len = (size_t)(p - name);
	while (*p == ' ' || *p == '\t')
		p++;
	char *end = p + strlen(p);
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*end = '\0';
	memcpy(interp, name, name_len);
	interp[name_len] = '\0';
	memcpy(arg, p, strlen(p) + 1);
	return 1;
}

/* ---- the checked plan of an exec ---- */

struct exec_image {
	const uint8_t *file; /* the program's bytes: the caller's, or file_owned */
	uint8_t *file_owned, *interp;
	uint64_t file_size, interp_size;
	struct linux_elf elf, interp_elf;
	uint64_t bias;	/* of the program */
	char *filename; /* LINUX_PATH_MAX bytes: the name it runs as (AT_EXECFN) */
};

static void image_free(struct exec_image *img)
{
	linux_exec_file_put(img->file_owned);
	linux_exec_file_put(img->interp);
}

/*
 * Follows `#!` lines and PT_INTERP from img->file (owned), reading every
 * file from the VM's tree, and checks it all. Nothing of the process
 * changes. Returns 0 or -errno with a reason in err.
 */
static long exec_prepare(struct linux_proc *proc, struct exec_image *img,
			 struct linux_exec_args *args, uint64_t stack_size, char *err,
			 size_t errlen)
{
	char interp[LINUX_BINPRM_BUF + 1], arg[LINUX_BINPRM_BUF + 1];
	for (unsigned depth = 0;; depth++) {
		int script = linux_exec_shebang(img->file, img->file_size, interp, arg);
		if (script < 0) {
			snprintf(err, errlen, "%s: bad #! line", img->filename);
			return script;
		}
		if (!script)
			break;
		if (depth >= LINUX_EXEC_DEPTH) {
			snprintf(err, errlen, "%s: #! interpreters nest too deep", img->filename);
			return -ELOOP;
		}
		long rc = args_script(args, interp, arg[0] ? arg : NULL, img->filename);
		linux_exec_file_put(img->file_owned);
		img->file = img->file_owned = NULL;
		if (rc == 0)
			img->file = img->file_owned =
			    linux_exec_read_path(proc, interp, &img->file_size, &rc);
		if (rc < 0) {
			snprintf(err, errlen, "%s: #! interpreter %s: %s", img->filename, interp,
				 strerror((int)-rc));
			return rc;
		}
		snprintf(img->filename, LINUX_PATH_MAX, "%s", interp);
	}
	/* Parsed into locals, then copied: no pointer into img leaves this file. */
	char why[160] = "not an ELF file";
	struct linux_elf parsed;
	if (!img->file ||
	    linux_elf_parse(img->file, img->file_size, &parsed, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s: %s", img->filename, why);
		return -ENOEXEC;
	}
	img->elf = parsed;
	struct linux_elf *elf = &img->elf;
	img->bias = elf->dyn ? align_up(LINUX_PIE_BASE, elf->max_align) - elf->lo : 0;
	uint64_t stack_low = proc->user_top - stack_size;
	if (elf->lo + img->bias < LOCKVM_RUNNER_END || elf->hi + img->bias > stack_low) {
		snprintf(err, errlen,
			 "%s: image [0x%" PRIx64 ", 0x%" PRIx64 ") does not fit between 0x%" PRIx64
			 " and the stack at 0x%" PRIx64 " (more --mem?)",
			 img->filename, elf->lo + img->bias, elf->hi + img->bias,
			 (uint64_t)LOCKVM_RUNNER_END, stack_low);
		return -ENOMEM;
	}
	if (!elf->interp_len)
		return 0;
	char path[LINUX_PATH_MAX];
	memcpy(path, img->file + elf->interp_off, elf->interp_len + 1);
	long rc;
	img->interp = linux_exec_read_path(proc, path, &img->interp_size, &rc);
	if (rc < 0) {
		snprintf(err, errlen, "%s: interpreter %s: %s in the VM's file tree", img->filename,
			 path, strerror((int)-rc));
		return rc;
	}
	if (linux_elf_parse(img->interp, img->interp_size, &parsed, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s: interpreter %s: %s", img->filename, path, why);
		return -ELIBBAD;
	}
	img->interp_elf = parsed;
	return 0;
}

/* ---- past this point the old image is gone ---- */

/* auxv types (elf.h names, kept local to say which ones we give). */
enum {
	AT_NULL_ = 0,
	AT_PHDR_ = 3,
	AT_PHENT_ = 4,
	AT_PHNUM_ = 5,
	AT_PAGESZ_ = 6,
	AT_BASE_ = 7,
	AT_FLAGS_ = 8,
	AT_ENTRY_ = 9,
	AT_UID_ = 11,
	AT_EUID_ = 12,
	AT_GID_ = 13,
	AT_EGID_ = 14,
	AT_PLATFORM_ = 15,
	AT_HWCAP_ = 16,
	AT_CLKTCK_ = 17,
	AT_SECURE_ = 23,
	AT_RANDOM_ = 25,
	AT_HWCAP2_ = 26,
	AT_EXECFN_ = 31,
	AT_MINSIGSTKSZ_ = 51,
};

struct stack_writer {
	struct linux_proc *proc;
	uint64_t sp;
	bool fault;
};

static uint64_t push_bytes(struct stack_writer *w, const void *data, size_t len)
{
	if (w->sp - w->proc->stack_low < len + LOCKVM_PAGE_SIZE) {
		w->fault = true;
		return 0;
	}
	w->sp -= len;
	if (linux_copy_out(w->proc, w->sp, data, len) < 0)
		w->fault = true;
	return w->sp;
}

/* The initial stack as Linux lays it out: strings at the top, then argc,
 * argv[], envp[] and the auxv from a 16-byte aligned rsp. */
static int build_stack(struct linux_proc *proc, const struct exec_image *img,
		       const struct linux_exec_args *args, uint64_t interp_base)
{
	struct stack_writer w = {.proc = proc, .sp = proc->user_top};
	uint64_t execfn = push_bytes(&w, img->filename, strlen(img->filename) + 1);
	uint64_t strings = push_bytes(&w, args->buf, args->len);
	uint64_t platform = push_bytes(&w, "x86_64", 7);
	uint8_t random[16];
	if (getrandom(random, sizeof(random), 0) != (ssize_t)sizeof(random))
		return -EAGAIN;
	uint64_t at_random = push_bytes(&w, random, sizeof(random));
	if (w.fault)
		return -E2BIG;
	unsigned eax, ebx, ecx, edx = 0;
	__get_cpuid(1, &eax, &ebx, &ecx, &edx);
	const struct linux_elf *elf = &img->elf;
	uint64_t auxv[][2] = {
	    {AT_PHDR_, elf->have_phdr ? elf->phdr + img->bias : 0},
	    {AT_PHENT_, 56},
	    {AT_PHNUM_, elf->phnum},
	    {AT_PAGESZ_, LOCKVM_PAGE_SIZE},
	    {AT_BASE_, interp_base},
	    {AT_FLAGS_, 0},
	    {AT_ENTRY_, elf->entry + img->bias},
	    {AT_UID_, proc->cred.uid},
	    {AT_EUID_, proc->cred.uid},
	    {AT_GID_, proc->cred.gid},
	    {AT_EGID_, proc->cred.gid},
	    {AT_PLATFORM_, platform},
	    {AT_HWCAP_, edx},
	    {AT_CLKTCK_, 100},
	    {AT_SECURE_, 0},
	    {AT_RANDOM_, at_random},
	    {AT_HWCAP2_, 0},
	    {AT_EXECFN_, execfn},
	    {AT_MINSIGSTKSZ_, 2048},
	    {AT_NULL_, 0},
	};
	uint64_t words = 1 + args->argc + 1 + args->envc + 1 + 2 * ARRAY_SIZE(auxv);
	w.sp &= ~15ULL;
	if (words % 2)
		w.sp -= 8; /* argc lands 16-byte aligned */
	if (w.sp - proc->stack_low < LOCKVM_PAGE_SIZE + words * 8)
		return -E2BIG;
	uint64_t *table = malloc(words * 8);
	if (!table)
		return -ENOMEM;
	size_t k = 0, off = 0, off_env = args->len;
	table[k++] = args->argc;
	for (unsigned i = 0; i < args->argc + args->envc; i++) {
		if (i == args->argc) {
			table[k++] = 0; /* end of argv */
			off_env = off;
		}
		table[k++] = strings + off;
		off += strlen(args->buf + off) + 1;
	}
	if (args->envc == 0)
		table[k++] = 0;
	table[k++] = 0; /* end of envp */
	for (size_t i = 0; i < ARRAY_SIZE(auxv); i++) {
		table[k++] = auxv[i][0];
		table[k++] = auxv[i][1];
	}
	w.sp -= words * 8;
	long rc = linux_copy_out(proc, w.sp, table, words * 8);
	free(table);
	proc->initial_rsp = w.sp;
	proc->arg_start = strings;
	proc->env_start = strings + off_env;
	proc->env_end = strings + args->len;
	return rc < 0 ? (int)rc : 0;
}

/* The interpreter where mmap would put it (Linux: the mmap base), at its
 * alignment; an ET_EXEC one only where it asked, if that is free. */
static long place_interp(struct linux_proc *proc, const struct linux_elf *elf, uint64_t *bias)
{
	uint64_t span = elf->hi - elf->lo;
	const uint64_t anon = 0x02 /* MAP_PRIVATE */ | 0x20 /* MAP_ANONYMOUS */;
	if (!elf->dyn) {
		long at = linux_sys_mmap(proc, elf->lo, span, 0, anon | 0x100000 /* NOREPLACE */,
					 (uint64_t)-1, 0);
		*bias = 0;
		return at < 0 ? at : 0;
	}
	uint64_t extra = elf->max_align - LOCKVM_PAGE_SIZE;
	long at = linux_sys_mmap(proc, 0, span + extra, 0, anon, (uint64_t)-1, 0);
	if (at < 0)
		return at;
	uint64_t base = align_up((uint64_t)at, elf->max_align);
	if (base > (uint64_t)at)
		linux_sys_munmap(proc, (uint64_t)at, base - (uint64_t)at);
	if ((uint64_t)at + span + extra > base + span)
		linux_sys_munmap(proc, base + span, (uint64_t)at + extra - base);
	*bias = base - elf->lo;
	return 0;
}

/* Drops the old image and loads img: the point of no return. */
static int exec_commit(struct linux_proc *proc, const struct exec_image *img,
		       const struct linux_exec_args *args, uint64_t stack_size, char *err,
		       size_t errlen)
{
	int rc = linux_mm_exec(proc);
	const char *step = "address space";
	if (rc == 0) {
		step = "stack";
		proc->stack_low = proc->user_top - stack_size;
		/* The stack, with an unmapped guard page below it. */
		rc = linux_mm_map(proc, proc->stack_low + LOCKVM_PAGE_SIZE,
				  stack_size - LOCKVM_PAGE_SIZE, LINUX_PROT_READ | LINUX_PROT_WRITE,
				  true);
	}
	if (rc == 0) {
		step = "image";
		struct linux_vma_file *name = linux_procfs_image_name(proc, img->filename);
		rc = linux_elf_map(proc, img->file, &img->elf, img->bias,
				   cached_copy(proc, img->file), name);
		linux_vma_file_put(name);
		proc->mm->brk_start = proc->mm->brk = img->elf.hi + img->bias;
	}
	uint64_t interp_bias = 0, entry = img->elf.entry + img->bias;
	if (rc == 0 && img->interp) {
		step = "interpreter";
		rc = (int)place_interp(proc, &img->interp_elf, &interp_bias);
		/* PT_INTERP's path, checked NUL-terminated by linux_elf_parse */
		const char *path = (const char *)img->file + img->elf.interp_off;
		struct linux_vma_file *name = rc == 0 ? linux_procfs_image_name(proc, path) : NULL;
		if (rc == 0)
			rc = linux_elf_map(proc, img->interp, &img->interp_elf, interp_bias,
					   cached_copy(proc, img->interp), name);
		linux_vma_file_put(name);
		entry = img->interp_elf.entry + interp_bias;
	}
	if (rc == 0) {
		step = "stack contents";
		rc = build_stack(proc, img, args,
				 img->interp ? img->interp_elf.lo + interp_bias : 0);
	}
	if (rc < 0) {
		snprintf(err, errlen, "%s: loading its %s: %s", img->filename, step, strerror(-rc));
		return -1;
	}
	proc->entry = entry;
	proc->phdr = img->elf.have_phdr ? img->elf.phdr + img->bias : 0;
	proc->phnum = img->elf.phnum;
	proc->load_bias = img->bias;
	proc->image_end = proc->mm->brk;
	proc->tlb_stale = true;
	return 0;
}

/* What a process keeps across exec and what it loses (execve(2)). */
static void exec_reset(struct linux_proc *proc)
{
	linux_fd_exec(proc);
	linux_signal_exec(proc);
	proc->clear_child_tid = 0;
	proc->fs_base = proc->gs_base = 0;
	proc->fs_base_dirty = true;
}

/* The stack of every program: 8 MiB as Linux's default limit, at most an
 * eighth of RAM. */
static uint64_t stack_size_of(const struct linux_proc *proc)
{
	uint64_t stack = 8ULL << 20;
	return stack > proc->vm->mem.size / 8 ? proc->vm->mem.size / 8 : stack;
}

int linux_exec_load(struct linux_proc *proc, const uint8_t *file, uint64_t size,
		    const char *filename, struct linux_exec_args *args, char *err, size_t errlen)
{
	char name[LINUX_PATH_MAX];
	struct exec_image img = {.file = file, .file_size = size, .filename = name};
	snprintf(name, sizeof(name), "%s", filename);
	uint64_t stack = stack_size_of(proc);
	long rc = exec_prepare(proc, &img, args, stack, err, errlen);
	if (rc == 0 && exec_commit(proc, &img, args, stack, err, errlen) < 0)
		rc = LINUX_EXEC_GONE;
	if (rc == 0)
		exec_reset(proc);
	if (rc == 0)
		linux_task_set_cmdline(proc, args);
	if (rc == 0)
		linux_procfs_set_exe(proc, filename);
	if (rc == 0)
		linux_record_exec(
		    proc, filename, file, size, args,
		    &(struct linux_record_loaded){
			.program = img.file != file ? img.filename : NULL,
			.program_file = img.file,
			.program_size = img.file_size,
			.loader = img.interp ? (const char *)img.file + img.elf.interp_off : NULL,
			.loader_file = img.interp,
			.loader_size = img.interp_size});
	image_free(&img);
	return (int)rc;
}

uint64_t linux_exec_args_limit(const struct linux_proc *proc)
{
	return stack_size_of(proc) / 4; /* Linux's ARG_MAX: a quarter of the stack limit */
}

/* ---- the calls ---- */

/* The name the new image knows itself by (AT_EXECFN, a script's argument),
 * as Linux's bprm->filename: a dirfd-relative path goes through /dev/fd. */
static void exec_filename(char *out, size_t len, uint64_t dirfd, const char *path)
{
	if (path[0] == '/' || (int)dirfd == L_AT_FDCWD)
		snprintf(out, len, "%s", path);
	else if (!path[0])
		snprintf(out, len, "/dev/fd/%d", (int)dirfd);
	else
		snprintf(out, len, "/dev/fd/%d/%s", (int)dirfd, path);
}

static long do_execveat(struct linux_proc *proc, uint64_t dirfd, uint64_t upath, uint64_t uargv,
			uint64_t uenvp, uint64_t flags)
{
	if (flags & ~(uint64_t)(L_AT_EMPTY_PATH | L_AT_SYMLINK_NOFOLLOW))
		return -EINVAL;
	char path[LINUX_PATH_MAX], filename[LINUX_PATH_MAX + 32], err[LINUX_PATH_MAX + 160];
	long rc = linux_user_string(proc, upath, path, sizeof(path));
	if (rc < 0)
		return rc;
	struct linux_node *node;
	rc = linux_lookup_at(proc, dirfd, upath,
			     flags & L_AT_SYMLINK_NOFOLLOW ? 0 : LINUX_RESOLVE_FOLLOW,
			     flags & L_AT_EMPTY_PATH, &node);
	if (rc == -ENOTSUP)
		return -EACCES; /* the runner's stdio: not a file to run */
	if (rc < 0)
		return rc;
	if ((node->mode & S_IFMT) == S_IFLNK)
		return -ELOOP; /* AT_SYMLINK_NOFOLLOW on a symlink */
	exec_filename(filename, sizeof(filename), dirfd, path);
	/* argv and envp are copied in whole before anything changes: a failed
	 * exec returns to a caller that is still intact. */
	struct linux_exec_args args = {.limit = linux_exec_args_limit(proc)};
	char *tmp = malloc(LINUX_ARG_STRLEN_MAX);
	rc = tmp ? args_copy_user(proc, &args, uargv, false, tmp) : -ENOMEM;
	if (rc == 0)
		rc = args_copy_user(proc, &args, uenvp, true, tmp);
	free(tmp);
	if (rc == 0 && args.argc == 0 && args.envc == 0)
		rc = linux_exec_args_add(&args, "", false); /* as Linux 5.18: argv[0] is "" */
	uint8_t *file = NULL;
	uint64_t size = 0;
	if (rc == 0)
		file = read_node(proc, node, &size, &rc);
	err[0] = '\0';
	if (rc == 0)
		rc = linux_exec_load(proc, file, size, filename, &args, err, sizeof(err));
	linux_exec_file_put(file);
	linux_exec_args_free(&args);
	if (rc == LINUX_EXEC_GONE) {
		/* As Linux's SIGSEGV after the point of no return. */
		fprintf(stderr, "[lockvm] execve: %s\n", err);
		linux_task_exit(proc, 11);
		return 0;
	}
	if (rc < 0) {
		if (proc->cfg.strace && err[0])
			fprintf(stderr, "[lockvm] execve: %s\n", err);
		return rc;
	}
	/* Every register as Linux's start_thread leaves it: zero but rip, rsp. */
	*proc->regs = (struct linux_regs){
	    .rip = proc->entry, .rsp = proc->initial_rsp, .rflags = linux_user_rflags(0)};
	proc->regs_replaced = true;
	struct linux_fpu fpu; /* and the FPU as fpu__clear_user_states(): FCW 0x37F, MXCSR 0x1F80 */
	linux_fpu_init_state(&fpu);
	linux_fpu_set(proc, &fpu);
	linux_task_exec(proc, filename); /* a vfork parent goes on */
	return 0;
}

long linux_sys_execve(struct linux_proc *proc, const uint64_t *a)
{
	return do_execveat(proc, (uint64_t)L_AT_FDCWD, a[0], a[1], a[2], 0);
}

long linux_sys_execveat(struct linux_proc *proc, const uint64_t *a)
{
	return do_execveat(proc, a[0], a[1], a[2], a[3], a[4]);
}
