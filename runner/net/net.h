/* Virtual networks: --net specs, named networks under etc/lockvm/networks, a VM's tap attach/release, `lockvm net`. */
#ifndef LOCKVM_NET_H
#define LOCKVM_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "net_record.h"
#include "paths.h"
#include "tap.h"

#define PATHS_NETWORKS_DIR "etc/lockvm/networks" /* NAME.conf */
#define NET_OVS_DB_DEFAULT "unix:/var/run/openvswitch/db.sock"

/* NET_NETNS: the tap is made in another network namespace (a container
 * engine's, netns=PATH), not attached to any bridge of ours. NET_USER: no
 * tap at all; the NIC is a stream to passt, user-mode NAT (passt.h). */
enum net_kind { NET_NONE, NET_BRIDGE, NET_OVS, NET_NETNS, NET_USER };

/* What a VM's NIC attaches to: --net, or a named network's definition. */
struct net_spec {
	enum net_kind kind;
	char network[PATHS_NAME_MAX + 1]; /* network=NAME, else "" */
	char bridge[TAP_IFNAME_MAX + 1];
	char ovs_db[NET_OVS_DB_MAX];	/* OVS only: unix:PATH of ovsdb-server */
	char datapath[8];		/* OVS only: "system" or "netdev" */
	uint32_t subnet, prefix;	/* a named network's subnet (host order), 0/0: none */
	char netns[NET_NETNS_PATH_MAX]; /* NET_NETNS only: the namespace's path */
	bool adopt; /* NET_NETNS only (",adopt"): the VM takes over its interface */
};

const char *net_kind_name(enum net_kind kind);

/*
 * Parses a --net value: "none", "user", "bridge=NAME", "ovs=NAME",
 * "network=NAME" (read from its definition) or "netns=PATH[,adopt]"
 * (checked to be a network namespace; adopt: netns_adopt.h). OVS's database comes from
 * LOCKVM_OVS_DB, else NET_OVS_DB_DEFAULT. Returns 0, or -1 with err.
 */
int net_spec_parse(const char *text, struct net_spec *spec, char *err, size_t errlen);

/* Parses "A.B.C.D/P" (P 1..30) into the network address and prefix. */
int net_parse_cidr(const char *text, uint32_t *network, uint32_t *prefix);

/* The tap name for a VM: "lv-NAME" when it fits in 15 characters and is an
 * interface name, else "lv-" and the first 8 hex digits of its uuid. */
void net_tap_name(const char *vm_name, const char *uuid, char out[TAP_IFNAME_MAX + 1]);

/* Creates rn->tap persistent, owned by owner:group (the VMM's), and
 * attaches it to rn->bridge (Linux bridge or OVS port); no fd stays on it
 * (tap_create). 0, or -1 with err (nothing left behind). */
int net_attach(const struct reg_net *rn, uid_t owner, gid_t group, char *err, size_t errlen);

/* The uid a VM's tap is made for: the VM's own (vm_uid), or without one
 * the uid the VMM keeps, ours. */
uid_t net_tap_owner(uint32_t vm_uid);

/* Undoes what net_attach did: the OVS port record, and with delete_tap the
 * tap itself when it still exists and is `owner`'s (a VMM that attached
 * took its persistence away, so the tap normally goes with the VMM's fd).
 * Best effort, warnings on stderr. Safe to repeat. */
void net_release(const struct reg_net *rn, bool delete_tap, uid_t owner);

/* `lockvm net define|start|destroy|undefine|list ...`. reap_dead recovers
 * dead VMs (registry_reap, which sits above net/ and is called with the
 * registry lock held) before `destroy` counts the VMs still attached. */
int net_main(int argc, char **argv, int (*reap_dead)(void));

#endif
