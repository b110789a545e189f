/* Confinement of the VMM, VMM side: what the confined VMM applies to itself after fexecve (sandbox.c is the supervisor's side). */
#include "sandbox.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "landlock.h"
#include "util.h"

void sandbox_enter_vmm(unsigned layers, const struct landlock_tree *trees, unsigned count,
		       struct sandbox_vmm_report *report)
{
	struct sandbox_vmm_report local = {0};
	if (report == NULL)
		report = &local;
	memset(report, 0, sizeof(*report));
	/* execve made us dumpable again. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		die_errno("prctl(PR_SET_DUMPABLE, 0)");
	/* execve cleared the parent-death signal where the MAC label changed
	 * (an SELinux transition or AppArmor profile change makes the exec
	 * AT_SECURE): arm it again so the VMM still dies with its supervisor. */
	if ((layers & SANDBOX_PDEATHSIG) && prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		die_errno("prctl(PR_SET_PDEATHSIG, SIGKILL)");
	/* no_new_privs before Landlock (which requires it without
	 * CAP_SYS_ADMIN) and after the exec label took effect at exec. */
	if (layers & SANDBOX_NO_NEW_PRIVS) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			die_errno("prctl(PR_SET_NO_NEW_PRIVS, 1)");
		report->no_new_privs = true;
	}
	if (layers & SANDBOX_LANDLOCK) {
		int abi = 0;
		int status = landlock_restrict_everything(&abi, trees, count);
		if (status < 0)
			die_errno("landlock_restrict_everything()");
		if (status == LANDLOCK_ABSENT) {
			warn_msg("landlock: not available in this kernel: layer not applied");
		} else {
			report->landlock = true;
			report->landlock_abi = abi;
		}
	}
}

int sandbox_seal_fds(unsigned layers, unsigned spare)
{
	if (!(layers & SANDBOX_FD_SEAL))
		return -1;
	/* The lowest free fd is where the next new fd would go; with the
	 * limit there, every fd-creating call fails with EMFILE. */
	int lowest = 0;
	while (fcntl(lowest, F_GETFD) >= 0)
		lowest++;
	int limit = lowest + (int)spare;
	struct rlimit lim = {.rlim_cur = (rlim_t)limit, .rlim_max = (rlim_t)limit};
	if (setrlimit(RLIMIT_NOFILE, &lim) < 0)
		die_errno("setrlimit(RLIMIT_NOFILE, %d)", limit);
	return limit;
}
