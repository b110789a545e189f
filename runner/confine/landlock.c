/* Landlock: probe the ABI and restrict the VMM to nothing but reading the --fs tree and the --volume directories, and writing the rw volumes. */
#include "landlock.h"

#include <errno.h>
#include <linux/landlock.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

/*
 * Debian 12's <linux/landlock.h> predates ABI 4; the kernel here has ABI 7.
 * The values below are the kernel UAPI, under our own names so that a newer
 * header does not clash with them.
 */
#define LANDLOCK_FS_ABI1	     ((1ULL << 13) - 1) /* EXECUTE .. MAKE_SYM */
#define LANDLOCK_FS_REFER	     (1ULL << 13)	/* ABI 2 */
#define LANDLOCK_FS_TRUNCATE	     (1ULL << 14)	/* ABI 3 */
#define LANDLOCK_FS_IOCTL_DEV	     (1ULL << 15)	/* ABI 5 */
#define LANDLOCK_NET_BIND_TCP	     (1ULL << 0)	/* ABI 4 */
#define LANDLOCK_NET_CONNECT_TCP     (1ULL << 1)
#define LANDLOCK_SCOPE_ABSTRACT_UNIX (1ULL << 0) /* ABI 6 */
#define LANDLOCK_SCOPE_SIGNALS	     (1ULL << 1)
#define LANDLOCK_VERSION_FLAG	     (1U << 0) /* LANDLOCK_CREATE_RULESET_VERSION */

/* struct landlock_ruleset_attr as of ABI 6; the kernel accepts a shorter
 * size from older ABIs, so we pass only the prefix the running ABI knows. */
struct landlock_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

int landlock_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_VERSION_FLAG);
	if (abi >= 1)
		return (int)abi;
	/* ENOSYS: not built in; EOPNOTSUPP: built but not enabled at boot. */
	if (errno == ENOSYS || errno == EOPNOTSUPP)
		return 0;
	return -1;
}

/* Closes the ruleset after a failed Landlock call; returns -1, errno kept. */
static int close_keeping_errno(int ruleset)
{
	int saved = errno;
	close(ruleset);
	errno = saved;
	return -1;
}

/*
 * --linux --fs and --volume: reading files and listing directories beneath
 * each tree the supervisor passed (an O_PATH fd), nothing else; beneath a
 * read-write volume also what linux_volume.c does there for the guest:
 * write and truncate files (write(2), O_TRUNC, ftruncate), make files,
 * directories and symlinks (open O_CREAT, mkdir, symlink, link), remove
 * them (unlink, rmdir) and move or link them between its directories
 * (rename, link: REFER). --fs-upper DIR is such a read-write tree:
 * linux_upper.c makes the job's layer there (directories, files, symlinks,
 * written and chmod-ed) when its first process ends.
 * No right to make device nodes, FIFOs or sockets, nor to execute.
 */
static int allow_tree(int ruleset, const struct landlock_tree *tree, uint64_t handled)
{
	uint64_t access = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
	if (tree->writable)
		access |= LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |
			  LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_DIR |
			  LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SYM |
			  ((LANDLOCK_FS_REFER | LANDLOCK_FS_TRUNCATE) & handled);
	struct landlock_path_beneath_attr rule = {
	    .allowed_access = access,
	    .parent_fd = tree->fd,
	};
	return (int)syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0U);
}

int landlock_restrict_everything(int *abi_out, const struct landlock_tree *trees, unsigned count)
{
	struct landlock_attr attr = {0};
	size_t attr_size = sizeof(attr.handled_access_fs);
	int abi = landlock_abi();
	if (abi < 0)
		return -1;
	if (abi == 0)
		return LANDLOCK_ABSENT;

	attr.handled_access_fs = LANDLOCK_FS_ABI1;
	if (abi >= 2)
		attr.handled_access_fs |= LANDLOCK_FS_REFER;
	if (abi >= 3)
		attr.handled_access_fs |= LANDLOCK_FS_TRUNCATE;
	if (abi >= 5)
		attr.handled_access_fs |= LANDLOCK_FS_IOCTL_DEV;
	if (abi >= 4) {
		/* The VMM has no network; with no rule, no TCP bind or connect. */
		attr.handled_access_net = LANDLOCK_NET_BIND_TCP | LANDLOCK_NET_CONNECT_TCP;
		attr_size = sizeof(attr.handled_access_fs) + sizeof(attr.handled_access_net);
	}
	if (abi >= 6) {
		/* Nor may it reach abstract unix sockets or signal processes
		 * outside its own domain (another VM, the supervisor). */
		attr.scoped = LANDLOCK_SCOPE_ABSTRACT_UNIX | LANDLOCK_SCOPE_SIGNALS;
		attr_size = sizeof(attr);
	}
	/* ABI 7 adds only audit-logging flags, no new right to handle. */

	int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, attr_size, 0U);
	if (ruleset < 0)
		return -1;
	/* Nothing is granted but the trees', when there are any. */
	for (unsigned i = 0; i < count; i++)
		if (allow_tree(ruleset, &trees[i], attr.handled_access_fs) < 0)
			return close_keeping_errno(ruleset);
	if (syscall(SYS_landlock_restrict_self, ruleset, 0U) < 0) {
		return close_keeping_errno(ruleset);
	}
	close(ruleset);
	if (abi_out != NULL)
		*abi_out = abi;
	return LANDLOCK_ENFORCED;
}
