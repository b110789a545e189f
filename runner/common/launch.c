/* The launch message from supervisor to VMM: one fixed header and a string table, encoded once, checked whole on decode. */
#include "launch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netframe.h"
#include "util.h"

/* The descriptors, in wire order. */
enum {
	FD_KVM,
	FD_ELF,
	FD_CONSOLE,
	FD_FS,
	FD_READY,
	FD_SECCOMP_VMM,
	FD_SECCOMP_VCPU,
	FD_SECCOMP_SETUP,
	FD_CONTROL,
	FD_RESTORE,
	FD_KEY,
	FD_NET,
	FD_NET_STATS,
	FD_UPPER,
	FD_RECORD,
	FD_COUNT
};
static const char *const fd_names[FD_COUNT] = {
    "kvm",	   "elf",	   "console",	    "fs",      "ready",
    "seccomp-vmm", "seccomp-vcpu", "seccomp-setup", "control", "restore",
    "key",	   "net",	   "net-stats",	    "upper",   "record",
};

/*
 * The record: this header, then the strings, each NUL-terminated, in this
 * order: argv[argc], envp[envc], the disks' paths[disk_count], the tmpfs
 * paths[tmpfs_count], the volumes' paths[volume_count], the tap name, the workdir, the hostname. Both ends are the same build of lockvm, so the header is copied as
 * it is laid out here; header_size and version catch a mismatch anyway.
 */
struct launch_wire {
	uint32_t magic;
	uint16_t version, header_size;
	uint32_t total_size, flags;
	uint64_t mem, timeout_ns, timing_origin_ns, fs_upper, fs_tmp;
	uint32_t vcpus, layers, hugepages, tty_mask, pids, pad_pids;
	int32_t fds[FD_COUNT];
	uint32_t disk_count, disk_ro_mask;
	int32_t disk_fds[LOCKVM_MAX_DISKS];
	uint8_t net_mac[6], pad[2];
	struct numa_set numa_nodes, numa_cpus;
	uint32_t argc, envc;
	uint32_t uid, gid, ngroups, rlimit_set;
	uint32_t groups[IDENT_MAX_GROUPS];
	struct ident_rlimit rlimits[IDENT_RLIMITS];
	uint32_t tmpfs_count, pad2;
	uint64_t tmpfs_sizes[LAUNCH_MAX_TMPFS];
	uint32_t volume_count, volume_ro_mask;
	int32_t volume_fds[LAUNCH_MAX_VOLUMES];
	uint32_t net_ip, net_prefix, net_gateway, net_dns; /* --linux eth0, network order */
};

static int *fd_slot(struct launch *l, unsigned i)
{
	int *slots[FD_COUNT] = {&l->kvm_fd,	     &l->elf_fd,	   &l->console_fd,
				&l->fs_fd,	     &l->ready_fd,	   &l->seccomp_vmm_fd,
				&l->seccomp_vcpu_fd, &l->seccomp_setup_fd, &l->control_fd,
				&l->restore_fd,	     &l->key_fd,	   &l->net_fd,
				&l->net_stats_fd,    &l->upper_fd,	   &l->record_fd};
	return slots[i];
}

void launch_init(struct launch *l)
{
	memset(l, 0, sizeof(*l));
	for (unsigned i = 0; i < FD_COUNT; i++)
		*fd_slot(l, i) = LAUNCH_NO_FD;
	l->console_fd = STDOUT_FILENO;
	l->vcpus = 1;
	l->net_tap = "";
	l->workdir = "";
	l->hostname = "";
	for (unsigned i = 0; i < LOCKVM_MAX_DISKS; i++)
		l->disks[i] = (struct launch_disk){.fd = LAUNCH_NO_FD, .path = ""};
	for (unsigned i = 0; i < LAUNCH_MAX_VOLUMES; i++)
		l->volumes[i] = (struct launch_volume){.fd = LAUNCH_NO_FD, .path = ""};
}

static bool fd_ok(int32_t fd)
{
	return fd == LAUNCH_NO_FD || (fd >= 0 && fd <= LAUNCH_FD_MAX);
}

static bool numa_empty(const struct numa_set *set)
{
	for (size_t i = 0; i < NUMA_LIST_WORDS; i++)
		if (set->bits[i])
			return false;
	return true;
}

/* Takes the next NUL-terminated string of [*at, end); NULL when none. */
static const char *next_string(const uint8_t **at, const uint8_t *end)
{
	const uint8_t *nul = memchr(*at, '\0', (size_t)(end - *at));
	if (!nul)
		return NULL;
	const char *s = (const char *)*at;
	*at = nul + 1;
	return s;
}

static const char **string_list(const uint8_t **at, const uint8_t *end, uint32_t count)
{
	const char **list = calloc((size_t)count + 1, sizeof(*list));
	if (!list)
		return NULL;
	for (uint32_t i = 0; i < count; i++)
		if (!(list[i] = next_string(at, end))) {
			free(list);
			return NULL;
		}
	return list;
}

/* --user, --group-add, --rlimit: ids in range, soft <= hard, and only for
 * a --linux guest (an SDK guest has no such view). */
static int check_ident(const struct launch_wire *w, char *err, size_t errlen)
{
	bool any = w->uid || w->gid || w->ngroups || w->rlimit_set;
	if (any && !(w->flags & LAUNCH_LINUX))
		return err_fmt(err, errlen, "launch: ids and limits are for --linux guests only");
	if (w->uid > IDENT_ID_MAX || w->gid > IDENT_ID_MAX)
		return err_fmt(err, errlen, "launch: uid %u or gid %u out of range", w->uid,
			       w->gid);
	if (w->ngroups > IDENT_MAX_GROUPS)
		return err_fmt(err, errlen, "launch: %u groups (at most %u)", w->ngroups,
			       IDENT_MAX_GROUPS);
	for (unsigned i = 0; i < IDENT_MAX_GROUPS; i++)
		if (i < w->ngroups ? w->groups[i] > IDENT_ID_MAX : w->groups[i] != 0)
			return err_fmt(err, errlen, "launch: group %u is %u", i, w->groups[i]);
	if (w->rlimit_set >> IDENT_RLIMITS)
		return err_fmt(err, errlen, "launch: limits 0x%x past the %u Linux has",
			       w->rlimit_set, IDENT_RLIMITS);
	for (unsigned i = 0; i < IDENT_RLIMITS; i++) {
		const struct ident_rlimit *r = &w->rlimits[i];
		if ((w->rlimit_set >> i & 1) ? r->cur > r->max : (r->cur || r->max))
			return err_fmt(err, errlen, "launch: limit %u: soft %llu, hard %llu", i,
				       (unsigned long long)r->cur, (unsigned long long)r->max);
	}
	return 0;
}

/* The workdir and hostname strings: absolute and short, and --linux only. */
static int check_ident_strings(const struct launch_wire *w, const char *workdir,
			       const char *hostname, char *err, size_t errlen)
{
	if ((workdir[0] || hostname[0]) && !(w->flags & LAUNCH_LINUX))
		return err_fmt(err, errlen, "launch: workdir and hostname are for --linux guests");
	if (workdir[0] && (workdir[0] != '/' || strlen(workdir) >= LAUNCH_PATH_MAX))
		return err_fmt(err, errlen, "launch: workdir not an absolute path under %u bytes",
			       LAUNCH_PATH_MAX);
	if (hostname[0] && ident_check_hostname(hostname, err, errlen) < 0)
		return -1;
	return 0;
}

/* The rules on the header's values, shared by both directions. */
static int check_values(const struct launch_wire *w, char *err, size_t errlen)
{
	if (w->flags & ~(uint32_t)LAUNCH_FLAGS_ALL)
		return err_fmt(err, errlen, "launch: unknown flags 0x%x", w->flags);
	if (w->mem == 0)
		return err_fmt(err, errlen, "launch: no guest memory size");
	if (w->vcpus < 1 || w->vcpus > LOCKVM_MAX_VCPUS)
		return err_fmt(err, errlen, "launch: %u vCPUs (1-%u)", w->vcpus, LOCKVM_MAX_VCPUS);
	if (w->hugepages > LAUNCH_HUGETLB)
		return err_fmt(err, errlen, "launch: unknown page backing %u", w->hugepages);
	if (w->fs_upper > LAUNCH_FS_MAX || w->fs_tmp > LAUNCH_FS_MAX)
		return err_fmt(err, errlen, "launch: a memory file system over %llu bytes",
			       (unsigned long long)LAUNCH_FS_MAX);
	if (w->tmpfs_count > LAUNCH_MAX_TMPFS)
		return err_fmt(err, errlen, "launch: %u tmpfs mounts (at most %u)", w->tmpfs_count,
			       LAUNCH_MAX_TMPFS);
	for (unsigned i = 0; i < LAUNCH_MAX_TMPFS; i++)
		if (i < w->tmpfs_count ? w->tmpfs_sizes[i] == 0 || w->tmpfs_sizes[i] > LAUNCH_FS_MAX
				       : w->tmpfs_sizes[i] != 0)
			return err_fmt(err, errlen, "launch: tmpfs %u of %llu bytes", i,
				       (unsigned long long)w->tmpfs_sizes[i]);
	if (w->volume_count > LAUNCH_MAX_VOLUMES || (w->volume_count && !(w->flags & LAUNCH_LINUX)))
		return err_fmt(err, errlen, "launch: %u volumes (at most %u, --linux only)",
			       w->volume_count, LAUNCH_MAX_VOLUMES);
	for (unsigned i = 0; i < LAUNCH_MAX_VOLUMES; i++) {
		bool used = i < w->volume_count;
		if (used ? (w->volume_fds[i] < 0 || w->volume_fds[i] > LAUNCH_FD_MAX)
			 : (w->volume_fds[i] != LAUNCH_NO_FD || (w->volume_ro_mask >> i & 1)))
			return err_fmt(err, errlen, "launch: volume %u fd %d", i, w->volume_fds[i]);
	}
	if (w->pids > LAUNCH_MAX_PIDS)
		return err_fmt(err, errlen, "launch: --pids %u above %u", w->pids, LAUNCH_MAX_PIDS);
	if (w->tty_mask > 7)
		return err_fmt(err, errlen, "launch: tty mask 0x%x names more than fds 0-2",
			       w->tty_mask);
	for (unsigned i = 0; i < FD_COUNT; i++)
		if (!fd_ok(w->fds[i]))
			return err_fmt(err, errlen, "launch: %s fd %d out of range", fd_names[i],
				       w->fds[i]);
	if (w->fds[FD_KVM] < 0)
		return err_fmt(err, errlen, "launch: no kvm fd");
	/* --linux --fs: the VMM reads PROGRAM in the tree, so no image fd. */
	if (w->fds[FD_ELF] < 0 && w->fds[FD_RESTORE] < 0 &&
	    !((w->flags & LAUNCH_LINUX) && w->fds[FD_FS] >= 0))
		return err_fmt(err, errlen,
			       "launch: neither a guest image, a --linux tree nor a saved state");
	if ((w->flags & LAUNCH_INCOMING) && w->fds[FD_RESTORE] < 0)
		return err_fmt(err, errlen, "launch: incoming migration without a stream fd");
	if ((w->fds[FD_SECCOMP_VMM] < 0) != (w->fds[FD_SECCOMP_VCPU] < 0) ||
	    (w->fds[FD_SECCOMP_VMM] < 0) != (w->fds[FD_SECCOMP_SETUP] < 0))
		return err_fmt(err, errlen, "launch: seccomp fds go together");
	if (w->disk_count > LOCKVM_MAX_DISKS)
		return err_fmt(err, errlen, "launch: %u disks (at most %u)", w->disk_count,
			       LOCKVM_MAX_DISKS);
	for (unsigned i = 0; i < LOCKVM_MAX_DISKS; i++) {
		bool used = i < w->disk_count;
		if (used ? (w->disk_fds[i] < 0 || w->disk_fds[i] > LAUNCH_FD_MAX)
			 : w->disk_fds[i] != LAUNCH_NO_FD)
			return err_fmt(err, errlen, "launch: disk %u fd %d", i, w->disk_fds[i]);
		if (!used && (w->disk_ro_mask >> i & 1))
			return err_fmt(err, errlen, "launch: read-only flag for absent disk %u", i);
	}
	if ((w->fds[FD_NET_STATS] >= 0 || (w->flags & LAUNCH_NET_STREAM)) && w->fds[FD_NET] < 0)
		return err_fmt(err, errlen, "launch: NIC counters or stream mode without a NIC");
	if ((w->net_ip || w->net_prefix || w->net_gateway || w->net_dns ||
	     (w->flags & LAUNCH_NET_DHCP)) &&
	    (!(w->flags & LAUNCH_LINUX) || w->fds[FD_NET] < 0))
		return err_fmt(err, errlen, "launch: eth0 addresses are for a --linux NIC");
	if (w->net_prefix > 32 || (w->net_ip == 0) != (w->net_prefix == 0) ||
	    (w->net_gateway && !w->net_ip) || (w->net_ip && (w->flags & LAUNCH_NET_DHCP)))
		return err_fmt(err, errlen,
			       "launch: eth0 address with prefix %u, or a gateway "
			       "without an address",
			       w->net_prefix);
	bool numa = w->flags & LAUNCH_NUMA;
	bool nodes = !numa_empty(&w->numa_nodes), cpus = !numa_empty(&w->numa_cpus);
	if (numa ? !(nodes && cpus) : (nodes || cpus))
		return err_fmt(err, errlen,
			       "launch: NUMA nodes and CPUs go together with the flag");
	if (w->argc > LAUNCH_MAX_ARGS)
		return err_fmt(err, errlen, "launch: %u guest arguments (at most %u)", w->argc,
			       LAUNCH_MAX_ARGS);
	if (w->envc > LAUNCH_MAX_ENV)
		return err_fmt(err, errlen, "launch: %u environment entries (at most %u)", w->envc,
			       LAUNCH_MAX_ENV);
	return check_ident(w, err, errlen);
}

int launch_decode(const uint8_t *buf, size_t len, struct launch *l, char *err, size_t errlen)
{
	struct launch_wire w;
	launch_init(l);
	if (len < sizeof(w) || len > LAUNCH_MAX_SIZE)
		return err_fmt(err, errlen, "launch: message of %zu bytes (%zu to %u)", len,
			       sizeof(w), LAUNCH_MAX_SIZE);
	memcpy(&w, buf, sizeof(w));
	if (w.magic != LAUNCH_MAGIC)
		return err_fmt(err, errlen, "launch: bad magic 0x%08x", w.magic);
	if (w.version != LAUNCH_VERSION || w.header_size != sizeof(w))
		return err_fmt(err, errlen,
			       "launch: version %u (header %u bytes) from another lockvm; this "
			       "VMM speaks version %u (%zu bytes)",
			       w.version, w.header_size, LAUNCH_VERSION, sizeof(w));
	if (w.total_size != len)
		return err_fmt(err, errlen, "launch: message says %u bytes, %zu arrived",
			       w.total_size, len);
	if (check_values(&w, err, errlen) < 0)
		return -1;

	const uint8_t *at = buf + sizeof(w), *end = buf + len;
	l->argv = string_list(&at, end, w.argc);
	l->envp = l->argv ? string_list(&at, end, w.envc) : NULL;
	if (!l->argv || !l->envp) {
		launch_free(l);
		return err_fmt(err, errlen, "launch: string table cut short (or out of memory)");
	}
	for (uint32_t i = 0; i < w.envc; i++)
		if (!strchr(l->envp[i], '=')) {
			launch_free(l);
			return err_fmt(err, errlen, "launch: environment entry %u has no '='", i);
		}
	for (uint32_t i = 0; i < w.disk_count; i++)
		if (!(l->disks[i].path = next_string(&at, end))) {
			launch_free(l);
			return err_fmt(err, errlen, "launch: disk %u has no path string", i);
		}
	for (uint32_t i = 0; i < w.tmpfs_count; i++) {
		l->tmpfs[i].size = w.tmpfs_sizes[i];
		if (!(l->tmpfs[i].path = next_string(&at, end)) || l->tmpfs[i].path[0] != '/') {
			launch_free(l);
			return err_fmt(err, errlen, "launch: tmpfs %u has no absolute path", i);
		}
	}
	l->tmpfs_count = w.tmpfs_count;
	for (uint32_t i = 0; i < w.volume_count; i++) {
		l->volumes[i] = (struct launch_volume){.fd = w.volume_fds[i],
						       .ro = w.volume_ro_mask >> i & 1,
						       .path = next_string(&at, end)};
		if (!l->volumes[i].path || l->volumes[i].path[0] != '/') {
			launch_free(l);
			return err_fmt(err, errlen, "launch: volume %u has no absolute path", i);
		}
	}
	l->volume_count = w.volume_count;
	const char *tap = next_string(&at, end);
	const char *workdir = tap ? next_string(&at, end) : NULL;
	const char *hostname = workdir ? next_string(&at, end) : NULL;
	if (!hostname || at != end) {
		launch_free(l);
		return err_fmt(err, errlen, "launch: %s",
			       hostname ? "bytes after the string table"
					: "no tap name, workdir or hostname string");
	}
	if (check_ident_strings(&w, workdir, hostname, err, errlen) < 0) {
		launch_free(l);
		return -1;
	}
	/* A tap NIC names its tap; a stream NIC (--net user) has none. */
	if ((w.fds[FD_NET] >= 0 && !(w.flags & LAUNCH_NET_STREAM)) != (tap[0] != '\0') ||
	    (tap[0] && !netframe_ifname_valid(tap, NULL))) {
		launch_free(l);
		return err_fmt(err, errlen, "launch: a NIC needs a valid tap name, and only a NIC");
	}

	l->mem = w.mem;
	l->timeout_ns = w.timeout_ns;
	l->timing_origin_ns = w.timing_origin_ns;
	l->fs_upper = w.fs_upper;
	l->fs_tmp = w.fs_tmp;
	l->vcpus = w.vcpus;
	l->layers = w.layers;
	l->flags = w.flags;
	l->hugepages = (enum launch_hugepages)w.hugepages;
	l->tty_mask = w.tty_mask;
	l->pids = w.pids;
	for (unsigned i = 0; i < FD_COUNT; i++)
		*fd_slot(l, i) = w.fds[i];
	l->disk_count = w.disk_count;
	for (unsigned i = 0; i < w.disk_count; i++) {
		l->disks[i].fd = w.disk_fds[i];
		l->disks[i].ro = w.disk_ro_mask >> i & 1;
	}
	memcpy(l->net_mac, w.net_mac, sizeof(l->net_mac));
	l->net_tap = tap;
	l->numa_nodes = w.numa_nodes;
	l->numa_cpus = w.numa_cpus;
	l->argc = w.argc;
	l->envc = w.envc;
	l->workdir = workdir;
	l->hostname = hostname;
	l->uid = w.uid;
	l->gid = w.gid;
	l->ngroups = w.ngroups;
	memcpy(l->groups, w.groups, sizeof(l->groups));
	l->rlimit_set = w.rlimit_set;
	memcpy(l->rlimits, w.rlimits, sizeof(l->rlimits));
	l->net_ip = w.net_ip;
	l->net_prefix = w.net_prefix;
	l->net_gateway = w.net_gateway;
	l->net_dns = w.net_dns;
	return 0;
}

void launch_free(struct launch *l)
{
	free(l->argv);
	free(l->envp);
	l->argv = l->envp = NULL;
}

/* Appends s and its NUL; false when the record would pass the limit. */
static bool put_string(uint8_t *buf, size_t *used, const char *s)
{
	size_t n = strlen(s) + 1;
	if (n > LAUNCH_MAX_SIZE - *used)
		return false;
	if (buf)
		memcpy(buf + *used, s, n);
	*used += n;
	return true;
}

/* Lays the strings out (buf NULL: only counts). */
static bool put_strings(const struct launch *l, uint8_t *buf, size_t *used)
{
	for (unsigned i = 0; i < l->argc; i++)
		if (!put_string(buf, used, l->argv[i]))
			return false;
	for (unsigned i = 0; i < l->envc; i++)
		if (!put_string(buf, used, l->envp[i]))
			return false;
	for (unsigned i = 0; i < l->disk_count && i < LOCKVM_MAX_DISKS; i++)
		if (!put_string(buf, used, l->disks[i].path ? l->disks[i].path : ""))
			return false;
	for (unsigned i = 0; i < l->tmpfs_count && i < LAUNCH_MAX_TMPFS; i++)
		if (!put_string(buf, used, l->tmpfs[i].path ? l->tmpfs[i].path : ""))
			return false;
	for (unsigned i = 0; i < l->volume_count && i < LAUNCH_MAX_VOLUMES; i++)
		if (!put_string(buf, used, l->volumes[i].path ? l->volumes[i].path : ""))
			return false;
	return put_string(buf, used, l->net_tap ? l->net_tap : "") &&
	       put_string(buf, used, l->workdir ? l->workdir : "") &&
	       put_string(buf, used, l->hostname ? l->hostname : "");
}

uint8_t *launch_encode(const struct launch *l, size_t *len, char *err, size_t errlen)
{
	struct launch_wire w;
	memset(&w, 0, sizeof(w));
	w.magic = LAUNCH_MAGIC;
	w.version = LAUNCH_VERSION;
	w.header_size = sizeof(w);
	w.flags = l->flags;
	w.mem = l->mem;
	w.timeout_ns = l->timeout_ns;
	w.timing_origin_ns = l->timing_origin_ns;
	w.fs_upper = l->fs_upper;
	w.fs_tmp = l->fs_tmp;
	w.vcpus = l->vcpus;
	w.layers = l->layers;
	w.hugepages = (uint32_t)l->hugepages;
	w.tty_mask = l->tty_mask;
	w.pids = l->pids;
	struct launch fds = *l; /* fd_slot() hands out writable slots */
	for (unsigned i = 0; i < FD_COUNT; i++)
		w.fds[i] = *fd_slot(&fds, i);
	w.disk_count = l->disk_count;
	for (unsigned i = 0; i < LOCKVM_MAX_DISKS; i++) {
		bool used = i < l->disk_count;
		w.disk_fds[i] = used ? l->disks[i].fd : LAUNCH_NO_FD;
		w.disk_ro_mask |= (used && l->disks[i].ro) ? 1u << i : 0;
	}
	memcpy(w.net_mac, l->net_mac, sizeof(w.net_mac));
	w.numa_nodes = l->numa_nodes;
	w.numa_cpus = l->numa_cpus;
	w.argc = l->argc;
	w.envc = l->envc;
	w.uid = l->uid;
	w.gid = l->gid;
	w.ngroups = l->ngroups;
	for (unsigned i = 0; i < l->ngroups && i < IDENT_MAX_GROUPS; i++)
		w.groups[i] = l->groups[i];
	w.rlimit_set = l->rlimit_set;
	for (unsigned i = 0; i < IDENT_RLIMITS; i++)
		if (l->rlimit_set >> i & 1)
			w.rlimits[i] = l->rlimits[i];
	w.net_ip = l->net_ip;
	w.net_prefix = l->net_prefix;
	w.net_gateway = l->net_gateway;
	w.net_dns = l->net_dns;
	w.tmpfs_count = l->tmpfs_count;
	for (unsigned i = 0; i < l->tmpfs_count && i < LAUNCH_MAX_TMPFS; i++)
		w.tmpfs_sizes[i] = l->tmpfs[i].size;
	w.volume_count = l->volume_count;
	for (unsigned i = 0; i < LAUNCH_MAX_VOLUMES; i++) {
		bool used = i < l->volume_count;
		w.volume_fds[i] = used ? l->volumes[i].fd : LAUNCH_NO_FD;
		w.volume_ro_mask |= (used && l->volumes[i].ro) ? 1u << i : 0;
	}
	if (check_values(&w, err, errlen) < 0)
		return NULL;

	size_t size = sizeof(w);
	if (!put_strings(l, NULL, &size)) {
		err_fmt(err, errlen, "launch: arguments and environment exceed %u bytes",
			LAUNCH_MAX_SIZE);
		return NULL;
	}
	uint8_t *buf = malloc(size);
	if (!buf) {
		err_fmt(err, errlen, "launch: out of memory for %zu bytes", size);
		return NULL;
	}
	w.total_size = (uint32_t)size;
	memcpy(buf, &w, sizeof(w));
	size_t used = sizeof(w);
	put_strings(l, buf, &used);
	/* The decoder's checks of the strings, once, before anything is sent. */
	struct launch check;
	if (launch_decode(buf, size, &check, err, errlen) < 0) {
		free(buf);
		return NULL;
	}
	launch_free(&check);
	*len = size;
	return buf;
}

int launch_write_memfd(const uint8_t *buf, size_t len, char *err, size_t errlen)
{
	int fd = memfd_create("lockvm-launch", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return err_fmt(err, errlen, "memfd_create(\"lockvm-launch\"): %s", strerror(errno));
	size_t done = 0;
	while (done < len) {
		ssize_t n = write(fd, buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err_fmt(err, errlen, "write(launch memfd): %s", strerror(errno));
			close(fd);
			return -1;
		}
		done += (size_t)n;
	}
	/* Sealed: what the VMM reads is what the supervisor checked. */
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
		err_fmt(err, errlen, "fcntl(launch memfd, F_ADD_SEALS): %s", strerror(errno));
		close(fd);
		return -1;
	}
	/* The VMM gets a read-only open of it: an inherited fd open for
	 * writing needs write permission under SELinux at the VMM's exec,
	 * which lockvm_vm_t has not on lockvm_tmpfs_t (the kernel would hand
	 * it SELinux's null file instead; found by make e2e). */
	char self[64];
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	int read_only = open(self, O_RDONLY | O_CLOEXEC);
	if (read_only < 0)
		err_fmt(err, errlen, "open(%s, O_RDONLY) of the launch memfd: %s", self,
			strerror(errno));
	close(fd);
	return read_only;
}

uint8_t *launch_read_fd(int fd, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	if (fstat(fd, &st) < 0) {
		err_fmt(err, errlen, "fstat(launch fd %d): %s", fd, strerror(errno));
		return NULL;
	}
	if (st.st_size <= 0 || (uint64_t)st.st_size > LAUNCH_MAX_SIZE) {
		err_fmt(err, errlen, "launch: fd %d holds %lld bytes (1 to %u)", fd,
			(long long)st.st_size, LAUNCH_MAX_SIZE);
		return NULL;
	}
	uint8_t *buf = malloc((size_t)st.st_size);
	if (!buf) {
		err_fmt(err, errlen, "launch: out of memory for %lld bytes", (long long)st.st_size);
		return NULL;
	}
	size_t done = 0;
	while (done < (size_t)st.st_size) {
		ssize_t n = pread(fd, buf + done, (size_t)st.st_size - done, (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err_fmt(err, errlen, "read(launch fd %d): %s", fd,
				n < 0 ? strerror(errno) : "end of file");
			free(buf);
			return NULL;
		}
		done += (size_t)n;
	}
	*len = done;
	return buf;
}
