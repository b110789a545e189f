/* Linux-ABI guests: the VMM-side state of the one process a --linux VM runs, shared by the linux_*.c files. */
#ifndef LOCKVM_LINUX_H
#define LOCKVM_LINUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ident.h"
#include "linux_fs.h"
#include "vm.h"

/* The syscall slot of the doorbell page: the guest's SYSCALL entry stub
 * writes here, which exits to the VMM as MMIO. Above every SDK hypercall
 * slot, so the two can never be confused. */
#define LINUX_SYSCALL_DOORBELL (LOCKVM_DOORBELL_GPA + 0xFF0ULL)

#define LINUX_MAX_FDS	   64
#define LINUX_NSIG	   64
#define LINUX_IO_MAX	   (16ULL << 20) /* bytes one read/write call moves at most */
#define LINUX_PATH_MAX	   4096
#define LINUX_MAX_ENV	   32
#define LINUX_PTYS	   LINUX_PTYS_MAX /* pty pairs a VM may hold (/dev/pts/0..15) */
#define LINUX_ENOSYS_SLOTS 512 /* per-number ENOSYS counters (numbers above: one bucket) */

/* What `lockvm run --linux` hands the VMM besides the image. */
/* The VM's eth0 (--linux with --net): --ip, --gateway, --dns, or DHCP.
 * Addresses in network byte order; 0: none. */
struct linux_netcfg {
	bool dhcp; /* lwIP's DHCP client asks on eth0; neither it nor ip: no eth0 */
	uint32_t ip, gateway, dns;
	unsigned prefix; /* 1..32 with ip */
	bool user_link;	 /* --net user: passt is the only other node on eth0's link */
};

struct linux_config {
	unsigned argc;
	char *const *argv;
	unsigned envc;
	char *const *envp;
	int fs_fd;	      /* O_PATH fd of the --fs tree (linux_hostfs.c) or -1: empty tree */
	const char *workdir;  /* pid 1's cwd in the VM's tree, or NULL: / */
	bool strace;	      /* print every call and its result on stderr */
	unsigned tty_mask;    /* bit n: the runner's fd n is a terminal */
	uint64_t tmp_limit;   /* bytes the writable /tmp may hold */
	uint64_t upper_limit; /* bytes the root's upper layer may hold; 0: a read-only root */
	int upper_fd;	      /* --fs-upper DIR: O_PATH fd the upper layer is written beneath
		       * when pid 1 ends (linux_upper.c), or -1 */
	unsigned max_tasks;   /* --pids: tasks at most (0: LINUX_DEFAULT_PIDS) */
	int record_fd; /* --record: where linux_record.c writes the record as the VM ends, or -1 */
	unsigned tmpfs_count; /* --tmpfs mounts (/dev/shm included), in order */
	struct linux_tmpfs {
		const char *path;
		uint64_t size;
	} tmpfs[LINUX_FS_MOUNTS];
	unsigned volume_count; /* --volume host directories, in order */
	struct linux_volume_config {
		const char *path; /* absolute, in the tree */
		int fd;		  /* owned by the tree once it is built; -1 after */
		bool ro;
	} volumes[LINUX_FS_VOLUMES];
	/* What the program sees of itself (linux_ident.c): --hostname, --user,
	 * --group-add, --rlimit; its own calls change them, nothing else. */
	char hostname[IDENT_HOSTNAME_MAX + 1];
	uint32_t uid, gid;
	unsigned ngroups;
	uint32_t groups[IDENT_MAX_GROUPS];
	uint32_t rlimit_set; /* bit n: rlimits[n] holds a limit */
	struct ident_rlimit rlimits[IDENT_RLIMITS];
	struct linux_netcfg net; /* eth0, when the VM has a NIC (linux_netif.c) */
};

struct linux_sigaction {
	uint64_t handler, flags, restorer, mask;
};

struct linux_pipe;
struct linux_sock;
struct linux_net;
struct linux_file_ops;
struct linux_epoll;
struct linux_timers;

/* An open file description. */
struct linux_file {
	enum {
		LINUX_FILE_NONE,
		LINUX_FILE_STDIO,
		LINUX_FILE_NODE,
		LINUX_FILE_PIPE,
		LINUX_FILE_SOCKET,
		LINUX_FILE_EVENT /* epoll, eventfd, timerfd, signalfd: served by ops */
	} kind;
	int host_fd;		   /* STDIO: the runner's 0, 1 or 2; NODE: a --fs file's fd or -1 */
	bool host_owned, host_tty; /* STDIO of `lockvm exec`: a passed fd, closed with the file */
	struct linux_node *node;   /* LINUX_FILE_NODE */
	struct linux_pipe *pipe;   /* LINUX_FILE_PIPE: its read end (O_RDONLY) or write end */
	struct linux_sock *sock;   /* LINUX_FILE_SOCKET (linux_socket.h) */
	const struct linux_file_ops *ops; /* LINUX_FILE_EVENT, with its state in priv */
	void *priv;
	uint64_t offset;
	unsigned flags;	       /* O_ACCMODE | O_APPEND | O_NONBLOCK */
	unsigned refs;	       /* fd slots sharing it (dup) */
	unsigned epoll_refs;   /* epoll sets watching it (linux_epoll.c) */
	struct linux_pty *pty; /* NODE of /dev/ptmx or /dev/pts/N: its pair (linux_pty.c) */
	bool pty_master;
};

/* What an event file (LINUX_FILE_EVENT) does on read/write, poll, last close. */
struct linux_file_ops {
	long (*io)(struct linux_proc *proc, struct linux_file *f, void *host, uint64_t len,
		   bool write_it);
	short (*poll)(struct linux_proc *proc, struct linux_file *f);
	/* Counts of what made it readable (in) or writable (out) so far: EPOLLET
	 * reports again when one moved (NULL: on rising events only). */
	void (*gen)(const struct linux_file *f, uint64_t *in, uint64_t *out);
	void (*release)(struct linux_proc *proc, struct linux_file *f);
};

struct linux_fd_slot {
	struct linux_file *file; /* NULL: the fd is free */
	bool cloexec;
};

/* A program's addresses end below LINUX_USER_TOP (nearly 127 TiB, as
 * Linux's 47-bit user space: ASan's shadow, Go's and V8's arena hints fit);
 * the two PML4 slots above it, the last of the lower half, are the VM's in
 * every address space. Slot 255: a supervisor-only map of all guest RAM
 * (2 MiB pages) through which the flush stub writes page-table frames. Slot
 * 254: the syscall doorbell page (LOCKVM_DOORBELL_GPA), user-writable. */
#define LINUX_USER_TOP	  0x7f0000000000ULL
#define LINUX_DOORBELL_VA LINUX_USER_TOP
#define LINUX_PHYSMAP	  0x7f8000000000ULL
/*
 * The page-table frames the VMM wrote since the program last ran, in the
 * runner's table area (count first, then their LINUX_PHYSMAP addresses).
 * A host whose KVM shadows the guest's page tables does not see a table
 * the VMM edits: before the program runs again, the flush stub writes to
 * each listed frame (KVM traps that write and drops its shadow of the
 * frame) and reloads CR3 (which flushes the TLB where KVM does not).
 */
#define LINUX_DIRTY_GPA 0x50000ULL
#define LINUX_DIRTY_END 0x90000ULL
/* vCPUs a --linux VM may have (--vcpus): each has its own flush stub and
 * an equal share of the list area (LINUX_DIRTY_GPA..END). */
#define LINUX_MAX_CPUS 8u

/* Guest RAM above the runner's area as 4K frames with reference counts. */
#define LINUX_ZERO_BATCH 4096u /* frames waiting to be zeroed, at most (16 MiB) */
struct linux_pages {
	/* Per vCPU: the frames written since its flush stub last ran (VMM
	 * memory; linux_mm_cr3() copies them into its share of the list
	 * area), up to dirty_max each; more in one call ends the VM. */
	uint64_t *dirty[LINUX_MAX_CPUS];
	uint64_t ndirty[LINUX_MAX_CPUS];
	/* Per vCPU, a bit per frame: on its list now, so a table is listed
	 * once however often it changes (a vCPU idle while others spawn
	 * thousands of processes sees the same few frames again and again). */
	uint8_t *listed[LINUX_MAX_CPUS];
	unsigned ncpus;
	uint64_t dirty_max;
	bool dirty_overflow;
	uint64_t physmap; /* the PDPT frame of LINUX_PHYSMAP */
	struct guest_mem *mem;
	uint64_t first, count; /* frames [first, first + count), in pages */
	uint64_t next;	       /* frames from here on were never handed out */
	uint64_t nfree, used;
	uint32_t *refs; /* per frame: address-space entries naming it */
	uint32_t *free; /* stack of freed frames (zeroed) */
	/* Frames to zero at the next flush, in the order they came: a
	 * process's pages go back in address order, which is their frames'
	 * order or its reverse (the free stack is last in, first out), so
	 * the flush finds runs either way and gives each run back in one
	 * madvise (LINUX_ZERO_BATCH at most: then it flushes). */
	uint32_t *zero;
	uint64_t nzero;
	struct linux_mm *mms; /* every address space (ftruncate unmaps from each) */
	/* Called when no frame is left, to give some back (the private
	 * mappings' page cache); a frame came free when it returns true. */
	bool (*reclaim)(void *arg);
	void *reclaim_arg;
};

/* A mapping record (Linux's VMA): [start, end) with its rights. */
#define LINUX_VMA_SHARED   1u /* MAP_SHARED: fork shares it writable */
#define LINUX_VMA_MAYWRITE 2u /* a shared file mapping of an fd open for writing */
/* Private anonymous memory given a frame at its first access, not when it
 * is mapped (MAP_NORESERVE). Other mappings get their frames at once: a
 * first touch costs a VM exit here, a mapping's frames do not
 * (docs/ARCHITECTURE.md). */
#define LINUX_VMA_LAZY 4u
struct linux_shm;
/* What /proc/PID/maps names a file mapping by: the file (its path when
 * maps is read, "(deleted)" once unlinked, as Linux's), device and inode.
 * One is shared by the records a mapping splits into and by a fork's
 * copies (refs); it holds a reference on the node, as a mapping keeps its
 * file. An image from outside the tree has no node: its path is kept. */
struct linux_fs;
struct linux_node;
struct linux_vma_file {
	unsigned refs;
	uint64_t dev, ino;
	struct linux_fs *fs;
	struct linux_node *node; /* NULL: path */
	char path[];
};
struct linux_vma {
	uint64_t start, end;
	unsigned prot, flags;
	struct linux_shm *shm;	     /* MAP_SHARED of a file: the node's page cache (linux_shm.c) */
	struct linux_vma_file *file; /* a mapping of a file or an ELF image: its name; NULL: none */
	uint64_t pgoff;		     /* with shm or file: the file offset of start */
};

/* An address space: shared by CLONE_VM (refs), replaced by execve. */
struct linux_mm {
	unsigned refs;
	struct linux_pages *pages;
	uint64_t root;		/* the PML4 frame: CR3 while it runs */
	struct linux_vma *vmas; /* sorted, non-overlapping */
	unsigned nvmas, vmas_cap;
	uint64_t brk_start, brk; /* heap [brk_start, brk) */
	struct linux_mm *next;	 /* pages->mms */
};

/* A runner page every address space maps at the same place. */
#define LINUX_MAX_KMAPS 8
struct linux_kmap {
	uint64_t addr, len, bits;
	uint64_t phys; /* the guest-physical address at addr */
};

/* Who a task is (the VM's view): --user and --group-add for pid 1 and its
 * children, what `lockvm exec --user` asked for an exec'd process. */
struct linux_cred {
	uint32_t uid, gid;
	unsigned ngroups;
	uint32_t groups[IDENT_MAX_GROUPS];
};

/*
 * What each task (process) has of its own. While a task runs these fields
 * are the ones in struct linux_proc (the union below), so the code serving
 * a call reads proc->fds, proc->mm... as for one process; a switch saves
 * them into the task and loads the next task's (linux_sched.c).
 */
#define LINUX_TASK_FIELDS                                                                          \
	struct linux_mm *mm;                                                                       \
	uint64_t stack_low; /* lowest byte of the initial stack mapping */                         \
	uint64_t entry, load_bias, phdr, phnum, image_end; /* image (linux_exec.c) */              \
	uint64_t initial_rsp;                                                                      \
	struct linux_fd_slot fds[LINUX_MAX_FDS]; /* files (linux_fd.c, linux_sysfile.c) */         \
	struct linux_node *cwd;                                                                    \
	struct linux_sigaction actions[LINUX_NSIG]; /* signals (linux_signal.c) */                 \
	uint64_t sigmask;                                                                          \
	uint64_t altstack_sp, altstack_size;                                                       \
	uint32_t altstack_flags;                                                                   \
	unsigned signal_depth;                                                                     \
	uint64_t clear_child_tid; /* set_tid_address, CLONE_CHILD_CLEARTID */                      \
	uint64_t arg_start, env_start,                                                             \
	    env_end; /* its first stack's strings (/proc/PID/environ) */                           \
	uint64_t fs_base, gs_base;                                                                 \
	struct linux_cred cred;

struct linux_task_state {
	LINUX_TASK_FIELDS
};

/* A task's x87/SSE state as FXSAVE lays it out, every field meant (none
 * left to an XSTATE_BV bit: an initial component is written out). The
 * program cannot enable AVX or more: CR4.OSXSAVE is off. */
struct linux_fpu {
	uint8_t legacy[512];
};

/* Registers a syscall sees and may change; the architecture code moves
 * them between KVM and here. */
struct linux_regs {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rip, rflags;
};

enum linux_task_run {
	LINUX_TASK_RUNNABLE, /* runs, or waits for the vCPU */
	LINUX_TASK_BLOCKED,  /* its call is retried when something happened */
	LINUX_TASK_VFORKED,  /* vfork parent: until the child execs or exits */
	LINUX_TASK_ZOMBIE,   /* exited, not yet reaped */
	LINUX_TASK_EXITED,   /* a group leader that exited while its threads run */
};

/* A task's futex wait (linux_futex.c): what it waits on, and whether a
 * wake came (its retried call then returns 0). */
struct linux_futex_wait {
	enum { FUTEX_IDLE, FUTEX_QUEUED, FUTEX_WOKEN } state;
	uintptr_t key_mm; /* private: its address space; shared: 0 */
	uint64_t key;	  /* private: the address; shared: the frame's address + offset */
	uint32_t bitset;
	uint64_t seq;	   /* queue order: lower is woken first */
	uint64_t deadline; /* monotonic ns, 0 none */
};

#define LINUX_DEFAULT_PIDS 256 /* --pids: tasks a VM may hold (zombies count) */

/* A task: one thread; its thread group (tgid: the leader's pid) is a
 * process. Threads of a group share the address space, fds, cwd and
 * signal actions (linux_thread.c keeps their copies the same). */
struct linux_task {
	int pid, ppid, pgid, sid; /* pid: the thread id; ppid: 0 for a non-leader thread */
	int tgid;
	enum linux_task_run run;
	int wstatus;			/* ZOMBIE: status as wait4 encodes it */
	int exit_signal;		/* sent to the parent at exit (clone's low byte) */
	struct linux_task *vfork_child; /* VFORKED: the child it waits for */
	uint64_t block_gen;		/* BLOCKED: proc->wake_gen when it blocked */
	uint64_t block_deadline;	/* BLOCKED: its call's deadline, 0 none */
	uint64_t pending;		/* signals sent to this thread, not yet delivered */
	uint64_t group_pending;		/* leader: signals sent to the process */
	/* Job control (leader): the process is stopped (stop_signal) until
	 * SIGCONT; what wait's WUNTRACED and WCONTINUED have yet to report. */
	bool stopped, report_stop, report_cont;
	int stop_signal;
	/* Leader: what the SIGCHLD last sent to it says (si_code CLD_*, the
	 * child's pid, si_status); code 0: none. */
	struct {
		int code, pid, status;
	} chld;
	bool autoreap;			  /* a thread: freed once it is a zombie */
	uint64_t robust_list, robust_len; /* set_robust_list */
	struct linux_futex_wait futex;
	uint64_t set_child_tid;	       /* CLONE_CHILD_SETTID: written when it first runs */
	uint64_t utime_ns, stime_ns;   /* run time at CPL 3 and serving its calls */
	uint64_t cutime_ns, cstime_ns; /* of its reaped children (RUSAGE_CHILDREN) */
	uint64_t maxrss_pages, cmaxrss_pages;
	char comm[16];
	/* What prctl and setpriority record (linux_prctl.c): its nice value
	 * (-20..19; fork copies it), the signal it gets when its parent
	 * dies (fork clears it), no_new_privs (kept for good), and for a
	 * leader: a child subreaper, dumpable, membarrier registrations. */
	int nice, pdeathsig;
	bool no_new_privs, subreaper, undumpable;
	unsigned membarrier_registered;
	/* An open(2) of a FIFO waiting for the other end (linux_pipe.c): the
	 * node (a reference held), which end it opens, and the other end's
	 * open count when it began (an open and close meanwhile lets it go). */
	struct linux_node *fifo_wait;
	bool fifo_wait_write;
	uint64_t fifo_mark;
	char cmdline[256]; /* its argv, NUL-separated, cut at 256 bytes */
	unsigned cmdline_len;
	char exe[LINUX_PATH_MAX];      /* its image's path in the VM's tree (/proc/PID/exe) */
	struct linux_regs regs;	       /* while it does not run */
	struct linux_fpu fpu;	       /* while it does not run */
	struct linux_task_state saved; /* while it does not run */
	/* The vCPU it is on (index + 1; 0: none): running there, or held
	 * there while that vCPU waits for its blocked call. No other vCPU
	 * picks it, and it is freed only once that vCPU left it. */
	unsigned on_cpu;
	bool free_pending; /* out of the task table: freed when its vCPU leaves it */
};

/*
 * One vCPU of the VM as the Linux-ABI layer sees it. Every vCPU thread
 * runs the program's code in parallel; the layer itself runs under one
 * lock (proc->bkl), and while a call or a fault is served the other
 * vCPUs are out of KVM_RUN (linux_cpu_stop_others()), so the layer and
 * the page tables it edits stay as single-threaded as with one vCPU.
 */
struct linux_cpu {
	struct vcpu *vcpu;
	unsigned index;
	struct linux_task *task; /* on this vCPU (linux_task.on_cpu); NULL: none yet */
	atomic_bool in_guest;	 /* from the lock's release to KVM_RUN's return */
	bool stop_kicked;	 /* kicked only to stop it (linux_cpu_stop_others) */
	bool others_stopped;	 /* it holds the lock and the others are out */
	bool wake_on_call;	 /* waiting: a call served elsewhere wakes it (linux_cpu_leave) */
	uint64_t gen_seen;	 /* proc->wake_gen when it took the lock */
	bool tlb_stale;		 /* a mapping lost rights: its flush stub runs before the program */
	/* The call state of the task it serves, kept while another vCPU holds
	 * the lock (linux_proc's fields of the same names). */
	uint64_t retry_deadline, cpu_mark, sigmask_saved, serve_start, serve_tail;
	bool sigmask_restore, resched, cur_blocked, retry_soon, regs_replaced, fs_base_dirty;
	bool retry_call;
	struct linux_regs *regs;
	uint64_t runs; /* entries into the guest with a task (/proc/stat) */
};

/*
 * The bytes of the last few programs exec'd from the tree the user gave
 * (linux_exec.c): `posix_spawn` of the same program, a shell's or make's
 * children, read it again and again (busybox: 2 MiB per exec). A copy is
 * used again only while the file's identity holds: device, inode, size,
 * mtime and ctime as fstat() of the file opened for this exec says (any
 * write, truncate or replacement on the host changes one of them). At most
 * LINUX_EXEC_CACHE_FILES copies of LINUX_EXEC_CACHE_MAX bytes in all, in
 * the VMM's heap: a larger file is read for its exec only.
 */
#define LINUX_EXEC_CACHE_FILES 8u
#define LINUX_EXEC_CACHE_MAX   (16ULL << 20)
#define LINUX_EXEC_LARGE       2u
struct linux_exec_file;
struct linux_exec_cache {
	struct linux_exec_file *files[LINUX_EXEC_CACHE_FILES]; /* most recent first */
	uint64_t bytes;
	uint64_t frames;       /* guest frames the copies hold (linux_exec_share_frame) */
	uint64_t hits, misses; /* --stats */
	/* Programs larger than LINUX_EXEC_CACHE_MAX mapped from their file for
	 * an exec under way (a program and its interpreter): their read-only
	 * pages come from the private mappings' page cache (linux_fcache.c). */
	struct linux_exec_file *large[LINUX_EXEC_LARGE];
};

/*
 * The pages of the host tree's files that MAP_PRIVATE mappings share
 * (linux_fcache.c): ld.so maps each library of each dynamic program, and a
 * build starts hundreds. A page wholly inside the file is read into a
 * frame once and mapped copy-on-write by every mapping of it (a write
 * copies, as after fork); only lower files of the tree the user gave (the
 * VM never writes those), used again only while fstat() of the mapped fd
 * gives the same device, inode, size, mtime and ctime. At most
 * LINUX_FCACHE_FILES files and an eighth of the frames; frames no mapping
 * holds go back first when the pool runs out.
 */
#define LINUX_FCACHE_FILES 64u
struct linux_fcache_file;
struct linux_fcache {
	struct linux_fcache_file *files[LINUX_FCACHE_FILES]; /* most recent first */
	uint64_t frames;				     /* frames the cache holds */
	uint64_t hits, misses;				     /* --stats */
};

struct linux_proc {
	struct vm *vm;
	struct linux_config cfg;
	/* Memory: the VM's frame pool (linux_page.c), the runner's pages every
	 * address space maps (the running task's address space is mm). */
	struct linux_pages pages;
	struct linux_exec_cache exec_cache;
	struct linux_fcache fcache;
	/* vCPUs (linux_cpu.c): cpu holds bkl, and cur is its task. */
	pthread_mutex_t bkl;
	struct linux_cpu cpus[LINUX_MAX_CPUS];
	unsigned ncpus;
	struct linux_cpu *cpu;
	atomic_bool stopping; /* the lock's holder waits for the others to leave KVM_RUN */
	struct linux_kmap kmaps[LINUX_MAX_KMAPS];
	unsigned nkmaps;
	uint64_t user_top;	/* end of what the program may ever map */
	uint64_t user_low;	/* ... and its start: above the runner's pages (linux_mm_reserve) */
	bool tlb_stale;		/* a mapping lost rights: flush before resuming */
	bool fault_sigbus;	/* linux_mm_fault: a shared file page past the end, or no frame */
	struct linux_shm *shms; /* every file page cache (linux_shm.c) */
	bool shm_teardown;	/* linux_free: caches go without write-back */
	/* Files: the VM's tree (linux_fs.c) */
	struct linux_fs fs;
	struct linux_net *net; /* sockets of every task (linux_unix.c); NULL while there are none */
	struct linux_epoll *epolls;  /* every epoll set (linux_epoll.c) */
	uint64_t epoll_walk;	     /* stamps one look through nested sets */
	unsigned epoll_nest;	     /* > 0: inside such a look */
	struct linux_timers *timers; /* armed timers (linux_itimer.c); NULL while there are none */
	struct linux_lock *locks;    /* flock and fcntl locks of every task (linux_lock.c) */
	struct linux_spawns *spawns; /* `lockvm exec` requests (linux_spawn.c) */
	/* Tasks (linux_task.c, linux_sched.c): cur runs, its state below. */
	struct linux_task **tasks;
	unsigned ntasks, max_tasks;
	struct linux_task *cur;
	int next_pid;
	uint64_t futex_seq;	 /* queue order of futex waits (linux_futex.c) */
	uint64_t wake_gen;	 /* bumped by every call served: blocked tasks retry */
	uint64_t net_seen;	 /* linux_inet_events as wake_gen last took it */
	uint64_t retry_deadline; /* the retried call's first deadline, or 0 */
	bool resched;		 /* switch tasks when the call returns */
	bool cur_blocked;	 /* the call blocked: retry it later */
	bool retry_soon;	 /* ... as soon as its turn comes (a timer fired meanwhile) */
	bool retry_call;	 /* the task switched to resumes at its blocked call's SYSCALL */
	uint64_t cpu_mark;	 /* the vCPU thread's CPU clock at the last linux_account() */
	uint64_t serve_start;	 /* the wall clock when the call being served began, or 0 */
	uint64_t serve_tail;	 /* the wall time of the last call's end, not sampled */
	bool retry_own;		 /* its vCPU retries its blocked call: a host signal waits for it */
	bool retry_expired; /* linux_block_until() found a retried call's first deadline passed */
	union {
		struct linux_task_state task_state;
		struct {
			LINUX_TASK_FIELDS
		};
	};
	/* Host signals (linux_host_signal, main thread): pending set, read and
	 * cleared atomically by the vCPU; the rest under vm->lock. */
	uint64_t host_pending;
	bool host_signalled;	    /* one was taken: the next ends the VM */
	uint64_t signal_generation; /* bumped per host signal and per batch of frames
				     * from the NIC: blocked calls look again */
	uint64_t sigmask_saved;	    /* rt_sigsuspend: the mask its handler's frame restores */
	bool sigmask_restore;
	bool fs_base_dirty;	 /* arch_prctl changed it: load it before resuming */
	bool regs_replaced;	 /* the call set every register (rt_sigreturn, a signal) */
	struct linux_regs *regs; /* registers of the call being served */
	/* The running task's FPU state (linux_sigfpu.c): KVM holds it while the
	 * program runs; fpu is a copy once fpu_held, and goes back to KVM
	 * before the program resumes when fpu_dirty. */
	struct linux_fpu fpu;
	bool fpu_held, fpu_dirty;
	/* Counters */
	uint64_t syscalls, enosys;
	uint64_t eafnosupport; /* socket() of a family not served (linux_socket.c) */
	uint32_t enosys_by_nr[LINUX_ENOSYS_SLOTS + 1];
	struct linux_pty *ptys[LINUX_PTYS]; /* pty pairs by index (linux_pty.c) */
	struct linux_record *record;	    /* --record (linux_record.c); NULL: off */
};

/* ---- linux_cpu.c: the vCPUs ---- */

/* proc->cpus from vm->vcpu_count (1 without vCPUs: fuzzing); cpu 0 holds. */
void linux_cpu_init(struct linux_proc *proc);
/* A vCPU thread's exit: leaves the guest, takes proc->bkl and loads its
 * task's state into proc (proc->cpu, proc->cur). */
struct linux_cpu *linux_cpu_enter(struct linux_proc *proc, struct vcpu *vcpu);
/* Before KVM_RUN again: gives the lock back. */
void linux_cpu_leave(struct linux_proc *proc, struct linux_cpu *lc);
/* Kicks every other vCPU out of KVM_RUN and waits until each has left it
 * (once per hold): no program code runs while the holder serves a call or
 * a fault, edits page tables or frees frames. */
void linux_cpu_stop_others(struct linux_proc *proc);
/* With the lock held: gives it up until wake (0: none), the VM's end or
 * linux_cpu_wake_idle(), and with chores (a vCPU with a task) a host
 * signal or frames from the NIC; takes it back with its task loaded. */
void linux_cpu_wait(struct linux_proc *proc, uint64_t wake, bool chores);
/* A task may run now: idle vCPUs look (more than one vCPU). */
void linux_cpu_wake_idle(struct linux_proc *proc);
/* proc->tlb_stale reaches every vCPU's flag. */
void linux_cpu_tlb_stale(struct linux_proc *proc);
/* The holder's vCPU must run its flush stub before the program resumes. */
bool linux_cpu_flush_due(struct linux_proc *proc);

/* ---- linux_netif.c: the stack served while the program runs or blocks ---- */

/* Syscall entry: adds eth0 at the program's first call (waiting for a DHCP
 * lease, at most 10 s), then feeds queued frames and due timers to lwIP. */
void linux_net_tick(struct linux_proc *proc);
/* The earlier of wake (0: none) and lwIP's next timer. */
uint64_t linux_net_wake(uint64_t wake);
/* Serves the stack (frames in, due timers): true when a socket changed
 * since the scheduler last looked (linux_net_changed). */
bool linux_net_run(struct linux_proc *proc);
/* Whether a socket changed (data, a connection, an error, room to send)
 * since the last call: the stack is served at every call's entry and
 * inside socket calls, for any task's sockets; the scheduler turns this
 * into a wake of blocked tasks. */
bool linux_net_changed(struct linux_proc *proc);
/* Under vm->lock: frames from the NIC wait for the stack (do not sleep). */
bool linux_net_pending(struct linux_proc *proc);
/* After each call: TCP segments held for a super-frame leave (linux_netif_tso.c). */
void linux_net_flush(struct linux_proc *proc);
/* The program ends: what its TCP connections on eth0 still have to send
 * goes, as Linux sends it after a process ends (at most 5 s, or until
 * --timeout or a stop). */
void linux_net_drain(struct linux_proc *proc);
/* The call being served polls an inet socket: a socket event ends its wait. */
void linux_net_watch(struct linux_proc *proc);
bool linux_net_watched(const struct linux_proc *proc);
/* Main thread (guest_ops.frames_in): the NIC queued frames; wakes the vCPU. */
void linux_net_frames_in(struct vm *vm);

/* ---- linux_boot.c: building the process and the vCPU hooks ---- */

/*
 * Builds the process in vm's RAM from the ELF file[0, size): page tables,
 * image, stack with argv/envp/auxv, descriptor tables, the file tree from
 * cfg->fs_fd, the cwd cfg->workdir. With file NULL, the program is argv[0]
 * in the tree, found as execvp does (PATH for a name without '/', else
 * from the workdir). Needs guest RAM mapped and 1 to LINUX_MAX_CPUS vCPUs.
 * Returns the process, or NULL with a one-line reason in err.
 */
struct linux_proc *linux_setup(struct vm *vm, const uint8_t *file, uint64_t size,
			       const struct linux_config *cfg, char *err, size_t errlen);

/* Loads the vCPU's entry state for the process (after arch_vcpu_init()):
 * SYSCALL MSRs, EFER.SCE, registers. Returns 0 or -1 with err. */
int linux_vcpu_init(struct vcpu *vcpu, char *err, size_t errlen);

/* Prints the --stats line for the process (syscalls, ENOSYS counts). */
void linux_print_stats(const struct linux_proc *proc);

/* Frees the VMM-side state. */
void linux_free(struct linux_proc *proc);

/* ---- linux_syscall.c ---- */

/* Serves one syscall: regs in, regs out (rax = result, or a whole new
 * register set for rt_sigreturn). Touches KVM only to read the FPU state
 * (linux_arch_fpu_fetch(), nothing without a vCPU run page): the fuzz
 * target and unit tests drive it directly. */
void linux_syscall(struct linux_proc *proc, struct linux_regs *regs);

/* Name of a syscall number ("?" if unknown). */
const char *linux_syscall_name(uint64_t nr);

/* ---- linux_mm.c, linux_pgtable.c, linux_vma.c, linux_page.c: memory ---- */

#define LINUX_PROT_READ	 1u
#define LINUX_PROT_WRITE 2u
#define LINUX_PROT_EXEC	 4u

/* The frame pool over guest RAM above LOCKVM_RUNNER_END, with a
 * page-table list for each of ncpus vCPUs. 0 or -ENOMEM. */
int linux_pages_init(struct linux_pages *pg, struct guest_mem *mem, unsigned ncpus);
/* vCPU cpu's share of the list area: its guest-physical address. */
uint64_t linux_pages_list_gpa(const struct linux_pages *pg, unsigned cpu);
/* vCPU cpu left its flush stub unfinished: the first `left` entries of its
 * list (those the stub had not yet written) are listed again for its next
 * run of the stub. */
void linux_pages_requeue(struct linux_pages *pg, unsigned cpu, uint64_t left);
/* vCPU c's list was handed to its flush stub: empty, nothing on it. */
void linux_pages_listed_clear(struct linux_pages *pg, unsigned c);
void linux_pages_free(struct linux_pages *pg);
/* A zeroed frame with one reference (its guest-physical address), or 0. */
uint64_t linux_page_alloc(struct linux_pages *pg);
void linux_page_get(struct linux_pages *pg, uint64_t gpa);
/* Drops a reference; the last one frees (zeroes) the frame. */
void linux_page_put(struct linux_pages *pg, uint64_t gpa);
/* A frame in use reads as zeros again, kept where it is (its references
 * and every entry that maps it stay): at the next linux_page_flush(). */
void linux_page_zero(struct linux_pages *pg, uint64_t gpa);
/* Zeroes the frames put or given to linux_page_zero() since the last
 * flush (both batch them). */
void linux_page_flush(struct linux_pages *pg);
uint32_t linux_page_refs(const struct linux_pages *pg, uint64_t gpa);
/* The VMM wrote to the page-table frame at `table`: listed for the flush
 * stub before the program runs again. */
void linux_page_dirty(struct linux_pages *pg, uint64_t table);
/* Host address of guest-physical gpa inside a pool frame, or NULL. */
void *linux_page_host(const struct linux_pages *pg, uint64_t gpa);

/* The frame pool, the runner's pages and a first address space for the
 * process. Returns 0 or -1 with err. */
int linux_mm_init(struct linux_proc *proc, char *err, size_t errlen);
/* Drops the process's address space and the pool. */
void linux_mm_free(struct linux_proc *proc);

/* A new address space holding only the runner's pages (refs 1), or NULL. */
struct linux_mm *linux_mm_new(struct linux_proc *proc);
void linux_mm_put(struct linux_mm *mm);
/* A copy of the process's address space for a forked child: private pages
 * shared copy-on-write (read-only in both), MAP_SHARED ones shared. */
struct linux_mm *linux_mm_fork(struct linux_proc *proc);
/* Gives the caller a new empty address space; the old one loses a
 * reference (a vfork parent sharing it keeps it). execve calls it before
 * loading the new image. 0 or -ENOMEM. */
int linux_mm_exec(struct linux_proc *proc);
/* The last-level entry of va in mm (tables allocated when alloc), or NULL. */
uint64_t *linux_mm_pte(struct linux_mm *mm, uint64_t va, bool alloc);
/* The VMM wrote the entry pte of mm (linux_page_dirty() of its table). */
void linux_mm_dirty(struct linux_mm *mm, const uint64_t *pte);
/* LINUX_PHYSMAP's tables (from the pool, held by the VM). 0 or -ENOMEM. */
int linux_physmap_init(struct linux_proc *proc);
void linux_physmap_free(struct linux_proc *proc);
/* Where to look next after va when a table on its walk in mm is missing. */
uint64_t linux_mm_skip(struct linux_mm *mm, uint64_t va);
/* A child that shared mm's pages copy-on-write exec'd or exited: the
 * private pages only mm holds now are writable again (no fault per page). */
void linux_mm_reclaim_write(struct linux_proc *proc, struct linux_mm *mm);
/* Makes a copy-on-write entry writable (copying the frame if shared). */
int linux_mm_cow(struct linux_proc *proc, uint64_t *pte);
/* The page of shared file mapping v at addr: its cache frame mapped, and
 * for a write marked dirty and writable. 0, -EACCES (the mapping's rights
 * forbid it), -EFAULT (past the end of the file), -ENOMEM. */
int linux_mm_shm_fault(struct linux_proc *proc, const struct linux_vma *v, uint64_t addr,
		       bool write);
/* The page at addr of lazy mapping v (LINUX_VMA_LAZY) with no frame yet: a
 * zeroed one, with the mapping's rights. 0, -EACCES (the rights forbid the
 * access: PROT_NONE, or a write), -ENOMEM. */
int linux_mm_lazy_fault(struct linux_proc *proc, const struct linux_vma *v, uint64_t addr,
			bool write);
/* Serves a page fault the program took: true when it may resume (a
 * copy-on-write page copied, or a stale TLB entry). */
bool linux_mm_fault(struct linux_proc *proc, uint64_t addr, uint64_t error_code);
/* The CR3 to run the process with, given the vCPU's current one; *flush:
 * the TLB must be flushed before it runs (a mapping lost rights or moved,
 * or another address space). */
uint64_t linux_mm_cr3(struct linux_proc *proc, uint64_t cur, bool *flush);

/* Mapping records of mm (linux_vma.c). */
struct linux_vma *linux_vma_find(struct linux_mm *mm, uint64_t addr);
/* The first record ending above addr, or NULL. */
struct linux_vma *linux_vma_next(struct linux_mm *mm, uint64_t addr);
int linux_vma_split(struct linux_mm *mm, uint64_t addr);
int linux_vma_remove(struct linux_mm *mm, uint64_t start, uint64_t end);
/* Records v (start, end, prot, flags, shm, file, pgoff) over a free range,
 * merged with a neighbour of the same kind; a record it keeps takes its own
 * references on v->shm and v->file. 0, -EEXIST or -ENOMEM. */
int linux_vma_insert(struct linux_mm *mm, const struct linux_vma *v);
/* One more record names v's cache and file (a fork's copy, a kept kind);
 * linux_vma_drop gives those references back. */
void linux_vma_hold(const struct linux_vma *v);
void linux_vma_drop(const struct linux_vma *v);
/* A new name (one reference) for maps: node of fs, or without one (NULL)
 * path; NULL (no memory: the mapping goes unnamed). linux_vma_file_put
 * drops a reference. */
struct linux_vma_file *linux_vma_file_new(struct linux_fs *fs, struct linux_node *node,
					  const char *path, uint64_t dev, uint64_t ino);
void linux_vma_file_put(struct linux_vma_file *f);
/* The records of [start, end) name f (a reference each) from file offset
 * pgoff on, as if mapped by one mmap: split at start and end. 0 or -ENOMEM. */
int linux_vma_name(struct linux_mm *mm, uint64_t start, uint64_t end, struct linux_vma_file *f,
		   uint64_t pgoff);
/* Drops the cache and name references of mm's records (the address space goes). */
void linux_vma_free_all(struct linux_mm *mm);
bool linux_vma_free(struct linux_mm *mm, uint64_t start, uint64_t end);
bool linux_vma_covered(struct linux_mm *mm, uint64_t start, uint64_t end);
/* The highest free [a, a + len) inside [low, high), or 0. */
uint64_t linux_vma_gap(struct linux_mm *mm, uint64_t len, uint64_t low, uint64_t high);

/* Maps [addr, addr+len) with prot (LINUX_PROT_*): `zero`: a new private
 * mapping of zeroed frames replacing what was there; otherwise new rights
 * for what is there, contents kept (gaps become new mappings). Returns 0
 * or -errno. */
int linux_mm_map(struct linux_proc *proc, uint64_t addr, uint64_t len, unsigned prot, bool zero);
/* The page at addr (inside a private mapping) holds `frame` (a reference
 * taken), no rights until linux_mm_map() gives them: a frame another
 * holder keeps too is read-only, copied at the first write. */
int linux_mm_map_frame(struct linux_proc *proc, uint64_t addr, uint64_t frame);

/* A runner page at [addr, addr+len) with pte_bits in every address space
 * (identity mapped), below which the program maps nothing (user_low: the
 * runner's pages end at 96 KiB, so a program may map from there, as
 * valgrind loads its client at 1 MiB); pte_bits 0: nothing. */
void linux_mm_reserve(struct linux_proc *proc, uint64_t addr, uint64_t len, uint64_t pte_bits);

/* ---- linux_uaccess.c ---- */

/* Checked copies of a whole struct from or to the program, page by page
 * through its page tables (guest structs need not be aligned, so they are
 * never used through a typed pointer). Return 0 or -EFAULT. */
long linux_copy_in(struct linux_proc *proc, void *dst, uint64_t addr, uint64_t len);
long linux_copy_out(struct linux_proc *proc, uint64_t addr, const void *src, uint64_t len);
/* Whether the program could make this access to every byte of [addr,
 * addr+len) (copy-on-write pages copied for a write). 0 or -EFAULT. */
long linux_user_access(struct linux_proc *proc, uint64_t addr, uint64_t len, bool write);
/* Zeroes [addr, addr+len) of the program as a copy_out would. */
long linux_clear_user(struct linux_proc *proc, uint64_t addr, uint64_t len);
/* Writes into frames the process alone holds whatever their rights
 * (filling a new file mapping). 0 or -EFAULT. */
long linux_mm_poke(struct linux_proc *proc, uint64_t addr, const void *src, uint64_t len);

/* Copies a NUL-terminated string of at most max-1 bytes from the program.
 * Returns its length, -EFAULT or -ENAMETOOLONG. */
long linux_user_string(struct linux_proc *proc, uint64_t addr, char *out, size_t max);

/* Bytes the file calls move through the VMM per piece (a bounded buffer). */
#define LINUX_BOUNCE (64U << 10)

long linux_sys_brk(struct linux_proc *proc, uint64_t addr);
long linux_sys_mmap(struct linux_proc *proc, uint64_t addr, uint64_t len, uint64_t prot,
		    uint64_t flags, uint64_t fd, uint64_t offset);
long linux_sys_munmap(struct linux_proc *proc, uint64_t addr, uint64_t len);
long linux_sys_mprotect(struct linux_proc *proc, uint64_t addr, uint64_t len, uint64_t prot);
long linux_sys_mremap(struct linux_proc *proc, uint64_t old, uint64_t old_len, uint64_t new_len,
		      uint64_t flags, uint64_t new_addr);
long linux_sys_madvise(struct linux_proc *proc, uint64_t addr, uint64_t len, uint64_t advice);
/* msync: the dirty pages of the shared file mappings in [addr, addr+len)
 * written back to their files (MS_ASYNC, MS_SYNC alike). */
long linux_sys_msync(struct linux_proc *proc, uint64_t addr, uint64_t len, uint64_t flags);

/* ---- linux_elf.c ---- */

/* An ELF image checked by linux_elf_parse(): link-time addresses. */
struct linux_elf {
	uint64_t lo, hi;		 /* page-aligned span of the PT_LOAD segments */
	uint64_t max_align;		 /* largest segment alignment, at most 2 MiB */
	uint64_t entry, phdr;		 /* phdr: where the program headers are loaded */
	uint64_t phoff, phnum;		 /* the program header table in the file */
	uint64_t interp_off, interp_len; /* PT_INTERP's path in the file; len 0: none */
	bool dyn, have_phdr;		 /* dyn: ET_DYN (placed at a bias of our choice) */
};

/* Checks an x86-64 executable file[0, size) (segments, entry, PT_INTERP)
 * without mapping anything. Returns 0 or -1 with a reason in err. */
int linux_elf_parse(const uint8_t *file, uint64_t size, struct linux_elf *elf, char *err,
		    size_t errlen);

/* Maps the checked image at link address + bias with its segments' rights,
 * written through linux_copy_out(); with `cached` (the exec cache's copy of
 * file), a page of a read-only segment that the file covers whole maps the
 * copy's frame of that file page instead (shared by every process running
 * the program, copy-on-write like a forked page). Its pages holding file
 * bytes are named `name` in /proc/PID/maps (NULL: none). Returns 0 or -errno. */
int linux_elf_map(struct linux_proc *proc, const uint8_t *file, const struct linux_elf *elf,
		  uint64_t bias, struct linux_exec_file *cached, struct linux_vma_file *name);

/* Whether an image the SDK loader would take looks like a Linux program
 * (ABI note, TLS segment, Linux OS ABI): `lockvm run` then asks for --linux. */
bool linux_elf_looks_linux(const uint8_t *file, uint64_t size);

/* ---- linux_spawn.c: `lockvm exec`, a new process from the control channel ---- */

struct control_msg;
/* Main thread: queues a CONTROL_EXEC request (payload checked again here)
 * with its stdio fds, which it takes on success; the vCPU starts it at its
 * next call or kick. 0, or -1 with a one-line reason (fds stay the caller's). */
int linux_spawn_request(struct vm *vm, const struct control_msg *m, const void *payload,
			const int *fds, unsigned nfds, char *err, size_t errlen);
/* Main thread: a signal for exec'd process id (CONTROL_EXEC_KILL). */
void linux_spawn_kill(struct vm *vm, uint32_t id, int sig);
/* Main thread, woken by the vCPU: sends what happened to the exec'd
 * processes (EXEC_STARTED, EXEC_EXITED) on the control socket. */
void linux_spawn_report(struct vm *vm, int control_fd);
/* vCPU thread: starts queued requests, sends the clients' signals (to the
 * running task only when may_signal_cur: its call is done or may give up),
 * collects exec'd processes that exited. True when the running task was
 * signalled (a blocked call gives up). */
bool linux_spawn_poll(struct linux_proc *proc, bool may_signal_cur);
/* vCPU thread: a request, a signal or an exec'd process to collect waits
 * for linux_spawn_poll(). */
bool linux_spawn_pending(const struct linux_proc *proc);
/* The request table, before the vCPU runs (linux_setup). */
void linux_spawn_init(struct linux_proc *proc);
/* Frees the requests (linux_free). */
void linux_spawn_free(struct linux_proc *proc);

/* ---- linux_exec.c: execve and the one loader ---- */

/* The path a program `name` has in the VM's tree, as execvp finds it: a
 * name without '/' through the PATH list `path` (linux_boot.c). */
void linux_exec_search_path(struct linux_proc *proc, const char *name, const char *path, char *out,
			    size_t len);
/* A program's bytes, read whole from the VM's tree (*size of them): NULL
 * with *rc -errno when it is no executable regular file. Given back with
 * linux_exec_file_put(): a file of the tree the user gave may be the
 * exec cache's copy (struct linux_exec_cache). */
uint8_t *linux_exec_read_path(struct linux_proc *proc, const char *path, uint64_t *size, long *rc);
/* Done with bytes linux_exec_read_path() gave (NULL: nothing). */
void linux_exec_file_put(uint8_t *bytes);
/* Frees the exec cache's copies (the VM's end; none may be in use). */
void linux_exec_cache_free(struct linux_proc *proc);

/* ---- linux_fcache.c: the pages private file mappings share ---- */

/* The cache's record of the file open as host_fd (node: its node), made or
 * made afresh (the file changed on the host), or NULL: not a lower host
 * file, or no memory. Valid until the next call. */
struct linux_fcache_file *linux_fcache_open(struct linux_proc *proc, const struct linux_node *node,
					    int host_fd);
/* The frame holding whole page `index` of the file, read from host_fd the
 * first time (within the cache's frame budget), or 0: the mapping copies
 * that page itself. The cache keeps its own reference. */
uint64_t linux_fcache_frame(struct linux_proc *proc, struct linux_fcache_file *cf,
			    const struct linux_node *node, int host_fd, uint64_t index);
/* The same for a page whose bytes the caller has (a large program mapped
 * for exec, linux_exec.c): copied from `bytes` the first time; NULL bytes:
 * only a page already cached. */
uint64_t linux_fcache_frame_copy(struct linux_proc *proc, struct linux_fcache_file *cf,
				 uint64_t index, const uint8_t *bytes);
/* Gives back the cached frames no mapping holds: true when one came free. */
bool linux_fcache_reclaim(struct linux_proc *proc);
/* Frees the cache (the VM's end). */
void linux_fcache_free(struct linux_proc *proc);
/* The frame holding the cached file's page at file offset `off` (page
 * aligned), filled from the copy first when `fill` (within the cache's
 * frame budget), or 0. The cache keeps its own reference. */
uint64_t linux_exec_share_frame(struct linux_proc *proc, struct linux_exec_file *cached,
				uint64_t off, bool fill);

/* argv then envp, NUL-terminated strings one after the other in buf. */
struct linux_exec_args {
	char *buf;
	size_t len, cap;
	unsigned argc, envc;
	uint64_t limit; /* bytes of strings and pointers allowed (E2BIG past it) */
};

/* Appends one argv (env false) or envp string. 0, -E2BIG or -ENOMEM. */
int linux_exec_args_add(struct linux_exec_args *args, const char *s, bool env);
void linux_exec_args_free(struct linux_exec_args *args);
/* Linux's ARG_MAX for the process: a quarter of its stack. */
uint64_t linux_exec_args_limit(const struct linux_proc *proc);

/* A `#!` line's interpreter and optional argument (each buffer at least
 * 257 bytes). Returns 1 (a script), 0 (not one) or -ENOEXEC. */
int linux_exec_shebang(const uint8_t *file, uint64_t size, char *interp, char *arg);

/* linux_exec_load()'s result once the old image is gone: the process ends. */
#define LINUX_EXEC_GONE 1

/*
 * Runs file[0, size) (an ELF program or a `#!` script), known as filename,
 * with args (rewritten for scripts): follows `#!` and PT_INTERP through the
 * VM's file tree from the cwd, checks everything, then gives the process a
 * new address space (linux_mm_exec), the image, the interpreter and the
 * initial stack, and resets what exec resets (close-on-exec fds, caught
 * signals). Sets proc->entry and proc->initial_rsp. Returns 0, -errno
 * (nothing changed) or LINUX_EXEC_GONE, with a reason in err.
 */
int linux_exec_load(struct linux_proc *proc, const uint8_t *file, uint64_t size,
		    const char *filename, struct linux_exec_args *args, char *err, size_t errlen);

long linux_sys_execve(struct linux_proc *proc, const uint64_t *a);
long linux_sys_execveat(struct linux_proc *proc, const uint64_t *a);

/* ---- linux_fd.c: the fd table ---- */

/* Open flags as the program passes them (x86-64 Linux values, not the
 * host's): open() in linux_sysfile.c, fcntl() and dup3() in linux_fd.c. */
#define L_O_CREAT     0100
#define L_O_EXCL      0200
#define L_O_TRUNC     01000
#define L_O_APPEND    02000
#define L_O_NONBLOCK  04000
#define L_O_DIRECTORY 0200000
#define L_O_NOFOLLOW  0400000
#define L_O_CLOEXEC   02000000
#define L_O_PATH      010000000

void linux_fd_init(struct linux_proc *proc);
/* exec: closes every close-on-exec fd. */
void linux_fd_exec(struct linux_proc *proc);
void linux_fd_free(struct linux_proc *proc);
/* The file description behind fd, or NULL. */
struct linux_file *linux_fd_get(struct linux_proc *proc, uint64_t fd);
/* Puts f in the lowest free slot >= lowest and takes a reference on it
 * (f->refs++). Returns the fd or -EMFILE (f untouched). */
int linux_fd_alloc(struct linux_proc *proc, uint64_t lowest, struct linux_file *f, bool cloexec);
/* Drops one reference on f (an fd slot's, or a file in flight's). */
void linux_file_put(struct linux_proc *proc, struct linux_file *f);

/* Syscalls served in linux_fd.c; a = the six argument registers. */
long linux_sys_close(struct linux_proc *proc, const uint64_t *a);
long linux_sys_fcntl(struct linux_proc *proc, const uint64_t *a);
long linux_sys_dup(struct linux_proc *proc, const uint64_t *a);
long linux_sys_dup2(struct linux_proc *proc, const uint64_t *a);
long linux_sys_dup3(struct linux_proc *proc, const uint64_t *a);

/* ---- tasks: linux_task.h ---- */

/* ---- linux_pipe.c: pipes ---- */

#define LINUX_PIPE_SIZE (64U << 10) /* bytes a pipe holds, as Linux's default */
#define LINUX_PIPE_BUF	4096U	    /* writes up to this size are atomic */

long linux_sys_pipe(struct linux_proc *proc, const uint64_t *a);
long linux_sys_pipe2(struct linux_proc *proc, const uint64_t *a);
/* read/write on a pipe end: host is the checked buffer of len bytes. */
long linux_pipe_io(struct linux_proc *proc, struct linux_file *f, void *host, uint64_t len,
		   bool write_it);
/* poll events (POLLIN, POLLOUT, POLLHUP, POLLERR) of a pipe end. */
short linux_pipe_poll(const struct linux_file *f);
/* Bytes a read of the pipe end would get now (FIONREAD). */
uint64_t linux_pipe_unread(const struct linux_file *f);
/* Writes into and reads from the pipe so far (linux_file_ops.gen). */
void linux_pipe_gen(const struct linux_file *f, uint64_t *in, uint64_t *out);
/* The file description of a pipe end is gone: drop the end (a FIFO's
 * data goes with its last end, unless an open waits for one). */
void linux_pipe_release(struct linux_proc *proc, struct linux_file *f);
/* open(2) of a FIFO node of the VM's own file systems: a pipe end on the
 * node's pipe; O_RDONLY waits for a writer and O_WRONLY for a reader (the
 * call is retried), O_NONBLOCK: a reader goes on, a writer gets ENXIO;
 * O_RDWR never waits. The fd or -errno. */
long linux_fifo_open(struct linux_proc *proc, struct linux_node *node, uint64_t flags);
/* splice/tee (linux_splice.c): bytes a pipe end holds, waiting for some
 * unless nonblock: > 0, 0 at EOF, -EAGAIN or -LINUX_ERESTARTSYS. */
long linux_pipe_avail(struct linux_proc *proc, struct linux_file *f, bool nonblock);
/* Room in a pipe's write end, waiting for some unless nonblock: > 0,
 * -EAGAIN, -EPIPE (and SIGPIPE: no reader) or -LINUX_ERESTARTSYS. */
long linux_pipe_room(struct linux_proc *proc, struct linux_file *f, bool nonblock);
/* Copies up to len held bytes of a read end to dst, leaving them there. */
uint32_t linux_pipe_peek(const struct linux_file *f, void *dst, uint64_t len);
/* Takes n held bytes (n at most what it holds) off a read end. */
void linux_pipe_drop(struct linux_file *f, uint32_t n);
/* One read or write of the VMM buffer host[0, len) on any file (a socket
 * too) at *offset (NULL: its own), as read(2)/pread(2) would (linux_sysfile.c). */
long linux_file_io_host(struct linux_proc *proc, struct linux_file *f, void *host, uint64_t len,
			const uint64_t *offset, bool write_it);
/* openat2's struct open_how from the program (size bytes, copied in):
 * checked whole as Linux does (E2BIG for a larger struct with unknown
 * fields set, EINVAL for unknown flags or a mode without O_CREAT). 0 or
 * -errno (linux_sysfile.c; fuzz_linux_syscall). */
struct linux_open_how {
	uint64_t flags, mode, resolve;
};
int linux_open_how_parse(const uint8_t *buf, size_t size, struct linux_open_how *how);
long linux_sys_openat2(struct linux_proc *proc, const uint64_t *a);
long linux_sys_splice(struct linux_proc *proc, const uint64_t *a);
long linux_sys_tee(struct linux_proc *proc, const uint64_t *a);
/* Task t no longer waits in a FIFO's open (it got in, gave up or ends). */
void linux_fifo_wait_end(struct linux_proc *proc, struct linux_task *t);
/* mknod/mknodat: a FIFO or a regular file; device nodes EPERM. */
long linux_sys_mknod(struct linux_proc *proc, const uint64_t *a);
long linux_sys_mknodat(struct linux_proc *proc, const uint64_t *a);

/* ---- linux_socket.c, linux_unix.c: sockets ---- */

long linux_sys_socket(struct linux_proc *proc, const uint64_t *a);
long linux_sys_socketpair(struct linux_proc *proc, const uint64_t *a);
long linux_sys_bind(struct linux_proc *proc, const uint64_t *a);
long linux_sys_listen(struct linux_proc *proc, const uint64_t *a);
long linux_sys_accept(struct linux_proc *proc, const uint64_t *a);
long linux_sys_accept4(struct linux_proc *proc, const uint64_t *a);
long linux_sys_connect(struct linux_proc *proc, const uint64_t *a);
long linux_sys_sendto(struct linux_proc *proc, const uint64_t *a);
long linux_sys_recvfrom(struct linux_proc *proc, const uint64_t *a);
long linux_sys_sendmsg(struct linux_proc *proc, const uint64_t *a);
long linux_sys_recvmsg(struct linux_proc *proc, const uint64_t *a);
long linux_sys_sendmmsg(struct linux_proc *proc, const uint64_t *a);
long linux_sys_recvmmsg(struct linux_proc *proc, const uint64_t *a);
long linux_sys_shutdown(struct linux_proc *proc, const uint64_t *a);
long linux_sys_getsockname(struct linux_proc *proc, const uint64_t *a);
long linux_sys_getpeername(struct linux_proc *proc, const uint64_t *a);
long linux_sys_setsockopt(struct linux_proc *proc, const uint64_t *a);
long linux_sys_getsockopt(struct linux_proc *proc, const uint64_t *a);
/* read/write on a socket: [buf, +len) in the program. */
long linux_sock_rw(struct linux_proc *proc, struct linux_file *f, uint64_t buf, uint64_t len,
		   bool write_it);
/* The same with a VMM buffer of len bytes (splice). */
long linux_sock_rw_host(struct linux_proc *proc, struct linux_file *f, void *buf, uint64_t len,
			bool write_it);
/* poll events of a socket. */
short linux_sock_poll(struct linux_proc *proc, const struct linux_file *f);
/* FIONREAD of a socket: bytes a read would get now (a datagram: the next
 * one's length); -ENOTTY for a family that does not answer it. */
long linux_sock_unread(const struct linux_file *f);
/* Drops a reference on a socket's file; at none, the socket goes (its
 * queued files with it), and files only in flight in a cycle are collected. */
void linux_sock_put(struct linux_proc *proc, struct linux_file *f);

/* ---- linux_poll.c: waiting on fds ---- */

long linux_sys_poll(struct linux_proc *proc, const uint64_t *a);
long linux_sys_ppoll(struct linux_proc *proc, const uint64_t *a);
long linux_sys_select(struct linux_proc *proc, const uint64_t *a);
long linux_sys_pselect6(struct linux_proc *proc, const uint64_t *a);
/* What f is ready for now (POLLIN, POLLOUT, ...), as Linux's f_op->poll. */
short linux_file_poll(struct linux_proc *proc, struct linux_file *f);
/* A relative timeout in ns into a monotonic deadline; UINT64_MAX: none. */
uint64_t linux_poll_deadline(int64_t timeout_ns);
/* Waits after a scan found nothing: false when the wait is over (*err
 * -EINTR when it was cut short). */
bool linux_poll_wait_more(struct linux_proc *proc, uint64_t deadline, long *err);
/* A sigmask argument (ppoll, pselect6, epoll_pwait): checked, not applied. */
long linux_sigmask_in(struct linux_proc *proc, uint64_t addr, uint64_t size);
/* Reads a struct timespec (or timeval when usec) into ns; -1 when addr is 0. */
long linux_timeout_in(struct linux_proc *proc, uint64_t addr, bool usec, int64_t *ns);

/* ---- linux_epoll.c, linux_eventfd.c, linux_timerfd.c, linux_signalfd.c ---- */

long linux_sys_epoll_create(struct linux_proc *proc, const uint64_t *a);
long linux_sys_epoll_create1(struct linux_proc *proc, const uint64_t *a);
long linux_sys_epoll_ctl(struct linux_proc *proc, const uint64_t *a);
long linux_sys_epoll_wait(struct linux_proc *proc, const uint64_t *a);
long linux_sys_epoll_pwait(struct linux_proc *proc, const uint64_t *a);
long linux_sys_epoll_pwait2(struct linux_proc *proc, const uint64_t *a);
/* The description f is gone (its last reference dropped): every epoll set
 * forgets it, as Linux's eventpoll_release(). */
void linux_epoll_file_gone(struct linux_proc *proc, struct linux_file *f);
/* A new event file of ops with state priv in the lowest free fd. Returns
 * the fd, or -errno (priv then is the caller's to free). */
long linux_event_file(struct linux_proc *proc, const struct linux_file_ops *ops, void *priv,
		      uint64_t flags);
long linux_sys_eventfd(struct linux_proc *proc, const uint64_t *a);
long linux_sys_eventfd2(struct linux_proc *proc, const uint64_t *a);
long linux_sys_timerfd_create(struct linux_proc *proc, const uint64_t *a);
long linux_sys_timerfd_settime(struct linux_proc *proc, const uint64_t *a);
long linux_sys_timerfd_gettime(struct linux_proc *proc, const uint64_t *a);
long linux_sys_signalfd(struct linux_proc *proc, const uint64_t *a);
long linux_sys_signalfd4(struct linux_proc *proc, const uint64_t *a);
long linux_sys_rt_sigpending(struct linux_proc *proc, const uint64_t *a);

/* ---- linux_itimer.c: timers ---- */

/* One armed timer on the VM's monotonic clock; fire() takes count >= 1
 * expirations at once (an interval that passed many times fires once). */
struct linux_timer {
	struct linux_timer *next, *prev; /* in the armed list while expire != 0 */
	uint64_t expire;		 /* monotonic ns; 0: disarmed */
	uint64_t interval;		 /* ns; 0: one shot */
	void (*fire)(struct linux_proc *proc, struct linux_timer *t, uint64_t count);
};
/* Arms t at expire (0 disarms) repeating every interval ns. 0 or -ENOMEM. */
int linux_timer_arm(struct linux_proc *proc, struct linux_timer *t, uint64_t expire,
		    uint64_t interval);
/* Takes t's expirations due by now (fire() only, no signal sent): for a
 * timerfd read or poll between two runs. Returns whether it fired. */
bool linux_timer_catch_up(struct linux_proc *proc, struct linux_timer *t);
/* The monotonic deadline of value ns on clock_id, absolute or from now; 0: none. */
uint64_t linux_timer_deadline(uint64_t clock_id, bool abstime, uint64_t value);
/* Whether timer_create/timerfd_create serve clock_id. */
bool linux_timer_clock_ok(uint64_t clock_id);
/* Fires the timers that are due; true when one did (blocked calls look again). */
bool linux_timers_run(struct linux_proc *proc);
/* The earliest armed expiry, or 0. */
uint64_t linux_timers_next(const struct linux_proc *proc);
/* Frees the timers of every task (linux_free). */
void linux_timers_free(struct linux_proc *proc);
/* An itimerspec (interval, value) in the program into ns: -EINVAL/-EFAULT. */
long linux_itimerspec_in(struct linux_proc *proc, uint64_t addr, uint64_t *interval,
			 uint64_t *value);
/* Writes an itimerspec of interval and the time left until expire. */
long linux_itimerspec_out(struct linux_proc *proc, uint64_t addr, uint64_t interval,
			  uint64_t expire);
long linux_sys_alarm(struct linux_proc *proc, const uint64_t *a);
long linux_sys_getitimer(struct linux_proc *proc, const uint64_t *a);
long linux_sys_setitimer(struct linux_proc *proc, const uint64_t *a);
long linux_sys_timer_create(struct linux_proc *proc, const uint64_t *a);
long linux_sys_timer_settime(struct linux_proc *proc, const uint64_t *a);
long linux_sys_timer_gettime(struct linux_proc *proc, const uint64_t *a);
long linux_sys_timer_getoverrun(struct linux_proc *proc, const uint64_t *a);
long linux_sys_timer_delete(struct linux_proc *proc, const uint64_t *a);

/* ---- linux_wait.c: what tasks used ---- */

/* Adds the vCPU thread's CPU time since the last sample to the running
 * task: system time inside a call (the VMM served it), user time outside
 * (it ran at CPL 3). A sample reads the host's thread CPU clock, a host
 * system call: at each call's start, at the end of a call that took long
 * (linux_account_serve()), where the running task changes or ends, at a
 * slice's end and when a call asks for the times. */
void linux_account(struct linux_proc *proc);
/* A call starts (begin: a sample) or ends being served. */
void linux_account_serve(struct linux_proc *proc, bool begin);
/* Records t's resident pages in its ru_maxrss (before its exit drops them). */
void linux_rusage_sample(struct linux_proc *proc, struct linux_task *t);
long linux_sys_getrusage(struct linux_proc *proc, const uint64_t *a);
long linux_sys_times(struct linux_proc *proc, const uint64_t *a);

/* ---- linux_inotify.c: inotify ---- */

#define LINUX_IN_ACCESS	       0x00000001u
#define LINUX_IN_MODIFY	       0x00000002u
#define LINUX_IN_ATTRIB	       0x00000004u
#define LINUX_IN_CLOSE_WRITE   0x00000008u
#define LINUX_IN_CLOSE_NOWRITE 0x00000010u
#define LINUX_IN_OPEN	       0x00000020u
#define LINUX_IN_MOVED_FROM    0x00000040u
#define LINUX_IN_MOVED_TO      0x00000080u
#define LINUX_IN_CREATE	       0x00000100u
#define LINUX_IN_DELETE	       0x00000200u
#define LINUX_IN_DELETE_SELF   0x00000400u
#define LINUX_IN_MOVE_SELF     0x00000800u
#define LINUX_IN_ALL_EVENTS    0x00000FFFu
#define LINUX_IN_Q_OVERFLOW    0x00004000u
#define LINUX_IN_IGNORED       0x00008000u
#define LINUX_IN_ONLYDIR       0x01000000u
#define LINUX_IN_DONT_FOLLOW   0x02000000u
#define LINUX_IN_EXCL_UNLINK   0x04000000u
#define LINUX_IN_MASK_CREATE   0x10000000u
#define LINUX_IN_MASK_ADD      0x20000000u
#define LINUX_IN_ISDIR	       0x40000000u
#define LINUX_IN_ONESHOT       0x80000000u
/* The bounds, VM-wide, so a guest cannot grow the VMM through inotify:
 * Linux's default fs.inotify.max_user_instances (128), max_queued_events
 * (16384, per instance) and the older default max_user_watches (8192);
 * and 4 MiB of queued events in all instances together. A watch costs
 * about 48 bytes, so the whole is under 5 MiB of the VMM's heap. */
#define LINUX_INOTIFY_MAX_INSTANCES 128u
#define LINUX_INOTIFY_MAX_WATCHES   8192u
#define LINUX_INOTIFY_MAX_QUEUED    16384u
#define LINUX_INOTIFY_MAX_BYTES	    (4u << 20)

long linux_sys_inotify_init(struct linux_proc *proc, const uint64_t *a);
long linux_sys_inotify_init1(struct linux_proc *proc, const uint64_t *a);
long linux_sys_inotify_add_watch(struct linux_proc *proc, const uint64_t *a);
long linux_sys_inotify_rm_watch(struct linux_proc *proc, const uint64_t *a);
/* The watches on n (each holds a reference on it): the fuzz target's count. */
unsigned linux_inotify_watches_on(const struct linux_node *n);
/* FIONREAD of an inotify instance: the bytes its queued events take, or
 * -ENOTTY for any other file. */
long linux_inotify_unread(const struct linux_file *f);

/* The hooks the file calls make after they changed or used a node. Each
 * is one load and a branch while no watch exists anywhere in the VM. */
void linux_inotify_node_slow(struct linux_fs *fs, struct linux_node *n, uint32_t mask);
void linux_inotify_entry_slow(struct linux_fs *fs, struct linux_node *dir, uint32_t mask,
			      const char *name, bool isdir, uint32_t cookie);
/* Event `mask` (LINUX_IN_ACCESS..LINUX_IN_OPEN) on n: its watches, and
 * its directory's by n's name. */
static inline void linux_inotify_node(struct linux_fs *fs, struct linux_node *n, uint32_t mask)
{
	if (fs->inotify_watches)
		linux_inotify_node_slow(fs, n, mask);
}
/* Entry event `mask` (LINUX_IN_CREATE...) of dir's entry `name`. */
static inline void linux_inotify_entry(struct linux_fs *fs, struct linux_node *dir, uint32_t mask,
				       const char *name, bool isdir, uint32_t cookie)
{
	if (fs->inotify_watches)
		linux_inotify_entry_slow(fs, dir, mask, name, isdir, cookie);
}
/* Before a call that may remove dir's entry `name` (unlink, rmdir, the
 * target of rename): the node it names, held by a reference, or NULL
 * while no watch exists. Give it back to linux_inotify_removed() or
 * linux_inotify_renamed(), which drop that reference. */
struct linux_node *linux_inotify_hold_entry(struct linux_fs *fs, struct linux_node *dir,
					    const char *name);
/* After unlink/rmdir of dir's `name` returned rc: IN_ATTRIB (a file's link
 * count), IN_DELETE_SELF and IN_IGNORED when its last name went, IN_DELETE
 * in dir. */
void linux_inotify_removed(struct linux_fs *fs, struct linux_node *dir, const char *name,
			   struct linux_node *held, long rc);
/* After rename(odir/oname, ndir/nname) returned rc: IN_MOVED_FROM and
 * IN_MOVED_TO with one cookie, IN_MOVE_SELF; a replaced target as removed.
 * src and dst are linux_inotify_hold_entry()'s of both names. */
void linux_inotify_renamed(struct linux_fs *fs, struct linux_node *odir, const char *oname,
			   struct linux_node *ndir, const char *nname, struct linux_node *src,
			   struct linux_node *dst, bool exchange, long rc);

/* ---- linux_sched.c: blocking ---- */

/* Blocks the calling task until the monotonic deadline (0: until woken;
 * with one task, until a host signal or the VM's end), never past
 * --timeout. Returns true when the task must give up its call: a host
 * signal it does not block is pending, the VM ends or --timeout passed. */
bool linux_block_until(struct linux_proc *proc, uint64_t deadline);

/* ---- linux_sysfile.c: the file syscalls ---- */

/* Drops the cwd's reference on its node (before linux_fs_free()). */
void linux_cwd_release(struct linux_proc *proc);

/* What the last component of a path for mkdir/unlink/rename is. */
enum linux_last_kind { LAST_NAME, LAST_DOT, LAST_DOTDOT };

/* Resolves (dirfd, path) to a node (flags: LINUX_RESOLVE_FOLLOW; empty_ok:
 * AT_EMPTY_PATH, the dirfd's own node); path is copied from the program.
 * Returns 0 or -errno (-ENOTSUP: an empty path naming a stdio fd). */
long linux_lookup_at(struct linux_proc *proc, uint64_t dirfd, uint64_t upath, unsigned flags,
		     bool empty_ok, struct linux_node **node);
/* The parent directory and last name of (dirfd, path), whether that entry
 * exists, and whether the last component is ".", ".." or a name. */
long linux_parent_at(struct linux_proc *proc, uint64_t dirfd, uint64_t upath,
		     struct linux_node **parent, char *last, size_t last_size, bool *exists,
		     enum linux_last_kind *kind);
/* The parent directory and last name (last_size 256) of a name to be made
 * at (dirfd, path): -EEXIST when an entry is there, or the path ends in
 * "." or "..", or names the root (mkdir, mknod, symlink, link). */
long linux_new_name_at(struct linux_proc *proc, uint64_t dirfd, uint64_t upath,
		       struct linux_node **parent, char *last, size_t last_size);

/* Opening /dev/fd/N or /dev/tty (linux_dev.c): a new fd for the
 * program's fd N, or its terminal. Returns the fd or -errno. */
long linux_dev_open(struct linux_proc *proc, const struct linux_node *n, uint64_t flags);

/* Syscalls served in linux_sysfile.c; a = the six argument registers. */
long linux_sys_read(struct linux_proc *proc, const uint64_t *a);
long linux_sys_write(struct linux_proc *proc, const uint64_t *a);
long linux_sys_pread64(struct linux_proc *proc, const uint64_t *a);
long linux_sys_pwrite64(struct linux_proc *proc, const uint64_t *a);
long linux_sys_readv(struct linux_proc *proc, const uint64_t *a);
long linux_sys_writev(struct linux_proc *proc, const uint64_t *a);
long linux_sys_lseek(struct linux_proc *proc, const uint64_t *a);
long linux_sys_openat(struct linux_proc *proc, const uint64_t *a);
long linux_sys_open(struct linux_proc *proc, const uint64_t *a);
long linux_sys_creat(struct linux_proc *proc, const uint64_t *a);
long linux_sys_sendfile(struct linux_proc *proc, const uint64_t *a);
long linux_sys_copy_file_range(struct linux_proc *proc, const uint64_t *a);
long linux_sys_fstat(struct linux_proc *proc, const uint64_t *a);
long linux_sys_newfstatat(struct linux_proc *proc, const uint64_t *a);
long linux_sys_stat(struct linux_proc *proc, const uint64_t *a);
long linux_sys_lstat(struct linux_proc *proc, const uint64_t *a);
long linux_sys_statx(struct linux_proc *proc, const uint64_t *a);
long linux_sys_getdents64(struct linux_proc *proc, const uint64_t *a);
long linux_sys_readlinkat(struct linux_proc *proc, const uint64_t *a);
long linux_sys_readlink(struct linux_proc *proc, const uint64_t *a);
long linux_sys_faccessat(struct linux_proc *proc, const uint64_t *a);
long linux_sys_faccessat2(struct linux_proc *proc, const uint64_t *a);
long linux_sys_access(struct linux_proc *proc, const uint64_t *a);
long linux_sys_getcwd(struct linux_proc *proc, const uint64_t *a);
long linux_sys_chdir(struct linux_proc *proc, const uint64_t *a);
long linux_sys_fchdir(struct linux_proc *proc, const uint64_t *a);
long linux_sys_ioctl(struct linux_proc *proc, const uint64_t *a);
long linux_sys_mkdirat(struct linux_proc *proc, const uint64_t *a);
long linux_sys_mkdir(struct linux_proc *proc, const uint64_t *a);
long linux_sys_unlinkat(struct linux_proc *proc, const uint64_t *a);
long linux_sys_unlink(struct linux_proc *proc, const uint64_t *a);
long linux_sys_rmdir(struct linux_proc *proc, const uint64_t *a);
long linux_sys_ftruncate(struct linux_proc *proc, const uint64_t *a);

/* ---- linux_sysname.c: calls that name or change files ---- */

long linux_sys_rename(struct linux_proc *proc, const uint64_t *a);
long linux_sys_renameat(struct linux_proc *proc, const uint64_t *a);
long linux_sys_renameat2(struct linux_proc *proc, const uint64_t *a);
long linux_sys_symlink(struct linux_proc *proc, const uint64_t *a);
long linux_sys_symlinkat(struct linux_proc *proc, const uint64_t *a);
long linux_sys_link(struct linux_proc *proc, const uint64_t *a);
long linux_sys_linkat(struct linux_proc *proc, const uint64_t *a);
long linux_sys_chmod(struct linux_proc *proc, const uint64_t *a);
long linux_sys_fchmod(struct linux_proc *proc, const uint64_t *a);
long linux_sys_fchmodat(struct linux_proc *proc, const uint64_t *a);
long linux_sys_fchmodat2(struct linux_proc *proc, const uint64_t *a);
long linux_sys_chown(struct linux_proc *proc, const uint64_t *a);
long linux_sys_lchown(struct linux_proc *proc, const uint64_t *a);
long linux_sys_fchown(struct linux_proc *proc, const uint64_t *a);
long linux_sys_fchownat(struct linux_proc *proc, const uint64_t *a);
long linux_sys_utimensat(struct linux_proc *proc, const uint64_t *a);
long linux_sys_futimesat(struct linux_proc *proc, const uint64_t *a);
long linux_sys_truncate(struct linux_proc *proc, const uint64_t *a);
long linux_sys_fallocate(struct linux_proc *proc, const uint64_t *a);
long linux_sys_statfs(struct linux_proc *proc, const uint64_t *a);
long linux_sys_fstatfs(struct linux_proc *proc, const uint64_t *a);
long linux_sys_memfd_create(struct linux_proc *proc, const uint64_t *a);
long linux_sys_getxattr(struct linux_proc *proc, const uint64_t *a);
long linux_sys_lgetxattr(struct linux_proc *proc, const uint64_t *a);
long linux_sys_fgetxattr(struct linux_proc *proc, const uint64_t *a);
long linux_sys_listxattr(struct linux_proc *proc, const uint64_t *a);
long linux_sys_llistxattr(struct linux_proc *proc, const uint64_t *a);
long linux_sys_flistxattr(struct linux_proc *proc, const uint64_t *a);
long linux_sys_setxattr(struct linux_proc *proc, const uint64_t *a);
long linux_sys_lsetxattr(struct linux_proc *proc, const uint64_t *a);
long linux_sys_fsetxattr(struct linux_proc *proc, const uint64_t *a);
long linux_sys_removexattr(struct linux_proc *proc, const uint64_t *a);
long linux_sys_lremovexattr(struct linux_proc *proc, const uint64_t *a);
long linux_sys_fremovexattr(struct linux_proc *proc, const uint64_t *a);
long linux_sys_flock(struct linux_proc *proc, const uint64_t *a);
/* linux_lock.c: fcntl's F_GETLK, F_SETLK, F_SETLKW and their F_OFD_ forms on
 * fd (arg: the program's struct flock). 0, -errno or a restart. */
long linux_lock_fcntl(struct linux_proc *proc, uint64_t fd, uint64_t cmd, uint64_t arg);
/* Needs the task that closes f current: drops its POSIX locks on f's file
 * and, when last (f's final reference goes), f's flock and OFD locks. */
void linux_lock_release(struct linux_proc *proc, const struct linux_file *f, bool last);
long linux_sys_fsync(struct linux_proc *proc, const uint64_t *a);
long linux_sys_sync(struct linux_proc *proc, const uint64_t *a);

/* ---- linux_signal.c ---- */

/* A fault (x86 vector) with regs at the faulting instruction: delivers
 * it to the program's handler. Returns true if delivered (regs now enter
 * the handler), false if the program has none (the VM ends as for SDK
 * guests). */
bool linux_signal_fault(struct linux_proc *proc, unsigned vector, uint64_t error_code, uint64_t cr2,
			struct linux_regs *regs);

/* exec: caught signals go back to their default (ignored ones stay
 * ignored, the mask is kept), the alternate stack is gone. */
void linux_signal_exec(struct linux_proc *proc);

long linux_sys_rt_sigaction(struct linux_proc *proc, uint64_t sig, uint64_t act, uint64_t oldact,
			    uint64_t size);
long linux_sys_rt_sigprocmask(struct linux_proc *proc, uint64_t how, uint64_t set, uint64_t oldset,
			      uint64_t size);
long linux_sys_rt_sigsuspend(struct linux_proc *proc, uint64_t set, uint64_t size);
long linux_sys_pause(struct linux_proc *proc, const uint64_t *a);
long linux_sys_sigaltstack(struct linux_proc *proc, uint64_t ss, uint64_t old);
/* Restores regs from the frame at regs->rsp; returns false on a bad frame. */
bool linux_sys_rt_sigreturn(struct linux_proc *proc, struct linux_regs *regs);
/* Sends sig to the process from a syscall (kill/tgkill): ignored, kills
 * the VM (default action) or enters the handler when the call returns. */
long linux_signal_raise(struct linux_proc *proc, uint64_t sig);
/* As linux_signal_raise, from a call whose own result is ret (write's
 * -EPIPE with SIGPIPE): a handler's rt_sigreturn resumes with ret. */
long linux_signal_raise_ret(struct linux_proc *proc, uint64_t sig, long ret);

/* SIGINT/SIGTERM/SIGHUP from the host (guest_ops.host_signal, main
 * thread): made pending for the program, blocked calls woken, the vCPU
 * kicked. Returns false for the second one (the VM then ends). */
bool linux_host_signal(struct vm *vm, int sig);
/* Whether a host signal is pending that the program does not block. */
bool linux_signal_host_ready(const struct linux_proc *proc);
/* Whether a call interrupted for the ready host signal (else the running
 * task's first deliverable one) restarts (its handler has SA_RESTART)
 * rather than failing with EINTR. */
bool linux_signal_host_restarts(struct linux_proc *proc);
/* For a blocked call: takes ready host signals that run no handler (an
 * ignored one is dropped, a default one ends the VM) and returns whether
 * one with a handler is ready, for which the call gives up. */
bool linux_signal_host_wakes(struct linux_proc *proc);
/* Takes the ready host signal: its action, or a frame on regs (whose rax
 * is the interrupted call's result). */
void linux_signal_host_deliver(struct linux_proc *proc, struct linux_regs *regs);

/* ---- linux_sigfpu.c: the FPU state of tasks and of signal frames ---- */

/* Bytes of the fpstate a signal frame holds: the FXSAVE area, the XSAVE
 * header (xstate_size, 576) and FP_XSTATE_MAGIC2 after them. */
#define LINUX_SIGFPU_SIZE 580
/* Linux's initial state (FCW 0x37F, MXCSR 0x1F80, the rest zero): a new
 * image's, and what a signal handler starts with. */
void linux_fpu_init_state(struct linux_fpu *fpu);
/* The running task's state (fetched from the vCPU on first use). */
const struct linux_fpu *linux_fpu_cur(struct linux_proc *proc);
/* Makes fpu the running task's state; loaded into the vCPU before the
 * program resumes. */
void linux_fpu_set(struct linux_proc *proc, const struct linux_fpu *fpu);
/* The fpstate of a signal frame (out[0, LINUX_SIGFPU_SIZE)) for fpu:
 * sw_reserved with FP_XSTATE_MAGIC1 and the sizes, the XSAVE header,
 * FP_XSTATE_MAGIC2 after it, as Linux's copy_fpstate_to_sigframe(). */
void linux_sigfpu_build(const struct linux_fpu *fpu, uint8_t out[LINUX_SIGFPU_SIZE]);
/*
 * The state an rt_sigreturn loads from the fpstate the program left at
 * uc_mcontext.fpstate (addr): buf[0, len) are its bytes (guest memory,
 * untrusted: len is what could be read, 512 to LINUX_SIGFPU_SIZE). As
 * Linux's __fpu_restore_sig(): without FP_XSTATE_MAGIC1, sane sizes and
 * FP_XSTATE_MAGIC2 only the FXSAVE area is taken (FXRSTOR: addr 16-byte
 * aligned); else the XSAVE layout (XRSTOR: 64-byte aligned, XSTATE_BV
 * within x87|SSE, XCOMP_BV and the next 8 header bytes zero); reserved
 * MXCSR bits are refused. 0 with *out, or -1 where XRSTOR or FXRSTOR
 * would fault: the task gets SIGSEGV.
 */
int linux_sigfpu_parse(const uint8_t *buf, size_t len, uint64_t addr, struct linux_fpu *out);

/* ---- arch (linux_x86_64.c): the vCPU's FPU state; nothing without KVM ---- */

/* Copies the vCPU's FPU state into proc->fpu. False (the VM ends) if KVM
 * refused; true and nothing done without a vCPU run page (fuzzing). */
/* Drops a kick pending for the serving vCPU (immediate_exit): its task
 * retries a blocked call, which takes the host signal the kick was for. */
void linux_arch_kick_clear(struct linux_proc *proc);
bool linux_arch_fpu_fetch(struct linux_proc *proc);

/* Internal result of a blocking call a signal interrupted: linux_syscall()
 * restarts it or makes it EINTR, as Linux's ERESTARTSYS. */
#define LINUX_ERESTARTSYS 512

/* ---- linux_ident.c: ids, host name, limits (the VM's view only) ---- */

/* How many fds the program may hold: RLIMIT_NOFILE, at most LINUX_MAX_FDS. */
uint64_t linux_nofile(const struct linux_proc *proc);
/* --workdir: the program's first cwd, looked up in the VM's tree (so never
 * out of it). 0, or -1 with a one-line reason in err. */
int linux_set_workdir(struct linux_proc *proc, const char *path, char *err, size_t errlen);
/* Resource r's limits as getrlimit shows them (/proc/PID/limits too). */
void linux_rlimit_of(const struct linux_proc *proc, unsigned r, struct ident_rlimit *lim);
long linux_sys_uname(struct linux_proc *proc, const uint64_t *a);
long linux_sys_sethostname(struct linux_proc *proc, const uint64_t *a);
long linux_sys_getuid(struct linux_proc *proc, const uint64_t *a);
long linux_sys_getgid(struct linux_proc *proc, const uint64_t *a);
long linux_sys_getresuid(struct linux_proc *proc, const uint64_t *a);
long linux_sys_getresgid(struct linux_proc *proc, const uint64_t *a);
long linux_sys_setresuid(struct linux_proc *proc, const uint64_t *a);
long linux_sys_setresgid(struct linux_proc *proc, const uint64_t *a);
long linux_sys_getgroups(struct linux_proc *proc, const uint64_t *a);
long linux_sys_getrlimit(struct linux_proc *proc, const uint64_t *a);
long linux_sys_setrlimit(struct linux_proc *proc, const uint64_t *a);
long linux_sys_prlimit64(struct linux_proc *proc, const uint64_t *a);
long linux_sys_setuid(struct linux_proc *proc, const uint64_t *a);
long linux_sys_setgid(struct linux_proc *proc, const uint64_t *a);
long linux_sys_setreuid(struct linux_proc *proc, const uint64_t *a);
long linux_sys_setregid(struct linux_proc *proc, const uint64_t *a);
long linux_sys_setgroups(struct linux_proc *proc, const uint64_t *a);
long linux_sys_setfsuid(struct linux_proc *proc, const uint64_t *a);
long linux_sys_setfsgid(struct linux_proc *proc, const uint64_t *a);

/* ---- linux_prctl.c: what a task records about itself ---- */

long linux_sys_prctl(struct linux_proc *proc, const uint64_t *a);
long linux_sys_getpriority(struct linux_proc *proc, const uint64_t *a);
long linux_sys_setpriority(struct linux_proc *proc, const uint64_t *a);
long linux_sys_membarrier(struct linux_proc *proc, const uint64_t *a);
long linux_sys_personality(struct linux_proc *proc, const uint64_t *a);
long linux_sys_mlock(struct linux_proc *proc, const uint64_t *a);
long linux_sys_mlock2(struct linux_proc *proc, const uint64_t *a);
long linux_sys_munlock(struct linux_proc *proc, const uint64_t *a);
long linux_sys_mlockall(struct linux_proc *proc, const uint64_t *a);
long linux_sys_munlockall(struct linux_proc *proc, const uint64_t *a);

/* ---- linux_x86_64.c ---- */

/* The RFLAGS the program resumes with, from what it asked for (a signal
 * frame, SYSCALL's r11): only the flags Linux lets user code set, IF on;
 * never IOPL, NT, VM, VIF or VIP. */
uint64_t linux_user_rflags(uint64_t rflags);

/* The --linux kind of guest (vm.h), set by linux_setup(). */
extern const struct guest_ops linux_guest_ops;

/* Hooks for the architecture's exits (arch/x86_64/linux_x86_64.c). */
bool linux_exit_mmio(struct vcpu *vcpu, uint64_t phys_addr);
bool linux_exit_fault(struct vcpu *vcpu, unsigned vector, uint64_t error_code, uint64_t cr2,
		      const uint64_t *frame);
void linux_vcpu_kicked(struct vcpu *vcpu);

#include "linux_task.h"
#include "linux_record.h"

/* linux_upper.c: --fs-upper DIR */

/* Writes the root's upper layer beneath directory fd top (empty) as an
 * overlayfs/OCI layer: changed and new entries with their modes (set-id
 * bits dropped; hard links as links), `.wh.NAME` for each removed lower entry, `.wh..wh..opq` in
 * a directory that hides a lower one whole. 0 (err: a note, or "" ), or -1
 * with the first failure in err (the rest is still written). */
int linux_upper_export(struct linux_fs *fs, int top, char *err, size_t errlen);
/* As the VM ends (the last vCPU thread out, however it ends):
 * linux_upper_export to cfg.upper_fd, once, failures on stderr in one
 * line; closes the fd. No-op without --fs-upper DIR. */
void linux_upper_write(struct linux_proc *proc);

#endif
