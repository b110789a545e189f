/* libFuzzer target: sequences of file calls (create, mkdir, write, truncate, unlink, rmdir, rename with its flags, symlink, hard link, listing) over the root's copy-on-write upper layer above a host tree; after each call the layer stays within its size, no listing shows a whiteout or a name it cannot look up, and the host tree never changes. */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux_fs.h"

static char tree_dir[] = "/tmp/fuzz-overlay.XXXXXX";

static void put_file(const char *rel, const char *text)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", tree_dir, rel);
	FILE *f = fopen(p, "w");
	if (!f)
		abort();
	fputs(text, f);
	fclose(f);
}

/* The host tree: a, a/f, a/g, a/sub/h, b, l -> a. */
static int tree_fd(void)
{
	static bool made;
	if (!made) {
		char p[256];
		if (!mkdtemp(tree_dir))
			abort();
		snprintf(p, sizeof(p), "%s/a", tree_dir);
		mkdir(p, 0755);
		snprintf(p, sizeof(p), "%s/a/sub", tree_dir);
		mkdir(p, 0755);
		snprintf(p, sizeof(p), "%s/b", tree_dir);
		mkdir(p, 0755);
		put_file("a/f", "lower f\n");
		put_file("a/g", "lower g\n");
		put_file("a/sub/h", "lower h\n");
		snprintf(p, sizeof(p), "%s/l", tree_dir);
		symlink("a", p);
		made = true;
	}
	int fd = open(tree_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		abort();
	return fd;
}

/* The host tree's sizes and modes, to see it never changes. */
static uint64_t tree_sum(void)
{
	static const char *const files[] = {"a", "a/f", "a/g", "a/sub", "a/sub/h", "b"};
	uint64_t sum = 0;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char p[256];
		struct stat st;
		snprintf(p, sizeof(p), "%s/%s", tree_dir, files[i]);
		if (stat(p, &st) < 0)
			abort();
		sum =
		    sum * 31 + (uint64_t)st.st_size * 7 + st.st_mode + (uint64_t)st.st_mtim.tv_nsec;
	}
	return sum;
}

static const char *const dirs[] = {"/", "/a", "/a/sub", "/b", "/c", "/l", "/tmp"};
static const char *const names[] = {"f", "g", "h", "sub", "c", "x", ".wh.f", "a"};

/* Every entry a listing shows is a live name of that directory. */
static void check_listing(struct linux_fs *fs, struct linux_node *dir)
{
	const char *name;
	size_t len;
	struct linux_node *child;
	uint64_t pos = 0, last = 0;
	for (unsigned k = 0; k < 64 && linux_fs_dirent(fs, dir, &pos, &name, &len, &child); k++) {
		if (child->whiteout || len == 0 || memchr(name, '/', len) || pos <= last)
			abort();
		last = pos;
		if (k >= 2 && !(dir == fs->root && k < 4) &&
		    linux_fs_lookup(fs, dir, name, len) != child)
			abort(); /* listed under a name that finds another node */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct linux_fs fs;
	char err[256];
	int root_fd = tree_fd(); /* made on the first call: before its sum */
	uint64_t before = tree_sum();
	if (linux_fs_init(&fs, root_fd, 1 << 15, 1 << 14, err, sizeof(err)) < 0)
		abort();
	/* Each call: 4 bytes (op, directory, name, argument). */
	for (size_t i = 0; i + 4 <= size; i += 4) {
		unsigned op = data[i] % 11, arg = data[i + 3];
		struct linux_node *dir, *n, *dir2;
		const char *name = names[data[i + 2] % 8];
		if (linux_fs_resolve(&fs, fs.root, dirs[data[i + 1] % 7], LINUX_RESOLVE_FOLLOW,
				     &dir, NULL, NULL, 0) < 0 ||
		    !S_ISDIR(dir->mode))
			continue;
		n = linux_fs_lookup(&fs, dir, name, strlen(name));
		switch (op) {
		case 0: linux_fs_create(&fs, dir, name, S_IFREG | 0644, &n); break;
		case 1: linux_fs_create(&fs, dir, name, S_IFDIR | 0755, &n); break;
		case 2: linux_fs_unlink(&fs, dir, name, false); break;
		case 3: linux_fs_unlink(&fs, dir, name, true); break;
		case 4:
			if (n && S_ISREG(n->mode) && linux_fs_copy_up(&fs, n) == 0) {
				char buf[300];
				memset(buf, 'w', sizeof(buf));
				linux_fs_write(&fs, n, arg * 64ULL, buf, sizeof(buf));
			}
			break;
		case 5:
			if (n && S_ISREG(n->mode))
				linux_fs_truncate(&fs, n, arg * 128ULL);
			break;
		case 6:
		case 7:
			if (linux_fs_resolve(&fs, fs.root, dirs[arg % 7], LINUX_RESOLVE_FOLLOW,
					     &dir2, NULL, NULL, 0) == 0 &&
			    S_ISDIR(dir2->mode))
				linux_fs_rename(&fs, dir, name, dir2, names[(arg >> 3) % 8],
						op == 7 ? (arg >> 6) % 3 : 0);
			break;
		case 8: linux_fs_symlink(&fs, dir, name, arg & 1 ? "../../.." : "/a"); break;
		case 9: /* a second name, maybe in another directory (EXDEV to /tmp) */
			if (n &&
			    linux_fs_resolve(&fs, fs.root, dirs[arg % 7], LINUX_RESOLVE_FOLLOW,
					     &dir2, NULL, NULL, 0) == 0 &&
			    S_ISDIR(dir2->mode))
				linux_fs_link(&fs, n, dir2, names[(arg >> 3) % 8]);
			break;
		default: check_listing(&fs, dir); break;
		}
		if (fs.upper_pool.used > fs.upper_pool.limit ||
		    fs.tmp_pool.used > fs.tmp_pool.limit)
			abort();
	}
	check_listing(&fs, fs.root);
	linux_fs_free(&fs);
	if (tree_sum() != before)
		abort(); /* the host tree was written */
	return 0;
}
