/* --linux bench program: pthread_create+pthread_join N times, then N futex round trips between two threads (each waits for its turn on one word and wakes the other); prints microseconds per create+join and per round trip. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define FUTEX_WAIT_PRIVATE 128
#define FUTEX_WAKE_PRIVATE 129

static volatile uint32_t turn; /* 0: main's turn, 1: the partner's */
static long rounds;

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void *nothing(void *arg)
{
	return arg;
}

/* Waits until turn is mine, then hands it over and wakes the other. */
static void play(uint32_t mine)
{
	while (__atomic_load_n(&turn, __ATOMIC_ACQUIRE) != mine)
		syscall(SYS_futex, &turn, FUTEX_WAIT_PRIVATE, !mine, NULL, NULL, 0);
	__atomic_store_n(&turn, !mine, __ATOMIC_RELEASE);
	syscall(SYS_futex, &turn, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void *partner(void *arg)
{
	for (long i = 0; i < rounds; i++)
		play(1);
	return NULL;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000;
	double t0 = now_us();
	for (long i = 0; i < n; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, nothing, NULL) != 0 || pthread_join(t, NULL) != 0) {
			perror("pthread_create/join");
			return 1;
		}
	}
	double t1 = now_us();
	rounds = n;
	pthread_t t;
	if (pthread_create(&t, NULL, partner, NULL) != 0)
		return 1;
	for (long i = 0; i < n; i++)
		play(0);
	pthread_join(t, NULL);
	double t2 = now_us();
	printf("thread_create_join_us %.2f\n", (t1 - t0) / (double)n);
	printf("futex_pingpong_us %.2f\n", (t2 - t1) / (double)n);
	return 0;
}
