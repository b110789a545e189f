/* Unit tests for the confinement helpers: uid leases, cgroup parsing/limits, image ownership. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "landlock.h"
#include "mac.h"
#include "sandbox.h"
#include "uid.h"

static char *make_root(void)
{
	const char *base = getenv("LOCKVM_ROOT");
	char tmpl[4096];
	snprintf(tmpl, sizeof(tmpl), "%s/unit.XXXXXX", base && base[0] ? base : "/tmp");
	char *dir = mkdtemp(tmpl);
	assert_non_null(dir);
	return strdup(dir);
}

static void test_cpus_to_quota(void **state)
{
	uint64_t q = 0;
	assert_int_equal(cgroup_cpus_to_quota("0.5", 100000, &q), 0);
	assert_int_equal(q, 50000);
	assert_int_equal(cgroup_cpus_to_quota("2", 100000, &q), 0);
	assert_int_equal(q, 200000);
	assert_int_equal(cgroup_cpus_to_quota("1.25", 100000, &q), 0);
	assert_int_equal(q, 125000);
	assert_int_equal(cgroup_cpus_to_quota("0", 100000, &q), -1);
	assert_int_equal(cgroup_cpus_to_quota("0.0001", 100000, &q), -1);
	assert_int_equal(cgroup_cpus_to_quota("-1", 100000, &q), -1);
	assert_int_equal(cgroup_cpus_to_quota("1.", 100000, &q), -1);
	assert_int_equal(cgroup_cpus_to_quota("1e3", 100000, &q), -1);
	assert_int_equal(cgroup_cpus_to_quota("2000", 100000, &q), -1);
	assert_int_equal(cgroup_cpus_to_quota("", 100000, &q), -1);
}

/* v1 cpu.shares to v2 cpu.weight as runc converts it: the ends and the default. */
static void test_shares_to_weight(void **state)
{
	(void)state;
	assert_int_equal(cgroup_shares_to_weight(2), 1);
	assert_int_equal(cgroup_shares_to_weight(1024), 39);
	assert_int_equal(cgroup_shares_to_weight(512), 20);
	assert_int_equal(cgroup_shares_to_weight(262144), 10000);
	assert_int_equal(cgroup_shares_to_weight(1), 1);
	assert_int_equal(cgroup_shares_to_weight(1000000), 10000);
}

static void test_cgroup_names(void **state)
{
	assert_true(cgroup_name_valid("vm-1_a.b"));
	assert_false(cgroup_name_valid(""));
	assert_false(cgroup_name_valid("."));
	assert_false(cgroup_name_valid(".."));
	assert_false(cgroup_name_valid("a/b"));
	assert_false(cgroup_name_valid("a b"));
	assert_false(
	    cgroup_name_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
	struct cgroup cg;
	struct cgroup_limits lim = {0};
	assert_int_equal(cgroup_create(&cg, "/nonexistent", NULL, "../etc", &lim), -1);
}

/* cgroup v1 mount points from mountinfo: the controller named exactly in the
 * super options, escapes undone, a mount at the hierarchy's root preferred
 * to a bind of a subtree, cgroup2 and other types ignored. */
static void test_cgroup_v1_mount_point(void **state)
{
	char path[] = "/tmp/lockvm-mountinfo.XXXXXX", out[256];
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	static const char text[] =
	    "22 1 0:20 / /sys rw - sysfs sysfs rw\n"
	    "30 22 0:26 / /sys/fs/cgroup/unified rw shared:9 - cgroup2 cgroup2 rw,memory\n"
	    "31 22 0:27 / /sys/fs/cgroup/cpuacct rw - cgroup cgroup rw,cpuacct\n"
	    "32 22 0:28 /lockvm /bound/memory rw - cgroup cgroup rw,memory\n"
	    "33 22 0:28 / /my\\040cgroups/mem rw master:3 - cgroup cgroup rw,memory\n"
	    "34 22 0:29 / /x/cpu rw - cgroup cgroup rw,cpu,cpuacct\n"
	    "35 22 0:30 /sub /only/bound/pids rw - cgroup cgroup rw,pids\n";
	assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
	close(fd);
	assert_int_equal(cgroup_v1_mount_point(path, "memory", out, sizeof(out)), 0);
	assert_string_equal(out, "/my cgroups/mem");
	assert_int_equal(cgroup_v1_mount_point(path, "cpu", out, sizeof(out)), 0);
	assert_string_equal(out, "/x/cpu");
	assert_int_equal(cgroup_v1_mount_point(path, "pids", out, sizeof(out)), 0);
	assert_string_equal(out, "/only/bound/pids");
	errno = 0;
	assert_int_equal(cgroup_v1_mount_point(path, "blkio", out, sizeof(out)), -1);
	assert_int_equal(errno, ENOENT);
	char tiny[4];
	assert_int_equal(cgroup_v1_mount_point(path, "cpu", tiny, sizeof(tiny)), -1);
	unlink(path);
	assert_int_equal(cgroup_v1_mount_point(path, "memory", out, sizeof(out)), -1);
}

static void test_cgroup_real(void **state)
{
	if (geteuid() != 0 || access("/sys/fs/cgroup/memory", W_OK) != 0) {
		skip();
	}
	char parent[64], name[32];
	snprintf(parent, sizeof(parent), "lockvm-unit-%ld", (long)getpid());
	snprintf(name, sizeof(name), "vm");
	struct cgroup cg;
	struct cgroup_limits lim = {.memory_bytes = 64 << 20,
				    .pids_max = 8,
				    .cpu_quota_us = 50000,
				    .cpu_period_us = 100000};
	assert_int_equal(cgroup_create(&cg, NULL, parent, name, &lim), 0);
	/* Creating it twice is an error: a name is one VM. */
	struct cgroup again;
	assert_int_equal(cgroup_create(&again, NULL, parent, name, &lim), -1);
	pid_t child = fork();
	if (child == 0) {
		pause();
		_exit(0);
	}
	assert_int_equal(cgroup_attach(&cg, child), 0);
	uint64_t mem = 0, pids = 0;
	assert_int_equal(cgroup_usage(&cg, &mem, &pids), 0);
	assert_int_equal(pids, 1);
	/* destroy kills what is left inside, then removes the directories. */
	assert_int_equal(cgroup_destroy(&cg), 0);
	int status;
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	for (int c = 0; c < CGROUP_NR_CONTROLLERS; c++)
		assert_string_equal(cg.dir[c], "");
	const char *ctl[] = {"memory", "pids", "cpu"};
	for (int c = 0; c < 3; c++) {
		char path[256];
		snprintf(path, sizeof(path), "/sys/fs/cgroup/%s/%s", ctl[c], parent);
		rmdir(path);
	}
	char unified[256];
	snprintf(unified, sizeof(unified), "/sys/fs/cgroup/unified/%s", parent);
	rmdir(unified);
}

static void test_uid_reserve_release(void **state)
{
	char *root = make_root();
	struct uid_range range = {2000000000u, 2000000002u};
	struct uid_lease a, b, c, d;
	assert_int_equal(uid_reserve(root, &range, &a), 0);
	assert_int_equal(uid_reserve(root, &range, &b), 0);
	assert_int_equal(uid_reserve(root, &range, &c), 0);
	assert_true(a.uid >= range.first && a.uid <= range.last);
	assert_int_not_equal(a.uid, b.uid);
	assert_int_not_equal(a.uid, c.uid);
	assert_int_not_equal(b.uid, c.uid);
	assert_int_equal(a.gid, a.uid);
	/* Range exhausted while all three are held. */
	assert_int_equal(uid_reserve(root, &range, &d), -1);
	assert_int_equal(errno, EAGAIN);
	uid_release(&b);
	assert_int_equal(uid_reserve(root, &range, &d), 0);
	assert_int_equal(d.uid, b.uid);
	uid_release(&a);
	uid_release(&a); /* idempotent */
	uid_release(&c);
	uid_release(&d);
	free(root);
}

static void test_uid_dead_owner_reclaimed(void **state)
{
	char *root = make_root();
	struct uid_range range = {2000000100u, 2000000100u};
	struct uid_lease lease;
	int pipefd[2];
	assert_int_equal(pipe(pipefd), 0);
	pid_t child = fork();
	if (child == 0) {
		struct uid_lease held;
		/* Reserve, then die without releasing: the file stays behind. */
		_exit(uid_reserve(root, &range, &held) == 0 ? 0 : 1);
	}
	int status;
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	char path[4200];
	snprintf(path, sizeof(path), "%s/run/lockvm/uids/2000000100", root);
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(uid_reserve(root, &range, &lease), 0);
	assert_int_equal(lease.uid, 2000000100u);
	uid_release(&lease);
	assert_int_equal(access(path, F_OK), -1);
	close(pipefd[0]);
	close(pipefd[1]);
	free(root);
}

static void test_uid_skips_host_accounts(void **state)
{
	char *root = make_root();
	/* uid 0 is root and 65534 is nobody on Debian: both in /etc/passwd. */
	struct uid_range zero = {0, 0};
	struct uid_range nobody = {65534, 65534};
	struct uid_lease lease;
	assert_int_equal(uid_reserve(root, &zero, &lease), -1);
	assert_int_equal(uid_reserve(root, &nobody, &lease), -1);
	assert_int_equal(errno, EAGAIN);
	struct uid_range parsed;
	assert_int_equal(uid_range_parse("2000000000-2000099999", &parsed), 0);
	assert_int_equal(parsed.first, 2000000000u);
	assert_int_equal(parsed.last, 2000099999u);
	assert_int_equal(uid_range_parse("0-5", &parsed), -1);
	assert_int_equal(uid_range_parse("9-5", &parsed), -1);
	assert_int_equal(uid_range_parse("5", &parsed), -1);
	free(root);
}

static void test_layer_names(void **state)
{
	for (unsigned bit = 1; bit & SANDBOX_LAYERS_ALL; bit <<= 1)
		assert_int_equal(sandbox_layer_parse(sandbox_layer_name(bit)), bit);
	assert_int_equal(sandbox_layer_parse("nonsense"), 0);
	struct sandbox_config cfg;
	sandbox_config_init(&cfg);
	assert_int_equal(cfg.layers, SANDBOX_LAYERS_ALL);
	assert_int_equal(cfg.rlimits.memlock, 0);
}

/* The NIC counters memfd's label: the VM's user and level, lockvm's tmpfs type. */
static void test_mac_vmm_file_context(void **state)
{
	(void)state;
	char out[128];
	assert_int_equal(
	    mac_vmm_file_context("system_u:system_r:lockvm_vm_t:s0:c1,c2", out, sizeof(out)), 0);
	assert_string_equal(out, "system_u:object_r:lockvm_vm_tmpfs_t:s0:c1,c2");
	assert_int_equal(mac_vmm_file_context("u:r:t:s0-s0:c0.c1023", out, sizeof(out)), 0);
	assert_string_equal(out, "u:object_r:lockvm_vm_tmpfs_t:s0-s0:c0.c1023");
	assert_int_equal(mac_vmm_file_context("system_u:system_r:lockvm_vm_t", out, sizeof(out)),
			 -1);
	assert_int_equal(mac_vmm_file_context("system_u:system_r:lockvm_vm_t:", out, sizeof(out)),
			 -1);
	assert_int_equal(mac_vmm_file_context(":r:t:s0", out, sizeof(out)), -1);
	assert_int_equal(mac_vmm_file_context("system_u:system_r:lockvm_vm_t:s0:c1,c2", out, 20),
			 -1);
}

static void test_landlock_and_mac_probe(void **state)
{
	/* Where Landlock is absent, 0 is the answer (reported by the caller). */
	assert_true(landlock_abi() >= 0);
	const char *mac = mac_active();
	assert_true(strcmp(mac, "selinux") == 0 || strcmp(mac, "apparmor") == 0 ||
		    strcmp(mac, "none") == 0);
	if (strcmp(mac, "none") == 0) {
		assert_false(mac_enforcing());
		assert_int_equal(mac_set_exec_label("system_u:system_r:lockvm_vm_t:s0:c1,c2"),
				 MAC_NOT_ENFORCED);
	}
	assert_int_equal(mac_set_exec_label(NULL), MAC_NOT_ENFORCED);
}

/* The confinement sequence is one table: the code's (sandbox_sequence) and
 * docs/ARCHITECTURE.md's agree row by row, and every layer is in it. */
static void test_sequence_matches_the_documentation(void **state)
{
	size_t count;
	const struct sandbox_step *steps = sandbox_sequence(&count);
	const char *top = getenv("LOCKVM_TOP");
	char path[4096];
	snprintf(path, sizeof(path), "%s/docs/ARCHITECTURE.md", top ? top : ".");
	FILE *f = fopen(path, "re");
	if (!f)
		fail_msg("cannot open %s", path);
	char line[2048];
	size_t rows = 0;
	bool in_table = false;
	unsigned covered = 0;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "## ", 3) == 0)
			in_table = strncmp(line, "## Confinement order", 20) == 0;
		unsigned n;
		if (!in_table || sscanf(line, "| %u |", &n) != 1)
			continue;
		if (rows >= count || steps[rows].step != n)
			fail_msg("documentation row %u has no step %zu in sandbox_sequence()", n,
				 rows + 1);
		char *cols[6] = {0};
		char *save = NULL, *tok = strtok_r(line, "|", &save);
		for (int c = 0; tok && c < 6; c++, tok = strtok_r(NULL, "|", &save))
			cols[c] = tok;
		/* cols: number, layer, where, why, shown by */
		if (!cols[4] || !strstr(cols[1], steps[rows].what) ||
		    !strstr(cols[2], steps[rows].where) || !strstr(cols[4], steps[rows].test))
			fail_msg(
			    "step %u: documentation '%s' / '%s' / '%s' vs code '%s' / '%s' / '%s'",
			    n, cols[1] ? cols[1] : "", cols[2] ? cols[2] : "",
			    cols[4] ? cols[4] : "", steps[rows].what, steps[rows].where,
			    steps[rows].test);
		covered |= steps[rows].layers;
		rows++;
	}
	fclose(f);
	assert_int_equal(rows, count);
	assert_int_equal(covered, SANDBOX_LAYERS_ALL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cpus_to_quota),
	    cmocka_unit_test(test_shares_to_weight),
	    cmocka_unit_test(test_cgroup_names),
	    cmocka_unit_test(test_mac_vmm_file_context),
	    cmocka_unit_test(test_cgroup_v1_mount_point),
	    cmocka_unit_test(test_cgroup_real),
	    cmocka_unit_test(test_uid_reserve_release),
	    cmocka_unit_test(test_uid_dead_owner_reclaimed),
	    cmocka_unit_test(test_uid_skips_host_accounts),
	    cmocka_unit_test(test_layer_names),
	    cmocka_unit_test(test_sequence_matches_the_documentation),
	    cmocka_unit_test(test_landlock_and_mac_probe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
