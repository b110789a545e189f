/* libFuzzer target: the --fs walker (linux_fs_resolve over linux_hostfs.c) and the mount table it crosses (a read-only --volume at /vol) with any path, from any start, against host trees with links that climb out, a loop, a FIFO and a device node; every node reached is listed, opened and read, and a volume's node must hang below its volume's root. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "linux_fs.h"

/* An O_PATH fd of a host tree (made once in dir, a mkdtemp template). */
static int tree_fd(char *dir, bool *made)
{
	if (!*made) {
		if (!mkdtemp(dir))
			abort();
		static const char *const links[][2] = {
		    {"up", "../../../../.."}, {"abs", "/etc"},	  {"a/b/self", "."},
		    {"a/loop", "loop"},	      {"a/back", "../a"}, {"a/f-link", "f"},
		};
		char p[256];
		snprintf(p, sizeof(p), "%s/a", dir);
		mkdir(p, 0755);
		snprintf(p, sizeof(p), "%s/a/b", dir);
		mkdir(p, 0755);
		snprintf(p, sizeof(p), "%s/a/f", dir);
		FILE *f = fopen(p, "w");
		if (!f)
			abort();
		fputs("contents\n", f);
		fclose(f);
		for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
			snprintf(p, sizeof(p), "%s/%s", dir, links[i][0]);
			symlink(links[i][1], p);
		}
		snprintf(p, sizeof(p), "%s/a/fifo", dir);
		mkfifo(p, 0600);
		snprintf(p, sizeof(p), "%s/a/null", dir);
		mknod(p, S_IFCHR | 0666, makedev(1, 3));
		*made = true;
	}
	int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		abort();
	return fd;
}

/* Lists, opens and reads what a path reached: a FIFO must never be opened
 * (the open would block a blocking reader; here it is refused outright). */
static void touch(struct linux_fs *fs, struct linux_node *n)
{
	if (n->vol) {
		/* inside a volume: parents lead to its root, whose parent is the tree's */
		const struct linux_volume *v = &fs->volumes[n->vol - 1];
		unsigned depth = 0;
		for (const struct linux_node *c = n; c != v->dir; c = c->parent)
			if (!c->vol || c->parent == c || ++depth > 4096)
				abort();
		if (v->dir->parent != v->parent || v->parent->vol)
			abort();
	}
	const char *name;
	size_t len;
	struct linux_node *child;
	for (uint64_t k = 0, pos = 0; k < 16 && linux_fs_dirent(fs, n, &pos, &name, &len, &child);
	     k++)
		if (len == 0 || memchr(name, '/', len))
			abort(); /* an entry name with a slash would walk two levels */
	if (!n->host)
		return;
	int fd = linux_hostfs_open(fs, n);
	if (fd >= 0) {
		if (!S_ISREG(n->mode) && !S_ISDIR(n->mode))
			abort();
		char buf[64];
		linux_fs_pread(n, fd, buf, sizeof(buf), 0);
		close(fd);
	} else if (S_ISREG(n->mode) || S_ISDIR(n->mode)) {
		abort(); /* a file or directory of the tree opens: it does not change */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct linux_fs fs;
	char err[256];
	static char tree[] = "/tmp/fuzz-hostfs.XXXXXX", vol[] = "/tmp/fuzz-volume.XXXXXX";
	static bool tree_made, vol_made;
	if (linux_fs_init(&fs, tree_fd(tree, &tree_made), 1 << 16, 1 << 16, err, sizeof(err)) < 0 ||
	    linux_fs_mount_volume(&fs, "/vol", tree_fd(vol, &vol_made), true, err, sizeof(err)) < 0)
		abort();
	/* Input: NUL-separated paths, each resolved from where the last one ended. */
	struct linux_node *cwd = fs.root;
	size_t pos = 0;
	while (pos < size) {
		char path[4200];
		size_t len = strnlen((const char *)data + pos, size - pos);
		if (len >= sizeof(path))
			len = sizeof(path) - 1;
		memcpy(path, data + pos, len);
		path[len] = '\0';
		pos += len + 1;
		unsigned flags = len && (path[0] & 1) ? LINUX_RESOLVE_FOLLOW : 0;
		struct linux_node *n, *parent;
		char last[256];
		if (linux_fs_resolve(&fs, cwd, path, flags, &n, &parent, last, sizeof(last)) == 0) {
			touch(&fs, n);
			if (S_ISDIR(n->mode) && !n->writable)
				cwd = n;
		}
	}
	linux_fs_free(&fs);
	return 0;
}
