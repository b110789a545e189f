/* Unit tests for runner/mac/apparmor_profile.c: every bad path class is refused with a clear reason; generated profiles hold only the VM's files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "apparmor_profile.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/apparmor.h>
#include <unistd.h>

#define UUID "0123abcd-0000-4000-8000-00000000beef"

/* path must be refused and the reason must contain `reason`. */
static void assert_refused(const char *path, const char *reason)
{
	char err[512] = "";
	int rc = apparmor_path_validate(path, err, sizeof(err));
	if (rc != -1 || !strstr(err, reason))
		fail_msg("path '%s': rc %d, err '%s', want a refusal saying '%s'",
			 path ? path : "(null)", rc, err, reason);
	/* The reason never echoes raw control characters back. */
	for (const char *c = err; *c; c++)
		assert_true((unsigned char)*c >= 0x20);
}

static void assert_accepted(const char *path)
{
	char err[512] = "";
	if (apparmor_path_validate(path, err, sizeof(err)) != 0)
		fail_msg("path '%s' refused: %s", path, err);
}

static void test_accepts_ordinary_image_paths(void **state)
{
	assert_accepted("/var/lib/lockvm/images/vm1.img");
	assert_accepted("/srv/ci/job 42/disk.raw");
	assert_accepted("/home/alice/vms/guest.elf");
	assert_accepted("/tmp/lockvm-t.abc/disk");
	assert_accepted("/dev/sdb");
	assert_accepted("/dev/vda1");
	assert_accepted("/dev/nvme0n1p2");
	assert_accepted("/dev/loop7");
	assert_accepted("/dev/dm-3");
	assert_accepted("/dev/mapper/vg0-vm1");
	assert_accepted("/var/library-of-images/x"); /* only a top-level /lib* is refused */
}

static void test_refuses_empty_and_relative(void **state)
{
	assert_refused(NULL, "empty path");
	assert_refused("", "empty path");
	assert_refused("disk.img", "not absolute");
	assert_refused("./disk.img", "not absolute");
	assert_refused("~/disk.img", "not absolute");
}

static void test_refuses_non_canonical(void **state)
{
	assert_refused("/srv//disk.img", "\"//\"");
	assert_refused("/srv/./disk.img", "\".\" component");
	assert_refused("/srv/../etc/shadow", "\"..\" component");
	assert_refused("/srv/images/..", "\"..\" component");
	assert_refused("/srv/images/.", "\".\" component");
	assert_refused("/srv/images/", "trailing \"/\"");
	assert_refused("/", "root directory");
}

static void test_refuses_quotes_and_backslash(void **state)
{
	assert_refused("/srv/a\"b.img", "quote");
	assert_refused("/srv/a'b.img", "quote");
	assert_refused("/srv/a\\b.img", "backslash");
}

static void test_refuses_globbing(void **state)
{
	static const char *const globs[] = {"/srv/*.img",     "/srv/a?.img", "/srv/[ab].img",
					    "/srv/{a,b}.img", "/srv/a]b",    "/srv/a}b",
					    "/srv/^a"};
	for (size_t i = 0; i < sizeof(globs) / sizeof(globs[0]); i++)
		assert_refused(globs[i], "globbing character");
}

static void test_refuses_apparmor_specials(void **state)
{
	assert_refused("/srv/@{HOME}/x", "variable or comment");
	assert_refused("/srv/a#b", "variable or comment");
}

static void test_refuses_control_characters(void **state)
{
	assert_refused("/srv/a\nb.img", "control character or newline");
	assert_refused("/srv/a\rb.img", "control character");
	assert_refused("/srv/a\tb.img", "control character");
	assert_refused("/srv/a\x1b[0mb", "control character");
	assert_refused("/srv/a\x7f", "control character");
	/* A newline would otherwise end the rule and start a new one. */
	assert_refused("/srv/x\" rwk,\n  /etc/shadow r,\n#", "quote");
}

static void test_refuses_host_directories(void **state)
{
	static const struct {
		const char *path, *dir;
	} cases[] = {
	    {"/etc/shadow", "/etc"},
	    {"/etc", "/etc"},
	    {"/bin/sh", "/bin"},
	    {"/sbin/init", "/sbin"},
	    {"/lib/x86_64-linux-gnu/libc.so.6", "/lib*"},
	    {"/lib64/ld-linux-x86-64.so.2", "/lib*"},
	    {"/libx32/x", "/lib*"},
	    {"/usr/bin/lockvm", "/usr"},
	    {"/proc/self/mem", "/proc"},
	    {"/sys/kernel/security/apparmor/.replace", "/sys"},
	    {"/boot/vmlinuz", "/boot"},
	    {"/root/.ssh/id_rsa", "/root"},
	    {"/run/lockvm/registry", "/run"},
	    {"/var/run/docker.sock", "/var/run"},
	    {"/var/lib/dpkg/status", "/var/lib/dpkg"},
	    {"/var/lib/apt/lists/x", "/var/lib/apt"},
	    {"/var/log/lockvm/vm1.log", "/var/log/lockvm"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char want[64];
		snprintf(want, sizeof(want), "under %s,", cases[i].dir);
		assert_refused(cases[i].path, want);
	}
	/* Prefixes match whole components only. */
	assert_accepted("/etcetera/disk.img");
	assert_accepted("/usrdata/disk.img");
}

static void test_refuses_devices_except_disks(void **state)
{
	static const char *const devices[] = {
	    "/dev/kvm",		 "/dev/mem",  "/dev/sda/x",	"/dev/mapper/control",
	    "/dev/loop-control", "/dev/tty1", "/dev/loop",	"/dev/dm-",
	    "/dev/sd1",		 "/dev",      "/dev/mapper/.x", "/dev/shm/x"};
	for (size_t i = 0; i < sizeof(devices) / sizeof(devices[0]); i++)
		assert_refused(devices[i], "not a disk device");
}

static void test_refuses_overlong(void **state)
{
	char *path = malloc(APPARMOR_PATH_MAX + 2);
	assert_non_null(path);
	memset(path, 'a', APPARMOR_PATH_MAX + 1);
	path[0] = '/';
	for (size_t i = 100; i < APPARMOR_PATH_MAX; i += 100)
		path[i] = '/';
	path[APPARMOR_PATH_MAX + 1] = '\0';
	assert_refused(path, "longer than 4095 bytes");
	path[APPARMOR_PATH_MAX] = '\0'; /* exactly the limit: fine */
	assert_accepted(path);

	char component[APPARMOR_NAME_MAX + 8];
	component[0] = '/';
	memset(component + 1, 'b', APPARMOR_NAME_MAX + 1);
	component[APPARMOR_NAME_MAX + 2] = '\0';
	assert_refused(component, "component longer than 255");
	free(path);
}

static void test_generate_rw_and_ro_rules(void **state)
{
	const struct apparmor_disk disks[] = {
	    {"/var/lib/lockvm/images/vm1.img", false, false},
	    {"/srv/shared/base.img", true, false},
	};
	char profile[8192], err[256] = "";
	int len =
	    apparmor_profile_generate(UUID, disks, 2, profile, sizeof(profile), err, sizeof(err));
	if (len < 0)
		fail_msg("generate: %s", err);
	assert_int_equal((size_t)len, strlen(profile));
	assert_non_null(strstr(profile, "profile lockvm-" UUID " flags=(attach_disconnected) {"));
	assert_non_null(strstr(profile, "include <abstractions/lockvm-vm>"));
	assert_non_null(strstr(profile, "\n  \"/var/lib/lockvm/images/vm1.img\" rwk,\n"));
	assert_non_null(strstr(profile, "\n  \"/srv/shared/base.img\" rk,\n"));
	assert_non_null(strstr(profile, "\n  deny \"/srv/shared/base.img\" w,\n"));
	/* The ro disk gets no write rule, the marker is gone, the name appears once. */
	assert_null(strstr(profile, "\"/srv/shared/base.img\" rwk"));
	assert_null(strstr(profile, "\n  #LOCKVM_VM_FILES\n"));
	assert_null(strstr(profile, "profile lockvm-UUID"));
	assert_null(strstr(strstr(profile, "profile lockvm-") + 1, "profile lockvm-"));
}

/* A --linux tree: the directory and all beneath it, read only (with the
 * deny) or the file work of a writable volume; never a bare path rule. */
static void test_generate_tree_rules(void **state)
{
	const struct apparmor_disk trees[] = {
	    {"/lockvm-tree", true, true},
	    {"/lockvm-volume0", false, true},
	};
	char profile[8192], err[256] = "";
	if (apparmor_profile_generate(UUID, trees, 2, profile, sizeof(profile), err, sizeof(err)) <
	    0)
		fail_msg("generate: %s", err);
	assert_non_null(strstr(profile, "\n  \"/lockvm-tree/{,**}\" r,\n"));
	assert_non_null(strstr(profile, "\n  deny \"/lockvm-tree/{,**}\" w,\n"));
	assert_non_null(strstr(profile, "\n  \"/lockvm-volume0/{,**}\" rwkl,\n"));
	assert_null(strstr(profile, "\"/lockvm-tree\""));
	assert_null(strstr(profile, "deny \"/lockvm-volume0"));
}

static void test_generate_without_disks(void **state)
{
	char profile[8192], err[256] = "";
	assert_true(apparmor_profile_generate(UUID, NULL, 0, profile, sizeof(profile), err,
					      sizeof(err)) > 0);
	assert_null(strstr(profile, "\n  \""));
	assert_null(strstr(profile, "\n  deny \""));
	assert_non_null(strstr(profile, "}\n"));
}

static void test_generate_refuses_bad_input(void **state)
{
	char profile[8192], err[256];
	const struct apparmor_disk bad[] = {{"/etc/shadow", true, false}};
	assert_int_equal(
	    apparmor_profile_generate(UUID, bad, 1, profile, sizeof(profile), err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "under /etc"));
	assert_string_equal(profile, "");

	const struct apparmor_disk twice[] = {{"/srv/a.img", false, false},
					      {"/srv/a.img", true, false}};
	assert_int_equal(
	    apparmor_profile_generate(UUID, twice, 2, profile, sizeof(profile), err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "listed twice"));

	static const char *const uuids[] = {"",
					    "../../etc",
					    "0123ABCD-0000-4000-8000-00000000BEEF",
					    "0123abcd-0000-4000-8000-00000000beef0",
					    "0123abcd_0000-4000-8000-00000000beef",
					    "x} profile y {"};
	for (size_t i = 0; i < sizeof(uuids) / sizeof(uuids[0]); i++) {
		assert_int_equal(apparmor_profile_generate(uuids[i], NULL, 0, profile,
							   sizeof(profile), err, sizeof(err)),
				 -1);
		assert_non_null(strstr(err, "not a lowercase uuid"));
	}

	const struct apparmor_disk ok[] = {{"/srv/a.img", false, false}};
	assert_int_equal(apparmor_profile_generate(UUID, ok, 1, profile, 64, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "does not fit"));
}

static void test_generate_refuses_symlinked_path(void **state)
{
	char dir[] = "/tmp/lockvm-aa-unit.XXXXXX", link[PATH_MAX], target[PATH_MAX];
	assert_non_null(mkdtemp(dir));
	snprintf(target, sizeof(target), "%s/real.img", dir);
	snprintf(link, sizeof(link), "%s/link.img", dir);
	FILE *file = fopen(target, "w");
	assert_non_null(file);
	fclose(file);
	assert_int_equal(symlink("/etc/passwd", link), 0);

	const struct apparmor_disk disks[] = {{link, false, false}};
	char profile[8192], err[512];
	assert_int_equal(
	    apparmor_profile_generate(UUID, disks, 1, profile, sizeof(profile), err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "through a symlink"));
	const struct apparmor_disk real[] = {{target, false, false}};
	assert_true(apparmor_profile_generate(UUID, real, 1, profile, sizeof(profile), err,
					      sizeof(err)) > 0);
	unlink(link);
	unlink(target);
	rmdir(dir);
}

static void test_load_and_remove_report_not_enforced(void **state)
{
	char err[256] = "";
	if (aa_is_enabled() == 1) {
		skip(); /* real loading is covered on AppArmor hosts by make e2e */
		return;
	}
	assert_int_equal(apparmor_profile_load("profile x {}\n", err, sizeof(err)),
			 APPARMOR_NOT_ENFORCED);
	assert_non_null(strstr(err, "not enforced"));
	assert_int_equal(apparmor_profile_remove("lockvm-" UUID, err, sizeof(err)),
			 APPARMOR_NOT_ENFORCED);
	assert_non_null(strstr(err, "not enforced"));
	/* Only lockvm-<uuid> may ever be removed, enabled or not. */
	assert_int_equal(apparmor_profile_remove("unconfined", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "only lockvm-<uuid>"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_accepts_ordinary_image_paths),
	    cmocka_unit_test(test_refuses_empty_and_relative),
	    cmocka_unit_test(test_refuses_non_canonical),
	    cmocka_unit_test(test_refuses_quotes_and_backslash),
	    cmocka_unit_test(test_refuses_globbing),
	    cmocka_unit_test(test_refuses_apparmor_specials),
	    cmocka_unit_test(test_refuses_control_characters),
	    cmocka_unit_test(test_refuses_host_directories),
	    cmocka_unit_test(test_refuses_devices_except_disks),
	    cmocka_unit_test(test_refuses_overlong),
	    cmocka_unit_test(test_generate_rw_and_ro_rules),
	    cmocka_unit_test(test_generate_tree_rules),
	    cmocka_unit_test(test_generate_without_disks),
	    cmocka_unit_test(test_generate_refuses_bad_input),
	    cmocka_unit_test(test_generate_refuses_symlinked_path),
	    cmocka_unit_test(test_load_and_remove_report_not_enforced),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
