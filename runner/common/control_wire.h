/* The control wire format between supervisor and VMM (save, migrate): one fixed-size, magic-checked message, with an fd passed along. */
#ifndef LOCKVM_CONTROL_WIRE_H
#define LOCKVM_CONTROL_WIRE_H

#include <stddef.h>
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
	/* `lockvm exec`: a new process in a running --linux VM. The request
	 * carries a payload (control_exec_encode) and its stdio fds (three,
	 * or one terminal); the VMM answers EXEC_STARTED (pid, or status 125
	 * and text), later EXEC_EXITED (wstatus). id names the process. */
	CONTROL_EXEC = 6,
	CONTROL_EXEC_KILL = 7, /* client to VMM: signal `wstatus` to process id */
	CONTROL_EXEC_STARTED = 8,
	CONTROL_EXEC_EXITED = 9,
};
#define CONTROL_KEEP_RUNNING 1u /* save: resume afterwards */
#define CONTROL_KEYED	     2u /* key[] holds the derived --key */
#define CONTROL_PAUSED	     4u /* progress: the VM's vCPUs are paused from here (the events' "paused") */

/* The disk counters of a CONTROL_STATS reply, by index. */
enum {
	CONTROL_DISK_READS,
	CONTROL_DISK_WRITES,
	CONTROL_DISK_READ_BYTES,
	CONTROL_DISK_WRITTEN_BYTES,
	CONTROL_DISK_COUNTERS
};

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
	/* CONTROL_STATS reply: the disks' requests served, all disks together
	 * (CONTROL_DISK_READS...). */
	uint64_t disk[CONTROL_DISK_COUNTERS];
	char text[384]; /* reply: what failed, one line */
	/* CONTROL_EXEC*: the process's id (given by the supervisor), its pid
	 * in the VM, its wait status (or the signal of EXEC_KILL), and the
	 * payload bytes that follow this struct in the same record. */
	uint32_t id, payload_len;
	int32_t pid, wstatus;
};

/* The exec request's payload: a fixed head, then NUL-terminated strings,
 * cwd first, then argv, then env, filling it exactly. Bounds: */
#define CONTROL_EXEC_PAYLOAD_MAX (64u << 10)
#define CONTROL_EXEC_MAX_ARGS	 64 /* LOCKVM_MAX_ARGS, as `lockvm run` */
#define CONTROL_EXEC_MAX_ENV	 32 /* LINUX_MAX_ENV */
#define CONTROL_EXEC_MAX_GROUPS	 32 /* IDENT_MAX_GROUPS */
#define CONTROL_EXEC_PATH_MAX	 4096
#define CONTROL_EXEC_MAX_FDS	 3
#define CONTROL_EXEC_TTY	 1u /* one fd, a terminal: the process's 0, 1 and 2 */
/* Exec'd processes a VM runs at once: the VMM keeps this many times
 * CONTROL_EXEC_MAX_FDS free fd slots under its sealed table for them. */
#define CONTROL_EXEC_SLOTS 4
struct control_exec_head {
	uint32_t argc, envc, uid, gid, ngroups, flags;
	uint32_t groups[CONTROL_EXEC_MAX_GROUPS];
};
/* A decoded request; the strings point into the payload it came from. */
struct control_exec {
	uint32_t argc, envc, uid, gid, ngroups, flags;
	uint32_t groups[CONTROL_EXEC_MAX_GROUPS];
	const char *cwd;
	const char *argv[CONTROL_EXEC_MAX_ARGS + 1]; /* NULL-terminated */
	const char *env[CONTROL_EXEC_MAX_ENV + 1];
};
/* Encodes e into buf[0, cap) and checks the result with the decoder's own
 * rules. Returns the length, or -1 with a one-line reason in err. */
long control_exec_encode(const struct control_exec *e, void *buf, size_t cap, char *err,
			 size_t errlen);
/* Checks payload[0, len) whole (counts, every string NUL-terminated inside
 * it, an absolute cwd, NAME=VALUE env, no byte left over) and fills *e.
 * 0, or -1 with a one-line reason in err. Untrusted input: the VMM calls
 * it again on what the supervisor already checked. */
int control_exec_decode(const void *payload, size_t len, struct control_exec *e, char *err,
			size_t errlen);

/* Sends m with fd attached (-1: none). 0 or -1 with errno. */
int control_send(int sock, const struct control_msg *m, int fd);
/* Sends m without blocking and without an fd: a progress message is
 * dropped (-1, EAGAIN) rather than stall a transfer on a slow reader. */
int control_send_nowait(int sock, const struct control_msg *m);
/* Receives one message and an attached fd (*fd = -1 if none); a message
 * of the wrong size or magic, or with more than one fd, is refused (EPROTO)
 * and the fds it carried closed. 0, 1 at EOF, or -1 with errno. */
int control_recv(int sock, struct control_msg *m, int *fd);
/* control_send with payload[0, m->payload_len) after m and nfds fds. */
int control_send_ex(int sock, const struct control_msg *m, const void *payload, const int *fds,
		    unsigned nfds);
/* control_recv for records that may carry a payload (at most cap bytes,
 * m->payload_len says how many came) and up to max_fds fds (*nfds of them,
 * CONTROL_EXEC_MAX_FDS at most). On EPROTO *m holds the header when one
 * arrived whole (magic checked), so that the refusal can name its id. */
int control_recv_ex(int sock, struct control_msg *m, void *payload, size_t cap, int *fds,
		    unsigned max_fds, unsigned *nfds);

#endif
