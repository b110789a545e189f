/* Benchmark (bench/run.sh linux-epoll): N round trips of one byte between two processes over a pipe pair, each side waiting in epoll_wait before it reads; prints the time per round trip. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Waits for in to be readable through ep and takes its byte; then sends one on out (if >= 0). */
static int hop(int ep, int in, int out)
{
	struct epoll_event ev;
	char c;
	if (epoll_wait(ep, &ev, 1, -1) != 1 || read(in, &c, 1) != 1)
		return -1;
	return out < 0 || write(out, &c, 1) == 1 ? 0 : -1;
}

static int watch(int fd)
{
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN};
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -1;
	return ep;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 10000;
	int there[2], back[2];
	if (n <= 0 || pipe(there) < 0 || pipe(back) < 0)
		return 1;
	pid_t pid = fork();
	if (pid == 0) {
		int ep = watch(there[0]);
		for (long i = 0; i < n; i++)
			if (ep < 0 || hop(ep, there[0], back[1]) < 0)
				_exit(1);
		_exit(0);
	}
	int ep = watch(back[0]);
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++)
		if (ep < 0 || write(there[1], "x", 1) != 1 || hop(ep, back[0], -1) < 0)
			return 1;
	clock_gettime(CLOCK_MONOTONIC, &b);
	int st;
	if (waitpid(pid, &st, 0) != pid || st != 0)
		return 1;
	double ns = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / (double)n;
	printf("epoll_rtt_ns %.0f\n", ns);
	return 0;
}
