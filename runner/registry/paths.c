/* Where lockvm keeps things: every path hangs off one root (--root, LOCKVM_ROOT, default /). */
#include "paths.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char root_dir[PATH_MAX] = "";

static void set_root_string(const char *dir)
{
	snprintf(root_dir, sizeof(root_dir), "%s", dir);
	size_t n = strlen(root_dir);
	while (n > 1 && root_dir[n - 1] == '/')
		root_dir[--n] = '\0';
}

const char *paths_root(void)
{
	if (root_dir[0] == '\0') {
		const char *env = getenv("LOCKVM_ROOT");
		const char *xdg = getenv("XDG_RUNTIME_DIR"), *home = getenv("HOME");
		char own[PATH_MAX];
		if (env && env[0]) {
			set_root_string(env);
		} else if (geteuid() != 0 && ((xdg && xdg[0] == '/') || (home && home[0] == '/'))) {
			/* Rootless: the user's own state, never the system's. */
			snprintf(own, sizeof(own), "%s%s", xdg && xdg[0] == '/' ? xdg : home,
				 xdg && xdg[0] == '/' ? "/lockvm" : "/.local/share/lockvm");
			set_root_string(own);
		} else {
			set_root_string("/");
		}
	}
	return root_dir;
}

int paths_set_root(const char *dir, char *err, size_t errlen)
{
	struct stat st;
	if (dir[0] != '/') {
		snprintf(err, errlen, "--root %s: want an absolute path", dir);
		return -1;
	}
	if (strlen(dir) >= sizeof(root_dir) - 64) {
		snprintf(err, errlen, "--root: path too long");
		return -1;
	}
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "--root %s: %s", dir,
			 errno && !S_ISDIR(st.st_mode) ? strerror(errno) : "not a directory");
		return -1;
	}
	set_root_string(dir);
	/* Children (the VMM's supervisor after -d, tools) see the same root. */
	setenv("LOCKVM_ROOT", root_dir, 1);
	return 0;
}

int paths_join(char *out, size_t size, const char *rel, const char *leaf)
{
	const char *root = paths_root();
	const char *sep = strcmp(root, "/") == 0 ? "" : "/";
	int n = leaf ? snprintf(out, size, "%s%s%s/%s", root, sep, rel, leaf)
		     : snprintf(out, size, "%s%s%s", root, sep, rel);
	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int paths_mkdir(const char *rel)
{
	char path[PATH_MAX];
	if (paths_join(path, sizeof(path), rel, NULL) < 0)
		return -1;
	unsigned mode = strncmp(rel, "run", 3) == 0 ? 0700 : 0755;
	/* A root named by LOCKVM_ROOT that does not exist yet is made (its
	 * own path is the operator's; below it, no symlink is followed). */
	struct stat rst;
	if (stat(paths_root(), &rst) < 0) {
		char root[PATH_MAX];
		snprintf(root, sizeof(root), "%s", paths_root());
		for (char *p = root + 1;; p++) {
			if (*p != '/' && *p != '\0')
				continue;
			char saved = *p;
			*p = '\0';
			if (mkdir(root, 0755) < 0 && errno != EEXIST)
				return -1;
			*p = saved;
			if (saved == '\0')
				break;
		}
	}
	return paths_mkdir_below(paths_root(), rel, mode);
}

int paths_mkdir_below(const char *root, const char *rel, unsigned mode)
{
	char path[PATH_MAX];
	bool top = !root || !root[0] || strcmp(root, "/") == 0;
	int n = snprintf(path, sizeof(path), "%s/%s", top ? "" : root, rel);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *p = path + (top ? 1 : strlen(root) + 1);; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;
		*p = '\0';
		struct stat st;
		if (mkdir(path, mode) < 0 && errno != EEXIST)
			return -1;
		if (lstat(path, &st) < 0)
			return -1;
		if (!S_ISDIR(st.st_mode)) {
			errno = ENOTDIR;
			return -1;
		}
		*p = saved;
		if (saved == '\0')
			break;
	}
	return 0;
}

bool paths_name_valid(const char *name, const char **why)
{
	static const char allowed[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				      "0123456789_.-";
	const char *dummy;
	if (!why)
		why = &dummy;
	size_t n = strlen(name);
	if (n == 0)
		*why = "empty";
	else if (n > PATHS_NAME_MAX)
		*why = "longer than 64 characters";
	else if (name[0] == '.' || name[0] == '-')
		*why = "starts with '.' or '-'";
	else if (strspn(name, allowed) != n)
		*why = "has a character outside [A-Za-z0-9_.-]";
	else
		return true;
	return false;
}

static int write_atomic(const char *path, const void *data, size_t len, unsigned mode,
			bool durable);

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int paths_names(const char *rel, const char *suffix, char ***names, size_t *n)
{
	char dir[PATH_MAX];
	size_t cap = 0, cut = suffix ? strlen(suffix) : 0;
	*names = NULL;
	*n = 0;
	if (paths_join(dir, sizeof(dir), rel, NULL) < 0)
		return -1;
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -1;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len <= cut || (cut && strcmp(e->d_name + len - cut, suffix) != 0))
			continue;
		char *name = strndup(e->d_name, len - cut);
		if (!name || !paths_name_valid(name, NULL)) {
			free(name);
			continue;
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 32;
			char **grown = realloc(*names, cap * sizeof(char *));
			if (!grown) {
				free(name);
				paths_names_free(*names, *n);
				closedir(d);
				*names = NULL;
				*n = 0;
				errno = ENOMEM;
				return -1;
			}
			*names = grown;
		}
		(*names)[(*n)++] = name;
	}
	closedir(d);
	if (*n)
		qsort(*names, *n, sizeof(char *), compare_names);
	return 0;
}

void paths_names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int paths_write_atomic(const char *path, const void *data, size_t len, unsigned mode)
{
	return write_atomic(path, data, len, mode, true);
}

int paths_write_state(const char *path, const void *data, size_t len, unsigned mode)
{
	return write_atomic(path, data, len, mode, false);
}

static int write_atomic(const char *path, const void *data, size_t len, unsigned mode, bool durable)
{
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return -1;
	const char *p = data;
	size_t done = 0;
	while (done < len) {
		ssize_t w = write(fd, p + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		done += (size_t)w;
	}
	if ((durable && fsync(fd) < 0) || close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	if (rename(tmp, path) < 0) {
		int saved = errno;
		unlink(tmp);
		errno = saved;
		return -1;
	}
	return 0;
fail : {
	int saved = errno ? errno : EIO;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	errno = saved;
	return -1;
}
}

char *paths_read_file(const char *path, size_t max, size_t *len)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	char *buf = malloc(max + 1);
	size_t used = 0;
	if (!buf) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	for (;;) {
		if (used == max) {
			char extra;
			ssize_t more = read(fd, &extra, 1);
			if (more > 0) {
				free(buf);
				close(fd);
				errno = EFBIG;
				return NULL;
			}
			break;
		}
		ssize_t r = read(fd, buf + used, max - used);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int saved = errno;
			free(buf);
			close(fd);
			errno = saved;
			return NULL;
		}
		if (r == 0)
			break;
		used += (size_t)r;
	}
	close(fd);
	buf[used] = '\0';
	if (len)
		*len = used;
	return buf;
}
