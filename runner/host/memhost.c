/* Host memory features the supervisor checks before it starts a VM: THP mode, free hugetlb pages, KSM. */
#include "memhost.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

static int read_text(const char *dir, const char *file, char *text, size_t len)
{
	char path[512];
	if (snprintf(path, sizeof(path), "%s/%s", dir, file) >= (int)sizeof(path))
		return -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, text, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	text[n] = '\0';
	text[strcspn(text, "\n")] = '\0';
	return 0;
}

static int read_number(const char *dir, const char *file, uint64_t *value)
{
	char text[64];
	if (read_text(dir, file, text, sizeof(text)) < 0)
		return -1;
	return parse_uint(text, 0, UINT64_MAX, value);
}

int memhost_check_thp(const char *sysfs_mm, char *err, size_t errlen)
{
	char mode[128];
	if (read_text(sysfs_mm, "transparent_hugepage/enabled", mode, sizeof(mode)) < 0) {
		snprintf(err, errlen,
			 "this kernel offers no transparent huge pages (%s/transparent_hugepage/"
			 "enabled is missing); try --hugepages=hugetlb",
			 sysfs_mm);
		return -1;
	}
	/* The selected mode is bracketed: "always [madvise] never". */
	if (strstr(mode, "[always]") || strstr(mode, "[madvise]"))
		return 0;
	snprintf(err, errlen,
		 "transparent huge pages are disabled on this host (%s/transparent_hugepage/"
		 "enabled is '%s'); try --hugepages=hugetlb",
		 sysfs_mm, mode);
	return -1;
}

/* Large guests: one EPT fault per 2 MiB of fresh memory instead of per
 * 4 KiB (`make bench` memtouch). Small guests keep 4 KiB pages, so an
 * idle VM holds only what it touched (BENCH density, overhead); --ksm
 * asks for density too. */
bool memhost_default_thp(const char *sysfs_mm, uint64_t bytes, bool ksm, char *note, size_t notelen)
{
	char err[384];
	note[0] = '\0';
	if (ksm || bytes < MEMHOST_THP_DEFAULT_MIN)
		return false;
	if (memhost_check_thp(sysfs_mm, err, sizeof(err)) == 0)
		return true;
	snprintf(note, notelen, "guest RAM on 4 KiB pages: %s", err);
	return false;
}

int memhost_check_hugetlb(const char *sysfs_mm, uint64_t bytes, char *err, size_t errlen)
{
	const char *pool = "hugepages/hugepages-2048kB";
	char dir[512];
	uint64_t free_pages, reserved, need = (bytes + (2ULL << 20) - 1) >> 21;
	snprintf(dir, sizeof(dir), "%s/%s", sysfs_mm, pool);
	if (read_number(dir, "free_hugepages", &free_pages) < 0 ||
	    read_number(dir, "resv_hugepages", &reserved) < 0) {
		snprintf(err, errlen, "this host has no 2 MiB hugetlb pages (%s unreadable)", dir);
		return -1;
	}
	uint64_t available = free_pages > reserved ? free_pages - reserved : 0;
	if (available < need) {
		snprintf(err, errlen,
			 "the guest needs %llu free 2 MiB huge pages, this host has %llu (raise "
			 "%s/nr_hugepages or /proc/sys/vm/nr_hugepages)",
			 (unsigned long long)need, (unsigned long long)available, dir);
		return -1;
	}
	return 0;
}

int memhost_ksm_state(const char *sysfs_mm)
{
	uint64_t run;
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/ksm", sysfs_mm);
	if (read_number(dir, "run", &run) < 0)
		return -1;
	return run == 1 ? 1 : 0;
}
