/* A running VMM's memory as the kernel accounts it: resident, peak, huge pages, KSM, from /proc/PID. */
#ifndef LOCKVM_MEMSTAT_H
#define LOCKVM_MEMSTAT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct memstat {
	uint64_t rss_bytes;	    /* VmRSS: resident now (KSM-shared pages count in full) */
	uint64_t peak_rss_bytes;    /* VmHWM: the most ever resident */
	uint64_t anon_huge_bytes;   /* AnonHugePages (smaps_rollup): THP-backed */
	uint64_t hugetlb_bytes;	    /* HugetlbPages: hugetlb-backed */
	bool have_ksm;		    /* ksm_stat was readable (kernel >= 6.1) */
	uint64_t ksm_merging_pages; /* pages of this process merged by KSM */
	int64_t ksm_profit;	    /* bytes KSM saves for it, net of its metadata */
};

/*
 * Reads the numbers of process `pid` from /proc/PID/{status,smaps_rollup,
 * ksm_stat}; for `lockvm run --stats` now and `lockvm inspect` later. The
 * caller needs the right to read them (root, or the same uid). Returns 0,
 * or -1 with errno when the process is gone or status is unreadable (the
 * other two files are optional and leave their fields 0).
 */
int memstat_read(pid_t pid, struct memstat *out);

/* As memstat_read() on a directory laid out like /proc/PID (tests). */
int memstat_read_dir(const char *dir, struct memstat *out);

/* Folds a new sample into a running record: resident memory from the
 * newest, peak and the huge page and KSM figures the most seen (a last
 * sample may catch the VMM tearing its memory down). */
void memstat_merge(struct memstat *record, const struct memstat *sample);

/* Formats st as one line "rss=… peak_rss=… anon_huge=… hugetlb=… ksm_merging_pages=…". */
void memstat_format(const struct memstat *st, char *out, size_t len);

#endif
