/* Confinement probe: enters lockvm's sandbox (chosen layers off) and tries every forbidden action. */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/io_uring.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "sandbox.h"
#include "seccomp_policy.h"
#include "uid.h"
#include "util.h"

/*
 * Usage: probe [--disable=LAYER[,LAYER...]] [--victim=PID] [--unix=NAME]
 *              [--cgroup-parent=NAME] [--wait] [--scratch=DIR]
 *              [--tcp-port=N] [--actions=NAME,...]
 * The supervisor half, like `lockvm run`: as root it reserves a VM uid,
 * makes a cgroup and starts probe_vmm (next to it, static like lockvm-vmm)
 * through sandbox_spawn(); probe_vmm runs sandbox_enter_vmm(), seals its
 * fds, installs a small seccomp filter and prints one line per action.
 * --wait: confine, print READY, then pause so a test can inspect /proc/PID
 * from outside ("PID <n>" is printed first).
 */

#include "probe.h"

/* ---- privileged side: the supervisor's part ---- */

/* Compiles a shipped allowlist (LOCKVM_POLICY_DIR or policy/seccomp next to
 * the build) into a memfd of BPF, as `lockvm run` does. */
static int compile_shipped(const char *name)
{
	char dir[4096], path[4200], err[512];
	seccomp_policy_default_dir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	scmp_filter_ctx ctx =
	    seccomp_policy_compile_file(path, SECCOMP_POLICY_MODE_KILL, err, sizeof(err));
	if (!ctx)
		die("seccomp policy %s: %s", path, err);
	int fd = seccomp_policy_export_fd(ctx);
	seccomp_release(ctx);
	if (fd < 0)
		die_errno("exporting seccomp policy %s", path);
	return fd;
}

static int probe_outer(struct probe_args *a)
{
	struct uid_lease lease;
	struct cgroup cg;
	bool have_cg = false;
	const char *root = getenv("LOCKVM_ROOT");
	char empty_dir[4096], name[64], layers_arg[32], victim_arg[32], unix_arg[160];

	if (root == NULL || root[0] != '/')
		die("set LOCKVM_ROOT to a private absolute directory");
	/* A session keyring of our own holding the secret the VMM must not
	 * reach (and the host's session keyring left alone). */
	if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, "lockvm-probe", 0, 0, 0) < 0)
		die_errno("keyctl(KEYCTL_JOIN_SESSION_KEYRING, \"lockvm-probe\")");
	if (syscall(SYS_add_key, "user", PROBE_SECRET_KEY, "s3cret", 6, KEY_SPEC_SESSION_KEYRING) <
	    0)
		die_errno("add_key(user, %s)", PROBE_SECRET_KEY);

	bool rootless = sandbox_layers_unavailable() != 0;
	unsigned layers = a->layers;
	if (rootless) {
		/* As lockvm would: say what cannot be applied, then go on. */
		layers &= ~(sandbox_layers_unavailable() | SANDBOX_CGROUP);
		printf("rootless: not applied: uid, cgroup\n");
		lease.uid = geteuid();
		lease.gid = getegid();
		lease.lock_fd = -1;
	} else if (uid_reserve(root, NULL, &lease) < 0) {
		die("uid_reserve(%s) failed", root);
	}
	snprintf(empty_dir, sizeof(empty_dir), "%s/empty", root);
	if (mkdir(empty_dir, 0555) < 0 && errno != EEXIST)
		die_errno("mkdir(%s)", empty_dir);
	snprintf(name, sizeof(name), "probe-%ld", (long)getpid());
	if (layers & SANDBOX_CGROUP) {
		struct cgroup_limits lim = {.memory_bytes = 256 << 20, .pids_max = 64};
		if (cgroup_create(&cg, NULL, a->cgroup_parent, name, &lim) < 0)
			die("cgroup_create(%s/%s) failed", a->cgroup_parent, name);
		have_cg = true;
	}
	char self[4096], vmm_path[4200];
	util_exe_dir(self, sizeof(self));
	snprintf(vmm_path, sizeof(vmm_path), "%s/probe_vmm", self);
	/* Opened while privileged, like lockvm-vmm: the child has no path. */
	int exec_fd = open(vmm_path, O_RDONLY | O_CLOEXEC);
	if (exec_fd < 0)
		die_errno("open(%s)", vmm_path);

	/* The shipped policies, compiled here as lockvm run compiles them. */
	int vmm_policy = compile_shipped("vmm.policy"),
	    vcpu_policy = compile_shipped("vcpu.policy");
	char seccomp_arg[48];
	snprintf(seccomp_arg, sizeof(seccomp_arg), "--seccomp-fds=%d,%d", vmm_policy, vcpu_policy);
	int keep[] = {0, 1, 2, vmm_policy, vcpu_policy, -1};
	char kvm_arg[32] = "";
	if (a->kvm_fd >= 0) {
		/* Like lockvm: /dev/kvm opened while privileged, passed as an fd. */
		keep[5] = a->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
		if (a->kvm_fd < 0)
			die_errno("open(/dev/kvm)");
		snprintf(kvm_arg, sizeof(kvm_arg), "--kvm-fd=%d", a->kvm_fd);
	}
	struct sandbox_config cfg;
	sandbox_config_init(&cfg);
	cfg.layers = layers;
	cfg.uid = lease.uid;
	cfg.gid = lease.gid;
	cfg.keep_fds = keep;
	cfg.n_keep_fds = a->kvm_fd >= 0 ? 6 : 5;
	cfg.rlimits.nofile = 64;
	cfg.rlimits.nproc = 16;
	/* stdout may be a growing log file: FSIZE caps the offset written at. */
	cfg.rlimits.fsize = 64 << 20;
	cfg.cgroup = have_cg ? &cg : NULL;
	cfg.empty_dir = empty_dir;

	snprintf(layers_arg, sizeof(layers_arg), "--layers=%u", layers);
	snprintf(victim_arg, sizeof(victim_arg), "--victim=%ld", (long)a->victim);
	snprintf(unix_arg, sizeof(unix_arg), "--unix=%s", a->unix_name);
	char scratch_arg[4200], port_arg[32], actions_arg[1024];
	char *argv[12] = {"probe_vmm", layers_arg, victim_arg, unix_arg, seccomp_arg};
	int argc = 5;
	if (a->wait)
		argv[argc++] = "--wait";
	else if (kvm_arg[0])
		argv[argc++] = kvm_arg;
	if (a->scratch_dir) {
		snprintf(scratch_arg, sizeof(scratch_arg), "--scratch=%s", a->scratch_dir);
		argv[argc++] = scratch_arg;
	}
	if (a->tcp_port) {
		snprintf(port_arg, sizeof(port_arg), "--tcp-port=%u", a->tcp_port);
		argv[argc++] = port_arg;
	}
	if (a->actions) {
		snprintf(actions_arg, sizeof(actions_arg), "--actions=%s", a->actions);
		argv[argc++] = actions_arg;
	}
	argv[argc] = NULL;

	fflush(stdout);
	int lifeline = -1;
	pid_t pid = sandbox_spawn(&cfg, exec_fd, argv, &lifeline);
	if (pid < 0)
		die_errno("sandbox_spawn()");
	printf("PID %ld\nUID %u\n", (long)pid, lease.uid);
	fflush(stdout);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die_errno("waitpid(%ld)", (long)pid);
	close(lifeline);
	if (have_cg && cgroup_destroy(&cg) < 0)
		warn_msg("cgroup_destroy(%s) failed", cg.dir[0]);
	uid_release(&lease);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
	struct probe_args a = {.layers = SANDBOX_LAYERS_ALL,
			       .victim = 1,
			       .unix_name = "lockvm-probe",
			       .cgroup_parent = "lockvm-test",
			       .kvm_fd = -1};
	util_progname = "probe";
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		uint64_t value;
		if (strncmp(arg, "--disable=", 10) == 0) {
			char list[256], *save = NULL;
			snprintf(list, sizeof(list), "%s", arg + 10);
			for (char *tok = strtok_r(list, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save)) {
				unsigned bit = sandbox_layer_parse(tok);
				if (bit == 0)
					die("unknown layer '%s'", tok);
				a.layers &= ~bit;
			}
		} else if (strncmp(arg, "--victim=", 9) == 0 &&
			   parse_uint(arg + 9, 1, INT32_MAX, &value) == 0) {
			a.victim = (pid_t)value;
		} else if (strncmp(arg, "--unix=", 7) == 0) {
			a.unix_name = arg + 7;
		} else if (strncmp(arg, "--cgroup-parent=", 16) == 0) {
			a.cgroup_parent = arg + 16;
		} else if (strcmp(arg, "--wait") == 0) {
			a.wait = true;
		} else if (strncmp(arg, "--scratch=", 10) == 0) {
			a.scratch_dir = arg + 10;
		} else if (strncmp(arg, "--tcp-port=", 11) == 0 &&
			   parse_uint(arg + 11, 1, 65535, &value) == 0) {
			a.tcp_port = (unsigned)value;
		} else if (strncmp(arg, "--actions=", 10) == 0) {
			a.actions = arg + 10;
		} else if (strcmp(arg, "--kvm") == 0) {
			a.kvm_fd = 0; /* opened in probe_outer */
		} else {
			die("unknown argument '%s'", arg);
		}
	}
	return probe_outer(&a);
}
