/* --fs-upper DIR: when the VM ends, the root's upper layer is written beneath DIR's fd in overlayfs/OCI layer form (changed entries with their mode and mtime, the VM's owners in an xattr, .wh.NAME whiteouts, .wh..wh..opq opaque directories), each step one openat2 beneath that fd. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "linux.h"

/* As linux_hostfs.c: a chain of plain names we made, and the kernel holds
 * every step beneath DIR's fd (a symlink or mount a host process put there
 * during the run is refused, not followed). */
#define UPPER_RESOLVE                                                                              \
	(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV)
#define UPPER_PATH_MAX	4096
#define UPPER_DEPTH_MAX 256 /* directories deeper are not written (one error line says so) */
#define WHITEOUT	".wh."
#define OPAQUE		".wh..wh..opq"
/* The owner and mode the VM gave an entry, as rootless containers/storage
 * and fuse-overlayfs keep them where the real owner cannot be set:
 * "UID:GID:0MODE:TYPE". The layer's files belong to DIR's owner after the
 * run (run_upper.c), so this is the only place the VM's view survives. */
#define OVERRIDE_STAT "user.containers.override_stat"

struct exporter {
	struct linux_fs *fs;
	int top; /* DIR's fd */
	char path[UPPER_PATH_MAX];
	size_t len;					    /* of path: "" is DIR itself */
	int err;					    /* the first error, -errno */
	char err_path[UPPER_PATH_MAX + 2 * LINUX_NAME_MAX]; /* where it happened */
	unsigned skipped;  /* entries a layer cannot hold (a ".wh." name, a FIFO) */
	unsigned no_owner; /* entries whose owner DIR's file system could not keep */
	/* Files with several names (hard links): where the first was written,
	 * so the others become links to it in the layer too. */
	struct written {
		const struct linux_node *node;
		char *dir, *name; /* its directory beneath DIR ("" for DIR), its name */
	} * written;
	size_t nwritten, cap;
};

static void failed(struct exporter *x, int err, const char *name)
{
	if (x->err)
		return;
	x->err = err;
	snprintf(x->err_path, sizeof(x->err_path), "%s%s%s", x->path, x->len ? "/" : "", name);
}

/* openat2 beneath DIR: the current directory (name NULL) or its entry name. */
static int open_here(struct exporter *x, const char *name, uint64_t flags, uint64_t mode)
{
	char rel[UPPER_PATH_MAX + LINUX_NAME_MAX + 2];
	snprintf(rel, sizeof(rel), "%s%s%s", x->len ? x->path : ".", name ? "/" : "",
		 name ? name : "");
	struct open_how how = {
	    .flags = flags | O_NOFOLLOW | O_CLOEXEC, .mode = mode, .resolve = UPPER_RESOLVE};
	long fd = syscall(SYS_openat2, x->top, rel, &how, sizeof(how));
	return fd < 0 ? -errno : (int)fd;
}

/* The mode a layer keeps: permissions and the sticky bit; never set-id
 * bits on a file the VM made (it ends up its owner's, in the owner's tree). */
static mode_t layer_mode(const struct linux_node *n)
{
	return n->mode & (0777 | S_ISVTX);
}

/*
 * What a layer keeps of an entry besides its content, on fd (the file,
 * or the directory once its entries are written: they change its mtime):
 * its mode, its mtime, and the VM's owner and full mode in OVERRIDE_STAT.
 * A file system without user xattrs keeps the rest (counted, said once).
 */
static int put_meta(struct exporter *x, int fd, const struct linux_node *n)
{
	if (fchmod(fd, layer_mode(n)) < 0)
		return -errno;
	const struct timespec times[2] = {{.tv_nsec = UTIME_OMIT},
					  {.tv_sec = n->mtime_sec, .tv_nsec = n->mtime_nsec}};
	if (futimens(fd, times) < 0)
		return -errno;
	char owner[64];
	int len = snprintf(owner, sizeof(owner), "%u:%u:0%o:%s", n->uid, n->gid, n->mode & 07777,
			   S_ISDIR(n->mode) ? "dir" : "file");
	if (fsetxattr(fd, OVERRIDE_STAT, owner, (size_t)len, 0) < 0) {
		if (errno != ENOTSUP)
			return -errno;
		x->no_owner++;
	}
	return 0;
}

static int put_bytes(int fd, const uint8_t *data, uint64_t len, uint64_t offset)
{
	while (len) {
		ssize_t done = pwrite(fd, data, len, (off_t)offset);
		if (done < 0 && errno == EINTR)
			continue;
		if (done <= 0)
			return done < 0 ? -errno : -EIO;
		data += done;
		len -= (uint64_t)done;
		offset += (uint64_t)done;
	}
	return 0;
}

/* A regular file `name` with n's content: from memory, or a lower file's from the host. */
static int put_file(struct exporter *x, const char *name, struct linux_node *n)
{
	int out = open_here(x, name, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (out < 0)
		return out;
	int rc = 0;
	if (n->writable) {
		rc = n->size ? put_bytes(out, n->tmp_data, n->size, 0) : 0;
	} else {
		int in = linux_hostfs_open(x->fs, n);
		static uint8_t buf[65536];
		uint64_t offset = 0;
		rc = in < 0 ? in : 0;
		for (long got; rc == 0 && (got = linux_fs_pread(n, in, buf, sizeof(buf), offset));
		     offset += (uint64_t)got)
			rc = got < 0 ? (int)got : put_bytes(out, buf, (uint64_t)got, offset);
		if (in >= 0)
			close(in);
	}
	if (rc == 0)
		rc = put_meta(x, out, n);
	close(out);
	return rc;
}

/* Another name of a file written already: a hard link beneath DIR, both
 * directories opened beneath its fd, the names single components. 1 when
 * there was none to link to (write the file), 0, or -errno. */
static int link_written(struct exporter *x, const char *name, const struct linux_node *n)
{
	const struct written *w = NULL;
	for (size_t i = 0; i < x->nwritten && !w; i++)
		w = x->written[i].node == n ? &x->written[i] : NULL;
	if (!w)
		return 1;
	static char here[UPPER_PATH_MAX];
	snprintf(here, sizeof(here), "%s", x->path);
	size_t len = x->len;
	snprintf(x->path, sizeof(x->path), "%s", w->dir);
	x->len = strlen(x->path);
	int from = open_here(x, NULL, O_PATH | O_DIRECTORY, 0);
	snprintf(x->path, sizeof(x->path), "%s", here);
	x->len = len;
	int to = from < 0 ? from : open_here(x, NULL, O_PATH | O_DIRECTORY, 0);
	int rc = to < 0 ? to : linkat(from, w->name, to, name, 0) < 0 ? -errno : 0;
	if (from >= 0)
		close(from);
	if (to >= 0)
		close(to);
	return rc;
}

/* Remembers where a file with other names was written. */
static void note_written(struct exporter *x, const char *name, const struct linux_node *n)
{
	if (x->nwritten == x->cap) {
		size_t cap = x->cap ? 2 * x->cap : 16;
		struct written *grown = realloc(x->written, cap * sizeof(*grown));
		if (!grown)
			return; /* its other names are written as copies */
		x->written = grown;
		x->cap = cap;
	}
	char *dir = strdup(x->path), *copy = strdup(name);
	if (!dir || !copy) {
		free(dir);
		free(copy);
		return;
	}
	x->written[x->nwritten++] = (struct written){.node = n, .dir = dir, .name = copy};
}

/* An empty regular file `name` (a whiteout or the opaque marker). */
static int put_marker(struct exporter *x, const char *name)
{
	int fd = open_here(x, name, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

static int make_here(struct exporter *x, const char *name, const char *symlink_target)
{
	int dir = open_here(x, NULL, O_PATH | O_DIRECTORY, 0);
	if (dir < 0)
		return dir;
	int rc = symlink_target ? symlinkat(symlink_target, dir, name) : mkdirat(dir, name, 0700);
	rc = rc < 0 ? -errno : 0;
	close(dir);
	return rc;
}

/* Entries of dir that ours hide: the root's tmp and dev, mount points, volumes. */
static bool hidden(struct linux_fs *fs, const struct linux_node *dir, const struct linux_node *c)
{
	return (dir == fs->root && c->name_len == 3 &&
		(memcmp(c->name, "tmp", 3) == 0 || memcmp(c->name, "dev", 3) == 0)) ||
	       linux_fs_mount_at(fs, dir, c->name, c->name_len) ||
	       linux_fs_volume_at(fs, dir, c->name, c->name_len);
}

static void put_dir(struct exporter *x, struct linux_node *dir, bool full, unsigned depth);

/* One entry c of the directory being written; full: every entry (the
 * directory has no lower side in the layer), else only changed ones. */
static void put_entry(struct exporter *x, struct linux_node *c, bool full, unsigned depth)
{
	char name[LINUX_NAME_MAX + 1 + sizeof(WHITEOUT)];
	snprintf(name, sizeof(name), "%.*s", (int)c->name_len, c->name);
	if (c->whiteout) {
		if (full)
			return; /* the directory is opaque: nothing lower shows anyway */
		char wh[sizeof(name) + sizeof(WHITEOUT)];
		snprintf(wh, sizeof(wh), WHITEOUT "%s", name);
		int rc = c->name_len + sizeof(WHITEOUT) - 1 > LINUX_NAME_MAX ? -ENAMETOOLONG
									     : put_marker(x, wh);
		if (rc < 0)
			failed(x, rc, wh);
		return;
	}
	struct linux_node *n = linux_fs_named(c); /* a hard link: its file's content */
	if (!n->writable && !full)
		return; /* unchanged: the lower tree's */
	if (strncmp(name, WHITEOUT, sizeof(WHITEOUT) - 1) == 0) {
		x->skipped++; /* a layer reads it as a whiteout: not representable */
		return;
	}
	int rc =
	    n->host && !n->statted ? linux_hostfs_stat(x->fs, n) : 0; /* known from a listing */
	if (rc < 0) {
		failed(x, rc, name);
		return;
	}
	switch (n->mode & S_IFMT) {
	case S_IFREG:
		if (!n->names) { /* one name */
			rc = put_file(x, name, n);
		} else if ((rc = link_written(x, name, n)) == 1) {
			rc = put_file(x, name, n);
			if (rc == 0)
				note_written(x, name, n);
		}
		break;
	case S_IFLNK: rc = n->link ? make_here(x, name, n->link) : -EIO; break;
	case S_IFDIR: {
		if ((rc = make_here(x, name, NULL)) < 0)
			break;
		size_t len = x->len;
		if (len + 1 + c->name_len >= sizeof(x->path) || depth >= UPPER_DEPTH_MAX) {
			rc = -ENAMETOOLONG;
			break;
		}
		x->len += (size_t)snprintf(x->path + len, sizeof(x->path) - len, "%s%s",
					   len ? "/" : "", name);
		/* Written whole where the layer cannot show a lower side under
		 * it: new, re-made over a removed one, or moved (origin); opaque
		 * where a lower directory of its name would show through (under
		 * a directory written whole none can). */
		bool whole = full || !n->host || n->origin;
		if (whole && !full && c->covers_lower && (rc = put_marker(x, OPAQUE)) < 0)
			failed(x, rc, OPAQUE);
		put_dir(x, n, whole, depth + 1);
		int fd = open_here(x, NULL, O_RDONLY | O_DIRECTORY, 0);
		rc = fd < 0 ? fd : put_meta(x, fd, n);
		if (fd >= 0)
			close(fd);
		x->path[len] = '\0';
		x->len = len;
		break;
	}
	default: x->skipped++; return; /* a FIFO or device node: not in a layer */
	}
	if (rc < 0)
		failed(x, rc, name);
}

static void put_dir(struct exporter *x, struct linux_node *dir, bool full, unsigned depth)
{
	if (full && dir->host && !dir->listed) {
		int rc = linux_hostfs_list(x->fs, dir); /* its lower entries are written too */
		if (rc < 0)
			failed(x, rc, "");
	}
	for (struct linux_node *c = dir->children; c; c = c->next)
		if (!hidden(x->fs, dir, c))
			put_entry(x, c, full, depth);
}

int linux_upper_export(struct linux_fs *fs, int top, char *err, size_t errlen)
{
	static struct exporter x; /* a path buffer too big for a vCPU thread's stack */
	x = (struct exporter){.fs = fs, .top = top};
	if (fs->root->writable)
		put_dir(&x, fs->root, !fs->root->host, 0);
	for (size_t i = 0; i < x.nwritten; i++) {
		free(x.written[i].dir);
		free(x.written[i].name);
	}
	free(x.written);
	if (x.err) {
		snprintf(err, errlen, "%s: %s", x.err_path[0] ? x.err_path : ".", strerror(-x.err));
		return -1;
	}
	size_t used = 0;
	if (x.skipped)
		used = (size_t)snprintf(err, errlen,
					"%u entries a layer cannot hold were left out (FIFOs, "
					"device nodes, names starting with .wh.)",
					x.skipped);
	if (x.no_owner && used < errlen)
		snprintf(err + used, errlen - used,
			 "%sthe VM's owners of %u entries are not kept (DIR's file system takes "
			 "no user xattrs, " OVERRIDE_STAT ")",
			 used ? "; " : "", x.no_owner);
	return 0;
}

void linux_upper_write(struct linux_proc *proc)
{
	if (proc->cfg.upper_fd < 0)
		return;
	char err[512] = "";
	if (linux_upper_export(&proc->fs, proc->cfg.upper_fd, err, sizeof(err)) < 0)
		fprintf(stderr, "lockvm: --fs-upper: writing the upper layer: %s\n", err);
	else if (err[0])
		fprintf(stderr, "lockvm: --fs-upper: %s\n", err);
	close(proc->cfg.upper_fd);
	proc->cfg.upper_fd = -1;
}
