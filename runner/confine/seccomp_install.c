/* The VMM side of seccomp: installs a BPF program handed over in a memfd
 * (made by seccomp_policy_export_fd on the host side). Plain seccomp(2):
 * no libseccomp, no policy parser or compiler. */
#include "seccomp_install.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int seccomp_policy_install_fd(int fd)
{
	/* On the stack so no allocator call runs after the filter is in place. */
	struct sock_filter insns[BPF_MAXINSNS];
	struct sock_fprog prog;
	struct stat st;
	size_t size, done = 0;

	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) {
		errno = EPERM;
		return -1;
	}
	if (fstat(fd, &st) < 0)
		return -1;
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size % sizeof(insns[0]) != 0 ||
	    (uint64_t)st.st_size > sizeof(insns)) {
		errno = EINVAL;
		return -1;
	}
	size = (size_t)st.st_size;
	while (done < size) {
		ssize_t n = pread(fd, (char *)insns + done, size - done, (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) { /* shrank under us: not a sealed export */
			errno = EINVAL;
			return -1;
		}
		done += (size_t)n;
	}
	prog.len = (unsigned short)(size / sizeof(insns[0]));
	prog.filter = insns;
	/* Flags 0: this thread only; each thread role installs its own filter. */
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}
