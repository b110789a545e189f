/* An engine's AppArmor profile stacked on a VM's own lockvm-<uuid>: name check, loaded check, the stacked label. */
#ifndef LOCKVM_APPARMOR_STACK_H
#define LOCKVM_APPARMOR_STACK_H

#include <stdbool.h>
#include <stddef.h>

/* Longest engine profile name taken (podman's containers-default-0.57.4,
 * containerd's cri-containerd.apparmor.d, a pod's localhost profile). */
#define APPARMOR_STACK_NAME_MAX 128
/* lockvm-<uuid> "//&" NAME and a NUL. */
#define APPARMOR_STACK_LABEL_SIZE (44 + 3 + APPARMOR_STACK_NAME_MAX)

/*
 * Checks an engine's profile name (untrusted: it comes from a bundle's
 * config.json) before it goes into a label: 1 to APPARMOR_STACK_NAME_MAX
 * bytes of letters, digits and . _ - + @, starting with a letter or digit;
 * never a name of lockvm's own (lockvm, lockvm-*), never "unconfined"
 * (the caller takes that as "no profile" before asking). So no namespace
 * (:ns:), hat or child (//), stack (&), glob or space can be smuggled in.
 * Returns 0, or -1 with a one-line reason in err.
 */
int apparmor_stack_name_check(const char *name, char *err, size_t errlen);

/*
 * Whether the profile `name` is in `profiles`, the text of apparmorfs's
 * profiles file (one "NAME (MODE)" a line). Pure, for tests.
 */
bool apparmor_stack_listed(const char *profiles, const char *name);

/*
 * Whether the profile `name` is loaded: 1 yes, 0 no, -1 when the kernel's
 * list cannot be read (errno set). Reads
 * /sys/kernel/security/apparmor/profiles.
 */
int apparmor_stack_loaded(const char *name);

/*
 * Asks the kernel (aa_query_label) whether the loaded profile `engine`
 * lets lockvm run a VM under it, stacked on `vm_profile`: signals from the
 * supervisor (profile "lockvm": SIGINT, SIGTERM, SIGUSR2 to stop it,
 * SIGKILL, also its death signal) received, and the VMM's vCPU kick
 * (SIGUSR1) sent and received among its own threads, whose label is the
 * stack. A stack refused them (podman's stock containers-default takes
 * signals from runc and crun only) would leave a VM no one can stop, not
 * even by killing its supervisor. Returns 1 when all are allowed, 0 when
 * one is not (why names it), -1 when the kernel cannot be asked (errno).
 */
int apparmor_stack_allows_lockvm(const char *engine, const char *vm_profile, char *why,
				 size_t whylen);

/*
 * Writes the label a VMM runs under when `engine` is stacked on its own
 * profile `vm_profile` (lockvm-<uuid>): the two joined by "//&" in the
 * order the kernel keeps and shows a stack (byte order of the names), so
 * the text equals /proc/PID/attr/current without its mode. Both names must
 * have passed their checks. 0, or -1 (ENAMETOOLONG) when out is too small.
 */
int apparmor_stack_label(const char *vm_profile, const char *engine, char *out, size_t size);

#endif
