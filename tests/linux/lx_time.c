/* --linux test program: clocks, sleeping and random bytes. */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/time.h>
#include <time.h>

int main(void)
{
	struct timespec a, b, rt;
	clock_gettime(CLOCK_MONOTONIC, &a);
	struct timespec req = {0, 50 * 1000 * 1000};
	nanosleep(&req, NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	/* time() reads the coarse clock (Linux's time(2) returns the seconds of
	 * the last tick), so it may lag a CLOCK_REALTIME read just before it
	 * across a second boundary; it is never ahead of one read after it. */
	struct timespec rt_after;
	clock_gettime(CLOCK_REALTIME, &rt);
	struct timeval tv;
	gettimeofday(&tv, NULL);
	time_t t = time(NULL);
	clock_gettime(CLOCK_REALTIME, &rt_after);
	unsigned char r1[32], r2[32];
	getrandom(r1, sizeof(r1), 0);
	getrandom(r2, sizeof(r2), 0);
	int ok_sleep = ms >= 50 && ms < 2000;
	int ok_wall = rt.tv_sec > 1600000000 && tv.tv_sec >= rt.tv_sec &&
		      tv.tv_sec <= rt_after.tv_sec && t >= rt.tv_sec - 1 && t <= rt_after.tv_sec;
	int ok_random = memcmp(r1, r2, sizeof(r1)) != 0;
	printf("sleep %s, wall clock %s, random %s\n", ok_sleep ? "ok" : "BAD", ok_wall ? "ok" : "BAD",
	       ok_random ? "ok" : "BAD");
	return ok_sleep && ok_wall && ok_random ? 0 : 1;
}
