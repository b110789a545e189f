/* The VMM process: takes its trusted argv from the supervisor, builds the VM in setup phases, runs it, tears it down. */
#include "vmm.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
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
#include "numa.h"
#include "linux.h"
#include "control_wire.h"
#include "migrate.h"
#include "nic.h"
#include "vcpu.h"
#include "vm.h"
#include "sandbox.h"
#include "seccomp_install.h"
#include "seccomp_trap.h"

/* A guest image can be no larger than this, whatever the RAM size. */
#define ELF_FILE_MAX (1ULL << 30)

struct vmm_options {
	int kvm_fd, elf_fd, console_fd;
	uint64_t mem, timeout_ns;
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
	unsigned tty_mask, envc;
	char *envp[LINUX_MAX_ENV];
	/* save, restore, migration (migrate.h) */
	int control_fd, restore_fd, key_fd;
	bool incoming;
	const char *disk_paths[LOCKVM_MAX_DISKS];
	/* --net: an unattached /dev/net/tun fd, the tap it attaches to, the
	 * NIC's MAC, the shared counters */
	int net_fd, net_stats_fd;
	const char *net_tap;
	uint8_t net_mac[NETFRAME_MAC_LEN];
	bool net_mac_set;
};

/* The VMM's argv comes from the supervisor, never from a user; still,
 * malformed values stop it rather than being guessed at. */
static void parse_options(int argc, char **argv, struct vmm_options *o)
{
	static const struct option longopts[] = {
	    {"kvm-fd", required_argument, NULL, 'k'},
	    {"elf-fd", required_argument, NULL, 'e'},
	    {"console-fd", required_argument, NULL, 'c'},
	    {"mem", required_argument, NULL, 'm'},
	    {"vcpus", required_argument, NULL, 'v'},
	    {"timeout-ns", required_argument, NULL, 't'},
	    {"disk", required_argument, NULL, 'd'},
	    {"stats", no_argument, NULL, 's'},
	    {"layers", required_argument, NULL, 'L'},
	    {"seccomp-fds", required_argument, NULL, 'S'},
	    {"seccomp-trap", no_argument, NULL, 'T'},
	    {"ready-fd", required_argument, NULL, 'r'},
	    {"ksm", no_argument, NULL, 'K'},
	    {"hugepages", required_argument, NULL, 'H'},
	    {"numa-nodes", required_argument, NULL, 'N'},
	    {"numa-cpus", required_argument, NULL, 'P'},
	    {"linux", no_argument, NULL, 'X'},
	    {"fs-fd", required_argument, NULL, 'F'},
	    {"strace", no_argument, NULL, 'Z'},
	    {"tty-mask", required_argument, NULL, 'Y'},
	    {"env", required_argument, NULL, 'E'},
	    {"control-fd", required_argument, NULL, 'O'},
	    {"restore-fd", required_argument, NULL, 'R'},
	    {"key-fd", required_argument, NULL, 'W'},
	    {"incoming", no_argument, NULL, 'I'},
	    {"net-fd", required_argument, NULL, 'n'},
	    {"net-stats-fd", required_argument, NULL, 'o'},
	    {"net-mac", required_argument, NULL, 'a'},
	    {"net-tap", required_argument, NULL, 'U'},
	    {0},
	};
	uint64_t value;
	int opt;
	*o = (struct vmm_options){.seccomp_vmm_fd = -1,
				  .seccomp_setup_fd = -1,
				  .ready_fd = -1,
				  .seccomp_vcpu_fd = -1,
				  .kvm_fd = -1,
				  .elf_fd = -1,
				  .console_fd = STDOUT_FILENO,
				  .fs_fd = -1,
				  .control_fd = -1,
				  .restore_fd = -1,
				  .key_fd = -1,
				  .net_fd = -1,
				  .net_stats_fd = -1,
				  .vcpus = 1};
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'k':
		case 'e':
		case 'c':
		case 'O':
		case 'R':
		case 'W':
			if (parse_uint(optarg, 0, 1023, &value) < 0)
				die("bad fd '%s'", optarg);
			*(opt == 'k'   ? &o->kvm_fd
			  : opt == 'e' ? &o->elf_fd
			  : opt == 'O' ? &o->control_fd
			  : opt == 'R' ? &o->restore_fd
			  : opt == 'W' ? &o->key_fd
				       : &o->console_fd) = (int)value;
			break;
		case 'I': o->incoming = true; break;
		case 'm':
			if (parse_uint(optarg, 1, UINT64_MAX, &o->mem) < 0)
				die("bad --mem '%s'", optarg);
			break;
		case 'v':
			if (parse_uint(optarg, 1, LOCKVM_MAX_VCPUS, &value) < 0)
				die("bad --vcpus '%s'", optarg);
			o->vcpus = (unsigned)value;
			break;
		case 't':
			if (parse_uint(optarg, 0, UINT64_MAX, &o->timeout_ns) < 0)
				die("bad --timeout-ns '%s'", optarg);
			break;
		case 'd': {
			/* FD,ro|rw[,PATH]: the path is recorded in snapshots only */
			char *comma = strchr(optarg, ',');
			if (!comma || o->disk_count == LOCKVM_MAX_DISKS)
				die("bad --disk '%s'", optarg);
			*comma = '\0';
			char *path = strchr(comma + 1, ',');
			if (path)
				*path++ = '\0';
			o->disk_paths[o->disk_count] = path;
			if (parse_uint(optarg, 0, 1023, &value) < 0 ||
			    (strcmp(comma + 1, "ro") != 0 && strcmp(comma + 1, "rw") != 0))
				die("bad --disk '%s'", optarg);
			o->disk_fds[o->disk_count] = (int)value;
			o->disk_ro[o->disk_count++] = strcmp(comma + 1, "ro") == 0;
			break;
		}
		case 's': o->stats = true; break;
		case 'L':
			if (parse_uint(optarg, 0, SANDBOX_LAYERS_ALL, &value) < 0)
				die("bad --layers '%s'", optarg);
			o->layers = (unsigned)value;
			break;
		case 'S':
			/* VMM,VCPU,SETUP: the steady-state filters and the setup phase's */
			if (sscanf(optarg, "%d,%d,%d", &o->seccomp_vmm_fd, &o->seccomp_vcpu_fd,
				   &o->seccomp_setup_fd) != 3)
				die("bad --seccomp-fds '%s'", optarg);
			break;
		case 'X': o->linux_abi = true; break;
		case 'Z': o->strace = true; break;
		case 'F':
			if (parse_uint(optarg, 0, 1023, &value) < 0)
				die("bad --fs-fd '%s'", optarg);
			o->fs_fd = (int)value;
			break;
		case 'Y':
			if (parse_uint(optarg, 0, 7, &value) < 0)
				die("bad --tty-mask '%s'", optarg);
			o->tty_mask = (unsigned)value;
			break;
		case 'E':
			if (o->envc == LINUX_MAX_ENV || !strchr(optarg, '='))
				die("bad --env '%s'", optarg);
			o->envp[o->envc++] = optarg;
			break;
		case 'n':
		case 'o':
			if (parse_uint(optarg, 0, 1023, &value) < 0)
				die("bad --net-%s '%s'", opt == 'n' ? "fd" : "stats-fd", optarg);
			*(opt == 'n' ? &o->net_fd : &o->net_stats_fd) = (int)value;
			break;
		case 'a':
			if (netframe_mac_parse(optarg, o->net_mac, NULL) < 0)
				die("bad --net-mac '%s'", optarg);
			o->net_mac_set = true;
			break;
		case 'U':
			if (!netframe_ifname_valid(optarg, NULL))
				die("bad --net-tap '%s'", optarg);
			o->net_tap = optarg;
			break;
		case 'T': o->seccomp_trap = true; break;
		case 'r':
			if (parse_uint(optarg, 3, 1023, &value) < 0)
				die("bad --ready-fd '%s'", optarg);
			o->ready_fd = (int)value;
			break;
		case 'K': o->mem_config.mergeable = true; break;
		case 'H':
			if (strcmp(optarg, "thp") == 0)
				o->mem_config.backing = GUEST_MEM_THP;
			else if (strcmp(optarg, "hugetlb") == 0)
				o->mem_config.backing = GUEST_MEM_HUGETLB;
			else
				die("bad --hugepages '%s'", optarg);
			break;
		case 'N':
		case 'P':
			if (numa_parse_list(optarg, opt == 'N' ? &o->numa_nodes : &o->numa_cpus) <
			    0)
				die("bad --numa-%s '%s'", opt == 'N' ? "nodes" : "cpus", optarg);
			o->numa = true;
			break;
		default: die("usage: lockvm-vmm --kvm-fd N --elf-fd N --mem BYTES [...] -- ARGS");
		}
	}
	if (o->kvm_fd < 0 || (o->elf_fd < 0 && o->restore_fd < 0) || o->mem == 0)
		die("--kvm-fd, --elf-fd or --restore-fd, and --mem are required");
	if (o->net_fd >= 0 && (!o->net_mac_set || !o->net_tap))
		die("--net-fd needs --net-mac and --net-tap");
	if (o->numa && (numa_set_empty(&o->numa_nodes) || numa_set_empty(&o->numa_cpus)))
		die("--numa-nodes and --numa-cpus go together");
	o->args.argc = (unsigned)(argc - optind);
	o->args.argv = argv + optind;
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
	uint64_t size;
	char err[256];
	uint64_t limit = o->mem < ELF_FILE_MAX ? o->mem : ELF_FILE_MAX;
	uint8_t *file = read_image(o->elf_fd, limit, &size);
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
		struct linux_config cfg = {
		    .argc = o->args.argc,
		    .argv = o->args.argv,
		    .envc = o->envc,
		    .envp = o->envp,
		    .fs_fd = o->fs_fd,
		    .strace = o->strace,
		    .tty_mask = o->tty_mask,
		    .tmp_limit = LINUX_TMP_LIMIT,
		};
		if (!linux_setup(vm, file, size, &cfg, err, sizeof(err)))
			die("guest image: %s", err);
		free(file);
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
	if (migrate_restore_memory(vm, o->restore_fd, keyed ? key : NULL, o->incoming, saved, err,
				   sizeof(err)) < 0)
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
		if (poll(fds, 4, timeout_ms) < 0 && errno != EINTR)
			die_errno("poll");
		if (fds[2].fd >= 0 && (fds[2].revents & POLLIN))
			nic_input(vm);
		if (fds[3].revents & (POLLHUP | POLLERR))
			fds[3].fd = -1; /* the supervisor is gone: no more requests */
		else if (fds[3].revents & POLLIN)
			migrate_control(vm, control_fd);
		if (fds[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(signal_fd, &si, sizeof(si)) != (ssize_t)sizeof(si))
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
	util_progname = "lockvm-vmm";
	prctl(PR_SET_NAME, "lockvm-vmm", 0, 0, 0);
	parse_options(argc, argv, &o);
	if (o.layers) {
		/* Before anything reads the guest: no_new_privs, Landlock. */
		struct sandbox_vmm_report report;
		sandbox_enter_vmm(o.layers, &report);
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
	if (o.net_fd >= 0 &&
	    (nic_tap_attach(o.net_fd, o.net_tap, err, sizeof(err)) < 0 ||
	     nic_attach(&vm, o.net_fd, o.net_mac, o.net_stats_fd, err, sizeof(err)) < 0))
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

	/* Phase order: memory, image (or saved state), VM, vCPUs, signals, threads. */
	static struct snapshot_state saved;
	if (o.restore_fd >= 0)
		restore_guest(&vm, &o, &saved);
	else
		load_guest(&vm, &o);
	if (kvm_vm_create(&vm, err, sizeof(err)) < 0)
		die("%s", err);
	for (unsigned i = 0; i < o.vcpus; i++)
		if (arch_vcpu_init(&vm.vcpus[i], err, sizeof(err)) < 0 ||
		    (vm.linux_proc && linux_vcpu_init(&vm.vcpus[i], err, sizeof(err)) < 0))
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

	/* The control socket at the number vmm.policy names (recvmsg). */
	int control_spare = -1;
	if (o.control_fd >= 0) {
		if (o.control_fd != VMM_CONTROL_FD &&
		    (dup2(o.control_fd, VMM_CONTROL_FD) < 0 || close(o.control_fd) < 0))
			die_errno("dup2(control fd %d, %d)", o.control_fd, VMM_CONTROL_FD);
		o.control_fd = VMM_CONTROL_FD;
		/* One free slot under the sealed fd limit, for the one fd a
		 * save or migration request passes at a time. */
		control_spare = dup(VMM_CONTROL_FD);
	}
	if (o.layers) {
		/* Every fd exists now; from here no new one can be made. */
		sandbox_seal_fds(o.layers);
		if (o.layers & SANDBOX_SECCOMP)
			vcpu_seccomp_fd = o.seccomp_vcpu_fd;
	}
	if (control_spare >= 0)
		close(control_spare);
	if (o.incoming && migrate_incoming_commit(o.restore_fd, err, sizeof(err)) < 0)
		die("%s", err);
	if (o.restore_fd >= 0)
		close(o.restore_fd);
	vcpu_before_run = vcpu_ready;
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
	int status = run_until_end(&vm, signal_fd, o.control_fd);

	if (o.stats) {
		uint64_t exits = 0, calls = 0;
		for (unsigned i = 0; i < vm.vcpu_count; i++) {
			exits += vm.vcpus[i].exits;
			calls += vm.vcpus[i].hypercalls;
		}
		fprintf(stderr, "stats: exits=%" PRIu64 " hypercalls=%" PRIu64 "\n", exits, calls);
		if (vm.linux_proc)
			linux_print_stats(vm.linux_proc);
		if (vm.nic) {
			char line[512];
			nic_format_stats(&vm, line, sizeof(line));
			fprintf(stderr, "stats: net %s\n", line);
		}
	}
	linux_free(vm.linux_proc);
	kvm_vm_destroy(&vm);
	nic_detach(&vm);
	guest_mem_unmap(&vm.mem);
	free(vm.vcpus);
	close(signal_fd);
	close(vm.wake_fd);
	return status;
}
