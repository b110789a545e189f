/* The control path of a running VM: `lockvm save|migrate` → supervisor (unix socket vms/NAME/control) → VMM (socketpair), with the stream fd passed along. */
#ifndef LOCKVM_CONTROL_H
#define LOCKVM_CONTROL_H

#include <stdbool.h>
#include <stdint.h>

#include "snapshot.h"

/* The VMM's end of the control socketpair is moved to this fd number, so
 * that vmm.policy can name it in its recvmsg rule. */
#define VMM_CONTROL_FD 200

#define CONTROL_MAGIC 0x4c56434dU
enum control_op {
	CONTROL_SAVE = 1,    /* write the VM's state to the passed fd */
	CONTROL_MIGRATE = 2, /* live-migrate over the passed (connected) socket */
	CONTROL_REPLY = 3,
};
#define CONTROL_KEEP_RUNNING 1u /* save: resume afterwards */
#define CONTROL_KEYED	     2u /* key[] holds the derived --key */

/* One message: fixed size, sent as one SOCK_SEQPACKET record. */
struct control_msg {
	uint32_t magic, op, flags;
	int32_t status; /* reply: 0, or lockvm's exit status */
	uint8_t key[SNAPSHOT_KEY_SIZE];
	uint64_t total_ns, downtime_ns, bytes, iterations;
	char text[384]; /* reply: what failed, one line */
};

/* Sends m with fd attached (-1: none). 0 or -1 with errno. */
int control_send(int sock, const struct control_msg *m, int fd);
/* Receives one message and an attached fd (*fd = -1 if none); a message
 * of the wrong size or magic is refused. 0, 1 at EOF, or -1 with errno. */
int control_recv(int sock, struct control_msg *m, int *fd);

/* Supervisor side (run.c). Listens on vms/NAME/control (root, 0600);
 * returns the listening fd or -1 with a warning. */
int control_listen(const char *name);
/*
 * The relay: one request at a time from a client on `listen_fd` to the
 * VMM's control socket and the reply back. Call control_poll() with the
 * poll revents of listen_fd and vmm_fd; it never blocks for long.
 */
struct control_relay {
	int listen_fd, vmm_fd;
	int client; /* waiting for the VMM's reply, -1 when idle */
};
void control_relay_init(struct control_relay *r, int listen_fd, int vmm_fd);
void control_relay_poll(struct control_relay *r, short listen_events, short vmm_events);
/* The VMM is gone: a waiting client hears so; the socket is removed. */
void control_relay_close(struct control_relay *r, const char *name);

/* `lockvm save` and `lockvm migrate` (cli.c). */
int cmd_save(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
/* Reads a --key file (16 to 4096 bytes) and derives the stream key; dies
 * with one line on a bad file. */
void control_read_key(const char *path, uint8_t key[SNAPSHOT_KEY_SIZE]);

#endif
