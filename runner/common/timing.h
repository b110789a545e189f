/* Per-phase start timing (`lockvm run --debug-timing`): one line per phase, timed from one origin both processes share. */
#ifndef LOCKVM_TIMING_H
#define LOCKVM_TIMING_H

#include <stdint.h>

/*
 * Prints "timing: WHO PHASE at=A took=T" to stderr, A and T in
 * milliseconds, A from origin (CLOCK_MONOTONIC ns, as now_ns(); not
 * namespaced, so the supervisor's origin holds in the VMM too). Nothing
 * when origin is 0 (timing off) or a mark is missing (0).
 */
void timing_line(const char *who, const char *phase, uint64_t origin, uint64_t from, uint64_t to);

#endif
