/* --linux test program: epoll over pipes, a unix socketpair, eventfd and nested sets (LT, ET, ONESHOT, fork, close), eventfd counters; hostile ctl and wait arguments. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lx_checkline.h"


static int add(int ep, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = {.events = events, .data.u64 = data};
	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

/* epoll_wait without the libc wrapper's checks of the array. */
static long wait_raw(int ep, void *events, long maxevents)
{
	return syscall(SYS_epoll_wait, ep, events, maxevents, 0);
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void pipes_lt_et(void)
{
	int p[2], q[2], ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event out[4];
	char buf[16];
	CHECK(ep >= 0 && fcntl(ep, F_GETFD) == FD_CLOEXEC, "epoll_create1(EPOLL_CLOEXEC)");
	CHECK(pipe(p) == 0 && pipe(q) == 0, "pipes");
	CHECK(add(ep, p[0], EPOLLIN, 1) == 0, "add LT");
	CHECK(add(ep, q[0], EPOLLIN | EPOLLET, 2) == 0, "add ET");
	CHECK(epoll_wait(ep, out, 4, 0) == 0, "nothing ready");
	double t0 = now_ms();
	CHECK(epoll_wait(ep, out, 4, 100) == 0 && now_ms() - t0 >= 90, "timeout waits 100 ms");
	CHECK(write(p[1], "a", 1) == 1 && write(q[1], "b", 1) == 1, "writes");
	int n = epoll_wait(ep, out, 4, -1);
	CHECK(n == 2, "both ready: %d", n);
	n = epoll_wait(ep, out, 4, 0);
	CHECK(n == 1 && out[0].data.u64 == 1 && out[0].events == EPOLLIN,
	      "LT again, ET not: n=%d data=%llu", n, (unsigned long long)out[0].data.u64);
	CHECK(write(q[1], "c", 1) == 1, "more into the ET pipe");
	n = epoll_wait(ep, out, 4, 0);
	CHECK(n == 2, "new data re-arms ET: %d", n);
	CHECK(read(q[0], buf, sizeof(buf)) == 2 && read(p[0], buf, sizeof(buf)) == 1, "drain");
	CHECK(epoll_wait(ep, out, 4, 0) == 0, "drained: none");
	/* the write end closed: EPOLLHUP without asking */
	close(p[1]);
	n = epoll_wait(ep, out, 4, 0);
	CHECK(n == 1 && out[0].events == EPOLLHUP, "HUP: n=%d ev=%#x", n, out[0].events);
	/* closing the last fd of a description leaves the set */
	close(p[0]);
	CHECK(epoll_wait(ep, out, 4, 0) == 0, "closed fd left the set");
	CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL) == -1 && errno == EBADF, "DEL of closed");
	/* a dup keeps the description (and the item) alive */
	int d = dup(q[0]);
	close(q[0]);
	CHECK(write(q[1], "d", 1) == 1, "write");
	n = epoll_wait(ep, out, 4, 0);
	CHECK(n == 1 && out[0].data.u64 == 2, "a dup keeps the item: %d", n);
	close(d);
	close(q[1]);
	close(ep);
}

static void oneshot_ctl(void)
{
	int p[2], ep = epoll_create(1);
	struct epoll_event out[2], ev = {.events = EPOLLIN};
	CHECK(pipe(p) == 0 && write(p[1], "x", 1) == 1, "pipe");
	CHECK(add(ep, p[0], EPOLLIN | EPOLLONESHOT, 7) == 0, "add ONESHOT");
	CHECK(add(ep, p[0], EPOLLIN, 7) == -1 && errno == EEXIST, "EEXIST");
	CHECK(epoll_wait(ep, out, 2, 0) == 1, "one shot");
	CHECK(epoll_wait(ep, out, 2, 0) == 0, "then disabled");
	ev.events = EPOLLIN | EPOLLONESHOT;
	ev.data.u64 = 8;
	CHECK(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev) == 0, "MOD re-arms");
	CHECK(epoll_wait(ep, out, 2, 0) == 1 && out[0].data.u64 == 8, "again after MOD");
	CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL) == 0, "DEL");
	CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL) == -1 && errno == ENOENT, "ENOENT");
	CHECK(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev) == -1 && errno == ENOENT, "MOD ENOENT");
	CHECK(epoll_ctl(ep, 99, p[0], &ev) == -1 && errno == EINVAL, "bad op");
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev) == -1 && errno == EINVAL, "itself");
	CHECK(epoll_ctl(p[0], EPOLL_CTL_ADD, p[1], &ev) == -1 && errno == EINVAL, "not epoll");
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) == 0, "EPOLLEXCLUSIVE accepted");
	CHECK(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev) == -1 && errno == EINVAL, "EXCL MOD");
	int f = open("/proc/self/exe", O_RDONLY);
	if (f < 0)
		f = open("/", O_RDONLY | O_DIRECTORY);
	CHECK(f >= 0 && add(ep, f, EPOLLIN, 0) == -1 && errno == EPERM, "regular file EPERM");
	CHECK(syscall(SYS_epoll_create, 0) == -1 && errno == EINVAL, "epoll_create(0)");
	CHECK(epoll_create1(1) == -1 && errno == EINVAL, "epoll_create1(1)");
	close(f);
	close(p[0]);
	close(p[1]);
	close(ep);
}

static void sockets_nested(void)
{
	int sv[2], ep = epoll_create1(0), outer = epoll_create1(0);
	struct epoll_event out[2];
	char buf[8];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	CHECK(add(ep, sv[0], EPOLLIN | EPOLLRDHUP, 1) == 0, "add socket");
	CHECK(add(outer, ep, EPOLLIN, 9) == 0, "a set in a set");
	CHECK(add(ep, outer, EPOLLIN, 0) == -1 && errno == ELOOP, "a cycle: ELOOP");
	CHECK(epoll_wait(outer, out, 2, 0) == 0, "outer: nothing");
	struct pollfd pfd = {.fd = ep, .events = POLLIN};
	CHECK(poll(&pfd, 1, 0) == 0, "poll on an idle set");
	CHECK(write(sv[1], "hi", 2) == 2, "send");
	CHECK(poll(&pfd, 1, 0) == 1 && pfd.revents == POLLIN, "poll sees the set ready");
	CHECK(epoll_wait(outer, out, 2, 0) == 1 && out[0].data.u64 == 9, "outer ready");
	CHECK(epoll_wait(ep, out, 2, 0) == 1 && out[0].events == EPOLLIN, "inner: IN");
	CHECK(read(sv[0], buf, sizeof(buf)) == 2, "recv");
	shutdown(sv[1], SHUT_WR);
	int n = epoll_wait(ep, out, 2, 0);
	CHECK(n == 1 && (out[0].events & EPOLLRDHUP), "RDHUP: n=%d ev=%#x", n, out[0].events);
	/* hostile waits */
	CHECK(wait_raw(ep, out, 0) == -1 && errno == EINVAL, "maxevents 0");
	CHECK(wait_raw(ep, out, -1) == -1 && errno == EINVAL, "maxevents -1");
	CHECK(wait_raw(ep, out, 0x7fffffff) == -1 && errno == EINVAL, "maxevents INT_MAX");
	static struct epoll_event low[2]; /* in .bss: 2 GiB above it is still user space */
	CHECK(wait_raw(ep, low, 0x7fffffff / 12) == 1, "huge maxevents, one event: 1");
	CHECK(wait_raw(ep, (void *)0x7fff00000000, 0x7fffffff / 12) == -1 && errno == EFAULT,
	      "huge maxevents at an unmapped array: EFAULT");
	CHECK(wait_raw(ep, (void *)0x7ffffffff000 - 24, 4) == -1 && errno == EFAULT,
	      "an array past user space: EFAULT");
	CHECK(wait_raw(ep, (void *)8, 1) == -1 && errno == EFAULT, "bad array");
	CHECK(epoll_wait(sv[0], out, 1, 0) == -1 && errno == EINVAL, "not a set");
	CHECK(epoll_wait(99, out, 1, 0) == -1 && errno == EBADF, "EBADF");
	/* a chain of sets deeper than Linux allows */
	int chain[7];
	chain[0] = epoll_create1(0);
	int deep = 0;
	for (int i = 1; i < 7; i++) {
		chain[i] = epoll_create1(0);
		if (add(chain[i], chain[i - 1], EPOLLIN, 0) < 0) {
			CHECK(errno == ELOOP, "too deep: ELOOP");
			deep = i;
			break;
		}
	}
	CHECK(deep >= 4 && deep <= 6, "nesting stops at depth %d", deep);
	for (int i = 0; i <= deep; i++)
		close(chain[i]);
	close(sv[0]);
	close(sv[1]);
	close(outer);
	close(ep);
}

static void across_fork(void)
{
	int p[2], ep = epoll_create1(0);
	struct epoll_event out[2];
	CHECK(pipe(p) == 0 && add(ep, p[0], EPOLLIN, 5) == 0, "setup");
	pid_t pid = fork();
	if (pid == 0) {
		/* the child shares the set: its wait sees the parent's write */
		int n = epoll_wait(ep, out, 2, 5000);
		_exit(n == 1 && out[0].data.u64 == 5 ? 0 : 1);
	}
	usleep(50000);
	CHECK(write(p[1], "z", 1) == 1, "parent writes");
	int st = -1;
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "child woke on the shared set: %#x", st);
	/* a set the child filled is the parent's too */
	int q[2];
	CHECK(pipe(q) == 0, "pipe");
	pid = fork();
	if (pid == 0)
		_exit(add(ep, q[0], EPOLLIN, 6) == 0 ? 0 : 1);
	CHECK(waitpid(pid, &st, 0) == pid && st == 0, "child adds");
	CHECK(write(q[1], "y", 1) == 1 && epoll_wait(ep, out, 2, 0) == 2, "both seen");
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
	close(ep);
}

static void eventfds(void)
{
	uint64_t v;
	int e = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC);
	CHECK(e >= 0 && fcntl(e, F_GETFD) == FD_CLOEXEC, "eventfd");
	for (int i = 0; i < 3; i++)
		CHECK(read(e, &v, 8) == 8 && v == 1, "semaphore read %d", i);
	CHECK(read(e, &v, 8) == -1 && errno == EAGAIN, "empty: EAGAIN");
	CHECK(read(e, &v, 4) == -1 && errno == EINVAL, "short read: EINVAL");
	v = UINT64_MAX;
	CHECK(write(e, &v, 8) == -1 && errno == EINVAL, "UINT64_MAX: EINVAL");
	v = UINT64_MAX - 1;
	CHECK(write(e, &v, 8) == 8, "fill to the top");
	v = 1;
	CHECK(write(e, &v, 8) == -1 && errno == EAGAIN, "full: EAGAIN");
	close(e);
	e = syscall(SYS_eventfd2, 0, 0);
	int ep = epoll_create1(0);
	struct epoll_event out[1];
	CHECK(add(ep, e, EPOLLIN | EPOLLET, 1) == 0, "add eventfd");
	pid_t pid = fork();
	if (pid == 0) {
		usleep(50000);
		v = 5;
		_exit(write(e, &v, 8) == 8 ? 0 : 1);
	}
	CHECK(epoll_wait(ep, out, 1, 5000) == 1, "woken by the child's write");
	v = 2;
	CHECK(write(e, &v, 8) == 8 && epoll_wait(ep, out, 1, 0) == 1, "ET: a write re-arms");
	CHECK(read(e, &v, 8) == 8 && v == 7, "counter read whole: %llu", (unsigned long long)v);
	int st;
	waitpid(pid, &st, 0);
	/* a blocking read waits for another task's write */
	pid = fork();
	if (pid == 0) {
		usleep(50000);
		v = 9;
		_exit(write(e, &v, 8) == 8 ? 0 : 1);
	}
	CHECK(read(e, &v, 8) == 8 && v == 9, "blocking read");
	waitpid(pid, &st, 0);
	close(ep);
	close(e);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	pipes_lt_et();
	oneshot_ctl();
	sockets_nested();
	across_fork();
	eventfds();
	if (failures) {
		printf("%d failures\n", failures);
		return 1;
	}
	printf("epoll ok\n");
	return 0;
}
