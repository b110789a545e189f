/* AF_NETLINK/NETLINK_ROUTE inside a --linux VM, read-only (linux_netlink*.c): the view of the VM's interfaces the answers come from, and the request parser. */
#ifndef LOCKVM_LINUX_NETLINK_H
#define LOCKVM_LINUX_NETLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define L_AF_NETLINK	  16
#define L_NETLINK_ROUTE	  0
#define L_SOL_NETLINK	  270
#define L_SNL_LEN	  12U	/* sizeof(struct sockaddr_nl) */
#define NETLINK_REPLY_MAX 8192U /* bytes of one answer: lo and eth0 fit many times */
#define NETLINK_IP6_MAX	  3 /* IPv6 addresses of one interface (lwIP's LWIP_IPV6_NUM_ADDRESSES) */

/* One interface as rtnetlink shows it; addresses in network byte order. */
struct netlink_iface {
	int index;
	const char *name;
	bool loopback;
	uint8_t mac[6];
	uint32_t mtu;
	uint32_t ip4; /* 0: none */
	unsigned prefix;
	uint32_t gw4; /* 0: no default route */
	/* IPv6: ::1 on lo; on eth0 its link-local fe80:: and what SLAAC gave. */
	unsigned ip6_count;
	uint8_t ip6[NETLINK_IP6_MAX][16];
	uint8_t ip6_prefix[NETLINK_IP6_MAX];
	bool gw6_set; /* a router's advertisement gave a default route, via gw6 */
	uint8_t gw6[16];
};

/* lo, then eth0 when the VM has one. */
struct netlink_view {
	unsigned count;
	struct netlink_iface ifs[2];
	bool dhcp; /* eth0's default route came from DHCP (its protocol) */
};

/*
 * Answers every request in req[0, len) (a datagram the program sent) from
 * the view, into out (cap bytes) as one datagram of replies addressed to
 * portid: dumps of links, addresses and routes, a single link, NLMSG_ERROR
 * EPERM for anything that would change state, EOPNOTSUPP for other single
 * GETs, an empty dump for other families. Returns the reply's length (0:
 * nothing to answer) or -ENOBUFS when it does not fit.
 */
long linux_netlink_answer(const struct netlink_view *v, const uint8_t *req, size_t len,
			  uint32_t portid, uint8_t *out, size_t cap);

#endif
