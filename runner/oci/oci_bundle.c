/* A bundle on disk: config.json read with a bound, root.path and the program resolved by the kernel, never by string games. */
#include "oci_bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util.h"

static int openat2_path(int dirfd, const char *path, uint64_t resolve, uint64_t flags)
{
	struct open_how how = {.flags = O_PATH | O_CLOEXEC | flags, .resolve = resolve};
	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

/* The real path an O_PATH fd names. */
static int fd_path(int fd, char *out, size_t len)
{
	char link[64];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, out, len - 1);
	if (n <= 0 || (size_t)n >= len - 1)
		return -1;
	out[n] = '\0';
	return 0;
}

static int read_config(int bundle_fd, struct oci_bundle *b, char *err, size_t errlen)
{
	int fd = openat(bundle_fd, "config.json", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return err_fmt(err, errlen, "%s/config.json: %s", b->dir, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > OCI_MAX_CONFIG) {
		close(fd);
		return err_fmt(err, errlen,
			       "%s/config.json: not a regular file of at most %u bytes", b->dir,
			       OCI_MAX_CONFIG);
	}
	char *text = malloc((size_t)st.st_size + 1);
	size_t got = 0;
	ssize_t n = 1;
	while (text && got < (size_t)st.st_size &&
	       (n = read(fd, text + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)n;
	close(fd);
	if (!text || n < 0) {
		free(text);
		return err_fmt(err, errlen, "%s/config.json: cannot be read", b->dir);
	}
	int rc = oci_config_parse(text, got, &b->config, err, errlen);
	free(text);
	return rc;
}

static int find_root(int bundle_fd, struct oci_bundle *b, char *err, size_t errlen)
{
	const char *path = b->config.root_path;
	int fd;
	if (path[0] == '/')
		fd = openat2_path(AT_FDCWD, path, RESOLVE_NO_SYMLINKS, O_DIRECTORY);
	else
		fd = openat2_path(bundle_fd, path, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
				  O_DIRECTORY);
	if (fd < 0 && errno == EXDEV)
		return err_fmt(err, errlen, "root.path: %.200s leads out of the bundle", path);
	if (fd < 0 && errno == ELOOP)
		return err_fmt(err, errlen,
			       "root.path: %.200s: an absolute root path may hold no symbolic link",
			       path);
	if (fd < 0)
		return err_fmt(err, errlen, "root.path: %.200s: %s", path, strerror(errno));
	int rc = fd_path(fd, b->root, sizeof(b->root));
	close(fd);
	if (rc < 0)
		return err_fmt(err, errlen, "root.path: %.200s: its real path is unknown", path);
	if (strcmp(b->root, "/") == 0)
		return err_fmt(err, errlen, "root.path: %.200s is the host's own root", path);
	return 0;
}

/* dir/name inside the root, as the container would see it; 0 when it is
 * an executable regular file, its real path in b->program. */
static int try_program(int root_fd, const char *dir, const char *name, struct oci_bundle *b)
{
	char path[PATH_MAX];
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return -1;
	int fd = openat2_path(root_fd, path, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, 0);
	if (fd < 0)
		return -1;
	struct stat st;
	int rc = -1;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111) &&
	    fd_path(fd, b->program, sizeof(b->program)) == 0) {
		size_t n = strlen(b->root);
		/* RESOLVE_IN_ROOT keeps it inside; a mount inside the root could not. */
		rc = strncmp(b->program, b->root, n) == 0 && b->program[n] == '/' ? 0 : -1;
	}
	close(fd);
	return rc;
}

static int find_program(struct oci_bundle *b, char *err, size_t errlen)
{
	const struct oci_config *c = &b->config;
	const char *name = c->args[0];
	int root_fd = openat2_path(AT_FDCWD, b->root, RESOLVE_NO_SYMLINKS, O_DIRECTORY);
	if (root_fd < 0)
		return err_fmt(err, errlen, "root.path: %s: %s", b->root, strerror(errno));
	int rc = -1;
	if (strchr(name, '/')) {
		rc = try_program(root_fd, name[0] == '/' ? "" : c->cwd, name, b);
	} else {
		const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
		for (int i = 0; i < c->envc; i++)
			if (strncmp(c->env[i], "PATH=", 5) == 0)
				path = c->env[i] + 5;
		char dirs[OCI_MAX_STRING + 1];
		snprintf(dirs, sizeof(dirs), "%s", path);
		char *save = NULL;
		for (char *d = strtok_r(dirs, ":", &save); d && rc < 0;
		     d = strtok_r(NULL, ":", &save))
			rc = try_program(root_fd, d, name, b);
	}
	close(root_fd);
	if (rc < 0)
		return err_fmt(err, errlen,
			       "process.args[0]: %.200s: no such executable in the container's "
			       "root%s",
			       name, strchr(name, '/') ? "" : " (searched its PATH)");
	return 0;
}

int oci_bundle_load(const char *dir, struct oci_bundle *b, char *err, size_t errlen)
{
	memset(b, 0, sizeof(*b));
	int bundle_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (bundle_fd < 0)
		return err_fmt(err, errlen, "bundle %s: %s", dir, strerror(errno));
	int rc = fd_path(bundle_fd, b->dir, sizeof(b->dir));
	if (rc < 0)
		err_fmt(err, errlen, "bundle %s: its real path is unknown", dir);
	if (rc == 0)
		rc = read_config(bundle_fd, b, err, errlen);
	if (rc == 0)
		rc = find_root(bundle_fd, b, err, errlen);
	if (rc == 0)
		rc = find_program(b, err, errlen);
	close(bundle_fd);
	return rc;
}

void oci_bundle_free(struct oci_bundle *b)
{
	oci_config_free(&b->config);
}
