/* Unit tests of the memory features: NUMA lists and node checks, host checks, /proc parsing, guest RAM mapping and the balloon. */
#include <linux/kvm.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cgroup.h"
#include "hypercall.h"
#include "memhost.h"
#include "memory.h"
#include "memstat.h"
#include "numa.h"
#include "vm.h"

static char fixture[64];

/* Writes text to fixture/rel, making parent directories. */
static void put(const char *rel, const char *text)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", fixture, rel);
	for (char *p = path + strlen(fixture) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int fixture_setup(void **state)
{
	snprintf(fixture, sizeof(fixture), "/tmp/lockvm-memtest.XXXXXX");
	return mkdtemp(fixture) ? 0 : -1;
}

static int fixture_teardown(void **state)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fixture);
	return system(cmd) == 0 ? 0 : -1;
}

static void numa_lists_parse_and_format(void **state)
{
	struct numa_set set;
	char text[64];
	assert_int_equal(numa_parse_list("0", &set), 0);
	assert_true(numa_set_has(&set, 0));
	assert_false(numa_set_has(&set, 1));
	assert_int_equal(numa_parse_list("0-3,8,10-11", &set), 0);
	numa_format_list(&set, text, sizeof(text));
	assert_string_equal(text, "0-3,8,10-11");
	assert_int_equal(numa_parse_list("1023", &set), 0);
	assert_true(numa_set_has(&set, 1023));
	static const char *const bad[] = {"",
					  "a",
					  "1,",
					  ",1",
					  "3-1",
					  "1-",
					  "-1",
					  "1024",
					  "0-1024",
					  "1 ",
					  "99999999999999999999",
					  "0,,1"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(numa_parse_list(bad[i], &set), -1);
}

static void numa_nodes_checked_against_sysfs(void **state)
{
	struct numa_set nodes, cpus;
	char err[256], text[64];
	put("node/online", "0-1\n");
	put("node/has_memory", "0\n");
	put("node/node0/cpulist", "0-3\n");
	put("node/node1/cpulist", "4-7\n");
	char dir[128];
	snprintf(dir, sizeof(dir), "%s/node", fixture);
	numa_parse_list("0", &nodes);
	assert_int_equal(numa_check_nodes(dir, &nodes, &cpus, err, sizeof(err)), 0);
	numa_format_list(&cpus, text, sizeof(text));
	assert_string_equal(text, "0-3");
	numa_parse_list("99", &nodes);
	assert_int_equal(numa_check_nodes(dir, &nodes, &cpus, err, sizeof(err)), -1);
	assert_string_equal(err, "NUMA node 99 does not exist on this host (nodes: 0-1)");
	numa_parse_list("1", &nodes);
	assert_int_equal(numa_check_nodes(dir, &nodes, &cpus, err, sizeof(err)), -1);
	assert_string_equal(err, "NUMA node 1 has no memory to bind guest RAM to");
}

static void host_memory_features_checked(void **state)
{
	char err[384];
	put("transparent_hugepage/enabled", "always madvise [never]\n");
	assert_int_equal(memhost_check_thp(fixture, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "transparent huge pages are disabled on this host"));
	/* Without --hugepages: THP from 512 MiB on, not where the host is "never", not with KSM. */
	assert_false(memhost_default_thp(fixture, 1ULL << 30, false, err, sizeof(err)));
	assert_non_null(
	    strstr(err, "guest RAM on 4 KiB pages: transparent huge pages are disabled"));
	put("transparent_hugepage/enabled", "always [madvise] never\n");
	assert_int_equal(memhost_check_thp(fixture, err, sizeof(err)), 0);
	assert_true(memhost_default_thp(fixture, MEMHOST_THP_DEFAULT_MIN, false, err, sizeof(err)));
	assert_false(memhost_default_thp(fixture, MEMHOST_THP_DEFAULT_MIN - (2 << 20), false, err,
					 sizeof(err)));
	assert_string_equal(err, "");
	assert_false(memhost_default_thp(fixture, 1ULL << 30, true, err, sizeof(err)));
	put("hugepages/hugepages-2048kB/free_hugepages", "40\n");
	put("hugepages/hugepages-2048kB/resv_hugepages", "8\n");
	assert_int_equal(memhost_check_hugetlb(fixture, 64ULL << 20, err, sizeof(err)), 0);
	assert_int_equal(memhost_check_hugetlb(fixture, 66ULL << 20, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "the guest needs 33 free 2 MiB huge pages, this host has 32"));
	assert_int_equal(memhost_ksm_state(fixture), -1);
	put("ksm/run", "0\n");
	assert_int_equal(memhost_ksm_state(fixture), 0);
	put("ksm/run", "1\n");
	assert_int_equal(memhost_ksm_state(fixture), 1);
}

static void memstat_reads_proc_files(void **state)
{
	struct memstat st;
	char line[256];
	assert_int_equal(memstat_read_dir(fixture, &st), -1); /* no status: gone */
	put("status", "Name:\tlockvm-vmm\nVmHWM:\t  263768 kB\nVmRSS:\t  2048 kB\n"
		      "HugetlbPages:\t    4096 kB\n");
	assert_int_equal(memstat_read_dir(fixture, &st), 0);
	assert_false(st.have_ksm);
	memstat_format(&st, line, sizeof(line));
	assert_string_equal(line, "rss=2048K peak_rss=263768K anon_huge=0K hugetlb=4096K "
				  "ksm_merging_pages=n/a");
	put("smaps_rollup", "Rss:               2048 kB\nAnonHugePages:     2048 kB\n");
	put("ksm_stat", "ksm_rmap_items 30\nksm_zero_pages 0\nksm_merging_pages 12\n"
			"ksm_process_profit 40960\nksm_merge_any: no\n");
	assert_int_equal(memstat_read_dir(fixture, &st), 0);
	assert_true(st.have_ksm);
	assert_int_equal(st.ksm_merging_pages, 12);
	assert_int_equal(st.ksm_profit, 40960);
	assert_int_equal(st.anon_huge_bytes, 2048 * 1024);
	assert_int_equal(memstat_read(getpid(), &st), 0);
	assert_true(st.rss_bytes > 0);
	struct memstat record = {
	    .rss_bytes = 100, .peak_rss_bytes = 500, .ksm_merging_pages = 12, .have_ksm = true};
	struct memstat torn_down = {.rss_bytes = 50, .peak_rss_bytes = 400, .have_ksm = true};
	memstat_merge(&record, &torn_down);
	assert_int_equal(record.rss_bytes, 50);
	assert_int_equal(record.peak_rss_bytes, 500);
	assert_int_equal(record.ksm_merging_pages, 12);
}

static void memory_limit_covers_ram_and_overhead(void **state)
{
	assert_int_equal(cgroup_vm_memory_limit(64ULL << 20),
			 (64ULL << 20) + (64ULL << 20) + (256ULL << 10));
	assert_int_equal(cgroup_vm_memory_limit(256ULL << 30),
			 (256ULL << 30) + (64ULL << 20) + (1ULL << 30));
}

#define MiB (1ULL << 20)

static void balloon_releases_whole_pages_only(void **state)
{
	struct guest_mem mem;
	assert_int_equal(guest_mem_map(&mem, 8 * MiB), 0);
	assert_int_equal((uintptr_t)mem.host % (2 * MiB), 0); /* huge pages line up */
	memset(mem.host, 0xAB, 8 * MiB);
	/* 4 KiB pages: exactly the range. */
	assert_int_equal(guest_mem_release(&mem, 3 * MiB, 4096), 4096);
	assert_int_equal(mem.host[3 * MiB], 0);
	assert_int_equal(mem.host[3 * MiB + 4095], 0);
	assert_int_equal(mem.host[3 * MiB + 4096], 0xAB);
	assert_int_equal(mem.host[3 * MiB - 1], 0xAB);
	/* Outside RAM or wrapping: refused. */
	assert_int_equal(guest_mem_release(&mem, 8 * MiB - 4096, 8192), -1);
	assert_int_equal(guest_mem_release(&mem, UINT64_MAX - 4095, 8192), -1);
	/* As if backed by 2 MiB pages: only whole ones inside go. */
	mem.page_size = 2 * MiB;
	memset(mem.host, 0xAB, 8 * MiB);
	assert_int_equal(guest_mem_release(&mem, 3 * MiB, 2 * MiB), 0);
	assert_int_equal(guest_mem_release(&mem, 3 * MiB, 4 * MiB), 2 * MiB);
	assert_int_equal(mem.host[4 * MiB], 0);
	assert_int_equal(mem.host[6 * MiB - 1], 0);
	assert_int_equal(mem.host[4 * MiB - 1], 0xAB);
	assert_int_equal(mem.host[6 * MiB], 0xAB);
	guest_mem_unmap(&mem);
}

static void balloon_hypercall_checks_its_range(void **state)
{
	struct vm vm;
	struct vcpu vcpu;
	vm_init(&vm);
	assert_int_equal(guest_mem_map(&vm.mem, 8 * MiB), 0);
	vm.vcpu_count = 1;
	vm.vcpus = &vcpu;
	vm.console_fd = -1;
	vcpu = (struct vcpu){.vm = &vm, .index = 0, .fd = -1};
	const uint32_t args_gpa = LOCKVM_RUNNER_END + 0x1000; /* the guest's own memory */
	struct lockvm_hc_balloon a;
	struct {
		uint64_t addr, len;
		int64_t ret;
		uint64_t released;
	} cases[] = {
	    {4 * MiB, 1 * MiB, 0, 1 * MiB},
	    {4 * MiB + 1, 4096, -LOCKVM_EINVAL, 0}, /* misaligned start */
	    {4 * MiB, 100, -LOCKVM_EINVAL, 0},	    /* misaligned length */
	    {0x50000, 4096, -LOCKVM_EINVAL, 0},	    /* the runner's page tables */
	    {LOCKVM_RUNNER_END - 4096, 8192, -LOCKVM_EINVAL, 0},
	    {4 * MiB, 0, 0, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(vm.mem.host + 4 * MiB, 0xCD, 4096);
		a = (struct lockvm_hc_balloon){.addr = cases[i].addr, .len = cases[i].len};
		memcpy(vm.mem.host + args_gpa, &a, sizeof(a));
		hypercall_dispatch(&vcpu, LOCKVM_HC_PORT_BASE + LOCKVM_HC_BALLOON, true, 4, 1,
				   args_gpa);
		assert_false(vm_is_ending(&vm));
		memcpy(&a, vm.mem.host + args_gpa, sizeof(a));
		assert_int_equal(a.ret, cases[i].ret);
		assert_int_equal(a.released, cases[i].released);
		assert_int_equal(vm.mem.host[4 * MiB], cases[i].released ? 0 : 0xCD);
	}
	/* Past the end of RAM: a guest error, not an error code. */
	a = (struct lockvm_hc_balloon){.addr = 6 * MiB, .len = 4 * MiB};
	memcpy(vm.mem.host + args_gpa, &a, sizeof(a));
	hypercall_dispatch(&vcpu, LOCKVM_HC_PORT_BASE + LOCKVM_HC_BALLOON, true, 4, 1, args_gpa);
	assert_true(vm_is_ending(&vm));
	assert_int_equal(vm.exit_status, EXIT_GUEST_ERROR);
	guest_mem_unmap(&vm.mem);
}

/* guest_mem_user_check(): RAM bounds (overflow-safe) and the runner's pages. */
static void user_ranges_avoid_the_runner_pages(void **state)
{
	static uint8_t ram[LOCKVM_RUNNER_END + 0x10000];
	struct guest_mem mem = {.host = ram, .size = sizeof(ram)};
	const uint64_t end = LOCKVM_RUNNER_END, size = sizeof(ram);
	struct {
		uint64_t gpa, len;
		enum guest_range read, write;
	} cases[] = {
	    {end, 16, GUEST_RANGE_OK, GUEST_RANGE_OK},		   /* first guest byte */
	    {size - 16, 16, GUEST_RANGE_OK, GUEST_RANGE_OK},	   /* last guest bytes */
	    {size, 0, GUEST_RANGE_OK, GUEST_RANGE_OK},		   /* empty, at the end */
	    {0x5000, 0, GUEST_RANGE_OK, GUEST_RANGE_OK},	   /* empty touches nothing */
	    {end - 1, 1, GUEST_RANGE_RUNNER, GUEST_RANGE_RUNNER},  /* last runner byte */
	    {end - 8, 16, GUEST_RANGE_RUNNER, GUEST_RANGE_RUNNER}, /* overlaps at the start */
	    {0, 8, GUEST_RANGE_RUNNER, GUEST_RANGE_RUNNER},	   /* page 0 */
	    {0xFF8, 16, GUEST_RANGE_RUNNER, GUEST_RANGE_RUNNER},   /* overlaps the area's start */
	    {0x5060, 16, GUEST_RANGE_RUNNER, GUEST_RANGE_RUNNER},  /* inside: the #UD stub */
	    {0x4000, 0x1000, GUEST_RANGE_RUNNER, GUEST_RANGE_RUNNER}, /* the IDT */
	    {0x50000, 8, GUEST_RANGE_RUNNER, GUEST_RANGE_RUNNER},     /* page tables */
	    {0, size, GUEST_RANGE_RUNNER, GUEST_RANGE_RUNNER},	      /* around: all of RAM */
	    {0x1000, end, GUEST_RANGE_RUNNER, GUEST_RANGE_RUNNER},    /* around the end */
	    /* boot info and argv: readable, never writable */
	    {LOCKVM_BOOTINFO_BASE, 512, GUEST_RANGE_OK, GUEST_RANGE_RUNNER},
	    {LOCKVM_BOOTINFO_END - 8, 8, GUEST_RANGE_OK, GUEST_RANGE_RUNNER},
	    {LOCKVM_BOOTINFO_BASE - 8, 16, GUEST_RANGE_RUNNER, GUEST_RANGE_RUNNER},
	    {LOCKVM_BOOTINFO_END - 8, 16, GUEST_RANGE_RUNNER, GUEST_RANGE_RUNNER},
	    /* outside RAM and overflow come first, wherever the range starts */
	    {size - 8, 16, GUEST_RANGE_OUTSIDE, GUEST_RANGE_OUTSIDE},
	    {size, 1, GUEST_RANGE_OUTSIDE, GUEST_RANGE_OUTSIDE},
	    {end, UINT64_MAX, GUEST_RANGE_OUTSIDE, GUEST_RANGE_OUTSIDE},
	    {UINT64_MAX - 7, 16, GUEST_RANGE_OUTSIDE, GUEST_RANGE_OUTSIDE}, /* wraps to 8 */
	    {0x5000, UINT64_MAX - 0x4000, GUEST_RANGE_OUTSIDE, GUEST_RANGE_OUTSIDE},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t gpa = cases[i].gpa, len = cases[i].len;
		assert_int_equal(guest_mem_user_check(&mem, gpa, len, GUEST_READ), cases[i].read);
		assert_int_equal(guest_mem_user_check(&mem, gpa, len, GUEST_WRITE), cases[i].write);
		void *want = cases[i].write == GUEST_RANGE_OK ? ram + gpa : NULL;
		assert_ptr_equal(guest_mem_user_ptr(&mem, gpa, len, GUEST_WRITE), want);
		want = cases[i].read == GUEST_RANGE_OK ? ram + gpa : NULL;
		assert_ptr_equal(guest_mem_user_ptr(&mem, gpa, len, GUEST_READ), want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(numa_lists_parse_and_format),
	    cmocka_unit_test_setup_teardown(numa_nodes_checked_against_sysfs, fixture_setup,
					    fixture_teardown),
	    cmocka_unit_test_setup_teardown(host_memory_features_checked, fixture_setup,
					    fixture_teardown),
	    cmocka_unit_test_setup_teardown(memstat_reads_proc_files, fixture_setup,
					    fixture_teardown),
	    cmocka_unit_test(memory_limit_covers_ram_and_overhead),
	    cmocka_unit_test(balloon_releases_whole_pages_only),
	    cmocka_unit_test(balloon_hypercall_checks_its_range),
	    cmocka_unit_test(user_ranges_avoid_the_runner_pages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
