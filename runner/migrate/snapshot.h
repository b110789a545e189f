/* The snapshot and migration stream (runner/migrate/SNAPSHOT.md): writer, and the checked parser the confined VMM runs. */
#ifndef LOCKVM_SNAPSHOT_H
#define LOCKVM_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lockvm/abi.h>

#include "memory.h"

#define SNAPSHOT_MAGIC	     "LOCKVMSN"
#define SNAPSHOT_VERSION     3 /* SNAPSHOT.md: when it changes */
#define SNAPSHOT_ARCH_X86_64 1
#define SNAPSHOT_FLAG_KEYED  1u
#define SNAPSHOT_FLAG_NONCE  2u /* bound to the target's nonce: a migration stream */
#define SNAPSHOT_NONCE_SIZE  32
#define SNAPSHOT_TAG_SIZE    32 /* BLAKE2b-256, keyed with --key */
#define SNAPSHOT_KEY_SIZE    32
#define SNAPSHOT_HEADER_SIZE 64
#define SNAPSHOT_RUN_MAX     (1ULL << 20) /* bytes of pages in one memory section */
#define SNAPSHOT_PATH_MAX    1024
#define SNAPSHOT_NIC_SIZE    12 /* u8 mac[6], u16 zero, u32 mtu */

enum snapshot_section {
	SNAPSHOT_SEC_MEMORY = 1,  /* u64 gpa, then whole pages */
	SNAPSHOT_SEC_DEVICES = 2, /* disks: sectors, read-only, path */
	SNAPSHOT_SEC_CLOCK = 3,	  /* guest clock, --timeout left, pending events */
	SNAPSHOT_SEC_VCPU = 4,	  /* index: u64 sleep left, then the arch blob */
	SNAPSHOT_SEC_NIC = 5,	  /* the NIC's MAC and MTU; only from a VM with one */
	SNAPSHOT_SEC_END = 15,	  /* empty; must come last */
};

/* Migration handshake. On accept the target sends HELLO and a fresh
 * random nonce, which the stream's first tag covers (no replay of an
 * earlier stream); after END the target says READY once the whole stream
 * checked out, the source answers COMMIT and ends. */
#define SNAPSHOT_HELLO	"LVNONCE3"
#define SNAPSHOT_READY	"LVREADY1"
#define SNAPSHOT_COMMIT "LVCOMMIT"

struct snapshot_disk {
	uint64_t sectors;
	bool read_only;
	char path[SNAPSHOT_PATH_MAX + 1]; /* as the source recorded it; information only */
};

/* Everything a stream describes besides memory, once parsed and checked. */
struct snapshot_state {
	unsigned vcpu_count;
	uint64_t mem_size;
	unsigned disk_count;
	struct snapshot_disk disks[LOCKVM_MAX_DISKS];
	uint64_t guest_clock_ns;  /* guest monotonic clock when saved */
	uint64_t timeout_left_ns; /* --timeout left; 0 = none */
	uint64_t events;	  /* LOCKVM_EVENT_* pending */
	uint64_t sleep_left_ns[LOCKVM_MAX_VCPUS];
	uint8_t *arch[LOCKVM_MAX_VCPUS]; /* arch_snapshot_size() bytes each */
	uint64_t memory_bytes;		 /* page bytes received */
	bool has_nic;			 /* the saved VM had a NIC (--net) */
	uint8_t nic_mac[6];
	uint32_t nic_mtu;
};

/* Derives the 32-byte stream key from a key file's contents. */
void snapshot_derive_key(const void *file, size_t len, uint8_t key[SNAPSHOT_KEY_SIZE]);

/* Told the stream bytes so far after each section written or read
 * (migrate/progress.c passes it on, rate-limited); NULL: nobody asks. */
struct snapshot_progress {
	void (*tick)(struct snapshot_progress *p, uint64_t bytes);
};

/* Writing. The writer owns no fd; every call returns 0 or -1 with err. */
struct snapshot_writer {
	int fd;
	bool keyed;
	uint8_t key[SNAPSHOT_KEY_SIZE];
	uint8_t chain[SNAPSHOT_TAG_SIZE]; /* the previous tag */
	uint64_t bytes;
	struct snapshot_progress *progress;
	char err[256];
};

/* key: NULL = unkeyed; nonce: the migration target's (NULL for a save). */
int snapshot_write_header(struct snapshot_writer *w, int fd, const uint8_t *key,
			  const uint8_t *nonce, unsigned vcpus, uint64_t mem_size,
			  unsigned disk_count);
/* One section: header, payload (two parts, either may be empty), tag. */
int snapshot_write_section(struct snapshot_writer *w, uint32_t type, uint32_t index, const void *a,
			   size_t alen, const void *b, size_t blen);
/* Memory [gpa, gpa+len) in sections of at most SNAPSHOT_RUN_MAX bytes. */
int snapshot_write_memory(struct snapshot_writer *w, const struct guest_mem *mem, uint64_t gpa,
			  uint64_t len);
/* Sets the bit of every page of guest RAM that is not all zero (a fresh
 * VM's RAM is) in bits (one per page, zeroed by the caller); returns how many. */
uint64_t snapshot_nonzero_pages(const struct guest_mem *mem, uint64_t *bits);
/* The stream bytes snapshot_write_memory() writes for len bytes of RAM. */
uint64_t snapshot_memory_bytes(uint64_t len);

/*
 * Reading: input comes from an fd (file or socket) or, for tests and the
 * fuzzer, from a buffer. Every size and count is checked before use; the
 * first failure leaves a one-line reason in err and the reader stops.
 */
struct snapshot_reader {
	int fd;		    /* -1: read from buf */
	const uint8_t *buf; /* when fd < 0 */
	size_t len, pos;
	bool keyed;
	uint8_t key[SNAPSHOT_KEY_SIZE];
	uint8_t chain[SNAPSHOT_TAG_SIZE];
	uint8_t *section; /* payload buffer, SNAPSHOT_RUN_MAX + 8 bytes */
	uint64_t bytes;	  /* read from fd so far */
	struct snapshot_progress *progress;
	char err[256];
};

/*
 * Parses a whole stream into `mem` (already mapped, `mem_size` bytes,
 * zero-filled) and `st`: checks magic, version, architecture, the key (NULL
 * = none; a keyed stream needs it, an unkeyed one refuses it), the nonce
 * (NULL for a restore, which refuses a migration stream; else the nonce
 * this target sent, which the header tag must cover), that the
 * header's vCPU count and RAM size equal `vcpus` and `mem->size`, every
 * section's tag, bounds and order, and arch_snapshot_check() on each vCPU.
 * Returns 0, or -1 with the reason in r->err. Free st with
 * snapshot_state_free() either way.
 */
int snapshot_read(struct snapshot_reader *r, const uint8_t *key, const uint8_t *nonce,
		  unsigned vcpus, struct guest_mem *mem, struct snapshot_state *st);
void snapshot_state_free(struct snapshot_state *st);

/* Reads exactly len bytes (fd or buffer). 0, or -1 with err on EOF/error. */
int snapshot_read_exact(struct snapshot_reader *r, void *out, size_t len, const char *what);

#endif
