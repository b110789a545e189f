/* --linux test program: N signals sent to itself (tgkill) and handled (rt_sigreturn), and N getppid() calls; prints the mean cost of each in ns (a delivery is two calls: the send and the return). */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t handled;

static void on_usr1(int sig)
{
	handled++;
}

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 10000;
	struct sigaction sa = {.sa_handler = on_usr1};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	pid_t pid = getpid(), tid = (pid_t)syscall(SYS_gettid);
	double a = now_ns();
	for (long i = 0; i < n; i++)
		syscall(SYS_tgkill, pid, tid, SIGUSR1);
	double b = now_ns();
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	double c = now_ns();
	if (handled != n) {
		printf("handled %d of %ld\n", (int)handled, n);
		return 1;
	}
	printf("signal_ns %.0f\ngetppid_ns %.0f\n", n > 0 ? (b - a) / (double)n : 0.0,
	       n > 0 ? (c - b) / (double)n : 0.0);
	return 0;
}
