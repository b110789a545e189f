/* --linux test program: MAP_PRIVATE mappings of a file of the read-only tree share its pages copy-on-write (the VMM's page cache of private file mappings). "private PATH" writes through mappings (a store, after mprotect, a read() into one, a forked child's) and checks that no other mapping, process or pread sees it; "show PATH" prints each page's first byte and the tail's as a fresh mapping shows them; "fill PATH" checks that memory the cache holds comes back when the pool runs out. PATH: 3 pages of 'A', 'B', 'C' and a 100-byte tail of 'Z' (the test writes it). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lx_check.h"

#define PG   4096
#define SIZE (3 * PG + 100)

static char *map_file(const char *path, int prot)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	char *m = mmap(NULL, SIZE, prot, MAP_PRIVATE, fd, 0);
	close(fd);
	return m == MAP_FAILED ? NULL : m;
}

/* The file as a fresh private mapping shows it: 'A' 'B' 'C' 'Z', zero past the end. */
static int pristine(const char *path)
{
	char *m = map_file(path, PROT_READ);
	if (!m)
		return 0;
	int ok = m[0] == 'A' && m[PG - 1] == 'A' && m[PG] == 'B' && m[2 * PG] == 'C' &&
		 m[3 * PG] == 'Z' && m[3 * PG + 99] == 'Z' && m[3 * PG + 100] == 0;
	munmap(m, SIZE);
	return ok;
}

static int private_checks(const char *path)
{
	char *m1 = map_file(path, PROT_READ | PROT_WRITE), *m2 = map_file(path, PROT_READ);
	check(m1 && m2, "two private mappings of the file");
	if (!m1 || !m2)
		return 1;
	check(m1[0] == 'A' && m2[PG] == 'B', "both read the file's bytes");
	m1[0] = 'x';
	m1[PG] = 'y';
	check(m1[0] == 'x' && m1[PG] == 'y', "a store into a private mapping is seen by its writer");
	check(m2[0] == 'A' && m2[PG] == 'B', "a store into one private mapping stays out of another");
	check(pristine(path), "a store into a private mapping stays out of a new mapping");

	/* Read-only first, then writable: the store copies the page. */
	char *m3 = map_file(path, PROT_READ);
	check(m3 && mprotect(m3, SIZE, PROT_READ | PROT_WRITE) == 0, "mprotect adds write");
	if (m3)
		m3[2 * PG] = 'w';
	check(m3 && m3[2 * PG] == 'w', "a store after mprotect is seen by its writer");
	check(m2[2 * PG] == 'C' && pristine(path), "a store after mprotect stays private");

	/* The VMM writes into a mapping's page (read() from a pipe). */
	int p[2];
	check(pipe(p) == 0 && write(p[1], "kk", 2) == 2, "pipe");
	char *m4 = map_file(path, PROT_READ | PROT_WRITE);
	check(m4 && read(p[0], m4 + PG, 2) == 2 && m4[PG] == 'k', "read() into a private mapping");
	check(m2[PG] == 'B' && pristine(path), "read() into a private mapping stays private");
	char b = 0;
	int fd = open(path, O_RDONLY);
	check(fd >= 0 && pread(fd, &b, 1, PG) == 1 && b == 'B', "pread gives the file's byte");
	close(fd);

	/* After fork: the child's store stays the child's, and the
	 * parent's copies stay the parent's. */
	pid_t pid = fork();
	if (pid == 0) {
		int bad = m1[0] != 'x' || m2[0] != 'A';
		m2 = map_file(path, PROT_READ | PROT_WRITE);
		if (!m2)
			_exit(3);
		m2[0] = 'c';
		m1[2 * PG] = 'c';
		_exit(bad ? 2 : pristine(path) ? 0 : 4);
	}
	int st = -1;
	check(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "a forked child sees its parent's copies and the file's pages");
	check(m1[2 * PG] == 'C' && m1[0] == 'x' && pristine(path),
	      "a child's stores stay the child's");
	return fails;
}

/* MiB of anonymous memory the VM still gives, 1 MiB at a time (given back). */
static unsigned free_mib(void)
{
	static char *maps[4096];
	unsigned n = 0;
	while (n < 4096) {
		char *m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);
		if (m == MAP_FAILED)
			break;
		m[0] = 1;
		maps[n++] = m;
	}
	for (unsigned i = 0; i < n; i++)
		munmap(maps[i], 1 << 20);
	return n;
}

static int fill_checks(const char *path)
{
	unsigned before = free_mib();
	int fd = open(path, O_RDONLY);
	off_t size = fd >= 0 ? lseek(fd, 0, SEEK_END) : -1;
	char *m = size > 0 ? mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
	check(m != MAP_FAILED, "mapping the big file");
	long sum = 0;
	for (off_t i = 0; m != MAP_FAILED && i < size; i += PG)
		sum += m[i];
	if (m != MAP_FAILED)
		munmap(m, (size_t)size);
	close(fd);
	unsigned after = free_mib();
	printf("free %u MiB before, %u after (%ld)\n", before, after, sum);
	check(after + 1 >= before, "pages the cache alone holds come back when memory runs out");
	return fails;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "private") == 0) {
		if (private_checks(argv[2]) == 0)
			printf("private ok\n");
		return fails != 0;
	}
	if (argc == 3 && strcmp(argv[1], "show") == 0) {
		char *m = map_file(argv[2], PROT_READ);
		if (!m)
			return 1;
		printf("show %c%c%c%c\n", m[0], m[PG], m[2 * PG], m[3 * PG]);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "fill") == 0) {
		if (fill_checks(argv[2]) == 0)
			printf("fill ok\n");
		return fails != 0;
	}
	fprintf(stderr, "usage: lx_fcache private|show|fill PATH\n");
	return 2;
}
