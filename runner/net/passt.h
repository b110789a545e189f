/* --net user: the VM's NIC on passt, a user-mode network helper in its own sandboxed process, and --publish's port forwards. */
#ifndef LOCKVM_PASST_H
#define LOCKVM_PASST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PASST_PATH	  "/usr/bin/passt" /* Debian's package passt */
#define PASST_PUBLISH_MAX 16		   /* --publish entries */

/* One --publish HOSTPORT:GUESTPORT[/tcp|udp]. */
struct passt_publish {
	uint16_t host_port, guest_port; /* 1-65535 */
	bool udp;			/* else TCP */
};

/*
 * Parses one --publish value: HOSTPORT:GUESTPORT, each 1-65535 in decimal,
 * then optionally /tcp (the default) or /udp. Returns 0, or -1 with a
 * one-line reason in err.
 */
int passt_publish_parse(const char *text, struct passt_publish *p, char *err, size_t errlen);

/* The passt a VM runs with: its pid, and the VMM's end of the stream. */
struct passt {
	pid_t pid;   /* -1: none */
	int vmm_end; /* the VMM's end of the stream socket, -1 once handed on */
};

/*
 * Starts passt in our network namespace (whatever `lockvm run` runs in) on
 * one end of a new stream socketpair, with the publish[count] forwards,
 * running as runas_uid:runas_gid (it drops to them itself and sandboxes
 * itself). Returns once passt has bound its ports and runs (it writes its
 * pid), or when it failed: then -1 with its own error line in err and
 * nothing left behind. On success p holds the pid and the other end of
 * the socket (blocking, close-on-exec), for the VMM.
 */
int passt_start(const struct passt_publish *publish, unsigned count, uid_t runas_uid,
		gid_t runas_gid, struct passt *p, char *err, size_t errlen);

/* Ends passt (SIGKILL) and reaps it, closes the VMM's end if still ours.
 * Returns the pid it reaped, or -1 when there was none. Safe to repeat;
 * p->pid is -1 afterwards. */
pid_t passt_stop(struct passt *p);

#endif
