/* OCI hooks: each run as runc runs it, the state JSON on its stdin, killed at its timeout. */
#include "oci_hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

static int run_one(const struct oci_hook *h, const char *state, char *err, size_t errlen)
{
	int in[2];
	if (pipe2(in, O_CLOEXEC) < 0)
		return err_fmt(err, errlen, "hook %s: pipe: %s", h->path, strerror(errno));
	pid_t pid = fork();
	if (pid < 0) {
		close(in[0]);
		close(in[1]);
		return err_fmt(err, errlen, "hook %s: fork: %s", h->path, strerror(errno));
	}
	if (pid == 0) {
		dup2(in[0], 0);
		/* A hook's stdout must not mix with the runtime's JSON output. */
		dup2(2, 1);
		const char *no_args[2] = {h->path, NULL};
		execve(h->path, (char *const *)(h->args[0] ? h->args : no_args),
		       (char *const *)h->env);
		_exit(127);
	}
	close(in[0]);
	signal(SIGPIPE, SIG_IGN);
	(void)write_all(in[1], state, strlen(state));
	close(in[1]);
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	int status = 0;
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (h->timeout_s > 0 && now.tv_sec - start.tv_sec >= h->timeout_s) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return err_fmt(err, errlen, "hook %s: timed out after %d s", h->path,
				       h->timeout_s);
		}
		usleep(2000);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return err_fmt(err, errlen, "hook %s: exited %d", h->path,
			       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return 0;
}

int oci_hooks_run(const struct oci_config *c, enum oci_hook_kind kind, const char *state, char *err,
		  size_t errlen)
{
	for (int i = 0; i < c->hook_count[kind]; i++)
		if (run_one(&c->hooks[kind][i], state, err, errlen) < 0)
			return -1;
	return 0;
}
