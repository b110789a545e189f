/* --linux test program: /proc as the VMM generates it — self, status against getpid, fd/N reopened as a new open file, magic links walked with "..", a pid whose directory is held while it exits, huge reads and offsets; prints "procfs ok" or the first check that failed. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lx_check.h"


/* The whole of a small file, NUL-terminated; -1 on error. */
static long slurp(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	size_t got = 0;
	for (;;) {
		ssize_t n = read(fd, buf + got, size - 1 - got);
		if (n <= 0) {
			close(fd);
			buf[got] = '\0';
			return n < 0 ? -1 : (long)got;
		}
		got += (size_t)n;
	}
}

/* The number after "Key:\t" in a status text, or -1. */
static long status_field(const char *text, const char *key)
{
	const char *p = strstr(text, key);
	return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

static void self_checks(void)
{
	char buf[8192], want[32];
	check(readlink("/proc/self", buf, sizeof(buf)) > 0, "readlink /proc/self");
	snprintf(want, sizeof(want), "%d", getpid());
	ssize_t n = readlink("/proc/self", buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	check(strcmp(buf, want) == 0, "/proc/self names getpid()");
	check(slurp("/proc/self/status", buf, sizeof(buf)) > 0, "read status");
	check(status_field(buf, "\nPid:\t") == getpid(), "status Pid is getpid()");
	check(status_field(buf, "\nPPid:\t") == getppid(), "status PPid is getppid()");
	check(status_field(buf, "\nUid:\t") == (long)getuid(), "status Uid is getuid()");
	check(slurp("/proc/self/stat", buf, sizeof(buf)) > 0 && atoi(buf) == getpid(),
	      "stat starts with the pid");
	check(strstr(buf, "(lx_procfs") != NULL, "stat names comm");
	/* environ: the program's own first environment */
	n = slurp("/proc/self/environ", buf, sizeof(buf));
	check(n > 0 && memmem(buf, (size_t)n, "LX_PROCFS=yes", 14) != NULL, "environ has LX_PROCFS");
	n = slurp("/proc/self/cmdline", buf, sizeof(buf));
	check(n > 0 && memmem(buf, (size_t)n, "arg\0two", 8) != NULL, "cmdline NUL-separated");
}

static void fd_checks(void)
{
	char path[64], buf[64];
	int fd = open("/tmp/procfs.txt", O_RDWR | O_CREAT | O_TRUNC, 0600);
	check(fd >= 0 && write(fd, "hello", 5) == 5, "write /tmp file");
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	check(strcmp(buf, "/tmp/procfs.txt") == 0, "fd link shows the VM path");
	/* reopened: a new open file with its own offset, the same file */
	int again = open(path, O_RDONLY);
	check(again >= 0 && again != fd, "reopen /proc/self/fd/N");
	check(read(again, buf, 5) == 5 && memcmp(buf, "hello", 5) == 0, "reopened reads from 0");
	close(again);
	int p[2];
	check(pipe(p) == 0, "pipe");
	snprintf(path, sizeof(path), "/proc/self/fd/%d", p[0]);
	n = readlink(path, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	check(strncmp(buf, "pipe:[", 6) == 0, "pipe fd shows pipe:[");
	int rd = open(path, O_RDONLY);
	check(rd >= 0 && write(p[1], "x", 1) == 1 && read(rd, buf, 1) == 1 && buf[0] == 'x',
	      "a pipe's fd/N opens that pipe");
	close(rd);
	close(p[0]);
	close(p[1]);
	close(fd);
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	check(open(path, O_RDONLY) < 0 && errno == ENOENT, "fdinfo of a closed fd: ENOENT");
}

static void walk_checks(void)
{
	struct stat a, b;
	check(chdir("/tmp") == 0, "chdir /tmp");
	check(stat("/proc/1/cwd/../../../../etc", &a) == 0 && stat("/etc", &b) == 0 &&
		  a.st_ino == b.st_ino,
	      "/proc/1/cwd/../.. stays in the VM's tree");
	check(stat("/proc/self/root/etc", &a) == 0 && a.st_ino == b.st_ino, "root/ is the VM's /");
	char buf[8];
	int fd = open("/proc/self/exe", O_RDONLY);
	check(fd >= 0 && read(fd, buf, 4) == 4 && memcmp(buf, "\177ELF", 4) == 0,
	      "/proc/self/exe opens the program");
	close(fd);
	check(open("/proc/self/status", O_WRONLY) < 0, "a /proc file is not writable");
	check(open("/proc/self/attr/current", O_RDONLY) < 0 && errno == EINVAL,
	      "attr/current: EINVAL");
	check(stat("/proc/01", &a) < 0 && errno == ENOENT, "/proc/01 is not pid 1");
	check(stat("/proc/999999", &a) < 0 && errno == ENOENT, "no such pid");
}

static void huge_checks(void)
{
	static char big[1 << 20];
	int fd = open("/proc/self/maps", O_RDONLY);
	check(fd >= 0, "open maps");
	check(pread(fd, big, 16, 1LL << 62) == 0, "pread at 2^62: end of file");
	ssize_t n = read(fd, big, sizeof(big));
	check(n > 0 && strstr(big, "[stack]") != NULL, "maps has [stack]");
	check(lseek(fd, (off_t)1 << 40, SEEK_SET) == (off_t)1 << 40 && read(fd, big, 8) == 0,
	      "read past the end: 0");
	close(fd);
}

/* A child whose /proc directory and status file are held open while it
 * exits and is reaped: no crash, ENOENT or ESRCH after. */
static void gone_checks(void)
{
	int go[2];
	check(pipe(go) == 0, "pipe");
	pid_t child = fork();
	if (child == 0) {
		char c;
		(void)read(go[0], &c, 1);
		_exit(0);
	}
	char path[64], buf[256];
	snprintf(path, sizeof(path), "/proc/%d", (int)child);
	int dir = open(path, O_RDONLY | O_DIRECTORY);
	int st = openat(dir, "status", O_RDONLY);
	check(dir >= 0 && st >= 0, "open the child's directory and status");
	check(read(st, buf, sizeof(buf)) > 0, "read the child's status");
	check(write(go[1], "x", 1) == 1 && waitpid(child, NULL, 0) == child, "child exits");
	errno = 0;
	int late = openat(dir, "status", O_RDONLY);
	check(late < 0 && (errno == ENOENT || errno == ESRCH), "openat in a gone pid's directory");
	check(pread(st, buf, sizeof(buf), 0) < 0 && errno == ESRCH, "reading a gone pid's status");
	struct stat s;
	check(stat(path, &s) < 0 && errno == ENOENT, "a gone pid is not listed");
	close(st);
	close(dir);
}

int main(int argc, char **argv)
{
	self_checks();
	fd_checks();
	walk_checks();
	huge_checks();
	gone_checks();
	if (!fails)
		printf("procfs ok\n");
	return fails ? 1 : 0;
}
