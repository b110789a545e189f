/* From a checked bundle to the container's first process: the lockvm run command line, the console, the init waiting for start. */
#ifndef LOCKVM_OCI_LAUNCH_H
#define LOCKVM_OCI_LAUNCH_H

#include <sys/types.h>

#include "oci_bundle.h"

#define OCI_LOCKVM_ARGV_MAX                                                                        \
	(OCI_MAX_ARGS +                                                                            \
	 2 * (OCI_MAX_ENV + IDENT_MAX_GROUPS + IDENT_RLIMITS + OCI_MAX_VOLUMES + OCI_MAX_TMPFS) +  \
	 60)

struct oci_launch {
	const char *argv[OCI_LOCKVM_ARGV_MAX]; /* lockvm run ... */
	const char *envp[4];
	char lockvm[4096]; /* the lockvm binary (install_dirs.h) */
	char mem_limit[32], cpus[32], cpu_shares[24], pids[24], root_env[4200];
	char net[OCI_NETNS_PATH_MAX + 16]; /* netns=PATH,adopt */
	char dns[16];			   /* the engine's first name server */
	char user[32], groups[IDENT_MAX_GROUPS][16], rlimits[IDENT_RLIMITS][64];
	char volumes[OCI_MAX_VOLUMES][2 * OCI_MAX_STRING + 4]; /* --volume SRC:DEST[:ro] */
	char tmpfs[OCI_MAX_TMPFS][OCI_MAX_STRING + 32];	       /* --tmpfs DEST[:size=N] */
	char label[OCI_MAX_STRING + 256]; /* --label: the engine's level in lockvm's VM type */
};

/* The registry name of container `id`: the id itself when lockvm takes it
 * as a name, else "oci-" and a hash of it. */
void oci_vm_name(const char *id, char *out, size_t len);

/*
 * Fills l with `lockvm run --name NAME --linux --fs ROOT [--env ...]
 * [--workdir ...] [--hostname ...] [--user ...] [--group-add ...]
 * [--net netns=PATH,adopt [--dns ADDR]] [--rlimit ...] [--volume ...] [--mem-limit ...] [--cpus ...] [--cpu-shares ...] [--label ...] [--mem ...] [--seccomp ...]
 * [--vcpus ...] [--pids ...]
 * ARGS[0] -- ARGS`: lockvm run finds args[0] inside the root, as the
 * container would. 0, or -1 with err.
 */
int oci_launch_prepare(const struct oci_bundle *b, const char *name, struct oci_launch *l,
		       char *err, size_t errlen);

/* With a terminal: a new pty whose master goes to the engine through
 * console_socket (SCM_RIGHTS); returns the slave's fd, or -1 with err. */
int oci_console_open(const struct oci_config *c, const char *console_socket, char *err,
		     size_t errlen);

/*
 * Forks the container's init: it takes console_fd (>= 0) as its terminal,
 * blocks opening DIR/exec.fifo until `start` reads it, runs the
 * startContainer hooks (hook_state on their stdin) and becomes `lockvm run` (the supervisor: the
 * container's pid). Returns its pid, or -1 with err.
 */
pid_t oci_init_spawn(const struct oci_bundle *b, const struct oci_launch *l, const char *dir,
		     int console_fd, const char *hook_state, char *err, size_t errlen);

#endif
