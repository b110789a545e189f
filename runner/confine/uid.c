/* Per-VM uid/gid reservation: lock files under <root>/run/lockvm/uids/. */
#include "uid.h"
#include "paths.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#define UID_DIR "run/lockvm/uids"

int uid_range_parse(const char *text, struct uid_range *range)
{
	char first[16];
	const char *dash = strchr(text, '-');
	uint64_t a, b;
	if (dash == NULL || (size_t)(dash - text) >= sizeof(first))
		return -1;
	memcpy(first, text, (size_t)(dash - text));
	first[dash - text] = '\0';
	if (parse_uint(first, 1, INT32_MAX, &a) < 0 || parse_uint(dash + 1, 1, INT32_MAX, &b) < 0 ||
	    a > b)
		return -1;
	range->first = (uint32_t)a;
	range->last = (uint32_t)b;
	return 0;
}

/* dir = <root>/run/lockvm/uids, made (0700, no symlinks) if missing. */
static int uid_make_dir(const char *root, char *dir, size_t size)
{
	int n = snprintf(dir, size, "%s/%s", (root && root[0]) ? root : "", UID_DIR);
	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return paths_mkdir_below(root, UID_DIR, 0700);
}

static bool uid_is_host_account(uint32_t id)
{
	/* getpwuid_r/getgrgid_r consult NSS (files, and whatever else the
	 * host has configured): an id known there is someone's. */
	char buf[4096];
	struct passwd pw, *pwp = NULL;
	struct group gr, *grp = NULL;
	if (getpwuid_r((uid_t)id, &pw, buf, sizeof(buf), &pwp) != 0 || pwp != NULL)
		return true; /* a lookup error counts as "taken": fail safe */
	if (getgrgid_r((gid_t)id, &gr, buf, sizeof(buf), &grp) != 0 || grp != NULL)
		return true;
	return false;
}

/* Tries to take id: 1 taken by us, 0 held by someone alive, -1 error. */
static int uid_try_take(int dir_fd, uint32_t id, struct uid_lease *lease)
{
	char name[16], pid_text[32];
	snprintf(name, sizeof(name), "%u", id);
	int fd = openat(dir_fd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST) {
		/* Someone's reservation. If its lock is free, its owner is dead
		 * (flocks die with the last fd): reclaim it. */
		fd = openat(dir_fd, name, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return errno == ENOENT ? 0 : -1;
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			int saved = errno;
			close(fd);
			if (saved == EWOULDBLOCK)
				return 0;
			errno = saved;
			return -1;
		}
		/* The file may have been released (unlinked) between our open
		 * and flock: then this inode is no longer the reservation. */
		struct stat by_fd, by_name;
		if (fstat(fd, &by_fd) < 0 ||
		    fstatat(dir_fd, name, &by_name, AT_SYMLINK_NOFOLLOW) < 0 ||
		    by_fd.st_ino != by_name.st_ino || by_fd.st_dev != by_name.st_dev) {
			close(fd);
			return 0;
		}
	} else if (fd < 0) {
		return -1;
	} else if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		/* Only possible if another process reclaims our brand new file
		 * between create and flock; it is then theirs. */
		close(fd);
		return 0;
	}
	int len = snprintf(pid_text, sizeof(pid_text), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid_text, (size_t)len, 0) != len) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	lease->uid = (uid_t)id;
	lease->gid = (gid_t)id;
	lease->lock_fd = fd;
	return 1;
}

int uid_reserve(const char *root, const struct uid_range *range, struct uid_lease *lease)
{
	static const struct uid_range default_range = {UID_RANGE_DEFAULT_FIRST,
						       UID_RANGE_DEFAULT_LAST};
	char dir[PATH_MAX];
	memset(lease, 0, sizeof(*lease));
	lease->lock_fd = -1;
	if (range == NULL)
		range = &default_range;
	if (range->first == 0 || range->first > range->last || range->last > INT32_MAX) {
		warn_msg("uid range %u-%u: use ids in 1-%d, first <= last", range->first,
			 range->last, INT32_MAX);
		errno = EINVAL;
		return -1;
	}
	if (uid_make_dir(root, dir, sizeof(dir)) < 0) {
		warn_errno("mkdir -p %s", dir);
		return -1;
	}
	int dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dir_fd < 0) {
		warn_errno("open(%s)", dir);
		return -1;
	}
	/* Start at a random point so concurrent lockvm processes rarely race
	 * for the same id (O_EXCL settles the races that remain). */
	uint64_t span = (uint64_t)range->last - range->first + 1;
	uint32_t start = 0;
	if (getrandom(&start, sizeof(start), 0) != sizeof(start))
		start = (uint32_t)getpid();
	for (uint64_t i = 0; i < span; i++) {
		uint32_t id = (uint32_t)(range->first + ((uint64_t)start + i) % span);
		if (id == 0 || uid_is_host_account(id))
			continue;
		int rc = uid_try_take(dir_fd, id, lease);
		if (rc < 0) {
			warn_errno("reserve uid %u in %s", id, dir);
			close(dir_fd);
			return -1;
		}
		if (rc == 1) {
			/* dir fit in PATH_MAX and so does it plus "/<id>" in practice; a
			 * truncated path would unlink the wrong file, so refuse it. */
			int n = snprintf(lease->path, sizeof(lease->path), "%s/%u", dir, id);
			if (n < 0 || (size_t)n >= sizeof(lease->path)) {
				lease->path[0] = '\0';
				close(lease->lock_fd);
				lease->lock_fd = -1;
				close(dir_fd);
				errno = ENAMETOOLONG;
				warn_errno("reservation path under %s", dir);
				return -1;
			}
			close(dir_fd);
			return 0;
		}
	}
	close(dir_fd);
	warn_msg("no free uid in %u-%u: every id is in use by a VM or the host", range->first,
		 range->last);
	errno = EAGAIN;
	return -1;
}

void uid_release(struct uid_lease *lease)
{
	if (lease->lock_fd < 0)
		return;
	/* Unlink while still holding the lock, so no one reclaims a file we
	 * are about to remove. */
	if (lease->path[0] != '\0' && unlink(lease->path) < 0 && errno != ENOENT)
		warn_errno("unlink(%s)", lease->path);
	close(lease->lock_fd);
	lease->lock_fd = -1;
	lease->path[0] = '\0';
}
