/* The engine's interface handed to a VM: libnl-route-3 reads the default route's interface and adds the tc ingress u32 + mirred redirects that join it to the VM's tap. Runs in netns.c's helper child, inside the engine's namespace. */
#include "netns_adopt.h"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/rtnetlink.h>
#include <net/if_arp.h>
#include <netlink/netlink.h>
#include <netlink/route/act/mirred.h>
#include <netlink/route/addr.h>
#include <netlink/route/classifier.h>
#include <netlink/route/cls/u32.h>
#include <netlink/route/link.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/route.h>
#include <netlink/route/tc.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

/* The ingress qdisc's handle (tc's "ffff:"), which filters hang off. */
#define INGRESS_HANDLE TC_HANDLE(0xffffU, 0)

static struct nl_sock *route_socket(char *err, size_t errlen)
{
	struct nl_sock *sk = nl_socket_alloc();
	if (!sk) {
		err_fmt(err, errlen, "adopt: nl_socket_alloc: out of memory");
		return NULL;
	}
	int rc = nl_connect(sk, NETLINK_ROUTE);
	if (rc < 0) {
		err_fmt(err, errlen, "adopt: nl_connect(NETLINK_ROUTE): %s", nl_geterror(rc));
		nl_socket_free(sk);
		return NULL;
	}
	return sk;
}

/* The main table's IPv4 default route with the lowest metric: its
 * interface and gateway (host order, 0: none). */
static int default_route(struct nl_sock *sk, int *ifindex, uint32_t *gateway, char *err,
			 size_t errlen)
{
	struct nl_cache *cache;
	int rc = rtnl_route_alloc_cache(sk, AF_INET, 0, &cache);
	if (rc < 0)
		return err_fmt(err, errlen, "adopt: reading routes: %s", nl_geterror(rc));
	struct rtnl_route *best = NULL;
	for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_route *r = (struct rtnl_route *)o;
		struct nl_addr *dst = rtnl_route_get_dst(r);
		if (rtnl_route_get_table(r) != RT_TABLE_MAIN ||
		    rtnl_route_get_type(r) != RTN_UNICAST ||
		    (dst && nl_addr_get_prefixlen(dst) != 0) || rtnl_route_get_nnexthops(r) < 1)
			continue;
		if (!best || rtnl_route_get_priority(r) < rtnl_route_get_priority(best))
			best = r;
	}
	*ifindex = 0;
	*gateway = 0;
	if (best) {
		struct rtnl_nexthop *nh = rtnl_route_nexthop_n(best, 0);
		struct nl_addr *gw = rtnl_route_nh_get_gateway(nh);
		*ifindex = rtnl_route_nh_get_ifindex(nh);
		if (gw && nl_addr_get_family(gw) == AF_INET && nl_addr_get_len(gw) == 4) {
			uint32_t net;
			memcpy(&net, nl_addr_get_binary_addr(gw), 4);
			*gateway = ntohl(net);
		}
	}
	nl_cache_free(cache);
	if (*ifindex <= 0)
		return err_fmt(err, errlen,
			       "adopt: no IPv4 default route in the namespace (nothing to adopt)");
	return 0;
}

/* The interface's name and MAC; it must be an Ethernet device. */
static int link_of(struct nl_sock *sk, int ifindex, struct netns_adopted *a, char *err,
		   size_t errlen)
{
	struct rtnl_link *link;
	int rc = rtnl_link_get_kernel(sk, ifindex, NULL, &link);
	if (rc < 0)
		return err_fmt(err, errlen, "adopt: interface %d: %s", ifindex, nl_geterror(rc));
	const char *name = rtnl_link_get_name(link);
	struct nl_addr *ll = rtnl_link_get_addr(link);
	rc = 0;
	if (!name || strlen(name) >= sizeof(a->ifname))
		rc = err_fmt(err, errlen, "adopt: interface %d has no usable name", ifindex);
	else if (rtnl_link_get_arptype(link) != ARPHRD_ETHER || !ll ||
		 nl_addr_get_len(ll) != NETFRAME_MAC_LEN)
		rc = err_fmt(err, errlen, "adopt: %s is not an Ethernet interface", name);
	if (rc == 0) {
		snprintf(a->ifname, sizeof(a->ifname), "%s", name);
		memcpy(a->mac, nl_addr_get_binary_addr(ll), NETFRAME_MAC_LEN);
	}
	rtnl_link_put(link);
	return rc;
}

/* The interface's first IPv4 address and its prefix. */
static int address_of(struct nl_sock *sk, int ifindex, struct netns_adopted *a, char *err,
		      size_t errlen)
{
	struct nl_cache *cache;
	int rc = rtnl_addr_alloc_cache(sk, &cache);
	if (rc < 0)
		return err_fmt(err, errlen, "adopt: reading addresses: %s", nl_geterror(rc));
	a->addr = 0;
	for (struct nl_object *o = nl_cache_get_first(cache); o && !a->addr;
	     o = nl_cache_get_next(o)) {
		struct rtnl_addr *ad = (struct rtnl_addr *)o;
		struct nl_addr *local = rtnl_addr_get_local(ad);
		int prefix = rtnl_addr_get_prefixlen(ad);
		if (rtnl_addr_get_ifindex(ad) != ifindex || rtnl_addr_get_family(ad) != AF_INET ||
		    !local || nl_addr_get_len(local) != 4 || prefix < 1 || prefix > 32)
			continue;
		uint32_t net;
		memcpy(&net, nl_addr_get_binary_addr(local), 4);
		a->addr = ntohl(net);
		a->prefix = (uint32_t)prefix;
	}
	nl_cache_free(cache);
	if (!a->addr)
		return err_fmt(err, errlen, "adopt: %s has no IPv4 address", a->ifname);
	return 0;
}

int netns_adopt_read(struct netns_adopted *adopted, char *err, size_t errlen)
{
	memset(adopted, 0, sizeof(*adopted));
	struct nl_sock *sk = route_socket(err, errlen);
	if (!sk)
		return -1;
	int ifindex = 0;
	int rc = default_route(sk, &ifindex, &adopted->gateway, err, errlen);
	if (rc == 0)
		rc = link_of(sk, ifindex, adopted, err, errlen);
	if (rc == 0)
		rc = address_of(sk, ifindex, adopted, err, errlen);
	nl_socket_free(sk);
	return rc;
}

/* An ingress qdisc on ifindex; one that is there already is used. */
static int add_ingress(struct nl_sock *sk, int ifindex, const char *name, char *err, size_t errlen)
{
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();
	if (!q)
		return err_fmt(err, errlen, "adopt: rtnl_qdisc_alloc: out of memory");
	rtnl_tc_set_ifindex(TC_CAST(q), ifindex);
	rtnl_tc_set_parent(TC_CAST(q), TC_H_INGRESS);
	rtnl_tc_set_handle(TC_CAST(q), INGRESS_HANDLE);
	int rc = rtnl_tc_set_kind(TC_CAST(q), "ingress");
	/* NLM_F_CREATE without NLM_F_EXCL: an existing ingress qdisc stays. */
	if (rc == 0)
		rc = rtnl_qdisc_add(sk, q, NLM_F_CREATE);
	rtnl_qdisc_put(q);
	if (rc < 0 && rc != -NLE_EXIST)
		return err_fmt(err, errlen, "adopt: ingress qdisc on %s: %s", name,
			       nl_geterror(rc));
	return 0;
}

/* A u32 filter at lockvm's priority on from's ingress, or (with to 0) the
 * key for deleting it. */
static struct rtnl_cls *redirect_filter(int from, int to)
{
	struct rtnl_cls *cls = rtnl_cls_alloc();
	if (!cls)
		return NULL;
	rtnl_tc_set_ifindex(TC_CAST(cls), from);
	rtnl_tc_set_parent(TC_CAST(cls), INGRESS_HANDLE);
	rtnl_cls_set_prio(cls, NETNS_ADOPT_PRIO);
	rtnl_cls_set_protocol(cls, ETH_P_ALL);
	if (rtnl_tc_set_kind(TC_CAST(cls), "u32") < 0) {
		rtnl_cls_put(cls);
		return NULL;
	}
	if (!to)
		return cls;
	/* Match all (an empty key: value 0 under mask 0), then steal the
	 * frame into to's transmit queue, unchanged. */
	struct rtnl_act *act = rtnl_act_alloc();
	if (!act || rtnl_u32_add_key_uint32(cls, 0, 0, 0, 0) < 0 ||
	    rtnl_u32_set_cls_terminal(cls) < 0 || rtnl_tc_set_kind(TC_CAST(act), "mirred") < 0 ||
	    rtnl_mirred_set_action(act, TCA_EGRESS_REDIR) < 0 ||
	    rtnl_mirred_set_policy(act, TC_ACT_STOLEN) < 0 ||
	    rtnl_mirred_set_ifindex(act, (uint32_t)to) < 0 || rtnl_u32_add_action(cls, act) < 0) {
		rtnl_cls_put(cls);
		return NULL; /* act, if any, is the child's to leak: it exits */
	}
	return cls;
}

/* Deletes lockvm's filter on ifindex's ingress; 0 also when none is there. */
static int del_redirect(struct nl_sock *sk, int ifindex)
{
	struct rtnl_cls *cls = redirect_filter(ifindex, 0);
	if (!cls)
		return -NLE_NOMEM;
	int rc = rtnl_cls_delete(sk, cls, 0);
	rtnl_cls_put(cls);
	/* no ingress qdisc, or no filter at that priority: nothing of ours */
	return rc == -NLE_OBJ_NOTFOUND || rc == -NLE_INVAL || rc == -NLE_NOADDR ? 0 : rc;
}

/* Whether ifindex's ingress holds a filter at lockvm's priority (the
 * kernel would add a second one beside it, NLM_F_EXCL or not). */
static int has_redirect(struct nl_sock *sk, int ifindex, bool *found)
{
	struct nl_cache *cache;
	*found = false;
	int rc = rtnl_cls_alloc_cache(sk, ifindex, INGRESS_HANDLE, &cache);
	if (rc < 0)
		return rc;
	for (struct nl_object *o = nl_cache_get_first(cache); o && !*found;
	     o = nl_cache_get_next(o))
		*found = rtnl_cls_get_prio((struct rtnl_cls *)o) == NETNS_ADOPT_PRIO;
	nl_cache_free(cache);
	return 0;
}

static int add_redirect(struct nl_sock *sk, int from, int to, const char *name, char *err,
			size_t errlen)
{
	bool taken;
	int rc = has_redirect(sk, from, &taken);
	if (rc < 0)
		return err_fmt(err, errlen, "adopt: reading the filters on %s: %s", name,
			       nl_geterror(rc));
	if (taken)
		return err_fmt(err, errlen,
			       "adopt: %s is taken over by another VM already (a tc filter at "
			       "priority 0x%x)",
			       name, NETNS_ADOPT_PRIO);
	struct rtnl_cls *cls = redirect_filter(from, to);
	if (!cls)
		return err_fmt(err, errlen, "adopt: building the filter on %s: out of memory",
			       name);
	rc = rtnl_cls_add(sk, cls, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_cls_put(cls);
	if (rc < 0)
		return err_fmt(err, errlen, "adopt: tc u32 mirred filter on %s: %s", name,
			       nl_geterror(rc));
	return 0;
}

/* The index of interface name, 0 when there is none. */
static int index_of(struct nl_sock *sk, const char *name)
{
	struct rtnl_link *link;
	if (rtnl_link_get_kernel(sk, 0, name, &link) < 0)
		return 0;
	int ifindex = rtnl_link_get_ifindex(link);
	rtnl_link_put(link);
	return ifindex;
}

int netns_adopt_join(const char *ifname, const char *tap, char *err, size_t errlen)
{
	struct nl_sock *sk = route_socket(err, errlen);
	if (!sk)
		return -1;
	int dev = index_of(sk, ifname), tapdev = index_of(sk, tap), rc = -1;
	/* On failure only what this call added is removed: a filter already
	 * on ifname is another VM's. */
	if (!dev || !tapdev)
		err_fmt(err, errlen, "adopt: %s: no such interface", dev ? tap : ifname);
	else if (add_ingress(sk, dev, ifname, err, errlen) == 0 &&
		 add_ingress(sk, tapdev, tap, err, errlen) == 0 &&
		 add_redirect(sk, dev, tapdev, ifname, err, errlen) == 0) {
		if (add_redirect(sk, tapdev, dev, tap, err, errlen) == 0)
			rc = 0;
		else
			(void)del_redirect(sk, dev);
	}
	nl_socket_free(sk);
	return rc;
}

int netns_adopt_undo(char *err, size_t errlen)
{
	struct nl_sock *sk = route_socket(err, errlen);
	if (!sk)
		return -1;
	struct nl_cache *cache;
	int rc = rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache);
	if (rc < 0) {
		nl_socket_free(sk);
		return err_fmt(err, errlen, "adopt: reading interfaces: %s", nl_geterror(rc));
	}
	int failed = 0;
	for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_link *link = (struct rtnl_link *)o;
		int one = del_redirect(sk, rtnl_link_get_ifindex(link));
		if (one < 0 && !failed) {
			failed = 1;
			err_fmt(err, errlen, "adopt: removing the filter on %s: %s",
				rtnl_link_get_name(link), nl_geterror(one));
		}
	}
	nl_cache_free(cache);
	nl_socket_free(sk);
	return failed ? -1 : 0;
}

void netns_adopted_format(const struct netns_adopted *adopted, char *out, size_t len)
{
	char mac[NETFRAME_MAC_TEXT], addr[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN];
	struct in_addr in = {.s_addr = htonl(adopted->addr)};
	netframe_mac_format(adopted->mac, mac);
	inet_ntop(AF_INET, &in, addr, sizeof(addr));
	in.s_addr = htonl(adopted->gateway);
	inet_ntop(AF_INET, &in, gw, sizeof(gw));
	snprintf(out, len, "%s %s %s/%u %s", adopted->ifname, mac, addr, adopted->prefix, gw);
}

int netns_adopted_parse(const char *line, struct netns_adopted *adopted)
{
	char ifname[NETFRAME_IFNAME_MAX + 1], mac[NETFRAME_MAC_TEXT], addr[INET_ADDRSTRLEN],
	    gw[INET_ADDRSTRLEN];
	unsigned prefix;
	struct in_addr in;
	memset(adopted, 0, sizeof(*adopted));
	if (sscanf(line, "%15s %17s %15[0-9.]/%u %15s", ifname, mac, addr, &prefix, gw) != 5 ||
	    !netframe_ifname_valid(ifname, NULL) ||
	    netframe_mac_parse(mac, adopted->mac, NULL) < 0 || prefix < 1 || prefix > 32 ||
	    inet_pton(AF_INET, addr, &in) != 1)
		return -1;
	snprintf(adopted->ifname, sizeof(adopted->ifname), "%s", ifname);
	adopted->addr = ntohl(in.s_addr);
	adopted->prefix = prefix;
	if (inet_pton(AF_INET, gw, &in) != 1)
		return -1;
	adopted->gateway = ntohl(in.s_addr);
	return 0;
}
