/* --fs: the supervisor hands the VMM the tree as one directory fd of a private mount it made read-only, nodev, nosuid, noexec and nosymfollow, and finds PROGRAM inside the tree. */
#include "run_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "launch.h"
#include "selinux_access.h"
#include "util.h"

/*
 * open_tree(OPEN_TREE_CLONE) makes a detached copy of the mount at DIR,
 * without the mounts below it (no AT_RECURSIVE): under --fs / the host's
 * /proc, /sys and /dev are not in the copy, only their empty mount points.
 * mount_setattr then sets what the kernel enforces on every access the VMM
 * makes through it, whatever the VMM's own code does: no write (RDONLY; a
 * --volume without ro is the one tree left writable), no
 * device node opened (NODEV), no set-id or exec (NOSUID, NOEXEC), and no
 * symlink followed by the kernel (NOSYMFOLLOW: the VMM resolves them in
 * its own walk). The mount is private to the fd and goes with it.
 */
int clone_tree(int dir_fd, const char *what, const char *dir, bool read_only)
{
	int fd = open_tree(dir_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	if (fd < 0)
		die_errno("%s %s", what, dir);
	struct stat st;
	if (fstat(fd, &st) < 0)
		die_errno("%s %s", what, dir);
	if (!S_ISDIR(st.st_mode))
		die("%s %s: not a directory", what, dir);
	struct mount_attr attr = {.attr_set = (read_only ? MOUNT_ATTR_RDONLY : 0) |
					      MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
					      MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NOSYMFOLLOW};
	if (mount_setattr(fd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
		die_errno("%s %s: setting its private mount's attributes", what, dir);
	return fd;
}

int open_fs_tree(const char *dir)
{
	int dir_fd = open(dir, O_PATH | O_CLOEXEC);
	if (dir_fd < 0)
		die_errno("--fs %s", dir);
	int fd = clone_tree(dir_fd, "--fs", dir, true);
	close(dir_fd);
	return fd;
}

void check_tree_labels(const struct run_options *o, const struct run_state *st)
{
	const char *vm = st->vm.label.process;
	char label[LABEL_MAX];
	if (o->fs_fd >= 0) {
		int rc = selinux_vm_may_use(vm, o->fs_fd, false, label, sizeof(label));
		if (rc < 0)
			die_errno("--fs %s: asking SELinux whether the VM may read it", o->fs_dir);
		if (rc == SELINUX_VM_REFUSED)
			die("--fs %s: SELinux does not let the VM read its label %s: label the "
			    "tree lockvm_content_t (chcon -R -t lockvm_content_t %s), or turn on "
			    "the boolean lockvm_vm_read_host_files (setsebool -P "
			    "lockvm_vm_read_host_files on) to serve host files",
			    o->fs_dir, label, o->fs_dir);
	}
	/* A ,z/,Z volume carries the label claim_identity gave it by now:
	 * ,Z the VM's own, which it writes; ,z the shared content label,
	 * which VMs only read (sepolicy/lockvm.te), so a ,z volume must be :ro. */
	for (unsigned i = 0; i < o->volume_count; i++) {
		const struct run_volume *v = &o->volumes[i];
		const char *how = v->ro ? "read" : "read and write";
		int rc = selinux_vm_may_use(vm, v->dir_fd, !v->ro, label, sizeof(label));
		if (rc < 0)
			die_errno("--volume %s: asking SELinux whether the VM may use it", v->host);
		if (rc == SELINUX_VM_REFUSED && v->relabel == VOLUME_KEEP_LABEL)
			die("--volume %s: SELinux does not let the VM %s its label %s: add ,Z "
			    "(private to this VM) or ,z (shared, read-only) to relabel it for the "
			    "VM while it runs",
			    v->host, how, label);
		if (rc == SELINUX_VM_REFUSED && v->relabel == VOLUME_SHARED_LABEL)
			die("--volume %s,z: SELinux does not let the VM %s it as %s: VMs only read "
			    "shared content; add :ro, or use ,Z for a volume the VM writes",
			    v->host, how, label);
		if (rc == SELINUX_VM_REFUSED)
			die("--volume %s,Z: SELinux does not let the VM %s it as %s: the loaded "
			    "lockvm policy module lacks the rules for volumes",
			    v->host, how, label);
	}
}

/* The PATH the guest starts with: --env PATH=..., else the VMM's default. */
static const char *guest_path_env(const struct run_options *o)
{
	for (unsigned i = 0; i < o->envc; i++)
		if (strncmp(o->env[i], "PATH=", 5) == 0)
			return o->env[i] + 5;
	return "/usr/local/bin:/usr/bin:/bin";
}

/* An O_PATH fd of a regular file at path inside root_fd, or -errno. */
static int find_in_tree(int root_fd, const char *path)
{
	/* IN_ROOT: "..", absolute paths and symlinks resolve as under chroot,
	 * inside the tree, by the kernel; O_PATH: nothing is opened yet. */
	struct open_how how = {.flags = O_PATH | O_CLOEXEC,
			       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	int fd = (int)syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & 0111)) {
		int rc = S_ISDIR(st.st_mode) ? -EISDIR : -EACCES;
		close(fd);
		return rc;
	}
	return fd;
}

/* Whether path is at or beneath a mount the VM makes over its tree: /tmp,
 * a --tmpfs (/dev/shm too), /dev, /proc, /sys; what the tree has there the
 * VM does not see. */
static bool under_vm_mount(const struct run_options *o, const char *path)
{
	static const char *const own[] = {"/tmp", "/dev", "/proc", "/sys"};
	for (unsigned i = 0; i < ARRAY_SIZE(own); i++)
		if (path_beneath(path, own[i]))
			return true;
	for (unsigned i = 0; i < o->tmpfs_count; i++)
		if (path_beneath(path, o->tmpfs_path[i]))
			return true;
	return false;
}

/*
 * Where the VM will find path: beneath the volume mounted deepest above
 * it, else in the tree; relative to --workdir when it is relative (as
 * `docker run -w DIR ./prog`). An O_PATH fd of the file, or -errno. Needs
 * open_volumes(): each volume is resolved IN_ROOT of its own directory.
 */
static int find_in_vm(const struct run_options *o, int root_fd, const char *path)
{
	char joined[PATH_MAX];
	if (path[0] != '/') {
		const char *wd = o->workdir ? o->workdir : "/";
		if ((size_t)snprintf(joined, sizeof(joined), "%s/%s", wd, path) >= sizeof(joined))
			return -ENAMETOOLONG;
		path = joined;
	}
	while (path[0] == '/' && path[1] == '/')
		path++;
	const struct run_volume *in = NULL;
	size_t at = 0;
	/* Guest paths are plain (volume_spec.c): no trailing "/". */
	for (unsigned i = 0; i < o->volume_count; i++) {
		const char *g = o->volumes[i].guest;
		if (strlen(g) > at && path_beneath(path, g)) {
			in = &o->volumes[i];
			at = strlen(g);
		}
	}
	if (!in && under_vm_mount(o, path))
		return -ENOENT; /* the VM's own there: the tree's file is hidden */
	if (!in)
		return find_in_tree(root_fd, path);
	return find_in_tree(in->dir_fd, path[at] ? path + at : ".");
}

void find_guest_in_tree(const struct run_options *o)
{
	int root_fd = open(o->fs_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		die_errno("--fs %s", o->fs_dir);
	int fd = -ENOENT;
	if (strchr(o->guest, '/')) {
		fd = find_in_vm(o, root_fd, o->guest);
	} else {
		/* Each PATH entry in turn, as execvp; the first error other
		 * than "not there" is the one reported. */
		const char *p = guest_path_env(o);
		while (fd < 0 && *p) {
			size_t len = strcspn(p, ":");
			char path[PATH_MAX];
			if (len > 0 && (size_t)snprintf(path, sizeof(path), "%.*s/%s", (int)len, p,
							o->guest) < sizeof(path)) {
				int rc = find_in_vm(o, root_fd, path);
				if (rc >= 0 || fd == -ENOENT)
					fd = rc;
			}
			p += len + (p[len] == ':');
		}
	}
	close(root_fd);
	if (fd < 0 && o->guest[0] == '/' && under_vm_mount(o, o->guest))
		die("%s: %s in --fs %s: the VM mounts its own file system there (/tmp, /dev, "
		    "/proc, /sys or a --tmpfs); give the program's directory with --volume",
		    o->guest, strerror(ENOENT), o->fs_dir);
	if (fd < 0)
		die("%s: %s in --fs %s", o->guest, strerror(-fd), o->fs_dir);
	close(fd); /* O_PATH: looked up, never opened for reading */
}

unsigned vmm_trees(const struct run_options *o, struct vmm_tree *out)
{
	static const char *const volume_names[LAUNCH_MAX_VOLUMES] = {
	    "lockvm-volume0", "lockvm-volume1", "lockvm-volume2", "lockvm-volume3",
	    "lockvm-volume4", "lockvm-volume5", "lockvm-volume6", "lockvm-volume7"};
	unsigned n = 0;
	if (o->fs_fd >= 0)
		out[n++] = (struct vmm_tree){o->fs_fd, "lockvm-tree", true};
	if (o->upper_fd >= 0)
		out[n++] = (struct vmm_tree){o->upper_fd, "lockvm-upper", false};
	for (unsigned i = 0; i < o->volume_count && i < LAUNCH_MAX_VOLUMES; i++)
		out[n++] = (struct vmm_tree){o->volumes[i].fd, volume_names[i], o->volumes[i].ro};
	return n;
}

/* The in-memory file systems' smallest default size. */
#define MEMORY_FS_MIN (16ULL << 20)

void parse_fs_upper(struct run_options *o, const char *arg)
{
	o->fs_upper_set = true;
	if (strcmp(arg, "none") == 0) {
		o->fs_upper = 0;
		return;
	}
	if (strcmp(arg, "memory") == 0) {
		o->fs_upper_set = false; /* the default size */
		return;
	}
	if (strchr(arg, '/')) { /* DIR: the memory layer, written there at the end (run_upper.c) */
		o->fs_upper_set = false;
		o->upper_dir = arg;
		return;
	}
	if (strncmp(arg, "memory:", 7) != 0 || parse_size(arg + 7, &o->fs_upper) < 0 ||
	    o->fs_upper < 4096 || o->fs_upper > LAUNCH_FS_MAX)
		die("--fs-upper '%s': want memory, memory:SIZE (4K to 1T, e.g. memory:256M), none "
		    "or DIR (a path with a '/', e.g. ./upper)",
		    arg);
}

bool guest_dir_plain(const char *path)
{
	if (path[0] != '/' || path[1] == '\0' || strlen(path) >= 4096 || strchr(path, ':'))
		return false;
	for (const char *c = path; *c;) {
		size_t len = strcspn(++c, "/");
		if (len == 0 || (len == 1 && c[0] == '.') ||
		    (len == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		c += len;
	}
	return true;
}

void parse_tmpfs(struct run_options *o, char *arg)
{
	char *opts = strchr(arg, ':');
	uint64_t size = 0;
	if (opts) {
		*opts++ = '\0';
		if (strncmp(opts, "size=", 5) != 0 || parse_size(opts + 5, &size) < 0 ||
		    size < 4096 || size > LAUNCH_FS_MAX)
			die("--tmpfs %s:%s: want GUEST_DIR[:size=SIZE] (4K to 1T, e.g. "
			    "/work:size=256M)",
			    arg, opts);
	}
	if (!guest_dir_plain(arg))
		die("--tmpfs %s: want an absolute directory path without '.', '..', '//' or ':'",
		    arg);
	if (strcmp(arg, "/tmp") == 0) { /* always a tmpfs: only its size changes */
		o->fs_tmp = size;
		o->tmp_size_set = true;
		return;
	}
	for (unsigned i = 0; i < o->tmpfs_count; i++)
		if (strcmp(o->tmpfs_path[i], arg) == 0)
			die("--tmpfs %s: given twice", arg);
	if (o->tmpfs_count == ARRAY_SIZE(o->tmpfs_path) - 1 && strcmp(arg, "/dev/shm") != 0)
		die("--tmpfs %s: at most %zu mounts besides /tmp and /dev/shm", arg,
		    ARRAY_SIZE(o->tmpfs_path) - 1);
	o->tmpfs_path[o->tmpfs_count] = arg;
	o->tmpfs_size[o->tmpfs_count++] = size;
}

/* Half of guest RAM for the upper layer, a quarter for /tmp, /dev/shm and
 * each --tmpfs without a size, each at least 16 MiB: a job may write about
 * as much as it may hold in memory. */
void size_memory_fs(struct run_options *o)
{
	uint64_t quarter = o->mem / 4 > MEMORY_FS_MIN ? o->mem / 4 : MEMORY_FS_MIN;
	if (!o->fs_upper_set)
		o->fs_upper = o->mem / 2 > MEMORY_FS_MIN ? o->mem / 2 : MEMORY_FS_MIN;
	if (!o->tmp_size_set || !o->fs_tmp)
		o->fs_tmp = quarter;
	bool shm = false;
	for (unsigned i = 0; i < o->tmpfs_count; i++)
		shm |= strcmp(o->tmpfs_path[i], "/dev/shm") == 0;
	if (!shm) {
		o->tmpfs_path[o->tmpfs_count] = "/dev/shm";
		o->tmpfs_size[o->tmpfs_count++] = 0;
	}
	for (unsigned i = 0; i < o->tmpfs_count; i++)
		if (!o->tmpfs_size[i])
			o->tmpfs_size[i] = quarter;
}

uint64_t memory_fs_bytes(const struct run_options *o)
{
	uint64_t total = o->fs_upper + o->fs_tmp;
	for (unsigned i = 0; i < o->tmpfs_count; i++)
		total += o->tmpfs_size[i];
	if (o->record) /* the VMM's record and the memfd it writes (linux_record.c) */
		total += LAUNCH_RECORD_MEMORY + LAUNCH_RECORD_MAX_OUTPUT;
	return o->linux_abi ? total : 0;
}
