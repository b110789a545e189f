/* The runtime's own record of a container under --root, and its OCI status. */
#ifndef LOCKVM_OCI_STATE_H
#define LOCKVM_OCI_STATE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "oci_config.h"

enum oci_status { OCI_CREATED, OCI_RUNNING, OCI_STOPPED };

/* In ROOT/ID: `kill` sent SIGKILL to the supervisor, which then cannot undo
 * its VM's setup; `delete` recovers it (lockvm gc). */
#define OCI_KILLED_MARK "killed"

struct oci_state {
	char id[256];
	char dir[PATH_MAX]; /* ROOT/ID */
	char bundle[PATH_MAX];
	char rootfs[PATH_MAX];
	char created[64]; /* RFC 3339 */
	char vm_name[65];
	pid_t pid;
	uint64_t pid_start; /* /proc/PID/stat start time: a reused pid is not ours */
	void *annotations;  /* a json-c object, owned */
	/* A pod's sandbox container: its network namespace path and hostname,
	 * which the pod's containers take in place of joining it (oci_pod.c) */
	char pod_netns[OCI_NETNS_PATH_MAX];
	char pod_hostname[IDENT_HOSTNAME_MAX + 1];
};

/* runc's rule for ids: 1-1024 of [A-Za-z0-9_+.-], not "." or "..". */
bool oci_id_valid(const char *id);

/* The start time of pid (clock ticks since boot), or 0 when it is gone or
 * a zombie. */
uint64_t oci_pid_start(pid_t pid);

/* Writes ROOT/ID/state.json atomically. 0 or -1 (errno). */
int oci_state_save(const struct oci_state *s);

/* Reads ROOT/ID/state.json; -1 when there is no such container. */
int oci_state_load(const char *root, const char *id, struct oci_state *s);

void oci_state_free(struct oci_state *s);

/* created while the start fifo is there, running while the pid lives on. */
enum oci_status oci_state_status(const struct oci_state *s);
const char *oci_status_name(enum oci_status status);

/* The OCI state document ("ociVersion", "id", "status", "pid", "bundle",
 * "rootfs", "created", "owner", "annotations"), as a new json-c object. */
void *oci_state_json(const struct oci_state *s);

/* Copies the config's annotations into s (a json-c object). */
void oci_state_set_annotations(struct oci_state *s, const struct oci_config *c);

#endif
