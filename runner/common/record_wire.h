/* --record's binary form, the one format between the VMM that builds the record (linux/linux_record.c) and the supervisor that turns it into FILE.json (host/record_json.c, which trusts none of it). */
#ifndef LOCKVM_RECORD_WIRE_H
#define LOCKVM_RECORD_WIRE_H

#include <stdint.h>

#include "launch.h"

/*
 * Little-endian throughout, no padding, in this order:
 *
 *   header   RECORD_WIRE_HEADER bytes (offsets RECORD_WIRE_AT_*)
 *   paths    npaths entries: RECORD_WIRE_PATH bytes (RECORD_WIRE_PATH_*), then
 *            the path's len bytes (a guest's: any byte but NUL)
 *   renames  nrenames entries of RECORD_WIRE_RENAME bytes: u32 from, u32 to
 *            (indexes of paths)
 *   procs    nprocs entries: RECORD_WIRE_PROC bytes (RECORD_WIRE_PROC_*), then
 *            argv_len bytes of argv, each argument ended by a NUL
 *   end      RECORD_WIRE_END (its 8 bytes), the last bytes of the memfd
 *
 * The VMM writes it front to back as the VM ends: a record cut short (a
 * VMM killed while writing) has no end marker where the counts put it.
 */
#define RECORD_WIRE_MAGIC   "LKVMREC\n"
#define RECORD_WIRE_END	    "LKVMEND\n"
#define RECORD_WIRE_VERSION 1u

#define RECORD_WIRE_HEADER	     64u
#define RECORD_WIRE_AT_MAGIC	     0u	 /* 8 bytes */
#define RECORD_WIRE_AT_VERSION	     8u	 /* u32 */
#define RECORD_WIRE_AT_FLAGS	     12u /* u32: RECORD_WIRE_TRUNCATED... */
#define RECORD_WIRE_AT_EXIT_STATUS   16u /* i32: the VM's exit status */
#define RECORD_WIRE_AT_NPATHS	     20u /* u32 */
#define RECORD_WIRE_AT_NRENAMES	     24u /* u32 */
#define RECORD_WIRE_AT_NPROCS	     28u /* u32 */
#define RECORD_WIRE_AT_DROPPED_PATHS 32u /* u64, and processes, renames after it */
#define RECORD_WIRE_AT_BODY	     56u /* u64: bytes between the header and the end marker */

#define RECORD_WIRE_TRUNCATED  1u /* a bound of the VMM's left something out */
#define RECORD_WIRE_OUTPUT_CUT 2u /* entries left out to keep within LAUNCH_RECORD_MAX_OUTPUT */
#define RECORD_WIRE_FLAGS      3u /* every flag there is */

#define RECORD_WIRE_PATH	 48u
#define RECORD_WIRE_PATH_OPS	 0u  /* u16: RECORD_OP_* */
#define RECORD_WIRE_PATH_SOURCE	 2u  /* u8: enum record_source */
#define RECORD_WIRE_PATH_HASHED	 3u  /* u8: 1 when size and sha256 hold what was read, else 0 */
#define RECORD_WIRE_PATH_LEN	 4u  /* u32: bytes of the path, 1 to RECORD_WIRE_PATH_MAX */
#define RECORD_WIRE_PATH_SIZE	 8u  /* u64 */
#define RECORD_WIRE_PATH_SHA256	 16u /* 32 bytes */
#define RECORD_WIRE_PATH_MAX	 4096u
#define RECORD_WIRE_RENAME	 8u
#define RECORD_WIRE_PROC	 40u
#define RECORD_WIRE_PROC_PID	 0u  /* i32 */
#define RECORD_WIRE_PROC_PPID	 4u  /* i32 */
#define RECORD_WIRE_PROC_EXE	 8u  /* u32: a path's index, or RECORD_WIRE_NO_EXE */
#define RECORD_WIRE_PROC_ENDED	 12u /* u32: 1 ended (wstatus holds how), 0 running at the end */
#define RECORD_WIRE_PROC_WSTATUS 16u /* i32 */
#define RECORD_WIRE_PROC_ARGV	 20u /* u32: bytes of argv, 0 to RECORD_WIRE_ARGV_MAX */
#define RECORD_WIRE_PROC_UTIME	 24u /* u64 ns */
#define RECORD_WIRE_PROC_STIME	 32u /* u64 ns */
#define RECORD_WIRE_NO_EXE	 UINT32_MAX
#define RECORD_WIRE_ARGV_MAX	 4096u

/* The VMM's bounds (linux/linux_record.h): a record claiming more is refused. */
#define RECORD_WIRE_MAX_PATHS	  65536u
#define RECORD_WIRE_MAX_PROCESSES 16384u
#define RECORD_WIRE_MAX_RENAMES	  16384u

#define RECORD_WIRE_MAX_STRINGS (8u << 20) /* bytes of path and argv text the VMM keeps */

/* Every path and rename fits LAUNCH_RECORD_MAX_OUTPUT whatever the guest
 * did; only processes (a fork's entry repeats its parent's argv) can be
 * left out. */
_Static_assert((uint64_t)RECORD_WIRE_HEADER + 8u +
		       (uint64_t)RECORD_WIRE_MAX_PATHS * RECORD_WIRE_PATH +
		       RECORD_WIRE_MAX_STRINGS +
		       (uint64_t)RECORD_WIRE_MAX_RENAMES * RECORD_WIRE_RENAME <
		   LAUNCH_RECORD_MAX_OUTPUT,
	       "paths and renames always fit the record's output bound");

/* What a job did to a path (bits of a path's ops). */
enum record_op {
	RECORD_OP_READ = 1u << 0,	 /* opened for reading */
	RECORD_OP_WRITE = 1u << 1,	 /* opened for writing */
	RECORD_OP_CREATE = 1u << 2,	 /* made: open O_CREAT, mkdir, mknod, symlink, link */
	RECORD_OP_DELETE = 1u << 3,	 /* unlink, rmdir */
	RECORD_OP_RENAME_FROM = 1u << 4, /* renamed away */
	RECORD_OP_RENAME_TO = 1u << 5,	 /* renamed to */
	RECORD_OP_EXEC = 1u << 6, /* run by execve, or the loader (PT_INTERP) of a program run */
	/* looked at without reading its content: stat family, access,
	 * readlink, an O_PATH open */
	RECORD_OP_STAT = 1u << 7,
	/* looked up and not there (ENOENT): a path the job would have used
	 * had it existed (a PATH search, an optional config file, a header
	 * probed for); the first missing component of the path */
	RECORD_OP_ABSENT = 1u << 8,
	RECORD_OP_ALL = (1u << 9) - 1,
};

/* Where a path was when the job first touched it. */
enum record_source {
	RECORD_SOURCE_LOWER,  /* the --fs tree on the host (read-only) */
	RECORD_SOURCE_VOLUME, /* a --volume directory on the host */
	RECORD_SOURCE_UPPER,  /* the root's copy-on-write upper layer, in memory */
	RECORD_SOURCE_TMPFS,  /* /tmp, /dev/shm, a --tmpfs: in memory */
	RECORD_SOURCE_PROC,   /* generated /proc and /sys */
	RECORD_SOURCE_DEV,    /* /dev */
	RECORD_SOURCE_OTHER,  /* the root or a directory of no layer yet */
	RECORD_SOURCES
};

static inline void record_wire_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void record_wire_put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void record_wire_put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint16_t record_wire_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t record_wire_get32(const uint8_t *p)
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

static inline uint64_t record_wire_get64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

#endif
