/* --record FILE.json: what a --linux job touched (paths with their operations, the SHA-256 of what it read from the host's trees) and every process it ran, kept in the VMM within fixed bounds and written as JSON when the VM ends (linux_record.c). */
#ifndef LOCKVM_LINUX_RECORD_H
#define LOCKVM_LINUX_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "launch.h"

/* Bounds: past either the record says "truncated": true and keeps what it
 * has; the job goes on. Together at most about 24 MiB of the VMM's memory
 * (LINUX_RECORD_MAX_BYTES), however many paths the job touches. */
#define LINUX_RECORD_MAX_PATHS	   65536u
#define LINUX_RECORD_MAX_PROCESSES 16384u
#define LINUX_RECORD_MAX_RENAMES   16384u
#define LINUX_RECORD_MAX_STRINGS   (8u << 20) /* bytes of path and argv text */
#define LINUX_RECORD_MAX_ARGV	   4096u      /* bytes of one process's argv kept */
#define LINUX_RECORD_MAX_BYTES	   LAUNCH_RECORD_MEMORY
/* Bytes of JSON at most (a path of control bytes escapes to 8 times its
 * size): entries past it are left out, and the record says so. */
#define LINUX_RECORD_MAX_OUTPUT LAUNCH_RECORD_MAX_OUTPUT

/* What a job did to a path (bits of a path's ops). */
enum linux_record_op {
	LINUX_RECORD_READ = 1u << 0,	    /* opened for reading */
	LINUX_RECORD_WRITE = 1u << 1,	    /* opened for writing */
	LINUX_RECORD_CREATE = 1u << 2,	    /* made: open O_CREAT, mkdir, mknod, symlink, link */
	LINUX_RECORD_DELETE = 1u << 3,	    /* unlink, rmdir */
	LINUX_RECORD_RENAME_FROM = 1u << 4, /* renamed away */
	LINUX_RECORD_RENAME_TO = 1u << 5,   /* renamed to */
	LINUX_RECORD_EXEC = 1u << 6,	    /* run by execve */
};

struct linux_proc;
struct linux_node;
struct linux_task;
struct linux_exec_args;

/* Sets up the record when cfg.record_fd is open: 0, or -1 with err. */
int linux_record_init(struct linux_proc *proc, char *err, size_t errlen);
/* An open of node succeeded (acc: O_RDONLY/O_WRONLY/O_RDWR; created: this
 * open made it; host_fd: the host file it read, or -1): read from a host
 * tree, the file is hashed once, now, through host_fd. */
void linux_record_open(struct linux_proc *proc, struct linux_node *node, unsigned acc, bool created,
		       int host_fd);
/* A call that names dir's entry `name` returned rc: on success records op
 * (LINUX_RECORD_CREATE, LINUX_RECORD_DELETE) on that path. Returns rc. */
long linux_record_name(struct linux_proc *proc, long rc, struct linux_node *dir, const char *name,
		       unsigned op);
/* rename(2) of odir/oname to ndir/nname returned rc: records both on success. Returns rc. */
long linux_record_rename(struct linux_proc *proc, long rc, struct linux_node *odir,
			 const char *oname, struct linux_node *ndir, const char *nname);
/* The running task exec'd filename (file[0, size) its content): the path
 * (hashed from file), and a process entry with its argv. */
void linux_record_exec(struct linux_proc *proc, const char *filename, const uint8_t *file,
		       uint64_t size, const struct linux_exec_args *args);
/* A new process (not a thread) child: an entry with its parent's argv. */
void linux_record_fork(struct linux_proc *proc, const struct linux_task *child);
/* t's process ends with wait status wstatus: its status and CPU time. */
void linux_record_exit(struct linux_proc *proc, struct linux_task *t, int wstatus);
/* As the VM ends (the last vCPU thread out): writes the JSON to
 * cfg.record_fd, once, the processes still running with their CPU time so
 * far; closes the fd. No-op without --record. */
void linux_record_write(struct linux_proc *proc);
void linux_record_free(struct linux_proc *proc);
/* SHA-256 of data[0, len), fed in pieces of `piece` bytes (1 or more), as
 * the record hashes: the CPU's instructions where it has them. */
void linux_record_sha256(const uint8_t *data, size_t len, size_t piece, uint8_t out[32]);

#endif
