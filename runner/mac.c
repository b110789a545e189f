/* Exec label for the VMM through whichever MAC is active (SELinux, AppArmor or none). */
#include "mac.h"

#include <errno.h>
#include <fcntl.h>
#include <selinux/selinux.h>
#include <sys/apparmor.h>
#include <sys/socket.h>
#include <unistd.h>

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

int mac_vmm_channel(const char *vm_context, int fds[2])
{
	if (vm_context == NULL || vm_context[0] == '\0' || is_selinux_enabled() <= 0)
		return pipe2(fds, O_CLOEXEC);
	/* setsockcreatecon() takes a non-const char * in older libselinux. */
	if (setsockcreatecon((char *)vm_context) < 0)
		return -1;
	int rc = socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds);
	int saved = errno;
	if (setsockcreatecon(NULL) < 0 && rc == 0) {
		saved = errno;
		close(fds[0]);
		close(fds[1]);
		rc = -1;
	}
	errno = saved;
	if (rc < 0)
		return -1;
	/* One way, like the pipe it stands for. */
	shutdown(fds[0], SHUT_WR);
	shutdown(fds[1], SHUT_RD);
	return 0;
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
