/* Host memory features the supervisor checks before it starts a VM: THP mode, free hugetlb pages, KSM. */
#ifndef LOCKVM_MEMHOST_H
#define LOCKVM_MEMHOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MEMHOST_SYSFS_MM "/sys/kernel/mm" /* tests pass their own copy */

/* 0 when transparent huge pages can back guest RAM asked for with
 * MADV_HUGEPAGE (mode "always" or "madvise"); else -1 and why in err. */
int memhost_check_thp(const char *sysfs_mm, char *err, size_t errlen);

/* Guests of this much RAM or more get THP without --hugepages. */
#define MEMHOST_THP_DEFAULT_MIN (512ULL << 20)

/* Without --hugepages: whether a guest of `bytes` RAM (KSM asked for or
 * not) gets transparent huge pages by default, true where the host allows
 * them; false with why in note ("" when it is too small or KSM merges). */
bool memhost_default_thp(const char *sysfs_mm, uint64_t bytes, bool ksm, char *note,
			 size_t notelen);

/* 0 when the 2 MiB hugetlb pool has `bytes` free and unreserved; else -1
 * and why (with how to fix it) in err. */
int memhost_check_hugetlb(const char *sysfs_mm, uint64_t bytes, char *err, size_t errlen);

/* KSM's state: 1 merging, 0 present but stopped (run is not 1), -1 no KSM
 * in this kernel. */
int memhost_ksm_state(const char *sysfs_mm);

#endif
