/* The default storage pool: sparse NAME.img disk images under $root/var/lib/lockvm/images/. */
#include "pool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int pool_image_path(const char *name, char *out, size_t size, char *err, size_t errlen)
{
	char leaf[PATHS_NAME_MAX + sizeof(POOL_IMAGE_EXT)];
	const char *why;
	if (!paths_name_valid(name, &why)) {
		snprintf(err, errlen, "image name '%s' %s (want 1-64 of [A-Za-z0-9_.-])", name,
			 why);
		errno = EINVAL;
		return -1;
	}
	snprintf(leaf, sizeof(leaf), "%s%s", name, POOL_IMAGE_EXT);
	if (paths_join(out, size, PATHS_POOL_DIR, leaf) < 0) {
		snprintf(err, errlen, "image %s: path too long under root %s", name, paths_root());
		return -1;
	}
	return 0;
}

int pool_create(const char *name, uint64_t size, char *err, size_t errlen)
{
	char path[PATH_MAX], tmp[PATH_MAX + 32];
	int fd, saved;

	if (pool_image_path(name, path, sizeof(path), err, errlen) < 0)
		return -1;
	if (size == 0 || size % POOL_SECTOR != 0 || size > (uint64_t)INT64_MAX) {
		snprintf(err, errlen, "image %s: size %llu is not a positive multiple of %d bytes",
			 name, (unsigned long long)size, POOL_SECTOR);
		errno = EINVAL;
		return -1;
	}
	if (paths_mkdir(PATHS_POOL_DIR) < 0) {
		snprintf(err, errlen, "cannot create the pool directory under %s: %s", paths_root(),
			 strerror(errno));
		return -1;
	}
	/* Built under a temporary name that is not a valid image name (it
	 * starts with '.'), then linked in place: link() fails on an existing
	 * name, so two creates cannot both win and nobody sees a half-sized
	 * image. */
	char *slash = strrchr(path, '/');
	snprintf(tmp, sizeof(tmp), "%.*s/.%s.tmp.%ld", (int)(slash - path), path, slash + 1,
		 (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		saved = errno;
		snprintf(err, errlen, "image %s: cannot create %s: %s", name, tmp, strerror(saved));
		errno = saved;
		return -1;
	}
	/* fchmod: the umask must not loosen or tighten 0600 */
	if (fchmod(fd, 0600) < 0 || ftruncate(fd, (off_t)size) < 0) {
		saved = errno;
		snprintf(err, errlen, "image %s: cannot make it %llu bytes: %s", name,
			 (unsigned long long)size, strerror(saved));
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		saved = errno;
		snprintf(err, errlen, "image %s: close: %s", name, strerror(saved));
		goto fail;
	}
	fd = -1;
	if (link(tmp, path) < 0) {
		saved = errno;
		if (saved == EEXIST)
			snprintf(err, errlen,
				 "image %s already exists (%s); delete it first or pick another "
				 "name",
				 name, path);
		else
			snprintf(err, errlen, "image %s: link(%s, %s): %s", name, tmp, path,
				 strerror(saved));
		goto fail;
	}
	unlink(tmp);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	errno = saved;
	return -1;
}

int pool_delete(const char *name, pool_in_use_fn in_use, void *ctx, char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct stat st;
	if (pool_image_path(name, path, sizeof(path), err, errlen) < 0)
		return -1;
	if (lstat(path, &st) < 0) {
		int saved = errno;
		if (saved == ENOENT)
			snprintf(err, errlen,
				 "no image named '%s' in the pool (see 'lockvm pool list')", name);
		else
			snprintf(err, errlen, "image %s: %s: %s", name, path, strerror(saved));
		errno = saved;
		return -1;
	}
	if (in_use && in_use(path, ctx)) {
		snprintf(err, errlen, "image %s is a disk of a running VM; stop the VM first",
			 name);
		errno = EBUSY;
		return -1;
	}
	if (unlink(path) < 0) {
		int saved = errno;
		snprintf(err, errlen, "image %s: unlink(%s): %s", name, path, strerror(saved));
		errno = saved;
		return -1;
	}
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct pool_image *)a)->name, ((const struct pool_image *)b)->name);
}

/* NAME.img with a valid NAME: copies NAME into name[PATHS_NAME_MAX + 1]. */
static bool image_file_name(const char *file, char *name)
{
	size_t len = strlen(file), ext = strlen(POOL_IMAGE_EXT);
	if (len <= ext || len - ext > PATHS_NAME_MAX ||
	    strcmp(file + len - ext, POOL_IMAGE_EXT) != 0)
		return false;
	memcpy(name, file, len - ext);
	name[len - ext] = '\0';
	return paths_name_valid(name, NULL);
}

int pool_list(struct pool_image **images_out, size_t *count_out, char *err, size_t errlen)
{
	char dir_path[PATH_MAX];
	struct pool_image *images = NULL;
	size_t count = 0, cap = 0;
	struct dirent *entry;
	DIR *dir;

	*images_out = NULL;
	*count_out = 0;
	if (paths_join(dir_path, sizeof(dir_path), PATHS_POOL_DIR, NULL) < 0) {
		snprintf(err, errlen, "pool directory: path too long under root %s", paths_root());
		return -1;
	}
	dir = opendir(dir_path);
	if (!dir) {
		if (errno == ENOENT)
			return 0; /* nothing was ever created */
		snprintf(err, errlen, "cannot read the pool %s: %s", dir_path, strerror(errno));
		return -1;
	}
	while ((entry = readdir(dir))) {
		struct pool_image image;
		struct stat st;
		if (!image_file_name(entry->d_name, image.name))
			continue;
		/* Symlinks are not followed: the pool holds its own files. */
		if (fstatat(dirfd(dir), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (snprintf(image.path, sizeof(image.path), "%s/%s", dir_path, entry->d_name) >=
		    (int)sizeof(image.path))
			continue;
		image.size = (uint64_t)st.st_size;
		image.allocated = (uint64_t)st.st_blocks * 512;
		if (count == cap) {
			size_t more = cap ? cap * 2 : 16;
			struct pool_image *grown = realloc(images, more * sizeof(*images));
			if (!grown) {
				snprintf(err, errlen, "listing the pool: out of memory");
				free(images);
				closedir(dir);
				return -1;
			}
			images = grown;
			cap = more;
		}
		images[count++] = image;
	}
	closedir(dir);
	if (count)
		qsort(images, count, sizeof(*images), by_name);
	*images_out = images;
	*count_out = count;
	return 0;
}
