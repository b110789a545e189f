/* --linux test program: memory calls take effect at once — an unmapped page faults, a read-only page refuses writes, a page moved by mremap leaves nothing behind, PROT_NONE keeps contents, MAP_SHARED stays one page, MADV_DONTNEED zeroes private pages for this process only, the frames of unmapped pages and of a process that ended read zero in the next mapping that gets them, MAP_NORESERVE maps far more than the VM's RAM far above it (47-bit addresses) and gives each page at its first access, by the program or by a call. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static sigjmp_buf back;
static volatile int faults;

static void handler(int sig, siginfo_t *si, void *uc)
{
	faults++;
	siglongjmp(back, 1);
}

/* Whether touching p (a write when write) faults. */
static int faults_on(volatile unsigned char *p, int write)
{
	int before = faults;
	if (sigsetjmp(back, 1) == 0) {
		if (write)
			*p = 1;
		else
			(void)*p;
	}
	return faults != before;
}

#define FAIL(what) return printf("FAIL: %s\n", what), 1

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

/* MAP_NORESERVE, as ASan's shadow and runtimes' reservations use it. */
static int noreserve(void)
{
	const size_t huge = 1ULL << 40; /* 1 TiB, at 16 TiB (within ASan's high shadow) */
	unsigned char *r =
	    mmap((void *)0x100000000000ULL, huge, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
	if (r != (void *)0x100000000000ULL)
		FAIL("MAP_NORESERVE of 1 TiB at 16 TiB");
	if (r[0] != 0 || r[huge - 1] != 0)
		FAIL("a MAP_NORESERVE page did not read zero");
	r[huge / 2] = 0x42;
	int p[2];
	char z[4] = {1, 1, 1, 1};
	if (pipe(p) != 0 || write(p[1], "lazy", 4) != 4 || read(p[0], r + huge / 4, 4) != 4 ||
	    memcmp(r + huge / 4, "lazy", 4) != 0)
		FAIL("read() into an untouched MAP_NORESERVE page");
	if (write(p[1], r + huge / 8, 4) != 4 || read(p[0], z, 4) != 4 || memcmp(z, "\0\0\0\0", 4))
		FAIL("write() from an untouched MAP_NORESERVE page");
	pid_t pid = fork();
	if (pid == 0) {
		if (r[huge / 2] != 0x42)
			_exit(6);
		r[huge / 2] = 0x43;
		r[huge / 3] = 1;
		_exit(0);
	}
	int st;
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		FAIL("a child did not see its parent's MAP_NORESERVE page");
	if (r[huge / 2] != 0x42 || r[huge / 3] != 0)
		FAIL("a child's writes reached its parent's MAP_NORESERVE pages");
	if (madvise(r + huge / 2, 4096, MADV_DONTNEED) != 0 || r[huge / 2] != 0)
		FAIL("MADV_DONTNEED of a MAP_NORESERVE page: not zero again");
	/* A PROT_NONE reservation: touching it faults; committed pages read zero. */
	unsigned char *res =
	    mmap(0, 1 << 30, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (res == MAP_FAILED || !faults_on(res + 12345, 0))
		FAIL("a PROT_NONE reservation was read");
	if (mprotect(res, 1 << 20, PROT_READ | PROT_WRITE) != 0 || res[12345] != 0)
		FAIL("a committed part of a reservation");
	res[0] = 7;
	/* A read-only one: a call cannot write into it (EFAULT), nor can the program. */
	unsigned char *ro =
	    mmap(0, 1 << 20, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ro == MAP_FAILED || write(p[1], "xy", 2) != 2 || read(p[0], ro + 8192, 2) != -1 ||
	    errno != EFAULT || ro[8192] != 0 || !faults_on(ro + 4096, 1))
		FAIL("a read-only MAP_NORESERVE page was written");
	if (munmap(r, huge) != 0 || munmap(res, 1 << 30) != 0 || munmap(ro, 1 << 20) != 0)
		FAIL("munmap of MAP_NORESERVE mappings");
	return 0;
}

int main(void)
{
	struct sigaction sa = {.sa_sigaction = handler, .sa_flags = SA_SIGINFO | SA_NODEFER};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	unsigned char *a = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED)
		FAIL("mmap");
	a[0] = 0x55;
	a[4096] = 0x66;
	if (mprotect(a, 4096, PROT_READ) != 0 || !faults_on(a, 1) || a[0] != 0x55)
		FAIL("a read-only page took a write");
	if (mprotect(a, 4096, PROT_NONE) != 0 || !faults_on(a, 0))
		FAIL("a PROT_NONE page was read");
	if (mprotect(a, 4096, PROT_READ | PROT_WRITE) != 0 || a[0] != 0x55)
		FAIL("PROT_NONE lost the contents");
	if (munmap(a + 4096, 4096) != 0 || !faults_on(a + 4096, 0))
		FAIL("an unmapped page was read");
	/* A page moved away: a new mapping in its place reads zero. */
	unsigned char *m = mmap(0, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(m, 0x77, 1 << 20);
	unsigned char *moved = mremap(m, 1 << 20, 32 << 20, MREMAP_MAYMOVE);
	if (moved == MAP_FAILED || moved[(1 << 20) - 1] != 0x77)
		FAIL("mremap lost the contents");
	if (moved != m) {
		unsigned char *again =
		    mmap(m, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		for (int i = 0; i < (1 << 20); i += 4096)
			if (again[i + 12])
				FAIL("a new mapping shows a moved page's old contents");
	}
	munmap(moved, 32 << 20);
	/* MAP_SHARED anonymous: one page, seen through a second mapping's write. */
	unsigned char *s = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	s[0] = 9;
	if (s[0] != 9)
		FAIL("shared page");
	/* MADV_DONTNEED: private pages read zero again, in this process only:
	 * a child still sharing them (copy-on-write) keeps their contents. */
	unsigned char *d = mmap(0, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(d, 0x44, 3 * 4096);
	int go[2];
	if (d == MAP_FAILED || pipe(go) != 0)
		FAIL("mmap/pipe");
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		_exit(read(go[0], &c, 1) == 1 && d[0] == 0x44 && d[4096 + 7] == 0x44 ? 0 : 1);
	}
	if (madvise(d, 2 * 4096, MADV_DONTNEED) != 0 || d[0] || d[4096 + 7] || d[8192] != 0x44)
		FAIL("MADV_DONTNEED: shared copy-on-write pages did not read zero");
	d[0] = 3;
	int st;
	if (d[0] != 3 || write(go[1], "g", 1) != 1 || waitpid(pid, &st, 0) != pid || st != 0)
		FAIL("MADV_DONTNEED zeroed a page a child still shares");
	/* The child is gone: the last page is this process's own now. */
	if (madvise(d + 8192, 4096, MADV_DONTNEED) != 0 || d[8192] || d[8192 + 4095])
		FAIL("MADV_DONTNEED: a page of its own did not read zero");
	d[8192] = 5;
	if (d[8192] != 5 || d[0] != 3)
		FAIL("MADV_DONTNEED: the pages took no writes after");
	/* Frames come back zeroed: an unmapped run, then a whole process's
	 * pages (more than the VMM zeroes in one batch, freed in address
	 * order, so the frames go back rising one round and falling the
	 * next), read zero in the next mapping that gets them. */
	for (int round = 0; round < 2; round++) {
		const size_t big = 24 << 20;
		pid = fork();
		if (pid == 0) {
			unsigned char *c = mmap(0, big, PROT_READ | PROT_WRITE,
						MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (c == MAP_FAILED)
				_exit(2);
			memset(c, 0x5A, big);
			if (munmap(c + big / 2, big / 2) != 0)
				_exit(3);
			unsigned char *again = mmap(0, big / 2, PROT_READ | PROT_WRITE,
						    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			for (size_t i = 0; again != MAP_FAILED && i < big / 2; i += 8)
				if (*(volatile unsigned long *)(again + i))
					_exit(4);
			_exit(again == MAP_FAILED ? 5 : 0);
		}
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			printf("FAIL: round %d: child exit %d (4: an unmapped page's frame was not "
			       "zeroed)\n",
			       round, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
			return 1;
		}
		unsigned char *fresh =
		    mmap(0, 2 * big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (fresh == MAP_FAILED)
			FAIL("mmap after a child ended");
		for (size_t i = 0; i < 2 * big; i += 8)
			if (*(volatile unsigned long *)(fresh + i)) {
				printf("FAIL: round %d: a page of an ended process was not zeroed "
				       "(offset %zu)\n",
				       round, i);
				return 1;
			}
		munmap(fresh, 2 * big);
	}
	if (noreserve() != 0)
		return 1;
	/* Low addresses are the program's too, above the runner's pages (96
	 * KiB): valgrind loads its client at 1 MiB. */
	unsigned char *low = mmap((void *)0x100000, 8192, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (low != (void *)0x100000 || (low[4096] = 9, low[4096] != 9) || munmap(low, 8192) != 0)
		FAIL("a mapping at 1 MiB");
	printf("mm ok (%d faults)\n", faults);
	return 0;
}
