/* The control path of a running VM: `lockvm save|migrate` → supervisor (unix socket vms/NAME/control) → VMM (socketpair), with the stream fd passed along. */
#ifndef LOCKVM_CONTROL_H
#define LOCKVM_CONTROL_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>

#include "snapshot.h"

#include "control_wire.h"

struct reg_vm;

/* Supervisor side (run_launch.c, run_supervise.c). Listens on vms/NAME/control (root, 0600);
 * returns the listening fd or -1 with a warning. */
int control_listen(const char *name);
/*
 * The relay: one request at a time from a client on `listen_fd` to the
 * VMM's control socket and the reply back. Call control_poll() with the
 * poll revents of listen_fd and vmm_fd; it never blocks for long.
 */
struct control_relay {
	int listen_fd, vmm_fd;
	int client;	   /* waiting for the VMM's reply, -1 when idle */
	struct reg_vm *vm; /* its state is "saving" or "migrating" while a request runs */
	bool stats;	   /* the request running is CONTROL_STATS: no state change */
	/* `lockvm exec` clients, each until its process exits: the VMM's
	 * messages for id go to fd; -1 when free. */
	struct control_exec_client {
		int fd;
		uint32_t id;
	} execs[CONTROL_EXEC_SLOTS];
	uint32_t next_exec_id;
};
void control_relay_init(struct control_relay *r, int listen_fd, int vmm_fd, struct reg_vm *vm);
/* The VMM's end of the control socketpair, once the VMM is spawned (the
 * relay listens from the registry claim on). */
void control_relay_attach(struct control_relay *r, int vmm_fd);
void control_relay_poll(struct control_relay *r, short listen_events, short vmm_events);
/* The exec clients' fds for poll (-1 where free), CONTROL_EXEC_SLOTS of
 * them, and their revents back: a signal to forward, or a client gone
 * (its process is killed). */
void control_relay_exec_fds(const struct control_relay *r, struct pollfd *fds);
void control_relay_exec_poll(struct control_relay *r, const struct pollfd *fds);
/* The VMM is gone: a waiting client hears so; the socket is removed. */
void control_relay_close(struct control_relay *r, const char *name);

/* A connected socket to vms/NAME/control, or -1 with errno. */
int control_connect(const char *name);
/* `lockvm save` and `lockvm migrate` (cli.c). */
int cmd_save(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
/* `lockvm exec` (exec_cmd.c). */
int cmd_exec(int argc, char **argv);
/* `lockvm stats`: the VMM's exit, hypercall and disk counters and its
 * clock, asked through the supervisor (CONTROL_STATS), in out. 0, or -1
 * when the VM does not answer within 2 s (gone, busy with a save). */
int control_stats(const char *name, struct control_msg *out);
/* Reads a --key file (16 to 4096 bytes) and derives the stream key; dies
 * with one line on a bad file. */
void control_read_key(const char *path, uint8_t key[SNAPSHOT_KEY_SIZE]);

#endif
