/* `lockvm run --debug-timing`: the supervisor's phases and its child's steps, one line each at the end. */
#include "run_internal.h"

#include <stdio.h>
#include <stdint.h>
#include <sys/mman.h>

#include "sandbox.h"
#include "timing.h"

/* Phases follow one another: each starts where the one before ended. */
#define RUN_TIMING_MAX 48
static struct {
	uint64_t origin; /* 0: timing off */
	unsigned count;
	const char *name[RUN_TIMING_MAX];
	uint64_t start[RUN_TIMING_MAX];
	uint64_t *child; /* MAP_SHARED: the child stamps SANDBOX_MARKS steps */
	uint64_t compile_start, compile_end, spawn_end;
	uint64_t uid_start, uid_end;
} timing;

void run_timing_start(uint64_t origin)
{
	timing.origin = origin;
	void *page = mmap(NULL, SANDBOX_MARKS * sizeof(uint64_t), PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	timing.child = page == MAP_FAILED ? NULL : page; /* no child lines then */
	timing.name[0] = "options";
	timing.start[0] = origin;
	timing.count = 1;
}

uint64_t run_timing_origin(void)
{
	return timing.origin;
}

uint64_t *run_timing_child_marks(void)
{
	return timing.origin ? timing.child : NULL;
}

void run_timing_phase(const char *name)
{
	if (!timing.origin || timing.count == RUN_TIMING_MAX)
		return;
	if (timing.name[timing.count - 1] == name)
		return; /* the same phase goes on (release steps) */
	timing.name[timing.count] = name;
	timing.start[timing.count] = now_ns();
	timing.count++;
}

void run_timing_compile(uint64_t start, uint64_t end)
{
	timing.compile_start = start;
	timing.compile_end = end;
}

void run_timing_uid(uint64_t start, uint64_t end)
{
	timing.uid_start = start;
	timing.uid_end = end;
}

void run_timing_report(void)
{
	if (!timing.origin)
		return;
	uint64_t end = now_ns();
	for (unsigned i = 0; i < timing.count; i++)
		timing_line("supervisor", timing.name[i], timing.origin, timing.start[i],
			    i + 1 < timing.count ? timing.start[i + 1] : end);
	/* Beside the main thread, on a thread of its own (run_launch.c). */
	timing_line("compiler", "policy compile", timing.origin, timing.compile_start,
		    timing.compile_end);
	/* Beside the main thread too, which makes the cgroup meanwhile (run_resources.c). */
	timing_line("uid", "lease (NSS check)", timing.origin, timing.uid_start, timing.uid_end);
	if (timing.child) {
		static const char *const steps[SANDBOX_MARKS - 1] = {"namespaces", "pivot_root",
								     "drop (uid, caps)"};
		for (unsigned i = 0; i + 1 < SANDBOX_MARKS; i++)
			timing_line("child", steps[i], timing.origin, timing.child[i],
				    timing.child[i + 1]);
		/* The VMM's main is the at of its "VMM setup" line: exec took the gap. */
		if (timing.child[SANDBOX_MARK_EXEC] > timing.origin)
			fprintf(stderr, "timing: %-10s %-18s at=%8.3fms took=until-VMM-setup\n",
				"child", "exec of the VMM",
				(double)(timing.child[SANDBOX_MARK_EXEC] - timing.origin) / 1e6);
	}
}
