/* --linux test program: pipes, poll/ppoll/select/pselect, fcntl flags, FIONREAD, EPIPE/SIGPIPE within one process, and a read that blocks until a forked child writes, whose registers come back as SYSCALL leaves them (modes: all, sigpipe). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lx_checkline.h"

static volatile int pipe_signals;

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void on_pipe(int sig)
{
	pipe_signals++;
}

static void basic(void)
{
	int p[2], n = -1;
	char buf[64];
	CHECK(pipe(p) == 0, "pipe");
	CHECK(write(p[1], "hello", 5) == 5, "write 5");
	CHECK(ioctl(p[0], FIONREAD, &n) == 0 && n == 5, "FIONREAD read end = %d", n);
	CHECK(ioctl(p[1], FIONREAD, &n) == 0 && n == 5, "FIONREAD write end = %d", n);
	CHECK(read(p[0], buf, 3) == 3 && memcmp(buf, "hel", 3) == 0, "read 3");
	CHECK(read(p[0], buf, sizeof(buf)) == 2 && memcmp(buf, "lo", 2) == 0, "read rest");
	CHECK(lseek(p[0], 0, SEEK_SET) == -1 && errno == ESPIPE, "lseek ESPIPE");
	CHECK(pread(p[0], buf, 1, 0) == -1 && errno == ESPIPE, "pread ESPIPE");
	CHECK(read(p[1], buf, 1) == -1 && errno == EBADF, "read of the write end EBADF");
	CHECK(write(p[0], "x", 1) == -1 && errno == EBADF, "write to the read end EBADF");
	struct stat st;
	CHECK(fstat(p[0], &st) == 0 && S_ISFIFO(st.st_mode), "fstat: a FIFO");
	/* dup shares the end: EOF only once every write end is closed */
	int d = fcntl(p[1], F_DUPFD_CLOEXEC, 10);
	CHECK(d >= 10 && fcntl(d, F_GETFD) == FD_CLOEXEC, "F_DUPFD_CLOEXEC -> %d", d);
	close(p[1]);
	CHECK(write(d, "z", 1) == 1, "write through the dup");
	CHECK(read(p[0], buf, sizeof(buf)) == 1 && buf[0] == 'z', "read from the dup's write");
	close(d);
	CHECK(read(p[0], buf, sizeof(buf)) == 0, "EOF once every write end is closed");
	struct pollfd pf = {.fd = p[0], .events = POLLIN};
	CHECK(poll(&pf, 1, 0) == 1 && (pf.revents & POLLHUP), "POLLHUP without writers: %x",
	      pf.revents);
	close(p[0]);
}

static void nonblocking(void)
{
	int p[2];
	char buf[4096];
	memset(buf, 'a', sizeof(buf));
	CHECK(pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0, "pipe2");
	CHECK(fcntl(p[0], F_GETFD) == FD_CLOEXEC && fcntl(p[1], F_GETFD) == FD_CLOEXEC,
	      "pipe2 O_CLOEXEC");
	CHECK((fcntl(p[0], F_GETFL) & (O_NONBLOCK | O_ACCMODE)) == (O_NONBLOCK | O_RDONLY),
	      "F_GETFL read end %x", fcntl(p[0], F_GETFL));
	CHECK((fcntl(p[1], F_GETFL) & O_ACCMODE) == O_WRONLY, "F_GETFL write end");
	CHECK(read(p[0], buf, 1) == -1 && errno == EAGAIN, "empty non-blocking read EAGAIN");
	long total = 0, n;
	while ((n = write(p[1], buf, sizeof(buf))) > 0)
		total += n;
	CHECK(n == -1 && errno == EAGAIN, "full pipe EAGAIN");
	CHECK(total == 65536, "a pipe holds 64 KiB, held %ld", total);
	CHECK(write(p[1], buf, 1) == -1 && errno == EAGAIN, "one more byte EAGAIN");
	struct pollfd pf[2] = {{.fd = p[1], .events = POLLOUT}, {.fd = p[0], .events = POLLIN}};
	CHECK(poll(pf, 2, 0) == 1 && pf[0].revents == 0 && (pf[1].revents & POLLIN),
	      "full: not writable, readable");
	CHECK(read(p[0], buf, 100) == 100, "read 100");
	/* 100 bytes of room: a PIPE_BUF write is all or nothing, a larger one partial */
	CHECK(write(p[1], buf, 200) == -1 && errno == EAGAIN, "200 bytes into 100: EAGAIN");
	CHECK(read(p[0], buf, 4000) == 4000, "read 4000");
	static char big[100000];
	n = write(p[1], big, sizeof(big));
	CHECK(n >= 4096 && n <= 4100, "a large non-blocking write is partial: %ld", n);
	CHECK(poll(pf, 1, 0) == 0, "full again");
	/* F_SETFL clears O_NONBLOCK */
	CHECK(fcntl(p[0], F_SETFL, 0) == 0 && !(fcntl(p[0], F_GETFL) & O_NONBLOCK), "F_SETFL");
	int queued = 0;
	CHECK(ioctl(p[0], FIONREAD, &queued) == 0 && queued > 60000, "FIONREAD %d", queued);
	CHECK(read(p[0], big, sizeof(big)) == queued, "a read drains it all");
	CHECK(fcntl(p[0], F_SETFL, O_NONBLOCK) == 0 && (fcntl(p[0], F_GETFL) & O_NONBLOCK),
	      "F_SETFL O_NONBLOCK");
	close(p[0]);
	close(p[1]);
	if (pipe2(p, O_DIRECT) == 0) { /* packet mode: Linux has it, lockvm answers EINVAL */
		close(p[0]);
		close(p[1]);
	} else {
		CHECK(errno == EINVAL, "O_DIRECT EINVAL");
	}
	CHECK(pipe2(p, 0x40000000) == -1 && errno == EINVAL, "unknown flag EINVAL");
	int lowest = dup(0);
	close(lowest);
	CHECK(syscall(SYS_pipe, (void *)8) == -1 && errno == EFAULT, "pipe(bad) EFAULT");
	CHECK(dup(0) == lowest, "no fd left behind by a failed pipe");
	close(lowest);
}

static void epipe(void)
{
	int p[2];
	signal(SIGPIPE, SIG_IGN);
	CHECK(pipe(p) == 0, "pipe");
	close(p[0]);
	CHECK(write(p[1], "x", 1) == -1 && errno == EPIPE, "EPIPE with SIGPIPE ignored");
	struct pollfd pf = {.fd = p[1], .events = POLLOUT};
	CHECK(poll(&pf, 1, 0) == 1 && (pf.revents & POLLERR), "POLLERR without readers");
	signal(SIGPIPE, on_pipe);
	errno = 0;
	CHECK(write(p[1], "x", 1) == -1 && errno == EPIPE, "EPIPE after the handler");
	CHECK(pipe_signals == 1, "SIGPIPE handler ran %d times", pipe_signals);
	close(p[1]);
}

static void waiting(void)
{
	int p[2];
	CHECK(pipe(p) == 0, "pipe");
	struct pollfd pf[3] = {{.fd = p[0], .events = POLLIN}, {.fd = -1, .events = POLLIN},
			       {.fd = 60, .events = POLLIN}};
	double t0 = now_ms();
	int n = poll(pf, 2, 150);
	double dt = now_ms() - t0;
	CHECK(n == 0 && dt >= 140, "poll timed out after %.0f ms, n=%d", dt, n);
	CHECK(poll(pf, 3, 0) == 1 && pf[2].revents == POLLNVAL && pf[1].revents == 0,
	      "POLLNVAL for a closed fd, nothing for fd -1");
	CHECK(write(p[1], "q", 1) == 1, "write");
	CHECK(poll(pf, 2, -1) == 1 && pf[0].revents == POLLIN, "readable");
	struct timespec ts = {0, 1000};
	sigset_t mask;
	sigemptyset(&mask);
	CHECK(ppoll(pf, 1, &ts, &mask) == 1, "ppoll");
	CHECK(syscall(SYS_ppoll, pf, 1, &ts, &mask, 4) == -1 && errno == EINVAL,
	      "ppoll sigsetsize 4 EINVAL");
	CHECK(syscall(SYS_poll, pf, 100000, 0) == -1 && errno == EINVAL,
	      "nfds over RLIMIT_NOFILE EINVAL");
	CHECK(syscall(SYS_poll, (void *)8, 1, 0) == -1 && errno == EFAULT, "poll(bad) EFAULT");

	fd_set r, w;
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(p[0], &r);
	FD_SET(p[1], &w);
	struct timeval tv = {1, 0};
	CHECK(select(p[1] + 1, &r, &w, NULL, &tv) == 2 && FD_ISSET(p[0], &r) && FD_ISSET(p[1], &w),
	      "select: readable and writable");
	char c;
	CHECK(read(p[0], &c, 1) == 1, "drain");
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	tv = (struct timeval){0, 80000};
	t0 = now_ms();
	n = syscall(SYS_select, p[0] + 1, &r, NULL, NULL, &tv); /* musl's select keeps tv */
	dt = now_ms() - t0;
	CHECK(n == 0 && !FD_ISSET(p[0], &r) && dt >= 70 && tv.tv_sec == 0 && tv.tv_usec == 0,
	      "select timed out after %.0f ms, n=%d, left %ld us", dt, n, (long)tv.tv_usec);
	FD_ZERO(&r);
	FD_SET(50, &r);
	CHECK(select(51, &r, NULL, NULL, NULL) == -1 && errno == EBADF, "select of a closed fd");
	CHECK(select(-1, NULL, NULL, NULL, NULL) == -1 && errno == EINVAL, "select nfds -1");
	FD_ZERO(&w);
	FD_SET(p[1], &w);
	ts = (struct timespec){0, 0};
	CHECK(pselect(p[1] + 1, NULL, &w, NULL, &ts, &mask) == 1, "pselect");
	close(p[0]);
	close(p[1]);
	/* files are always ready, the runner's stdout is writable */
	pf[0] = (struct pollfd){.fd = 1, .events = POLLOUT};
	CHECK(poll(pf, 1, 0) == 1 && pf[0].revents == POLLOUT, "stdout writable");
}

/*
 * read(2) of one byte made with SYSCALL itself, every other register set to
 * a known value (two are left to the compiler): as Linux, the call returns after the SYSCALL with rax the
 * result, rcx the address it returns to, r11 the flags, the rest unchanged.
 * Returns the number of registers that came back wrong.
 */
static int read_with_registers(int fd, char *buf)
{
	register uint64_t r8 asm("r8") = 0x0808080808080808ULL;
	register uint64_t r9 asm("r9") = 0x0909090909090909ULL;
	register uint64_t r10 asm("r10") = 0x1010101010101010ULL;
	register uint64_t r12 asm("r12") = 0x1212121212121212ULL;
	register uint64_t r13 asm("r13") = 0x1313131313131313ULL;
	register uint64_t r11 asm("r11");
	uint64_t rax = SYS_read, rbx = 0x0b0b0b0b0b0b0b0bULL, rcx, rdx = 1, flags, back;
	uint64_t rdi = (uint64_t)fd, rsi = (uint64_t)(uintptr_t)buf;
	asm volatile("lea 1f(%%rip), %[back]\n\t"
		     "pushfq\n\t"
		     "popq %[flags]\n\t"
		     "syscall\n"
		     "1:"
		     : "+a"(rax), "=c"(rcx), "=r"(r11), [back] "=&r"(back), [flags] "=&r"(flags),
		       "+b"(rbx), "+d"(rdx), "+D"(rdi), "+S"(rsi), "+r"(r8), "+r"(r9), "+r"(r10),
		       "+r"(r12), "+r"(r13)
		     :
		     : "memory", "cc");
	int bad = 0;
	CHECK(rax == 1, "blocked read: rax %#lx, not 1", (unsigned long)rax);
	CHECK(rcx == back, "rcx %#lx, not the return address %#lx", (unsigned long)rcx,
	      (unsigned long)back);
	CHECK((r11 & 0xCD5) == (flags & 0xCD5), "r11 %#lx, not the flags %#lx", (unsigned long)r11,
	      (unsigned long)flags);
	bad += rax != 1 || rcx != back || (r11 & 0xCD5) != (flags & 0xCD5);
	bad += rbx != 0x0b0b0b0b0b0b0b0bULL || rdx != 1 || rdi != (uint64_t)fd ||
	       rsi != (uint64_t)(uintptr_t)buf;
	bad += r8 != 0x0808080808080808ULL || r9 != 0x0909090909090909ULL ||
	       r10 != 0x1010101010101010ULL || r12 != 0x1212121212121212ULL;
	bad += r13 != 0x1313131313131313ULL;
	return bad;
}

/* The parent's read blocks; the child writes, then blocks itself, so the
 * parent's call is tried again (served by the VMM right at the switch). */
static void retried_read(void)
{
	int data[2], done[2];
	char c = 0;
	CHECK(pipe(data) == 0 && pipe(done) == 0, "pipes");
	pid_t pid = fork();
	if (pid == 0) {
		char d;
		_exit(write(data[1], "r", 1) == 1 && read(done[0], &d, 1) == 1 ? 0 : 1);
	}
	int bad = read_with_registers(data[0], &c);
	CHECK(bad == 0 && c == 'r', "a read woken by a child: %d registers wrong, byte %d", bad, c);
	int st = -1;
	CHECK(write(done[1], "d", 1) == 1 && waitpid(pid, &st, 0) == pid && st == 0,
	      "the child: status %#x", st);
	close(data[0]);
	close(data[1]);
	close(done[0]);
	close(done[1]);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "all";
	if (strcmp(mode, "sigpipe") == 0) {
		int p[2];
		if (pipe(p) != 0)
			return 2;
		close(p[0]);
		printf("writing to a pipe without readers\n");
		fflush(stdout);
		(void)!write(p[1], "x", 1);
		printf("still alive?\n");
		return 3;
	}
	basic();
	nonblocking();
	epipe();
	waiting();
	for (int i = 0; i < 3; i++)
		retried_read();
	if (failures)
		return 1;
	printf("pipes and poll ok\n");
	return 0;
}
