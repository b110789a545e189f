/* Confinement of the VMM, supervisor side: the child's straight-line drop before fexecve (sandbox_vmm.c is the VMM's side). */
#include "sandbox.h"

#include <cap-ng.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/keyctl.h>
#include <linux/securebits.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "landlock.h"
#include "mac.h"

/*
 * Rootless mode: a user who may open /dev/kvm but is not root cannot switch
 * to a per-VM uid. sandbox_spawn() then clone()s with CLONE_NEWUSER as
 * well and, before letting the child go on, writes its maps ("deny" to
 * setgroups, then uid_map "0 <caller uid> 1" and gid_map "0 <caller gid> 1")
 * so that the child is root with all capabilities over its new namespaces
 * only (the mount, net, ... namespaces it makes are owned by that user ns,
 * which is what lets it pivot_root). The SANDBOX_UID step is skipped: the
 * VMM runs as the caller's uid, shared by every rootless VM of that user,
 * so those VMs are kept apart by namespaces, Landlock scopes and seccomp,
 * not by uid. SANDBOX_CGROUP works only on a cgroup the user may write
 * (a delegated v2 subtree); the SELinux exec label needs policy allowing
 * the user's domain the transition. Every other layer applies unchanged,
 * the second, unmapped user ns included (it is nested in the first).
 * sandbox_layers_unavailable() tells the supervisor what to report.
 */

#define SANDBOX_EXIT	      EXIT_REFUSED
#define SANDBOX_CHROOT_SUBDIR "vmm"
/* The empty root is mounted over /tmp of the child's private mount ns. */
#define SANDBOX_NEW_ROOT "/tmp"

static const char *const sandbox_layer_names[] = {
    "cgroup",	 "namespaces",	 "mac",	     "pivot_root", "rlimits", "close_fds",
    "clear_env", "uid",		 "keyring",  "userns",	   "chroot",  "caps",
    "pdeathsig", "no_new_privs", "landlock", "seccomp",	   "fd_seal",
};

const char *sandbox_layer_name(unsigned layer)
{
	for (unsigned i = 0; i < ARRAY_SIZE(sandbox_layer_names); i++)
		if (layer == 1u << i)
			return sandbox_layer_names[i];
	return "?";
}

unsigned sandbox_layer_parse(const char *name)
{
	for (unsigned i = 0; i < ARRAY_SIZE(sandbox_layer_names); i++)
		if (strcmp(name, sandbox_layer_names[i]) == 0)
			return 1u << i;
	return 0;
}

void sandbox_config_init(struct sandbox_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->layers = SANDBOX_LAYERS_ALL;
	cfg->uid = (uid_t)-1;
	cfg->gid = (gid_t)-1;
	cfg->rlimits.nofile = 256; /* KVM, VM, 16 vCPUs, eventfds, disks, console */
	cfg->rlimits.nproc = 64;   /* threads count too: vCPUs + I/O helpers */
	cfg->rlimits.fsize = 0; /* secure default: the supervisor raises it to the largest image */
	cfg->rlimits.memlock = 0;
}

/* One line on stderr naming the failed call, then _exit: the child must
 * never return into the supervisor's code, and a partial drop is not
 * recoverable ("we can't recover from a partial drop, so we don't try"). */
static NORETURN PRINTF_LIKE(1, 2) void sandbox_fail(const char *fmt, ...)
{
	int saved = errno;
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	dprintf(STDERR_FILENO, "lockvm: sandbox: %s: %s\n", line, strerror(saved));
	_exit(SANDBOX_EXIT);
}

static NORETURN PRINTF_LIKE(1, 2) void sandbox_fail_msg(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	dprintf(STDERR_FILENO, "lockvm: sandbox: %s\n", line);
	_exit(SANDBOX_EXIT);
}

/* --debug-timing: stamps one step of the child's drop. */
static void mark(const struct sandbox_config *cfg, enum sandbox_mark step)
{
	if (cfg->marks)
		cfg->marks[step] = now_ns();
}

static bool on(const struct sandbox_config *cfg, unsigned layer)
{
	return (cfg->layers & layer) != 0;
}

/* The inode of this process's net namespace (stat of /proc/self/ns/net). */
static ino_t sandbox_net_ns(void)
{
	struct stat st;
	if (stat("/proc/self/ns/net", &st) < 0)
		sandbox_fail("stat(\"/proc/self/ns/net\")");
	return st.st_ino;
}

static void sandbox_loopback_down(ino_t host_net_ns)
{
	/* Only ever in a namespace of our own: taking lo down in the
	 * supervisor's namespace would cut the host's loopback. */
	if (sandbox_net_ns() == host_net_ns)
		sandbox_fail_msg(
		    "the net namespace is still the supervisor's: not touching its lo");
	/* A new net ns has only lo, and the kernel creates it down; check it
	 * rather than trust it, since "up" would give the VMM 127.0.0.1. */
	struct ifreq ifr;
	int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		sandbox_fail("socket(AF_INET, SOCK_DGRAM)");
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
		sandbox_fail("ioctl(SIOCGIFFLAGS, \"lo\")");
	if (ifr.ifr_flags & IFF_UP) {
		ifr.ifr_flags &= (short)~IFF_UP;
		if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0)
			sandbox_fail("ioctl(SIOCSIFFLAGS, \"lo\", down)");
	}
	close(sock);
}

/* Attaches each tree at SANDBOX_NEW_ROOT/NAME, a mount point made for it
 * beside the chroot directory. The mount keeps what clone_tree() set (read
 * only, nosuid, nodev, noexec, nosymfollow) and is private to this mount
 * ns, so it goes when the VMM does. */
static void sandbox_attach_trees(const struct sandbox_config *cfg)
{
	for (unsigned i = 0; i < cfg->n_trees; i++) {
		char at[64];
		const char *name = cfg->trees[i].name;
		if (!name || !name[0] || strchr(name, '/') || strcmp(name, "..") == 0 ||
		    strcmp(name, SANDBOX_CHROOT_SUBDIR) == 0 ||
		    (size_t)snprintf(at, sizeof(at), "%s/%s", SANDBOX_NEW_ROOT, name) >= sizeof(at))
			sandbox_fail_msg("tree %u: bad mount point name", i);
		if (mkdir(at, 0555) < 0)
			sandbox_fail("mkdir(\"%s\")", at);
		if (move_mount(cfg->trees[i].fd, "", AT_FDCWD, at, MOVE_MOUNT_F_EMPTY_PATH) < 0)
			sandbox_fail("move_mount(tree fd %d, \"%s\")", cfg->trees[i].fd, at);
	}
}

static void sandbox_pivot_to_empty_root(const struct sandbox_config *cfg)
{
	/* Nothing we mount may propagate back to the host's mount ns. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		sandbox_fail("mount(\"/\", MS_REC|MS_PRIVATE)");
	/* Inodes: the root, the chroot directory, a mount point per tree,
	 * one spare. */
	char opts[64];
	snprintf(opts, sizeof(opts), "mode=0555,size=4k,nr_inodes=%u", 4 + cfg->n_trees);
	if (mount("lockvm-root", SANDBOX_NEW_ROOT, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  opts) < 0)
		sandbox_fail("mount(tmpfs, \"%s\")", SANDBOX_NEW_ROOT);
	/* The entries of the new root: the empty directory SANDBOX_CHROOT
	 * later chroots into, and the trees' mount points beside it. Made
	 * now, while the tmpfs is still writable. */
	if (mkdir(SANDBOX_NEW_ROOT "/" SANDBOX_CHROOT_SUBDIR, 0555) < 0)
		sandbox_fail("mkdir(\"%s/%s\")", SANDBOX_NEW_ROOT, SANDBOX_CHROOT_SUBDIR);
	sandbox_attach_trees(cfg);
	if (chdir(SANDBOX_NEW_ROOT) < 0)
		sandbox_fail("chdir(\"%s\")", SANDBOX_NEW_ROOT);
	/* pivot_root(".", ".") stacks the old root under the new one; the
	 * lazy unmount then drops every host mount from this namespace. */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		sandbox_fail("pivot_root(\".\", \".\")");
	if (umount2(".", MNT_DETACH) < 0)
		sandbox_fail("umount2(old root, MNT_DETACH)");
	if (chdir("/") < 0)
		sandbox_fail("chdir(\"/\")");
	if (mount(NULL, "/", NULL,
		  MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		sandbox_fail("mount(\"/\", MS_REMOUNT|MS_BIND|MS_RDONLY)");
}

static void sandbox_set_rlimit(int resource, const char *name, uint64_t value)
{
	struct rlimit lim = {.rlim_cur = value, .rlim_max = value};
	if (setrlimit(resource, &lim) < 0)
		sandbox_fail("setrlimit(%s, %llu)", name, (unsigned long long)value);
}

static int sandbox_fd_compare(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/* The VMM gets the kept fds across exec, whatever the supervisor set and
 * whether or not the other fds are closed: keeping is the contract, closing
 * the rest is the layer. */
static void sandbox_inherit_kept_fds(const struct sandbox_config *cfg)
{
	for (unsigned i = 0; i < cfg->n_keep_fds; i++)
		if (fcntl(cfg->keep_fds[i], F_SETFD, 0) < 0)
			sandbox_fail("fcntl(%d, F_SETFD, 0)", cfg->keep_fds[i]);
}

static void sandbox_close_other_fds(const struct sandbox_config *cfg, int exec_fd, int lifeline_fd,
				    int empty_dir_fd)
{
	int keep[256];
	unsigned n = 0;
	if (cfg->n_keep_fds > ARRAY_SIZE(keep) - 3)
		sandbox_fail_msg("%u fds to keep: at most %zu", cfg->n_keep_fds,
				 ARRAY_SIZE(keep) - 3);
	for (unsigned i = 0; i < cfg->n_keep_fds; i++)
		keep[n++] = cfg->keep_fds[i];
	/* exec_fd and the lifeline are needed until fexecve, not after it. */
	keep[n++] = exec_fd;
	if (lifeline_fd >= 0)
		keep[n++] = lifeline_fd;
	if (empty_dir_fd >= 0)
		keep[n++] = empty_dir_fd;
	qsort(keep, n, sizeof(keep[0]), sandbox_fd_compare);
	if (keep[0] < 0)
		sandbox_fail_msg("fd %d to keep is negative", keep[0]);
	/* Close the gaps between kept fds, then everything above the last. */
	unsigned next = 0;
	for (unsigned i = 0; i < n; i++) {
		unsigned fd = (unsigned)keep[i];
		if (fd > next && close_range(next, fd - 1, 0) < 0)
			sandbox_fail("close_range(%u, %u, 0)", next, fd - 1);
		if (fd + 1 > next)
			next = fd + 1;
	}
	if (close_range(next, ~0u, 0) < 0)
		sandbox_fail("close_range(%u, ~0U, 0)", next);
	if (fcntl(exec_fd, F_SETFD, FD_CLOEXEC) < 0)
		sandbox_fail("fcntl(exec fd %d, F_SETFD, FD_CLOEXEC)", exec_fd);
}

#define SANDBOX_SECUREBITS                                                                         \
	(SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |                           \
	 SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE |   \
	 SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED)

static void sandbox_verify_no_caps(void)
{
	/* Read back with raw calls rather than trust libcap-ng's cached state:
	 * there is no /proc here for it to re-read. */
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct data[2];
	if (syscall(SYS_capget, &hdr, data) < 0)
		sandbox_fail("capget(self)");
	for (int i = 0; i < 2; i++)
		if (data[i].effective || data[i].permitted || data[i].inheritable)
			sandbox_fail_msg(
			    "capabilities left after the drop: eff %#x prm %#x inh %#x",
			    data[i].effective, data[i].permitted, data[i].inheritable);
	for (int cap = 0; cap < 64; cap++) {
		int in_bounding = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
		if (in_bounding < 0)
			break; /* EINVAL past the kernel's last capability */
		if (in_bounding)
			sandbox_fail_msg("capability %d still in the bounding set", cap);
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0) > 0)
			sandbox_fail_msg("capability %d still ambient", cap);
	}
	int bits = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
	if (bits < 0 || (bits & SANDBOX_SECUREBITS) != SANDBOX_SECUREBITS)
		sandbox_fail_msg("securebits are %#x, want %#x", (unsigned)bits,
				 SANDBOX_SECUREBITS);
}

static void sandbox_drop_capabilities(void)
{
	/* libcap-ng caches a pid; ours changed at clone (and is 1 in a new pid
	 * ns), so point it at ourselves before it builds capset() calls. */
	capng_setpid((int)getpid());
	capng_clear(CAPNG_SELECT_ALL);
	/* Bounding set first: dropping from it needs CAP_SETPCAP, which the
	 * next steps give up. */
	int rc = capng_apply(CAPNG_SELECT_BOUNDS);
	if (rc < 0)
		sandbox_fail("capng_apply(CAPNG_SELECT_BOUNDS) = %d", rc);
	/* Locked securebits, also needing CAP_SETPCAP: uid 0 gets no
	 * capabilities back at execve (NOROOT), setuid changes do not touch
	 * them (NO_SETUID_FIXUP), and no one may unlock or raise ambient. */
	if (prctl(PR_SET_SECUREBITS, SANDBOX_SECUREBITS, 0, 0, 0) < 0)
		sandbox_fail("prctl(PR_SET_SECUREBITS, %#x)", SANDBOX_SECUREBITS);
	rc = capng_apply(CAPNG_SELECT_CAPS);
	if (rc < 0)
		sandbox_fail("capng_apply(CAPNG_SELECT_CAPS) = %d", rc);
	rc = capng_apply(CAPNG_SELECT_AMBIENT);
	if (rc < 0)
		sandbox_fail("capng_apply(CAPNG_SELECT_AMBIENT) = %d", rc);
	sandbox_verify_no_caps();
}

void sandbox_enter_child(const struct sandbox_config *cfg, int exec_fd, char *const argv[],
			 int lifeline_fd)
{
	static char *const empty_env[] = {NULL};
	extern char **environ;

	/* The config must make sense before anything is dropped. */
	if (on(cfg, SANDBOX_PIVOT_ROOT) && !on(cfg, SANDBOX_NAMESPACES))
		sandbox_fail_msg("pivot_root needs the namespaces layer (a private mount ns)");
	if (on(cfg, SANDBOX_CHROOT) && !on(cfg, SANDBOX_PIVOT_ROOT) &&
	    (cfg->empty_dir == NULL || cfg->empty_dir[0] != '/'))
		sandbox_fail_msg("chroot without pivot_root needs an absolute empty_dir");
	if (on(cfg, SANDBOX_UID) &&
	    (cfg->uid == 0 || cfg->gid == 0 || cfg->uid == (uid_t)-1 || cfg->gid == (gid_t)-1))
		sandbox_fail_msg("refusing VM uid %u / gid %u", cfg->uid, cfg->gid);
	/* Opened now, while root may still search its parents; the VM uid
	 * (unmapped in its user ns) may not, by then. */
	int empty_dir_fd = -1;
	if (on(cfg, SANDBOX_CHROOT) && !on(cfg, SANDBOX_PIVOT_ROOT)) {
		empty_dir_fd = open(cfg->empty_dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (empty_dir_fd < 0)
			sandbox_fail("open(\"%s\", O_PATH|O_DIRECTORY)", cfg->empty_dir);
	}

	mark(cfg, SANDBOX_MARK_START);
	/* 1. cgroup, joined before the cgroup ns is made so that the VMM's
	 * view of the cgroup tree is rooted at its own cgroup. This process
	 * has one thread (a fresh clone), as cgroup_attach_self needs. */
	if (on(cfg, SANDBOX_CGROUP) && cfg->cgroup != NULL && cgroup_attach_self(cfg->cgroup) < 0)
		sandbox_fail("cgroup_attach_self(%s)", cfg->cgroup->dir[0]);

	/* 2. Namespaces (pid was made by clone() in sandbox_spawn, since a new
	 * pid ns applies to children only). Net ns: no interface but lo. */
	if (on(cfg, SANDBOX_NAMESPACES)) {
		int flags =
		    CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET | CLONE_NEWCGROUP;
		ino_t host_net_ns = sandbox_net_ns();
		if (unshare(flags) < 0)
			sandbox_fail("unshare(NEWNS|NEWIPC|NEWUTS|NEWNET|NEWCGROUP)");
		const char *host = cfg->hostname ? cfg->hostname : "lockvm";
		if (sethostname(host, strlen(host)) < 0)
			sandbox_fail("sethostname(\"%s\")", host);
		sandbox_loopback_down(host_net_ns);
	}
	mark(cfg, SANDBOX_MARK_NAMESPACES);

	/* 3. Exec label, before pivot_root: libselinux and libapparmor write
	 * /proc/thread-self/attr/exec, which the empty root no longer has
	 * (docs/ARCHITECTURE.md, "Confinement order"); what matters is that it comes before no_new_privs
	 * (set in the VMM), which would forbid the transition. */
	if (on(cfg, SANDBOX_MAC)) {
		int status = mac_set_exec_label(cfg->exec_label);
		if (status < 0)
			sandbox_fail("mac_set_exec_label(\"%s\") under %s", cfg->exec_label,
				     mac_active());
		if (status == MAC_NOT_ENFORCED && cfg->require_mac)
			sandbox_fail_msg("--require-mac: no MAC enforces the label (active: %s)",
					 mac_active());
	}

	/* 4. Empty read-only root: the VMM sees no filesystem at all. */
	if (on(cfg, SANDBOX_PIVOT_ROOT))
		sandbox_pivot_to_empty_root(cfg);
	mark(cfg, SANDBOX_MARK_PIVOT_ROOT);

	/* 5. rlimits. NPROC counts per uid, and the uid is the VM's own. */
	if (on(cfg, SANDBOX_RLIMITS)) {
		sandbox_set_rlimit(RLIMIT_CORE, "RLIMIT_CORE", 0); /* guest memory never on disk */
		sandbox_set_rlimit(RLIMIT_NOFILE, "RLIMIT_NOFILE", cfg->rlimits.nofile);
		sandbox_set_rlimit(RLIMIT_NPROC, "RLIMIT_NPROC", cfg->rlimits.nproc);
		sandbox_set_rlimit(RLIMIT_FSIZE, "RLIMIT_FSIZE", cfg->rlimits.fsize);
		sandbox_set_rlimit(RLIMIT_MEMLOCK, "RLIMIT_MEMLOCK", cfg->rlimits.memlock);
		sandbox_set_rlimit(RLIMIT_MSGQUEUE, "RLIMIT_MSGQUEUE", 0); /* no POSIX mqueues */
	}

	/* 6. fds and environment: nothing of the supervisor's leaks through. */
	sandbox_inherit_kept_fds(cfg);
	if (on(cfg, SANDBOX_CLOSE_FDS))
		sandbox_close_other_fds(cfg, exec_fd, lifeline_fd, empty_dir_fd);
	if (on(cfg, SANDBOX_CLEAR_ENV) && clearenv() != 0)
		sandbox_fail("clearenv()");

	/* 7. Per-VM uid/gid. Without the user ns step, keep capabilities
	 * across the switch (NO_SETUID_FIXUP) because chroot and the bounding
	 * set drop below still need them; step 10 clears them all. */
	if (on(cfg, SANDBOX_UID)) {
		if (!on(cfg, SANDBOX_USERNS) &&
		    prctl(PR_SET_SECUREBITS, SECBIT_NO_SETUID_FIXUP, 0, 0, 0) < 0)
			sandbox_fail("prctl(PR_SET_SECUREBITS, NO_SETUID_FIXUP)");
		if (setgroups(0, NULL) < 0)
			sandbox_fail("setgroups(0, NULL)");
		if (setresgid(cfg->gid, cfg->gid, cfg->gid) < 0)
			sandbox_fail("setresgid(%u, %u, %u)", cfg->gid, cfg->gid, cfg->gid);
		if (setresuid(cfg->uid, cfg->uid, cfg->uid) < 0)
			sandbox_fail("setresuid(%u, %u, %u)", cfg->uid, cfg->uid, cfg->uid);
		uid_t ru, eu, su;
		gid_t rg, eg, sg;
		if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0)
			sandbox_fail("getresuid/getresgid");
		if (ru != cfg->uid || eu != cfg->uid || su != cfg->uid || rg != cfg->gid ||
		    eg != cfg->gid || sg != cfg->gid || getgroups(0, NULL) != 0)
			sandbox_fail_msg("uid/gid switch to %u/%u did not stick", cfg->uid,
					 cfg->gid);
	}

	/* 8. A fresh session keyring: the inherited one is the supervisor's,
	 * and "possessing" it would let the VMM read root's keys. */
	if (on(cfg, SANDBOX_KEYRING) &&
	    syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL, 0, 0, 0) < 0)
		sandbox_fail("keyctl(KEYCTL_JOIN_SESSION_KEYRING, NULL)");

	/* 9. A user ns with no uid_map: the VMM's uid is unmapped in its own
	 * ns, so the kernel refuses it any further user ns (EPERM: owner not
	 * mapped) and setuid to anything (EINVAL), whatever seccomp does. The
	 * capabilities it gets here are over this empty ns only, and step 10
	 * drops them. Must come after the uid switch (no uid is mapped to
	 * switch to afterwards) and before the chroot (a chrooted process may
	 * not create a user ns). Securebits reset here, so they are set below. */
	if (on(cfg, SANDBOX_USERNS) && unshare(CLONE_NEWUSER) < 0)
		sandbox_fail("unshare(CLONE_NEWUSER)");

	/* 10. Root = an empty directory that is not the mount ns root: the
	 * kernel then counts the VMM as chrooted and refuses it a new user ns,
	 * a second reason besides step 9 and seccomp. */
	if (on(cfg, SANDBOX_CHROOT)) {
		const char *dir =
		    on(cfg, SANDBOX_PIVOT_ROOT) ? "/" SANDBOX_CHROOT_SUBDIR : cfg->empty_dir;
		if (empty_dir_fd >= 0 ? fchdir(empty_dir_fd) < 0 : chdir(dir) < 0)
			sandbox_fail("chdir(\"%s\")", dir);
		if (chroot(".") < 0)
			sandbox_fail("chroot(\"%s\")", dir);
		if (chdir("/") < 0)
			sandbox_fail("chdir(\"/\") in chroot");
		if (empty_dir_fd >= 0)
			close(empty_dir_fd);
	}

	/* 11. Capabilities: effective, permitted, inheritable, ambient and
	 * bounding all empty, securebits locked. Last privileged step. */
	if (on(cfg, SANDBOX_CAPS))
		sandbox_drop_capabilities();

	/* 12. Die with the supervisor. After every credential change, which
	 * clears the parent-death signal. getppid() is 0 in a new pid ns, so
	 * the check is the lifeline pipe: EOF/HUP means the supervisor is gone. */
	if (on(cfg, SANDBOX_PDEATHSIG)) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
			sandbox_fail("prctl(PR_SET_PDEATHSIG, SIGKILL)");
		if (lifeline_fd >= 0) {
			struct pollfd pfd = {.fd = lifeline_fd, .events = POLLIN};
			if (poll(&pfd, 1, 0) != 0)
				sandbox_fail_msg("the supervisor died before the VMM started");
		} else if (!on(cfg, SANDBOX_NAMESPACES) && getppid() == 1) {
			sandbox_fail_msg("the supervisor died before the VMM started");
		}
	}
	if (lifeline_fd >= 0)
		close(lifeline_fd);

	/* 13. Not dumpable: no core, no ptrace or /proc/PID access by the
	 * same uid. execve resets it, so sandbox_enter_vmm sets it again. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		sandbox_fail("prctl(PR_SET_DUMPABLE, 0)");

	/* 14. The VMM, from the fd opened while privileged; the SELinux domain
	 * transition happens here. */
	mark(cfg, SANDBOX_MARK_EXEC);
	fexecve(exec_fd, argv, on(cfg, SANDBOX_CLEAR_ENV) ? empty_env : environ);
	sandbox_fail("fexecve(fd %d, \"%s\")", exec_fd, argv[0] ? argv[0] : "");
}

unsigned sandbox_layers_unavailable(void)
{
	/* Without root: no uid switch (the user namespace stands in for it)
	 * and no cgroup (lockvm does not look for a delegated subtree). */
	return geteuid() == 0 ? 0 : SANDBOX_UID | SANDBOX_CGROUP;
}

static int sandbox_write_proc(pid_t pid, const char *file, const char *text)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%ld/%s", (long)pid, file);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = write_all(fd, text, strlen(text));
	int saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

/* Rootless: map the caller to root of the child's user ns. */
static int sandbox_write_id_maps(pid_t pid)
{
	char map[64];
	/* setgroups must be denied before an unprivileged gid_map write. */
	if (sandbox_write_proc(pid, "setgroups", "deny") < 0)
		return -1;
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)geteuid());
	if (sandbox_write_proc(pid, "uid_map", map) < 0)
		return -1;
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)getegid());
	return sandbox_write_proc(pid, "gid_map", map);
}

pid_t sandbox_spawn(const struct sandbox_config *cfg, int exec_fd, char *const argv[],
		    int *lifeline_fd)
{
	int lifeline[2];
	bool rootless = geteuid() != 0;
	if (pipe2(lifeline, O_CLOEXEC) < 0)
		return -1;
	/* clone() instead of fork(): CLONE_NEWPID takes effect for the new
	 * process itself, so the VMM is pid 1 of its own pid namespace (all it
	 * might fork dies with it) and stays the supervisor's direct child,
	 * which waitpid()s on it. A raw clone without a new stack behaves as
	 * fork; the supervisor is single-threaded, so no lock is held. */
	unsigned long flags = SIGCHLD;
	if (on(cfg, SANDBOX_NAMESPACES))
		flags |= CLONE_NEWPID;
	if (rootless)
		flags |= CLONE_NEWUSER; /* see the rootless note at the top */
	long pid = syscall(SYS_clone, flags, NULL, NULL, NULL, NULL);
	if (pid < 0) {
		int saved = errno;
		close(lifeline[0]);
		close(lifeline[1]);
		errno = saved;
		return -1;
	}
	if (pid == 0) {
		struct sandbox_config effective = *cfg;
		char go;
		close(lifeline[1]);
		/* Wait for the parent's go (after it wrote our id maps); EOF
		 * means it died or gave up. */
		if (read(lifeline[0], &go, 1) != 1)
			_exit(SANDBOX_EXIT);
		if (rootless)
			effective.layers &= ~sandbox_layers_unavailable();
		sandbox_enter_child(&effective, exec_fd, argv, lifeline[0]);
	}
	close(lifeline[0]);
	if ((rootless && sandbox_write_id_maps((pid_t)pid) < 0) ||
	    write(lifeline[1], "g", 1) != 1) {
		int saved = errno;
		kill((pid_t)pid, SIGKILL);
		waitpid((pid_t)pid, NULL, 0);
		close(lifeline[1]);
		errno = saved;
		return -1;
	}
	if (lifeline_fd != NULL)
		*lifeline_fd = lifeline[1];
	return (pid_t)pid;
}
