/* A Kubernetes pod's containers: the namespaces containerd's CRI names as its sandbox's, mapped to a VM's. */
#include "oci_pod.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "oci.h"

/* lockvm-oci runs in the host's network namespace (engines run runtimes
 * there): a path naming the same namespace is the host's, where a VM's
 * tap would be made beside the host's interfaces and adopt one of them. */
static bool is_host_netns(const char *path)
{
	struct stat ns, self;
	return stat(path, &ns) == 0 && stat("/proc/self/ns/net", &self) == 0 &&
	       ns.st_dev == self.st_dev && ns.st_ino == self.st_ino;
}

/* The sandbox's /proc/PID/ns/TYPE paths, the only ones a pod's container
 * may name, are checked against the sandbox's running supervisor. */
static int pod_namespaces(struct oci_config *cfg, const char *root, char *err, size_t errlen)
{
	/* A network path elsewhere (a CNI or netavark namespace) is the
	 * engine's to give, but for the host's own (oci_pod_resolve). */
	bool pod_member = cfg->cri_sandbox_id && !cfg->cri_sandbox;
	const char *net = cfg->netns_path;
	if (!pod_member || !net || strncmp(net, "/proc/", 6) != 0)
		net = NULL;
	struct {
		const char *type, *file, *path;
	} ns[] = {
	    {"network", "net", net},
	    {"ipc", "ipc", cfg->ipc_ns_path},
	    {"uts", "uts", cfg->uts_ns_path},
	    {"pid", "pid", cfg->pid_ns_path},
	};
	const char *first = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(ns); i++)
		if (ns[i].path && !first)
			first = ns[i].type;
	if (!first)
		return 0;
	if (!pod_member)
		return err_fmt(err, errlen,
			       "linux.namespaces (%s).path: a VM cannot join a host namespace "
			       "(only a pod's container names its sandbox's)",
			       first);
	struct oci_state sb;
	if (oci_state_load(root, cfg->cri_sandbox_id, &sb) < 0 ||
	    oci_state_status(&sb) != OCI_RUNNING) {
		oci_state_free(&sb);
		return err_fmt(err, errlen,
			       "linux.namespaces (%s).path: the pod's sandbox %.64s is not a "
			       "running container here: a VM cannot join a host namespace",
			       first, cfg->cri_sandbox_id);
	}
	for (size_t i = 0; i < ARRAY_SIZE(ns); i++) {
		char want[64];
		snprintf(want, sizeof(want), "/proc/%d/ns/%s", (int)sb.pid, ns[i].file);
		if (ns[i].path && strcmp(ns[i].path, want) != 0) {
			oci_state_free(&sb);
			return err_fmt(err, errlen,
				       "linux.namespaces (%s).path: %.64s is not the pod's "
				       "sandbox's (%s): a VM cannot join a host namespace",
				       ns[i].type, ns[i].path, want);
		}
	}
	/* The sandbox's network namespace is the pod's (CNI's): the VM adopts
	 * its interface there, as with a path to it; a host-network pod's
	 * sandbox had none, and neither has the VM a NIC. */
	if (net)
		cfg->netns_path = sb.pod_netns[0] ? strdup(sb.pod_netns) : NULL;
	/* The pod's UTS namespace: its hostname, which CRI sets in the
	 * sandbox's config only. */
	if (cfg->uts_ns_path && (!cfg->hostname || !cfg->hostname[0]) && sb.pod_hostname[0])
		cfg->hostname = strdup(sb.pod_hostname);
	/* Each container of a pod is a VM of its own, with its own kernel
	 * objects. CRI names the pod's IPC namespace in every container
	 * (docs/kubernetes.md says what is not shared); a shared process
	 * namespace is a pod's explicit ask (shareProcessNamespace): said. */
	if (cfg->ipc_ns_path)
		oci_debug("linux.namespaces (ipc): the pod's IPC namespace is this VM's own");
	if (cfg->pid_ns_path)
		oci_warn("linux.namespaces (pid): a pod's process namespace is not shared "
			 "between its VMs: this container sees its own VM's processes only");
	cfg->ipc_ns_path = cfg->uts_ns_path = cfg->pid_ns_path = NULL;
	oci_state_free(&sb);
	return 0;
}

int oci_pod_resolve(struct oci_config *cfg, const char *root, struct oci_state *own, char *err,
		    size_t errlen)
{
	if (pod_namespaces(cfg, root, err, errlen) < 0)
		return -1;
	if (cfg->netns_path && is_host_netns(cfg->netns_path))
		return err_fmt(err, errlen,
			       "linux.namespaces (network).path: %.64s is the host's network "
			       "namespace: a VM never takes the host's interfaces",
			       cfg->netns_path);
	if (cfg->cri_sandbox) {
		snprintf(own->pod_netns, sizeof(own->pod_netns), "%s",
			 cfg->netns_path ? cfg->netns_path : "");
		snprintf(own->pod_hostname, sizeof(own->pod_hostname), "%s",
			 cfg->hostname ? cfg->hostname : "");
	}
	return 0;
}
