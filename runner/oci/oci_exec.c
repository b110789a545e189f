/* `lockvm-oci exec`: runc's exec grammar (--process FILE or options and a command) becomes `lockvm exec NAME ...` against the container's VM; the process's status is ours, as runc's. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control_wire.h"
#include "install_dirs.h"
#include "oci.h"
#include "oci_config.h"
#include "oci_launch.h"
#include "oci_state.h"
#include "registry.h"

/* What exec runs: from --process or the options (the options win, as runc). */
struct exec_opts {
	const char *process_file, *console_socket, *pid_file, *cwd, *user, *id;
	const char *env[CONTROL_EXEC_MAX_ENV];
	int envc;
	const char *groups[CONTROL_EXEC_MAX_GROUPS];
	int ngroups;
	bool tty, detach;
	char **args;
	int argc;
};

/* Options runc has that a VM cannot honour: refused, naming them. */
static void refuse_option(const char *name, const char *value)
{
	if (strcmp(name, "process-label") == 0 && value[0])
		oci_fail("exec --process-label %s: the VM has one label, its own", value);
	if (strcmp(name, "apparmor") == 0 && value[0] && strcmp(value, "unconfined") != 0)
		oci_fail("exec --apparmor %s: the VM has one AppArmor profile, its own", value);
	if (strcmp(name, "preserve-fds") == 0 && strcmp(value, "0") != 0)
		oci_fail("exec --preserve-fds %s: only stdio reaches a VM's process", value);
	if (strcmp(name, "cgroup") == 0)
		oci_fail("exec --cgroup %s: the VM has one cgroup, its own", value);
}

static void parse_options(int argc, char **argv, struct exec_opts *o)
{
	static const char *const refused[] = {"process-label", "apparmor", "preserve-fds",
					      "cgroup"};
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *v, *a = argv[i];
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (strcmp(a, "-t") == 0 || strcmp(a, "--tty") == 0)
			o->tty = true;
		else if (strcmp(a, "-d") == 0 || strcmp(a, "--detach") == 0)
			o->detach = true;
		else if (strcmp(a, "--no-new-privs") == 0 || strcmp(a, "--ignore-paused") == 0 ||
			 oci_opt_value(argc, argv, &i, "cap", &v) ||
			 oci_opt_value(argc, argv, &i, "c", &v))
			continue; /* a VM's process never gains privileges or host
				     capabilities; no VM is paused */
		else if (oci_opt_value(argc, argv, &i, "process", &v) ||
			 oci_opt_value(argc, argv, &i, "p", &v))
			o->process_file = v;
		else if (oci_opt_value(argc, argv, &i, "console-socket", &v))
			o->console_socket = v;
		else if (oci_opt_value(argc, argv, &i, "pid-file", &v))
			o->pid_file = v;
		else if (oci_opt_value(argc, argv, &i, "cwd", &v))
			o->cwd = v;
		else if (oci_opt_value(argc, argv, &i, "user", &v) ||
			 oci_opt_value(argc, argv, &i, "u", &v))
			o->user = v;
		else if (oci_opt_value(argc, argv, &i, "env", &v) ||
			 oci_opt_value(argc, argv, &i, "e", &v)) {
			if (o->envc >= CONTROL_EXEC_MAX_ENV - 1)
				oci_fail("exec: at most %d --env", CONTROL_EXEC_MAX_ENV - 1);
			o->env[o->envc++] = v;
		} else if (oci_opt_value(argc, argv, &i, "additional-gids", &v) ||
			   oci_opt_value(argc, argv, &i, "g", &v)) {
			if (o->ngroups >= CONTROL_EXEC_MAX_GROUPS)
				oci_fail("exec: at most %d --additional-gids",
					 CONTROL_EXEC_MAX_GROUPS);
			o->groups[o->ngroups++] = v;
		} else {
			bool known = false;
			for (size_t k = 0; k < ARRAY_SIZE(refused) && !known; k++)
				if (oci_opt_value(argc, argv, &i, refused[k], &v)) {
					refuse_option(refused[k], v);
					known = true;
				}
			if (!known)
				oci_fail("exec: unknown option %s", a);
		}
	}
	if (i >= argc)
		oci_fail("exec: want a container id");
	o->id = argv[i++];
	o->args = argv + i;
	o->argc = argc - i;
}

/* A file of at most OCI_MAX_CONFIG bytes, NUL-terminated; dies on error. */
static char *read_process_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > OCI_MAX_CONFIG)
		oci_fail("exec --process %s: %s", path,
			 fd < 0 ? strerror(errno) : "not a regular file of at most 4 MiB");
	char *text = malloc((size_t)st.st_size + 1);
	ssize_t n = text ? read(fd, text, (size_t)st.st_size) : -1;
	close(fd);
	if (n != st.st_size)
		oci_fail("exec --process %s: a short read", path);
	text[n] = '\0';
	*len = (size_t)n;
	return text;
}

/* argv for `lockvm exec`: room for every option and the arguments. */
#define EXEC_ARGV_MAX                                                                              \
	(16 + 2 * (CONTROL_EXEC_MAX_ENV + OCI_MAX_ENV + 2 * IDENT_MAX_GROUPS) + OCI_MAX_ARGS)

int oci_cmd_exec(int argc, char **argv)
{
	struct exec_opts o = {0};
	parse_options(argc, argv, &o);
	struct oci_config p = {0};
	char err[1024];
	if (o.process_file) {
		size_t len;
		char *text = read_process_file(o.process_file, &len);
		if (oci_process_parse(text, len, &p, err, sizeof(err)) < 0)
			oci_fail("exec --process %s: %s", o.process_file, err);
		free(text);
		if (o.argc)
			oci_fail("exec: --process and a command exclude each other");
		o.tty |= p.terminal;
	} else if (o.argc == 0) {
		oci_fail("exec: want a command (or --process FILE)");
	}
	if (o.tty && !o.console_socket)
		oci_fail(
		    "exec --tty: --console-socket is needed (the terminal goes to the engine)");
	static struct oci_state s; /* args below point into it, and into lockvm */
	oci_load_or_fail(o.id, &s);
	if (oci_state_status(&s) != OCI_RUNNING)
		oci_fail("exec: cannot exec in a %s container",
			 oci_status_name(oci_state_status(&s)));
	static const char *args[EXEC_ARGV_MAX];
	static char user[32], group_bufs[IDENT_MAX_GROUPS][16];
	static char lockvm[4096];
	snprintf(lockvm, sizeof(lockvm), "%s", install_lockvm_binary());
	int n = 0;
	args[n++] = lockvm;
	args[n++] = "exec";
	args[n++] = o.tty ? "--tty" : "--interactive"; /* runc passes its stdin on */
	for (int i = 0; i < p.envc; i++) {
		args[n++] = "--env";
		args[n++] = p.env[i];
	}
	for (int i = 0; i < o.envc; i++) {
		args[n++] = "--env";
		args[n++] = o.env[i];
	}
	const char *cwd = o.cwd ? o.cwd : p.cwd;
	if (cwd) {
		args[n++] = "--workdir";
		args[n++] = cwd;
	}
	if (o.user) {
		args[n++] = "--user";
		args[n++] = o.user;
	} else if (o.process_file) {
		snprintf(user, sizeof(user), "%u:%u", p.uid, p.gid);
		args[n++] = "--user";
		args[n++] = user;
	}
	for (int i = 0; i < p.ngroups; i++) {
		snprintf(group_bufs[i], sizeof(group_bufs[i]), "%u", p.groups[i]);
		args[n++] = "--group-add";
		args[n++] = group_bufs[i];
	}
	for (int i = 0; i < o.ngroups; i++) {
		args[n++] = "--group-add";
		args[n++] = o.groups[i];
	}
	args[n++] = s.vm_name;
	for (int i = 0; o.process_file && i < p.argc; i++)
		args[n++] = p.args[i];
	for (int i = 0; i < o.argc && n < EXEC_ARGV_MAX - 1; i++)
		args[n++] = o.args[i];
	args[n] = NULL;

	int console = -1;
	if (o.tty && (console = oci_console_open(&p, o.console_socket, err, sizeof(err))) < 0)
		oci_fail("exec: %s", err);
	pid_t pid = o.detach ? fork() : getpid();
	if (pid < 0)
		oci_fail("exec: fork: %s", strerror(errno));
	if (pid > 0 && o.pid_file) {
		/* The process the engine watches: `lockvm exec`, which exits
		 * with the VM process's status. */
		FILE *f = fopen(o.pid_file, "we");
		if (!f || fprintf(f, "%d", (int)pid) < 0 || fclose(f) != 0) {
			if (o.detach)
				kill(pid, SIGKILL);
			oci_fail("exec --pid-file %s: %s", o.pid_file, strerror(errno));
		}
	}
	if (o.detach && pid > 0)
		return 0;
	if (console >= 0) {
		setsid();
		(void)ioctl(console, TIOCSCTTY, 0);
		for (int fd = 0; fd < 3; fd++)
			if (dup2(console, fd) < 0)
				_exit(1);
	} /* else the stdio the engine gave (conmon's and the shim's pipes), as runc's */
	execv(lockvm, (char *const *)args);
	fprintf(stderr, "lockvm-oci: exec: %s: %s\n", lockvm, strerror(errno));
	_exit(1);
}
