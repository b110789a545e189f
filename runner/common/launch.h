/* The launch message: everything the supervisor tells the VMM it starts, as one size- and version-checked record (OpenBSD vmd's imsg habit) instead of an argv of options. */
#ifndef LOCKVM_LAUNCH_H
#define LOCKVM_LAUNCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lockvm/abi.h>

#include "ident.h"
#include "numa.h"

#define LAUNCH_MAGIC   0x4d4c564cU /* "LVLM" */
#define LAUNCH_VERSION 2
/* The whole record, strings included. */
#define LAUNCH_MAX_SIZE (1u << 20)
#define LAUNCH_MAX_ARGS 4096 /* guest argv entries */
#define LAUNCH_MAX_ENV	32   /* --env entries (linux/linux.h: LINUX_MAX_ENV) */
#define LAUNCH_NO_FD	-1
#define LAUNCH_FD_MAX	1023	     /* fd numbers the supervisor may pass */
#define LAUNCH_PATH_MAX 4096	     /* the workdir's bytes (Linux's PATH_MAX) */
#define LAUNCH_FS_MAX	(1ULL << 40) /* bytes of an in-memory file system (--fs-upper, /tmp) */
#define LAUNCH_MAX_TMPFS                                                                           \
	8 /* --tmpfs mounts, /dev/shm included (linux/linux_fs.h: LINUX_FS_MOUNTS) */
#define LAUNCH_MAX_VOLUMES 8 /* --volume (linux/linux_fs.h: LINUX_FS_VOLUMES) */
/* --record: the VMM's memory for the record at most, and the bytes of the
 * binary record it writes at most (linux/linux_record.h: LINUX_RECORD_MAX_BYTES
 * and LINUX_RECORD_MAX_OUTPUT, checked there; the supervisor reads no more,
 * and writes at most as many bytes of JSON: host/record_json.c) */
#define LAUNCH_RECORD_MEMORY	 (24u << 20)
#define LAUNCH_RECORD_MAX_OUTPUT (64u << 20)

/* Flags: each a yes/no the supervisor decided. */
enum launch_flag {
	LAUNCH_STATS = 1u << 0,	       /* print exit and hypercall counts at the end */
	LAUNCH_SECCOMP_TRAP = 1u << 1, /* name a refused syscall, then exit 159 */
	LAUNCH_KSM = 1u << 2,	       /* guest RAM mergeable */
	LAUNCH_LINUX = 1u << 3,	       /* the guest is a Linux program (--linux) */
	LAUNCH_STRACE = 1u << 4,       /* --linux: trace every call */
	LAUNCH_INCOMING = 1u << 5,     /* the restore fd is a live migration */
	LAUNCH_NUMA = 1u << 6,	       /* numa_nodes and numa_cpus are set */
	LAUNCH_NET_DHCP = 1u << 7,     /* --linux: eth0 asks DHCP for its address */
	/* --net user: net_fd is a stream socket connected to passt (no tap name) */
	LAUNCH_NET_STREAM = 1u << 8,
	LAUNCH_FLAGS_ALL = (1u << 9) - 1,
};

enum launch_hugepages {
	LAUNCH_SMALL_PAGES = 0,
	LAUNCH_THP = 1,
	LAUNCH_HUGETLB = 2,
};

/* One disk: its fd, read-only or not, and the path shown in snapshots. */
struct launch_disk {
	int fd;
	bool ro;
	const char *path; /* "" when none */
};

/*
 * What the VMM needs, decoded. Strings point into the buffer given to
 * launch_decode(), which must outlive the struct.
 */
struct launch {
	uint64_t mem;		   /* bytes of guest RAM */
	uint64_t timeout_ns;	   /* 0: none */
	uint64_t timing_origin_ns; /* --debug-timing: the supervisor's start (now_ns); 0: off */
	uint64_t fs_upper;    /* --linux: bytes of the root's upper layer; 0: a read-only root */
	uint64_t fs_tmp;      /* --linux: bytes of /tmp */
	unsigned tmpfs_count; /* --linux: --tmpfs mounts besides /tmp, in order */
	struct launch_tmpfs {
		uint64_t size;	  /* bytes, 1 to LAUNCH_FS_MAX */
		const char *path; /* absolute, in the guest's tree */
	} tmpfs[LAUNCH_MAX_TMPFS];
	unsigned volume_count; /* --linux --volume: host directories mounted in the tree */
	struct launch_volume {
		int fd;		  /* O_PATH fd of the supervisor's private clone of the directory */
		bool ro;	  /* the clone is read-only too */
		const char *path; /* absolute, in the guest's tree */
	} volumes[LAUNCH_MAX_VOLUMES];
	unsigned vcpus;
	unsigned layers; /* confinement layers the supervisor applied (sandbox.h); 0 = none */
	unsigned flags;	 /* enum launch_flag */
	enum launch_hugepages hugepages;
	unsigned tty_mask; /* --linux: which of fds 0-2 are terminals */
	unsigned pids;	   /* --linux --pids: tasks at most; 0: the default */
	/* Descriptors the supervisor passed (LAUNCH_NO_FD when absent). */
	int kvm_fd, elf_fd, console_fd, fs_fd, ready_fd;
	int seccomp_vmm_fd, seccomp_vcpu_fd, seccomp_setup_fd;
	int control_fd, restore_fd, key_fd;
	int net_fd, net_stats_fd;
	/* --linux --fs-upper DIR: O_PATH fd of DIR's private clone; the VMM
	 * writes the upper layer beneath it when the first process ends */
	int upper_fd;
	/* --linux --record FILE: a memfd the VMM writes the record into as the
	 * VM ends (linux_record.c); the supervisor copies it to FILE */
	int record_fd;
	unsigned disk_count;
	struct launch_disk disks[LOCKVM_MAX_DISKS];
	uint8_t net_mac[6];
	const char *net_tap;		       /* "" when no NIC, or a stream NIC */
	struct numa_set numa_nodes, numa_cpus; /* with LAUNCH_NUMA */
	unsigned argc;
	const char **argv; /* argc entries, then NULL */
	unsigned envc;
	const char **envp; /* envc entries, then NULL */
	/* --linux: what the program sees of itself (ident.h); the VM's view only */
	const char *workdir;  /* initial cwd in the VM's tree; "" for / */
	const char *hostname; /* uname's nodename; "" for the default */
	uint32_t uid, gid;
	unsigned ngroups;
	uint32_t groups[IDENT_MAX_GROUPS];
	uint32_t rlimit_set; /* bit n: rlimits[n] was given */
	struct ident_rlimit rlimits[IDENT_RLIMITS];
	/* --linux with a NIC: eth0's --ip (0: DHCP), --gateway, --dns, in
	 * network byte order (0: none) */
	uint32_t net_ip, net_prefix, net_gateway, net_dns;
};

#define LAUNCH_MAX_PIDS 32768 /* --pids at most */
/* --vcpus at most for --linux: each vCPU has its own flush stub and share of
 * the list area (LINUX_MAX_CPUS in linux/linux.h, checked in vmm.c) */
#define LAUNCH_MAX_LINUX_VCPUS 8

/* A launch with every fd absent and one vCPU, for the encoder's caller to fill. */
void launch_init(struct launch *l);

/*
 * Encodes l into a new buffer (free() it). Returns the buffer and its size
 * in *len, or NULL with a reason in err when l breaks a rule that
 * launch_decode() would refuse (so a bad message is never sent).
 */
uint8_t *launch_encode(const struct launch *l, size_t *len, char *err, size_t errlen);

/*
 * Decodes and checks one message of exactly len bytes: magic, version, the
 * size it states, every fd number, count and range, and every string
 * NUL-terminated inside the record. argv and envp are allocated (free with
 * launch_free); strings point into buf. Returns 0, or -1 with a reason in
 * err and *l untouched but for what launch_free accepts.
 */
int launch_decode(const uint8_t *buf, size_t len, struct launch *l, char *err, size_t errlen);
void launch_free(struct launch *l);

/*
 * Transport: the supervisor writes the message into a sealed memfd and
 * passes its fd; the VMM reads it whole. launch_write_memfd returns the fd
 * or -1 with err; launch_read_fd returns a malloc'd buffer (size in *len)
 * or NULL with err, refusing more than LAUNCH_MAX_SIZE bytes.
 */
int launch_write_memfd(const uint8_t *buf, size_t len, char *err, size_t errlen);
uint8_t *launch_read_fd(int fd, size_t *len, char *err, size_t errlen);

#endif
