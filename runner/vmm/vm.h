/* The VM: guest memory, vCPUs, devices, and how a VM ends. Shared by the VMM's modules. */
#ifndef LOCKVM_VM_H
#define LOCKVM_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <lockvm/abi.h>

#include "memory.h"
#include "util.h"

struct kvm_run;
struct linux_proc;
struct vcpu;
struct vm;

/*
 * What differs between kinds of guest, one table per kind: SDK guests have
 * sdk_guest_ops (every hook NULL: the defaults), a --linux program has
 * linux_guest_ops (linux/linux_boot.c). Generic code calls these hooks
 * instead of asking which kind it runs (docs/ARCHITECTURE.md).
 */
struct control_msg;
struct guest_ops {
	const char *name;
	/* After arch_vcpu_init(): the kind's own vCPU state. 0 or -1 with err. */
	int (*vcpu_init)(struct vcpu *vcpu, char *err, size_t errlen);
	/* An MMIO exit the kind serves itself (a --linux system call); true
	 * when handled, false for the doorbell and device dispatch. */
	bool (*exit_mmio)(struct vcpu *vcpu, uint64_t phys_addr);
	/* A guest fault the kind handles itself (a --linux signal handler);
	 * true when handled, false to end the VM with the fault. */
	bool (*exit_fault)(struct vcpu *vcpu, unsigned vector, uint64_t error_code, uint64_t cr2,
			   const uint64_t *frame);
	/* Why the VM cannot be saved or migrated, or NULL when it can. */
	const char *(*unsaveable)(const struct vm *vm);
	/* The kind's --stats lines. */
	void (*print_stats)(const struct vm *vm);
	/* Frees the kind's VMM-side state. */
	void (*free)(struct vm *vm);
	/* Main thread: SIGINT/SIGTERM from the host (`lockvm stop` asks with
	 * SIGTERM) for the kind to deliver to its guest; true when taken (the
	 * VM runs on), false to end the VM as for SDK guests. */
	bool (*host_signal)(struct vm *vm, int sig);
	/* vCPU thread: KVM_RUN returned for a kick; the kind may act on the
	 * vCPU (deliver a host signal to a program that makes no calls). */
	void (*kicked)(struct vcpu *vcpu);
	/* Main thread: nic_input() queued frames; the kind may wake the
	 * thread that takes them (a --linux VM's stack runs on its vCPU). */
	void (*frames_in)(struct vm *vm);
	/* Main thread: `lockvm exec` on the control socket, a new process in
	 * the VM (linux/linux_spawn.c); NULL: the kind runs one program. */
	int (*exec_request)(struct vm *vm, const struct control_msg *m, const void *payload,
			    const int *fds, unsigned nfds, char *err, size_t errlen);
	void (*exec_kill)(struct vm *vm, uint32_t id, int sig);
	/* Main thread, after the wake eventfd fired: tells the supervisor. */
	void (*exec_report)(struct vm *vm, int control_fd);
	/* vCPU thread, the last to leave its run loop, however the VM ends
	 * (its program's exit, a host signal, --timeout, a fault): the kind
	 * writes back what the host keeps of the run (a --linux VM's shared
	 * mappings and --fs-upper DIR). No other vCPU runs guest code then. */
	void (*vcpus_done)(struct vcpu *vcpu);
};
extern const struct guest_ops sdk_guest_ops;
struct nic;

struct disk {
	int fd;
	const char *path; /* as the supervisor named it (snapshots); may be NULL */
	uint64_t sectors;
	bool read_only;
	/* Requests served and their bytes: vCPUs add, CONTROL_STATS reads
	 * (relaxed atomics). */
	uint64_t reads, writes, read_bytes, written_bytes;
};

/* Buffers one hypercall may write (today at most one each); more are merged. */
#define VCPU_HC_WRITES 2

struct vcpu {
	struct vm *vm;
	unsigned index;
	int fd;		     /* KVM vCPU fd, -1 when not created */
	struct kvm_run *run; /* shared run page, NULL without KVM (fuzzing) */
	pthread_t thread;
	bool thread_started;
	uint64_t exits; /* counters, read by the main thread at the end */
	uint64_t hypercalls;
	uint64_t sleep_deadline_ns; /* a SLEEP a pause cut short, finished before re-entry */
	/* Guest ranges the hypercall being served may write (hypercall_buffer),
	 * marked dirty once its handler has returned, i.e. after the write: a
	 * page marked before it could be sent stale by a pre-copy round. */
	struct vcpu_hc_write {
		uint64_t gpa, len;
	} hc_writes[VCPU_HC_WRITES];
	unsigned hc_write_count;
};

struct vm {
	struct guest_mem mem;
	int kvm_fd, vm_fd;
	size_t run_size;
	unsigned vcpu_count;
	struct vcpu *vcpus;
	struct disk disks[LOCKVM_MAX_DISKS];
	unsigned disk_count;
	int console_fd;
	uint64_t entry;		       /* guest entry point */
	const struct guest_ops *guest; /* what differs per kind of guest (below) */
	struct linux_proc *linux_proc; /* the process of a --linux VM (linux.h), else NULL */
	uint64_t deadline_ns;	       /* CLOCK_MONOTONIC; 0 = none */
	/* Each vCPU thread's last step before its first KVM_RUN (the VMM's
	 * per-thread seccomp filter); < 0 ends the VM. NULL: none. */
	int (*before_run)(struct vcpu *vcpu);
	struct nic *nic;    /* --net: the NIC (nic.h), else NULL */
	uint8_t nic_mac[6]; /* with nic: its address (snapshots carry it) */

	/* Ending: the first vm_end() decides the status; later ones are ignored. */
	atomic_bool ending;
	int exit_status;
	int wake_fd; /* eventfd the main thread polls */
	/* Set by a guest with several tasks on a vCPU (--linux): the main
	 * thread kicks the vCPUs this often, so one can switch tasks. 0: never. */
	atomic_uint slice_ms;

	/* One lock and condition for every blocking hypercall (sleep, wait),
	 * so that vm_end() can wake them all with one broadcast. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint64_t wake_generation;
	uint64_t events;	   /* LOCKVM_EVENT_* not yet collected by the guest */
	uint64_t event_generation; /* bumped by vm_post_event(); ends sleeps */

	/* Save and migration (vcpu.c, migrate.c): vCPUs park while paused. */
	atomic_bool pause_requested;
	unsigned paused;	     /* vCPUs parked, under lock */
	int64_t clock_offset_ns;     /* guest monotonic clock = host + offset */
	uint64_t *_Atomic vmm_dirty; /* while migrating: pages the VMM wrote */
};

/* While a migration runs, records that the VMM wrote guest pages
 * [gpa, gpa+len) (KVM's dirty log sees only the guest's own writes).
 * Cheap when no migration runs. Safe from any VMM thread. */
static inline void vm_mark_dirty(struct vm *vm, uint64_t gpa, uint64_t len)
{
	uint64_t *bits = atomic_load_explicit(&vm->vmm_dirty, memory_order_acquire);
	if (!bits || len == 0)
		return;
	for (uint64_t page = gpa / LOCKVM_PAGE_SIZE; page <= (gpa + len - 1) / LOCKVM_PAGE_SIZE;
	     page++)
		__atomic_fetch_or(&bits[page / 64], 1ULL << (page % 64), __ATOMIC_RELAXED);
}

/* Initialises the fields that need it (lock, fds to -1). */
void vm_init(struct vm *vm);

/*
 * Ends the VM with `status` (first caller wins) and prints `fmt` as one line
 * on stderr if non-NULL. Wakes blocked hypercalls and kicks every vCPU out
 * of KVM_RUN. Safe from any VMM thread.
 */
void vm_end(struct vm *vm, int status, const char *fmt, ...) PRINTF_LIKE(3, 4);
/* Kicks every vCPU out of KVM_RUN (immediate_exit and SIGUSR1). */
void vm_kick_vcpus(struct vm *vm);
/* Kicks vCPU index out of KVM_RUN, as vm_kick_vcpus() does. */
void vm_kick_vcpu(struct vm *vm, unsigned index);
/* The sums of every vCPU's exits and hypercalls so far (read while they run). */
void vm_counters(const struct vm *vm, uint64_t *exits, uint64_t *hypercalls);
/* The sums over every disk of reads, writes, bytes read and bytes written. */
void vm_disk_counters(const struct vm *vm, uint64_t *reads, uint64_t *writes, uint64_t *read_bytes,
		      uint64_t *written_bytes);
/* Sets vm->slice_ms and wakes the main thread to take it. */
void vm_set_slice(struct vm *vm, unsigned ms);

static inline bool vm_is_ending(struct vm *vm)
{
	return atomic_load_explicit(&vm->ending, memory_order_acquire);
}

/* Posts LOCKVM_EVENT_* bits to the guest and wakes every sleeping or
 * waiting vCPU. Safe from any VMM thread. */
void vm_post_event(struct vm *vm, uint64_t events);

/* Stops the guest for breaking the ABI: "guest error: vcpuN: …", exit 134. */
void vcpu_guest_error(struct vcpu *vcpu, const char *fmt, ...) PRINTF_LIKE(2, 3);

/* Waits on vm->cond until `deadline_ns` (monotonic, 0 = forever), the VM
 * ending, or a change of *generation. Needs vm->lock held. Returns 0 when
 * woken by a generation change, -1 on timeout or ending. */
int vm_wait_locked(struct vm *vm, uint64_t deadline_ns, const uint64_t *generation);

/* One wait on vm->cond: returns on the next broadcast or at deadline_ns
 * (monotonic), whichever is first, for loops that re-check a condition of
 * their own under vm->lock. */
void vm_wait_once_locked(struct vm *vm, uint64_t deadline_ns);

#endif
