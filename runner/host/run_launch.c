/* `lockvm run` launch: the seccomp policies compiled beside the main thread, the launch message, and the VMM spawned. */
#include "run_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mac.h"
#include "paths.h"
#include "sandbox.h"
#include "seccomp_cache.h"

/* A policy compiled to a BPF memfd on a thread beside the main one:
 * compiling overlaps the uid reservation and cgroup setup (start cost,
 * `make bench`). A program compiled before comes from the cache
 * (seccomp_cache.h) when its entry is ours, intact and current. */
struct policy_job {
	const char *name;
	enum seccomp_policy_mode mode;
	const char *cache_dir; /* NULL: no cache */
	pthread_t thread;
	int fd;
	bool cached;
	char err[PATH_MAX + 640];
	char refused[PATH_MAX + 256]; /* why a cache entry was not used, or "" */
};

static void *compile_policy(void *arg)
{
	struct policy_job *job = arg;
	char dir[PATH_MAX], path[PATH_MAX + 32], err[512];
	seccomp_policy_default_dir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, job->name);
	job->fd = -1;
	if (job->cache_dir) {
		job->fd = seccomp_cache_load(job->cache_dir, path, job->mode, job->refused,
					     sizeof(job->refused));
		job->cached = job->fd >= 0;
		if (job->cached)
			return NULL;
	}
	struct seccomp_policy *policy = seccomp_policy_parse_file(path, err, sizeof(err));
	scmp_filter_ctx ctx =
	    policy ? seccomp_policy_compile(policy, job->mode, err, sizeof(err)) : NULL;
	if (!ctx) {
		seccomp_policy_free(policy);
		snprintf(job->err, sizeof(job->err), "seccomp policy %s: %s", path, err);
		return NULL;
	}
	job->fd = seccomp_policy_export_fd(ctx);
	if (job->fd < 0)
		snprintf(job->err, sizeof(job->err), "exporting seccomp policy %s: %s", path,
			 strerror(errno));
	else if (job->cache_dir)
		(void)seccomp_cache_store(job->cache_dir, path, job->mode, policy, job->fd);
	seccomp_release(ctx);
	seccomp_policy_free(policy);
	return NULL;
}

/* The VMM's filters: its main thread's, its vCPU threads', and the setup
 * phase's (installed before it parses any guest input, kept under both). */
#define VMM_POLICIES 3

static void *compile_all(void *arg)
{
	struct policy_job *jobs = arg;
	uint64_t start = now_ns();
	/* The cache lives in the root's run directory, made 0700 here. */
	static char cache_dir[PATH_MAX];
	if (paths_mkdir(PATHS_BPF_DIR) == 0 &&
	    paths_join(cache_dir, sizeof(cache_dir), PATHS_BPF_DIR, NULL) == 0)
		for (int i = 0; i < VMM_POLICIES; i++)
			jobs[i].cache_dir = cache_dir;
	for (int i = 0; i < VMM_POLICIES; i++)
		compile_policy(&jobs[i]);
	run_timing_compile(start, now_ns());
	return NULL;
}

/* One thread for all: the main thread reserves the uid and makes the
 * cgroup meanwhile, and these machines may have two cores. */
static void compile_policies_start(struct policy_job jobs[VMM_POLICIES],
				   enum seccomp_policy_mode mode)
{
	jobs[0] = (struct policy_job){.name = "vmm.policy", .mode = mode};
	jobs[1] = (struct policy_job){.name = "vcpu.policy", .mode = mode};
	jobs[2] = (struct policy_job){.name = "vmm_setup.policy", .mode = mode};
	int rc = pthread_create(&jobs[0].thread, NULL, compile_all, jobs);
	if (rc != 0) {
		errno = rc;
		die_errno("pthread_create (seccomp policy compiler)");
	}
}

/* Joins the compiler: the supervisor is single-threaded again after it,
 * as sandbox_spawn() needs. */
static void compile_policies_finish(struct run_state *st, struct policy_job jobs[VMM_POLICIES])
{
	pthread_join(jobs[0].thread, NULL);
	for (int i = 0; i < VMM_POLICIES; i++) {
		if (jobs[i].fd < 0)
			die("%s", jobs[i].err);
		/* A refused entry is someone's doing or damage: said, never used. */
		if (jobs[i].refused[0])
			warn_msg("seccomp cache entry refused (compiled afresh): %s",
				 jobs[i].refused);
		run_log_event(st, "seccomp %s: %s%s", jobs[i].name,
			      jobs[i].cached ? "from the cache" : "compiled",
			      jobs[i].refused[0] ? " (cache entry refused)" : "");
	}
}

pid_t start_vmm(const struct run_options *o, struct run_state *st, int vmm_fd, int kvm_fd,
		int guest_fd)
{
	/* Everything the VMM is told, in one checked message (common/launch.h);
	 * fd numbers are the supervisor's own (sandbox_spawn keeps them open
	 * across exec). */
	struct launch l;
	struct sandbox_config cfg;
	int keep[17 + LOCKVM_MAX_DISKS + LAUNCH_MAX_VOLUMES], /* 17: the upper dir's too */
	    n_keep = 0; /* 16: stdio, kvm, guest, fs, three policies, ready, tap, NIC counters,
			   control, key, spare, launch */
	int policy_fds[VMM_POLICIES] = {-1, -1, -1};
	sandbox_config_init(&cfg);
	launch_init(&l);
	l.kvm_fd = kvm_fd;
	if (o->restore || o->listen) {
		l.restore_fd = guest_fd;
		if (o->listen)
			l.flags |= LAUNCH_INCOMING;
		if (o->key_fd >= 0) {
			l.key_fd = o->key_fd;
			keep[n_keep++] = o->key_fd;
		}
	} else {
		l.elf_fd = guest_fd;
	}
	l.mem = o->mem;
	l.vcpus = o->vcpus;
	l.timeout_ns = o->timeout_ns;
	l.flags |= (o->stats ? LAUNCH_STATS : 0) | (o->mem_config.mergeable ? LAUNCH_KSM : 0);
	l.hugepages = o->mem_config.backing == GUEST_MEM_THP	   ? LAUNCH_THP
		      : o->mem_config.backing == GUEST_MEM_HUGETLB ? LAUNCH_HUGETLB
								   : LAUNCH_SMALL_PAGES;
	if (o->numa) {
		l.flags |= LAUNCH_NUMA;
		l.numa_nodes = o->numa_nodes;
		l.numa_cpus = o->numa_cpus;
	}
	if (o->linux_abi) {
		for (int fd = 0; fd < 3; fd++)
			l.tty_mask |= isatty(fd) ? 1u << fd : 0;
		l.flags |= LAUNCH_LINUX | (o->strace ? LAUNCH_STRACE : 0);
		l.fs_fd = o->fs_fd;
		l.fs_upper = o->fs_upper;
		l.upper_fd = o->upper_fd;
		l.record_fd = o->record_memfd;
		l.fs_tmp = o->fs_tmp;
		l.tmpfs_count = o->tmpfs_count;
		for (unsigned i = 0; i < o->tmpfs_count; i++)
			l.tmpfs[i] = (struct launch_tmpfs){.size = o->tmpfs_size[i],
							   .path = o->tmpfs_path[i]};
		l.volume_count = o->volume_count;
		for (unsigned i = 0; i < o->volume_count; i++)
			l.volumes[i] = (struct launch_volume){.fd = o->volumes[i].fd,
							      .ro = o->volumes[i].ro,
							      .path = o->volumes[i].guest};
		l.pids = o->pids;
		l.envc = o->envc;
		l.envp = (const char **)o->env; /* read only: launch_encode copies */
		l.workdir = o->workdir ? o->workdir : "";
		l.hostname = o->hostname ? o->hostname : "";
		l.uid = o->uid;
		l.gid = o->gid;
		l.ngroups = o->ngroups;
		memcpy(l.groups, o->groups, sizeof(l.groups));
		l.rlimit_set = o->rlimit_set;
		memcpy(l.rlimits, o->rlimits, sizeof(l.rlimits));
		/* DHCP by default on a bridge and on --net user (passt's); in a
		 * container engine's namespace (netns=) no stack on the NIC
		 * unless --ip says so. */
		if (!o->net_ip && o->net.kind != NET_NONE && o->net.kind != NET_NETNS)
			l.flags |= LAUNCH_NET_DHCP;
		l.net_ip = o->net_ip;
		l.net_prefix = o->net_prefix;
		l.net_gateway = o->net_gateway;
		l.net_dns = o->net_dns;
	}
	keep[n_keep++] = STDIN_FILENO;
	keep[n_keep++] = STDOUT_FILENO;
	keep[n_keep++] = STDERR_FILENO;
	keep[n_keep++] = kvm_fd;
	if (guest_fd >= 0) /* none with --fs: the VMM opens PROGRAM in the tree */
		keep[n_keep++] = guest_fd;
	if (o->fs_fd >= 0)
		keep[n_keep++] = o->fs_fd;
	for (unsigned i = 0; i < o->volume_count; i++)
		keep[n_keep++] = o->volumes[i].fd;
	if (o->upper_fd >= 0)
		keep[n_keep++] = o->upper_fd;
	if (o->record_memfd >= 0)
		keep[n_keep++] = o->record_memfd;
	l.disk_count = o->disk_count;
	for (unsigned i = 0; i < o->disk_count; i++) {
		l.disks[i] = (struct launch_disk){
		    .fd = o->disks[i].fd, .ro = o->disks[i].read_only, .path = o->disks[i].path};
		keep[n_keep++] = o->disks[i].fd;
	}

	/* Even unconfined, the VMM dies with its supervisor: nothing else would
	 * end it and give its resources back. */
	cfg.layers =
	    o->confine ? SANDBOX_LAYERS_ALL & ~sandbox_layers_unavailable() : SANDBOX_PDEATHSIG;
	struct policy_job policies[VMM_POLICIES] = {
	    {0}}; /* (clang-tidy cannot see o->confine stay) */
	if (o->confine)
		compile_policies_start(policies, o->seccomp_mode);
	if (o->confine) {
		unsigned missing = sandbox_layers_unavailable();
		for (unsigned bit = 1; bit & SANDBOX_LAYERS_ALL; bit <<= 1) {
			if (!(missing & bit))
				continue;
			if (bit == SANDBOX_UID)
				fprintf(stderr,
					"lockvm: rootless: layer uid not applied (the VMM runs as "
					"uid %u, unmapped in its own user namespace)\n",
					(unsigned)getuid());
			else
				fprintf(stderr, "lockvm: rootless: layer %s not applied (%s)\n",
					sandbox_layer_name(bit),
					bit == SANDBOX_CGROUP ? "no memory, pids or cpu limit"
							      : "needs root");
		}
		if (cfg.layers & SANDBOX_UID)
			reserve_uid_start(st); /* unless run_mode started it */
		/* While the uid is leased: the cgroup is named by the uuid and
		 * needs nothing of the registry, which records it (claim_identity,
		 * which joins the lease's thread). */
		run_timing_phase("cgroup");
		if (cfg.layers & SANDBOX_CGROUP)
			create_vm_cgroup(o, st, &cfg);
	}
	run_timing_phase("registry and label");
	claim_identity(o, st, o->confine && (cfg.layers & SANDBOX_UID) ? &cfg : NULL);
	check_tree_labels(o, st);
	run_timing_phase("log");
	open_log(o, st);
	run_log_event(st, "start: %s, %u vCPU%s, %" PRIu64 " MiB, uuid %s", o->guest, o->vcpus,
		      o->vcpus == 1 ? "" : "s", o->mem >> 20, st->vm.uuid);
	if (o->backing_note[0])
		run_log_event(st, "%s", o->backing_note);
	run_timing_phase("AppArmor profile");
	load_apparmor_profile(o, st);
	run_timing_phase("net");
	setup_net(o, st, &l, keep, &n_keep);
	if (o->confine) {
		run_timing_phase("policy compile (join)");
		compile_policies_finish(st, policies);
		for (int i = 0; i < VMM_POLICIES; i++) {
			policy_fds[i] = policies[i].fd;
			keep[n_keep++] = policies[i].fd;
		}
		l.layers = cfg.layers;
		l.seccomp_vmm_fd = policies[0].fd;
		l.seccomp_vcpu_fd = policies[1].fd;
		l.seccomp_setup_fd = policies[2].fd;
		if (o->seccomp_mode == SECCOMP_POLICY_MODE_TRAP)
			l.flags |= LAUNCH_SECCOMP_TRAP;
	}
	run_timing_phase("launch message");
	/* The VMM's channels (ready, stdout, stderr), made once the label is
	 * claimed: socketpairs in the VM's
	 * own SELinux context where it gets one (mac_vmm_channel), else pipes. */
	const char *channel_label = vmm_channel_label(o, st);
	if (mac_vmm_channel(channel_label, st->ready_pipe) < 0)
		die_errno("making the VMM's ready channel (label %s)",
			  channel_label ? channel_label : "none");
	/* The control socket (save, migrate) in the VM's context too: under MCS
	 * the VMM may not use a socket carrying the supervisor's range. */
	if (mac_vmm_socketpair(channel_label, SOCK_SEQPACKET, st->control_pair) < 0)
		die_errno("making the VMM's control socket (label %s)",
			  channel_label ? channel_label : "none");
	l.control_fd = st->control_pair[1];
	keep[n_keep++] = st->control_pair[1];
	l.ready_fd = st->ready_pipe[1];
	keep[n_keep++] = st->ready_pipe[1];
	/* The exec label: the VM's SELinux context, or its AppArmor profile
	 * (stacked with the engine's: lockvm-<uuid>//&NAME, both must allow). */
	if (strcmp(st->vm.mac, "selinux") == 0 && st->vm.label.process[0])
		cfg.exec_label = st->vm.label.process;
	else if (st->profile_loaded)
		cfg.exec_label = st->vm.apparmor_label[0] ? st->vm.apparmor_label : st->vm.profile;
	cfg.require_mac = o->require_mac;
	st->vm.layers = cfg.layers;
	l.argc = (unsigned)o->guest_argc;
	l.argv = (const char **)o->guest_argv;
	l.timing_origin_ns = run_timing_origin();
	cfg.marks = run_timing_child_marks();
	char err[256], launch_fd_text[16];
	size_t launch_len;
	uint8_t *message = launch_encode(&l, &launch_len, err, sizeof(err));
	int launch_fd = message ? launch_write_memfd(message, launch_len, err, sizeof(err)) : -1;
	free(message);
	if (launch_fd < 0)
		die("%s", err);
	keep[n_keep++] = launch_fd;
	snprintf(launch_fd_text, sizeof(launch_fd_text), "%d", launch_fd);
	char *vmm_argv[] = {"lockvm-vmm", "--launch-fd", launch_fd_text, NULL};

	struct vmm_tree trees[SANDBOX_MAX_TREES];
	cfg.n_trees = vmm_trees(o, trees);
	for (unsigned i = 0; i < cfg.n_trees; i++)
		cfg.trees[i] = (struct sandbox_tree){trees[i].fd, trees[i].name};
	cfg.keep_fds = keep;
	cfg.n_keep_fds = (unsigned)n_keep;
	cfg.rlimits.fsize = 1ULL << 30; /* the disks are fds; stdout/err are pipes */
	for (unsigned i = 0; i < o->disk_count; i++) {
		struct stat sb;
		if (fstat(o->disks[i].fd, &sb) == 0 && (uint64_t)sb.st_size > cfg.rlimits.fsize)
			cfg.rlimits.fsize = (uint64_t)sb.st_size;
	}
	cfg.rlimits.nproc = o->vcpus + 16; /* threads count against NPROC */
	cfg.hostname = st->vm.name;

	/* The VMM's stdout and stderr are pipes the supervisor tees to the log
	 * (and to its own stdout/stderr): swapped in around the spawn, which
	 * hands fds 1 and 2 to the child as they are. */
	if (mac_vmm_channel(channel_label, st->out_pipe) < 0 ||
	    mac_vmm_channel(channel_label, st->err_pipe) < 0)
		die_errno("making the VMM's output channels (label %s)",
			  channel_label ? channel_label : "none");
	fflush(NULL);
	int saved_out = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
	int saved_err = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	if (saved_out < 0 || saved_err < 0 || dup2(st->out_pipe[1], STDOUT_FILENO) < 0 ||
	    dup2(st->err_pipe[1], STDERR_FILENO) < 0)
		die_errno("redirecting the VMM's stdout/stderr");
	if (o->confine && (cfg.layers & SANDBOX_UID)) {
		run_timing_phase("volume owners");
		hand_volumes(o, st, cfg.uid, cfg.gid);
		hand_upper(o, st, cfg.uid, cfg.gid);
	}
	run_timing_phase("spawn");
	pid_t pid = sandbox_spawn(&cfg, vmm_fd, vmm_argv, &st->lifeline);
	close(launch_fd);
	int spawn_errno = errno;
	dup2(saved_out, STDOUT_FILENO);
	dup2(saved_err, STDERR_FILENO);
	close(saved_out);
	close(saved_err);
	close(st->out_pipe[1]);
	close(st->err_pipe[1]);
	close(st->ready_pipe[1]);
	st->out_pipe[1] = st->err_pipe[1] = st->ready_pipe[1] = -1;
	if (pid < 0) {
		errno = spawn_errno;
		die_errno("starting the VMM (clone)");
	}
	for (int i = 0; i < VMM_POLICIES; i++) /* the policies are the VMM's now */
		if (policy_fds[i] >= 0)
			close(policy_fds[i]);
	if (st->tap_fd >= 0) /* the VMM's now: it attaches to the tap with it */
		close(st->tap_fd);
	st->tap_fd = -1;
	return pid;
}

/* Whether the VMM was given an exec label (SELinux context or profile). */
static bool cfg_label_set(const struct run_state *st)
{
	return (strcmp(st->vm.mac, "selinux") == 0 && st->vm.label.process[0]) ||
	       st->profile_loaded;
}

/* Needs start_vmm. The VM's label and the confinement layers it really
 * got, in its log. */
void log_confinement(const struct run_options *o, struct run_state *st)
{
	run_log_event(st, "label: %s (%s%s%s; image %s; %s %s)",
		      st->vm.label.process[0] ? st->vm.label.process : "none",
		      label_kind_name(st->vm.label.kind), st->vm.label.group[0] ? " " : "",
		      st->vm.label.group, st->vm.label.image[0] ? st->vm.label.image : "unlabelled",
		      st->vm.mac, st->vm.mac_mode);
	char on[512] = "", off[512] = "";
	bool mac_off = strcmp(st->vm.mac_mode, "not enforced") == 0 || !cfg_label_set(st);
	for (unsigned bit = 1; bit & SANDBOX_LAYERS_ALL; bit <<= 1) {
		bool applied = (st->vm.layers & bit) && !(bit == SANDBOX_MAC && mac_off);
		char *list = applied ? on : off;
		size_t len = strlen(list);
		snprintf(list + len, sizeof(on) - len, "%s%s", len ? " " : "",
			 sandbox_layer_name(bit));
	}
	run_log_event(st, "layers enforced: %s%s", on[0] ? on : "none",
		      o->confine ? "" : " (--confine off)");
	run_log_event(st, "layers not enforced: %s%s", off[0] ? off : "none",
		      mac_off ? " (the MAC label is recorded, not enforced)" : "");
}
