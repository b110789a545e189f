/* The control wire format between supervisor and VMM (save, migrate): one fixed-size, magic-checked message, with an fd passed along. */
#ifndef LOCKVM_CONTROL_WIRE_H
#define LOCKVM_CONTROL_WIRE_H

#include <stdint.h>

/* The stream key carried by CONTROL_KEYED messages (SNAPSHOT_KEY_SIZE,
 * checked where both are seen: migrate/snapshot.c). */
#define CONTROL_KEY_SIZE 32

/* The VMM's end of the control socketpair is moved to this fd number, so
 * that vmm.policy can name it in its recvmsg rule. */
#define VMM_CONTROL_FD 200

#define CONTROL_MAGIC 0x4c56434dU
enum control_op {
	CONTROL_SAVE = 1,    /* write the VM's state to the passed fd */
	CONTROL_MIGRATE = 2, /* live-migrate over the passed (connected) socket */
	CONTROL_REPLY = 3,
	CONTROL_PROGRESS = 4, /* VMM to supervisor (to client): how far a transfer is */
	CONTROL_STATS = 5,    /* the VMM's counters (`lockvm stats`); no fd */
};
#define CONTROL_KEEP_RUNNING 1u /* save: resume afterwards */
#define CONTROL_KEYED	     2u /* key[] holds the derived --key */

/* One message: fixed size, sent as one SOCK_SEQPACKET record. */
struct control_msg {
	uint32_t magic, op, flags;
	int32_t status; /* reply: 0, or lockvm's exit status */
	uint8_t key[CONTROL_KEY_SIZE];
	uint64_t total_ns, downtime_ns, bytes, iterations;
	/* progress: stream bytes expected (0: unknown), pages the last round
	 * found dirty and the rate they were dirtied at (bytes/s). Numbers
	 * from the VMM: the renderer (host/progress.c) bounds what it shows. */
	uint64_t expected, dirty_bytes, dirty_rate;
	/* CONTROL_STATS reply: every vCPU's exits and hypercalls (under
	 * --linux, each system call is one) and the VMM's monotonic clock. */
	uint64_t exits, hypercalls, clock_ns;
	char text[384]; /* reply: what failed, one line */
};

/* Sends m with fd attached (-1: none). 0 or -1 with errno. */
int control_send(int sock, const struct control_msg *m, int fd);
/* Sends m without blocking and without an fd: a progress message is
 * dropped (-1, EAGAIN) rather than stall a transfer on a slow reader. */
int control_send_nowait(int sock, const struct control_msg *m);
/* Receives one message and an attached fd (*fd = -1 if none); a message
 * of the wrong size or magic, or with more than one fd, is refused (EPROTO)
 * and the fds it carried closed. 0, 1 at EOF, or -1 with errno. */
int control_recv(int sock, struct control_msg *m, int *fd);

#endif
