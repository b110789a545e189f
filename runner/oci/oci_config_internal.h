/* The parts of the config.json check that live in oci_config_linux.c. */
#ifndef LOCKVM_OCI_CONFIG_INTERNAL_H
#define LOCKVM_OCI_CONFIG_INTERNAL_H

#include <json-c/json.h>

#include "oci_config.h"

/* mounts[]: the VM's own file systems, the engine's plumbing files, bind
 * mounts that become cfg's volumes, or a refusal naming the entry. 0 or -1. */
int oci_check_mounts(json_object *doc, struct oci_config *cfg, char *err, size_t errlen);

/* linux: namespaces, resources and the fields a VM has nothing to do for.
 * 0 or -1. */
int oci_parse_linux(json_object *doc, struct oci_config *cfg, char *err, size_t errlen);

#endif
