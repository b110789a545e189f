/* The VMM process: takes its trusted argv from the supervisor, builds the VM in setup phases, runs it, tears it down. */
#include "vmm.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arch.h"
#include "blk.h"
#include "elf_image.h"
#include "kvm.h"
#include "launch.h"
#include "numa.h"
#include "linux.h"
#include "control_wire.h"
#include "migrate.h"
#include "nic.h"
#include "vcpu.h"
#include "vm.h"
#include "landlock.h"
#include "sandbox.h"
#include "seccomp_install.h"
#include "seccomp_trap.h"
#include "timing.h"

/* The supervisor's --linux vCPU bound is the Linux layer's. */
_Static_assert(LAUNCH_MAX_LINUX_VCPUS == LINUX_MAX_CPUS, "--vcpus bound for --linux");

/* A guest image can be no larger than this, whatever the RAM size. */
#define ELF_FILE_MAX (1ULL << 30)

struct vmm_options {
	int kvm_fd, elf_fd, console_fd;
	uint64_t mem, timeout_ns;
	uint64_t timing_origin; /* --debug-timing: the supervisor's origin; 0: off */
	unsigned vcpus;
	int disk_fds[LOCKVM_MAX_DISKS];
	bool disk_ro[LOCKVM_MAX_DISKS];
	unsigned disk_count;
	bool stats;
	unsigned layers; /* sandbox layers the supervisor applied; 0 = unconfined */
	int seccomp_vmm_fd, seccomp_vcpu_fd, seccomp_setup_fd;
	bool seccomp_trap; /* a refused syscall is named, then the VMM exits 159 */
	int ready_fd;	   /* one byte once the guest runs confined; -1: none */
	struct boot_args args;
	struct guest_mem_config mem_config; /* --hugepages, --ksm */
	bool numa;			    /* --numa-nodes and --numa-cpus given */
	struct numa_set numa_nodes, numa_cpus;
	/* --linux guests (linux.h) */
	bool linux_abi, strace;
	int fs_fd;
	uint64_t fs_upper, fs_tmp; /* bytes: the root's upper layer (0: read-only), /tmp */
	unsigned tmpfs_count;	   /* --tmpfs mounts, /dev/shm included */
	unsigned pids;		   /* --pids: tasks at most */
	struct launch_tmpfs tmpfs[LAUNCH_MAX_TMPFS];
	unsigned volume_count; /* --volume */
	int upper_fd;	       /* --fs-upper DIR, or -1 */
	int record_fd;	       /* --record: the supervisor's memfd, or -1 */
	struct launch_volume volumes[LAUNCH_MAX_VOLUMES];
	unsigned tty_mask, envc;
	char *envp[LINUX_MAX_ENV];
	const char *workdir;	       /* NULL: / */
	struct linux_config linux_ids; /* hostname, ids and limits (linux_ident.c) */
	/* save, restore, migration (migrate.h) */
	int control_fd, restore_fd, key_fd;
	bool incoming;
	const char *disk_paths[LOCKVM_MAX_DISKS];
	/* --net: an unattached /dev/net/tun fd, the tap it attaches to, the
	 * NIC's MAC, the shared counters */
	int net_fd, net_stats_fd;
	const char *net_tap; /* NULL with net_stream */
	bool net_stream;     /* --net user: net_fd is passt's stream socket, not a tun fd */
	uint8_t net_mac[NETFRAME_MAC_LEN];
	bool net_mac_set;
};

/*
 * The VMM's one argument is the fd of the supervisor's launch message
 * (common/launch.h), never anything from a user; the message is still
 * checked whole, and a malformed one stops the VMM rather than being
 * guessed at. Its strings stay in the message buffer for the VMM's life.
 */
static void parse_options(int argc, char **argv, struct vmm_options *o)
{
	uint64_t value;
	char err[256];
	if (argc != 3 || strcmp(argv[1], "--launch-fd") != 0 ||
	    parse_uint(argv[2], 0, LAUNCH_FD_MAX, &value) < 0)
		die("usage: lockvm-vmm --launch-fd N (started by lockvm run, not by hand)");
	size_t len;
	uint8_t *message = launch_read_fd((int)value, &len, err, sizeof(err));
	if (!message)
		die("%s", err);
	close((int)value);
	struct launch l;
	if (launch_decode(message, len, &l, err, sizeof(err)) < 0)
		die("%s", err);
	if (l.layers & ~(unsigned)SANDBOX_LAYERS_ALL)
		die("launch: unknown confinement layers 0x%x", l.layers);
	if (l.envc > LINUX_MAX_ENV)
		die("launch: %u environment entries (at most %u)", l.envc, LINUX_MAX_ENV);
	*o = (struct vmm_options){
	    .kvm_fd = l.kvm_fd,
	    .elf_fd = l.elf_fd,
	    .console_fd = l.console_fd,
	    .mem = l.mem,
	    .timeout_ns = l.timeout_ns,
	    .timing_origin = l.timing_origin_ns,
	    .vcpus = l.vcpus,
	    .disk_count = l.disk_count,
	    .stats = l.flags & LAUNCH_STATS,
	    .layers = l.layers,
	    .seccomp_vmm_fd = l.seccomp_vmm_fd,
	    .seccomp_vcpu_fd = l.seccomp_vcpu_fd,
	    .seccomp_setup_fd = l.seccomp_setup_fd,
	    .seccomp_trap = l.flags & LAUNCH_SECCOMP_TRAP,
	    .ready_fd = l.ready_fd,
	    .args = {.argc = l.argc, .argv = (char *const *)l.argv},
	    .mem_config = {.mergeable = l.flags & LAUNCH_KSM,
			   .backing = l.hugepages == LAUNCH_THP	      ? GUEST_MEM_THP
				      : l.hugepages == LAUNCH_HUGETLB ? GUEST_MEM_HUGETLB
								      : GUEST_MEM_SMALL_PAGES},
	    .numa = l.flags & LAUNCH_NUMA,
	    .numa_nodes = l.numa_nodes,
	    .numa_cpus = l.numa_cpus,
	    .linux_abi = l.flags & LAUNCH_LINUX,
	    .strace = l.flags & LAUNCH_STRACE,
	    .fs_fd = l.fs_fd,
	    .upper_fd = l.upper_fd,
	    .record_fd = l.record_fd,
	    .fs_upper = l.fs_upper,
	    .fs_tmp = l.fs_tmp,
	    .tty_mask = l.tty_mask,
	    .pids = l.pids,
	    .envc = l.envc,
	    .control_fd = l.control_fd,
	    .restore_fd = l.restore_fd,
	    .key_fd = l.key_fd,
	    .incoming = l.flags & LAUNCH_INCOMING,
	    .net_fd = l.net_fd,
	    .net_stats_fd = l.net_stats_fd,
	    .net_tap = l.net_tap[0] ? l.net_tap : NULL,
	    .net_stream = l.flags & LAUNCH_NET_STREAM,
	    .net_mac_set = l.net_fd >= 0,
	};
	for (unsigned i = 0; i < l.envc; i++)
		o->envp[i] = (char *)l.envp[i];
	o->workdir = l.workdir[0] ? l.workdir : NULL;
	snprintf(o->linux_ids.hostname, sizeof(o->linux_ids.hostname), "%s",
		 l.hostname[0] ? l.hostname : "lockvm");
	o->linux_ids.uid = l.uid;
	o->linux_ids.gid = l.gid;
	o->linux_ids.ngroups = l.ngroups;
	memcpy(o->linux_ids.groups, l.groups, sizeof(l.groups));
	o->linux_ids.rlimit_set = l.rlimit_set;
	memcpy(o->linux_ids.rlimits, l.rlimits, sizeof(l.rlimits));
	o->linux_ids.net = (struct linux_netcfg){.dhcp = l.flags & LAUNCH_NET_DHCP,
						 .user_link = l.flags & LAUNCH_NET_STREAM,
						 .ip = l.net_ip,
						 .prefix = l.net_prefix,
						 .gateway = l.net_gateway,
						 .dns = l.net_dns};
	_Static_assert(LAUNCH_MAX_TMPFS + 2 == LINUX_FS_MOUNTS,
		       "a mount slot per tmpfs, /sys and /proc");
	o->tmpfs_count = l.tmpfs_count;
	memcpy(o->tmpfs, l.tmpfs, sizeof(o->tmpfs)); /* paths point into the message, kept */
	_Static_assert(LAUNCH_MAX_VOLUMES == LINUX_FS_VOLUMES, "a volume slot per --volume");
	o->volume_count = l.volume_count;
	memcpy(o->volumes, l.volumes, sizeof(o->volumes));
	for (unsigned i = 0; i < l.disk_count; i++) {
		o->disk_fds[i] = l.disks[i].fd;
		o->disk_ro[i] = l.disks[i].ro;
		o->disk_paths[i] = l.disks[i].path[0] ? l.disks[i].path : NULL;
	}
	memcpy(o->net_mac, l.net_mac, sizeof(o->net_mac));
	/* argv (the guest's) is kept: it is boot args for the VM's life. */
	free(l.envp);
}

/* Reads the whole guest image from the fd the supervisor opened. */
static uint8_t *read_image(int fd, uint64_t limit, uint64_t *size)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		die_errno("fstat(guest image fd %d)", fd);
	if (!S_ISREG(st.st_mode))
		die("guest image: not a regular file");
	if ((uint64_t)st.st_size > limit)
		die("guest image: %lld bytes is larger than guest RAM or the 1G limit",
		    (long long)st.st_size);
	uint8_t *buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf)
		die("guest image: out of memory for %lld bytes", (long long)st.st_size);
	uint64_t done = 0;
	while (done < (uint64_t)st.st_size) {
		ssize_t n = pread(fd, buf + done, (size_t)st.st_size - done, (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die_errno("read(guest image)");
		done += (uint64_t)n;
	}
	*size = done;
	return buf;
}

static void load_guest(struct vm *vm, struct vmm_options *o)
{
	uint64_t size = 0;
	char err[256];
	uint64_t limit = o->mem < ELF_FILE_MAX ? o->mem : ELF_FILE_MAX;
	/* --linux --fs: no fd; the VMM finds PROGRAM in the tree itself. */
	uint8_t *file = o->linux_abi && o->elf_fd < 0 ? NULL : read_image(o->elf_fd, limit, &size);
	if (o->linux_abi) {
		/* A minimal environment: what the user gave, then defaults. */
		static char path_env[] = "PATH=/usr/local/bin:/usr/bin:/bin";
		static char home_env[] = "HOME=/";
		bool have_path = false, have_home = false;
		for (unsigned i = 0; i < o->envc; i++) {
			have_path |= strncmp(o->envp[i], "PATH=", 5) == 0;
			have_home |= strncmp(o->envp[i], "HOME=", 5) == 0;
		}
		if (!have_path && o->envc < LINUX_MAX_ENV)
			o->envp[o->envc++] = path_env;
		if (!have_home && o->envc < LINUX_MAX_ENV)
			o->envp[o->envc++] = home_env;
		struct linux_config cfg = o->linux_ids;
		cfg.argc = o->args.argc;
		cfg.argv = o->args.argv;
		cfg.envc = o->envc;
		cfg.envp = o->envp;
		cfg.fs_fd = o->fs_fd;
		cfg.workdir = o->workdir;
		cfg.upper_fd = o->upper_fd;
		cfg.record_fd = o->record_fd;
		cfg.strace = o->strace;
		cfg.tty_mask = o->tty_mask;
		cfg.max_tasks = o->pids;
		cfg.tmp_limit = o->fs_tmp;
		cfg.upper_limit = o->fs_upper;
		cfg.tmpfs_count = o->tmpfs_count;
		for (unsigned i = 0; i < o->tmpfs_count; i++)
			cfg.tmpfs[i] = (struct linux_tmpfs){.path = o->tmpfs[i].path,
							    .size = o->tmpfs[i].size};
		cfg.volume_count = o->volume_count;
		for (unsigned i = 0; i < o->volume_count; i++)
			cfg.volumes[i] = (struct linux_volume_config){.path = o->volumes[i].path,
								      .fd = o->volumes[i].fd,
								      .ro = o->volumes[i].ro};
		/* The tree is read here: a --workdir the VM cannot walk to is refused. */
		struct linux_proc *proc = linux_setup(vm, file, size, &cfg, err, sizeof(err));
		if (!proc)
			die("%s%s",
			    strncmp(err, "--workdir ", 10) == 0 ? "" : "guest image: ", err);
		free(file);
		if (o->elf_fd >= 0)
			close(o->elf_fd);
		return;
	}
	struct elf_limits limits = arch_image_limits(vm->mem.size, vm->vcpu_count);
	struct elf_image image;
	bool looks_linux = linux_elf_looks_linux(file, size);
	if (elf_parse(file, size, &limits, &image, err, sizeof(err)) < 0)
		die("guest image: %s%s", err,
		    looks_linux ? " (a static Linux program? run it with --linux)" : "");
	if (looks_linux)
		die("guest image: a Linux program, not a lockvm SDK guest: run it with --linux");
	elf_copy(file, &image, &vm->mem);
	free(file);
	close(o->elf_fd);
	vm->entry = image.entry;
	if (arch_setup_memory(vm, &image, &o->args, err, sizeof(err)) < 0)
		die("%s", err);
}

/* Restore and incoming migration: guest RAM and state from a checked
 * stream instead of an ELF image. */
static void restore_guest(struct vm *vm, struct vmm_options *o, struct snapshot_state *saved)
{
	char err[512];
	uint8_t key[SNAPSHOT_KEY_SIZE] = {0}, file[4096];
	bool keyed = o->key_fd >= 0;
	if (keyed) {
		ssize_t n = read(o->key_fd, file, sizeof(file));
		if (n < 16)
			die("--key: cannot read at least 16 bytes");
		snapshot_derive_key(file, (size_t)n, key);
		close(o->key_fd);
	}
	if (migrate_restore_memory(vm, o->restore_fd, keyed ? key : NULL, o->incoming,
				   o->control_fd, saved, err, sizeof(err)) < 0)
		die("%s: %s", o->incoming ? "incoming migration" : "restore", err);
}

static int vcpu_seccomp_fd = -1;
static unsigned vcpus_ready; /* under vm->lock: vCPU threads about to run the guest */

/* Each vCPU thread installs its own filter right before guest code runs,
 * then counts itself ready (see report_ready). */
static int vcpu_ready(struct vcpu *vcpu)
{
	if (vcpu_seccomp_fd >= 0) {
		static char roles[LOCKVM_MAX_VCPUS][12];
		snprintf(roles[vcpu->index], sizeof(roles[0]), "vcpu%u", vcpu->index);
		seccomp_trap_set_thread(roles[vcpu->index]);
		if (seccomp_policy_install_fd(vcpu_seccomp_fd) < 0) {
			fprintf(stderr, "lockvm-vmm: vcpu%u: installing seccomp filter: %s\n",
				vcpu->index, strerror(errno));
			return -1;
		}
	}
	pthread_mutex_lock(&vcpu->vm->lock);
	vcpus_ready++;
	pthread_cond_broadcast(&vcpu->vm->cond);
	pthread_mutex_unlock(&vcpu->vm->lock);
	return 0;
}

/* Tells the supervisor (one byte on --ready-fd) that every vCPU thread is
 * confined and running the guest, so `lockvm run -d` returns only then. */
static void report_ready(struct vm *vm, int ready_fd)
{
	if (ready_fd < 0)
		return;
	uint64_t deadline = now_ns() + 30ULL * 1000000000ULL;
	pthread_mutex_lock(&vm->lock);
	while (vcpus_ready < vm->vcpu_count && !vm_is_ending(vm) && now_ns() < deadline)
		vm_wait_once_locked(vm, deadline); /* each vCPU broadcasts when ready */
	bool ready = vcpus_ready == vm->vcpu_count;
	pthread_mutex_unlock(&vm->lock);
	if (ready && write(ready_fd, "R", 1) != 1)
		fprintf(stderr, "lockvm-vmm: telling the supervisor it runs: %s\n",
			strerror(errno));
	close(ready_fd);
}

static int run_until_end(struct vm *vm, int signal_fd, int control_fd)
{
	struct pollfd fds[4] = {
	    {.fd = vm->wake_fd, .events = POLLIN},
	    {.fd = signal_fd, .events = POLLIN},
	    {.fd = -1, .events = POLLIN}, /* the tap, while the guest's queue has room */
	    {.fd = control_fd, .events = POLLIN},
	};
	while (!vm_is_ending(vm)) {
		int timeout_ms = -1;
		fds[2].fd = nic_poll_fd(vm);
		if (vm->nic && fds[2].fd < 0)
			timeout_ms = NIC_FULL_RETRY_MS;
		if (vm->deadline_ns) {
			uint64_t now = now_ns();
			if (now >= vm->deadline_ns) {
				vm_end(vm, EXIT_TIMEOUT, "timeout: VM stopped after --timeout");
				break;
			}
			uint64_t left_ms = (vm->deadline_ns - now + 999999) / 1000000;
			if (timeout_ms < 0 || left_ms < (uint64_t)timeout_ms)
				timeout_ms = left_ms > 60000 ? 60000 : (int)left_ms;
		}
		unsigned slice = atomic_load(&vm->slice_ms);
		if (slice && (timeout_ms < 0 || slice < (unsigned)timeout_ms))
			timeout_ms = (int)slice;
		if (poll(fds, 4, timeout_ms) < 0 && errno != EINTR)
			die_errno("poll");
		if (fds[0].revents & POLLIN) { /* vm_set_slice(): drained, read at the top */
			uint64_t n;
			if (read(vm->wake_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
				die_errno("read(wake eventfd)");
			if (vm->guest->exec_report && fds[3].fd >= 0)
				vm->guest->exec_report(vm, control_fd); /* `lockvm exec` news */
		}
		if (slice && !vm_is_ending(vm))
			vm_kick_vcpus(vm); /* a vCPU running one task of several may switch */
		if (fds[2].fd >= 0 && (fds[2].revents & POLLIN)) {
			nic_input(vm);
			if (vm->guest->frames_in)
				vm->guest->frames_in(vm);
		}
		if (fds[3].revents & (POLLHUP | POLLERR))
			fds[3].fd = -1; /* the supervisor is gone: no more requests */
		else if (fds[3].revents & POLLIN)
			vmm_control(vm, control_fd);
		if (fds[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(signal_fd, &si, sizeof(si)) != (ssize_t)sizeof(si))
				continue;
			/* A --linux program gets SIGINT/SIGTERM (`lockvm stop`: SIGTERM)
			 * to clean up; a second one ends the VM. */
			int sig = si.ssi_signo == SIGUSR2 ? SIGTERM : (int)si.ssi_signo;
			if (vm->guest->host_signal && vm->guest->host_signal(vm, sig))
				continue;
			if (si.ssi_signo == SIGUSR2) /* `lockvm stop`: ask the guest */
				vm_post_event(vm, LOCKVM_EVENT_SHUTDOWN);
			else
				vm_end(vm, EXIT_SIGNAL_BASE + (int)si.ssi_signo, "stopped: %s",
				       strsignal((int)si.ssi_signo));
		}
	}
	vcpu_join_all(vm);
	return vm->exit_status;
}

int vmm_main(int argc, char **argv)
{
	struct vmm_options o;
	struct vm vm;
	char err[256];
	uint64_t t_main = now_ns(); /* --debug-timing: the VMM's phases, printed at its end */
	util_progname = "lockvm-vmm";
	prctl(PR_SET_NAME, "lockvm-vmm", 0, 0, 0);
	/* A fixed trim threshold keeps glibc from shrinking a thread arena's
	 * heap, which first opens /proc/sys/vm/overcommit_memory (refused by
	 * seccomp: a large free in the vCPU thread, e.g. of a --linux file's
	 * buffer, killed the VMM); it also fixes the mmap threshold, so large
	 * blocks stay mmap'd and go back with munmap. */
	mallopt(M_TRIM_THRESHOLD, INT_MAX);
	parse_options(argc, argv, &o);
	if (o.layers) {
		/* Before anything reads the guest: no_new_privs, Landlock. */
		struct sandbox_vmm_report report;
		struct landlock_tree trees[2 + LAUNCH_MAX_VOLUMES];
		unsigned ntrees = 0;
		if (o.linux_abi && o.fs_fd >= 0)
			trees[ntrees++] = (struct landlock_tree){.fd = o.fs_fd};
		for (unsigned i = 0; o.linux_abi && i < o.volume_count; i++)
			trees[ntrees++] = (struct landlock_tree){.fd = o.volumes[i].fd,
								 .writable = !o.volumes[i].ro};
		/* --fs-upper DIR: linux_upper.c writes the job's upper layer
		 * beneath it (make dir/reg/sym, write) when its first process ends */
		if (o.linux_abi && o.upper_fd >= 0)
			trees[ntrees++] =
			    (struct landlock_tree){.fd = o.upper_fd, .writable = true};
		sandbox_enter_vmm(o.layers, trees, ntrees, &report);
	}

	vm_init(&vm);
	vm.kvm_fd = o.kvm_fd;
	vm.console_fd = o.console_fd;
	vm.vcpu_count = o.vcpus;
	const char *problem = guest_mem_size_problem(o.mem);
	if (problem)
		die("--mem %" PRIu64 " %s", o.mem, problem);
	if (kvm_check(vm.kvm_fd, o.vcpus, err, sizeof(err)) < 0)
		die("%s", err);
	if (guest_mem_map_config(&vm.mem, o.mem, &o.mem_config, err, sizeof(err)) < 0)
		die("%s", err);
	/* Before anything touches guest RAM, so every page lands on the nodes;
	 * the vCPU threads inherit the CPU affinity. */
	if (o.numa &&
	    numa_bind(vm.mem.host, vm.mem.size, &o.numa_nodes, &o.numa_cpus, err, sizeof(err)) < 0)
		die("%s", err);
	for (unsigned i = 0; i < o.disk_count; i++) {
		if (blk_attach(&vm, o.disk_fds[i], o.disk_ro[i], err, sizeof(err)) < 0)
			die("disk %u: %s", i, err);
		vm.disks[i].path = o.disk_paths[i];
	}
	/* Attaching here, before seccomp (which forbids every TUN ioctl), gives
	 * the tap's tun socket this VMM's own SELinux context. */
	if (o.net_fd >= 0 && !o.net_stream &&
	    (nic_tap_attach(o.net_fd, o.net_tap, err, sizeof(err)) < 0 ||
	     nic_attach(&vm, o.net_fd, o.net_mac, o.net_stats_fd, err, sizeof(err)) < 0))
		die("%s", err);
	if (o.net_fd >= 0 && !o.net_stream)
		nic_set_vnet(&vm); /* nic_tap_attach asked for IFF_VNET_HDR */
	/* --net user: passt's end is already connected; nothing to attach. */
	if (o.net_fd >= 0 && o.net_stream &&
	    nic_attach_stream(&vm, o.net_fd, o.net_mac, o.net_stats_fd, err, sizeof(err)) < 0)
		die("%s", err);
	memcpy(vm.nic_mac, o.net_mac, sizeof(vm.nic_mac));
	vm.vcpus = calloc(o.vcpus, sizeof(*vm.vcpus));
	if (!vm.vcpus)
		die("out of memory for %u vCPUs", o.vcpus);
	for (unsigned i = 0; i < o.vcpus; i++)
		vm.vcpus[i] = (struct vcpu){.vm = &vm, .index = i, .fd = -1};

	/* Before the first untrusted byte (ELF, --fs image, stream) is read:
	 * the setup filter (vmm_setup.policy), which every thread keeps under
	 * its steady-state filter. What ran before it reads no guest input:
	 * RAM is mapped, disks and the tap attached, nothing parsed. */
	if (o.layers & SANDBOX_SECCOMP) {
		if (o.seccomp_trap && seccomp_trap_install() < 0)
			die_errno("installing the SIGSYS handler for --seccomp=trap");
		seccomp_trap_set_thread("setup");
		if (seccomp_policy_install_fd(o.seccomp_setup_fd) < 0)
			die_errno("installing the setup seccomp filter (fd %d)",
				  o.seccomp_setup_fd);
		close(o.seccomp_setup_fd);
	}

	/* The control socket at the number vmm.policy names (recvmsg, sendmsg),
	 * before a restore, which tells its progress there. */
	if (o.control_fd >= 0 && o.control_fd != VMM_CONTROL_FD) {
		if (dup2(o.control_fd, VMM_CONTROL_FD) < 0 || close(o.control_fd) < 0)
			die_errno("dup2(control fd %d, %d)", o.control_fd, VMM_CONTROL_FD);
		o.control_fd = VMM_CONTROL_FD;
	}

	/* Phase order: memory, image (or saved state), VM, vCPUs, signals, threads. */
	static struct snapshot_state saved;
	uint64_t t_kvm = now_ns(), t_loaded, t_vm;
	if (o.restore_fd >= 0) {
		restore_guest(&vm, &o, &saved);
		t_loaded = t_kvm = now_ns();
		if (kvm_vm_create(&vm, err, sizeof(err)) < 0)
			die("%s", err);
		t_vm = now_ns();
	} else {
		/* The VM is made beside the guest's loading, which touches
		 * guest RAM and vm->guest only. */
		struct kvm_create_job job;
		if (kvm_vm_create_start(&vm, &job, err, sizeof(err)) < 0)
			die("%s", err);
		load_guest(&vm, &o);
		t_loaded = now_ns();
		if (kvm_vm_create_finish(&job, err, sizeof(err)) < 0)
			die("%s", err);
		t_vm = job.done_ns;
	}
	uint64_t t_vcpus = now_ns();
	for (unsigned i = 0; i < o.vcpus; i++)
		if (arch_vcpu_init(&vm.vcpus[i], err, sizeof(err)) < 0 ||
		    (vm.guest->vcpu_init &&
		     vm.guest->vcpu_init(&vm.vcpus[i], err, sizeof(err)) < 0))
			die("%s", err);
	if (o.restore_fd >= 0 && migrate_restore_vcpus(&vm, &saved, err, sizeof(err)) < 0)
		die("restore: %s", err);
	snapshot_state_free(&saved);

	sigset_t blocked;
	sigemptyset(&blocked);
	sigaddset(&blocked, SIGINT);
	sigaddset(&blocked, SIGTERM);
	sigaddset(&blocked, SIGUSR2);
	sigaddset(&blocked, SIGUSR1);
	sigaddset(&blocked, SIGPIPE); /* a migration peer hanging up is EPIPE */
	if (pthread_sigmask(SIG_BLOCK, &blocked, NULL) != 0)
		die("pthread_sigmask failed");
	sigdelset(&blocked, SIGPIPE);
	sigdelset(&blocked, SIGUSR1);
	int signal_fd = signalfd(-1, &blocked, SFD_CLOEXEC | SFD_NONBLOCK);
	if (signal_fd < 0)
		die_errno("signalfd");
	vm.wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm.wake_fd < 0)
		die_errno("eventfd");
	if (o.timeout_ns)
		vm.deadline_ns = now_ns() + o.timeout_ns;

	int control_spare[1 + CONTROL_EXEC_SLOTS * CONTROL_EXEC_MAX_FDS];
	unsigned spares = 0;
	if (o.control_fd >= 0) {
		/* Free slots under the sealed fd limit: one for the one fd a
		 * save or migration request passes at a time; under --linux,
		 * the stdio fds of each process `lockvm exec` may start. */
		unsigned want = o.linux_abi ? ARRAY_SIZE(control_spare) : 1;
		while (spares < want && (control_spare[spares] = dup(VMM_CONTROL_FD)) >= 0)
			spares++;
	}
	if (o.layers) {
		/* Every fd exists now; from here no new one can be made (but
		 * the --fs tree's, opened only beneath it: linux_hostfs.c). */
		sandbox_seal_fds(o.layers,
				 o.linux_abi && (o.fs_fd >= 0 || o.volume_count || o.upper_fd >= 0)
				     ? LINUX_FS_HOST_FDS
				     : 0);
		if (o.layers & SANDBOX_SECCOMP)
			vcpu_seccomp_fd = o.seccomp_vcpu_fd;
	}
	while (spares > 0)
		close(control_spare[--spares]);
	if (o.incoming && migrate_incoming_commit(o.restore_fd, err, sizeof(err)) < 0)
		die("%s", err);
	if (o.restore_fd >= 0)
		close(o.restore_fd);
	vm.before_run = vcpu_ready;
	if (vcpu_start_all(&vm, err, sizeof(err)) < 0) {
		vm_end(&vm, EXIT_REFUSED, "lockvm-vmm: %s", err);
		vcpu_join_all(&vm);
		return EXIT_REFUSED;
	}
	/* The main thread's filter goes on last, once its threads exist. */
	if ((o.layers & SANDBOX_SECCOMP) && seccomp_policy_install_fd(o.seccomp_vmm_fd) < 0) {
		vm_end(&vm, EXIT_REFUSED,
		       "lockvm-vmm: installing the main thread's seccomp filter: %s",
		       strerror(errno));
	}
	seccomp_trap_set_thread("main");
	report_ready(&vm, o.ready_fd);
	uint64_t t_ready = now_ns();
	int status = run_until_end(&vm, signal_fd, o.control_fd);
	uint64_t t_end = now_ns();

	if (o.stats) {
		uint64_t exits = 0, calls = 0;
		for (unsigned i = 0; i < vm.vcpu_count; i++) {
			exits += vm.vcpus[i].exits;
			calls += vm.vcpus[i].hypercalls;
		}
		fprintf(stderr, "stats: exits=%" PRIu64 " hypercalls=%" PRIu64 "\n", exits, calls);
		if (vm.guest->print_stats)
			vm.guest->print_stats(&vm);
		if (vm.nic) {
			char line[512];
			nic_format_stats(&vm, line, sizeof(line));
			fprintf(stderr, "stats: net %s\n", line);
		}
	}
	if (vm.guest->free)
		vm.guest->free(&vm);
	kvm_vm_destroy(&vm);
	nic_detach(&vm);
	guest_mem_unmap(&vm.mem);
	free(vm.vcpus);
	close(signal_fd);
	close(vm.wake_fd);
	timing_line("vmm", "VMM setup", o.timing_origin, t_main, t_kvm);
	/* These two overlap (kvm_vm_create_start); KVM_SET_USER_MEMORY_REGION
	 * waits for an SRCU grace period. */
	timing_line("vmm", "guest load", o.timing_origin, t_kvm, t_loaded);
	timing_line("vmm", "KVM VM and memslot", o.timing_origin, t_kvm, t_vm);
	timing_line("vmm", "KVM setup (vCPUs)", o.timing_origin, t_vcpus, t_ready);
	timing_line("vmm", "guest run", o.timing_origin, t_ready, t_end);
	timing_line("vmm", "VMM teardown", o.timing_origin, t_end, now_ns());
	return status;
}
