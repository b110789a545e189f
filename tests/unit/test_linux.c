/* Unit tests for --linux: the fs image parser's refusals (golden reasons), path resolution inside the tree, reference counts of /tmp nodes (cwd, fds, parents), the checked program-pointer path and the RFLAGS a program may set. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "linux.h"

/* A valid image: / , /a (dir), /a/f (file "hello"), /l -> /../../a/f, /loop -> loop. */
static size_t build_image(uint8_t *out)
{
	static const char names[] = "aflloopf";
	struct fsimage_node nodes[] = {
	    {.parent = 0, .mode = S_IFDIR | 0755},
	    {.parent = 0, .mode = S_IFDIR | 0755, .name_off = 0, .name_len = 1},
	    {.parent = 0,
	     .mode = S_IFLNK | 0777,
	     .name_off = 2,
	     .name_len = 1,
	     .data_off = 5,
	     .size = 10},
	    {.parent = 0,
	     .mode = S_IFLNK | 0777,
	     .name_off = 3,
	     .name_len = 4,
	     .data_off = 15,
	     .size = 4},
	    {.parent = 1,
	     .mode = S_IFREG | 0644,
	     .name_off = 1,
	     .name_len = 1,
	     .data_off = 0,
	     .size = 5},
	};
	static const char data[] = "hello/../../a/floop";
	struct fsimage_header h = {.version = FSIMAGE_VERSION, .node_count = 5};
	memcpy(h.magic, FSIMAGE_MAGIC, 8);
	h.strings_off = sizeof(h) + sizeof(nodes);
	h.strings_size = sizeof(names) - 1;
	h.data_off = h.strings_off + h.strings_size;
	h.data_size = sizeof(data) - 1;
	h.total_size = h.data_off + h.data_size;
	memcpy(out, &h, sizeof(h));
	memcpy(out + sizeof(h), nodes, sizeof(nodes));
	memcpy(out + h.strings_off, names, h.strings_size);
	memcpy(out + h.data_off, data, h.data_size);
	return h.total_size;
}

static void image_accepted_and_resolved(void **state)
{
	uint8_t img[1024];
	size_t n = build_image(img);
	struct linux_fs fs;
	char err[256];
	assert_int_equal(linux_fs_parse(&fs, img, n, 65536, err, sizeof(err)), 0);
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
	assert_int_equal(linux_fs_resolve(&fs, fs.root, "/etc/passwd", 0, &node, NULL, NULL, 0),
			 -ENOENT);
	/* /tmp is writable, the tree is not */
	struct linux_node *made;
	assert_int_equal(linux_fs_create(&fs, fs.tmp, "x", S_IFREG | 0644, &made), 0);
	assert_int_equal(linux_fs_write(&fs, made, 0, "abc", 3), 3);
	assert_int_equal(linux_fs_write(&fs, made, 65536, "a", 1),
			 -EFBIG); /* past the /tmp limit */
	assert_int_equal(linux_fs_create(&fs, fs.root, "y", S_IFREG | 0644, &made), -EROFS);
	linux_fs_free(&fs);
}

static void bad_images_refused(void **state)
{
	static const struct {
		size_t offset; /* byte to change */
		uint8_t value;
		const char *reason;
	} cases[] = {
	    {0, 'X', "fs image: bad magic"},
	    {8, 2, "fs image: version 2, want 1"},
	    {12, 0, "fs image: 0 nodes (1 to 65536 allowed)"},
	    /* node 4 (the file) claims parent 4: itself */
	    {56 + 4 * 48, 4, "fs image: node 4 comes before its parent 4"},
	    /* node 4's data runs past the data section */
	    {56 + 4 * 48 + 24, 200, "fs image: node 4 data runs past the data section"},
	    /* node 2's name becomes "a": a duplicate, out of order */
	    {56 + 2 * 48 + 8, 0, "fs image: node 2 is out of order or a duplicate"},
	    /* node 1 becomes a symlink with no target */
	    {56 + 1 * 48 + 5, 0xA1, "fs image: node 1 has a bad symlink target"},
	    /* total size field disagrees */
	    {48, 1, "fs image: size field 257 but 323 bytes"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t img[1024];
		size_t n = build_image(img);
		img[cases[i].offset] = cases[i].value;
		struct linux_fs fs;
		char err[256] = "";
		assert_int_equal(linux_fs_parse(&fs, img, n, 4096, err, sizeof(err)), -1);
		if (strncmp(err, cases[i].reason, strlen(cases[i].reason)) != 0)
			fail_msg("case %zu: got '%s', want '%s'", i, err, cases[i].reason);
	}
}

static void user_pointers_checked_page_by_page(void **state)
{
	static struct vm vm;
	struct linux_proc proc = {0};
	char err[256];
	vm_init(&vm);
	assert_int_equal(guest_mem_map(&vm.mem, 8ULL << 20), 0);
	proc.vm = &vm;
	assert_int_equal(linux_mm_init(&proc, err, sizeof(err)), 0);
	assert_int_equal(linux_mm_map(&proc, 0x300000, 0x2000, LINUX_PROT_READ, true), 0);
	assert_non_null(linux_user_ptr(&proc, 0x300000, 0x2000, false));
	assert_null(linux_user_ptr(&proc, 0x300000, 0x2000, true));    /* read-only */
	assert_null(linux_user_ptr(&proc, 0x300000, 0x2001, false));   /* one byte over */
	assert_null(linux_user_ptr(&proc, 0x1000, 16, false));	       /* runner page */
	assert_null(linux_user_ptr(&proc, proc.tables_gpa, 8, false)); /* page tables */
	assert_null(linux_user_ptr(&proc, UINT64_MAX - 8, 16, false)); /* wraps */
	assert_int_equal(linux_mm_map(&proc, 0x1000, 0x1000, LINUX_PROT_READ, true), -ENOMEM);
	assert_int_equal(linux_sys_munmap(&proc, 0x4000, 0x1000), -EINVAL);
	assert_int_equal(linux_sys_munmap(&proc, 0x300000, 0x1000), 0);
	assert_null(linux_user_ptr(&proc, 0x300000, 1, false));
	assert_non_null(linux_user_ptr(&proc, 0x301000, 1, false));
	guest_mem_unmap(&vm.mem);
}

/* /tmp bytes in use with nothing created: a freed node gives its share back. */
static void tmp_nodes_live_while_referenced(void **state)
{
	uint8_t img[1024];
	size_t n = build_image(img);
	struct linux_fs fs;
	char err[256];
	assert_int_equal(linux_fs_parse(&fs, img, n, 65536, err, sizeof(err)), 0);
	uint64_t empty = fs.tmp_used;
	struct linux_node *d, *f, *x;
	/* refs: a node stays alive while an open file refers to it */
	assert_int_equal(linux_fs_create(&fs, fs.tmp, "d", S_IFDIR | 0755, &d), 0);
	assert_int_equal(d->refs, 1); /* its link */
	linux_fs_get(&fs, d);	      /* an open fd */
	assert_int_equal(linux_fs_unlink(&fs, fs.tmp, "d", true), 0);
	assert_true(d->unlinked);
	assert_int_equal(d->refs, 1);
	assert_true(fs.tmp_used > empty); /* still alive */
	/* rmdir: a removed directory accepts no new entries (ENOENT) */
	assert_int_equal(linux_fs_create(&fs, d, "x", S_IFREG | 0644, &x), -ENOENT);
	assert_int_equal(linux_fs_create(&fs, d, "x", S_IFDIR | 0755, &x), -ENOENT);
	/* refs: freed when the last reference goes */
	linux_fs_put(&fs, d);
	assert_int_equal(fs.tmp_used, empty);

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
	assert_true(fs.tmp_used > empty);
	linux_fs_put(&fs, f); /* frees f, then d */
	assert_int_equal(fs.tmp_used, empty);
	/* image nodes and /tmp live as long as the tree: no count to break */
	linux_fs_put(&fs, fs.tmp);
	linux_fs_put(&fs, fs.root);
	assert_non_null(linux_fs_lookup(&fs, fs.root, "tmp", 3));
	linux_fs_free(&fs);
}

/* A process with the test image, a writable page for paths and buffers. */
struct test_proc {
	struct vm vm;
	struct linux_proc proc;
	uint64_t user;
};

static void test_proc_init(struct test_proc *t)
{
	static uint8_t img[1024];
	size_t n = build_image(img);
	char err[256];
	memset(t, 0, sizeof(*t));
	vm_init(&t->vm);
	assert_int_equal(guest_mem_map(&t->vm.mem, 8ULL << 20), 0);
	t->vm.console_fd = -1;
	t->proc.vm = &t->vm;
	t->proc.cfg.fs_fd = -1;
	assert_int_equal(linux_mm_init(&t->proc, err, sizeof(err)), 0);
	assert_int_equal(linux_fs_parse(&t->proc.fs, img, n, 65536, err, sizeof(err)), 0);
	t->user = 0x300000;
	assert_int_equal(
	    linux_mm_map(&t->proc, t->user, 0x2000, LINUX_PROT_READ | LINUX_PROT_WRITE, true), 0);
	linux_fd_init(&t->proc);
	t->proc.cwd = t->proc.fs.root;
}

/* Puts a path in program memory; returns its address. */
static uint64_t upath(struct test_proc *t, const char *path)
{
	strcpy(guest_mem_ptr(&t->vm.mem, t->user, strlen(path) + 1), path);
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
	guest_mem_unmap(&t->vm.mem);
}

static void cwd_and_fds_hold_their_directory(void **state)
{
	static struct test_proc t;
	test_proc_init(&t);
	uint64_t empty = t.proc.fs.tmp_used;
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
	assert_int_equal(t.proc.fs.tmp_used, empty);

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
	assert_true(t.proc.fs.tmp_used > empty);
	assert_int_equal(call1(&t, linux_sys_chdir, upath(&t, "/"), 0, 0), 0);
	assert_int_equal(t.proc.fs.tmp_used, empty);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(image_accepted_and_resolved),
	    cmocka_unit_test(bad_images_refused),
	    cmocka_unit_test(user_pointers_checked_page_by_page),
	    cmocka_unit_test(tmp_nodes_live_while_referenced),
	    cmocka_unit_test(cwd_and_fds_hold_their_directory),
	    cmocka_unit_test(rflags_a_program_sets_are_filtered),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
