/* Host network devices for VM NICs (supervisor only): tap devices, Linux bridges by ioctl, Open vSwitch ports by ovs-vsctl. */
#include "tap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

/* net/if.h clashes with linux/if.h; this is all we need of it. */
extern unsigned int if_nametoindex(const char *ifname);

bool tap_exists(const char *name)
{
	return if_nametoindex(name) != 0;
}

static int ifreq_for(const char *name, struct ifreq *ifr)
{
	memset(ifr, 0, sizeof(*ifr));
	if (!netframe_ifname_valid(name, NULL)) {
		errno = EINVAL;
		return -1;
	}
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", name);
	return 0;
}

/* A socket for interface ioctls in our network namespace. */
static int ctl_socket(char *err, size_t errlen)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		snprintf(err, errlen, "socket(AF_INET): %s", strerror(errno));
	return s;
}

static int set_up(int s, const char *name, bool up, char *err, size_t errlen)
{
	struct ifreq ifr;
	if (ifreq_for(name, &ifr) < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
		snprintf(err, errlen, "%s: SIOCGIFFLAGS: %s", name, strerror(errno));
		return -1;
	}
	if (up)
		ifr.ifr_flags |= IFF_UP;
	else
		ifr.ifr_flags &= ~IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) {
		snprintf(err, errlen, "%s: SIOCSIFFLAGS %s: %s", name, up ? "up" : "down",
			 strerror(errno));
		return -1;
	}
	return 0;
}

int tap_create(const char *name, uid_t owner, gid_t group, char *err, size_t errlen)
{
	struct ifreq ifr;
	if (ifreq_for(name, &ifr) < 0) {
		snprintf(err, errlen, "tap name '%s' is not an interface name", name);
		return -1;
	}
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		snprintf(err, errlen, "open(/dev/net/tun): %s", strerror(errno));
		return -1;
	}
	/* IFF_TUN_EXCL: never attach to a device someone else made. */
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_TUN_EXCL;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		snprintf(err, errlen, "creating tap %s (TUNSETIFF): %s", name,
			 errno == EBUSY || errno == EEXIST ? "an interface of that name exists"
							   : strerror(errno));
		close(fd);
		return -1;
	}
	/* Owner and group: the VMM, running as them without CAP_NET_ADMIN,
	 * may attach (tun_not_capable); persistent: the device outlives this
	 * fd, whose queue goes away at the close below. */
	const char *step = NULL;
	if (ioctl(fd, TUNSETOWNER, (unsigned long)owner) < 0)
		step = "TUNSETOWNER";
	else if (ioctl(fd, TUNSETGROUP, (unsigned long)group) < 0)
		step = "TUNSETGROUP";
	else if (ioctl(fd, TUNSETPERSIST, 1UL) < 0)
		step = "TUNSETPERSIST";
	if (step) {
		snprintf(err, errlen, "tap %s: %s: %s", name, step, strerror(errno));
		close(fd); /* not persistent yet: the device goes with the fd */
		return -1;
	}
	close(fd);
	int s = ctl_socket(err, errlen);
	if (s < 0 || set_up(s, name, true, err, errlen) < 0) {
		char ignored[256];
		if (s >= 0)
			close(s);
		(void)tap_delete(name, owner, ignored, sizeof(ignored));
		return -1;
	}
	close(s);
	return 0;
}

int tap_open_unattached(char *err, size_t errlen)
{
	/* Opened here, in the host's network namespace: the tun socket of the
	 * fd belongs to it, so the VMM's TUNSETIFF finds the tap there. */
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		snprintf(err, errlen, "open(/dev/net/tun): %s", strerror(errno));
	return fd;
}

/* One netlink request to the kernel, its answer in reply. The answer's
 * length, or -1 with errno. */
static ssize_t rtnl_ask(const void *request, size_t len, void *reply, size_t size)
{
	int nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (nl < 0)
		return -1;
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	ssize_t n = sendto(nl, request, len, 0, (struct sockaddr *)&kernel, sizeof(kernel));
	if (n >= 0)
		n = recv(nl, reply, size, 0);
	int saved = errno;
	close(nl);
	errno = saved;
	return n;
}

/* The netlink error of an NLMSG_ERROR answer (0: an ack), or 1 when the
 * answer is another message. */
static int rtnl_error(const struct nlmsghdr *h, ssize_t n)
{
	if (n < (ssize_t)sizeof(*h) || !NLMSG_OK(h, (unsigned)n))
		return -EPROTO;
	if (h->nlmsg_type != NLMSG_ERROR)
		return 1;
	const struct nlmsgerr *e = NLMSG_DATA(h);
	return h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)) ? -EPROTO : e->error;
}

/* What RTM_GETLINK says of interface `name`: its index, whether it is a
 * tap (link kind "tun", IFLA_TUN_TYPE IFF_TAP) and its owner (-1: none).
 * 0, -ENODEV when there is no such interface, or another -errno. */
static int tap_query(const char *name, int *index, bool *tap, long long *owner)
{
	struct {
		struct nlmsghdr h;
		struct ifinfomsg i;
		struct rtattr name_attr;
		char name[IFNAMSIZ];
	} req = {.h = {.nlmsg_len = sizeof(req),
		       .nlmsg_type = RTM_GETLINK,
		       .nlmsg_flags = NLM_F_REQUEST,
		       .nlmsg_seq = 1},
		 .i = {.ifi_family = AF_UNSPEC},
		 .name_attr = {.rta_len = RTA_LENGTH(IFNAMSIZ), .rta_type = IFLA_IFNAME}};
	snprintf(req.name, sizeof(req.name), "%s", name);
	static char reply[16384];
	ssize_t n = rtnl_ask(&req, sizeof(req), reply, sizeof(reply));
	if (n < 0)
		return -errno;
	const struct nlmsghdr *h = (const struct nlmsghdr *)reply;
	int rc = rtnl_error(h, n);
	if (rc <= 0)
		return rc == 0 ? -EPROTO : rc;
	if (h->nlmsg_type != RTM_NEWLINK || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)))
		return -EPROTO;
	const struct ifinfomsg *info = NLMSG_DATA(h);
	*index = info->ifi_index;
	*tap = false;
	*owner = -1;
	bool tun_kind = false;
	int tun_type = 0;
	int left = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*info)));
	for (const struct rtattr *a = IFLA_RTA(info); RTA_OK(a, left); a = RTA_NEXT(a, left)) {
		if (a->rta_type != IFLA_LINKINFO)
			continue;
		int left2 = (int)RTA_PAYLOAD(a);
		for (const struct rtattr *b = RTA_DATA(a); RTA_OK(b, left2);
		     b = RTA_NEXT(b, left2)) {
			if (b->rta_type == IFLA_INFO_KIND)
				tun_kind =
				    RTA_PAYLOAD(b) >= 4 && memcmp(RTA_DATA(b), "tun", 4) == 0;
			if (b->rta_type != IFLA_INFO_DATA)
				continue;
			int left3 = (int)RTA_PAYLOAD(b);
			for (const struct rtattr *c = RTA_DATA(b); RTA_OK(c, left3);
			     c = RTA_NEXT(c, left3)) {
				if (c->rta_type == IFLA_TUN_TYPE && RTA_PAYLOAD(c) >= 1)
					tun_type = *(const uint8_t *)RTA_DATA(c);
				if (c->rta_type == IFLA_TUN_OWNER && RTA_PAYLOAD(c) >= 4)
					*owner = *(const uint32_t *)RTA_DATA(c);
			}
		}
	}
	*tap = tun_kind && tun_type == IFF_TAP;
	return 0;
}

int tap_delete(const char *name, uid_t owner, char *err, size_t errlen)
{
	int index = 0;
	bool tap = false;
	long long tap_owner = -1;
	if (!netframe_ifname_valid(name, NULL)) {
		snprintf(err, errlen, "tap name '%s' is not an interface name", name);
		return -1;
	}
	int rc = tap_query(name, &index, &tap, &tap_owner);
	if (rc == -ENODEV)
		return 0; /* gone already (its last queue closed, not persistent) */
	if (rc < 0) {
		snprintf(err, errlen, "looking up %s (RTM_GETLINK): %s", name, strerror(-rc));
		return -1;
	}
	if (!tap) {
		snprintf(err, errlen, "%s is not a tap device; left alone", name);
		return -1;
	}
	if (tap_owner != (long long)owner) {
		snprintf(err, errlen, "tap %s belongs to uid %lld, not %u; left alone", name,
			 tap_owner, (unsigned)owner);
		return -1;
	}
	/* RTM_DELLINK by index: works whoever holds a queue, and needs no
	 * attach (an attach would have to relabel the VM's tun socket). */
	struct {
		struct nlmsghdr h;
		struct ifinfomsg i;
	} req = {.h = {.nlmsg_len = sizeof(req),
		       .nlmsg_type = RTM_DELLINK,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK,
		       .nlmsg_seq = 2},
		 .i = {.ifi_family = AF_UNSPEC, .ifi_index = index}};
	char reply[1024];
	ssize_t n = rtnl_ask(&req, sizeof(req), reply, sizeof(reply));
	rc = n < 0 ? -errno : rtnl_error((const struct nlmsghdr *)reply, n);
	if (rc != 0 && rc != -ENODEV) {
		snprintf(err, errlen, "deleting tap %s (RTM_DELLINK): %s", name,
			 rc > 0 ? "no answer" : strerror(-rc));
		return -1;
	}
	return 0;
}

int bridge_add_port(const char *bridge, const char *port, char *err, size_t errlen)
{
	struct ifreq ifr;
	unsigned index = if_nametoindex(port);
	if (ifreq_for(bridge, &ifr) < 0 || index == 0) {
		snprintf(err, errlen, "bridge %s, port %s: bad interface name", bridge, port);
		return -1;
	}
	if (!tap_exists(bridge)) {
		snprintf(err, errlen, "bridge %s does not exist (create it, or 'lockvm net start')",
			 bridge);
		return -1;
	}
	int s = ctl_socket(err, errlen);
	if (s < 0)
		return -1;
	ifr.ifr_ifindex = (int)index;
	int rc = ioctl(s, SIOCBRADDIF, &ifr);
	int saved = errno;
	close(s);
	if (rc < 0) {
		snprintf(err, errlen, "adding %s to bridge %s (SIOCBRADDIF): %s", port, bridge,
			 saved == EOPNOTSUPP || saved == EINVAL ? "not a Linux bridge"
								: strerror(saved));
		return -1;
	}
	return 0;
}

int netdev_set_ipv4(const char *name, uint32_t addr, unsigned prefix, char *err, size_t errlen)
{
	struct ifreq ifr;
	int s = ctl_socket(err, errlen);
	if (s < 0)
		return -1;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	uint32_t mask = prefix ? ~0U << (32 - prefix) : 0;
	int rc = -1;
	if (ifreq_for(name, &ifr) < 0)
		goto out;
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(addr);
	if (ioctl(s, SIOCSIFADDR, &ifr) < 0) {
		snprintf(err, errlen, "%s: SIOCSIFADDR: %s", name, strerror(errno));
		goto out;
	}
	sin = (struct sockaddr_in *)&ifr.ifr_netmask;
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(mask);
	if (ioctl(s, SIOCSIFNETMASK, &ifr) < 0) {
		snprintf(err, errlen, "%s: SIOCSIFNETMASK: %s", name, strerror(errno));
		goto out;
	}
	rc = set_up(s, name, true, err, errlen);
out:
	close(s);
	return rc;
}

/* The bridge's name checked and copied for the SIOCBR* ioctls. */
static int bridge_ifname(const char *name, char ifname[IFNAMSIZ], char *err, size_t errlen)
{
	if (!netframe_ifname_valid(name, NULL)) {
		snprintf(err, errlen, "bridge name '%s' is not an interface name", name);
		return -1;
	}
	snprintf(ifname, IFNAMSIZ, "%s", name);
	return 0;
}

int bridge_create(const char *name, uint32_t addr, unsigned prefix, char *err, size_t errlen)
{
	char ifname[IFNAMSIZ];
	if (bridge_ifname(name, ifname, err, errlen) < 0)
		return -1;
	int s = ctl_socket(err, errlen);
	if (s < 0)
		return -1;
	if (ioctl(s, SIOCBRADDBR, ifname) < 0) {
		snprintf(err, errlen, "creating bridge %s (SIOCBRADDBR): %s", name,
			 errno == EEXIST ? "an interface of that name exists" : strerror(errno));
		close(s);
		return -1;
	}
	close(s);
	if (prefix)
		return netdev_set_ipv4(name, addr, prefix, err, errlen);
	s = ctl_socket(err, errlen);
	int rc = s < 0 ? -1 : set_up(s, name, true, err, errlen);
	if (s >= 0)
		close(s);
	return rc;
}

int bridge_delete(const char *name, char *err, size_t errlen)
{
	char ifname[IFNAMSIZ];
	if (bridge_ifname(name, ifname, err, errlen) < 0)
		return -1;
	int s = ctl_socket(err, errlen);
	if (s < 0)
		return -1;
	(void)set_up(s, name, false, err, errlen); /* SIOCBRDELBR wants it down */
	int rc = ioctl(s, SIOCBRDELBR, ifname);
	if (rc < 0)
		snprintf(err, errlen, "deleting bridge %s (SIOCBRDELBR): %s", name,
			 errno == ENXIO ? "no such bridge" : strerror(errno));
	close(s);
	return rc;
}

/* Where Debian's openvswitch-common installs it; never looked up in PATH. */
static const char *const ovs_vsctl_paths[] = {"/usr/bin/ovs-vsctl", "/usr/local/bin/ovs-vsctl"};

/* Reads what fd has until EOF or the deadline, into out (NUL-terminated). */
static void read_all(int fd, char *out, size_t size, uint64_t deadline)
{
	size_t used = 0;
	out[0] = '\0';
	for (;;) {
		uint64_t now = now_ns();
		if (now >= deadline)
			return;
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, (int)((deadline - now) / 1000000 + 1)) <= 0)
			return;
		char buf[512];
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		size_t take = (size_t)n < size - 1 - used ? (size_t)n : size - 1 - used;
		memcpy(out + used, buf, take);
		used += take;
		out[used] = '\0';
	}
}

int ovs_vsctl(const char *db, const char *const *args, char *out, size_t outlen, char *err,
	      size_t errlen)
{
	const char *path = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(ovs_vsctl_paths) && !path; i++)
		if (access(ovs_vsctl_paths[i], X_OK) == 0)
			path = ovs_vsctl_paths[i];
	if (!path) {
		snprintf(err, errlen, "ovs-vsctl not found (install Debian's openvswitch-switch)");
		return -1;
	}
	char dbarg[320];
	if (snprintf(dbarg, sizeof(dbarg), "--db=%s", db) >= (int)sizeof(dbarg)) {
		snprintf(err, errlen, "OVS database address too long");
		return -1;
	}
	const char *argv[32] = {"ovs-vsctl", dbarg, "--timeout=10"};
	size_t n = 3;
	for (; *args && n < ARRAY_SIZE(argv) - 1; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	int outp[2], errp[2];
	if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe2: %s", strerror(errno));
		return -1;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		static char *const empty_env[] = {NULL};
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		int null = open("/dev/null", O_RDONLY);
		if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(outp[1], STDOUT_FILENO) < 0 ||
		    dup2(errp[1], STDERR_FILENO) < 0)
			_exit(127);
		execve(path, (char *const *)argv, empty_env);
		_exit(127);
	}
	close(outp[1]);
	close(errp[1]);
	char outbuf[4096], errbuf[1024];
	uint64_t deadline = now_ns() + 15ULL * 1000000000ULL;
	read_all(outp[0], outbuf, sizeof(outbuf), deadline);
	read_all(errp[0], errbuf, sizeof(errbuf), deadline);
	close(outp[0]);
	close(errp[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (out)
		snprintf(out, outlen, "%s", outbuf);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		errbuf[strcspn(errbuf, "\n")] = '\0';
		snprintf(err, errlen, "ovs-vsctl %s: %s", n > 3 ? argv[3] : "",
			 errbuf[0] ? errbuf : "failed");
		return -1;
	}
	return 0;
}
