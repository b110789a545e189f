/* --linux test program: getrusage (SELF, CHILDREN, THREAD), wait4's rusage and times() report real CPU time (not time asleep) and ru_maxrss. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lx_checkline.h"


static double ms(struct timeval tv)
{
	return tv.tv_sec * 1e3 + tv.tv_usec / 1e3;
}

static double cpu_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Spins for n ms of the process's CPU clock, with few calls. */
static void spin(int n)
{
	double end = cpu_ms() + n;
	while (cpu_ms() < end)
		for (volatile int i = 0; i < 1000000; i++)
			;
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	struct rusage ru, ch;
	spin(300);
	for (int i = 0; i < 5000; i++)
		syscall(SYS_getppid);
	CHECK(getrusage(RUSAGE_SELF, &ru) == 0, "getrusage");
	CHECK(ms(ru.ru_utime) > 150, "a 300 ms busy loop is user time: %.1f ms", ms(ru.ru_utime));
	CHECK(ms(ru.ru_stime) > 0, "5000 calls are system time: %.3f ms", ms(ru.ru_stime));
	CHECK(ru.ru_maxrss > 0, "ru_maxrss %ld KiB", ru.ru_maxrss);
	/* A sleep is nobody's CPU time: the CPU spent before it stays user
	 * time, and the sleeping call adds no system time. */
	struct rusage r0;
	CHECK(getrusage(RUSAGE_SELF, &r0) == 0, "getrusage");
	spin(100);
	struct timespec nap = {0, 300 * 1000000L};
	CHECK(nanosleep(&nap, NULL) == 0, "nanosleep 300 ms");
	CHECK(getrusage(RUSAGE_SELF, &ru) == 0, "getrusage");
	CHECK(ms(ru.ru_utime) - ms(r0.ru_utime) > 50 && ms(ru.ru_stime) - ms(r0.ru_stime) < 50,
	      "100 ms busy, then 300 ms asleep: +%.1f ms user, +%.1f ms system",
	      ms(ru.ru_utime) - ms(r0.ru_utime), ms(ru.ru_stime) - ms(r0.ru_stime));
	long before = ru.ru_maxrss;
	char *big = malloc(16 << 20);
	memset(big, 1, 16 << 20);
	CHECK(getrusage(RUSAGE_THREAD, &ru) == 0 && ru.ru_maxrss >= before + 15000,
	      "16 MiB touched: ru_maxrss %ld -> %ld KiB", before, ru.ru_maxrss);
	free(big);
	struct tms t;
	CHECK(times(&t) != (clock_t)-1 && t.tms_utime >= 15, "times(): %ld user ticks",
	      (long)t.tms_utime);
	CHECK(getrusage(RUSAGE_CHILDREN, &ch) == 0 && ms(ch.ru_utime) == 0, "no children yet");
	pid_t pid = fork();
	if (pid == 0) {
		spin(200);
		_exit(0);
	}
	int st;
	CHECK(wait4(pid, &st, 0, &ru) == pid && ms(ru.ru_utime) > 100,
	      "wait4's rusage: the child's %.1f ms", ms(ru.ru_utime));
	CHECK(getrusage(RUSAGE_CHILDREN, &ch) == 0 && ms(ch.ru_utime) > 100 && ch.ru_maxrss > 0,
	      "RUSAGE_CHILDREN: %.1f ms, %ld KiB", ms(ch.ru_utime), ch.ru_maxrss);
	CHECK(times(&t) != (clock_t)-1 && t.tms_cutime >= 10, "times(): %ld child ticks",
	      (long)t.tms_cutime);
	CHECK(getrusage(5, &ru) == -1 && errno == EINVAL, "bad who: EINVAL");
	CHECK(getrusage(RUSAGE_SELF, (void *)8) == -1 && errno == EFAULT, "bad buffer: EFAULT");
	if (failures) {
		printf("%d failures\n", failures);
		return 1;
	}
	printf("rusage ok\n");
	return 0;
}
