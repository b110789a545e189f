/* Whether a VM's SELinux context may use a directory the supervisor hands it (a --fs tree, a --volume): the up-front check behind a clear refusal. */
#include "selinux_access.h"

#include <errno.h>
#include <selinux/selinux.h>
#include <stdio.h>
#include <string.h>

#include "label.h"

/* Class and space-separated permissions one decision asks for. */
struct vm_access_need {
	const char *object_class;
	const char *permissions;
};

static const struct vm_access_need read_needs[] = {
    {"dir", "getattr search open read"},
    {"file", "getattr open read"},
};
static const struct vm_access_need write_needs[] = {
    {"dir", "write add_name remove_name"},
    {"file", "write append"},
};

/* 1 allowed (or permissive), 0 refused, -1 with errno. */
static int policy_allows(const char *scon, const char *tcon, const struct vm_access_need *need)
{
	security_class_t object_class = string_to_security_class(need->object_class);
	if (!object_class) {
		errno = EINVAL;
		return -1;
	}
	access_vector_t requested = 0;
	char perms[64];
	snprintf(perms, sizeof(perms), "%s", need->permissions);
	char *save = NULL;
	for (char *p = strtok_r(perms, " ", &save); p; p = strtok_r(NULL, " ", &save)) {
		access_vector_t bit = string_to_av_perm(object_class, p);
		if (!bit) {
			errno = EINVAL;
			return -1;
		}
		requested |= bit;
	}
	struct av_decision avd;
	/* const-incorrect prototypes in older libselinux */
	if (security_compute_av_flags((char *)scon, (char *)tcon, object_class, requested, &avd) <
	    0)
		return -1;
	return (avd.allowed & requested) == requested ||
	       (avd.flags & SELINUX_AVD_FLAGS_PERMISSIVE) != 0;
}

int selinux_vm_may_use(const char *vm_context, int dir_fd, bool write, char *label, size_t size)
{
	label[0] = '\0';
	if (!vm_context || !vm_context[0] || is_selinux_enabled() <= 0 ||
	    security_getenforce() != 1)
		return SELINUX_VM_MAY_USE;
	if (label_file_get(dir_fd, label, size) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(read_needs) / sizeof(read_needs[0]); i++) {
		int rc = policy_allows(vm_context, label, &read_needs[i]);
		if (rc <= 0)
			return rc;
	}
	for (size_t i = 0; write && i < sizeof(write_needs) / sizeof(write_needs[0]); i++) {
		int rc = policy_allows(vm_context, label, &write_needs[i]);
		if (rc <= 0)
			return rc;
	}
	return SELINUX_VM_MAY_USE;
}
