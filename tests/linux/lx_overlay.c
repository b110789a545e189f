/* --linux test program: writes, appends, truncates, renames and deletes all over a read-only --fs tree through the upper layer (the tree linux_fs.sh builds); "fill FILE" and "many DIR" run a memory file system out of space, "df DIR" shows its size and use. Prints "ok ..." or "FAILED ..." per check. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "lx_file.h"

#ifndef ST_RDONLY
#define ST_RDONLY 1
#endif

static int failed;

static void check(const char *what, int ok)
{
	printf("%s %s\n", ok ? "ok" : "FAILED", what);
	failed |= !ok;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Whether a directory lists exactly `want` besides . and .. (sorted, each followed by a space). */
static int lists(const char *dir, const char *want)
{
	char got[512] = "", *names[16];
	size_t count = 0;
	struct dirent **all;
	int n = scandir(dir, &all, NULL, NULL);
	if (n < 0)
		return 0;
	for (int i = 0; i < n; i++)
		if (strcmp(all[i]->d_name, ".") != 0 && strcmp(all[i]->d_name, "..") != 0 && count < 16)
			names[count++] = all[i]->d_name;
	qsort(names, count, sizeof(names[0]), by_name);
	for (size_t i = 0; i < count && strlen(got) + strlen(names[i]) + 2 < sizeof(got); i++) {
		strcat(got, names[i]);
		strcat(got, " ");
	}
	for (int i = 0; i < n; i++)
		free(all[i]);
	free(all);
	if (strcmp(got, want) != 0)
		printf("  %s lists '%s', want '%s'\n", dir, got, want);
	return strcmp(got, want) == 0;
}

static int gone(const char *path)
{
	struct stat st;
	return stat(path, &st) < 0 && errno == ENOENT;
}

static void writes(void)
{
	struct stat st;
	check("append to a lower file",
	      put("/etc/f", O_WRONLY | O_APPEND, "more\n") == 0 && file_is("/etc/f", "hello\nmore\n"));
	check("stat of a copied-up file shows the upper's size",
	      stat("/etc/f", &st) == 0 && st.st_size == 11);
	check("rewrite a lower file with O_TRUNC",
	      put("/data/a.txt", O_WRONLY | O_TRUNC, "new") == 0 && file_is("/data/a.txt", "new"));
	check("truncate a lower file", truncate("/data/b.txt", 2) == 0 && file_is("/data/b.txt", "bb"));
	check("create in a lower directory", put("/data/c.txt", O_WRONLY | O_CREAT | O_EXCL, "c") == 0 &&
						 file_is("/data/c.txt", "c"));
	check("mkdir and create at the root",
	      mkdir("/newdir", 0755) == 0 && put("/newdir/x", O_WRONLY | O_CREAT, "x") == 0);
	check("chmod a lower file", chmod("/data/k", 0600) == 0 && stat("/data/k", &st) == 0 &&
					(st.st_mode & 07777) == 0600);
	check("rename a lower file", rename("/data/k", "/data/k2") == 0 && gone("/data/k") &&
					 file_is("/data/k2", "keep\n"));
	check("unlink a lower file", unlink("/etc/g") == 0 && gone("/etc/g"));
	check("ls after rm of a lower file no longer shows it", lists("/etc", "f passwd "));
	check("a merged lower directory is renamed with its entries, and back",
	      rename("/data/sub", "/data/moved") == 0 && gone("/data/sub/y") &&
		  file_is("/data/moved/y", "y\n") && rename("/data/moved", "/data/sub") == 0 &&
		  gone("/data/moved") && file_is("/data/sub/y", "y\n"));
	check("rm -r of a lower directory", unlink("/data/sub/y") == 0 && rmdir("/data/sub") == 0 &&
						gone("/data/sub/y"));
	check("the re-created directory is empty (opaque)",
	      mkdir("/data/sub", 0755) == 0 && lists("/data/sub", "") && gone("/data/sub/y"));
	check("rmdir of a non-empty lower directory: ENOTEMPTY",
	      rmdir("/deep") < 0 && errno == ENOTEMPTY);
	struct statfs sf;
	check("statfs of /: writable, sized by the upper layer",
	      statfs("/", &sf) == 0 && !(sf.f_flags & ST_RDONLY) && sf.f_blocks > 0 &&
		  sf.f_bfree < sf.f_blocks);
}

/* Paths through upper-layer entries stay in the tree. */
static void hostile(void)
{
	check("symlink in the upper pointing out resolves inside",
	      symlink("../../../../../etc/passwd", "/up") == 0 && file_is("/up", "tree passwd\n"));
	check(".. through an upper directory stops at the root",
	      file_is("/newdir/../../../../etc/passwd", "tree passwd\n"));
	check("a symlink in the upper named like a lower directory",
	      unlink("/deep/inner/z") == 0 && rmdir("/deep/inner") == 0 &&
		  symlink("/etc", "/deep/inner") == 0 && file_is("/deep/inner/passwd", "tree passwd\n") &&
		  gone("/deep/inner/z"));
	check("a whiteout-like name is a plain file: .wh.passwd hides nothing",
	      put("/etc/.wh.passwd", O_WRONLY | O_CREAT, "w") == 0 && file_is("/etc/passwd", "tree passwd\n"));
	check("mknod (a char 0:0 whiteout on overlayfs) is not a way to hide a file",
	      mknod("/etc/passwd2", S_IFCHR, 0) < 0 && file_is("/etc/passwd", "tree passwd\n"));
}

/* readdir while unlinking what it read (rm -r): every entry is seen once. */
static void listing_stable(void)
{
	char path[300];
	int made = 0, removed = 0;
	mkdir("/many", 0755);
	for (int i = 0; i < 1500; i++) {
		snprintf(path, sizeof(path), "/many/a-rather-long-file-name-to-fill-buffers-%04d", i);
		made += put(path, O_WRONLY | O_CREAT, "") == 0;
	}
	DIR *d = opendir("/many");
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/many/%s", e->d_name);
		removed += unlink(path) == 0;
	}
	if (d)
		closedir(d);
	printf("  made %d, removed %d\n", made, removed);
	check("getdents stays stable while entries go: rm -r empties a big directory",
	      made == 1500 && removed == 1500 && rmdir("/many") == 0);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "fill") == 0) {
		static char block[65536];
		memset(block, 'f', sizeof(block));
		int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
		long total = 0;
		ssize_t n = 0;
		while (fd >= 0 && (n = write(fd, block, sizeof(block))) > 0)
			total += n;
		printf("fill: %s after %ld bytes\n", strerror(fd < 0 || n < 0 ? errno : 0), total);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "df") == 0) {
		/* a file system's size and use, before and after 100,000 bytes are written in it */
		struct statfs before, after;
		char path[300];
		static char block[100000];
		snprintf(path, sizeof(path), "%s/df-file", argv[2]);
		if (statfs(argv[2], &before) < 0 || put(path, O_WRONLY | O_CREAT, "") < 0)
			return 1;
		int fd = open(path, O_WRONLY);
		if (fd < 0 || write(fd, block, sizeof(block)) != (ssize_t)sizeof(block) ||
		    statfs(argv[2], &after) < 0)
			return 1;
		printf("df: %llu bytes, %s, %s\n", (unsigned long long)after.f_blocks * after.f_bsize,
		       after.f_bfree + 24 <= before.f_bfree ? "use grew" : "use did not grow",
		       after.f_type == 0x01021994 ? "tmpfs" : "not tmpfs");
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "many") == 0) {
		char path[300];
		int i;
		for (i = 0; i < 100000; i++) {
			snprintf(path, sizeof(path), "%s/f%d", argv[2], i);
			int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
			if (fd < 0)
				break;
			close(fd);
		}
		printf("many: %s after %d files\n", i < 100000 ? strerror(errno) : "no error", i);
		return 0;
	}
	writes();
	hostile();
	listing_stable();
	printf("%s\n", failed ? "some checks failed" : "all checks passed");
	return failed;
}
