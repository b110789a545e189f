/* `lockvm exec NAME CMD...`: a new process in a running --linux VM through its supervisor's control socket, with this terminal's stdio; exits with the process's status. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cliopt.h"
#include "control.h"
#include "ident.h"
#include "paths.h"
#include "registry.h"
#include "util.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* The status `lockvm exec` exits with: the process's own code, 128+N
 * when a signal killed it (as a shell reports it). */
static int exit_status_of(int wstatus)
{
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return WEXITSTATUS(wstatus);
}

/* Waits for the process's start, then its exit, passing on the signals
 * a terminal or a supervisor sends us. */
static int exec_wait(const char *name, int sock)
{
	sigset_t set;
	sigemptyset(&set);
	int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
	for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
		sigaddset(&set, forwarded[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
	int sig_fd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sig_fd < 0)
		die_errno("signalfd");
	for (;;) {
		struct pollfd p[2] = {{.fd = sock, .events = POLLIN},
				      {.fd = sig_fd, .events = POLLIN}};
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			die_errno("poll");
		if (p[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				struct control_msg k = {.magic = CONTROL_MAGIC,
							.op = CONTROL_EXEC_KILL,
							.wstatus = (int32_t)si.ssi_signo};
				(void)control_send(sock, &k, -1);
			}
		}
		if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		struct control_msg m;
		int fd;
		int rc = control_recv(sock, &m, &fd);
		if (fd >= 0)
			close(fd);
		if (rc != 0) {
			fprintf(stderr, "lockvm: exec %s: the VM ended before the process did\n",
				name);
			return 128 + SIGKILL;
		}
		if (m.op == CONTROL_EXEC_STARTED && m.status != 0) {
			fprintf(stderr, "lockvm: exec %s: %s\n", name, m.text);
			return m.status;
		}
		if (m.op == CONTROL_EXEC_EXITED)
			return exit_status_of(m.wstatus);
	}
}

int cmd_exec(int argc, char **argv)
{
	static const struct cliopt options[] = {
	    {"interactive", 'i', no_argument, 'i', NULL,
	     "pass this stdin to the process (else it reads /dev/null)"},
	    {"tty", 't', no_argument, 't', NULL,
	     "this terminal is the process's stdin, stdout and stderr (one fd)"},
	    {"env", 'e', required_argument, 'e', "K=V", "an environment variable (repeatable)"},
	    {"workdir", 'w', required_argument, 'w', "DIR",
	     "its working directory in the VM's tree (default /)"},
	    {"user", 'u', required_argument, 'u', "UID[:GID]",
	     "its ids in the VM (default 0:0, the VM's root; never a host identity)"},
	    {"group-add", 'G', required_argument, 0, "GID", "a supplementary group (repeatable)"},
	};
	static const struct cliopt_spec spec = {
	    .command = "exec",
	    .operands = "NAME CMD [ARGS...]",
	    .summary = "run a new process in a running --linux VM; exit with its status",
	    .options = options,
	    .count = ARRAY_SIZE(options),
	    .min_operands = 2,
	    .max_operands = CLIOPT_MANY,
	    .options_end_at_operand = true,
	    .more = "The process runs beside the VM's own (a child of no one in the VM, as runc "
		    "exec's process), sees the VM's file tree, and its stdio is this command's. "
		    "Signals to `lockvm exec` are passed on to it. Exit status: the process's, "
		    "128+N when signal N killed it, 137 when the VM ended first, 125 when "
		    "refused.\n"};
	struct control_exec req = {.cwd = "/"};
	bool interactive = false;
	char err[256];
	struct cliopt_parser p;
	int key, count;
	req.env[req.envc++] = DEFAULT_PATH;
	cliopt_begin(&p, &spec, argc, argv);
	while ((key = cliopt_next(&p))) {
		switch (key) {
		case 'i': interactive = true; break;
		case 't': req.flags |= CONTROL_EXEC_TTY; break;
		case 'w': req.cwd = p.value; break;
		case 'e':
			if (!strchr(p.value, '=') || p.value[0] == '=')
				die("exec --env '%s': want NAME=VALUE", p.value);
			if (strncmp(p.value, "PATH=", 5) == 0)
				req.env[0] = p.value; /* replaces the default PATH */
			else if (req.envc >= CONTROL_EXEC_MAX_ENV)
				die("exec: at most %u --env", CONTROL_EXEC_MAX_ENV - 1);
			else
				req.env[req.envc++] = p.value;
			break;
		case 'u':
			if (ident_parse_user(p.value, &req.uid, &req.gid, err, sizeof(err)) < 0)
				die("exec --user: %s", err);
			break;
		case 'G':
			if (req.ngroups >= CONTROL_EXEC_MAX_GROUPS)
				die("exec: at most %u --group-add", CONTROL_EXEC_MAX_GROUPS);
			if (ident_parse_gid(p.value, &req.groups[req.ngroups], err, sizeof(err)) <
			    0)
				die("exec --group-add: %s", err);
			req.ngroups++;
			break;
		}
	}
	char **operands = cliopt_operands(&p, &count);
	const char *name = operands[0];
	if (count - 1 > CONTROL_EXEC_MAX_ARGS)
		die("exec: %d arguments (at most %u)", count - 1, CONTROL_EXEC_MAX_ARGS);
	req.argc = (uint32_t)(count - 1);
	for (int i = 1; i < count; i++)
		req.argv[i - 1] = operands[i];
	static uint8_t payload[CONTROL_EXEC_PAYLOAD_MAX];
	long len = control_exec_encode(&req, payload, sizeof(payload), err, sizeof(err));
	if (len < 0)
		die("%s", err);
	static struct reg_vm vm;
	registry_load_live(name, &vm); /* dies: a bad name, no such running VM */
	if (!vm.linux_abi)
		die("exec %s: the VM runs an SDK guest, one program (exec needs a --linux VM)",
		    name);
	/* A VM still starting takes the request once it runs (the socket
	 * holds it); one that ends meanwhile is answered as ended. */
	int null_fd = -1, fds[3] = {0, 1, 2};
	if (!interactive && !(req.flags & CONTROL_EXEC_TTY)) {
		null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (null_fd < 0)
			die_errno("/dev/null");
		fds[0] = null_fd;
	}
	/* The socket is made before the VM is in the registry (claim_identity). */
	int sock = control_connect(name);
	if (sock < 0)
		die_errno("exec %s: connecting to its supervisor", name);
	struct control_msg m = {
	    .magic = CONTROL_MAGIC, .op = CONTROL_EXEC, .payload_len = (uint32_t)len};
	if (control_send_ex(sock, &m, payload, fds, (req.flags & CONTROL_EXEC_TTY) ? 1 : 3) < 0)
		die_errno("exec %s: sending the request", name);
	if (null_fd >= 0)
		close(null_fd);
	int status = exec_wait(name, sock);
	close(sock);
	return status;
}
