/* --linux test program: MAP_SHARED file mappings — one page cache per file shared by mappings, read/write and other processes (after fork and across exec), SIGBUS past the end and after ftruncate, EACCES for writing through a read-only fd, msync; "sparse PATH" maps a huge sparse file and touches it until the VM's memory ends (SIGBUS, never a VMM crash); "bus PATH" dies of SIGBUS; "msync PATH" writes back by msync alone, then waits to be killed; "window PATH" slides a one-page mapping over a file larger than --mem; "lower PATH" maps a file of the read-only tree; "reader PATH OFF CHAR" checks one byte by read(). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lx_checkline.h"

#define PG 4096

static sigjmp_buf back;
static volatile int buses, segvs;
static volatile int bus_code;

static void handler(int sig, siginfo_t *si, void *uc)
{
	if (sig == SIGBUS) {
		buses++;
		bus_code = si->si_code;
	} else {
		segvs++;
	}
	siglongjmp(back, 1);
}

/* The signal reading p raised: 0, SIGBUS or SIGSEGV. */
static int touch(volatile char *p)
{
	int b = buses, s = segvs;
	if (sigsetjmp(back, 1) == 0)
		(void)*p;
	return buses != b ? SIGBUS : segvs != s ? SIGSEGV : 0;
}

static char byte_at(int fd, off_t off)
{
	char c = 0;
	if (pread(fd, &c, 1, off) != 1)
		return -1;
	return c;
}

/* A new file of len bytes of c at path, open O_RDWR. */
static int make_file(const char *path, size_t len, char c)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	char buf[PG];
	memset(buf, c, sizeof(buf));
	for (size_t done = 0; fd >= 0 && done < len; done += PG)
		if (write(fd, buf, len - done < PG ? len - done : PG) < 0)
			return -1;
	return fd;
}

static int reader(const char *path, const char *off, const char *want)
{
	int fd = open(path, O_RDONLY);
	char c = fd >= 0 ? byte_at(fd, atol(off)) : -1;
	if (c != want[0]) {
		printf("FAIL reader: %s at %s is %d, want '%c'\n", path, off, c, want[0]);
		return 1;
	}
	return 0;
}

static pid_t wait_ok(pid_t pid, const char *what)
{
	int st = 0;
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "%s: child status 0x%x", what, st);
	return pid;
}

/* mmap and write/read agree, both ways, in one process and across fork and exec. */
static void sharing(const char *dir, const char *self)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/shm.dat", dir);
	int fd = make_file(path, 2 * PG, 'a');
	CHECK(fd >= 0, "create %s", path);
	char *p = mmap(0, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED, "mmap MAP_SHARED of %s", path);
	if (p == MAP_FAILED)
		return;
	CHECK(p[0] == 'a' && p[2 * PG - 1] == 'a', "the mapping shows the file");
	p[0] = 'M';
	CHECK(byte_at(fd, 0) == 'M', "shm: a write through the mapping is seen by pread");
	CHECK(pwrite(fd, "W", 1, 100) == 1 && p[100] == 'W', "shm: pwrite is seen by the mapping");
	CHECK(lseek(fd, 50, SEEK_SET) == 50 && write(fd, "V", 1) == 1 && p[50] == 'V',
	      "shm: write is seen by the mapping");
	char *q = mmap(0, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, PG);
	CHECK(q != MAP_FAILED, "second mapping at offset 4096");
	if (q != MAP_FAILED) {
		q[5] = 'Q';
		CHECK(p[PG + 5] == 'Q', "shm: two mappings of one file share the page");
		munmap(q, PG);
	}
	/* A child writes through the inherited mapping and through its own. */
	pid_t pid = fork();
	if (pid == 0) {
		p[200] = 'C';
		int cfd = open(path, O_RDWR);
		char *c = mmap(0, PG, PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0);
		if (c == MAP_FAILED)
			_exit(2);
		c[400] = 'E';
		_exit(c[0] == 'M' && c[100] == 'W' ? 0 : 3);
	}
	wait_ok(pid, "fork");
	CHECK(p[200] == 'C', "shm: the parent sees the child's write to the inherited mapping");
	CHECK(p[400] == 'E', "shm: the parent sees the child's write to its own mapping");
	CHECK(byte_at(fd, 400) == 'E', "shm: read sees another process's mapping write");
	/* The mapping process exec's a reader: the write is in the file. */
	pid = fork();
	if (pid == 0) {
		p[600] = 'X';
		execl(self, self, "reader", path, "600", "X", (char *)NULL);
		_exit(4);
	}
	wait_ok(pid, "exec reader (the parent maps too)");
	munmap(p, 2 * PG);
	close(fd);
	/* No other mapping: the exec drops the last one, which writes back. */
	pid = fork();
	if (pid == 0) {
		int cfd = open(path, O_RDWR);
		char *c = mmap(0, PG, PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0);
		if (c == MAP_FAILED)
			_exit(2);
		c[900] = 'Z';
		execl(self, self, "reader", path, "900", "Z", (char *)NULL);
		_exit(4);
	}
	wait_ok(pid, "exec reader (the last mapping)");
	/* What stays in the file for the host to see (linux_shm.sh). */
	fd = open(path, O_RDWR);
	p = mmap(0, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED, "mmap again");
	if (p != MAP_FAILED) {
		memcpy(p + 1000, "written-by-mmap", 15);
		CHECK(msync(p, PG, MS_SYNC) == 0, "msync MS_SYNC");
		CHECK(msync(p, PG, MS_ASYNC | MS_INVALIDATE) == 0, "msync MS_ASYNC|MS_INVALIDATE");
		CHECK(msync(p + 1, PG, MS_SYNC) == -1 && errno == EINVAL,
		      "msync: unaligned EINVAL");
		CHECK(msync(p, PG, 8) == -1 && errno == EINVAL, "msync: bad flag EINVAL");
		CHECK(msync(p, PG, MS_ASYNC | MS_SYNC) == -1 && errno == EINVAL,
		      "msync: MS_ASYNC|MS_SYNC EINVAL");
		munmap(p, PG);
		CHECK(msync(p, PG, MS_SYNC) == -1 && errno == ENOMEM, "msync: unmapped ENOMEM");
	}
	close(fd);
}

/* SIGBUS past the end; ftruncate shrinking takes pages away, growing gives zeroes. */
static void past_end(const char *dir)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/bus.dat", dir);
	int fd = make_file(path, PG + 100, 'b');
	char *p = mmap(0, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED, "mmap 4 pages of a 4196-byte file");
	if (p == MAP_FAILED)
		return;
	CHECK(touch(p + PG + 99) == 0 && p[PG + 99] == 'b', "the last byte of the file");
	CHECK(touch(p + PG + 100) == 0 && p[PG + 100] == 0,
	      "the rest of the last page reads as zero");
	CHECK(touch(p + 2 * PG) == SIGBUS, "shm: a page past the end raises SIGBUS");
	CHECK(bus_code == BUS_ADRERR, "SIGBUS code %d, want BUS_ADRERR", bus_code);
	p[0] = 'x';
	CHECK(ftruncate(fd, 100) == 0, "ftruncate to 100");
	CHECK(touch(p + PG) == SIGBUS,
	      "shm: after ftruncate shrinks, the page past it raises SIGBUS");
	CHECK(p[0] == 'x' && p[99] == 'b' && p[100] == 0,
	      "shm: ftruncate zeroes the last page past the end");
	CHECK(ftruncate(fd, 3 * PG) == 0, "ftruncate to 3 pages");
	CHECK(touch(p + 2 * PG + 5) == 0 && p[2 * PG + 5] == 0 && p[PG] == 0,
	      "shm: pages the file grew into read as zero");
	munmap(p, 4 * PG);
	close(fd);
}

/* Writing a file through a mapping needs an fd open for writing. */
static void rights(const char *dir)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/ro.dat", dir);
	close(make_file(path, PG, 'r'));
	int fd = open(path, O_RDONLY);
	errno = 0;
	CHECK(mmap(0, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED &&
		  errno == EACCES,
	      "shm: MAP_SHARED|PROT_WRITE of an O_RDONLY fd gives EACCES");
	char *p = mmap(0, PG, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED && p[0] == 'r', "MAP_SHARED|PROT_READ of an O_RDONLY fd");
	errno = 0;
	CHECK(mprotect(p, PG, PROT_READ | PROT_WRITE) == -1 && errno == EACCES,
	      "shm: mprotect adding write to a shared mapping of an O_RDONLY fd gives EACCES");
	CHECK(touch(p) == 0 && segvs == 0, "still readable");
	int b = buses, s = segvs;
	if (sigsetjmp(back, 1) == 0)
		*(volatile char *)p = 'w';
	CHECK(segvs == s + 1 && buses == b, "a write to the read-only shared mapping is SIGSEGV");
	char *priv = mmap(0, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	CHECK(priv != MAP_FAILED, "MAP_PRIVATE|PROT_WRITE of an O_RDONLY fd");
	if (priv != MAP_FAILED) {
		priv[0] = 'P';
		CHECK(p[0] == 'r' && byte_at(fd, 0) == 'r',
		      "a private mapping's write stays its own");
	}
	close(fd);
}

/* A huge sparse file (the host made it) mapped whole and read page by
 * page: the VM's memory ends (SIGBUS), the program and the VMM go on. */
static int sparse(const char *path)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	CHECK(fd >= 0 && fstat(fd, &st) == 0 && st.st_size >= (1LL << 30), "a huge sparse file");
	size_t len = fd >= 0 ? (size_t)st.st_size : 0;
	char *p = mmap(0, len, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		CHECK(errno == ENOMEM, "mmap of %zu GiB: ENOMEM or a mapping", len >> 30);
	} else {
		size_t off = 0;
		while (off < len && touch(p + off) == 0)
			off += PG;
		CHECK(off < len && buses == 1, "shm: reading a huge sparse mapping ends in SIGBUS");
		printf("sparse: SIGBUS after %zu MiB\n", off >> 20);
		CHECK(munmap(p, len) == 0, "munmap");
	}
	char *after = malloc(1 << 20);
	CHECK(after && memset(after, 1, 1 << 20), "memory is back after munmap");
	close(fd);
	printf(failures ? "sparse: %d failed\n" : "sparse ok\n", failures);
	return failures != 0;
}

/* A 48 MiB file made at path, more than --mem 32M holds: a one-page
 * window slid over it while page 0 stays mapped (so the cache lives) reads
 * every page, the cache giving back the clean pages no mapping maps. */
static int window(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	const size_t len = 48u << 20;
	CHECK(fd >= 0 && ftruncate(fd, (off_t)len) == 0 && pwrite(fd, "end", 3, len - 3) == 3,
	      "a 48 MiB file");
	char *keep = mmap(0, PG, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(keep != MAP_FAILED && touch(keep) == 0, "page 0 mapped");
	size_t off;
	for (off = PG; off < len; off += PG) {
		char *w = mmap(0, PG, PROT_READ, MAP_SHARED, fd, (off_t)off);
		if (w == MAP_FAILED || touch(w) != 0)
			break;
		if (off == len - PG)
			CHECK(memcmp(w + PG - 3, "end", 3) == 0, "the last page's bytes");
		munmap(w, PG);
	}
	CHECK(off >= len,
	      "shm: a window over more of a file than --mem holds (cached pages reclaimed), "
	      "stopped at %zu MiB",
	      off >> 20);
	printf(failures ? "window: %d failed\n" : "window ok\n", failures);
	return failures != 0;
}

/* msync alone puts what a mapping wrote in the file: "synced" is written
 * back, "unsynced" (written after) is not until the mapping goes or the VM
 * ends — and the program then waits to be ended (linux_shm.sh kills its
 * VMM, which writes nothing back, or lets --timeout end it, which does). */
static int msync_only(const char *path)
{
	int fd = open(path, O_RDWR);
	char *p = mmap(0, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED, "mmap %s", path);
	if (p == MAP_FAILED)
		return 1;
	memcpy(p, "synced", 6);
	CHECK(msync(p, PG, MS_SYNC) == 0, "msync");
	memcpy(p + 100, "unsynced", 8);
	printf("msync done\n");
	for (;;)
		pause(); /* (a wait the VM's end cuts short returns: never exit) */
}

/* A file of the read-only --fs tree: shared read-only, then written
 * through an O_RDWR fd (copied up: the host file stays as it was). */
static int lower(const char *path)
{
	int fd = open(path, O_RDONLY);
	char *p = mmap(0, PG, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED && memcmp(p, "lower", 5) == 0, "shm: a lower file mapped shared");
	int rw = open(path, O_RDWR);
	char *w = mmap(0, PG, PROT_READ | PROT_WRITE, MAP_SHARED, rw, 0);
	CHECK(w != MAP_FAILED,
	      "shm: a lower file opened O_RDWR (copied up) mapped shared writable");
	if (w != MAP_FAILED) {
		memcpy(w, "upper", 5);
		CHECK(byte_at(rw, 0) == 'u', "the copied-up file reads what the mapping wrote");
	}
	printf(failures ? "lower: %d failed\n" : "lower ok\n", failures);
	return failures != 0;
}

/* A page past the end of a 100-byte file, touched with no handler. */
static int bus(const char *path)
{
	int fd = make_file(path, 100, 'b');
	volatile char *p = mmap(0, 2 * PG, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED, "mmap");
	printf("touching page 2\n");
	return p[PG];
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc == 3 && strcmp(argv[1], "bus") == 0)
		return bus(argv[2]); /* before any handler */
	if (argc == 5 && strcmp(argv[1], "reader") == 0)
		return reader(argv[2], argv[3], argv[4]);
	struct sigaction sa = {.sa_sigaction = handler, .sa_flags = SA_SIGINFO | SA_NODEFER};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	if (argc == 3 && strcmp(argv[1], "sparse") == 0)
		return sparse(argv[2]);
	if (argc == 3 && strcmp(argv[1], "msync") == 0)
		return msync_only(argv[2]);
	if (argc == 3 && strcmp(argv[1], "window") == 0)
		return window(argv[2]);
	if (argc == 3 && strcmp(argv[1], "lower") == 0)
		return lower(argv[2]);
	const char *dir = argc > 1 ? argv[1] : "/tmp";
	sharing(dir, argv[0]);
	past_end(dir);
	rights(dir);
	printf(failures ? "shm: %d failed\n" : "shm ok\n", failures);
	return failures != 0;
}
