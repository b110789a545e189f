/* Unit tests for --linux: the fs image parser's refusals (golden reasons), path resolution inside the tree, and the checked program-pointer path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(image_accepted_and_resolved),
	    cmocka_unit_test(bad_images_refused),
	    cmocka_unit_test(user_pointers_checked_page_by_page),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
