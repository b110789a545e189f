/* What the program sees of itself: its ids, host name and resource limits (--user, --group-add, --hostname, --rlimit), all the VM's own view; the host side of the VMM never changes. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "linux.h"
#include "util.h"

#define L_RLIMIT_STACK 3
#define L_RLIMIT_CORE  4

/* The fd table's bound: RLIMIT_NOFILE's soft limit, never past its slots. */
uint64_t linux_nofile(const struct linux_proc *proc)
{
	uint64_t cur = proc->cfg.rlimit_set >> IDENT_RLIMIT_NOFILE & 1
			   ? proc->cfg.rlimits[IDENT_RLIMIT_NOFILE].cur
			   : LINUX_MAX_FDS;
	return cur < LINUX_MAX_FDS ? cur : LINUX_MAX_FDS;
}

long linux_sys_uname(struct linux_proc *proc, const uint64_t *a)
{
	char fields[6][65] = {"Linux", "", "6.1.0-lockvm", "#1 SMP lockvm", "x86_64", "(none)"};
	_Static_assert(IDENT_HOSTNAME_MAX + 1 == sizeof(fields[1]), "nodename size");
	memcpy(fields[1], proc->cfg.hostname, sizeof(fields[1]));
	return linux_copy_out(proc, a[0], fields, sizeof(fields));
}

/* Changes the VM's name only (the VMM holds no host name of its own to
 * change); as Linux, only the VM's root may. */
long linux_sys_sethostname(struct linux_proc *proc, const uint64_t *a)
{
	char name[IDENT_HOSTNAME_MAX + 1] = {0};
	if (proc->cred.uid != 0)
		return -EPERM;
	if (a[1] > IDENT_HOSTNAME_MAX)
		return -EINVAL;
	if (linux_copy_in(proc, name, a[0], a[1]) < 0)
		return -EFAULT;
	memcpy(proc->cfg.hostname, name, sizeof(name));
	return 0;
}

long linux_sys_getuid(struct linux_proc *proc, const uint64_t *a)
{
	return proc->cred.uid;
}

long linux_sys_getgid(struct linux_proc *proc, const uint64_t *a)
{
	return proc->cred.gid;
}

/* getresuid/getresgid: real, effective and saved are one id in the VM. */
static long put_three(struct linux_proc *proc, const uint64_t *a, uint32_t id)
{
	for (int i = 0; i < 3; i++)
		if (linux_copy_out(proc, a[i], &id, sizeof(id)) < 0)
			return -EFAULT;
	return 0;
}

long linux_sys_getresuid(struct linux_proc *proc, const uint64_t *a)
{
	return put_three(proc, a, proc->cred.uid);
}

long linux_sys_getresgid(struct linux_proc *proc, const uint64_t *a)
{
	return put_three(proc, a, proc->cred.gid);
}

/*
 * The set*id calls, as Linux's permission rules in the VM's own view: the
 * VM's root (uid 0, the capabilities of a root in a user namespace) may
 * take any id; another task only its own, so an unprivileged task cannot
 * become root. A task has one uid and one gid (real, effective, saved and
 * file-system ids are the same): the effective id a call names wins, and
 * none of this reaches the host's ids.
 */
#define ID_UNCHANGED 0xffffffffu

/* The id a setres*id / setre*id call asks for: the effective one, else
 * the real, else the saved; ID_UNCHANGED when every one is -1. */
static uint32_t wanted_id(const uint64_t *ids, unsigned n)
{
	const unsigned order[3] = {1, 0, 2};
	for (unsigned i = 0; i < 3; i++)
		if (order[i] < n && (uint32_t)ids[order[i]] != ID_UNCHANGED)
			return (uint32_t)ids[order[i]];
	return ID_UNCHANGED;
}

/* Sets *id (the caller's uid or gid) from n ids of which -1 keeps one. */
static long set_ids(struct linux_proc *proc, uint32_t *id, const uint64_t *ids, unsigned n)
{
	bool root = proc->cred.uid == 0;
	for (unsigned i = 0; i < n; i++)
		if ((uint32_t)ids[i] != ID_UNCHANGED && (uint32_t)ids[i] != *id && !root)
			return -EPERM;
	uint32_t want = wanted_id(ids, n);
	if (want != ID_UNCHANGED)
		*id = want;
	return 0;
}

long linux_sys_setresuid(struct linux_proc *proc, const uint64_t *a)
{
	return set_ids(proc, &proc->cred.uid, a, 3);
}

long linux_sys_setresgid(struct linux_proc *proc, const uint64_t *a)
{
	return set_ids(proc, &proc->cred.gid, a, 3);
}

long linux_sys_setreuid(struct linux_proc *proc, const uint64_t *a)
{
	return set_ids(proc, &proc->cred.uid, a, 2);
}

long linux_sys_setregid(struct linux_proc *proc, const uint64_t *a)
{
	return set_ids(proc, &proc->cred.gid, a, 2);
}

long linux_sys_setuid(struct linux_proc *proc, const uint64_t *a)
{
	if ((uint32_t)a[0] == ID_UNCHANGED)
		return -EINVAL; /* as Linux: -1 is no uid */
	return set_ids(proc, &proc->cred.uid, a, 1);
}

long linux_sys_setgid(struct linux_proc *proc, const uint64_t *a)
{
	if ((uint32_t)a[0] == ID_UNCHANGED)
		return -EINVAL;
	return set_ids(proc, &proc->cred.gid, a, 1);
}

/* setfsuid/setfsgid answer the id before the call and change nothing:
 * the file systems of the VM check no per-task ids, and a separate file
 * system id would only be recorded to be ignored. */
long linux_sys_setfsuid(struct linux_proc *proc, const uint64_t *a)
{
	return proc->cred.uid;
}

long linux_sys_setfsgid(struct linux_proc *proc, const uint64_t *a)
{
	return proc->cred.gid;
}

/* Only the VM's root may set groups; at most IDENT_MAX_GROUPS of them
 * (Linux takes 65536: more is EINVAL here, as above NGROUPS_MAX). */
long linux_sys_setgroups(struct linux_proc *proc, const uint64_t *a)
{
	if (proc->cred.uid != 0) /* CAP_SETGID: the VM's root alone */
		return -EPERM;
	if (a[0] > IDENT_MAX_GROUPS)
		return -EINVAL;
	uint32_t groups[IDENT_MAX_GROUPS];
	if (a[0] && linux_copy_in(proc, groups, a[1], a[0] * sizeof(uint32_t)) < 0)
		return -EFAULT;
	proc->cred.ngroups = (unsigned)a[0];
	memcpy(proc->cred.groups, groups, a[0] * sizeof(uint32_t));
	return 0;
}

long linux_sys_getgroups(struct linux_proc *proc, const uint64_t *a)
{
	uint64_t n = proc->cred.ngroups;
	if ((int32_t)a[0] < 0)
		return -EINVAL;
	if (a[0] == 0)
		return (long)n;
	if (a[0] < n)
		return -EINVAL;
	if (n && linux_copy_out(proc, a[1], proc->cred.groups, n * sizeof(uint32_t)) < 0)
		return -EFAULT;
	return (long)n;
}

/* A limit as the program sees it: what --rlimit or setrlimit gave, else
 * the VM's own (its stack mapping, no core files, the fd table). */
void linux_rlimit_of(const struct linux_proc *proc, unsigned r, struct ident_rlimit *lim)
{
	if (proc->cfg.rlimit_set >> r & 1) {
		*lim = proc->cfg.rlimits[r];
		if (r == IDENT_RLIMIT_NOFILE) /* the fd table has no more slots */
			*lim = (struct ident_rlimit){linux_nofile(proc), lim->max < LINUX_MAX_FDS
									     ? lim->max
									     : LINUX_MAX_FDS};
		return;
	}
	uint64_t v = IDENT_INFINITY;
	if (r == L_RLIMIT_STACK)
		v = proc->user_top - proc->stack_low;
	else if (r == L_RLIMIT_CORE)
		v = 0;
	else if (r == IDENT_RLIMIT_NOFILE)
		v = LINUX_MAX_FDS;
	*lim = (struct ident_rlimit){v, v};
}

long linux_sys_prlimit64(struct linux_proc *proc, const uint64_t *a)
{
	struct ident_rlimit old, new;
	if (a[0] != 0 && a[0] != 1)
		return -ESRCH;
	if (a[1] >= IDENT_RLIMITS)
		return -EINVAL;
	unsigned r = (unsigned)a[1];
	linux_rlimit_of(proc, r, &old);
	if (a[2]) {
		if (linux_copy_in(proc, &new, a[2], sizeof(new)) < 0)
			return -EFAULT;
		if (new.cur > new.max)
			return -EINVAL;
		/* As Linux for a process without CAP_SYS_RESOURCE: the VM's
		 * root holds no host capability, so no raise above hard. */
		if (new.max > old.max)
			return -EPERM;
	}
	if (a[3] && linux_copy_out(proc, a[3], &old, sizeof(old)) < 0)
		return -EFAULT;
	if (a[2]) {
		proc->cfg.rlimits[r] = new;
		proc->cfg.rlimit_set |= 1u << r;
	}
	return 0;
}

long linux_sys_getrlimit(struct linux_proc *proc, const uint64_t *a)
{
	const uint64_t b[4] = {0, a[0], 0, a[1]};
	return linux_sys_prlimit64(proc, b);
}

long linux_sys_setrlimit(struct linux_proc *proc, const uint64_t *a)
{
	const uint64_t b[4] = {0, a[0], a[1], 0};
	return linux_sys_prlimit64(proc, b);
}

int linux_set_workdir(struct linux_proc *proc, const char *path, char *err, size_t errlen)
{
	struct linux_node *node;
	int rc = linux_fs_resolve(&proc->fs, proc->fs.root, path, LINUX_RESOLVE_FOLLOW, &node, NULL,
				  NULL, 0);
	if (rc == 0 && !S_ISDIR(node->mode))
		rc = -ENOTDIR;
	if (rc < 0)
		return err_fmt(err, errlen, "--workdir %.256s: %s in the VM's tree", path,
			       strerror(-rc));
	linux_fs_get(&proc->fs, node);
	linux_cwd_release(proc);
	proc->cwd = node;
	return 0;
}
