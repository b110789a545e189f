/* A Kubernetes pod's containers: the namespaces containerd's CRI names as its sandbox's, mapped to a VM's. */
#ifndef LOCKVM_OCI_POD_H
#define LOCKVM_OCI_POD_H

#include <stddef.h>

#include "oci_config.h"
#include "oci_state.h"

/* Needs the config checked (oci_config_parse) and own->id set; before the
 * lockvm run line is built. A pod's sandbox keeps its network namespace
 * path and hostname in own (its state.json). A container of a pod names
 * the pod's namespaces as /proc/PID/ns/TYPE of the sandbox's pid, which
 * for lockvm is a supervisor in the host's namespaces: those paths are
 * taken only when PID is the running sandbox named by the config's
 * io.kubernetes.cri.sandbox-id under root, and map to the sandbox's own
 * network namespace path (none: no NIC) and hostname; its ipc and pid are
 * the VM's own (said in one warning). Any other such path, and a network
 * path that is the host's own namespace, refuses. 0, or -1 with err. */
int oci_pod_resolve(struct oci_config *cfg, const char *root, struct oci_state *own, char *err,
		    size_t errlen);

#endif
