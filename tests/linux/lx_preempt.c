/* --linux test program: preemption while pages fault — a spinning task keeps the VMM's time-slice kicks coming while a parent and child after child take copy-on-write faults; every page keeps its owner's bytes and no fault is delivered to another task or to the runner's stub. Argument: seconds (default 3). Prints "preempt ok: R rounds". */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lx_checkline.h"

#define PAGES 64
#define PAGE  4096

static char buf[PAGES * PAGE] __attribute__((aligned(PAGE)));

/* Integer stores through volatile, one word per page: each is a fault after
 * a fork, and none uses the SSE registers (not what this test is about). */
static void fill(uint64_t tag)
{
	for (unsigned i = 0; i < PAGES; i++)
		*(volatile uint64_t *)(buf + (size_t)i * PAGE) = tag + i;
}

static unsigned wrong(uint64_t tag)
{
	unsigned n = 0;
	for (unsigned i = 0; i < PAGES; i++)
		n += *(volatile uint64_t *)(buf + (size_t)i * PAGE) != tag + i;
	return n;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 3;
	pid_t spinner = fork();
	if (spinner == 0)
		for (;;) /* never calls: only a kick takes the vCPU from it */
			__asm__ volatile("" ::: "memory");
	CHECK(spinner > 0, "fork the spinner");
	uint64_t tag = 1ULL << 32;
	fill(tag);
	unsigned rounds = 0;
	double end = now() + seconds;
	while (now() < end && failures == 0) {
		uint64_t next = tag + ((uint64_t)(rounds + 1) << 40);
		pid_t child = fork();
		if (child == 0) {
			unsigned bad = wrong(tag); /* the parent's bytes, shared */
			fill(next ^ 1);		   /* a copy of each page */
			bad += wrong(next ^ 1);
			_exit(bad ? 1 : 0);
		}
		CHECK(child > 0, "fork round %u", rounds);
		if (child < 0)
			break;
		fill(next); /* the parent's copies, while the child runs */
		int st = 0;
		CHECK(waitpid(child, &st, 0) == child, "waitpid round %u", rounds);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "round %u: the child saw its own and its parent's bytes (status 0x%x)",
		      rounds, st);
		CHECK(wrong(next) == 0, "round %u: the parent's pages hold its bytes", rounds);
		tag = next;
		rounds++;
	}
	kill(spinner, SIGKILL);
	int st = 0;
	CHECK(waitpid(spinner, &st, 0) == spinner && WIFSIGNALED(st), "the spinner is killed");
	CHECK(rounds > 0, "at least one round in %.1f s", seconds);
	if (failures == 0)
		printf("preempt ok: %u rounds\n", rounds);
	return failures ? 1 : 0;
}
