/* Per-VM AppArmor profiles lockvm-<uuid>: path validation, generation from the template, load and removal. */
#ifndef LOCKVM_APPARMOR_PROFILE_H
#define LOCKVM_APPARMOR_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

/* Longest path apparmor_path_validate() accepts, and longest component. */
#define APPARMOR_PATH_MAX 4095
#define APPARMOR_NAME_MAX 255
/* "lockvm-" + a 36-character uuid + NUL. */
#define APPARMOR_PROFILE_NAME_SIZE 44

/* Return value of load/remove when AppArmor is not enabled on this host. */
#define APPARMOR_NOT_ENFORCED 1

/* One file the VM may use: a disk image, or the guest ELF (read-only); or,
 * with tree, a directory and everything beneath it: a --linux tree the
 * sandbox attached at that path in the VMM's mount ns (sandbox.h). */
struct apparmor_disk {
	const char *path; /* absolute, canonical: the real path (realpath()) */
	bool readonly;
	bool tree; /* the directory and all beneath: read (readonly), else rwkl */
};

/* The shipped template (profiles/lockvm-vm.template), byte for byte; a test
 * keeps the two identical. */
extern const char apparmor_profile_template[];

/*
 * Checks one path the way libvirt's virt-aa-helper does, before it goes
 * into a profile: absolute, canonical (no "//", "/./", "/../", no trailing
 * "/", "/." or "/.."), at most APPARMOR_PATH_MAX bytes and
 * APPARMOR_NAME_MAX per component, no quotes, backslashes, globbing or
 * variable characters (* ? [ ] { } ^ @ #), no control characters or
 * newlines, and never under a host directory (/etc, /bin, /sbin, /lib*,
 * /usr, /proc, /sys, /boot, /root, /run, /var/run, /var/lib/dpkg,
 * /var/lib/apt, /var/lib/apparmor, /var/cache/apparmor, /var/log/lockvm,
 * /snap, /selinux, /dev except block devices: /dev/sdX, vdX, xvdX,
 * nvmeXnY[pZ], loopN, dm-N, zdN, /dev/mapper/NAME). Purely lexical: the
 * caller passes the real path. Returns 0, or -1 with a one-line reason
 * naming the path in err.
 */
int apparmor_path_validate(const char *path, char *err, size_t errlen);

/* Checks that uuid is a canonical lowercase 8-4-4-4-12 hex uuid and writes
 * "lockvm-<uuid>" into name (APPARMOR_PROFILE_NAME_SIZE bytes). 0 or -1. */
int apparmor_profile_name(const char *uuid, char *name, size_t namelen, char *err, size_t errlen);

/*
 * Writes the profile lockvm-<uuid> into out (outlen bytes, NUL-terminated):
 * the template with one rule per entry of disks[0..n): read-write
 * `"PATH" rwk,`, read-only `"PATH" rk,` plus `deny "PATH" w,`. Every path
 * goes through apparmor_path_validate(); a path that exists must be its own
 * real path (no symlink components); a path listed twice is refused.
 * Touches nothing else. Returns the profile length, or -1 with the reason
 * in err (bad uuid or path, or out too small).
 */
int apparmor_profile_generate(const char *uuid, const struct apparmor_disk *disks, size_t n,
			      char *out, size_t outlen, char *err, size_t errlen);

/*
 * Loads (or replaces) a profile from its text with `apparmor_parser -r`,
 * run by fork+exec with an empty environment and only stdin/stdout/stderr
 * open. Needs root (CAP_MAC_ADMIN) and the abstraction lockvm-vm installed
 * under /etc/apparmor.d. Returns 0 when loaded, APPARMOR_NOT_ENFORCED (with
 * "not enforced" in err) when AppArmor is not enabled here, -1 on failure
 * with the parser's first error line in err.
 */
int apparmor_profile_load(const char *profile_text, char *err, size_t errlen);

/*
 * Removes the loaded profile `name` ("lockvm-<uuid>" only) through the
 * kernel interface (.remove in apparmorfs). Returns 0, APPARMOR_NOT_ENFORCED
 * when AppArmor is not enabled, -1 on failure (err says why).
 */
int apparmor_profile_remove(const char *name, char *err, size_t errlen);

#endif
