/* Exec label for the VMM through whichever MAC is active (SELinux, AppArmor or none). */
#include "mac.h"

#include <errno.h>
#include <selinux/selinux.h>
#include <sys/apparmor.h>

int mac_set_exec_label(const char *label_or_profile)
{
	if (label_or_profile == NULL || label_or_profile[0] == '\0')
		return MAC_NOT_ENFORCED;
	if (is_selinux_enabled() > 0) {
		/* setexeccon() takes a non-const char * in older libselinux. */
		if (setexeccon((char *)label_or_profile) < 0)
			return -1;
		return MAC_LABEL_SET;
	}
	if (aa_is_enabled() > 0) {
		if (aa_change_onexec(label_or_profile) < 0)
			return -1;
		return MAC_LABEL_SET;
	}
	/* Neither LSM is loaded (the development machines): the caller records
	 * the label as "not enforced"; --require-mac turns that into an error. */
	return MAC_NOT_ENFORCED;
}

const char *mac_active(void)
{
	if (is_selinux_enabled() > 0)
		return "selinux";
	if (aa_is_enabled() > 0)
		return "apparmor";
	return "none";
}

bool mac_enforcing(void)
{
	if (is_selinux_enabled() > 0)
		return security_getenforce() == 1;
	/* AppArmor has no global permissive switch; per-VM profiles are
	 * generated in enforce mode, so "enabled" is what matters. */
	return aa_is_enabled() > 0;
}
