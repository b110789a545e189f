/* --record FILE.json: what a --linux job touched (paths with their operations, the SHA-256 of what it read from the host's trees) and every process it ran, kept in the VMM within fixed bounds and written in record_wire.h's binary form when the VM ends (linux_record.c); the supervisor makes the JSON. */
#ifndef LOCKVM_LINUX_RECORD_H
#define LOCKVM_LINUX_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "launch.h"
#include "record_wire.h"

/* Bounds: past either the record says "truncated": true and keeps what it
 * has; the job goes on. Together at most about 24 MiB of the VMM's memory
 * (LINUX_RECORD_MAX_BYTES), however many paths the job touches. */
#define LINUX_RECORD_MAX_PATHS	   RECORD_WIRE_MAX_PATHS
#define LINUX_RECORD_MAX_PROCESSES RECORD_WIRE_MAX_PROCESSES
#define LINUX_RECORD_MAX_RENAMES   RECORD_WIRE_MAX_RENAMES
#define LINUX_RECORD_MAX_STRINGS   RECORD_WIRE_MAX_STRINGS /* bytes of path and argv text */
#define LINUX_RECORD_MAX_ARGV	   RECORD_WIRE_ARGV_MAX	   /* bytes of one process's argv kept */
#define LINUX_RECORD_MAX_BYTES	   LAUNCH_RECORD_MEMORY
/* Bytes of the binary record at most: processes past it are left out,
 * and the record says so. */
#define LINUX_RECORD_MAX_OUTPUT LAUNCH_RECORD_MAX_OUTPUT

/* What a job did to a path (bits of a path's ops; record_wire.h's). */
enum linux_record_op {
	LINUX_RECORD_READ = RECORD_OP_READ,
	LINUX_RECORD_WRITE = RECORD_OP_WRITE,
	LINUX_RECORD_CREATE = RECORD_OP_CREATE,
	LINUX_RECORD_DELETE = RECORD_OP_DELETE,
	LINUX_RECORD_RENAME_FROM = RECORD_OP_RENAME_FROM,
	LINUX_RECORD_RENAME_TO = RECORD_OP_RENAME_TO,
	LINUX_RECORD_EXEC = RECORD_OP_EXEC,
	LINUX_RECORD_STAT = RECORD_OP_STAT,
	LINUX_RECORD_ABSENT = RECORD_OP_ABSENT,
};

struct linux_proc;
struct linux_node;
struct linux_task;
struct linux_exec_args;

/* Sets up the record when cfg.record_fd is open: 0, or -1 with err. */
int linux_record_init(struct linux_proc *proc, char *err, size_t errlen);
/* An open of node succeeded (flags: the guest's open flags; created: this
 * open made it; host_fd: the host file it read, or -1): read from a host
 * tree, the file is hashed once, now, through host_fd. An O_PATH open
 * reads nothing: LINUX_RECORD_STAT. */
void linux_record_open(struct linux_proc *proc, struct linux_node *node, unsigned flags,
		       bool created, int host_fd);
/* A call looked at node without reading its content (stat family, access,
 * readlink): records op (LINUX_RECORD_STAT) on its path. */
void linux_record_node(struct linux_proc *proc, const struct linux_node *node, unsigned op);
/* A call that names dir's entry `name` returned rc: on success records op
 * (LINUX_RECORD_CREATE, LINUX_RECORD_DELETE) on that path. Returns rc. */
long linux_record_name(struct linux_proc *proc, long rc, struct linux_node *dir, const char *name,
		       unsigned op);
/* rename(2) of odir/oname to ndir/nname returned rc: records both on success. Returns rc. */
long linux_record_rename(struct linux_proc *proc, long rc, struct linux_node *odir,
			 const char *oname, struct linux_node *ndir, const char *nname);
/* What an exec loaded besides the file it named: the program a `#!`
 * line named (program: NULL when the file was no script) and the dynamic
 * loader its PT_INTERP named (loader: NULL when none), each with its bytes. */
struct linux_record_loaded {
	const char *program, *loader;
	const uint8_t *program_file, *loader_file;
	uint64_t program_size, loader_size;
};
/* The running task exec'd filename (file[0, size) its content): the path
 * (hashed from file) and what else it loaded (executed, hashed), and a
 * process entry with its argv. */
void linux_record_exec(struct linux_proc *proc, const char *filename, const uint8_t *file,
		       uint64_t size, const struct linux_exec_args *args,
		       const struct linux_record_loaded *loaded);
/* A new process (not a thread) child: an entry with its parent's argv. */
void linux_record_fork(struct linux_proc *proc, const struct linux_task *child);
/* t's process ends with wait status wstatus: its status and CPU time. */
void linux_record_exit(struct linux_proc *proc, struct linux_task *t, int wstatus);
/* As the VM ends (the last vCPU thread out): writes the record
 * (record_wire.h) to cfg.record_fd, once, the processes still running with their CPU time so
 * far; closes the fd. No-op without --record. */
void linux_record_write(struct linux_proc *proc);
void linux_record_free(struct linux_proc *proc);
/* SHA-256 of data[0, len), fed in pieces of `piece` bytes (1 or more), as
 * the record hashes: the CPU's instructions where it has them. */
void linux_record_sha256(const uint8_t *data, size_t len, size_t piece, uint8_t out[32]);

#endif
