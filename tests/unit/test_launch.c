/* Unit tests of the launch message (runner/common/launch.c): a round trip keeps every field, and each broken rule, size, version and string table is refused with its reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launch.h"

static const char *argv_in[] = {"guest.elf", "a b", ""};
static const char *env_in[] = {"A=1", "EMPTY="};

static void full_launch(struct launch *l)
{
	launch_init(l);
	l->mem = 64ULL << 20;
	l->timeout_ns = 1500000000ULL;
	l->vcpus = 4;
	l->layers = 0x1ffff;
	l->flags = LAUNCH_STATS | LAUNCH_LINUX | LAUNCH_NUMA;
	l->hugepages = LAUNCH_THP;
	l->tty_mask = 5;
	l->kvm_fd = 3;
	l->elf_fd = 4;
	l->console_fd = 5;
	l->seccomp_vmm_fd = 6;
	l->seccomp_vcpu_fd = 7;
	l->seccomp_setup_fd = 12;
	l->net_fd = 8;
	l->net_stats_fd = 9;
	l->net_tap = "lv-abc";
	static const uint8_t mac[6] = {2, 0, 0, 0, 0, 9};
	memcpy(l->net_mac, mac, 6);
	l->disk_count = 2;
	l->disks[0] = (struct launch_disk){.fd = 10, .ro = true, .path = "/img/a"};
	l->disks[1] = (struct launch_disk){.fd = 11, .ro = false, .path = ""};
	l->numa_nodes.bits[0] = 1;
	l->numa_cpus.bits[0] = 3;
	l->argc = 3;
	l->argv = argv_in;
	l->envc = 2;
	l->envp = env_in;
	l->workdir = "/srv/w";
	l->hostname = "h1";
	l->uid = 1000;
	l->gid = 1001;
	l->ngroups = 2;
	l->groups[0] = 5;
	l->groups[1] = 4294967294U;
	l->rlimit_set = 1u << IDENT_RLIMIT_NOFILE;
	l->rlimits[IDENT_RLIMIT_NOFILE] = (struct ident_rlimit){20, 30};
	l->fs_upper = 32ULL << 20;
	l->fs_tmp = 16ULL << 20;
	l->tmpfs_count = 2;
	l->tmpfs[0] = (struct launch_tmpfs){.size = 1 << 20, .path = "/work"};
	l->tmpfs[1] = (struct launch_tmpfs){.size = 16 << 20, .path = "/dev/shm"};
	l->volume_count = 2;
	l->volumes[0] = (struct launch_volume){.fd = 13, .ro = false, .path = "/src"};
	l->volumes[1] = (struct launch_volume){.fd = 14, .ro = true, .path = "/cache"};
}

static void round_trip_keeps_every_field(void **state)
{
	struct launch in, out;
	char err[256];
	size_t len;
	full_launch(&in);
	uint8_t *buf = launch_encode(&in, &len, err, sizeof(err));
	assert_non_null(buf);
	assert_int_equal(launch_decode(buf, len, &out, err, sizeof(err)), 0);
	assert_int_equal(out.mem, in.mem);
	assert_int_equal(out.timeout_ns, in.timeout_ns);
	assert_int_equal(out.vcpus, 4);
	assert_int_equal(out.layers, 0x1ffff);
	assert_int_equal(out.flags, in.flags);
	assert_int_equal(out.hugepages, LAUNCH_THP);
	assert_int_equal(out.tty_mask, 5);
	assert_int_equal(out.fs_upper, in.fs_upper);
	assert_int_equal(out.fs_tmp, in.fs_tmp);
	assert_int_equal(out.tmpfs_count, 2);
	assert_int_equal(out.tmpfs[0].size, 1 << 20);
	assert_string_equal(out.tmpfs[0].path, "/work");
	assert_int_equal(out.tmpfs[1].size, 16 << 20);
	assert_string_equal(out.tmpfs[1].path, "/dev/shm");
	assert_int_equal(out.volume_count, 2);
	assert_int_equal(out.volumes[0].fd, 13);
	assert_false(out.volumes[0].ro);
	assert_string_equal(out.volumes[0].path, "/src");
	assert_int_equal(out.volumes[1].fd, 14);
	assert_true(out.volumes[1].ro);
	assert_string_equal(out.volumes[1].path, "/cache");
	assert_int_equal(out.volumes[2].fd, LAUNCH_NO_FD);
	assert_int_equal(out.kvm_fd, 3);
	assert_int_equal(out.elf_fd, 4);
	assert_int_equal(out.console_fd, 5);
	assert_int_equal(out.seccomp_vmm_fd, 6);
	assert_int_equal(out.seccomp_vcpu_fd, 7);
	assert_int_equal(out.seccomp_setup_fd, 12);
	assert_int_equal(out.net_fd, 8);
	assert_int_equal(out.net_stats_fd, 9);
	assert_int_equal(out.restore_fd, LAUNCH_NO_FD);
	assert_int_equal(out.control_fd, LAUNCH_NO_FD);
	assert_string_equal(out.net_tap, "lv-abc");
	assert_memory_equal(out.net_mac, in.net_mac, 6);
	assert_int_equal(out.disk_count, 2);
	assert_int_equal(out.disks[0].fd, 10);
	assert_true(out.disks[0].ro);
	assert_string_equal(out.disks[0].path, "/img/a");
	assert_int_equal(out.disks[1].fd, 11);
	assert_false(out.disks[1].ro);
	assert_string_equal(out.disks[1].path, "");
	assert_int_equal(out.numa_nodes.bits[0], 1);
	assert_int_equal(out.numa_cpus.bits[0], 3);
	assert_int_equal(out.argc, 3);
	for (unsigned i = 0; i < 3; i++)
		assert_string_equal(out.argv[i], argv_in[i]);
	assert_null(out.argv[3]);
	assert_int_equal(out.envc, 2);
	assert_string_equal(out.envp[1], "EMPTY=");
	assert_null(out.envp[2]);
	assert_string_equal(out.workdir, "/srv/w");
	assert_string_equal(out.hostname, "h1");
	assert_int_equal(out.uid, 1000);
	assert_int_equal(out.gid, 1001);
	assert_int_equal(out.ngroups, 2);
	assert_int_equal(out.groups[1], 4294967294U);
	assert_int_equal(out.rlimit_set, 1u << IDENT_RLIMIT_NOFILE);
	assert_int_equal(out.rlimits[IDENT_RLIMIT_NOFILE].cur, 20);
	assert_int_equal(out.rlimits[IDENT_RLIMIT_NOFILE].max, 30);
	launch_free(&out);
	free(buf);
}

/* Encoding refuses what decoding would: a bad message is never sent. */
static void encoder_refuses_broken_rules(void **state)
{
	static const struct {
		const char *what, *reason;
	} cases[] = {
	    {"no memory", "no guest memory size"},
	    {"vcpus 0", "0 vCPUs"},
	    {"vcpus 65", "65 vCPUs"},
	    {"no kvm fd", "no kvm fd"},
	    {"fd 1024", "kvm fd 1024 out of range"},
	    {"no image", "neither a guest image, a --linux tree nor a saved state"},
	    {"17 disks", "17 disks"},
	    {"nic without tap", "a NIC needs a valid tap name"},
	    {"tap without nic", "a NIC needs a valid tap name"},
	    {"bad tap", "a NIC needs a valid tap name"},
	    {"env without =", "environment entry 1 has no '='"},
	    {"numa flag alone", "NUMA nodes and CPUs go together"},
	    {"one seccomp fd", "seccomp fds go together"},
	    {"unknown flag", "unknown flags"},
	    {"tty mask", "tty mask"},
	    {"uid -1", "uid 4294967295"},
	    {"33 groups", "33 groups"},
	    {"soft above hard", "limit 7: soft 31, hard 30"},
	    {"limit 16", "past the 16 Linux has"},
	    {"hostname of 65 bytes", "65 bytes"},
	    {"relative workdir", "workdir not an absolute path"},
	    {"ids of an SDK guest", "for --linux guests only"},
	    {"hostname of an SDK guest", "workdir and hostname are for --linux guests"},
	    {"9 volumes", "9 volumes"},
	    {"a volume without an fd", "volume 1 fd -1"},
	    {"a relative volume path", "volume 0 has no absolute path"},
	    {"volumes of an SDK guest", "--linux only"},
	};
	static const char host65[] =
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	static const char *bad_env[] = {"A=1", "NOEQUALS"};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct launch l;
		char err[256] = "";
		size_t len;
		full_launch(&l);
		const char *w = cases[i].what;
		if (!strcmp(w, "no memory"))
			l.mem = 0;
		else if (!strcmp(w, "vcpus 0"))
			l.vcpus = 0;
		else if (!strcmp(w, "vcpus 65"))
			l.vcpus = 65;
		else if (!strcmp(w, "no kvm fd"))
			l.kvm_fd = -1;
		else if (!strcmp(w, "fd 1024"))
			l.kvm_fd = 1024;
		else if (!strcmp(w, "no image"))
			l.elf_fd = -1;
		else if (!strcmp(w, "17 disks"))
			l.disk_count = 17;
		else if (!strcmp(w, "nic without tap"))
			l.net_tap = "";
		else if (!strcmp(w, "tap without nic"))
			l.net_fd = l.net_stats_fd = -1;
		else if (!strcmp(w, "bad tap"))
			l.net_tap = "a/b";
		else if (!strcmp(w, "env without ="))
			l.envp = bad_env;
		else if (!strcmp(w, "numa flag alone"))
			l.numa_cpus.bits[0] = 0;
		else if (!strcmp(w, "one seccomp fd"))
			l.seccomp_vcpu_fd = -1;
		else if (!strcmp(w, "unknown flag"))
			l.flags |= 1u << 30;
		else if (!strcmp(w, "tty mask"))
			l.tty_mask = 8;
		else if (!strcmp(w, "uid -1"))
			l.uid = 4294967295U;
		else if (!strcmp(w, "33 groups"))
			l.ngroups = 33;
		else if (!strcmp(w, "soft above hard"))
			l.rlimits[IDENT_RLIMIT_NOFILE].cur = 31;
		else if (!strcmp(w, "limit 16"))
			l.rlimit_set |= 1u << 16;
		else if (!strcmp(w, "hostname of 65 bytes"))
			l.hostname = host65;
		else if (!strcmp(w, "relative workdir"))
			l.workdir = "srv";
		else if (!strcmp(w, "ids of an SDK guest")) {
			l.flags &= ~(unsigned)LAUNCH_LINUX;
			l.volume_count = 0;
		} else if (!strcmp(w, "9 volumes"))
			l.volume_count = 9;
		else if (!strcmp(w, "a volume without an fd"))
			l.volumes[1].fd = -1;
		else if (!strcmp(w, "a relative volume path"))
			l.volumes[0].path = "src";
		else if (!strcmp(w, "volumes of an SDK guest")) {
			l.flags &= ~(unsigned)LAUNCH_LINUX;
			l.uid = l.gid = l.ngroups = l.rlimit_set = 0;
			memset(l.rlimits, 0, sizeof(l.rlimits));
			l.workdir = l.hostname = "";
		} else if (!strcmp(w, "hostname of an SDK guest")) {
			l.flags &= ~(unsigned)LAUNCH_LINUX;
			l.uid = l.gid = l.ngroups = l.rlimit_set = l.volume_count = 0;
			memset(l.rlimits, 0, sizeof(l.rlimits));
		}
		uint8_t *buf = launch_encode(&l, &len, err, sizeof(err));
		if (buf || !strstr(err, cases[i].reason))
			fail_msg("%s: encoded=%d err='%s', want '%s'", w, buf != NULL, err,
				 cases[i].reason);
	}
}

static uint8_t *encoded(size_t *len)
{
	struct launch l;
	char err[256];
	full_launch(&l);
	uint8_t *buf = launch_encode(&l, len, err, sizeof(err));
	assert_non_null(buf);
	return buf;
}

static void expect_refused(const uint8_t *buf, size_t len, const char *reason)
{
	struct launch l;
	char err[256] = "";
	int rc = launch_decode(buf, len, &l, err, sizeof(err));
	if (rc == 0 || !strstr(err, reason))
		fail_msg("decode rc=%d err='%s', want '%s'", rc, err, reason);
	launch_free(&l);
}

static void decoder_checks_size_version_and_strings(void **state)
{
	size_t len;
	uint8_t *buf = encoded(&len);
	uint8_t *copy = malloc(len + 1);
	assert_non_null(copy);

	expect_refused(buf, 10, "message of 10 bytes");
	expect_refused(buf, len - 1, "arrived");
	memcpy(copy, buf, len);
	copy[len] = 'x';
	expect_refused(copy, len + 1, "arrived");

	memcpy(copy, buf, len);
	copy[0] ^= 0xff; /* magic */
	expect_refused(copy, len, "bad magic");
	memcpy(copy, buf, len);
	copy[4] = 99; /* version */
	expect_refused(copy, len, "version 99");

	/* The last string (the hostname) loses its NUL. */
	memcpy(copy, buf, len);
	copy[len - 1] = 'x';
	expect_refused(copy, len, "no tap name, workdir or hostname string");

	/* A string table with a NUL too many: bytes left over. */
	memcpy(copy, buf, len);
	size_t at = len - strlen("h1") - 1;
	copy[at + 1] = '\0';
	expect_refused(copy, len, "bytes after the string table");

	free(copy);
	free(buf);
}

/* --linux --fs: the VMM opens PROGRAM in the tree, so the tree stands for
 * the image fd; without the tree the image is still required. */
static void linux_tree_stands_for_the_image(void **state)
{
	struct launch l, out;
	char err[256] = "";
	size_t len;
	full_launch(&l);
	l.elf_fd = -1;
	l.fs_fd = 13;
	uint8_t *buf = launch_encode(&l, &len, err, sizeof(err));
	assert_non_null(buf);
	assert_int_equal(launch_decode(buf, len, &out, err, sizeof(err)), 0);
	assert_int_equal(out.elf_fd, LAUNCH_NO_FD);
	assert_int_equal(out.fs_fd, 13);
	launch_free(&out);
	free(buf);
	l.fs_fd = -1;
	assert_null(launch_encode(&l, &len, err, sizeof(err)));
	assert_non_null(strstr(err, "neither a guest image"));
}

static void memfd_transport_is_sealed_and_whole(void **state)
{
	size_t len, got;
	char err[256];
	uint8_t *buf = encoded(&len);
	int fd = launch_write_memfd(buf, len, err, sizeof(err));
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x", 1), -1); /* sealed against writes */
	uint8_t *back = launch_read_fd(fd, &got, err, sizeof(err));
	assert_non_null(back);
	assert_int_equal(got, len);
	assert_memory_equal(back, buf, len);
	free(back);
	close(fd);
	assert_null(launch_read_fd(fd, &got, err, sizeof(err)));
	assert_non_null(strstr(err, "fstat(launch fd"));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(round_trip_keeps_every_field),
	    cmocka_unit_test(encoder_refuses_broken_rules),
	    cmocka_unit_test(decoder_checks_size_version_and_strings),
	    cmocka_unit_test(linux_tree_stands_for_the_image),
	    cmocka_unit_test(memfd_transport_is_sealed_and_whole),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
