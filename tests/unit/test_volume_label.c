/* Unit tests of --volume ,z/,Z (common/volume_spec.c, registry/images.c): the spec, the label each suffix gives, the record of the old label and its restore (the directory's, and its tree's in two labels whatever its size), and a volume another live VM holds with ,Z refused; labels go through an injected setfilecon (no SELinux on these hosts). */
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
#define CHILD	  "unconfined_u:object_r:user_home_t:s0" /* the entries' own label */

static char tmp_root[PATH_MAX], vol[PATH_MAX + 8];

/* The injected file labels, by inode: the volume directory's in `current`,
 * its entries' in a table (CHILD until set); files outside the volume
 * (behind a symlink, linked from outside) must never be labelled. */
static ino_t labelled_ino, outside_ino[2];
static char current[LABEL_MAX] = OLD_LABEL;
static unsigned sets;
static struct entry_label {
	ino_t ino;
	char label[LABEL_MAX];
} entries[128];
static unsigned nentries;

static struct entry_label *entry_of(ino_t ino)
{
	for (unsigned i = 0; i < nentries; i++)
		if (entries[i].ino == ino)
			return &entries[i];
	assert_true(nentries < sizeof(entries) / sizeof(entries[0]));
	entries[nentries] = (struct entry_label){.ino = ino};
	snprintf(entries[nentries].label, LABEL_MAX, "%s", CHILD);
	return &entries[nentries++];
}

static int fake_get(int fd, char *out, size_t size)
{
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	snprintf(out, size, "%s", st.st_ino == labelled_ino ? current : entry_of(st.st_ino)->label);
	return 0;
}

static int fake_set(int fd, const char *context)
{
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(st.st_ino != outside_ino[0] && st.st_ino != outside_ino[1]);
	if (st.st_ino == labelled_ino)
		snprintf(current, sizeof(current), "%s", context);
	else
		snprintf(entry_of(st.st_ino)->label, LABEL_MAX, "%s", context);
	sets++;
	return 0;
}

/* The label of the entry at vol/rel (the entry itself, a symlink too). */
static const char *label_at(const char *rel)
{
	char path[PATH_MAX + 64];
	struct stat st;
	snprintf(path, sizeof(path), "%s/%s", vol, rel);
	assert_int_equal(lstat(path, &st), 0);
	return entry_of(st.st_ino)->label;
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
	outside_ino[0] = outside_ino[1] = 0;
	nentries = 0;
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

static void put_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	close(fd);
}

/* ,Z labels the whole tree (as podman does), never what lies outside it
 * (a symlink's target, a file linked from outside), and records two
 * labels whatever its size; after the VM the entries still carrying the
 * VM's label (the job's new ones too) get the old one back, and an entry
 * the host relabelled meanwhile keeps its label. */
static void tree_relabelled_and_restored(void **state)
{
	char path[PATH_MAX + 512], outside[PATH_MAX + 64], linked[PATH_MAX + 64], err[1024];
	struct stat st;
	snprintf(outside, sizeof(outside), "%s/outside", tmp_root);
	snprintf(linked, sizeof(linked), "%s/linked", tmp_root);
	put_file(outside);
	put_file(linked);
	assert_int_equal(stat(outside, &st), 0);
	outside_ino[0] = st.st_ino;
	assert_int_equal(stat(linked, &st), 0);
	outside_ino[1] = st.st_ino;
	snprintf(path, sizeof(path), "%s/sub", vol);
	assert_int_equal(mkdir(path, 0755), 0);
	for (int i = 0; i < 60; i++) { /* a record the same size for 60 files or a million */
		snprintf(path, sizeof(path), "%s/sub/f%d", vol, i);
		put_file(path);
	}
	snprintf(path, sizeof(path), "%s/g", vol);
	put_file(path);
	snprintf(path, sizeof(path), "%s/out", vol);
	assert_int_equal(symlink(outside, path), 0);
	snprintf(path, sizeof(path), "%s/hard", vol);
	assert_int_equal(link(linked, path), 0);
	int alpha = live_vm("alpha");
	assert_int_equal(take("alpha", true, IMAGE_A, err, sizeof(err)), 0);
	assert_string_equal(current, IMAGE_A);
	assert_string_equal(label_at("sub"), IMAGE_A);
	assert_string_equal(label_at("sub/f0"), IMAGE_A);
	assert_string_equal(label_at("sub/f59"), IMAGE_A);
	assert_string_equal(label_at("g"), IMAGE_A);
	assert_string_equal(label_at("out"), IMAGE_A); /* the symlink itself */
	bool found;
	assert_int_equal(records("\"contents_label\":\"" CHILD "\"", &found), 1);
	assert_true(found);
	char rec_dir[PATH_MAX + 32];
	snprintf(rec_dir, sizeof(rec_dir), "%s/run/lockvm/images", tmp_root);
	DIR *d = opendir(rec_dir);
	for (struct dirent *e; d && (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", rec_dir, e->d_name);
		assert_int_equal(stat(path, &st), 0);
		assert_true(st.st_size < 2048); /* no entry per file */
	}
	if (d)
		closedir(d);
	/* The job makes a file (SELinux gives it the VM's label); the host relabels g. */
	snprintf(path, sizeof(path), "%s/sub/new", vol);
	put_file(path);
	snprintf((char *)label_at("sub/new"), LABEL_MAX, "%s", IMAGE_A);
	snprintf((char *)label_at("g"), LABEL_MAX, "%s", "system_u:object_r:other_t:s0");
	images_release("alpha");
	assert_string_equal(current, OLD_LABEL);
	assert_string_equal(label_at("sub"), CHILD);
	assert_string_equal(label_at("sub/f0"), CHILD);
	assert_string_equal(label_at("sub/f59"), CHILD);
	assert_string_equal(label_at("sub/new"), CHILD);
	assert_string_equal(label_at("out"), CHILD);
	assert_string_equal(label_at("g"), "system_u:object_r:other_t:s0");
	close(alpha);
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
	    cmocka_unit_test_setup_teardown(tree_relabelled_and_restored, make_root, remove_root),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
