/* rtnetlink requests of a --linux program, answered read-only from a view of the VM's interfaces (lo, eth0): RTM_GETLINK, RTM_GETADDR and RTM_GETROUTE dumps and single links; anything that would change a link, address or route is EPERM. Pure: bytes in, bytes out (fuzz_linux_netlink). */
#include <errno.h>
#include <string.h>

#include "linux_netlink.h"

#define NLMSG_HDR     16U
#define NLMSG_ERROR   2
#define NLMSG_DONE    3
#define NLM_F_REQUEST 0x1
#define NLM_F_MULTI   0x2
#define NLM_F_ACK     0x4
#define NLM_F_DUMP    0x300
#define RTM_BASE      16
#define RTM_NEWLINK   16
#define RTM_GETLINK   18
#define RTM_NEWADDR   20
#define RTM_GETADDR   22
#define RTM_NEWROUTE  24
#define RTM_GETROUTE  26
#define L_AF_INET     2
#define L_AF_INET6    10

#define ALIGN4(n) (((n) + 3U) & ~3U)

/* A prefix's mask in network byte order (x86-64: little-endian). */
static uint32_t mask_of(unsigned prefix)
{
	return prefix ? __builtin_bswap32(~0U << (32 - prefix)) : 0;
}

/* The reply being built; past cap, nothing more is written (full set). */
struct out {
	uint8_t *buf;
	size_t len, cap;
	bool full;
	size_t msg; /* where the message being built starts */
};

static void put(struct out *o, const void *data, size_t len)
{
	size_t room = ALIGN4(len);
	if (o->full || room > o->cap - o->len) {
		o->full = true;
		return;
	}
	memcpy(o->buf + o->len, data, len);
	memset(o->buf + o->len + len, 0, room - len);
	o->len += room;
}

static void msg_begin(struct out *o, uint16_t type, uint16_t flags, uint32_t seq, uint32_t portid)
{
	const uint32_t zero = 0;
	o->msg = o->len;
	put(o, &zero, 4); /* nlmsg_len, set by msg_end */
	const uint16_t tf[2] = {type, flags};
	put(o, tf, 4);
	put(o, &seq, 4);
	put(o, &portid, 4);
}

static void msg_end(struct out *o)
{
	if (o->full)
		return;
	uint32_t len = (uint32_t)(o->len - o->msg);
	memcpy(o->buf + o->msg, &len, 4);
}

static void attr(struct out *o, uint16_t type, const void *data, uint16_t len)
{
	const uint16_t h[2] = {(uint16_t)(4 + len), type};
	put(o, h, 4);
	if (len)
		put(o, data, len);
}

static void attr_u32(struct out *o, uint16_t type, uint32_t v)
{
	attr(o, type, &v, 4);
}

static void attr_u8(struct out *o, uint16_t type, uint8_t v)
{
	attr(o, type, &v, 1);
}

static void reply_error(struct out *o, const uint8_t *req, int err, uint32_t portid)
{
	uint32_t seq;
	memcpy(&seq, req + 8, 4);
	msg_begin(o, NLMSG_ERROR, 0, seq, portid);
	const int32_t e = -err;
	put(o, &e, 4);
	put(o, req, NLMSG_HDR); /* the request's header, as Linux's nlmsgerr */
	msg_end(o);
}

static void link_msg(struct out *o, const struct netlink_iface *i, uint16_t flags, uint32_t seq,
		     uint32_t portid)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	static const uint8_t none[6];
	msg_begin(o, RTM_NEWLINK, flags, seq, portid);
	/* ifinfomsg: family, pad, type (ARPHRD_LOOPBACK 772, ARPHRD_ETHER 1), index, flags, change */
	const uint16_t fam_type[2] = {0, i->loopback ? 772 : 1};
	put(o, fam_type, 4);
	const uint32_t rest[3] = {(uint32_t)i->index,
				  i->loopback
				      ? 0x10049U /* UP|LOOPBACK|RUNNING|LOWER_UP */
				      : 0x11043U /* UP|BROADCAST|RUNNING|MULTICAST|LOWER_UP */,
				  0};
	put(o, rest, 12);
	attr(o, 3, i->name, (uint16_t)(strlen(i->name) + 1)); /* IFLA_IFNAME */
	attr_u32(o, 4, i->mtu);				      /* IFLA_MTU */
	attr_u32(o, 13, 1000);				      /* IFLA_TXQLEN */
	attr_u8(o, 16, i->loopback ? 0 : 6);		      /* IFLA_OPERSTATE: UNKNOWN, UP */
	attr_u8(o, 17, 0);				      /* IFLA_LINKMODE */
	attr(o, 1, i->loopback ? none : i->mac, 6);	      /* IFLA_ADDRESS */
	attr(o, 2, i->loopback ? none : bcast, 6);	      /* IFLA_BROADCAST */
	msg_end(o);
}

static void addr_msg(struct out *o, const struct netlink_iface *i, uint32_t seq, uint32_t portid)
{
	msg_begin(o, RTM_NEWADDR, NLM_F_MULTI, seq, portid);
	/* ifaddrmsg: family, prefixlen, flags (IFA_F_PERMANENT), scope (host 254, universe 0), index */
	const uint8_t head[4] = {L_AF_INET, (uint8_t)i->prefix, 0x80, i->loopback ? 254 : 0};
	put(o, head, 4);
	const uint32_t index = (uint32_t)i->index;
	put(o, &index, 4);
	attr(o, 1, &i->ip4, 4); /* IFA_ADDRESS */
	attr(o, 2, &i->ip4, 4); /* IFA_LOCAL */
	if (!i->loopback) {
		uint32_t mask = mask_of(i->prefix);
		uint32_t b = i->ip4 | ~mask;
		attr(o, 4, &b, 4); /* IFA_BROADCAST */
	}
	attr(o, 3, i->name, (uint16_t)(strlen(i->name) + 1)); /* IFA_LABEL */
	attr_u32(o, 8, 0x80);				      /* IFA_FLAGS: permanent */
	msg_end(o);
}

/* The interface's k-th IPv6 address: scope host for ::1, link for fe80::/10, else universe. */
static void addr6_msg(struct out *o, const struct netlink_iface *i, unsigned k, uint32_t seq,
		      uint32_t portid)
{
	const uint8_t *a = i->ip6[k];
	uint8_t scope = i->loopback ? 254 : (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) ? 253 : 0;
	msg_begin(o, RTM_NEWADDR, NLM_F_MULTI, seq, portid);
	const uint8_t head[4] = {L_AF_INET6, i->ip6_prefix[k], 0x80, scope};
	put(o, head, 4);
	const uint32_t index = (uint32_t)i->index;
	put(o, &index, 4);
	attr(o, 1, a, 16);    /* IFA_ADDRESS */
	attr_u32(o, 8, 0x80); /* IFA_FLAGS: permanent */
	msg_end(o);
}

static void route_msg(struct out *o, const struct netlink_iface *i, bool dflt, bool dhcp,
		      uint32_t seq, uint32_t portid)
{
	msg_begin(o, RTM_NEWROUTE, NLM_F_MULTI, seq, portid);
	uint32_t mask = mask_of(i->prefix);
	/* rtmsg: family, dst_len, src_len, tos, table (main), protocol (kernel 2, boot 3,
	 * dhcp 16), scope (universe 0, link 253), type (unicast), flags */
	const uint8_t head[8] = {L_AF_INET,
				 dflt ? 0 : (uint8_t)i->prefix,
				 0,
				 0,
				 254,
				 dflt ? (dhcp ? 16 : 3) : 2,
				 dflt ? 0 : 253,
				 1};
	put(o, head, 8);
	const uint32_t flags = 0;
	put(o, &flags, 4);
	attr_u32(o, 15, 254); /* RTA_TABLE */
	if (dflt) {
		attr(o, 5, &i->gw4, 4); /* RTA_GATEWAY */
	} else {
		uint32_t net = i->ip4 & mask;
		attr(o, 1, &net, 4);	/* RTA_DST */
		attr(o, 7, &i->ip4, 4); /* RTA_PREFSRC */
	}
	attr_u32(o, 4, (uint32_t)i->index); /* RTA_OIF */
	msg_end(o);
}

/* An IPv6 route of interface i, as Linux lists them in the main table: to
 * the /prefix of dst, or (gw) the default route via gw that a router's
 * advertisement gave (protocol ra). Both scope universe, as IPv6 routes are. */
static void route6_msg(struct out *o, const struct netlink_iface *i, const uint8_t *dst,
		       unsigned prefix, const uint8_t *gw, uint32_t seq, uint32_t portid)
{
	msg_begin(o, RTM_NEWROUTE, NLM_F_MULTI, seq, portid);
	/* family, dst_len, src_len, tos, table (main), protocol (kernel 2, ra 9),
	 * scope (universe), type (unicast), flags */
	const uint8_t head[8] = {L_AF_INET6, gw ? 0 : (uint8_t)prefix, 0, 0, 254, gw ? 9 : 2, 0, 1};
	put(o, head, 8);
	const uint32_t flags = 0;
	put(o, &flags, 4);
	attr_u32(o, 15, 254); /* RTA_TABLE */
	if (gw) {
		attr(o, 5, gw, 16); /* RTA_GATEWAY */
	} else {
		uint8_t net[16] = {0};
		memcpy(net, dst, prefix / 8); /* /64 and /128: whole bytes */
		attr(o, 1, net, 16);	      /* RTA_DST */
	}
	attr_u32(o, 6, gw ? 1024 : 256);    /* RTA_PRIORITY: Linux's metrics */
	attr_u32(o, 4, (uint32_t)i->index); /* RTA_OIF */
	msg_end(o);
}

/* Routes of family 0 (both), AF_INET or AF_INET6 for every interface. */
static void routes(struct out *o, const struct netlink_view *v, uint8_t family, uint32_t seq,
		   uint32_t portid)
{
	for (unsigned k = 0; (family == 0 || family == L_AF_INET) && k < v->count; k++) {
		const struct netlink_iface *i = &v->ifs[k];
		if (i->loopback || !i->ip4)
			continue; /* lo's routes live in the local table, not dumped here */
		route_msg(o, i, false, v->dhcp, seq, portid);
		if (i->gw4)
			route_msg(o, i, true, v->dhcp, seq, portid);
	}
	for (unsigned k = 0; (family == 0 || family == L_AF_INET6) && k < v->count; k++) {
		const struct netlink_iface *i = &v->ifs[k];
		unsigned n = i->ip6_count < NETLINK_IP6_MAX ? i->ip6_count : NETLINK_IP6_MAX;
		for (unsigned a = 0; a < n; a++) {
			unsigned prefix = i->ip6_prefix[a] > 128 ? 128 : i->ip6_prefix[a] & ~7U;
			bool seen = false; /* one route per prefix, however many addresses in it */
			for (unsigned b = 0; b < a; b++)
				seen |= i->ip6_prefix[b] == i->ip6_prefix[a] &&
					memcmp(i->ip6[a], i->ip6[b], prefix / 8) == 0;
			if (!seen)
				route6_msg(o, i, i->ip6[a], prefix, NULL, seq, portid);
		}
		if (i->gw6_set)
			route6_msg(o, i, NULL, 0, i->gw6, seq, portid);
	}
}

/* The interface a non-dump RTM_GETLINK names: by index, else IFLA_IFNAME. */
static const struct netlink_iface *link_named(const struct netlink_view *v, const uint8_t *p,
					      size_t len)
{
	int32_t index = 0;
	if (len >= 16)
		memcpy(&index, p + 4, 4);
	for (unsigned k = 0; k < v->count; k++)
		if (index && v->ifs[k].index == index)
			return &v->ifs[k];
	for (size_t at = 16; len >= 16 && at + 4 <= len;) {
		uint16_t alen, type;
		memcpy(&alen, p + at, 2);
		memcpy(&type, p + at + 2, 2);
		if (alen < 4 || alen > len - at)
			break;
		for (unsigned k = 0; type == 3 && k < v->count; k++)
			if (strnlen((const char *)p + at + 4, alen - 4U) ==
				strlen(v->ifs[k].name) &&
			    memcmp(p + at + 4, v->ifs[k].name, strlen(v->ifs[k].name)) == 0)
				return &v->ifs[k];
		at += ALIGN4(alen);
	}
	return NULL;
}

/* One request: its replies appended to o. */
static void answer(struct out *o, const struct netlink_view *v, const uint8_t *req, size_t len,
		   uint32_t portid)
{
	uint16_t type, flags;
	uint32_t seq;
	memcpy(&type, req + 4, 2);
	memcpy(&flags, req + 6, 2);
	memcpy(&seq, req + 8, 4);
	const uint8_t *p = req + NLMSG_HDR;
	size_t plen = len - NLMSG_HDR;
	if (!(flags & NLM_F_REQUEST) || type < RTM_BASE)
		return; /* not a request (or a control message): nothing to answer */
	if ((type & 3) != 2) {
		reply_error(o, req, EPERM,
			    portid); /* NEW, DEL, SET: the VM's network is read-only */
		return;
	}
	bool dump = (flags & NLM_F_DUMP) == NLM_F_DUMP;
	int family = plen ? p[0] : 0;
	if (type == RTM_GETLINK && !dump) {
		const struct netlink_iface *i = link_named(v, p, plen);
		if (!i) {
			reply_error(o, req, ENODEV, portid);
			return;
		}
		link_msg(o, i, 0, seq, portid);
	} else if (!dump) {
		reply_error(o, req, EOPNOTSUPP, portid);
		return;
	} else if (type == RTM_GETLINK) {
		for (unsigned k = 0; k < v->count; k++)
			link_msg(o, &v->ifs[k], NLM_F_MULTI, seq, portid);
	} else if (type == RTM_GETADDR) {
		for (unsigned k = 0; k < v->count; k++) {
			const struct netlink_iface *i = &v->ifs[k];
			if ((family == 0 || family == L_AF_INET) && i->ip4)
				addr_msg(o, i, seq, portid);
			for (unsigned a = 0; (family == 0 || family == L_AF_INET6) &&
					     a < i->ip6_count && a < NETLINK_IP6_MAX;
			     a++)
				addr6_msg(o, i, a, seq, portid);
		}
	} else if (type == RTM_GETROUTE) {
		routes(o, v, family, seq, portid);
	}
	/* Any other GET dump (neighbours, rules, qdiscs...): empty. */
	if (dump) {
		msg_begin(o, NLMSG_DONE, NLM_F_MULTI, seq, portid);
		const int32_t zero = 0;
		put(o, &zero, 4);
		msg_end(o);
	} else if (flags & NLM_F_ACK) {
		reply_error(o, req, 0, portid);
	}
}

long linux_netlink_answer(const struct netlink_view *v, const uint8_t *req, size_t len,
			  uint32_t portid, uint8_t *out, size_t cap)
{
	struct out o = {.buf = out, .cap = cap};
	/* Every whole message in the datagram, as Linux's netlink_rcv_skb; a
	 * length that does not fit ends the walk. */
	for (size_t at = 0; len - at >= NLMSG_HDR;) {
		uint32_t mlen;
		memcpy(&mlen, req + at, 4);
		if (mlen < NLMSG_HDR || mlen > len - at)
			break;
		answer(&o, v, req + at, mlen, portid);
		if (o.full)
			return -ENOBUFS;
		at += ALIGN4(mlen) < len - at ? ALIGN4(mlen) : len - at;
	}
	return (long)o.len;
}
