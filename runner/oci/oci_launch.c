/* The container's first process: the lockvm run line from the bundle, the engine's console, an init that waits for `start`. */
#include "oci_launch.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "config.h"
#include "install_dirs.h"
#include "label.h"
#include "oci.h"
#include "oci_hooks.h"
#include "util.h"

void oci_vm_name(const char *id, char *out, size_t len)
{
	size_t n = strlen(id);
	if (n <= 64 && id[0] != '.' && id[0] != '-' &&
	    strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n) {
		snprintf(out, len, "%s", id);
		return;
	}
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (const char *p = id; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	snprintf(out, len, "oci-%016llx", (unsigned long long)h);
}

/* The first name server of the engine's resolv.conf at path (a regular
 * file, read with a bound, no link followed), into out; false: none. */
static bool engine_nameserver(const char *path, char *out, size_t len)
{
	static char text[OCI_RESOLV_MAX];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	struct stat st;
	if (fd < 0)
		return false;
	ssize_t got =
	    fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? read(fd, text, sizeof(text)) : -1;
	close(fd);
	return got > 0 && oci_resolv_nameserver(text, (size_t)got, out, len) == 0;
}

/* process.cwd, hostname, process.user and process.rlimits: the program's
 * view of itself, lockvm run's --workdir, --hostname, --user, --group-add
 * and --rlimit; and the engine's network namespace, --net netns=PATH.
 * Returns the next free argv slot. */
static int launch_ident_args(const struct oci_config *c, struct oci_launch *l, int n)
{
	const char **a = l->argv;
	if (strcmp(c->cwd, "/") != 0) {
		a[n++] = "--workdir";
		a[n++] = c->cwd;
	}
	if (c->hostname && c->hostname[0]) {
		a[n++] = "--hostname";
		a[n++] = c->hostname;
	}
	if (c->netns_path && !c->cri_sandbox) {
		/* The VM becomes the container on the engine's network: its
		 * interface, address and route (netns_adopt.h), and its name
		 * server when the engine gave one. */
		snprintf(l->net, sizeof(l->net), "netns=%s,adopt", c->netns_path);
		a[n++] = "--net";
		a[n++] = l->net;
		if (c->resolv_source &&
		    engine_nameserver(c->resolv_source, l->dns, sizeof(l->dns))) {
			a[n++] = "--dns";
			a[n++] = l->dns;
		}
	}
	snprintf(l->user, sizeof(l->user), "%u:%u", c->uid, c->gid);
	a[n++] = "--user";
	a[n++] = l->user;
	for (int i = 0; i < c->ngroups; i++) {
		snprintf(l->groups[i], sizeof(l->groups[i]), "%u", c->groups[i]);
		a[n++] = "--group-add";
		a[n++] = l->groups[i];
	}
	for (int i = 0; i < c->rlimit_count; i++) {
		const struct oci_rlimit *r = &c->rlimits[i];
		char soft[24] = "unlimited", hard[24] = "unlimited";
		if (r->soft != IDENT_INFINITY)
			snprintf(soft, sizeof(soft), "%llu", (unsigned long long)r->soft);
		if (r->hard != IDENT_INFINITY)
			snprintf(hard, sizeof(hard), "%llu", (unsigned long long)r->hard);
		snprintf(l->rlimits[i], sizeof(l->rlimits[i]), "%s=%s:%s",
			 ident_rlimit_name(r->resource), soft, hard);
		a[n++] = "--rlimit";
		a[n++] = l->rlimits[i];
	}
	return n;
}

/*
 * process.selinuxLabel as the VM's --label. An engine gives its own
 * domain (podman and Kubernetes: container_t at the container's level
 * s0:cX,cY, the level it labelled the container's volumes and root with):
 * the VM runs in lockvm's VM domain ([labels] type, lockvm_vm_t) at that
 * level, so the engine's MCS separation holds and lockvm's policy applies
 * (the supervisor may not enter the engine's domain). A label already of
 * lockvm's type is taken as given.
 */
static int vm_label(const char *given, char *out, size_t len, char *err, size_t errlen)
{
	const char *level = label_level(given), *type = level ? level - 1 : NULL;
	while (type && type > given && type[-1] != ':')
		type--; /* back to the type's first character */
	if (level)
		level--; /* from its ':', as the label lockvm writes takes it */
	struct lockvm_config cfg;
	/* given is at most OCI_MAX_STRING bytes (oci_json.c): it fits in out. */
	if (!level || level == type || !level[1]) { /* lockvm run refuses it, saying why */
		snprintf(out, len, "%s", given);
		return 0;
	}
	if (config_load(&cfg, err, errlen) < 0)
		return -1;
	if ((size_t)(level - type) == strlen(cfg.vm_type) &&
	    strncmp(type, cfg.vm_type, (size_t)(level - type)) == 0) {
		snprintf(out, len, "%s", given);
		return 0;
	}
	if ((size_t)snprintf(out, len, "%s:%s:%s%s", cfg.user, cfg.role, cfg.vm_type, level) >= len)
		return err_fmt(err, errlen, "process.selinuxLabel: too long");
	oci_warn("process.selinuxLabel %s: the VM runs as %s (lockvm's VM domain at the engine's "
		 "level)",
		 given, out);
	return 0;
}

int oci_launch_prepare(const struct oci_bundle *b, const char *name, struct oci_launch *l,
		       char *err, size_t errlen)
{
	const struct oci_config *c = &b->config;
	snprintf(l->lockvm, sizeof(l->lockvm), "%s", install_lockvm_binary());
	int n = 0;
	const char **a = l->argv;
	a[n++] = l->lockvm;
	a[n++] = "run";
	a[n++] = "--name";
	a[n++] = name;
	a[n++] = "--linux";
	a[n++] = "--fs";
	a[n++] = b->root;
	/* The image is never written (--fs): writes go to the VM's own
	 * copy-on-write layer in memory, or, for a read-only root, fail (EROFS). */
	if (c->root_readonly) {
		a[n++] = "--fs-upper";
		a[n++] = "none";
	}
	for (int i = 0; i < c->envc; i++) {
		a[n++] = "--env";
		a[n++] = c->env[i];
	}
	n = launch_ident_args(c, l, n);
	for (int i = 0; i < c->tmpfs_count; i++) {
		if (c->tmpfs[i].size)
			snprintf(l->tmpfs[i], sizeof(l->tmpfs[i]), "%s:size=%llu",
				 c->tmpfs[i].destination, (unsigned long long)c->tmpfs[i].size);
		else
			snprintf(l->tmpfs[i], sizeof(l->tmpfs[i]), "%s", c->tmpfs[i].destination);
		a[n++] = "--tmpfs";
		a[n++] = l->tmpfs[i];
	}
	for (int i = 0; i < c->volume_count; i++) { /* bind mounts of directories */
		snprintf(l->volumes[i], sizeof(l->volumes[i]), "%s:%s%s", c->volumes[i].source,
			 c->volumes[i].destination, c->volumes[i].ro ? ":ro" : "");
		a[n++] = "--volume";
		a[n++] = l->volumes[i];
	}
	if (c->mem_limit) {
		snprintf(l->mem_limit, sizeof(l->mem_limit), "%llu",
			 (unsigned long long)c->mem_limit);
		a[n++] = "--mem-limit";
		a[n++] = l->mem_limit;
	}
	if (c->cpu_quota) {
		snprintf(l->cpus, sizeof(l->cpus), "%.3f",
			 (double)c->cpu_quota / (double)c->cpu_period);
		a[n++] = "--cpus";
		a[n++] = l->cpus;
	}
	if (c->cpu_shares) {
		snprintf(l->cpu_shares, sizeof(l->cpu_shares), "%llu",
			 (unsigned long long)c->cpu_shares);
		a[n++] = "--cpu-shares";
		a[n++] = l->cpu_shares;
	}
	if (c->apparmor_profile && c->apparmor_profile[0]) { /* "unconfined" is none */
		a[n++] = "--apparmor-stack";
		a[n++] = c->apparmor_profile;
	}
	if (c->selinux_label && c->selinux_label[0]) {
		if (vm_label(c->selinux_label, l->label, sizeof(l->label), err, errlen) < 0)
			return -1;
		a[n++] = "--label";
		a[n++] = l->label;
	}
	if (c->vm_mem) {
		a[n++] = "--mem";
		a[n++] = c->vm_mem;
	}
	if (c->vm_seccomp) {
		a[n++] = "--seccomp";
		a[n++] = c->vm_seccomp;
	}
	if (c->vm_vcpus) {
		a[n++] = "--vcpus";
		a[n++] = c->vm_vcpus;
	}
	if (c->vm_record) {
		a[n++] = "--record";
		a[n++] = c->vm_record;
	}
	if (c->pids_limit > 0) {
		snprintf(l->pids, sizeof(l->pids), "%lld", (long long)c->pids_limit);
		a[n++] = "--pids";
		a[n++] = l->pids;
	}
	/* args[0] as given: lockvm run finds it inside the root (through the
	 * container's PATH), and the program sees its own name. */
	a[n++] = c->args[0];
	if (c->argc > 1)
		a[n++] = "--";
	for (int i = 1; i < c->argc; i++)
		a[n++] = c->args[i];
	a[n] = NULL;
	/* lockvm's own state root, when the caller chose one (tests do). */
	int e = 0;
	l->envp[e++] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	const char *root = getenv("LOCKVM_ROOT");
	if (root) {
		snprintf(l->root_env, sizeof(l->root_env), "LOCKVM_ROOT=%s", root);
		l->envp[e++] = l->root_env;
	}
	l->envp[e] = NULL;
	return 0;
}

static int send_fd(const char *socket_path, int fd, const char *name, char *err, size_t errlen)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	size_t len = strlen(socket_path);
	if (len >= sizeof(addr.sun_path))
		return err_fmt(err, errlen, "--console-socket %s: path too long", socket_path);
	memcpy(addr.sun_path, socket_path, len + 1);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int saved = errno;
		if (s >= 0)
			close(s);
		return err_fmt(err, errlen, "--console-socket %s: %s", socket_path,
			       strerror(saved));
	}
	char control[CMSG_SPACE(sizeof(int))] = {0};
	struct iovec iov = {.iov_base = (void *)name, .iov_len = strlen(name)};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = control,
			     .msg_controllen = sizeof(control)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	ssize_t sent = sendmsg(s, &msg, 0);
	close(s);
	if (sent < 0)
		return err_fmt(err, errlen, "--console-socket %s: sendmsg: %s", socket_path,
			       strerror(errno));
	return 0;
}

int oci_console_open(const struct oci_config *c, const char *console_socket, char *err,
		     size_t errlen)
{
	if (!console_socket)
		return err_fmt(err, errlen, "process.terminal is true: --console-socket is needed");
	int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0) {
		if (master >= 0)
			close(master);
		return err_fmt(err, errlen, "posix_openpt: %s", strerror(errno));
	}
	char name[64];
	int slave = -1;
	if (ptsname_r(master, name, sizeof(name)) == 0)
		slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0) {
		close(master);
		return err_fmt(err, errlen, "pty slave: %s", strerror(errno));
	}
	if (c->console_rows && c->console_cols) {
		struct winsize ws = {.ws_row = (unsigned short)c->console_rows,
				     .ws_col = (unsigned short)c->console_cols};
		(void)ioctl(slave, TIOCSWINSZ, &ws);
	}
	int rc = send_fd(console_socket, master, name, err, errlen);
	close(master);
	if (rc < 0) {
		close(slave);
		return -1;
	}
	return slave;
}

/* The init, in the child: never returns. */
static void init_main(const struct oci_bundle *b, const struct oci_launch *l, const char *dir,
		      int console_fd, const char *hook_state)
{
	const struct oci_config *c = &b->config;
	if (console_fd >= 0) {
		setsid();
		(void)ioctl(console_fd, TIOCSCTTY, 0);
		for (int fd = 0; fd < 3; fd++)
			dup2(console_fd, fd);
		close(console_fd);
	}
	if (c->oom_score_adj_set) {
		FILE *f = fopen("/proc/self/oom_score_adj", "we");
		if (f) {
			fprintf(f, "%d\n", c->oom_score_adj);
			fclose(f);
		}
	}
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	char fifo[4200];
	snprintf(fifo, sizeof(fifo), "%s/exec.fifo", dir);
	/* Blocks until `start` opens the other end. */
	int fd = open(fifo, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "0", 1) != 1)
		_exit(EXIT_REFUSED);
	close(fd);
	char err[512];
	if (oci_hooks_run(c, OCI_HOOK_START_CONTAINER, hook_state, err, sizeof(err)) < 0) {
		fprintf(stderr, "lockvm-oci: %s\n", err);
		_exit(EXIT_REFUSED);
	}
	execve(l->lockvm, (char *const *)l->argv, (char *const *)l->envp);
	fprintf(stderr, "lockvm-oci: execve %s: %s\n", l->lockvm, strerror(errno));
	_exit(EXIT_REFUSED);
}

pid_t oci_init_spawn(const struct oci_bundle *b, const struct oci_launch *l, const char *dir,
		     int console_fd, const char *hook_state, char *err, size_t errlen)
{
	char fifo[4200];
	snprintf(fifo, sizeof(fifo), "%s/exec.fifo", dir);
	if (mkfifo(fifo, 0600) < 0)
		return err_fmt(err, errlen, "mkfifo %s: %s", fifo, strerror(errno));
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return err_fmt(err, errlen, "fork: %s", strerror(errno));
	if (pid == 0)
		init_main(b, l, dir, console_fd, hook_state);
	return pid;
}
