/* `lockvm run` resources: everything the supervisor opens or takes while privileged, each beside its release. */
#include "run_internal.h"

#include <elf.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/openat2.h>
#include <time.h>
#include <unistd.h>

#include "apparmor_profile.h"
#include "apparmor_stack.h"
#include "images.h"
#include "install_dirs.h"
#include "mac.h"
#include "netframe.h"
#include "netns.h"
#include "passt.h"
#include "paths.h"
#include "recovery.h"
#include "sandbox.h"

/* One timestamped lifecycle line in the VM's log (never dropped by its cap). */
void run_log_event(struct run_state *st, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	vmlog_lifecycle(&st->log, line);
}

void open_log(const struct run_options *o, struct run_state *st)
{
	uint64_t cap = o->log_size_max ? o->log_size_max : st->config.log_size_max;
	if (vmlog_open(&st->log, st->vm.name, cap) < 0)
		die_errno("opening the VM's log under %s/%s", paths_root(), PATHS_LOG_DIR);
}

void random_uuid(char out[37])
{
	uint8_t b[16];
	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		die_errno("getrandom");
	b[6] = (uint8_t)((b[6] & 0x0F) | 0x40); /* version 4 */
	b[8] = (uint8_t)((b[8] & 0x3F) | 0x80); /* RFC 4122 variant */
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
}

/* Whether our own VMM binary asks for a dynamic loader: it then cannot
 * start in the VMM's empty root (sanitizer builds cannot link static). */
static bool vmm_is_dynamic(int fd)
{
	Elf64_Ehdr eh;
	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) ||
	    eh.e_phentsize != sizeof(Elf64_Phdr))
		return false;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * sizeof(ph))) !=
		    (ssize_t)sizeof(ph))
			return false;
		if (ph.p_type == PT_INTERP)
			return true;
	}
	return false;
}

/* Opens the VMM binary: $LOCKVM_VMM or the compiled-in libexec directory. */
int open_vmm_binary(bool confine)
{
	const char *path = install_vmm_binary();
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die_errno("open(%s) (the VMM binary; is lockvm installed completely?)", path);
	if (confine && vmm_is_dynamic(fd))
		die("%s is dynamically linked (a sanitizer build?) and cannot start in the "
		    "VMM's empty root: use a release build, or --confine off",
		    path);
	return fd;
}

/* Opens the file an O_PATH fd names, with flags: the same inode, through
 * /proc/self/fd, not a second walk of a path that could find another
 * file. Closes path_fd. */
int reopen_path_fd(int path_fd, int flags, const char *what, const char *path)
{
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", path_fd);
	int fd = open(proc, flags | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		die_errno("%s %s (reopening it through %s)", what, path, proc);
	close(path_fd);
	return fd;
}

/* The guest may be reached through a symbolic link (it is only read), but
 * its type is known before it is opened: a FIFO would block the open. */
int open_guest(const char *path)
{
	int path_fd = open(path, O_PATH | O_CLOEXEC);
	if (path_fd < 0)
		die_errno("guest %s", path);
	struct stat st;
	if (fstat(path_fd, &st) < 0)
		die_errno("fstat(%s)", path);
	if (!S_ISREG(st.st_mode))
		die("guest %s: not a regular file", path);
	return reopen_path_fd(path_fd, O_RDONLY, "guest", path);
}

static const char *file_kind(mode_t mode)
{
	return S_ISREG(mode)	? "a regular file"
	       : S_ISBLK(mode)	? "a block device"
	       : S_ISCHR(mode)	? "a character device"
	       : S_ISFIFO(mode) ? "a FIFO"
	       : S_ISSOCK(mode) ? "a socket"
	       : S_ISDIR(mode)	? "a directory"
	       : S_ISLNK(mode)	? "a symbolic link"
				: "not a regular file";
}

/*
 * Opens one --disk for the VM. The supervisor is root and gives a rw disk
 * to the VM's uid, so whoever can write a directory on the path must not
 * be able to steer the open elsewhere (SECURITY.md "Disks"):
 * - no symbolic link anywhere in the path (openat2 RESOLVE_NO_SYMLINKS;
 *   O_NOFOLLOW on the last component where openat2 is missing);
 * - the type is decided by fstat of an O_PATH fd, before the file is
 *   really opened, so a FIFO cannot block us and no device is opened
 *   (opening some has side effects) unless ,dev asked for a block device;
 * - the real open goes through /proc/self/fd of that O_PATH fd
 *   (reopen_path_fd).
 */
static int open_disk(const struct run_disk *d)
{
	struct open_how how = {.flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_NO_SYMLINKS};
	int path_fd = (int)syscall(SYS_openat2, AT_FDCWD, d->path, &how, sizeof(how));
	if (path_fd < 0 && errno == ENOSYS) /* before Linux 5.6 */
		path_fd = open(d->path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (path_fd >= 0 && fstat(path_fd, &st) < 0)
		die_errno("fstat(%s)", d->path);
	if ((path_fd < 0 && errno == ELOOP) || (path_fd >= 0 && S_ISLNK(st.st_mode)))
		die("disk %s: the path goes through a symbolic link; give the real path "
		    "(realpath %s)",
		    d->path, d->path);
	if (path_fd < 0)
		die_errno("disk %s", d->path);
	if (d->device && !S_ISBLK(st.st_mode))
		die("disk %s: ,dev is for block devices and this is %s", d->path,
		    file_kind(st.st_mode));
	if (S_ISBLK(st.st_mode) && !d->device)
		die("disk %s: a block device; attach one only by saying so, with --disk %s,dev",
		    d->path, d->path);
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		die("disk %s: %s; a disk is an image file (or a block device, with ,dev)", d->path,
		    file_kind(st.st_mode));
	int fd = reopen_path_fd(path_fd, d->read_only ? O_RDONLY : O_RDWR, "disk", d->path);
	struct stat now;
	if (fstat(fd, &now) < 0)
		die_errno("fstat(%s)", d->path);
	if (now.st_dev != st.st_dev || now.st_ino != st.st_ino)
		die("disk %s: changed while being opened", d->path);
	if (S_ISREG(now.st_mode) && now.st_size % LOCKVM_SECTOR_SIZE)
		die("disk %s: size %lld is not a multiple of %d bytes", d->path,
		    (long long)now.st_size, LOCKVM_SECTOR_SIZE);
	return fd;
}

void open_disks(struct run_options *o)
{
	for (unsigned i = 0; i < o->disk_count; i++)
		o->disks[i].fd = open_disk(&o->disks[i]);
}

/*
 * Taken for the VMM's lifetime, in this order (start_vmm), each beside its
 * release; release_resources gives them back in reverse, also when the
 * supervisor dies on the way (release_at_exit). A failing step dies with
 * a message naming it.
 */

/* The per-VM uid and gid, leased under the registry root; cfg runs the
 * VMM as them. */
/* The uid lease is taken on a thread of its own: uid_reserve asks NSS
 * whether each id is a host account, and that (libnss_systemd loaded,
 * userdb directories probed) is most of a start's uid cost, 0.7 ms; the
 * main thread makes the cgroup meanwhile. One lease per supervisor. */
static struct {
	pthread_t thread;
	struct run_state *st;
	bool started;
	int rc, saved_errno;
	uint64_t start_ns, end_ns;
} uid_job;

static void *reserve_uid_thread(void *arg)
{
	(void)arg;
	uid_job.start_ns = now_ns();
	/* Writes only uid_job and st->lease, which nothing reads before the join. */
	uid_job.rc = uid_reserve(paths_root(), &uid_job.st->config.uids, &uid_job.st->lease);
	uid_job.saved_errno = errno;
	uid_job.end_ns = now_ns();
	return NULL;
}

void reserve_uid_start(struct run_state *st)
{
	if (uid_job.started || st->have_lease)
		return; /* run_mode started it early */
	uid_job.st = st;
	int rc = pthread_create(&uid_job.thread, NULL, reserve_uid_thread, NULL);
	if (rc != 0) {
		errno = rc;
		die_errno("pthread_create (uid lease)");
	}
	uid_job.started = true;
}

/* Joins the lease's thread; whether it took a lease (then st->have_lease). */
static bool reserve_uid_join(struct run_state *st)
{
	if (!uid_job.started)
		return st->have_lease;
	pthread_join(uid_job.thread, NULL);
	uid_job.started = false;
	run_timing_uid(uid_job.start_ns, uid_job.end_ns);
	if (uid_job.rc == 0)
		st->have_lease = true;
	return st->have_lease;
}

int reserve_uid_finish(struct run_state *st, struct sandbox_config *cfg)
{
	if (!reserve_uid_join(st)) {
		errno = uid_job.saved_errno;
		return -1;
	}
	cfg->uid = st->lease.uid;
	cfg->gid = st->lease.gid;
	return 0;
}

static void release_uid(struct run_state *st)
{
	/* A run that dies while the lease's thread works gives back what it took. */
	if (reserve_uid_join(st))
		uid_release(&st->lease);
	st->have_lease = false;
}

static const char *disk_mode(const struct run_disk *d)
{
	return d->shared ? "shared" : d->read_only ? "ro" : "rw";
}

/*
 * The VM's identity, under the registry lock: dead VMs reaped, the name
 * claimed, a label unique among live VMs, the disks taken (owner, mode,
 * label, with conflicts refused). Everything it takes is recorded in
 * state.json first, so a killed supervisor's leftovers can be recovered.
 */
void claim_identity(const struct run_options *o, struct run_state *st,
		    struct sandbox_config *uid_cfg)
{
	uid_t uid = 0;
	gid_t gid = 0;
	char err[PATH_MAX + 256];
	struct reg_vm *vm = &st->vm;
	int lock = registry_lock();
	if (lock < 0)
		die("cannot lock the VM registry under %s", paths_root());
	registry_reap();
	if (o->name) {
		snprintf(vm->name, sizeof(vm->name), "%s", o->name);
		if (registry_live(vm->name) == 1) {
			registry_unlock(lock);
			die("a VM named '%s' is already running", vm->name);
		}
	} else {
		do /* vm-<8 hex>, like a short container id */
			snprintf(vm->name, sizeof(vm->name), "vm-%.8s", vm->uuid);
		while (registry_live(vm->name) == 1 && (random_uuid(vm->uuid), true));
	}
	struct vm_label *l = &vm->label;
	l->cat_a = l->cat_b = -1;
	l->kind = o->label_kind;
	if (l->kind == LABEL_STATIC)
		snprintf(l->process, sizeof(l->process), "%s", o->label);
	if (l->kind == LABEL_GROUP) {
		snprintf(l->group, sizeof(l->group), "%s", o->group);
		if (registry_group_pair(o->group, &l->cat_a, &l->cat_b) < 0)
			l->cat_a = -1; /* the group's first live member: a new pair */
	}
	if ((l->kind == LABEL_DYNAMIC || l->kind == LABEL_GROUP) && l->cat_a < 0) {
		uint32_t *used;
		size_t n;
		if (registry_pairs_in_use(&used, &n) < 0 ||
		    label_pick_pair(&st->config, used, n, &l->cat_a, &l->cat_b) < 0) {
			registry_unlock(lock);
			die("no free category pair in c%u.c%u: %zu VMs hold one", st->config.cat_lo,
			    st->config.cat_hi, n);
		}
		free(used);
	}
	label_format(&st->config, l);
	snprintf(vm->mac, sizeof(vm->mac), "%s", label_mac_model());
	snprintf(vm->mac_mode, sizeof(vm->mac_mode), "%s", label_mac_mode());
	/* Until its guest runs: list shows a restore or an incoming migration. */
	snprintf(vm->state, sizeof(vm->state), "%s",
		 o->listen    ? "incoming"
		 : o->restore ? "restoring"
			      : "starting");
	vm->pid = (long)getpid();
	vm->started = (int64_t)time(NULL);
	vm->vcpus = o->vcpus;
	vm->mem = o->mem;
	vm->confined = o->confine;
	vm->linux_abi = o->linux_abi;
	if (o->upper_dir_fd >= 0 && strlen(o->upper_real) >= sizeof(vm->upper)) {
		registry_unlock(lock);
		die("--fs-upper %s: its path is longer than %zu characters", o->upper_dir,
		    sizeof(vm->upper) - 1);
	}
	if (o->upper_dir_fd >= 0) /* shown by inspect, and in the exit record */
		snprintf(vm->upper, sizeof(vm->upper), "%s", o->upper_real);
	snprintf(vm->seccomp, sizeof(vm->seccomp), "%s",
		 o->seccomp_mode == SECCOMP_POLICY_MODE_LOG    ? "log"
		 : o->seccomp_mode == SECCOMP_POLICY_MODE_TRAP ? "trap"
							       : "kill");
	snprintf(vm->cpus, sizeof(vm->cpus), "%s", o->cpus ? o->cpus : "");
	vm->cpu_shares = o->cpu_shares;
	snprintf(vm->boot_id, sizeof(vm->boot_id), "%s", registry_boot_id());
	vm->ndisks = o->disk_count;
	for (unsigned i = 0; i < o->disk_count; i++) {
		struct reg_disk *d = &vm->disks[i];
		if (strlen(o->disks[i].path) >= sizeof(d->path)) {
			registry_unlock(lock);
			die("disk path longer than %d characters: %s", REGISTRY_PATH_MAX - 1,
			    o->disks[i].path);
		}
		snprintf(d->path, sizeof(d->path), "%s", o->disks[i].path);
		snprintf(d->mode, sizeof(d->mode), "%s", disk_mode(&o->disks[i]));
		snprintf(d->label, sizeof(d->label), "%s",
			 strcmp(d->mode, "rw") == 0 ? l->image : l->content);
	}
	/* The control socket exists before the record does: whoever finds
	 * the VM in the registry can connect (lockvm exec, save, stats); a
	 * request waits in its backlog until the supervisor polls it. */
	if (registry_reserve(vm->name, &st->registry_fd, err, sizeof(err)) < 0) {
		registry_unlock(lock);
		die("%s", err);
	}
	st->claimed = true;
	control_relay_init(&st->relay, control_listen(vm->name), -1, vm);
	/* The uid lease's thread is joined this late: name, label, directory
	 * and control socket were made while it asked NSS. */
	if (uid_cfg) {
		run_timing_phase("uid");
		int rc = reserve_uid_finish(st, uid_cfg);
		run_timing_phase("registry and label");
		if (rc < 0) {
			registry_unlock(lock);
			die("cannot reserve a per-VM uid");
		}
		uid = uid_cfg->uid;
		gid = uid_cfg->gid;
	}
	vm->uid = uid;
	vm->gid = gid;
	if (registry_save(vm) < 0) {
		int e = errno;
		registry_unlock(lock);
		errno = e;
		die_errno("registry: writing the record of '%s'", vm->name);
	}
	for (unsigned i = 0; i < o->disk_count; i++) {
		const struct reg_disk *d = &vm->disks[i];
		/* Labels are only written where SELinux is on (label_file_set). */
		if (images_take(o->disks[i].fd, d->path, vm->name, d->mode, d->label, uid, gid, err,
				sizeof(err)) < 0) {
			registry_unlock(lock);
			die("%s", err);
		}
	}
	/* --volume ,z/,Z: the directory labelled for this VM, recorded as a
	 * disk is, and refused while another live VM holds it privately. */
	for (unsigned i = 0; i < o->volume_count; i++) {
		const struct run_volume *v = &o->volumes[i];
		if (v->relabel != VOLUME_KEEP_LABEL &&
		    images_take_volume(v->dir_fd, v->real, vm->name,
				       v->relabel == VOLUME_PRIVATE_LABEL,
				       volume_spec_label(v->relabel, l->image, l->content), err,
				       sizeof(err)) < 0) {
			registry_unlock(lock);
			die("--volume %s,%c: %s", v->host,
			    v->relabel == VOLUME_PRIVATE_LABEL ? 'Z' : 'z', err);
		}
	}
	/* --fs-upper DIR: the VMM writes it, so it carries the VM's image
	 * label for the run, as a ,Z volume does (old label recorded, restored). */
	if (o->upper_dir_fd >= 0 && images_take_volume(o->upper_dir_fd, o->upper_real, vm->name,
						       true, l->image, err, sizeof(err)) < 0) {
		registry_unlock(lock);
		die("--fs-upper %s: %s", o->upper_dir, err);
	}
	registry_unlock(lock);
}

/* Images get their owner, mode and label back; the name leaves the registry. */
static void release_identity(struct run_state *st)
{
	if (st->claimed) {
		control_relay_close(&st->relay, st->vm.name); /* its socket goes with the record */
		int lock = registry_lock();
		images_release(st->vm.name);
		registry_remove(st->vm.name);
		registry_unlock(lock);
		close(st->registry_fd);
		st->registry_fd = -1;
		st->claimed = false;
	}
}

/* AppArmor: the per-VM profile lockvm-<uuid> with only this VM's files. */
void load_apparmor_profile(const struct run_options *o, struct run_state *st)
{
	char err[PATH_MAX + 256], real[LOCKVM_MAX_DISKS + 1][PATH_MAX];
	struct apparmor_disk files[LOCKVM_MAX_DISKS + 1 + SANDBOX_MAX_TREES];
	size_t n = 0;
	if (apparmor_profile_name(st->vm.uuid, st->vm.profile, sizeof(st->vm.profile), err,
				  sizeof(err)) < 0)
		die("%s", err);
	if (o->apparmor_stack) {
		/* Recorded and shown wherever it runs, as the VM's own profile is. */
		if (st->vm.label.kind == LABEL_NONE)
			die("--apparmor-stack %s: --label none gives the VM no profile to stack it "
			    "on",
			    o->apparmor_stack);
		snprintf(st->vm.apparmor_stack, sizeof(st->vm.apparmor_stack), "%s",
			 o->apparmor_stack);
		if (apparmor_stack_label(st->vm.profile, o->apparmor_stack, st->vm.apparmor_label,
					 sizeof(st->vm.apparmor_label)) < 0)
			die_errno("--apparmor-stack %s", o->apparmor_stack);
		if (strcmp(st->vm.mac, "apparmor") != 0)
			warn_msg(
			    "--apparmor-stack %s: AppArmor is not enabled on this host, so the "
			    "profile cannot be applied (recorded, not enforced)",
			    o->apparmor_stack);
	}
	if (strcmp(st->vm.mac, "apparmor") != 0 || st->vm.label.kind == LABEL_NONE)
		return; /* recorded and shown, "not enforced" */
	if (o->apparmor_stack) {
		/* Before the VM's own profile is loaded: nothing to undo. */
		int loaded = apparmor_stack_loaded(o->apparmor_stack);
		if (loaded < 0)
			die_errno("--apparmor-stack %s: reading AppArmor's list of profiles",
				  o->apparmor_stack);
		if (loaded == 0)
			die("--apparmor-stack %s: no AppArmor profile of that name is loaded",
			    o->apparmor_stack);
		char why[512];
		int fits = apparmor_stack_allows_lockvm(o->apparmor_stack, st->vm.profile, why,
							sizeof(why));
		if (fits < 0)
			die_errno("--apparmor-stack %s: asking AppArmor (aa_query_label)",
				  o->apparmor_stack);
		if (fits == 0)
			die("--apparmor-stack %s: %s, so the VM could not be stopped",
			    o->apparmor_stack, why);
	}
	for (unsigned i = 0; i < o->disk_count; i++, n++) {
		if (!realpath(o->disks[i].path, real[n]))
			die_errno("realpath(%s)", o->disks[i].path);
		files[n] = (struct apparmor_disk){real[n], o->disks[i].read_only, false};
	}
	/* The guest ELF: none for a stream (an fd) or with --fs (the VMM
	 * reads PROGRAM in the tree). */
	if (!o->restore && !o->listen && !o->fs_dir) {
		if (!realpath(o->guest, real[n]))
			die_errno("realpath(%s)", o->guest);
		files[n] = (struct apparmor_disk){real[n], true, false};
		n++;
	}
	/* --linux trees, by the path the sandbox attaches them at in the
	 * VMM's mount ns (/lockvm-tree, ...): opened beneath those mounts,
	 * the VMM's files are named there, never by their host paths. */
	struct vmm_tree trees[SANDBOX_MAX_TREES];
	char tree_paths[SANDBOX_MAX_TREES][64];
	unsigned n_trees = vmm_trees(o, trees);
	for (unsigned i = 0; i < n_trees; i++, n++) {
		snprintf(tree_paths[i], sizeof(tree_paths[i]), "/%s", trees[i].name);
		files[n] = (struct apparmor_disk){tree_paths[i], trees[i].ro, true};
	}
	static char text[64 << 10];
	if (apparmor_profile_generate(st->vm.uuid, files, n, text, sizeof(text), err, sizeof(err)) <
		0 ||
	    apparmor_profile_load(text, err, sizeof(err)) < 0)
		die("AppArmor profile %s: %s", st->vm.profile, err);
	st->profile_loaded = true;
}

static void remove_apparmor_profile(struct run_state *st)
{
	if (st->profile_loaded) {
		char err[256];
		if (apparmor_profile_remove(st->vm.profile, err, sizeof(err)) < 0)
			warn_msg("removing AppArmor profile %s: %s", st->vm.profile, err);
		st->profile_loaded = false;
	}
}

/* The SELinux context the VMM's channels and shared memory are made in
 * (mac_vmm_channel, mac_vmm_label_memfd), or NULL: none is needed. */
const char *vmm_channel_label(const struct run_options *o, const struct run_state *st)
{
	return o->confine && strcmp(st->vm.mac, "selinux") == 0 && st->vm.label.process[0]
		   ? st->vm.label.process
		   : NULL;
}

/*
 * --net: the NIC's tap, made persistent and attached while privileged. It
 * is recorded in state.json first, so a killed supervisor's tap and port
 * can be removed by the next registry_reap(). The VMM gets an unattached
 * /dev/net/tun fd and the tap's name (it attaches itself: nic_tap_attach)
 * and a sealed memfd for its counters (kept for `lockvm inspect`).
 */
void setup_net(const struct run_options *o, struct run_state *st, struct launch *l, int *keep,
	       int *n_keep)
{
	char err[PATH_MAX + 256], mac_text[NETFRAME_MAC_TEXT];
	struct reg_net *rn = &st->vm.net;
	uint8_t mac[NETFRAME_MAC_LEN];
	if (o->net.kind == NET_NONE)
		return;
	if (o->mac) {
		(void)netframe_mac_parse(o->mac, mac, NULL); /* checked with the options */
	} else {
		uint8_t random[NETFRAME_MAC_LEN];
		if (getrandom(random, sizeof(random), 0) != (ssize_t)sizeof(random))
			die_errno("getrandom");
		netframe_mac_generate(random, mac);
	}
	netframe_mac_format(mac, mac_text);
	snprintf(rn->kind, sizeof(rn->kind), "%s", net_kind_name(o->net.kind));
	snprintf(rn->network, sizeof(rn->network), "%s", o->net.network);
	snprintf(rn->bridge, sizeof(rn->bridge), "%s", o->net.bridge);
	snprintf(rn->mac, sizeof(rn->mac), "%s", mac_text);
	snprintf(rn->ovs_db, sizeof(rn->ovs_db), "%s", o->net.kind == NET_OVS ? o->net.ovs_db : "");
	snprintf(rn->netns, sizeof(rn->netns), "%s", o->net.kind == NET_NETNS ? o->net.netns : "");
	/* --net user has no tap: nothing to name, nothing to remove later. */
	if (o->net.kind != NET_USER)
		net_tap_name(st->vm.name, st->vm.uuid, rn->tap);
	rn->stats_fd = memfd_create("lockvm-nic-stats", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (rn->stats_fd < 0 || ftruncate(rn->stats_fd, 4096) < 0 ||
	    fcntl(rn->stats_fd, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) < 0)
		die_errno("the NIC counters memfd");
	/* In the VM's own context, like its channels: the MCS-constrained VMM
	 * maps it read-write, which a memfd of ours would refuse it. */
	if (mac_vmm_label_memfd(vmm_channel_label(o, st), rn->stats_fd) < 0)
		die_errno("labelling the NIC counters memfd for %s", vmm_channel_label(o, st));
	if (registry_save(&st->vm) < 0)
		die_errno("registry: recording the NIC of %s", st->vm.name);
	st->net_attached = true; /* from here, release_resources undoes it */
	/* The tap is the VMM's uid's (the per-VM uid, else ours): the VMM
	 * attaches itself, so the tun socket gets its label (tap_create). */
	uid_t owner = net_tap_owner(st->vm.uid);
	gid_t group = st->vm.uid ? (gid_t)st->vm.gid : getegid();
	struct netns_adopted adopted = {0};
	if (o->net.kind == NET_USER) {
		/* passt as its own process, in our network namespace; the VMM
		 * gets only its end of the stream (no host socket of its own).
		 * It runs as the VM's uid (else nobody) and sandboxes itself. */
		uid_t runas = st->vm.uid ? owner : 65534;
		gid_t runas_group = st->vm.uid ? group : 65534;
		if (passt_start(o->publish, o->publish_count, runas, runas_group, &st->passt, err,
				sizeof(err)) == 0) {
			st->tap_fd = st->passt.vmm_end; /* closed once the VMM has it */
			st->passt.vmm_end = -1;
			l->flags |= LAUNCH_NET_STREAM;
		}
	} else if (o->net.kind == NET_NETNS) {
		/* In the engine's namespace, carrying the VM's MAC: what the
		 * engine set up there is the VM's network (netns.h). Adopting,
		 * the filters are recorded before they exist, as the tap is. */
		st->netns = o->net.netns;
		rn->adopt = o->net.adopt;
		if (rn->adopt && registry_save(&st->vm) < 0)
			die_errno("registry: recording the NIC of %s", st->vm.name);
		st->tap_fd = netns_tap_create(st->netns, rn->tap, owner, group, mac,
					      rn->adopt ? &adopted : NULL, err, sizeof(err));
	} else if (net_attach(rn, owner, group, err, sizeof(err)) == 0) {
		st->tap_fd = tap_open_unattached(err, sizeof(err));
	}
	if (st->tap_fd < 0) {
		/* The helper undid what it made; the filters that may be there
		 * are another VM's, which the release must leave alone. */
		rn->adopt = false;
		die("%s", err);
	}
	if (rn->adopt) {
		/* The VM is the engine's container now: its MAC, address and
		 * route are the interface's (frames pass it unchanged). */
		memcpy(mac, adopted.mac, sizeof(mac));
		netframe_mac_format(mac, mac_text);
		snprintf(rn->mac, sizeof(rn->mac), "%s", mac_text);
		l->net_ip = htonl(adopted.addr); /* the launch message's are network order */
		l->net_prefix = adopted.prefix;
		l->net_gateway = htonl(adopted.gateway);
		if (registry_save(&st->vm) < 0)
			die_errno("registry: recording the NIC of %s", st->vm.name);
		run_log_event(st, "net: adopted %s of %s", adopted.ifname, st->netns);
	}
	l->net_fd = st->tap_fd;
	l->net_tap = rn->tap;
	memcpy(l->net_mac, mac, sizeof(l->net_mac));
	l->net_stats_fd = rn->stats_fd;
	keep[(*n_keep)++] = st->tap_fd;
	keep[(*n_keep)++] = rn->stats_fd;
	if (o->net.kind == NET_USER)
		run_log_event(st, "net: user (passt pid %d, %u published port%s), mac %s",
			      (int)st->passt.pid, o->publish_count,
			      o->publish_count == 1 ? "" : "s", mac_text);
	else
		run_log_event(st, "net: tap %s on %s %s%s%s, mac %s", rn->tap, rn->kind,
			      st->netns ? st->netns : rn->bridge,
			      rn->network[0] ? ", network " : "", rn->network, mac_text);
}

static void release_net(struct run_state *st)
{
	if (st->tap_fd >= 0)
		close(st->tap_fd);
	st->tap_fd = -1;
	/* --net user: passt ends with the VM, killed and reaped, never left. */
	pid_t passt = passt_stop(&st->passt);
	if (passt > 0)
		run_log_event(st, "net: passt pid %d killed and reaped", (int)passt);
	/* The tap is normally gone with the VMM's fd already (in the engine's
	 * namespace too: net_release goes there for it). */
	if (st->net_attached)
		net_release(&st->vm.net, true, net_tap_owner(st->vm.uid));
	st->net_attached = false;
}

/* The VM's cgroup: its memory, pids and cpu limits; cfg puts the VMM in it. */
void create_vm_cgroup(const struct run_options *o, struct run_state *st, struct sandbox_config *cfg)
{
	char name[64];
	struct cgroup_limits limits = {
	    /* guest RAM plus the VMM's own overhead (documented in README) */
	    .memory_bytes =
		o->mem_limit ? o->mem_limit : cgroup_vm_memory_limit(o->mem) + memory_fs_bytes(o),
	    .pids_max = o->vcpus + 16,
	    .cpu_shares = o->cpu_shares,
	};
	if (o->cpus) {
		cgroup_cpus_to_quota(o->cpus, CGROUP_CPU_PERIOD_US, &limits.cpu_quota_us);
		limits.cpu_period_us = CGROUP_CPU_PERIOD_US;
	}
	/* By uuid: cgroups are host-wide, names only per root. */
	snprintf(name, sizeof(name), "vm-%s", st->vm.uuid);
	/* cgroup_create said what failed and what to do, in one line. */
	if (cgroup_create(&st->cgroup, NULL, NULL, name, &limits) < 0)
		exit(EXIT_REFUSED);
	st->have_cgroup = true;
	cfg->cgroup = &st->cgroup;
	st->vm.cgroup = st->cgroup;
}

static void destroy_vm_cgroup(struct run_state *st)
{
	if (st->have_cgroup)
		cgroup_destroy(&st->cgroup);
	st->have_cgroup = false;
}

/* sandbox_spawn's end of the VMM's lifeline (start_vmm). */
static void release_lifeline(struct run_state *st)
{
	if (st->lifeline >= 0)
		close(st->lifeline);
	st->lifeline = -1;
}

void remove_listen_socket(struct run_state *st)
{
	if (st->listen_path)
		(void)unlink(st->listen_path);
	st->listen_path = NULL;
}

/* What start_vmm takes, released last first. The cgroup, made while the
 * uid is leased, is taken before the registry entry but goes as soon as the
 * VMM is gone: the owners handed back after it need the VMM gone too.
 * Named as --debug-timing reports them. */
static const struct {
	void (*release)(struct run_state *);
	const char *phase;
} release_steps[] = {
    {remove_listen_socket, "listen socket"},	  /* run_mode, incoming --listen */
    {release_uid, "uid release"},		  /* reserve_uid_start */
    {release_identity, "registry update"},	  /* claim_identity */
    {remove_apparmor_profile, "AppArmor unload"}, /* load_apparmor_profile */
    {release_net, "net release"},		  /* setup_net */
    {return_volumes, "volume owners"},		  /* hand_volumes, after the VMM is gone */
    {return_upper, "upper owner"},		  /* hand_upper, after the VMM wrote it */
    {destroy_vm_cgroup, "cgroup removal"},	  /* create_vm_cgroup */
    {release_lifeline, "teardown"},		  /* sandbox_spawn */
};

void release_resources(const struct run_options *o, struct run_state *st)
{
	for (size_t i = ARRAY_SIZE(release_steps); i-- > 0;) {
		run_timing_phase(release_steps[i].phase);
		release_steps[i].release(st);
	}
}

/* What run_main has taken is given back also when it dies on the way
 * (die() exits): cgroup removed, images restored, name and uid released. */
static struct {
	const struct run_options *o;
	struct run_state *st;
} taken;

static void release_at_exit(void)
{
	if (taken.st)
		release_resources(taken.o, taken.st);
}

void release_at_exit_arm(const struct run_options *o, struct run_state *st)
{
	taken.o = o;
	taken.st = st;
	atexit(release_at_exit);
}

void release_at_exit_disarm(void)
{
	taken.st = NULL;
}
