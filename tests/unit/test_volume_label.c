/* Unit tests of --volume ,z/,Z (common/volume_spec.c, registry/images.c): the spec, the label each suffix gives, the record of the old label and its restore, and a volume another live VM holds with ,Z refused; labels go through an injected setfilecon (no SELinux on these hosts). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "images.h"
#include "label.h"
#include "registry.h"
#include "volume_spec.h"

#define OLD_LABEL "system_u:object_r:user_home_t:s0"
#define IMAGE_A	  "system_u:object_r:lockvm_image_t:s0:c1,c2"
#define IMAGE_B	  "system_u:object_r:lockvm_image_t:s0:c3,c4"
#define CONTENT	  "system_u:object_r:lockvm_content_t:s0"

static char tmp_root[PATH_MAX], vol[PATH_MAX + 8];

/* The injected file labels: one directory's, by inode. */
static ino_t labelled_ino;
static char current[LABEL_MAX] = OLD_LABEL;
static unsigned sets;

static int fake_get(int fd, char *out, size_t size)
{
	snprintf(out, size, "%s", current);
	return 0;
}

static int fake_set(int fd, const char *context)
{
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(st.st_ino == labelled_ino); /* the volume's directory, nothing else */
	snprintf(current, sizeof(current), "%s", context);
	sets++;
	return 0;
}

static const struct label_file_ops fake_ops = {.get = fake_get, .set = fake_set};

static int make_root(void **state)
{
	char err[256];
	snprintf(tmp_root, sizeof(tmp_root), "/tmp/lockvm-test-volume-label.XXXXXX");
	if (!mkdtemp(tmp_root) || paths_set_root(tmp_root, err, sizeof(err)) < 0)
		return -1;
	snprintf(vol, sizeof(vol), "%s/work", tmp_root);
	struct stat st;
	if (mkdir(vol, 0755) < 0 || stat(vol, &st) < 0)
		return -1;
	labelled_ino = st.st_ino;
	snprintf(current, sizeof(current), "%s", OLD_LABEL);
	sets = 0;
	label_file_ops_set(&fake_ops);
	return 0;
}

static int remove_root(void **state)
{
	label_file_ops_set(NULL);
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp_root);
	return system(cmd) == 0 ? 0 : -1;
}

/* A live VM `name` (its registry lock held): the returned fd. */
static int live_vm(const char *name)
{
	struct reg_vm vm;
	char err[512];
	memset(&vm, 0, sizeof(vm));
	snprintf(vm.name, sizeof(vm.name), "%s", name);
	snprintf(vm.uuid, sizeof(vm.uuid), "0123abcd-0000-4000-8000-00000000beef");
	snprintf(vm.state, sizeof(vm.state), "running");
	snprintf(vm.boot_id, sizeof(vm.boot_id), "%s", registry_boot_id());
	int fd = -1, lock = registry_lock();
	assert_true(lock >= 0);
	int rc = registry_claim(&vm, &fd, err, sizeof(err));
	registry_unlock(lock);
	if (rc < 0)
		fail_msg("registry_claim(%s): %s", name, err);
	return fd;
}

static int take(const char *vm, bool private_label, const char *label, char *err, size_t len)
{
	int fd = open(vol, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	int rc = images_take_volume(fd, vol, vm, private_label, label, err, len);
	close(fd);
	return rc;
}

/* How many image records there are, and whether one holds `text`. */
static int records(const char *text, bool *found)
{
	char dir[PATH_MAX + 32], path[PATH_MAX + 300], buf[8192];
	snprintf(dir, sizeof(dir), "%s/run/lockvm/images", tmp_root);
	DIR *d = opendir(dir);
	int n = 0;
	*found = false;
	for (struct dirent *e; d && (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		n++;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		FILE *f = fopen(path, "r");
		size_t got = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
		buf[got] = '\0';
		if (f)
			fclose(f);
		*found |= strstr(buf, text) != NULL;
	}
	if (d)
		closedir(d);
	return n;
}

static void spec_suffixes(void **state)
{
	struct volume_spec spec;
	char why[512], a[] = "/w:/work,Z", b[] = "/w:/cache:ro,z", c[] = "/w:/plain:rw",
		       d[] = "/w:/x,Q", e[] = "/a,b:/x";
	assert_int_equal(volume_spec_parse(a, &spec, why, sizeof(why)), 0);
	assert_int_equal(spec.relabel, VOLUME_PRIVATE_LABEL);
	assert_string_equal(spec.guest, "/work");
	assert_false(spec.ro);
	assert_int_equal(volume_spec_parse(b, &spec, why, sizeof(why)), 0);
	assert_int_equal(spec.relabel, VOLUME_SHARED_LABEL);
	assert_true(spec.ro);
	assert_int_equal(volume_spec_parse(c, &spec, why, sizeof(why)), 0);
	assert_int_equal(spec.relabel, VOLUME_KEEP_LABEL);
	assert_int_equal(volume_spec_parse(d, &spec, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "want HOST:GUEST[:ro|:rw][,z|,Z]"));
	assert_int_equal(volume_spec_parse(e, &spec, why, sizeof(why)), 0); /* a ',' in HOST */
	assert_string_equal(spec.host, "/a,b");
	assert_string_equal(volume_spec_label(VOLUME_PRIVATE_LABEL, IMAGE_A, CONTENT), IMAGE_A);
	assert_string_equal(volume_spec_label(VOLUME_SHARED_LABEL, IMAGE_A, CONTENT), CONTENT);
	assert_string_equal(volume_spec_label(VOLUME_KEEP_LABEL, IMAGE_A, CONTENT), "");
}

/* ,Z: the VM's image label while it runs, the old one recorded and put back. */
static void private_label_recorded_and_restored(void **state)
{
	char err[1024];
	bool found;
	int alpha = live_vm("alpha");
	assert_int_equal(take("alpha", true, IMAGE_A, err, sizeof(err)), 0);
	assert_string_equal(current, IMAGE_A);
	assert_int_equal(records(OLD_LABEL, &found), 1);
	assert_true(found); /* the record keeps the label to restore */
	images_release("alpha");
	assert_string_equal(current, OLD_LABEL);
	assert_int_equal(records(OLD_LABEL, &found), 0);
	close(alpha);
}

/* A volume another live VM holds with ,Z is refused, with ,Z or ,z; the label stays its. */
static void private_volume_refused_to_another_vm(void **state)
{
	char err[1024];
	int alpha = live_vm("alpha"), beta = live_vm("beta");
	assert_int_equal(take("alpha", true, IMAGE_A, err, sizeof(err)), 0);
	assert_int_equal(take("beta", true, IMAGE_B, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "volume"));
	assert_non_null(strstr(err, "in use by VM 'alpha'"));
	assert_string_equal(current, IMAGE_A);
	assert_int_equal(take("beta", false, CONTENT, err, sizeof(err)), -1);
	assert_string_equal(current, IMAGE_A);
	images_release("alpha");
	assert_string_equal(current, OLD_LABEL);
	/* Free again: beta may take it now. */
	assert_int_equal(take("beta", true, IMAGE_B, err, sizeof(err)), 0);
	assert_string_equal(current, IMAGE_B);
	images_release("beta");
	assert_string_equal(current, OLD_LABEL);
	close(alpha);
	close(beta);
}

/* ,z: shared by every ,z VM under the content label; restored after the last. */
static void shared_label_held_by_many(void **state)
{
	char err[1024];
	int alpha = live_vm("alpha"), beta = live_vm("beta");
	assert_int_equal(take("alpha", false, CONTENT, err, sizeof(err)), 0);
	assert_int_equal(take("beta", false, CONTENT, err, sizeof(err)), 0);
	assert_string_equal(current, CONTENT);
	assert_int_equal(take("gamma", true, IMAGE_B, err, sizeof(err)), -1); /* ,Z over ,z */
	images_release("alpha");
	assert_string_equal(current, CONTENT); /* beta still holds it */
	images_release("beta");
	assert_string_equal(current, OLD_LABEL);
	close(alpha);
	close(beta);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(spec_suffixes),
	    cmocka_unit_test_setup_teardown(private_label_recorded_and_restored, make_root,
					    remove_root),
	    cmocka_unit_test_setup_teardown(private_volume_refused_to_another_vm, make_root,
					    remove_root),
	    cmocka_unit_test_setup_teardown(shared_label_held_by_many, make_root, remove_root),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
