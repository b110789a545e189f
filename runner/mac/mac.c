/* Exec label for the VMM through whichever MAC is active (SELinux, AppArmor or none). */
#include "mac.h"

#include <errno.h>
#include <fcntl.h>
#include <selinux/selinux.h>
#include <stdio.h>
#include <string.h>
#include <sys/apparmor.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * aa_change_onexec() through /proc/thread-self: libapparmor writes
 * /proc/<gettid()>/attr/..., and in the VMM's new pid namespace that tid (1)
 * names another task in the /proc still mounted (the host's init), so the
 * write fails with EPERM. Same command, same kernel interface.
 */
static int apparmor_change_onexec(const char *profile)
{
	static const char *const attrs[] = {"/proc/thread-self/attr/apparmor/exec",
					    "/proc/thread-self/attr/exec"};
	char command[512];
	int len = snprintf(command, sizeof(command), "exec %s", profile);
	if (len < 0 || (size_t)len >= sizeof(command)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		int fd = open(attrs[i], O_WRONLY | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT)
			continue; /* kernels before 5.8 have only attr/exec */
		if (fd < 0)
			return -1;
		ssize_t n = write(fd, command, (size_t)len);
		int saved = errno;
		close(fd);
		errno = saved;
		return n == len ? 0 : -1;
	}
	return -1;
}

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
		if (apparmor_change_onexec(label_or_profile) < 0)
			return -1;
		return MAC_LABEL_SET;
	}
	/* Neither LSM is loaded (the development machines): the caller records
	 * the label as "not enforced"; --require-mac turns that into an error. */
	return MAC_NOT_ENFORCED;
}

int mac_vmm_socketpair(const char *vm_context, int type, int fds[2])
{
	bool labelled = vm_context && vm_context[0] && is_selinux_enabled() > 0;
	/* setsockcreatecon() takes a non-const char * in older libselinux. */
	if (labelled && setsockcreatecon((char *)vm_context) < 0)
		return -1;
	int rc = socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, fds);
	int saved = errno;
	if (labelled && setsockcreatecon(NULL) < 0 && rc == 0) {
		saved = errno;
		close(fds[0]);
		close(fds[1]);
		rc = -1;
	}
	errno = saved;
	return rc;
}

int mac_vmm_channel(const char *vm_context, int fds[2])
{
	if (vm_context == NULL || vm_context[0] == '\0' || is_selinux_enabled() <= 0)
		return pipe2(fds, O_CLOEXEC);
	if (mac_vmm_socketpair(vm_context, SOCK_STREAM, fds) < 0)
		return -1;
	/* One way, like the pipe it stands for. */
	shutdown(fds[0], SHUT_WR);
	shutdown(fds[1], SHUT_RD);
	return 0;
}

int mac_vmm_file_context(const char *vm_context, char *out, size_t size)
{
	/* user:role:type:LEVEL; the level may itself hold ':' (s0:c1,c2). */
	const char *level = vm_context;
	for (int i = 0; i < 3 && level; i++) {
		level = strchr(level, ':');
		if (level)
			level++;
	}
	size_t user_len = strcspn(vm_context, ":");
	int len = level && *level && user_len
		      ? snprintf(out, size, "%.*s:object_r:%s:%s", (int)user_len, vm_context,
				 MAC_VMM_TMPFS_TYPE, level)
		      : -1;
	if (len < 0 || (size_t)len >= size) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int mac_vmm_label_memfd(const char *vm_context, int fd)
{
	char context[512];
	if (vm_context == NULL || vm_context[0] == '\0' || is_selinux_enabled() <= 0)
		return 0;
	if (mac_vmm_file_context(vm_context, context, sizeof(context)) < 0)
		return -1;
	/* A memfd's inode is labelled by type transition from its creator,
	 * never from setfscreatecon(): relabelled after the fact instead. */
	return fsetfilecon(fd, context);
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
