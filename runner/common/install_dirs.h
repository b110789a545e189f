/* Where lockvm's own parts are: directories compiled in, never found relative to argv[0]. */
#ifndef LOCKVM_INSTALL_DIRS_H
#define LOCKVM_INSTALL_DIRS_H

/* The build compiles install_dirs.c twice (docs/ARCHITECTURE.md, "Where
 * lockvm finds its parts"): with the build tree's directories for build/,
 * and with PREFIX's for `make install` and the Debian package. These
 * defaults are the installed layout, for a compiler that was given none. */
#ifndef LOCKVM_VMM_DIR
#define LOCKVM_VMM_DIR "/usr/libexec/lockvm"
#endif
#ifndef LOCKVM_BIN_DIR
#define LOCKVM_BIN_DIR "/usr/bin"
#endif
#ifndef LOCKVM_SECCOMP_DIR
#define LOCKVM_SECCOMP_DIR "/usr/share/lockvm/seccomp"
#endif
#ifndef LOCKVM_SELINUX_ALLOW_DIR
#define LOCKVM_SELINUX_ALLOW_DIR "/usr/share/lockvm/selinux"
#endif

/* The VMM binary: $LOCKVM_VMM when set and non-empty, else
 * LOCKVM_VMM_DIR/lockvm-vmm. A static string; never NULL. */
const char *install_vmm_binary(void);

/* The lockvm program lockvm-oci runs: $LOCKVM_BIN when set and non-empty,
 * else LOCKVM_BIN_DIR/lockvm. Never NULL. */
const char *install_lockvm_binary(void);

/* The shipped seccomp policies' directory: $LOCKVM_POLICY_DIR when set and
 * non-empty, else LOCKVM_SECCOMP_DIR. Never NULL. */
const char *install_seccomp_dir(void);

/* The SELinux allowlists `lockvm audit selinux` checks against
 * (LOCKVM_SELINUX_ALLOW_DIR; --allowlist-dir overrides it). */
const char *install_selinux_allow_dir(void);

#endif
