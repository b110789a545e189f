/* Where lockvm keeps things: every path hangs off one root (--root, LOCKVM_ROOT, default /). */
#ifndef LOCKVM_PATHS_H
#define LOCKVM_PATHS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

/* Directories under the root (docs/ARCHITECTURE.md, "Directories"). */
#define PATHS_CONF_DIR "etc/lockvm"	       /* lockvm.conf */
#define PATHS_DEFS_DIR "etc/lockvm/vms"	       /* NAME.conf definitions */
#define PATHS_POOL_DIR "var/lib/lockvm/images" /* the default storage pool */
#define PATHS_LOG_DIR  "var/log/lockvm"	       /* NAME.log */
#define PATHS_RUN_DIR  "run/lockvm"	       /* registry and leases */
#define PATHS_VMS_DIR  "run/lockvm/vms"	       /* NAME/ per live VM */
#define PATHS_BPF_DIR  "run/lockvm/seccomp"    /* compiled filters (seccomp_cache.h) */
#define PATHS_NAME_MAX 64

/* The root every path hangs off: what --root or LOCKVM_ROOT says, else "/".
 * Never ends in '/' unless it is "/". */
const char *paths_root(void);

/* Sets the root (the global --root option); it must be an existing
 * directory. Returns 0, or -1 with a message in err. */
int paths_set_root(const char *dir, char *err, size_t errlen);

/* out = <root>/<rel>[/<leaf>] (leaf may be NULL). Returns 0, or -1 with
 * errno ENAMETOOLONG. */
int paths_join(char *out, size_t size, const char *rel, const char *leaf);

/* Creates <root>/<rel> and its missing parents (mode 0700 for run/, 0755
 * otherwise), refusing symlinks on the way. Returns 0 or -1 with errno. */
int paths_mkdir(const char *rel);

/* mkdir -p of <root>/<rel> for any root (NULL or "" meaning "/"): the part
 * below root only, each new directory with mode, no symlink followed. */
int paths_mkdir_below(const char *root, const char *rel, unsigned mode);

/* A VM, network or pool name: 1-64 of [A-Za-z0-9_.-], not starting with
 * '.' or '-'. On refusal, why says what is wrong ("empty", "too long" ...). */
bool paths_name_valid(const char *name, const char **why);

/* The valid names in <root>/<rel>, sorted: every entry, or with suffix
 * (".conf") only the entries ending in it, the suffix cut off. A missing
 * directory is an empty list. Returns 0, or -1 with errno; free the list
 * with paths_names_free(). */
int paths_names(const char *rel, const char *suffix, char ***names, size_t *n);
void paths_names_free(char **names, size_t n);

/* Writes len bytes to path atomically: a temporary file in the same
 * directory, fsync'd, then renamed over path. Mode applies to the new
 * file. Returns 0 or -1 with errno. */
int paths_write_atomic(const char *path, const void *data, size_t len, unsigned mode);

/* The same without fsync, for run-time state under run/ (tmpfs on real
 * hosts, and void after a reboot anyway): atomic, not durable. */
int paths_write_state(const char *path, const void *data, size_t len, unsigned mode);

/* Reads a whole small file (at most max bytes) into a NUL-terminated
 * malloc'd buffer. Returns it, or NULL with errno (EFBIG when larger). */
char *paths_read_file(const char *path, size_t max, size_t *len);

#endif
