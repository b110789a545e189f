/* Taps inside another network namespace: a forked child enters it (setns), does the work with tap.c's calls and hands back an fd or an error line over a socketpair. */
#include "netns.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/nsfs.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netns_adopt.h"
#include "tap.h"
#include "util.h"

/* The namespace's fd (O_RDONLY: setns needs no more), checked to be a
 * network namespace. */
static int netns_open(const char *path, char *err, size_t errlen)
{
	if (path[0] != '/')
		return err_fmt(err, errlen, "netns=%s: want an absolute path", path);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_fmt(err, errlen, "netns=%s: %s", path, strerror(errno));
	int type = ioctl(fd, NS_GET_NSTYPE);
	if (type != CLONE_NEWNET) {
		close(fd);
		return err_fmt(err, errlen, "netns=%s: not a network namespace", path);
	}
	/* Our own is the host's: a VM there wants --net bridge=, never this. */
	struct stat theirs, ours;
	if (fstat(fd, &theirs) < 0 || stat("/proc/self/ns/net", &ours) < 0 ||
	    (theirs.st_dev == ours.st_dev && theirs.st_ino == ours.st_ino)) {
		close(fd);
		return err_fmt(err, errlen, "netns=%s: the host's own network namespace", path);
	}
	return fd;
}

int netns_check(const char *path, char *err, size_t errlen)
{
	int fd = netns_open(path, err, errlen);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/* Sends fd (or none, -1) and a line: the child's answer. */
static void answer(int sock, int fd, const char *line)
{
	char control[CMSG_SPACE(sizeof(int))] = {0};
	struct iovec iov = {.iov_base = (void *)line, .iov_len = strlen(line) + 1};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	if (fd >= 0) {
		msg.msg_control = control;
		msg.msg_controllen = sizeof(control);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	(void)sendmsg(sock, &msg, MSG_NOSIGNAL);
}

/* The child's line and fd (-1: none). */
static int receive(int sock, int *fd, char *line, size_t size)
{
	char control[CMSG_SPACE(sizeof(int))] = {0};
	struct iovec iov = {.iov_base = line, .iov_len = size - 1};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = control,
			     .msg_controllen = sizeof(control)};
	*fd = -1;
	ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	if (n <= 0)
		return -1;
	line[n] = '\0';
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
		memcpy(fd, CMSG_DATA(cm), sizeof(int));
	return 0;
}

/* Sets the tap's link address to mac, in the namespace the caller is in. */
static int set_mac(const char *name, const uint8_t *mac, char *err, size_t errlen)
{
	struct ifreq ifr = {0};
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	memcpy(ifr.ifr_hwaddr.sa_data, mac, NETFRAME_MAC_LEN);
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0 || ioctl(s, SIOCSIFHWADDR, &ifr) < 0) {
		err_fmt(err, errlen, "tap %s: SIOCSIFHWADDR: %s", name, strerror(errno));
		if (s >= 0)
			close(s);
		return -1;
	}
	close(s);
	return 0;
}

struct netns_job {
	const char *name;
	uid_t owner;
	gid_t group;
	const uint8_t *mac; /* NULL: delete the tap */
	bool adopt;	    /* the VM takes over the default route's interface */
};

/* In the child, inside the namespace: the job, then its answer ("ok", or
 * for an adopting create "adopt " and what was adopted). */
static void child_work(int sock, const struct netns_job *job)
{
	char err[512] = "", line[256] = "ok";
	struct netns_adopted adopted;
	int fd = -1;
	if (!job->mac) {
		/* the filters first: the one on the tap goes with the tap anyway */
		if ((!job->adopt || netns_adopt_undo(err, sizeof(err)) == 0) &&
		    tap_delete(job->name, job->owner, err, sizeof(err)) == 0)
			err[0] = '\0';
	} else if ((!job->adopt || netns_adopt_read(&adopted, err, sizeof(err)) == 0) &&
		   tap_create(job->name, job->owner, job->group, err, sizeof(err)) == 0) {
		if (set_mac(job->name, job->mac, err, sizeof(err)) < 0 ||
		    (fd = tap_open_unattached(err, sizeof(err))) < 0 ||
		    (job->adopt &&
		     netns_adopt_join(adopted.ifname, job->name, err, sizeof(err)) < 0)) {
			/* a failed join removed what it added (another VM's
			 * filters stay): only the tap is left to undo */
			char ignored[512];
			if (fd >= 0)
				close(fd);
			fd = -1;
			(void)tap_delete(job->name, job->owner, ignored, sizeof(ignored));
		} else if (job->adopt) {
			char what[160];
			netns_adopted_format(&adopted, what, sizeof(what));
			snprintf(line, sizeof(line), "adopt %s", what);
		}
	}
	answer(sock, fd, err[0] ? err : line);
}

/* Runs job in a child that entered the namespace at path. Returns the
 * fd it sent (or 0 when it sent none and succeeded), or -1 with err; an
 * adopting create's answer fills out. */
static int in_netns(const char *path, const struct netns_job *job, struct netns_adopted *out,
		    char *err, size_t errlen)
{
	int sv[2], nsfd = netns_open(path, err, errlen);
	if (nsfd < 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		close(nsfd);
		return err_fmt(err, errlen, "socketpair: %s", strerror(errno));
	}
	pid_t pid = fork();
	if (pid < 0) {
		close(nsfd);
		close(sv[0]);
		close(sv[1]);
		return err_fmt(err, errlen, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		close(sv[0]);
		if (setns(nsfd, CLONE_NEWNET) < 0) {
			char line[PATH_MAX + 64];
			snprintf(line, sizeof(line), "netns=%s: setns: %s", path, strerror(errno));
			answer(sv[1], -1, line);
		} else {
			child_work(sv[1], job);
		}
		_exit(0);
	}
	close(nsfd);
	close(sv[1]);
	char line[1024];
	int fd = -1, rc = receive(sv[0], &fd, line, sizeof(line));
	close(sv[0]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (rc < 0)
		return err_fmt(err, errlen, "netns=%s: the helper gave no answer", path);
	bool adopted = strncmp(line, "adopt ", 6) == 0;
	if (strcmp(line, "ok") != 0 &&
	    (!adopted || !out || netns_adopted_parse(line + 6, out) < 0)) {
		if (fd >= 0)
			close(fd);
		return err_fmt(err, errlen, "%s", line);
	}
	return fd >= 0 ? fd : 0;
}

int netns_tap_create(const char *path, const char *name, uid_t owner, gid_t group,
		     const uint8_t mac[NETFRAME_MAC_LEN], struct netns_adopted *adopt, char *err,
		     size_t errlen)
{
	const struct netns_job job = {
	    .name = name, .owner = owner, .group = group, .mac = mac, .adopt = adopt != NULL};
	int fd = in_netns(path, &job, adopt, err, errlen);
	if (fd == 0) /* "ok" without an fd cannot happen for a create */
		return err_fmt(err, errlen, "netns=%s: no tun fd came back", path);
	return fd;
}

int netns_tap_delete(const char *path, const char *name, uid_t owner, bool adopt, char *err,
		     size_t errlen)
{
	const struct netns_job job = {.name = name, .owner = owner, .adopt = adopt};
	return in_netns(path, &job, NULL, err, errlen) < 0 ? -1 : 0;
}
