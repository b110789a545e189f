/* Unit tests for --volume in the VMM's tree (linux_volume.c): changes reach the host directory, a read-only volume takes none, ".." at a volume's root goes to the tree, symlinks resolve in the VM's tree, a symlink swapped in on the host is refused, and Landlock allows writes beneath a writable tree only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "landlock.h"
#include "linux.h"

/* A new host directory holding f ("host file") and d/. */
static void make_dir(char *dir)
{
	char p[256];
	strcpy(dir, "/tmp/lockvm-test-volume.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(p, sizeof(p), "%s/f", dir);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs("host file", f);
	fclose(f);
	snprintf(p, sizeof(p), "%s/d", dir);
	assert_int_equal(mkdir(p, 0755), 0);
}

static void remove_dir(const char *dir)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* An empty tree with dir mounted at /work (ro or not). */
static void mount_at_work(struct linux_fs *fs, const char *dir, bool ro)
{
	char err[256];
	assert_int_equal(linux_fs_init(fs, -1, 65536, 65536, err, sizeof(err)), 0);
	int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(linux_fs_mount_volume(fs, "/work", fd, ro, err, sizeof(err)), 0);
}

static struct linux_node *resolve(struct linux_fs *fs, const char *path)
{
	struct linux_node *n = NULL;
	int rc = linux_fs_resolve(fs, fs->root, path, LINUX_RESOLVE_FOLLOW, &n, NULL, NULL, 0);
	return rc == 0 ? n : NULL;
}

static bool host_exists(const char *dir, const char *name)
{
	char p[256];
	struct stat st;
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return lstat(p, &st) == 0;
}

static void changes_reach_the_host(void **state)
{
	char dir[64];
	struct linux_fs fs;
	make_dir(dir);
	mount_at_work(&fs, dir, false);
	struct linux_node *work = resolve(&fs, "/work"), *n;
	assert_non_null(work);
	assert_non_null(resolve(&fs, "/work/f"));
	/* a file made, written and truncated in the VM is the host's */
	assert_int_equal(linux_fs_create(&fs, work, "out", S_IFREG | 0644, &n), 0);
	int fd = linux_volume_open(&fs, n, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(linux_volume_write(n, fd, 0, "artifact", 8), 8);
	close(fd);
	char p[256], buf[32] = "";
	snprintf(p, sizeof(p), "%s/out", dir);
	FILE *f = fopen(p, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "artifact");
	assert_int_equal(linux_fs_truncate(&fs, n, 3), 0);
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_size, 3);
	assert_int_equal(linux_volume_chmod(&fs, n, 0700), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	/* mkdir, rename into it, unlink, rmdir */
	assert_int_equal(linux_fs_create(&fs, work, "sub", S_IFDIR | 0755, &n), 0);
	assert_true(host_exists(dir, "sub"));
	assert_int_equal(linux_fs_rename(&fs, work, "out", n, "moved", 0), 0);
	assert_true(host_exists(dir, "sub/moved") && !host_exists(dir, "out"));
	assert_non_null(resolve(&fs, "/work/sub/moved"));
	assert_null(resolve(&fs, "/work/out"));
	assert_int_equal(linux_fs_unlink(&fs, work, "sub", true), -ENOTEMPTY);
	assert_int_equal(linux_fs_unlink(&fs, n, "moved", false), 0);
	assert_int_equal(linux_fs_unlink(&fs, work, "sub", true), 0);
	assert_false(host_exists(dir, "sub"));
	/* the volume's root is a mount point: not removed, not renamed */
	assert_int_equal(linux_fs_unlink(&fs, fs.root, "work", true), -EBUSY);
	/* the tree's upper layer and the volume are two file systems */
	assert_int_equal(linux_fs_rename(&fs, work, "f", fs.root, "f", 0), -EXDEV);
	linux_fs_free(&fs);
	remove_dir(dir);
}

static void read_only_volume_takes_nothing(void **state)
{
	char dir[64];
	struct linux_fs fs;
	make_dir(dir);
	char fpath[256];
	struct stat before;
	snprintf(fpath, sizeof(fpath), "%s/f", dir);
	assert_int_equal(stat(fpath, &before), 0);
	unsigned mode_before = before.st_mode & 0777;
	mount_at_work(&fs, dir, true);
	struct linux_node *work = resolve(&fs, "/work"), *f = resolve(&fs, "/work/f"), *n;
	assert_non_null(work);
	assert_non_null(f);
	assert_int_equal(linux_fs_create(&fs, work, "new", S_IFREG | 0644, &n), -EROFS);
	assert_int_equal(linux_fs_create(&fs, work, "newdir", S_IFDIR | 0755, &n), -EROFS);
	assert_int_equal(linux_fs_unlink(&fs, work, "f", false), -EROFS);
	assert_int_equal(linux_fs_rename(&fs, work, "f", work, "g", 0), -EROFS);
	assert_int_equal(linux_fs_symlink(&fs, work, "l", "/etc"), -EROFS);
	assert_int_equal(linux_fs_truncate(&fs, f, 0), -EROFS);
	assert_int_equal(linux_volume_chmod(&fs, f, 0777), -EROFS);
	assert_int_equal(linux_volume_open(&fs, f, O_RDWR), -EROFS);
	assert_int_equal(linux_fs_copy_up(&fs, f), -EROFS);
	assert_false(host_exists(dir, "new") || host_exists(dir, "newdir") ||
		     host_exists(dir, "g") || host_exists(dir, "l"));
	struct stat st;
	char p[256];
	snprintf(p, sizeof(p), "%s/f", dir);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_size, 9);
	assert_int_equal(st.st_mode & 0777, mode_before);
	linux_fs_free(&fs);
	remove_dir(dir);
}

static void walks_stay_in_the_vm(void **state)
{
	char dir[64], p[256];
	struct linux_fs fs;
	make_dir(dir);
	/* host-made links out of the volume: they resolve in the VM's tree */
	snprintf(p, sizeof(p), "%s/abs", dir);
	assert_int_equal(symlink("/etc", p), 0);
	snprintf(p, sizeof(p), "%s/rel", dir);
	assert_int_equal(symlink("../../../../../../etc", p), 0);
	mount_at_work(&fs, dir, false);
	/* ".." at the volume's root is the tree's "/" (which has no /etc) */
	assert_ptr_equal(resolve(&fs, "/work/.."), fs.root);
	assert_ptr_equal(resolve(&fs, "/work/../.."), fs.root);
	assert_null(resolve(&fs, "/work/../etc"));
	assert_null(resolve(&fs, "/work/abs/passwd"));
	assert_null(resolve(&fs, "/work/rel/passwd"));
	/* a directory the host swaps for a symlink after our walk cached it */
	struct linux_node *d = resolve(&fs, "/work/d"), *n;
	assert_non_null(d);
	snprintf(p, sizeof(p), "%s/d", dir);
	assert_int_equal(rmdir(p), 0);
	assert_int_equal(symlink("/etc", p), 0);
	assert_int_equal(linux_fs_create(&fs, d, "x", S_IFREG | 0644, &n), -ELOOP);
	assert_int_equal(linux_fs_child(&fs, d, "passwd", 6, &n), -ELOOP);
	assert_false(host_exists("/etc", "x"));
	/* nothing is mounted inside a volume */
	char err[256];
	assert_int_equal(linux_fs_mount_tmpfs(&fs, "/work/t", 4096, err, sizeof(err)), -1);
	linux_fs_free(&fs);
	remove_dir(dir);
}

/* In a child (Landlock confines the caller for good): writable trees take
 * new files, read-only ones and everything else do not. */
static void landlock_writes_beneath_writable_trees_only(void **state)
{
	char rw[64], ro[64], other[64];
	make_dir(rw);
	make_dir(ro);
	make_dir(other);
	if (landlock_abi() <= 0) {
		remove_dir(rw);
		remove_dir(ro);
		remove_dir(other);
		print_message("landlock: not available in this kernel\n");
		skip();
	}
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct landlock_tree trees[2] = {
		    {.fd = open(rw, O_PATH | O_DIRECTORY | O_CLOEXEC), .writable = true},
		    {.fd = open(ro, O_PATH | O_DIRECTORY | O_CLOEXEC), .writable = false},
		};
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    landlock_restrict_everything(NULL, trees, 2) != 0)
			_exit(10);
		int bad = 0;
		char p[256];
		snprintf(p, sizeof(p), "%s/d/new", rw);
		bad |= creat(p, 0644) < 0 ? 1 : 0;
		snprintf(p, sizeof(p), "%s/f", rw);
		bad |= open(p, O_WRONLY | O_TRUNC) < 0 ? 2 : 0;
		snprintf(p, sizeof(p), "%s/f", ro);
		bad |= open(p, O_RDONLY) < 0 ? 4 : 0;
		bad |= open(p, O_WRONLY) >= 0 ? 8 : 0;
		snprintf(p, sizeof(p), "%s/new", ro);
		bad |= creat(p, 0644) >= 0 ? 16 : 0;
		snprintf(p, sizeof(p), "%s/new", other);
		bad |= creat(p, 0644) >= 0 ? 32 : 0;
		snprintf(p, sizeof(p), "%s/f", other);
		bad |= open(p, O_RDONLY) >= 0 ? 64 : 0;
		_exit(bad);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	remove_dir(rw);
	remove_dir(ro);
	remove_dir(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(changes_reach_the_host),
	    cmocka_unit_test(read_only_volume_takes_nothing),
	    cmocka_unit_test(walks_stay_in_the_vm),
	    cmocka_unit_test(landlock_writes_beneath_writable_trees_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
