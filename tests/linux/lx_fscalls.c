/* --linux test program: rename (NOREPLACE, EXCHANGE, directories), symlink, chmod, chown, utimensat, truncate, fallocate, statfs, memfd_create, sendfile, copy_file_range, xattrs, flock, fsync, statx in a writable directory (argv[1]); a file of the read-only tree (argv[2], "-": none) refuses changes. Prints "ok ..." or "FAILED ..." per check; passes natively too. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "lx_file.h"

/* Not in every libc's headers (musl 1.2.3): the kernel's values. */
#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1
#define RENAME_EXCHANGE	 2
#endif
#ifndef STATX_BASIC_STATS
#define STATX_BASIC_STATS 0x7ffu
#endif
#ifndef ST_RDONLY
#define ST_RDONLY 1
#endif

static int failed;

static void check(const char *what, int ok)
{
	printf("%s %s\n", ok ? "ok" : "FAILED", what);
	failed |= !ok;
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		printf("FAILED setup: write %s: %s\n", path, strerror(errno));
		exit(1);
	}
	close(fd);
}

static int renameat2_(const char *a, const char *b, unsigned flags)
{
	return (int)syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, flags);
}

int main(int argc, char **argv)
{
	if (argc != 3 || chdir(argv[1]) < 0) {
		printf("usage: lx_fscalls WRITABLE_DIR READ_ONLY_FILE|-\n");
		return 2;
	}
	struct stat st;
	write_file("a", "AAA");
	write_file("b", "BBB");
	check("rename: a file over another replaces it",
	      rename("a", "c") == 0 && rename("c", "b") == 0 && file_is("b", "AAA") &&
		  access("a", F_OK) < 0 && errno == ENOENT);
	write_file("a", "new a");
	check("renameat2(RENAME_NOREPLACE): an existing target gives EEXIST",
	      renameat2_("a", "b", RENAME_NOREPLACE) < 0 && errno == EEXIST && file_is("b", "AAA"));
	check("renameat2(RENAME_EXCHANGE): the two names swap",
	      renameat2_("a", "b", RENAME_EXCHANGE) == 0 && file_is("a", "AAA") &&
		  file_is("b", "new a"));
	check("renameat2(RENAME_EXCHANGE) of a name with itself changes nothing",
	      renameat2_("a", "a", RENAME_EXCHANGE) == 0 && file_is("a", "AAA"));
	check("renameat2(RENAME_EXCHANGE) with no target gives ENOENT",
	      renameat2_("a", "none", RENAME_EXCHANGE) < 0 && errno == ENOENT);
	check("mkdir, and a file moved into it",
	      mkdir("d", 0755) == 0 && mkdir("d/sub", 0755) == 0 && rename("a", "d/sub/a") == 0 &&
		  file_is("d/sub/a", "AAA"));
	check("rename: a directory moved with its contents",
	      rename("d", "e") == 0 && file_is("e/sub/a", "AAA") && access("d", F_OK) < 0);
	check("rename: a directory into itself gives EINVAL",
	      rename("e", "e/sub/x") < 0 && errno == EINVAL);
	check("rename: a directory over a non-empty one gives ENOTEMPTY or EEXIST",
	      mkdir("f", 0755) == 0 && rename("f", "e") < 0 &&
		  (errno == ENOTEMPTY || errno == EEXIST));
	check("rename: a file over a directory gives EISDIR", rename("b", "f") < 0 && errno == EISDIR);
	char target[64] = "";
	check("symlink, readlink, and a read through it",
	      symlink("e/sub/a", "l") == 0 && readlink("l", target, sizeof(target)) == 7 &&
		  memcmp(target, "e/sub/a", 7) == 0 && file_is("l", "AAA"));
	check("lstat of the symlink: S_IFLNK, size 7",
	      lstat("l", &st) == 0 && S_ISLNK(st.st_mode) && st.st_size == 7);
	check("symlink over an existing name gives EEXIST",
	      symlink("x", "b") < 0 && errno == EEXIST);
	check("chmod", chmod("b", 0600) == 0 && stat("b", &st) == 0 && (st.st_mode & 07777) == 0600);
	int fd = open("b", O_RDWR);
	check("fchmod", fd >= 0 && fchmod(fd, 0640) == 0 && fstat(fd, &st) == 0 &&
			    (st.st_mode & 07777) == 0640);
	check("chown to the caller's own ids",
	      chown("b", getuid(), getgid()) == 0 && stat("b", &st) == 0 && st.st_uid == getuid());
	struct timespec ts[2] = {{.tv_nsec = UTIME_OMIT}, {.tv_sec = 1000000000, .tv_nsec = 5}};
	check("utimensat sets the mtime",
	      utimensat(AT_FDCWD, "b", ts, 0) == 0 && stat("b", &st) == 0 &&
		  st.st_mtim.tv_sec == 1000000000 && st.st_mtim.tv_nsec == 5);
	check("truncate grows and shrinks",
	      truncate("b", 10) == 0 && stat("b", &st) == 0 && st.st_size == 10 &&
		  truncate("b", 2) == 0 && stat("b", &st) == 0 && st.st_size == 2);
	check("fallocate grows the file",
	      fallocate(fd, 0, 0, 8192) == 0 && fstat(fd, &st) == 0 && st.st_size == 8192);
	check("fsync and fdatasync", fsync(fd) == 0 && fdatasync(fd) == 0);
	check("flock exclusive, then unlock", flock(fd, LOCK_EX | LOCK_NB) == 0 && flock(fd, LOCK_UN) == 0);
	check("fsync of a closed fd gives EBADF", fsync(999) < 0 && errno == EBADF);
	close(fd);
	struct statfs sf;
	check("statfs of the writable dir: not read-only, 4 KiB blocks",
	      statfs(".", &sf) == 0 && !(sf.f_flags & ST_RDONLY) && sf.f_bsize == 4096);
	char value[16];
	check("getxattr finds nothing (ENODATA or ENOTSUP)",
	      getxattr("b", "user.x", value, sizeof(value)) < 0 &&
		  (errno == ENODATA || errno == ENOTSUP));
	check("listxattr of a file with none", listxattr("b", value, sizeof(value)) >= 0);
	int mfd = memfd_create("lx", MFD_CLOEXEC);
	char back[6] = "";
	check("memfd_create: write, read back, fstat size",
	      mfd >= 0 && write(mfd, "memfd", 5) == 5 && pread(mfd, back, 5, 0) == 5 &&
		  memcmp(back, "memfd", 5) == 0 && fstat(mfd, &st) == 0 && st.st_size == 5);
	close(mfd);
	/* sendfile into a file and a pipe; copy_file_range between files (GNU cp, python's shutil). */
	write_file("src", "0123456789");
	int in = open("src", O_RDONLY), out = open("sent", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	off_t soff = 2;
	check("sendfile: from an offset into a file, that offset advanced, the fd's own not",
	      in >= 0 && out >= 0 && sendfile(out, in, &soff, 5) == 5 && soff == 7 &&
		  lseek(in, 0, SEEK_CUR) == 0 && file_is("sent", "23456"));
	int pp[2];
	char pbuf[8] = "";
	check("sendfile: into a pipe from the fd's own offset, which advances",
	      pipe(pp) == 0 && sendfile(pp[1], in, NULL, 4) == 4 &&
		  read(pp[0], pbuf, sizeof(pbuf)) == 4 && memcmp(pbuf, "0123", 4) == 0 &&
		  lseek(in, 0, SEEK_CUR) == 4);
	off_t cin = 6, cout_off = 1;
	int cout = open("copied", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	check("copy_file_range: between files at the offsets given, both advanced",
	      cout >= 0 && write(cout, "ab", 2) == 2 &&
		  copy_file_range(in, &cin, cout, &cout_off, 3, 0) == 3 && cin == 9 &&
		  cout_off == 4 && file_is("copied", "a678"));
	check("copy_file_range: unknown flags give EINVAL",
	      copy_file_range(in, NULL, cout, NULL, 1, 1) < 0 && errno == EINVAL);
	close(in);
	close(out);
	close(cout);
	close(pp[0]);
	close(pp[1]);
	/* struct statx read by offset (not in musl's headers): stx_mask at 0, stx_size at 40 */
	unsigned char sx[256];
	uint32_t mask = 0;
	uint64_t size = 0;
	long sxr = syscall(SYS_statx, AT_FDCWD, "b", 0, 0xfffu /* STATX_ALL */, sx);
	memcpy(&mask, sx, 4);
	memcpy(&size, sx + 40, 8);
	check("statx: every basic field in the mask, the size",
	      sxr == 0 && (mask & STATX_BASIC_STATS) == STATX_BASIC_STATS && size == 8192);
	/* The read-only tree refuses changes without changing anything ("-": no tree, natively). */
	const char *ro = argv[2];
	if (strcmp(ro, "-") == 0) {
		printf("%s\n", failed ? "some checks failed" : "all checks passed");
		return failed;
	}
	check("read-only tree: chmod gives EROFS", chmod(ro, 0777) < 0 && errno == EROFS);
	check("read-only tree: rename into /tmp gives EXDEV or EROFS",
	      rename(ro, "moved") < 0 && (errno == EXDEV || errno == EROFS));
	check("read-only tree: truncate gives EROFS", truncate(ro, 0) < 0 && errno == EROFS);
	check("read-only tree: utimensat gives EROFS",
	      utimensat(AT_FDCWD, ro, ts, 0) < 0 && errno == EROFS);
	check("read-only tree: statfs says read-only", statfs(ro, &sf) == 0 && (sf.f_flags & ST_RDONLY));
	printf("%s\n", failed ? "some checks failed" : "all checks passed");
	return failed;
}
