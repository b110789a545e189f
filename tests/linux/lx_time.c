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
	clock_gettime(CLOCK_REALTIME, &rt);
	struct timeval tv;
	gettimeofday(&tv, NULL);
	time_t t = time(NULL);
	unsigned char r1[32], r2[32];
	getrandom(r1, sizeof(r1), 0);
	getrandom(r2, sizeof(r2), 0);
	int ok_sleep = ms >= 50 && ms < 2000;
	int ok_wall = rt.tv_sec > 1600000000 && t >= rt.tv_sec && t - tv.tv_sec <= 1;
	int ok_random = memcmp(r1, r2, sizeof(r1)) != 0;
	printf("sleep %s, wall clock %s, random %s\n", ok_sleep ? "ok" : "BAD", ok_wall ? "ok" : "BAD",
	       ok_random ? "ok" : "BAD");
	return ok_sleep && ok_wall && ok_random ? 0 : 1;
}
