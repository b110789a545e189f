/* The guest ABI: shared, byte for byte, by the runner and every guest. */
#ifndef LOCKVM_ABI_H
#define LOCKVM_ABI_H

/*
 * Guest addresses are plain integers. On the host side a guest_ptr_t is
 * never dereferenced: it becomes a host pointer only through the one
 * checked helper in runner/vmm/memory.c (Solo5's HVT_GUEST_PTR habit).
 * Structs here have fixed layout (explicit padding, no pointers, no
 * longs) so 64-bit host and guest agree. Fields are marked IN (guest to
 * runner) or OUT (runner to guest).
 */
#include <stdint.h>

typedef uint64_t guest_ptr_t;

#define LOCKVM_ABI_VERSION 1

/* ---- Guest physical memory layout (identity mapped) -------------------- */
/* Page 0 is never mapped, so a null dereference faults. */
#define LOCKVM_PAGE_SIZE 4096ULL
/* [RUNNER_BASE, RUNNER_END): the runner's own pages (page tables, GDT, TSS,
 * IDT, exception stubs, ring-0 stacks, boot info). Guest images load above. */
#define LOCKVM_RUNNER_BASE 0x1000ULL
#define LOCKVM_RUNNER_END 0x200000ULL
/* Inside them, the guest may read (never write) the boot info of every
 * vCPU and the argv area: [LOCKVM_BOOTINFO_BASE, LOCKVM_BOOTINFO_END). The
 * rest (and page 0) it can neither read nor write, with its own loads and
 * stores or through any hypercall: a hypercall buffer or argument struct
 * that overlaps them stops the guest with a guest error (exit 134). */
#define LOCKVM_BOOTINFO_BASE 0x6000ULL
#define LOCKVM_BOOTINFO_END 0x10000ULL
/* Each vCPU gets a stack of this size at the top of RAM, with an unmapped
 * guard page below it. */
#define LOCKVM_STACK_SIZE 0x10000ULL
#define LOCKVM_STACK_GUARD 0x1000ULL
#define LOCKVM_MAX_VCPUS 64
#define LOCKVM_MAX_DISKS 16
#define LOCKVM_MAX_ARGS 64
#define LOCKVM_ARGS_AREA 8192 /* bytes for argv pointers and strings */

/* ---- Boot info: one per vCPU, read-only to the guest ------------------- */
/* On entry RDI holds the GPA of the vCPU's own boot info and the FS base
 * points at it too, so per-vCPU data is one %fs-relative load away. */
struct lockvm_disk_info {
	uint64_t sectors;    /* capacity in 512-byte sectors */
	uint32_t read_only;  /* 1 when attached with ,ro */
	uint32_t reserved;
};

struct lockvm_boot_info {
	uint32_t abi_version; /* LOCKVM_ABI_VERSION */
	uint32_t vcpu_index;  /* 0 .. vcpu_count-1 */
	uint32_t vcpu_count;
	uint32_t argc;
	uint64_t ram_size;    /* bytes of guest RAM, from GPA 0 */
	guest_ptr_t argv;     /* argc pointers to NUL-terminated strings */
	guest_ptr_t stack_top;/* this vCPU's initial RSP */
	uint32_t disk_count;
	uint32_t reserved;
	struct lockvm_disk_info disks[LOCKVM_MAX_DISKS];
};

/* ---- Hypercalls --------------------------------------------------------- */
/*
 * A hypercall is a 32-bit OUT of the GPA of its argument struct to port
 * LOCKVM_HC_PORT_BASE + number, or equivalently a 32-bit write of that GPA
 * to the doorbell page at LOCKVM_DOORBELL_GPA + 4 * number. The SDK uses
 * the doorbell: on the development hosts the nested hypervisor runs CPL 3
 * with IOPL 0 whatever RFLAGS says and ignores the TSS I/O bitmap (so OUT
 * faults), delivers INT n and INT3 through the guest IDT, and its SYSCALL
 * stays at CPL 3. Measured there with a raw KVM program (bench/rawkvm.c),
 * the ring-3 MMIO write is the cheapest exit CPL 3 code has: about 18 us,
 * against 25 us for INT3 to a ring-0 stub doing the OUT and 30 us for the
 * #GP of an OUT emulated by a stub. The struct must lie wholly in guest RAM
 * (its GPA travels in 32 bits, so below 4 GiB) and above the runner's pages
 * (it is written back), and every buffer a call names must avoid the
 * runner's pages too (reads may name the boot info and argv area).
 * Errors of meaning come back in `ret` as a negative LOCKVM_E* value;
 * errors of form (bad pointer, overflowing length, unknown port, wrong
 * access size) stop the guest with "guest error:" and exit status 134.
 */
#define LOCKVM_HC_PORT_BASE 0x500
/* The doorbell page: a 32-bit write of the argument GPA to
 * LOCKVM_DOORBELL_GPA + 4 * number is the same hypercall as the OUT. */
#define LOCKVM_DOORBELL_GPA 0x4000000000ULL
enum lockvm_hypercall {
	LOCKVM_HC_CONSOLE_WRITE = 0,
	LOCKVM_HC_EXIT = 1,
	LOCKVM_HC_TIME = 2,
	LOCKVM_HC_RANDOM = 3,
	LOCKVM_HC_BLK_INFO = 4,
	LOCKVM_HC_BLK_READ = 5,
	LOCKVM_HC_BLK_WRITE = 6,
	LOCKVM_HC_SLEEP = 7,
	LOCKVM_HC_YIELD = 8,
	LOCKVM_HC_WAIT = 9,
	LOCKVM_HC_WAKE = 10,
	LOCKVM_HC_NOP = 11,
	LOCKVM_HC_BALLOON = 12,
	LOCKVM_HC_EVENTS = 13,
	LOCKVM_HC_NET_INFO = 14,
	LOCKVM_HC_NET_SEND = 15,
	LOCKVM_HC_NET_RECV = 16,
	LOCKVM_HC_NET_WAIT = 17,
	LOCKVM_HC_COUNT
};

/* Error values returned in `ret` (negated). */
#define LOCKVM_EINVAL 22
#define LOCKVM_EROFS 30
#define LOCKVM_ERANGE 34
#define LOCKVM_EIO 5
#define LOCKVM_ENODEV 19
#define LOCKVM_ETIMEDOUT 110
#define LOCKVM_EAGAIN 11
#define LOCKVM_EINTR 4

/* Upper bounds on one call's work, so no call can stall the VMM. */
#define LOCKVM_CONSOLE_MAX 65536
#define LOCKVM_RANDOM_MAX 65536
#define LOCKVM_BLK_MAX_SECTORS 8192 /* 4 MiB per request */
#define LOCKVM_SECTOR_SIZE 512

struct lockvm_hc_console_write {
	guest_ptr_t data; /* IN */
	uint64_t len;     /* IN: at most LOCKVM_CONSOLE_MAX */
	int64_t ret;      /* OUT: bytes written or -error */
};

struct lockvm_hc_exit {
	uint64_t status; /* IN: 0..123; larger values are clamped to 123 */
};

#define LOCKVM_CLOCK_REALTIME 0
#define LOCKVM_CLOCK_MONOTONIC 1
struct lockvm_hc_time {
	uint32_t clock;   /* IN */
	uint32_t pad;
	uint64_t nanoseconds; /* OUT */
	int64_t ret;      /* OUT */
};

struct lockvm_hc_random {
	guest_ptr_t data; /* IN */
	uint64_t len;     /* IN: at most LOCKVM_RANDOM_MAX */
	int64_t ret;      /* OUT */
};

struct lockvm_hc_blk_info {
	uint32_t disk;    /* IN */
	uint32_t read_only; /* OUT */
	uint64_t sectors; /* OUT */
	int64_t ret;      /* OUT */
};

struct lockvm_hc_blk_io {
	uint32_t disk;    /* IN */
	uint32_t count;   /* IN: sectors, at most LOCKVM_BLK_MAX_SECTORS */
	uint64_t sector;  /* IN */
	guest_ptr_t data; /* IN: count * 512 bytes */
	int64_t ret;      /* OUT: 0 or -error */
};

struct lockvm_hc_sleep {
	uint64_t nanoseconds; /* IN */
	int64_t ret;          /* OUT */
};

/* Futex-like: WAIT blocks while the 32-bit word at `addr` equals
 * `expected`, until a WAKE on the same address or the timeout (0 = none). */
struct lockvm_hc_wait {
	guest_ptr_t addr;     /* IN: 4-byte aligned */
	uint32_t expected;    /* IN */
	uint32_t pad;
	uint64_t timeout_ns;  /* IN */
	int64_t ret;          /* OUT: 0, -LOCKVM_EAGAIN or -LOCKVM_ETIMEDOUT */
};

struct lockvm_hc_wake {
	guest_ptr_t addr; /* IN */
	int64_t ret;      /* OUT */
};

struct lockvm_hc_nop {
	int64_t ret; /* OUT */
};

/* Balloon: the guest hands [addr, addr+len) back to the host, which frees
 * every whole host page inside it (4 KiB, or 2 MiB with
 * --hugepages=hugetlb); those pages read as zero when next touched. The
 * range must lie in guest RAM (else a guest error); addr and len must be
 * multiples of LOCKVM_PAGE_SIZE and the range must not reach below
 * LOCKVM_RUNNER_END (else -LOCKVM_EINVAL: the balloon reports the runner's
 * pages as an error code, where other calls stop the guest). */
struct lockvm_hc_balloon {
	guest_ptr_t addr;  /* IN */
	uint64_t len;      /* IN */
	uint64_t released; /* OUT: bytes handed back */
	int64_t ret;       /* OUT: 0 or -error */
};

/* Events the host posts to the guest. A posted event also ends any SLEEP
 * early and wakes every WAIT (spuriously), so a guest that sleeps or waits
 * sees it promptly. EVENTS returns the pending set and clears it. */
#define LOCKVM_EVENT_SHUTDOWN 1u /* `lockvm stop`: please exit soon */
struct lockvm_hc_events {
	uint64_t pending; /* OUT: LOCKVM_EVENT_* bits */
	int64_t ret;      /* OUT */
};

/* ---- The NIC (lockvm run --net): Ethernet frames through a host tap ---- */
/*
 * A frame is what goes on the wire without preamble and FCS: destination
 * MAC, source MAC, EtherType, payload. A frame shorter than the 14-byte
 * header or longer than header + MTU is a guest error (exit 134). A frame
 * whose source MAC is not the NIC's own is dropped and counted (no MAC
 * spoofing); the guest is not told. The guest receives frames addressed to
 * its MAC, to broadcast and to multicast groups only.
 */
#define LOCKVM_NET_HEADER 14
#define LOCKVM_NET_MTU 1500
#define LOCKVM_NET_FRAME_MIN LOCKVM_NET_HEADER
#define LOCKVM_NET_FRAME_MAX (LOCKVM_NET_HEADER + LOCKVM_NET_MTU)
#define LOCKVM_NET_BATCH_MAX 64 /* frames per SEND call: bounded work */

struct lockvm_hc_net_info {
	uint8_t mac[6];	 /* OUT: the NIC's MAC address */
	uint16_t pad;
	uint32_t mtu;	 /* OUT: LOCKVM_NET_MTU */
	uint32_t pad2;
	int64_t ret;	 /* OUT: 0, or -LOCKVM_ENODEV when the VM has no NIC */
};

struct lockvm_net_frame {
	guest_ptr_t data; /* IN: the frame */
	uint32_t len;	  /* IN: LOCKVM_NET_FRAME_MIN .. LOCKVM_NET_FRAME_MAX */
	uint32_t pad;
};

/* Sends `count` frames described by an array of struct lockvm_net_frame
 * (one frame: count = 1). */
struct lockvm_hc_net_send {
	guest_ptr_t frames; /* IN: count struct lockvm_net_frame */
	uint32_t count;	    /* IN: 1 .. LOCKVM_NET_BATCH_MAX */
	uint32_t pad;
	int64_t ret;	    /* OUT: frames handed on (forged ones count as handed on), or -error */
};

/* Takes one received frame, without blocking. */
struct lockvm_hc_net_recv {
	guest_ptr_t data; /* IN: buffer */
	uint64_t len;	  /* IN: its size (LOCKVM_NET_FRAME_MAX always suffices) */
	int64_t ret;	  /* OUT: the frame's length, -LOCKVM_EAGAIN when none is
			   * queued, -LOCKVM_ERANGE when the next frame is longer
			   * than len (it stays queued), -LOCKVM_ENODEV */
};

/* Waits until a frame is queued, the timeout (0 = none) passes or the host
 * posts an event (see LOCKVM_HC_EVENTS). */
struct lockvm_hc_net_wait {
	uint64_t timeout_ns; /* IN */
	int64_t ret;	     /* OUT: 0 (a frame is queued), -LOCKVM_ETIMEDOUT,
			      * -LOCKVM_EINTR (an event is pending, or the VM was
			      * paused to be saved or migrated: wait again),
			      * -LOCKVM_ENODEV */
};

#endif
