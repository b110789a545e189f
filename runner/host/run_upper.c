/* --fs-upper DIR and --keep-upper: the supervisor checks the directory the VMM writes the job's upper layer into (empty, not a symlink), clones it for the VMM, lends it to the VM's uid for the run and gives what the VMM wrote to the directory's owner after. */
#include "run_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "paths.h"
#include "util.h"

/* Whether directory fd (O_RDONLY, not consumed) has no entry but . and .. */
static bool dir_is_empty(int fd)
{
	int dup_fd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	if (!d) {
		if (dup_fd >= 0)
			close(dup_fd);
		return false;
	}
	bool empty = true;
	for (struct dirent *de; empty && (de = readdir(d));)
		empty = strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0;
	closedir(d);
	return empty;
}

/* Where --keep-upper writes the memory layer: UPPERS_DIR/ID under the state root. */
#define UPPERS_DIR "var/lib/lockvm/uppers"

/* --keep-upper with the memory upper layer: a new directory for it, named
 * for the VM's uuid (unique: no earlier run's layer is ever in the way). */
static const char *kept_upper_dir(const char *id)
{
	static char path[4096];
	if (paths_mkdir(UPPERS_DIR) < 0)
		die_errno("--keep-upper: creating %s/%s", paths_root(), UPPERS_DIR);
	if (paths_join(path, sizeof(path), UPPERS_DIR, id) < 0)
		die("--keep-upper: the state directory's path is too long");
	return path;
}

void open_upper_dir(struct run_options *o, const char *id)
{
	if (!o->upper_dir && o->keep_upper)
		o->upper_dir = kept_upper_dir(id);
	if (!o->upper_dir)
		return;
	if (o->keep_upper)
		fprintf(stderr, "lockvm: the job's upper layer will be kept in %s\n", o->upper_dir);
	const char *dir = o->upper_dir;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		die_errno("--fs-upper %s", dir);
	/* Not through a symlink at its end: the directory given, nothing it points to. */
	o->upper_dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (o->upper_dir_fd < 0 && (errno == ENOTDIR || errno == ELOOP))
		die("--fs-upper %s: not a directory; give an empty or new directory for the "
		    "job's changes",
		    dir);
	if (o->upper_dir_fd < 0)
		die_errno("--fs-upper %s", dir);
	if (!dir_is_empty(o->upper_dir_fd))
		die("--fs-upper %s: not empty; give an empty or new directory for the job's "
		    "changes",
		    dir);
	struct stat st;
	if (fstat(o->upper_dir_fd, &st) < 0)
		die_errno("--fs-upper %s", dir);
	_Static_assert(sizeof(o->upper_real) >= PATH_MAX, "a real path fits");
	if (!realpath(dir, o->upper_real))
		die_errno("--fs-upper %s", dir);
	o->upper_owner = st.st_uid;
	o->upper_group = st.st_gid;
	o->upper_fd = clone_tree(o->upper_dir_fd, "--fs-upper", dir, false);
}

const char *upper_outcome(const struct run_options *o, struct run_state *st)
{
	static char state[256];
	if (o->upper_dir_fd < 0)
		return NULL;
	/* The VMM writes the layer as its vCPU threads leave, however the VM
	 * ends (linux_vcpus_done); only a VMM killed first leaves it unwritten
	 * (a failure while writing is the VMM's own line in the log). */
	if (!st->vmm_signal) {
		run_log_event(st, "the job's upper layer was written to %s", o->upper_real);
		return "written";
	}
	snprintf(state, sizeof(state),
		 "not written: the VMM was killed by signal %d (%s) before the VM ended; the "
		 "directory holds at most part of the layer",
		 st->vmm_signal, strsignal(st->vmm_signal));
	fprintf(stderr, "lockvm: --fs-upper %s: %s\n", o->upper_dir, state);
	run_log_event(st, "--fs-upper %s: %s", o->upper_real, state);
	return state;
}

void hand_upper(const struct run_options *o, struct run_state *st, uid_t uid, gid_t gid)
{
	if (o->upper_dir_fd < 0)
		return;
	st->upper_dir_fd = o->upper_dir_fd;
	st->upper_owner = o->upper_owner;
	st->upper_group = o->upper_group;
	st->upper_uid = uid;
	st->upper_gid = gid;
	/* The directory only: it is empty, and the VMM (the VM's uid) makes its entries. */
	if (fchown(o->upper_dir_fd, uid, gid) < 0)
		die_errno("--fs-upper %s: handing it to the VM's uid %u", o->upper_dir, uid);
}

void return_upper(struct run_state *st)
{
	if (st->upper_dir_fd < 0)
		return;
	/* What the VMM wrote there, and the directory: its owner's again. */
	volume_give(st->upper_dir_fd, st->upper_uid, st->upper_owner, st->upper_gid,
		    st->upper_group);
	st->upper_dir_fd = -1;
}
