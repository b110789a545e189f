/* A VM's tap inside another network namespace (a container engine's): made and removed by a short-lived child that enters it, so the supervisor never leaves its own. */
#ifndef LOCKVM_NETNS_H
#define LOCKVM_NETNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "netframe.h"
#include "netns_adopt.h"

/* Whether path names a network namespace (nsfs, CLONE_NEWNET). 0 or -1
 * with err. */
int netns_check(const char *path, char *err, size_t errlen);

/*
 * In the namespace at path: creates tap `name` as tap_create() does
 * (persistent, owner:group, up), gives it the VM's MAC, and opens an
 * unattached /dev/net/tun fd there (its tun socket belongs to that
 * namespace, so the VMM's TUNSETIFF finds the tap in it). With adopt, it
 * first reads the interface of the namespace's default route into *adopt
 * and then joins it to the tap (netns_adopt_join): the VM is to use
 * adopt's MAC and address. Returns the fd, or -1 with err (nothing left
 * behind).
 */
int netns_tap_create(const char *path, const char *name, uid_t owner, gid_t group,
		     const uint8_t mac[NETFRAME_MAC_LEN], struct netns_adopted *adopt, char *err,
		     size_t errlen);

/* Deletes tap `name` of uid owner in the namespace at path, if both are
 * still there (tap_delete), and with adopt lockvm's tc filters there
 * first (netns_adopt_undo; the interface stays). Best effort: 0, or -1
 * with err. */
int netns_tap_delete(const char *path, const char *name, uid_t owner, bool adopt, char *err,
		     size_t errlen);

#endif
