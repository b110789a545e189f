/* A container engine's interface taken over by a VM (--net netns=PATH,adopt): read with libnl-route-3 and joined to the VM's tap by tc redirects, inside the engine's namespace. */
#ifndef LOCKVM_NETNS_ADOPT_H
#define LOCKVM_NETNS_ADOPT_H

#include <stddef.h>
#include <stdint.h>

#include "netframe.h"

/* The tc priority of lockvm's filters: teardown removes exactly these. */
#define NETNS_ADOPT_PRIO 0xc0de

/* What the engine gave its container: the interface the default route
 * leaves by, its MAC, IPv4 address and prefix, and the gateway. */
struct netns_adopted {
	char ifname[NETFRAME_IFNAME_MAX + 1];
	uint8_t mac[NETFRAME_MAC_LEN];
	uint32_t addr, prefix, gateway; /* host order; gateway 0: on-link only */
};

/*
 * In the caller's network namespace: finds the IPv4 default route's
 * interface (an Ethernet one) and reads what the VM takes over from it.
 * Returns 0, or -1 with err (e.g. no default route, no IPv4 address).
 */
int netns_adopt_read(struct netns_adopted *adopted, char *err, size_t errlen);

/*
 * Joins interface ifname and tap: an ingress qdisc on each (kept when one
 * is there already) and a u32 match-all filter at NETNS_ADOPT_PRIO whose
 * mirred action redirects every frame to the other's egress, so frames to
 * ifname reach the VM and the VM's frames leave ifname unchanged. The
 * namespace's own stack sees no more frames on ifname. One VM adopts an
 * interface: a filter of lockvm's already there refuses the join. 0, or -1
 * with err (what this call added removed again; the tap's go with it).
 */
int netns_adopt_join(const char *ifname, const char *tap, char *err, size_t errlen);

/* Removes lockvm's filters (NETNS_ADOPT_PRIO) from the ingress of every
 * interface of the caller's namespace, the adopting VM's (one per
 * namespace: netns_adopt_join); the interfaces and any other filters
 * stay. Best effort: 0, or -1 with err. */
int netns_adopt_undo(char *err, size_t errlen);

/* Formats adopted as one line "IFNAME MAC A.B.C.D/P GATEWAY" and parses
 * it back (the helper child's answer; 0 or -1 when malformed). */
void netns_adopted_format(const struct netns_adopted *adopted, char *out, size_t len);
int netns_adopted_parse(const char *line, struct netns_adopted *adopted);

#endif
