/* Host network devices for VM NICs (supervisor only): tap devices, Linux bridges by ioctl, Open vSwitch ports by ovs-vsctl. */
#ifndef LOCKVM_TAP_H
#define LOCKVM_TAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TAP_IFNAME_MAX 15 /* IFNAMSIZ - 1 */

/* An interface name the kernel accepts: 1-15 characters, no '/', ':' or
 * whitespace, not "." or "..". On refusal, why says what is wrong. */
bool tap_ifname_valid(const char *name, const char **why);

/* Whether an interface of that name exists in this network namespace. */
bool tap_exists(const char *name);

/*
 * Creates tap device `name` (it must not exist yet), brings it up and
 * returns its fd (non-blocking, close-on-exec) in *fd. The device is not
 * persistent: the kernel removes it when the last fd closes. Returns 0 or
 * -1 with err.
 */
int tap_create(const char *name, int *fd, char *err, size_t errlen);

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
