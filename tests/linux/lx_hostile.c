/* --linux test program: hostile system calls; each must fail with the errno Linux gives, and the VMM must survive. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static int failures;

static void expect(const char *what, long rc, int want)
{
	int got = rc < 0 ? errno : 0;
	if (rc >= 0 && want == 0) {
		printf("ok %s\n", what);
	} else if (rc < 0 && got == want) {
		printf("ok %s: %s\n", what, strerror(got));
	} else {
		printf("FAILED %s: rc=%ld errno=%d, want %d\n", what, rc, got, want);
		failures++;
	}
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	static char buf[4096];
	char *runner_page = (char *)0x1000;   /* descriptor tables: the runner's */
	char *idt = (char *)0x4000;
	char *unmapped = (char *)0x7ff00000;   /* past guest RAM */
	expect("read into a NULL buffer", syscall(SYS_read, 0, NULL, 16), EFAULT);
	expect("write from the runner's GDT page", syscall(SYS_write, 1, runner_page, 16), EFAULT);
	expect("write from the IDT page", syscall(SYS_write, 1, idt, 16), EFAULT);
	expect("write from beyond RAM", syscall(SYS_write, 1, unmapped, 16), EFAULT);
	expect("write with a length running off the mapping",
	       syscall(SYS_write, 1, buf, (size_t)1 << 40), EFAULT);
	expect("write with a wrapping address", syscall(SYS_write, 1, (char *)-16L, 64), EFAULT);
	expect("read with length -1", syscall(SYS_read, 0, buf, (size_t)-1), EFAULT);
	expect("fd 1000", syscall(SYS_write, 1000, buf, 1), EBADF);
	expect("fd -1", syscall(SYS_read, -1, buf, 1), EBADF);
	expect("close fd 63 (never opened)", syscall(SYS_close, 63), EBADF);
	expect("open ../../../../etc/passwd", open("../../../../etc/passwd", O_RDONLY), ENOENT);
	expect("open /../etc/shadow", open("/../etc/shadow", O_RDONLY), ENOENT);
	expect("open via symlink to /../../etc/passwd", open("/escape", O_RDONLY), ENOENT);
	expect("open via relative symlink ../../../../../etc/hostname", open("/data/up", O_RDONLY), ENOENT);
	expect("symlink loop", open("/loop", O_RDONLY), ELOOP);
	expect("readlink of the escape link", readlink("/escape", buf, sizeof(buf)), 0);
	expect("open for writing outside /tmp", open("/data/a.txt", O_WRONLY), EROFS);
	expect("create outside /tmp", open("/new", O_CREAT | O_WRONLY, 0644), EROFS);
	expect("mkdir outside /tmp", syscall(SYS_mkdir, "/newdir", 0755), EROFS);
	expect("unlink in the read-only tree", unlink("/data/a.txt"), EROFS);
	memset(buf, 'a', sizeof(buf));
	buf[sizeof(buf) - 1] = 0;
	expect("path longer than PATH_MAX", open(buf, O_RDONLY), ENAMETOOLONG);
	expect("path from a bad pointer", open((char *)0x10, O_RDONLY), EFAULT);
	expect("mmap MAP_FIXED over the runner's pages",
	       (long)mmap((void *)0x1000, 4096, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == -1 ? -1 : 0, ENOMEM);
	expect("mmap of 1 TiB", (long)mmap(NULL, 1ULL << 40, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
					   -1, 0) == -1 ? -1 : 0, ENOMEM);
	expect("mprotect of the runner's pages", mprotect((void *)0x1000, 4096, PROT_READ | PROT_WRITE), ENOMEM);
	expect("munmap of the runner's pages", munmap((void *)0x4000, 4096), EINVAL);
	/* The ring-0 stacks, above mmap_min_addr (64 KiB): still the runner's. */
	expect("mmap MAP_FIXED over a ring-0 stack",
	       (long)mmap((void *)0x10000, 4096, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == -1 ? -1 : 0, ENOMEM);
	expect("munmap of a ring-0 stack", munmap((void *)0x10000, 4096), EINVAL);
	expect("mmap of a bad fd", (long)mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 77, 0) == -1 ? -1 : 0, EBADF);
	expect("mremap of an unmapped range", (long)syscall(SYS_mremap, 0x7000000, 4096, 8192, 1) == -1 ? -1 : 0, EFAULT);
	void *cur = (void *)syscall(SYS_brk, 0);
	expect("brk to 1 TiB is refused", syscall(SYS_brk, 1ULL << 40) == (long)cur ? 0 : -1, 0);
	expect("unknown syscall 999", syscall(999), ENOSYS);
	expect("getcwd into a 1-byte buffer", syscall(SYS_getcwd, buf, 1), ERANGE);
	expect("clock_gettime into a bad pointer", syscall(SYS_clock_gettime, 0, (void *)0x10), EFAULT);
	expect("rt_sigaction from a bad pointer", syscall(SYS_rt_sigaction, 11, (void *)0x10, NULL, 8), EFAULT);
	expect("rt_sigaction of SIGKILL", syscall(SYS_rt_sigaction, 9, buf, NULL, 8), EINVAL);
	expect("readv with 100000 vectors", syscall(SYS_readv, 0, buf, 100000), EINVAL);
	expect("getdents64 on a file", syscall(SYS_getdents64, 1, buf, sizeof(buf)), ENOTDIR);
	expect("ioctl TCGETS on a non-terminal", syscall(SYS_ioctl, 1, 0x5401, buf), ENOTTY);
	expect("lseek on stdout", lseek(1, 0, SEEK_SET), ESPIPE);
	expect("futex wait on a changed word", syscall(SYS_futex, buf, 0, 12345, NULL), EAGAIN);
	expect("stdout still works", write(1, "", 0), 0);
	printf("%s\n", failures ? "SOME HOSTILE CALLS MISBEHAVED" : "all hostile calls refused");
	return failures ? 1 : 0;
}
