/* Per-phase start timing: the line format both the supervisor and the VMM print. */
#include "timing.h"

#include <inttypes.h>
#include <stdio.h>

void timing_line(const char *who, const char *phase, uint64_t origin, uint64_t from, uint64_t to)
{
	if (!origin || !from || !to || from < origin || to < from)
		return;
	fprintf(stderr, "timing: %-10s %-18s at=%8.3fms took=%8.3fms\n", who, phase,
		(double)(from - origin) / 1e6, (double)(to - from) / 1e6);
}
