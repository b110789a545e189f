/* The confinement sequence as data: every layer in the order it is applied, where, and the test that shows it; docs/ARCHITECTURE.md's table is checked against it (test_confine_units.c). */
#include "sandbox.h"

#include "util.h"

/* Keep in step with sandbox_enter_child() (steps 1-14), sandbox_enter_vmm()
 * and vmm_main() (15-20): the step numbers are the comments' numbers there. */
static const struct sandbox_step sandbox_steps[] = {
    {1, SANDBOX_CGROUP, "cgroup joined", "confine/sandbox.c", "run_confined.sh"},
    {2, SANDBOX_NAMESPACES, "namespaces", "confine/sandbox.c", "confine.sh"},
    {3, SANDBOX_MAC, "exec label", "confine/sandbox.c", "make e2e"},
    {4, SANDBOX_PIVOT_ROOT, "empty read-only root", "confine/sandbox.c", "confine.sh"},
    {5, SANDBOX_RLIMITS, "rlimits", "confine/sandbox.c", "confine.sh"},
    {6, SANDBOX_CLOSE_FDS | SANDBOX_CLEAR_ENV, "fds closed, environment cleared",
     "confine/sandbox.c", "run_confined.sh"},
    {7, SANDBOX_UID, "per-VM uid/gid", "confine/sandbox.c", "run_confined.sh"},
    {8, SANDBOX_KEYRING, "fresh session keyring", "confine/sandbox.c", "confine.sh"},
    {9, SANDBOX_USERNS, "user ns without a uid map", "confine/sandbox.c", "confine.sh"},
    {10, SANDBOX_CHROOT, "chroot into an empty directory", "confine/sandbox.c", "confine.sh"},
    {11, SANDBOX_CAPS, "capabilities cleared", "confine/sandbox.c", "run_confined.sh"},
    {12, SANDBOX_PDEATHSIG, "parent-death signal", "confine/sandbox.c", "run_confined.sh"},
    {13, 0, "not dumpable", "confine/sandbox.c", "confine.sh"},
    {14, 0, "fexecve of the VMM", "confine/sandbox.c", "make e2e"},
    {15, SANDBOX_NO_NEW_PRIVS, "no_new_privs", "confine/sandbox_vmm.c", "run_confined.sh"},
    {16, SANDBOX_LANDLOCK, "Landlock", "confine/sandbox_vmm.c", "confine.sh"},
    {17, SANDBOX_SECCOMP, "setup-phase seccomp filter", "vmm/vmm.c", "snapshot.sh"},
    {18, SANDBOX_FD_SEAL, "fd table sealed", "confine/sandbox_vmm.c", "confine.sh"},
    {19, SANDBOX_SECCOMP, "per-thread seccomp, vCPU threads", "vmm/vcpu.c", "run_confined.sh"},
    {20, SANDBOX_SECCOMP, "seccomp, main thread", "vmm/vmm.c", "run_confined.sh"},
};

const struct sandbox_step *sandbox_sequence(size_t *count)
{
	*count = ARRAY_SIZE(sandbox_steps);
	return sandbox_steps;
}
