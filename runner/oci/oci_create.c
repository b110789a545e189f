/* create, start and run: the OCI lifecycle up to a running VM. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/apparmor.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "apparmor_stack.h"
#include "oci.h"
#include "oci_hooks.h"
#include "oci_launch.h"
#include "oci_pod.h"
#include "registry.h"

struct create_opts {
	const char *bundle, *pid_file, *console_socket, *id;
	bool detach;
};

static void parse_create(int argc, char **argv, struct create_opts *o)
{
	*o = (struct create_opts){.bundle = "."};
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *v;
		if (oci_opt_value(argc, argv, &i, "bundle", &v) ||
		    oci_opt_value(argc, argv, &i, "b", &v))
			o->bundle = v;
		else if (oci_opt_value(argc, argv, &i, "pid-file", &v))
			o->pid_file = v;
		else if (oci_opt_value(argc, argv, &i, "console-socket", &v))
			o->console_socket = v;
		else if (oci_opt_value(argc, argv, &i, "preserve-fds", &v)) {
			if (strcmp(v, "0") != 0)
				oci_fail("--preserve-fds %s: a VM takes no file descriptors but "
					 "stdio",
					 v);
		} else if (strcmp(argv[i], "--detach") == 0 || strcmp(argv[i], "-d") == 0)
			o->detach = true;
		/* No pivot_root, keyring or cgroup of the engine's: the VM's are lockvm's. */
		else if (strcmp(argv[i], "--no-pivot") != 0 &&
			 strcmp(argv[i], "--no-new-keyring") != 0 && strcmp(argv[i], "--keep") != 0)
			oci_fail("%s: unknown option %s", argv[0], argv[i]);
	}
	if (i != argc - 1)
		oci_fail("%s: want exactly one container id", argv[0]);
	o->id = argv[i];
	if (!oci_id_valid(o->id))
		oci_fail("invalid id format: %s", o->id);
}

void oci_remove_dir(const char *dir)
{
	char path[PATH_MAX + 64];
	static const char *const files[] = {"exec.fifo", "state.json", "state.json.tmp",
					    OCI_KILLED_MARK};
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

static void write_pid_file(const char *path, pid_t pid, const char *dir)
{
	char tmp[PATH_MAX + 8];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "we");
	if (!f || fprintf(f, "%d", (int)pid) < 0 || fclose(f) != 0 || rename(tmp, path) < 0) {
		kill(pid, SIGKILL);
		oci_remove_dir(dir);
		oci_fail("--pid-file %s: %s", path, strerror(errno));
	}
}

static void now_rfc3339(char *out, size_t len)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(out, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, len - n, ".%09ldZ", ts.tv_nsec);
}

/* The state JSON hooks read on stdin. */
static char *hook_state_text(struct oci_state *s, const char *status)
{
	json_object *o = oci_state_json(s);
	json_object_object_add(o, "status", json_object_new_string(status));
	json_object_object_add(o, "pid", json_object_new_int64(s->pid));
	char *text = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return text;
}

/* Everything create does; returns the init's pid (our child). */
static pid_t do_create(const struct create_opts *o, struct oci_state *s, struct oci_bundle *b)
{
	char err[1024];
	memset(s, 0, sizeof(*s));
	/* runc makes its whole --root (containerd's shim names a fresh one). */
	char parent[PATH_MAX];
	snprintf(parent, sizeof(parent), "%s", oci_g.root);
	for (char *slash = strchr(parent + 1, '/');; slash = strchr(slash + 1, '/')) {
		if (slash)
			*slash = '\0';
		if (mkdir(parent, 0700) < 0 && errno != EEXIST)
			oci_fail("--root %s: mkdir %s: %s", oci_g.root, parent, strerror(errno));
		if (!slash)
			break;
		*slash = '/';
	}
	snprintf(s->id, sizeof(s->id), "%s", o->id);
	if ((size_t)snprintf(s->dir, sizeof(s->dir), "%s/%s", oci_g.root, o->id) >= sizeof(s->dir))
		oci_fail("container id too long for --root %s", oci_g.root);
	if (mkdir(s->dir, 0700) < 0) {
		if (errno == EEXIST)
			oci_fail("container with id exists: %s", o->id);
		oci_fail("mkdir %s: %s", s->dir, strerror(errno));
	}
	/* From here on a refusal leaves nothing: the directory goes too. */
	if (oci_bundle_load(o->bundle, b, err, sizeof(err)) < 0) {
		oci_bundle_free(b);
		oci_remove_dir(s->dir);
		oci_fail("%s", err);
	}
	/* A pod's container: its pod's namespaces as its VM's (oci_pod.c). */
	if (oci_pod_resolve(&b->config, oci_g.root, s, err, sizeof(err)) < 0) {
		oci_bundle_free(b);
		oci_remove_dir(s->dir);
		oci_fail("%s", err);
	}
	struct oci_launch *l = calloc(1, sizeof(*l));
	oci_vm_name(o->id, s->vm_name, sizeof(s->vm_name));
	snprintf(s->bundle, sizeof(s->bundle), "%s", b->dir);
	snprintf(s->rootfs, sizeof(s->rootfs), "%s", b->root);
	now_rfc3339(s->created, sizeof(s->created));
	oci_state_set_annotations(s, &b->config);
	/* The engine's profile is stacked on the VM's own where AppArmor is
	 * on; it must be loaded (lockvm run checks again, at the exec). */
	const char *aa = b->config.apparmor_profile;
	if (aa && aa[0] && strcmp(aa, "unconfined") != 0) {
		int loaded = aa_is_enabled() > 0 ? apparmor_stack_loaded(aa) : -2;
		if (loaded == -2) {
			oci_warn(
			    "process.apparmorProfile %s: AppArmor is not enabled on this host, so "
			    "the profile cannot be applied",
			    aa);
			b->config.apparmor_profile = NULL;
		} else if (loaded != 1) {
			oci_remove_dir(s->dir);
			oci_fail("process.apparmorProfile %s: %s", aa,
				 loaded == 0 ? "no AppArmor profile of that name is loaded"
					     : "cannot read AppArmor's list of profiles");
		}
		/* A profile that would leave the VM unstoppable (podman's stock
		 * containers-default takes signals from runc and crun only) is
		 * not stacked: the VM runs under lockvm's own profile, as before
		 * stacking was there, and the engine is told. Any VM's profile
		 * name stands for the one lockvm run will make (same order). */
		char why[512];
		int fits = loaded == 1 ? apparmor_stack_allows_lockvm(
					     aa, "lockvm-00000000-0000-0000-0000-000000000000", why,
					     sizeof(why))
				       : 1;
		if (fits < 0) {
			oci_remove_dir(s->dir);
			oci_fail("process.apparmorProfile %s: asking AppArmor (aa_query_label): %s",
				 aa, strerror(errno));
		}
		if (fits == 0) {
			oci_warn("process.apparmorProfile %s: not stacked, %s: the VM runs under "
				 "lockvm's own per-VM profile alone",
				 aa, why);
			b->config.apparmor_profile = NULL;
		}
	}
	int console_fd = -1;
	if (!l || oci_launch_prepare(b, s->vm_name, l, err, sizeof(err)) < 0 ||
	    (b->config.terminal && (console_fd = oci_console_open(&b->config, o->console_socket,
								  err, sizeof(err))) < 0)) {
		oci_remove_dir(s->dir);
		oci_fail("%s", l ? err : "out of memory");
	}
	for (int i = 0; oci_g.debug && l->argv[i]; i++)
		oci_debug("lockvm argv[%d]: %s", i, l->argv[i]);
	s->pid = 0;
	char *state_text = hook_state_text(s, "running");
	pid_t pid = oci_init_spawn(b, l, s->dir, console_fd, state_text, err, sizeof(err));
	free(state_text);
	if (pid < 0) {
		oci_remove_dir(s->dir);
		oci_fail("%s", err);
	}
	if (console_fd >= 0)
		close(console_fd);
	s->pid = pid;
	/* The child is ours until we exit: its start time is there already. */
	s->pid_start = oci_pid_start(pid);
	/* No namespaces to be in: the hooks of create all run here, on the host,
	 * once the init exists (they get its pid, as runc's do). */
	static const enum oci_hook_kind create_hooks[] = {
	    OCI_HOOK_PRESTART, OCI_HOOK_CREATE_RUNTIME, OCI_HOOK_CREATE_CONTAINER};
	state_text = hook_state_text(s, "creating");
	for (size_t i = 0; i < ARRAY_SIZE(create_hooks); i++)
		if (oci_hooks_run(&b->config, create_hooks[i], state_text, err, sizeof(err)) < 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			oci_remove_dir(s->dir);
			oci_fail("%s: %s", oci_hook_name(create_hooks[i]), err);
		}
	free(state_text);
	if (oci_state_save(s) < 0) {
		kill(pid, SIGKILL);
		oci_remove_dir(s->dir);
		oci_fail("%s/state.json: %s", s->dir, strerror(errno));
	}
	if (o->pid_file)
		write_pid_file(o->pid_file, pid, s->dir);
	free(l);
	return pid;
}

int oci_cmd_create(int argc, char **argv)
{
	struct create_opts o;
	struct oci_state s;
	struct oci_bundle b;
	parse_create(argc, argv, &o);
	(void)do_create(&o, &s, &b);
	return 0;
}

/* Lets the init go on: reads its byte from the fifo while it lives. */
static void release_init(struct oci_state *s)
{
	char fifo[PATH_MAX + 16];
	snprintf(fifo, sizeof(fifo), "%s/exec.fifo", s->dir);
	int fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		oci_fail("cannot start a container that has stopped");
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		char byte;
		if (poll(&p, 1, 100) > 0 && read(fd, &byte, 1) == 1)
			break;
		if (oci_pid_start(s->pid) != s->pid_start) {
			close(fd);
			oci_fail("cannot start a container that has stopped");
		}
	}
	close(fd);
	unlink(fifo);
}

/* The init claims its VM's name a moment after the fifo lets it go;
 * start returns once it has (or has died, or after 60 s), so an exec, a
 * kill or a state right after start finds the VM: its control socket is
 * made with the claim. */
static void wait_vm_registered(const struct oci_state *s)
{
	for (int i = 0;
	     i < 6000 && registry_live(s->vm_name) != 1 && oci_pid_start(s->pid) == s->pid_start;
	     i++)
		usleep(10000);
}

static void start_checked(struct oci_state *s)
{
	switch (oci_state_status(s)) {
	case OCI_RUNNING: oci_fail("cannot start an already running container");
	case OCI_STOPPED: oci_fail("cannot start a container that has stopped");
	case OCI_CREATED: break;
	}
	release_init(s);
	wait_vm_registered(s);
	struct oci_bundle b;
	char err[1024];
	/* poststart hooks come from the bundle as it is now, as runc reads it. */
	if (oci_bundle_load(s->bundle, &b, err, sizeof(err)) == 0) {
		char *text = hook_state_text(s, "running");
		if (oci_hooks_run(&b.config, OCI_HOOK_POSTSTART, text, err, sizeof(err)) < 0)
			oci_warn("poststart: %s", err);
		free(text);
	}
	oci_bundle_free(&b);
}

int oci_cmd_start(int argc, char **argv)
{
	if (argc != 2)
		oci_fail("start: want exactly one container id");
	struct oci_state s;
	oci_load_or_fail(argv[1], &s);
	start_checked(&s);
	oci_state_free(&s);
	return 0;
}

/* Foreground run: create, start, wait, forwarding the signals a terminal
 * or engine sends, then delete; exits with the container's status. */
int oci_cmd_run(int argc, char **argv)
{
	struct create_opts o;
	struct oci_state s;
	struct oci_bundle b;
	parse_create(argc, argv, &o);
	sigset_t set;
	sigemptyset(&set);
	static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
	for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
		sigaddset(&set, forwarded[i]);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	pid_t pid = do_create(&o, &s, &b);
	start_checked(&s);
	if (o.detach)
		return 0;
	int status = 0;
	for (;;) {
		int sig = sigwaitinfo(&set, NULL);
		if (sig > 0 && sig != SIGCHLD) {
			kill(pid, sig);
			continue;
		}
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
	}
	char *text = hook_state_text(&s, "stopped");
	char err[1024];
	if (oci_hooks_run(&b.config, OCI_HOOK_POSTSTOP, text, err, sizeof(err)) < 0)
		oci_warn("poststop: %s", err);
	free(text);
	oci_bundle_free(&b);
	oci_remove_dir(s.dir);
	oci_state_free(&s);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
