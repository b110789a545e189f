/* --volume HOST:GUEST[:ro|:rw]: the supervisor checks each host directory, clones it for the VMM, hands what the directory's owner owns there to the VM's uid for the run and gives everything the VM's uid owns there to that owner after it. */
#include "run_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* How deep the ownership walks go; deeper entries keep their owner (and a
 * warning says so): a bound on the supervisor's stack and fds. */
#define VOLUME_WALK_DEPTH 64

void parse_volume(struct run_options *o, char *arg)
{
	struct volume_spec spec;
	char why[4096 + 512];
	if (volume_spec_parse(arg, &spec, why, sizeof(why)) < 0)
		die("--volume %s", why);
	if (o->volume_count == ARRAY_SIZE(o->volumes))
		die("--volume %s: at most %zu volumes", spec.host, ARRAY_SIZE(o->volumes));
	o->volumes[o->volume_count++] = (struct run_volume){.host = spec.host,
							    .guest = spec.guest,
							    .ro = spec.ro,
							    .relabel = spec.relabel,
							    .fd = -1,
							    .dir_fd = -1};
}

void check_volumes(const struct run_options *o)
{
	for (unsigned i = 0; i < o->volume_count; i++) {
		const char *g = o->volumes[i].guest;
		for (unsigned j = 0; j < o->volume_count; j++)
			if (j != i && path_beneath(g, o->volumes[j].guest))
				die("--volume %s: overlaps the volume at %s (volumes may not nest)",
				    g, o->volumes[j].guest);
		for (unsigned j = 0; j < o->tmpfs_count; j++)
			if (path_beneath(g, o->tmpfs_path[j]) || path_beneath(o->tmpfs_path[j], g))
				die("--volume %s: overlaps --tmpfs %s", g, o->tmpfs_path[j]);
	}
}

/*
 * The host's root, its kernel views and the system's own directories are
 * never volumes: the supervisor would hand their entries to the VM's uid
 * for the run (and a killed supervisor would leave them so).
 */
static void refuse_system_dir(const char *host, char real[PATH_MAX])
{
	static const char *const kernel_views[] = {"/dev", "/proc", "/sys"}; /* and beneath */
	static const char *const system_dirs[] = {
	    "/",     "/bin", "/boot", "/etc", "/home", "/lib", "/lib32", "/lib64",
	    "/root", "/run", "/sbin", "/srv", "/tmp",  "/usr", "/var",
	};
	if (!realpath(host, real))
		die_errno("--volume %s", host);
	bool refused = false;
	for (size_t i = 0; i < ARRAY_SIZE(kernel_views); i++)
		refused |= path_beneath(real, kernel_views[i]);
	for (size_t i = 0; i < ARRAY_SIZE(system_dirs); i++)
		refused |= strcmp(real, system_dirs[i]) == 0;
	if (refused)
		die("--volume %s: %s is the host system's own; give a directory of your own "
		    "beneath "
		    "it",
		    host, real);
}

void open_volumes(struct run_options *o)
{
	for (unsigned i = 0; i < o->volume_count; i++) {
		struct run_volume *v = &o->volumes[i];
		_Static_assert(sizeof(v->real) >= PATH_MAX, "a real path fits");
		refuse_system_dir(v->host, v->real);
		/* O_PATH: nothing read through it yet; under SELinux the
		 * supervisor may not read a user's directory before ,z/,Z
		 * relabelled it (sepolicy/lockvm.te), only find it. */
		v->dir_fd = open(v->host, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (v->dir_fd < 0)
			die_errno("--volume %s", v->host);
		struct stat st;
		if (fstat(v->dir_fd, &st) < 0)
			die_errno("--volume %s", v->host);
		v->owner = st.st_uid;
		v->group = st.st_gid;
		v->fd = clone_tree(v->dir_fd, "--volume", v->host, v->ro);
	}
}

/* Gives `e` (an O_PATH fd of one entry, stat'ed as st) from `from` to `to`,
 * its group from gfrom to gto; an id that is not the one given stays. */
static void give_entry(int e, const struct stat *st, uid_t from, uid_t to, gid_t gfrom, gid_t gto)
{
	uid_t u = st->st_uid == from ? to : (uid_t)-1;
	gid_t g = st->st_gid == gfrom && gfrom != (gid_t)-1 ? gto : (gid_t)-1;
	if (u == (uid_t)-1 && g == (gid_t)-1)
		return;
	/* The inode the fd holds, not a name: nothing swapped in is changed,
	 * and a symlink is changed itself, never followed. */
	if (fchownat(e, "", u, g, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
		warn_errno("--volume: changing an owner");
}

/*
 * Gives every entry beneath directory dir (an O_RDONLY fd, owned by the
 * walk) from uid `from` to `to` (and group gfrom to gto), depth first.
 * Never follows a symlink, never leaves the directory's file system (a
 * mount point inside is another's), and opens each entry once, O_PATH and
 * O_NOFOLLOW, so a host process swapping names during the walk changes
 * only which of its own entries are visited.
 */
static void give_tree(int dir, dev_t dev, unsigned depth, uid_t from, uid_t to, gid_t gfrom,
		      gid_t gto)
{
	DIR *d = fdopendir(dir);
	if (!d) {
		close(dir);
		return;
	}
	for (struct dirent *de; (de = readdir(d));) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		int e = openat(dir, de->d_name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		struct stat st;
		if (e < 0 || fstat(e, &st) < 0 || st.st_dev != dev) {
			if (e >= 0)
				close(e);
			continue;
		}
		if (S_ISDIR(st.st_mode) && depth < VOLUME_WALK_DEPTH) {
			int sub = openat(e, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (sub >= 0)
				give_tree(sub, dev, depth + 1, from, to, gfrom, gto);
		} else if (S_ISDIR(st.st_mode)) {
			warn_msg("--volume: entries deeper than %u directories keep their owner",
				 VOLUME_WALK_DEPTH);
		}
		/* A file linked from elsewhere too is not handed over: the VM
		 * would get a file outside the volume. */
		if (S_ISDIR(st.st_mode) || st.st_nlink == 1 || gfrom != (gid_t)-1)
			give_entry(e, &st, from, to, gfrom, gto);
		close(e);
	}
	closedir(d);
}

/* The volume directory itself, then everything beneath it. */
void volume_give(int dir_fd, uid_t from, uid_t to, gid_t gfrom, gid_t gto)
{
	struct stat st;
	int top = openat(dir_fd, ".", O_PATH | O_CLOEXEC);
	if (top < 0 || fstat(top, &st) < 0) {
		warn_errno("--volume: the directory");
		if (top >= 0)
			close(top);
		return;
	}
	int walk = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (walk >= 0)
		give_tree(walk, st.st_dev, 0, from, to, gfrom, gto);
	give_entry(top, &st, from, to, gfrom, gto);
	close(top);
}

void hand_volumes(const struct run_options *o, struct run_state *st, uid_t uid, gid_t gid)
{
	st->volume_uid = uid;
	st->volume_gid = gid;
	for (unsigned i = 0; i < o->volume_count; i++) {
		const struct run_volume *v = &o->volumes[i];
		if (v->owner == uid)
			continue; /* never: the uid is leased to this VM alone */
		st->volume_fds[i] = v->dir_fd;
		st->volume_owner[i] = v->owner;
		st->volume_group[i] = v->group;
		st->volume_count = i + 1; /* from here, return_volumes gives it back */
		/* Only what the owner owns: others' entries stay theirs. */
		volume_give(v->dir_fd, v->owner, uid, (gid_t)-1, (gid_t)-1);
	}
}

void return_volumes(struct run_state *st)
{
	for (unsigned i = 0; i < st->volume_count; i++) {
		if (st->volume_fds[i] < 0)
			continue;
		/* What the job made or was handed: the owner's again, its group too. */
		volume_give(st->volume_fds[i], st->volume_uid, st->volume_owner[i], st->volume_gid,
			    st->volume_group[i]);
		st->volume_fds[i] = -1;
	}
	st->volume_count = 0;
}
