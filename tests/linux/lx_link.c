/* --linux test program: hard links (link, linkat with AT_SYMLINK_FOLLOW and AT_EMPTY_PATH, st_nlink, unlink of one name) and rename of directories of the read-only lower tree, over the tree linux_upper.sh builds at argv[1] ("/" in the VM), /tmp-like argv[2], a volume argv[3] ("-": none). Prints "ok ..." or "FAILED ..." per check; passes natively too. "job": the changes linux_upper.sh reads back from --fs-upper DIR; "wait FILE": waits for FILE, then writes /waited; "hold DIR": writes /held, then DIR/ready, then sleeps until the VM is ended. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lx_file.h"

static int failed;
static const char *root;
static char paths[8][512];
static unsigned slot;

static void check(const char *what, int ok);
static int put(const char *path, int flags, const char *text);

static void check(const char *what, int ok)
{
	printf("%s %s\n", ok ? "ok" : "FAILED", what);
	if (!ok)
		printf("  (errno %d %s)\n", errno, strerror(errno));
	failed |= !ok;
}

/* root + rel, in one of a few rotating buffers (several per call are fine). */
static const char *at(const char *rel)
{
	char *p = paths[slot++ % 8];
	snprintf(p, sizeof(paths[0]), "%s%s", strcmp(root, "/") == 0 ? "" : root, rel);
	return p;
}

static int gone(const char *path)
{
	struct stat st;
	return lstat(path, &st) < 0 && errno == ENOENT;
}

static int nlink_is(const char *path, nlink_t want)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return 0;
	if (st.st_nlink != want)
		printf("  %s: st_nlink %lu, want %lu\n", path, (unsigned long)st.st_nlink,
		       (unsigned long)want);
	return st.st_nlink == want;
}

static int same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	return lstat(a, &sa) == 0 && lstat(b, &sb) == 0 && sa.st_ino == sb.st_ino &&
	       sa.st_dev == sb.st_dev;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Whether a directory lists exactly `want` besides . and .. (sorted, each followed by a space). */
static int lists(const char *dir, const char *want)
{
	char got[512] = "", *names[32];
	size_t count = 0;
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 && count < 32)
			names[count++] = strdup(e->d_name);
	if (d)
		closedir(d);
	qsort(names, count, sizeof(names[0]), by_name);
	for (size_t i = 0; i < count; i++) {
		if (strlen(got) + strlen(names[i]) + 2 < sizeof(got)) {
			strcat(got, names[i]);
			strcat(got, " ");
		}
		free(names[i]);
	}
	if (strcmp(got, want) != 0)
		printf("  %s lists '%s', want '%s'\n", dir, got, want);
	return d && strcmp(got, want) == 0;
}

/* Whether a directory's listing shows `name`. */
static int listed(const char *dir, const char *name)
{
	int found = 0;
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d)))
		found |= strcmp(e->d_name, name) == 0;
	if (d)
		closedir(d);
	return found;
}

static void links(const char *tmp, const char *volume)
{
	char t1[300], t2[300], t3[300];
	check("link: a new file gets a second name",
	      put(at("/data/new"), O_WRONLY | O_CREAT | O_EXCL, "one") == 0 &&
		  link(at("/data/new"), at("/data/new2")) == 0 && same_file(at("/data/new"), at("/data/new2")));
	check("link: st_nlink is 2 on both names", nlink_is(at("/data/new"), 2) && nlink_is(at("/data/new2"), 2));
	check("link: a write through one name is read through the other",
	      put(at("/data/new2"), O_WRONLY | O_APPEND, "+two") == 0 && file_is(at("/data/new"), "one+two"));
	check("link: a lower file is copied up and linked",
	      link(at("/etc/f"), at("/etc/f2")) == 0 && file_is(at("/etc/f2"), "hello\n") &&
		  same_file(at("/etc/f"), at("/etc/f2")) && nlink_is(at("/etc/f"), 2));
	check("link: unlink of the first name keeps the second",
	      unlink(at("/etc/f")) == 0 && gone(at("/etc/f")) && file_is(at("/etc/f2"), "hello\n") &&
		  nlink_is(at("/etc/f2"), 1));
	check("link: the lower name stays deleted in the listing", lists(at("/etc"), "f2 g "));
	check("link: unlink of the second name keeps the first",
	      unlink(at("/data/new2")) == 0 && gone(at("/data/new2")) &&
		  file_is(at("/data/new"), "one+two") && nlink_is(at("/data/new"), 1));
	check("link: to an existing name gives EEXIST",
	      link(at("/data/new"), at("/data/a")) < 0 && errno == EEXIST);
	check("link: of a directory gives EPERM", link(at("/data/sub"), at("/data/subl")) < 0 && errno == EPERM);
	check("link: of a missing file gives ENOENT",
	      link(at("/data/none"), at("/data/none2")) < 0 && errno == ENOENT);
	check("link: into another directory, then rename that name away",
	      link(at("/data/new"), at("/linkdir/n")) == 0 &&
		  rename(at("/linkdir/n"), at("/data/renamed")) == 0 &&
		  same_file(at("/data/new"), at("/data/renamed")) && nlink_is(at("/data/new"), 2));
	check("rename: one name of a file over another of it does nothing (both stay)",
	      rename(at("/data/new"), at("/data/renamed")) == 0 && same_file(at("/data/new"), at("/data/renamed")));
	check("rename: a file over a name of a linked file keeps its other name",
	      put(at("/data/over"), O_WRONLY | O_CREAT, "over") == 0 &&
		  rename(at("/data/over"), at("/data/renamed")) == 0 && file_is(at("/data/renamed"), "over") &&
		  file_is(at("/data/new"), "one+two") && nlink_is(at("/data/new"), 1));
	check("link: the first name removed while open: the fd still reads, the other name too",
	      link(at("/data/new"), at("/data/keep")) == 0 && unlink(at("/data/new")) == 0 &&
		  file_is(at("/data/keep"), "one+two") && nlink_is(at("/data/keep"), 1));
	/* symlinks: linked as themselves, or their targets with AT_SYMLINK_FOLLOW */
	struct stat st;
	check("linkat: a symlink itself without AT_SYMLINK_FOLLOW",
	      symlink("a", at("/data/sl")) == 0 &&
		  linkat(AT_FDCWD, at("/data/sl"), AT_FDCWD, at("/data/sl2"), 0) == 0 &&
		  lstat(at("/data/sl2"), &st) == 0 && S_ISLNK(st.st_mode) && file_is(at("/data/sl2"), "aaa\n"));
	check("linkat: AT_SYMLINK_FOLLOW links the target",
	      linkat(AT_FDCWD, at("/data/sl"), AT_FDCWD, at("/data/af"), AT_SYMLINK_FOLLOW) == 0 &&
		  lstat(at("/data/af"), &st) == 0 && S_ISREG(st.st_mode) &&
		  same_file(at("/data/a"), at("/data/af")));
	int fd = open(at("/data/a"), O_RDONLY);
	int rc = linkat(fd, "", AT_FDCWD, at("/data/ae"), AT_EMPTY_PATH);
	if (rc < 0 && errno == ENOENT && geteuid() != 0) {
		/* natively without CAP_DAC_READ_SEARCH Linux answers ENOENT: the VM is root */
		rc = linkat(AT_FDCWD, at("/data/a"), AT_FDCWD, at("/data/ae"), 0);
	}
	check("linkat: AT_EMPTY_PATH links the fd's file", rc == 0 && same_file(at("/data/a"), at("/data/ae")) &&
							       nlink_is(at("/data/a"), 3));
	if (fd >= 0)
		close(fd);
	check("linkat: unknown flags give EINVAL",
	      linkat(AT_FDCWD, at("/data/a"), AT_FDCWD, at("/data/ax"), 0x8) < 0 && errno == EINVAL);
	/* across file systems */
	snprintf(t1, sizeof(t1), "%s/tmpfile", tmp);
	snprintf(t2, sizeof(t2), "%s/tmplink", tmp);
	check("link: within /tmp", put(t1, O_WRONLY | O_CREAT, "t") == 0 && link(t1, t2) == 0 &&
					   nlink_is(t1, 2) && unlink(t1) == 0 && file_is(t2, "t"));
	if (strcmp(tmp, "/tmp") == 0)
		check("link: from /tmp into the tree gives EXDEV", link(t2, at("/data/x")) < 0 && errno == EXDEV);
	if (strcmp(volume, "-") != 0) {
		snprintf(t3, sizeof(t3), "%s/volfile", volume);
		check("link: from the tree into a volume gives EXDEV",
		      link(at("/data/a"), t3) < 0 && errno == EXDEV && gone(t3));
		check("link: from a volume into the tree gives EXDEV",
		      put(t3, O_WRONLY | O_CREAT, "v") == 0 && link(t3, at("/data/v")) < 0 && errno == EXDEV);
	}
}

static void rename_dirs(void)
{
	check("rename: a lower directory with children",
	      rename(at("/ldir"), at("/ldir2")) == 0 && gone(at("/ldir")) && lists(at("/ldir2"), "sub x ") &&
		  file_is(at("/ldir2/x"), "x\n") && file_is(at("/ldir2/sub/y"), "y\n"));
	check("rename: the new name is listed, the old one is not",
	      listed(at("/"), "ldir2") && !listed(at("/"), "ldir"));
	check("rename: the moved tree is writable", put(at("/ldir2/sub/y"), O_WRONLY | O_APPEND, "more") == 0 &&
							 file_is(at("/ldir2/sub/y"), "y\nmore"));
	check("rename: a directory made at the old name is empty (opaque)",
	      mkdir(at("/ldir"), 0755) == 0 && lists(at("/ldir"), "") && gone(at("/ldir/x")));
	check("rename: a lower directory into another directory",
	      mkdir(at("/moved"), 0755) == 0 && rename(at("/data/sub"), at("/moved/sub")) == 0 &&
		  gone(at("/data/sub")) && file_is(at("/moved/sub/y"), "y\n"));
	check("rename: a lower directory over an empty one",
	      mkdir(at("/empty"), 0755) == 0 && rename(at("/deep"), at("/empty")) == 0 && gone(at("/deep")) &&
		  file_is(at("/empty/inner/z"), "z\n") && lists(at("/empty"), "inner other "));
	check("rename: a lower directory over a non-empty one gives ENOTEMPTY",
	      rename(at("/ldir2"), at("/empty")) < 0 && (errno == ENOTEMPTY || errno == EEXIST));
	check("rename: a lower directory into itself gives EINVAL",
	      rename(at("/ldir2"), at("/ldir2/sub/in")) < 0 && errno == EINVAL);
	check("rename: a renamed lower directory renamed again",
	      rename(at("/empty/inner"), at("/inner2")) == 0 && file_is(at("/inner2/z"), "z\n") &&
		  lists(at("/empty"), "other "));
	check("rename: deletions inside the moved tree stay deleted",
	      unlink(at("/ldir2/x")) == 0 && lists(at("/ldir2"), "sub ") && gone(at("/ldir2/x")));
}

/* "job": what linux_upper.sh reads back from --fs-upper DIR (modes set
 * explicitly: the layer keeps them, whatever the umask). */
static int job(void)
{
	int bad = 0;
	bad |= put("/etc/new", O_WRONLY | O_CREAT | O_EXCL, "new\n") | chmod("/etc/new", 0640);
	bad |= put("/etc/f", O_WRONLY | O_APPEND, "more\n");
	bad |= unlink("/etc/g");
	bad |= unlink("/data/sub/y") | rmdir("/data/sub") | mkdir("/data/sub", 0755) |
	       chmod("/data/sub", 0755);
	bad |= put("/data/sub/n", O_WRONLY | O_CREAT | O_EXCL, "n\n") | chmod("/data/sub/n", 0644);
	bad |= rename("/ldir", "/ldir2");
	bad |= mkdir("/a", 0750) | chmod("/a", 0750) | symlink("../etc/f", "/a/l");
	bad |= put("/a/x", O_WRONLY | O_CREAT | O_EXCL, "x\n") | chown("/a/x", 1234, 5678) |
	       chmod("/a/x", 04755);
	bad |= link("/etc/new", "/a/hard");
	bad |= put("/etc/.wh.fake", O_WRONLY | O_CREAT | O_EXCL, "");
	/* Times the layer keeps: a file's, and a directory's once its entries are made. */
	const struct timespec file_time[2] = {{.tv_sec = 1000000000}, {.tv_sec = 1000000000}};
	const struct timespec dir_time[2] = {{.tv_sec = 1100000000}, {.tv_sec = 1100000000}};
	bad |= utimensat(AT_FDCWD, "/a/x", file_time, 0) | utimensat(AT_FDCWD, "/a", dir_time, 0);
	printf("job %s\n", bad ? "FAILED" : "done");
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "job") == 0)
		return job();
	if (argc == 3 && strcmp(argv[1], "wait") == 0) { /* until the test makes argv[2] */
		for (int i = 0; i < 6000 && access(argv[2], F_OK) != 0; i++)
			usleep(10000);
		return put("/waited", O_WRONLY | O_CREAT, "w") < 0;
	}
	if (argc == 3 && strcmp(argv[1], "hold") == 0) { /* a change, then runs until ended */
		char ready[4096];
		snprintf(ready, sizeof(ready), "%s/ready", argv[2]);
		if (put("/held", O_WRONLY | O_CREAT, "h") < 0 || put(ready, O_WRONLY | O_CREAT, "") < 0)
			return 1;
		for (;;)
			sleep(1000);
	}
	if (argc != 4) {
		fprintf(stderr, "usage: lx_link ROOT TMPDIR VOLUME|-\n");
		return 2;
	}
	root = argv[1];
	links(argv[2], argv[3]);
	rename_dirs();
	printf("%s\n", failed ? "some checks failed" : "all checks passed");
	return failed;
}
