/* Where lockvm's own parts are: compiled-in directories, each overridable by its environment variable. */
#include "install_dirs.h"

#include <stdlib.h>

const char *install_vmm_binary(void)
{
	const char *env = getenv("LOCKVM_VMM");
	return env && *env ? env : LOCKVM_VMM_DIR "/lockvm-vmm";
}

const char *install_lockvm_binary(void)
{
	const char *env = getenv("LOCKVM_BIN");
	return env && *env ? env : LOCKVM_BIN_DIR "/lockvm";
}

const char *install_seccomp_dir(void)
{
	const char *env = getenv("LOCKVM_POLICY_DIR");
	return env && *env ? env : LOCKVM_SECCOMP_DIR;
}

const char *install_selinux_allow_dir(void)
{
	return LOCKVM_SELINUX_ALLOW_DIR;
}
