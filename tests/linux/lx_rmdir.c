/* --linux test program: removed directories (a removed cwd, a removed directory still open) behave as on Linux and leave nothing dangling. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Usage: lx_rmdir removed-cwd|removed-dirfd [BASE]   (BASE: a writable directory, default /tmp;
 * the same binary run natively checks that what it expects is what Linux does) */

static int failures;
static char base[512];

/* One named behaviour: rc < 0 with errno `want`, or rc >= 0 when want is 0. */
static void check(const char *behaviour, long rc, int want)
{
	int got = rc < 0 ? errno : 0;
	if ((rc >= 0 && want == 0) || (rc < 0 && got == want)) {
		printf("ok %s\n", behaviour);
	} else {
		printf("FAILED %s: rc=%ld errno=%d (%s), want %s\n", behaviour, rc, got,
		       rc < 0 ? strerror(got) : "success", want ? strerror(want) : "success");
		failures++;
	}
}

static void check_str(const char *behaviour, const char *got, const char *want)
{
	if (strcmp(got, want) == 0) {
		printf("ok %s\n", behaviour);
	} else {
		printf("FAILED %s: got '%s', want '%s'\n", behaviour, got, want);
		failures++;
	}
}

static long raw_getcwd(char *buf, size_t size)
{
	return syscall(SYS_getcwd, buf, size);
}

static char *in_base(const char *name)
{
	static char path[4][1024];
	static int slot;
	char *p = path[slot++ % 4];
	snprintf(p, sizeof(path[0]), "%s/%s", base, name);
	return p;
}

/* Files with names of every length next to the removed directory: if its
 * node was freed, one of these names re-fills the chunk with our bytes. */
static void refill_freed_memory(void)
{
	char name[256];
	for (int len = 8; len <= 250; len += 2) {
		memset(name, 'A', (size_t)len);
		name[len] = '\0';
		char *path = in_base(name);
		int fd = open(path, O_CREAT | O_WRONLY, 0644);
		if (fd >= 0)
			close(fd);
	}
}

static void remove_refill_files(void)
{
	char name[256];
	for (int len = 8; len <= 250; len += 2) {
		memset(name, 'A', (size_t)len);
		name[len] = '\0';
		unlink(in_base(name));
	}
}

/* mkdir d; chdir d; rmdir ../d; then whatever is done relative to the
 * removed cwd must behave as Linux does, and the VMM must not crash. */
static void removed_cwd(void)
{
	char buf[4096];
	check("setup: mkdir BASE/d", mkdir(in_base("d"), 0755), 0);
	check("setup: chdir BASE/d", chdir(in_base("d")), 0);
	check("rmdir: the cwd can be removed through ../d", rmdir("../d"), 0);
	refill_freed_memory();
	check("getcwd: a removed cwd gives ENOENT", raw_getcwd(buf, sizeof(buf)), ENOENT);
	check("openat(O_CREAT): a removed cwd accepts no new files (ENOENT)",
	      openat(AT_FDCWD, "new-file", O_CREAT | O_WRONLY, 0644), ENOENT);
	check("mkdir: a removed cwd accepts no new directories (ENOENT)", mkdir("new-dir", 0755),
	      ENOENT);
	check("open: a name in a removed cwd is not found (ENOENT)", open("x", O_RDONLY), ENOENT);
	int dot = open(".", O_RDONLY | O_DIRECTORY);
	check("open: \".\" of a removed cwd still opens it", dot, 0);
	if (dot >= 0) {
		check("getdents64: a removed directory lists nothing (ENOENT)",
		      syscall(SYS_getdents64, dot, buf, sizeof(buf)), ENOENT);
		close(dot);
	}
	check("rmdir: \".\" is refused with EINVAL", rmdir("."), EINVAL);
	check("mkdir: a new BASE/d is a different directory", mkdir(in_base("d"), 0755), 0);
	check("openat(O_CREAT): still ENOENT in the removed cwd after BASE/d is re-made",
	      openat(AT_FDCWD, "f", O_CREAT | O_WRONLY, 0644), ENOENT);
	check("chdir: \"..\" of a removed cwd is its old parent", chdir(".."), 0);
	long n = raw_getcwd(buf, sizeof(buf));
	check("getcwd: works again after leaving the removed cwd", n, 0);
	check_str("getcwd: back in BASE", n > 0 ? buf : "", base);
	check("rmdir: the re-made BASE/d", rmdir(in_base("d")), 0);
	remove_refill_files();
}

/* A directory removed while open: nothing new may be made inside it, and
 * when its last fd closes nothing is left pointing at it. */
static void removed_dirfd(void)
{
	char buf[4096];
	check("setup: mkdir BASE/e", mkdir(in_base("e"), 0755), 0);
	int fd = open(in_base("e"), O_RDONLY | O_DIRECTORY);
	check("setup: open BASE/e", fd, 0);
	check("rmdir: a directory can be removed while open", rmdir(in_base("e")), 0);
	check("mkdirat: a removed directory accepts no new directories (ENOENT)",
	      mkdirat(fd, "sub", 0755), ENOENT);
	check("openat(O_CREAT): a removed directory accepts no new files (ENOENT)",
	      openat(fd, "f", O_CREAT | O_WRONLY, 0644), ENOENT);
	check("openat: a name in a removed directory is not found (ENOENT)",
	      openat(fd, "sub", O_RDONLY), ENOENT);
	check("fchdir: into a removed directory works", fchdir(fd), 0);
	check("close: the removed directory's fd (the cwd still holds it)", close(fd), 0);
	refill_freed_memory();
	check("getcwd: a removed cwd gives ENOENT", raw_getcwd(buf, sizeof(buf)), ENOENT);
	check("mkdir: a removed cwd accepts no new directories (ENOENT)", mkdir("sub2", 0755),
	      ENOENT);
	check("chdir: \"..\" of a removed cwd is its old parent", chdir(".."), 0);
	long n = raw_getcwd(buf, sizeof(buf));
	check_str("getcwd: back in BASE", n > 0 ? buf : "", base);
	/* The same with the fd as the last reference: a new directory of the
	 * same name must not be confused with the removed one. */
	check("setup: mkdir BASE/e again", mkdir(in_base("e"), 0755), 0);
	fd = open(in_base("e"), O_RDONLY | O_DIRECTORY);
	check("rmdir: BASE/e while open", rmdir(in_base("e")), 0);
	check("mkdir: BASE/e made anew while the old one is open", mkdir(in_base("e"), 0755), 0);
	check("mkdirat: the removed BASE/e still refuses entries (ENOENT)", mkdirat(fd, "x", 0755),
	      ENOENT);
	check("close: the last fd of the removed directory", close(fd), 0);
	refill_freed_memory();
	check("mkdir: the new BASE/e takes entries", mkdir(in_base("e/x"), 0755), 0);
	check("chdir: into BASE/e/x", chdir(in_base("e/x")), 0);
	n = raw_getcwd(buf, sizeof(buf));
	check_str("getcwd: names the new directory", n > 0 ? buf : "", in_base("e/x"));
	check("chdir: back to BASE", chdir(base), 0);
	check("rmdir: BASE/e/x", rmdir(in_base("e/x")), 0);
	check("rmdir: BASE/e", rmdir(in_base("e")), 0);
	remove_refill_files();
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc < 2) {
		fprintf(stderr, "usage: lx_rmdir removed-cwd|removed-dirfd [BASE]\n");
		return 2;
	}
	snprintf(base, sizeof(base), "%s", argc > 2 ? argv[2] : "/tmp");
	if (strcmp(argv[1], "removed-cwd") == 0) {
		removed_cwd();
	} else if (strcmp(argv[1], "removed-dirfd") == 0) {
		removed_dirfd();
	} else {
		fprintf(stderr, "lx_rmdir: unknown mode %s\n", argv[1]);
		return 2;
	}
	printf("%s: %s\n", argv[1], failures ? "SOME CHECKS FAILED" : "all checks passed");
	return failures ? 1 : 0;
}
