/* A running VMM's memory as the kernel accounts it: resident, peak, huge pages, KSM, from /proc/PID. */
#include "memstat.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Scans "Key:   value [kB]" lines, storing the value of each key in keys. */
static int scan_file(const char *dir, const char *file, const char *const *keys,
		     uint64_t *const *values, size_t n_keys, bool kib)
{
	char path[512], line[256];
	if (snprintf(path, sizeof(path), "%s/%s", dir, file) >= (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');
		if (!colon)
			continue;
		*colon = '\0';
		for (size_t i = 0; i < n_keys; i++) {
			uint64_t v;
			char *end;
			if (strcmp(line, keys[i]) != 0)
				continue;
			errno = 0;
			long long parsed = strtoll(colon + 1, &end, 10);
			if (errno || end == colon + 1)
				break;
			v = (uint64_t)parsed;
			*values[i] = kib ? v * 1024 : v;
		}
	}
	fclose(f);
	return 0;
}

int memstat_read_dir(const char *dir, struct memstat *out)
{
	memset(out, 0, sizeof(*out));
	static const char *const status_keys[] = {"VmRSS", "VmHWM", "HugetlbPages"};
	uint64_t *const status_values[] = {&out->rss_bytes, &out->peak_rss_bytes,
					   &out->hugetlb_bytes};
	if (scan_file(dir, "status", status_keys, status_values, ARRAY_SIZE(status_keys), true) < 0)
		return -1;
	static const char *const rollup_keys[] = {"AnonHugePages"};
	uint64_t *const rollup_values[] = {&out->anon_huge_bytes};
	(void)scan_file(dir, "smaps_rollup", rollup_keys, rollup_values, 1, true);
	/* ksm_stat: "ksm_merging_pages 12" without a colon on older kernels,
	 * "ksm_process_profit 4096" likewise; read it by hand. */
	char path[512], line[128];
	snprintf(path, sizeof(path), "%s/ksm_stat", dir);
	FILE *f = fopen(path, "re");
	if (f) {
		out->have_ksm = true;
		while (fgets(line, sizeof(line), f)) {
			char key[64];
			long long value;
			if (sscanf(line, "%63[a-z_]%*[: ]%lld", key, &value) != 2)
				continue;
			if (strcmp(key, "ksm_merging_pages") == 0)
				out->ksm_merging_pages = (uint64_t)value;
			else if (strcmp(key, "ksm_process_profit") == 0)
				out->ksm_profit = value;
		}
		fclose(f);
	}
	return 0;
}

int memstat_read(pid_t pid, struct memstat *out)
{
	char dir[64];
	snprintf(dir, sizeof(dir), "/proc/%d", (int)pid);
	return memstat_read_dir(dir, out);
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

void memstat_merge(struct memstat *record, const struct memstat *sample)
{
	struct memstat merged = *sample;
	merged.peak_rss_bytes = max_u64(record->peak_rss_bytes, sample->peak_rss_bytes);
	merged.anon_huge_bytes = max_u64(record->anon_huge_bytes, sample->anon_huge_bytes);
	merged.hugetlb_bytes = max_u64(record->hugetlb_bytes, sample->hugetlb_bytes);
	merged.have_ksm = record->have_ksm || sample->have_ksm;
	merged.ksm_merging_pages = max_u64(record->ksm_merging_pages, sample->ksm_merging_pages);
	if (record->ksm_profit > merged.ksm_profit)
		merged.ksm_profit = record->ksm_profit;
	*record = merged;
}

void memstat_format(const struct memstat *st, char *out, size_t len)
{
	char ksm[32] = "n/a";
	if (st->have_ksm)
		snprintf(ksm, sizeof(ksm), "%" PRIu64, st->ksm_merging_pages);
	snprintf(out, len,
		 "rss=%" PRIu64 "K peak_rss=%" PRIu64 "K anon_huge=%" PRIu64 "K hugetlb=%" PRIu64
		 "K ksm_merging_pages=%s",
		 st->rss_bytes >> 10, st->peak_rss_bytes >> 10, st->anon_huge_bytes >> 10,
		 st->hugetlb_bytes >> 10, ksm);
}
