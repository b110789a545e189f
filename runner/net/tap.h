/* Host network devices for VM NICs (supervisor only): tap devices, Linux bridges by ioctl, Open vSwitch ports by ovs-vsctl. */
#ifndef LOCKVM_TAP_H
#define LOCKVM_TAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "netframe.h"

#define TAP_IFNAME_MAX NETFRAME_IFNAME_MAX

/* Whether an interface of that name exists in this network namespace. */
bool tap_exists(const char *name);

/*
 * Creates tap device `name` (it must not exist yet) persistent, owned by
 * owner:group (the VMM's uid and gid, which may then attach to it without
 * CAP_NET_ADMIN), and brings it up. No fd stays attached: the device lives
 * until tap_delete() or until the VMM, once attached, clears its
 * persistence and closes its fd. Returns 0 or -1 with err (nothing left).
 */
int tap_create(const char *name, uid_t owner, gid_t group, char *err, size_t errlen);

/* A /dev/net/tun fd attached to no device (non-blocking, close-on-exec),
 * opened in this network namespace, for the VMM to attach with TUNSETIFF.
 * The fd or -1 with err. */
int tap_open_unattached(char *err, size_t errlen);

/* Deletes tap device `name` (netlink RTM_DELLINK) if it exists, is a tap
 * and belongs to uid `owner`; 0 also when it is gone already. -1 with err,
 * e.g. when `name` is some other interface, or another uid's tap, which
 * are left alone. */
int tap_delete(const char *name, uid_t owner, char *err, size_t errlen);

/* Adds port `port` to Linux bridge `bridge`. 0 or -1 with err. */
int bridge_add_port(const char *bridge, const char *port, char *err, size_t errlen);

/* Creates Linux bridge `name`, brings it up, and gives it addr/prefix when
 * prefix is non-zero (addr in host order). 0 or -1 with err. */
int bridge_create(const char *name, uint32_t addr, unsigned prefix, char *err, size_t errlen);

/* Brings Linux bridge `name` down and deletes it. 0 or -1 with err. */
int bridge_delete(const char *name, char *err, size_t errlen);

/* Gives interface `name` addr/prefix and brings it up. 0 or -1 with err. */
int netdev_set_ipv4(const char *name, uint32_t addr, unsigned prefix, char *err, size_t errlen);

/*
 * Runs ovs-vsctl --db=DB --timeout=10 ARGS... (fork/exec of the installed
 * binary with an empty environment). args ends with NULL. Returns 0, or -1
 * with ovs-vsctl's own message in err. Its stdout (if out) goes to out.
 */
int ovs_vsctl(const char *db, const char *const *args, char *out, size_t outlen, char *err,
	      size_t errlen);

#endif
