/* --linux: openat2 (struct open_how sizes and flags, RESOLVE_BENEATH, IN_ROOT, NO_SYMLINKS, NO_MAGICLINKS, NO_XDEV, CACHED) and O_TMPFILE (named by linkat AT_EMPTY_PATH, O_EXCL forbids it) as Linux answers; prints "open2 ok" or the checks that failed. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lx_checkline.h"

#define RESOLVE_NO_XDEV	      0x01
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_NO_SYMLINKS   0x04
#define RESOLVE_BENEATH	      0x08
#define RESOLVE_IN_ROOT	      0x10
#define RESOLVE_CACHED	      0x20

struct how {
	uint64_t flags, mode, resolve;
	uint8_t tail[16];
};

static int o2(int dirfd, const char *path, uint64_t flags, uint64_t resolve)
{
	struct how h = {flags, 0, resolve, {0}};
	return (int)syscall(SYS_openat2, dirfd, path, &h, 24);
}

/* Opens, then closes: whether it opened; errno says why not. */
static int opens(int dirfd, const char *path, uint64_t flags, uint64_t resolve)
{
	int fd = o2(dirfd, path, flags, resolve);
	if (fd >= 0)
		close(fd);
	return fd >= 0;
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	mkdir("/tmp/o", 0755);
	mkdir("/tmp/o/d", 0755);
	close(open("/tmp/o/d/f", O_CREAT | O_WRONLY, 0644));
	close(open("/tmp/o/f", O_CREAT | O_WRONLY, 0644));
	CHECK(symlink("f", "/tmp/o/d/l") == 0, "symlink l");
	CHECK(symlink("/tmp/o/d/f", "/tmp/o/d/abs") == 0, "symlink abs");
	CHECK(symlink("../f", "/tmp/o/d/up") == 0, "symlink up");
	int d = open("/tmp/o/d", O_RDONLY | O_DIRECTORY);
	CHECK(d >= 0, "open the start directory");

	struct how h = {O_RDONLY, 0, 0, {0}};
	int fd = (int)syscall(SYS_openat2, d, "f", &h, 24);
	CHECK(fd >= 0, "openat2 of a file");
	close(fd);
	CHECK(syscall(SYS_openat2, d, "f", &h, 23) == -1 && errno == EINVAL, "size 23: EINVAL");
	CHECK(syscall(SYS_openat2, d, "f", &h, 4097) == -1 && errno == E2BIG, "size 4097: E2BIG");
	fd = (int)syscall(SYS_openat2, d, "f", &h, sizeof(h));
	CHECK(fd >= 0, "a larger struct, zero past the fields: opens");
	close(fd);
	h.tail[3] = 1;
	CHECK(syscall(SYS_openat2, d, "f", &h, sizeof(h)) == -1 && errno == E2BIG,
	      "a larger struct with an unknown field set: E2BIG");
	CHECK(syscall(SYS_openat2, d, "f", (void *)8, 24) == -1 && errno == EFAULT,
	      "a bad struct address: EFAULT");
	CHECK(!opens(d, "f", 1ULL << 40, 0) && errno == EINVAL, "unknown open flags: EINVAL");
	CHECK(!opens(d, "f", O_RDONLY, 0x40) && errno == EINVAL, "unknown resolve flags: EINVAL");
	h = (struct how){O_RDONLY, 0644, 0, {0}};
	CHECK(syscall(SYS_openat2, d, "f", &h, 24) == -1 && errno == EINVAL,
	      "a mode without O_CREAT: EINVAL");
	h = (struct how){O_CREAT | O_WRONLY, 0644, 0, {0}};
	fd = (int)syscall(SYS_openat2, d, "new", &h, 24);
	CHECK(fd >= 0, "O_CREAT with a mode");
	close(fd);
	CHECK(!opens(d, "f", O_RDONLY, RESOLVE_BENEATH | RESOLVE_IN_ROOT) && errno == EINVAL,
	      "BENEATH and IN_ROOT together: EINVAL");
	CHECK(!opens(d, "f", O_PATH | O_RDWR, 0) && errno == EINVAL, "O_PATH with O_RDWR: EINVAL");

	CHECK(opens(d, "l", O_RDONLY, RESOLVE_BENEATH), "BENEATH: a link inside the start");
	CHECK(!opens(d, "../d/f", O_RDONLY, RESOLVE_BENEATH) && errno == EXDEV,
	      "BENEATH: '..' out of the start: EXDEV");
	CHECK(!opens(d, "/tmp/o/d/f", O_RDONLY, RESOLVE_BENEATH) && errno == EXDEV,
	      "BENEATH: an absolute path: EXDEV");
	CHECK(!opens(d, "abs", O_RDONLY, RESOLVE_BENEATH) && errno == EXDEV,
	      "BENEATH: an absolute link: EXDEV");
	CHECK(!opens(d, "up", O_RDONLY, RESOLVE_BENEATH) && errno == EXDEV,
	      "BENEATH: a link up and out: EXDEV");

	CHECK(opens(d, "/f", O_RDONLY, RESOLVE_IN_ROOT), "IN_ROOT: '/f' is the start's f");
	CHECK(opens(d, "../../../f", O_RDONLY, RESOLVE_IN_ROOT), "IN_ROOT: '..' stops at the start");
	CHECK(!opens(d, "abs", O_RDONLY, RESOLVE_IN_ROOT) && errno == ENOENT,
	      "IN_ROOT: an absolute link resolves under the start (none there)");
	CHECK(opens(d, "up", O_RDONLY, RESOLVE_IN_ROOT), "IN_ROOT: a link up stays in (its f)");

	CHECK(!opens(d, "l", O_RDONLY, RESOLVE_NO_SYMLINKS) && errno == ELOOP,
	      "NO_SYMLINKS: a link to follow: ELOOP");
	CHECK(opens(d, "l", O_PATH | O_NOFOLLOW, RESOLVE_NO_SYMLINKS),
	      "NO_SYMLINKS: the link itself with O_PATH|O_NOFOLLOW");
	char self[64];
	snprintf(self, sizeof(self), "/proc/self/fd/%d", d);
	CHECK(opens(AT_FDCWD, self, O_RDONLY, 0), "a magic link opens without the flag");
	CHECK(!opens(AT_FDCWD, self, O_RDONLY, RESOLVE_NO_MAGICLINKS) && errno == ELOOP,
	      "NO_MAGICLINKS: /proc/self/fd/N: ELOOP");
	CHECK(opens(AT_FDCWD, "/proc/self/fd", O_RDONLY | O_DIRECTORY, RESOLVE_NO_MAGICLINKS),
	      "NO_MAGICLINKS: a plain /proc directory opens");

	CHECK(opens(d, "f", O_RDONLY, RESOLVE_NO_XDEV), "NO_XDEV: within /tmp");
	CHECK(chdir("/") == 0, "chdir /");
	CHECK(!opens(AT_FDCWD, "tmp/o/d/f", O_RDONLY, RESOLVE_NO_XDEV) && errno == EXDEV,
	      "NO_XDEV: from / into the /tmp mount: EXDEV");
	CHECK(!opens(d, "../../../etc", O_RDONLY, RESOLVE_NO_XDEV) && errno == EXDEV,
	      "NO_XDEV: '..' out of /tmp: EXDEV");
	CHECK(!opens(d, "f", O_RDWR | O_CREAT, RESOLVE_CACHED) && errno == EAGAIN,
	      "CACHED with O_CREAT: EAGAIN");

	/* O_TMPFILE in /tmp and in the root's upper layer */
	const char *dirs[2] = {"/tmp", "/"};
	for (int i = 0; i < 2; i++) {
		char named[64];
		snprintf(named, sizeof(named), "%s/named%d", i ? "" : "/tmp", i);
		int t = open(dirs[i], O_TMPFILE | O_RDWR, 0640);
		CHECK(t >= 0, "O_TMPFILE in %s", dirs[i]);
		CHECK(write(t, "unnamed", 7) == 7, "write the unnamed file");
		DIR *dir = opendir(dirs[i]);
		struct dirent *e;
		int seen = 0;
		while (dir && (e = readdir(dir)))
			seen += strncmp(e->d_name, ".lockvm", 7) == 0;
		if (dir)
			closedir(dir);
		CHECK(seen == 0, "O_TMPFILE: no name shows in %s", dirs[i]);
		CHECK(linkat(t, "", AT_FDCWD, named, AT_EMPTY_PATH) == 0,
		      "linkat AT_EMPTY_PATH names it %s", named);
		close(t);
		char buf[16] = {0};
		int n = open(named, O_RDONLY);
		CHECK(n >= 0 && read(n, buf, sizeof(buf)) == 7 && strcmp(buf, "unnamed") == 0,
		      "the named file holds what was written (%s)", buf);
		struct stat st;
		CHECK(n >= 0 && fstat(n, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0640,
		      "a regular file 0640");
		close(n);
	}
	int x = open("/tmp", O_TMPFILE | O_WRONLY | O_EXCL, 0600);
	CHECK(x >= 0, "O_TMPFILE|O_EXCL");
	CHECK(linkat(x, "", AT_FDCWD, "/tmp/never", AT_EMPTY_PATH) == -1 && errno == ENOENT,
	      "O_EXCL: linkat is ENOENT");
	close(x);
	CHECK(open("/tmp", O_TMPFILE | O_RDONLY, 0600) == -1 && errno == EINVAL,
	      "O_TMPFILE|O_RDONLY: EINVAL");
	CHECK(open("/tmp/o/f", O_TMPFILE | O_RDWR, 0600) == -1 && errno == ENOTDIR,
	      "O_TMPFILE of a file: ENOTDIR");
	/* An unnamed file a forked child writes and closes stays the parent's
	 * (python's TemporaryFile as a subprocess's stdout). */
	int u = open("/tmp", O_TMPFILE | O_RDWR, 0600);
	pid_t child = u >= 0 ? fork() : -1;
	if (child == 0) {
		_exit(write(u, "from child", 10) == 10 && close(u) == 0 ? 0 : 1);
	}
	int status = -1;
	char back[16] = {0};
	struct stat ust;
	CHECK(child > 0 && waitpid(child, &status, 0) == child && status == 0,
	      "O_TMPFILE: a forked child writes and closes it");
	CHECK(lseek(u, 0, SEEK_SET) == 0 && read(u, back, sizeof(back)) == 10 &&
		  strcmp(back, "from child") == 0 && fstat(u, &ust) == 0 && S_ISREG(ust.st_mode),
	      "O_TMPFILE: the parent reads what the child wrote (%s)", back);
	char link[64], want[64], fdpath[32];
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", u);
	snprintf(want, sizeof(want), "/tmp/#%llu (deleted)", (unsigned long long)ust.st_ino);
	ssize_t ln = readlink(fdpath, link, sizeof(link) - 1);
	link[ln > 0 ? ln : 0] = '\0';
	CHECK(strcmp(link, want) == 0, "O_TMPFILE: fd/N is %s (got %s)", want, link);
	close(u);
	if (failures)
		return 1;
	printf("open2 ok\n");
	return 0;
}
