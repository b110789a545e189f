/* A VM's NIC as the registry records it (state.json "net"), below both the store and net/. */
#ifndef LOCKVM_NET_RECORD_H
#define LOCKVM_NET_RECORD_H

#include <stdbool.h>

#include "netframe.h"
#include "paths.h"

#define NET_OVS_DB_MAX	   256
#define NET_NETNS_PATH_MAX 256

/* A VM's NIC as the registry records it (state.json "net"), enough to
 * undo the attachment after the supervisor is gone. */
struct reg_net {
	char kind[8]; /* "" (no NIC), "bridge", "ovs", "netns" or "user" */
	char network[PATHS_NAME_MAX + 1];
	char bridge[NETFRAME_IFNAME_MAX + 1]; /* "" for netns */
	char tap[NETFRAME_IFNAME_MAX + 1];
	char mac[18];
	char ovs_db[NET_OVS_DB_MAX];
	int stats_fd;			/* the supervisor's fd of the NIC counters, -1 */
	char netns[NET_NETNS_PATH_MAX]; /* netns only: the namespace's path */
	bool adopt; /* netns only: the VM took over its interface (netns_adopt.h) */
};

/* An OVS database address lockvm passes on: "unix:" and an absolute path. */
bool net_ovs_db_valid(const char *db);

#endif
