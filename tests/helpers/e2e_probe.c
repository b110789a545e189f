/* make e2e helper: loads an SELinux policy, reads file labels, and tries accesses from a chosen MAC label. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <grp.h>
#include <sys/xattr.h>
#include <unistd.h>

/*
 * Built static (mk/e2e.mk) with libc only, so it runs under a per-VM
 * AppArmor profile that grants no library, and needs no libselinux in the
 * e2e initramfs: the kernel interfaces are written directly.
 *
 *   e2e_probe load FILE DEST          FILE in ONE write to DEST: a binary
 *                                     policy to /sys/fs/selinux/load, a
 *                                     compiled profile to apparmorfs .replace
 *   e2e_probe filecon PATH            prints the file's security.selinux
 *   e2e_probe setfilecon PATH CONTEXT sets it (as chcon, which the e2e
 *                                     initramfs lacks: an engine labelling
 *                                     a container's volume)
 *   e2e_probe as selinux|apparmor LABEL [--uid UID:GID] EXE [ARGS...]
 *                                     exec EXE with the SELinux context or
 *                                     AppArmor profile LABEL (the same
 *                                     /proc/self/attr/exec lockvm uses),
 *                                     as UID:GID when given (the owner of
 *                                     the target, so that DAC would allow
 *                                     the access and MAC alone decides)
 *   e2e_probe with memfd|socket CONTEXT N EXE [ARGS...]
 *                                     exec EXE holding, as fd N, an object
 *                                     labelled CONTEXT: a memfd (its first
 *                                     line "memfd of CONTEXT", relabelled
 *                                     with security.selinux) or one end of
 *                                     a unix stream socketpair created in
 *                                     CONTEXT (/proc/self/attr/sockcreate,
 *                                     as lockvm's mac_vmm_socketpair does),
 *                                     its peer as fd N+1; so that a probe
 *                                     exec'd through "as" meets an object
 *                                     of another VM's category pair that no
 *                                     type rule, path or DAC check keeps
 *                                     from it
 *   e2e_probe try ACTION ARGS... [--expect TEXT]
 *                                     one access, one line on stdout
 *                                     ("allowed ..." or "denied: ERRNO")
 *                                     and the same as exit status, since an
 *                                     MCS-constrained probe may not write to
 *                                     a pipe of its caller: 0 allowed (and
 *                                     the first line read is TEXT), 1
 *                                     denied (EACCES, EPERM), 3 allowed but
 *                                     other data than TEXT, 4 another error
 * ACTION: read PATH | write PATH | read-fd N | write-fd N | signal PID SIG
 *         | ptrace PID | tun-attach N IFNAME (TUNSETIFF of tap IFNAME on
 *         the /dev/net/tun fd N, as a VMM attaches to its tap)
 *         | sock-write N (one byte sent on the socket fd N)
 *         | pause (a target for signal and ptrace probes: makes itself
 *         dumpable, so that no capability check comes before the LSM's,
 *         and waits for a signal; exit 0 on SIGTERM)
 * An inherited fd the new context may not use is replaced by the kernel at
 * exec with SELinux's null file (flush_unauthorized_files): the fd actions
 * report that as denied (exit 1); the AVC names the object.
 * Exit 5: the probe could not be set up (bad label, exec failed).
 */

static int usage(void)
{
	fprintf(stderr,
		"usage: e2e_probe load FILE DEST | filecon PATH | setfilecon PATH CONTEXT | "
		"as selinux|apparmor "
		"LABEL EXE [ARGS...] | with memfd|socket CONTEXT N EXE [ARGS...] | "
		"try ACTION ARGS...\n");
	return 2;
}

static int load_file(const char *path, const char *dest)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "e2e_probe: open(%s): %s\n", path, strerror(errno));
		return 1;
	}
	char *buf = malloc((size_t)st.st_size);
	size_t got = 0;
	while (buf && got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (!buf || got != (size_t)st.st_size) {
		fprintf(stderr, "e2e_probe: reading %s failed\n", path);
		return 1;
	}
	/* selinuxfs and apparmorfs take a policy only as one write. */
	int load = open(dest, O_WRONLY | O_CLOEXEC);
	if (load < 0) {
		fprintf(stderr, "e2e_probe: open(%s): %s\n", dest, strerror(errno));
		return 1;
	}
	ssize_t n = write(load, buf, got);
	if (n != (ssize_t)got) {
		fprintf(stderr, "e2e_probe: write(%s, %zu bytes) = %zd: %s\n", dest, got, n,
			strerror(errno));
		return 1;
	}
	close(load);
	free(buf);
	printf("%s loaded into %s (%zu bytes)\n", path, dest, got);
	return 0;
}

static int filecon(const char *path)
{
	char con[512];
	ssize_t n = lgetxattr(path, "security.selinux", con, sizeof(con) - 1);
	if (n < 0) {
		fprintf(stderr, "e2e_probe: lgetxattr(%s, security.selinux): %s\n", path,
			strerror(errno));
		return 1;
	}
	con[n] = '\0';
	printf("%s\n", con);
	return 0;
}

static int setfilecon(const char *path, const char *context)
{
	if (lsetxattr(path, "security.selinux", context, strlen(context) + 1, 0) < 0) {
		fprintf(stderr, "e2e_probe: lsetxattr(%s, security.selinux, %s): %s\n", path,
			context, strerror(errno));
		return 1;
	}
	return 0;
}

static int exec_as(const char *lsm, const char *label, char **argv)
{
	char text[600];
	if (argv[0] && strcmp(argv[0], "--uid") == 0 && argv[1]) {
		unsigned uid, gid;
		if (sscanf(argv[1], "%u:%u", &uid, &gid) != 2)
			return usage();
		if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 ||
		    setresuid(uid, uid, uid) < 0) {
			fprintf(stderr, "e2e_probe: becoming %u:%u: %s\n", uid, gid,
				strerror(errno));
			return 5;
		}
		argv += 2;
	}
	if (!argv[0])
		return usage();
	const char *attr = "/proc/self/attr/exec";
	if (strcmp(lsm, "selinux") == 0) {
		snprintf(text, sizeof(text), "%s", label);
	} else if (strcmp(lsm, "apparmor") == 0) {
		/* AppArmor's own attr directory where the kernel has it (5.8+). */
		if (access("/proc/self/attr/apparmor/exec", W_OK) == 0)
			attr = "/proc/self/attr/apparmor/exec";
		snprintf(text, sizeof(text), "exec %s", label);
	} else {
		return usage();
	}
	int fd = open(attr, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		fprintf(stderr, "e2e_probe: writing '%s' to %s: %s\n", text, attr, strerror(errno));
		return 5;
	}
	close(fd);
	execv(argv[0], argv);
	fprintf(stderr, "e2e_probe: execv(%s) as %s: %s\n", argv[0], label, strerror(errno));
	return 5;
}

static void self_context(char *out, size_t len)
{
	snprintf(out, len, "?");
	int fd = open("/proc/self/attr/current", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, out, len - 1);
	close(fd);
	if (n < 0)
		n = 0;
	out[n] = '\0';
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\0'))
		out[--n] = '\0';
}

/* exec_with: see the usage comment above. */
static int exec_with(const char *kind, const char *context, const char *fd_text, char **argv)
{
	int fd = atoi(fd_text), pair[2];
	if (fd < 3 || !argv[0])
		return usage();
	if (strcmp(kind, "memfd") == 0) {
		char marker[600];
		int memfd = memfd_create("e2e-probe", 0);
		snprintf(marker, sizeof(marker), "memfd of %s\n", context);
		if (memfd < 0 || write(memfd, marker, strlen(marker)) != (ssize_t)strlen(marker)) {
			fprintf(stderr, "e2e_probe: memfd_create/write: %s\n", strerror(errno));
			return 5;
		}
		if (fsetxattr(memfd, "security.selinux", context, strlen(context), 0) < 0) {
			fprintf(stderr, "e2e_probe: fsetxattr(memfd, security.selinux, %s): %s\n",
				context, strerror(errno));
			return 5;
		}
		pair[0] = memfd;
		pair[1] = -1;
	} else if (strcmp(kind, "socket") == 0) {
		int attr = open("/proc/self/attr/sockcreate", O_WRONLY | O_CLOEXEC);
		if (attr < 0 || write(attr, context, strlen(context)) != (ssize_t)strlen(context)) {
			fprintf(stderr,
				"e2e_probe: writing '%s' to /proc/self/attr/sockcreate: %s\n",
				context, strerror(errno));
			return 5;
		}
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) < 0) {
			fprintf(stderr, "e2e_probe: socketpair(AF_UNIX, SOCK_STREAM) in %s: %s\n",
				context, strerror(errno));
			return 5;
		}
		/* The exec below resets sockcreate for the next program. */
		close(attr);
	} else {
		return usage();
	}
	/* The peer stays open beside it, so that a send has a reader. */
	if (dup2(pair[0], fd) < 0 || (pair[1] >= 0 && dup2(pair[1], fd + 1) < 0)) {
		fprintf(stderr, "e2e_probe: dup2 to %d: %s\n", fd, strerror(errno));
		return 5;
	}
	execv(argv[0], argv);
	fprintf(stderr, "e2e_probe: execv(%s): %s\n", argv[0], strerror(errno));
	return 5;
}

static const char *expect; /* --expect TEXT, or NULL */

static int report(const char *ctx, const char *what, int ok, int err, const char *data)
{
	if (ok) {
		printf("[%s] %s: allowed%s%s\n", ctx, what, data ? " " : "", data ? data : "");
		return expect && (!data || strcmp(data, expect) != 0) ? 3 : 0;
	}
	printf("[%s] %s: denied: %s\n", ctx, what, strerrorname_np(err));
	return err == EACCES || err == EPERM ? 1 : 4;
}

/* Reads the first line of an fd for the report (the test images start
 * with a marker line naming their VM). */
static int read_marker(int fd, char *out, size_t len)
{
	ssize_t n = pread(fd, out, len - 1, 0);
	if (n < 0)
		return -1;
	out[n] = '\0';
	char *nl = strchr(out, '\n');
	if (nl)
		*nl = '\0';
	if (n == 0)
		snprintf(out, len, "(empty: not the image)");
	return 0;
}

/* Whether inherited fd N was swapped at exec for SELinux's null file (a
 * character device; the images, memfds and sockets handed over are not). */
static bool fd_swapped(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 && S_ISCHR(st.st_mode);
}

static int report_swapped(const char *ctx, const char *what)
{
	printf("[%s] %s: denied: the kernel replaced the fd with its null file at exec\n", ctx,
	       what);
	return 1;
}

static void on_sigterm(int sig)
{
	(void)sig;
	_exit(0);
}

static int try_action(int argc, char **argv)
{
	char ctx[512], what[600], data[128];
	self_context(ctx, sizeof(ctx));
	if (argc >= 2 && strcmp(argv[argc - 2], "--expect") == 0) {
		expect = argv[argc - 1];
		argc -= 2;
	}
	if (argc == 1 && strcmp(argv[0], "pause") == 0) {
		/* After exec with new credentials the kernel may have made this
		 * process non-dumpable; ptrace would then need CAP_SYS_PTRACE
		 * before SELinux is asked. */
		prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
		signal(SIGTERM, on_sigterm);
		for (;;)
			pause();
	}
	if (argc < 2)
		return usage();
	const char *action = argv[0], *arg = argv[1];
	snprintf(what, sizeof(what), "%s %s", action, arg);
	if (strcmp(action, "read") == 0 || strcmp(action, "write") == 0) {
		int fd = open(arg, (action[0] == 'r' ? O_RDONLY : O_WRONLY) | O_CLOEXEC);
		if (fd < 0)
			return report(ctx, what, 0, errno, NULL);
		if (action[0] == 'r' && read_marker(fd, data, sizeof(data)) < 0)
			return report(ctx, what, 0, errno, NULL);
		close(fd);
		return report(ctx, what, 1, 0, action[0] == 'r' ? data : NULL);
	}
	if (strcmp(action, "read-fd") == 0) {
		if (fd_swapped(atoi(arg)))
			return report_swapped(ctx, what);
		if (read_marker(atoi(arg), data, sizeof(data)) < 0)
			return report(ctx, what, 0, errno, NULL);
		return report(ctx, what, 1, 0, data);
	}
	if (strcmp(action, "write-fd") == 0) {
		/* Rewrites the marker line in place with what is already there. */
		int fd = atoi(arg);
		if (fd_swapped(fd))
			return report_swapped(ctx, what);
		ssize_t n = pread(fd, data, sizeof(data), 0);
		if (n <= 0)
			return report(ctx, what, 0, n < 0 ? errno : EBADF, NULL);
		if (pwrite(fd, data, (size_t)n, 0) != n)
			return report(ctx, what, 0, errno, NULL);
		return report(ctx, what, 1, 0, NULL);
	}
	if (strcmp(action, "sock-write") == 0) {
		int fd = atoi(arg);
		struct stat st;
		if (fd_swapped(fd))
			return report_swapped(ctx, what);
		if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode))
			return report(ctx, what, 0, ENOTSOCK, NULL);
		if (send(fd, "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT) != 1)
			return report(ctx, what, 0, errno, NULL);
		return report(ctx, what, 1, 0, NULL);
	}
	if (strcmp(action, "signal") == 0 && argc >= 3) {
		snprintf(what, sizeof(what), "signal %s %s", arg, argv[2]);
		if (kill(atoi(arg), atoi(argv[2])) < 0)
			return report(ctx, what, 0, errno, NULL);
		return report(ctx, what, 1, 0, NULL);
	}
	if (strcmp(action, "tun-attach") == 0 && argc >= 3) {
		struct ifreq ifr;
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", argv[2]);
		ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
		snprintf(what, sizeof(what), "tun-attach %s %s", arg, argv[2]);
		if (ioctl(atoi(arg), TUNSETIFF, &ifr) < 0)
			return report(ctx, what, 0, errno, NULL);
		return report(ctx, what, 1, 0, NULL);
	}
	if (strcmp(action, "ptrace") == 0) {
		pid_t pid = atoi(arg);
		if (ptrace(PTRACE_ATTACH, pid, NULL, NULL) < 0)
			return report(ctx, what, 0, errno, NULL);
		waitpid(pid, NULL, __WALL);
		ptrace(PTRACE_DETACH, pid, NULL, NULL);
		return report(ctx, what, 1, 0, NULL);
	}
	return usage();
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	if (strcmp(argv[1], "load") == 0 && argc == 4)
		return load_file(argv[2], argv[3]);
	if (strcmp(argv[1], "filecon") == 0 && argc == 3)
		return filecon(argv[2]);
	if (strcmp(argv[1], "setfilecon") == 0 && argc == 4)
		return setfilecon(argv[2], argv[3]);
	if (strcmp(argv[1], "as") == 0 && argc >= 5)
		return exec_as(argv[2], argv[3], argv + 4);
	if (strcmp(argv[1], "with") == 0 && argc >= 6)
		return exec_with(argv[2], argv[3], argv[4], argv + 5);
	if (strcmp(argv[1], "try") == 0)
		return try_action(argc - 2, argv + 2);
	return usage();
}
