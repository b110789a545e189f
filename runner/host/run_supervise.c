/* `lockvm run` supervision: the VMM's output teed to the log, its end mapped to lockvm's status, and --detach. */
#include "run_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "paths.h"
#include "termfilter.h"

/* How often --stats samples the VMM's memory while it runs. */
#define STATS_INTERVAL_NS (100ULL * 1000000ULL)

/* The supervisor kills a VMM that outlives its own deadline by this much. */
#define BACKSTOP_NS (5ULL * 1000000000ULL)

/* The signals supervise() forwards or watches, blocked and read from a
 * signalfd; returns it. */
int supervise_signals(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	int sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sig_fd < 0)
		die_errno("signalfd");
	return sig_fd;
}

/* A restore's progress messages from the VMM, until none is waiting. */
static bool read_progress(struct run_state *st, struct progress_line *pl, int timeout_ms)
{
	struct pollfd cp = {.fd = st->relay.vmm_fd, .events = POLLIN};
	while (poll(&cp, 1, timeout_ms) > 0) {
		struct control_msg m;
		int fd;
		int rc = control_recv(st->relay.vmm_fd, &m, &fd);
		if (fd >= 0)
			close(fd);
		if (rc != 0)
			return false; /* the VMM hung up: supervise() says how it ended */
		if (m.op == CONTROL_PROGRESS && pl)
			progress_line_update(pl, &m);
		timeout_ms = 0;
	}
	return true;
}

/* "running" once every vCPU runs the guest confined (or the VMM ended:
 * supervise() then reports how); the wait has a bound of its own. A
 * restore's progress is shown on pl meanwhile (NULL: none). */
char wait_running(struct run_state *st, struct progress_line *pl)
{
	struct pollfd fds[2] = {{.fd = st->ready_pipe[0], .events = POLLIN},
				{.fd = st->relay.vmm_fd, .events = POLLIN}};
	uint64_t deadline = now_ns() + 60 * 1000000000ULL;
	char r = 0;
	for (;;) {
		uint64_t now = now_ns();
		if (now >= deadline ||
		    poll(fds, fds[1].fd >= 0 ? 2 : 1, (int)((deadline - now) / 1000000) + 1) <= 0)
			break;
		if (fds[1].revents && !read_progress(st, pl, 0))
			fds[1].fd = -1;
		if (fds[0].revents) {
			(void)!read(st->ready_pipe[0], &r, 1);
			break;
		}
	}
	close(st->ready_pipe[0]);
	if (!pl)
		return r;
	/* The VMM told its last figures before it said ready. */
	if (r == 'R' && fds[1].fd >= 0 && read_progress(st, pl, 0)) {
		progress_line_done(pl, pl->last.bytes);
	} else {
		progress_line_abort(pl);
	}
	return r;
}

/* Copies what the VMM wrote on one pipe to `to` and to the log. With a
 * filter (`to` is a terminal), `to` gets the bytes a terminal would obey
 * shown instead (termfilter.h); the log always gets them raw. Returns
 * false at EOF. */
static bool tee_pipe(int from, int to, struct term_filter *filter, struct run_state *st)
{
	static char buf[16384], shown[TERM_FILTER_OUT_MAX(sizeof(buf))];
	ssize_t n = read(from, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	/* A closed terminal must not stop the VM: write errors are ignored. */
	if (n <= 0) {
		if (filter)
			(void)write_all(to, shown, term_filter_flush(filter, shown));
		return false;
	}
	if (filter)
		(void)write_all(to, shown, term_filter(filter, buf, (size_t)n, shown));
	else
		(void)write_all(to, buf, (size_t)n);
	if (to == STDOUT_FILENO)
		st->stdout_mid_line = buf[n - 1] != '\n';
	vmlog_console(&st->log, buf, (size_t)n);
	return true;
}

/* The VMM's end as lockvm's status, with a reason for the log. */
static int vmm_status(int wstatus, bool killed_for_time, const struct cgroup *cgroup,
		      uint64_t mem_limit, char *why, size_t whylen)
{
	if (killed_for_time) {
		fprintf(stderr, "timeout: VMM did not stop in time and was killed\n");
		snprintf(why, whylen, "timeout (VMM killed)");
		return EXIT_TIMEOUT;
	}
	if (WIFEXITED(wstatus)) {
		snprintf(why, whylen, "exit status %d", WEXITSTATUS(wstatus));
		return WEXITSTATUS(wstatus);
	}
	int sig = WTERMSIG(wstatus);
	uint64_t oom_kills = 0;
	/* The cgroup's OOM killer sends SIGKILL; its counter says it was the
	 * one, rather than a user's kill -9. */
	if (sig == SIGKILL && cgroup && cgroup_oom_kills(cgroup, &oom_kills) == 0 &&
	    oom_kills > 0) {
		fprintf(stderr,
			"lockvm: VM exceeded its memory limit (%" PRIu64
			" MiB: guest RAM plus VMM overhead, or --mem-limit) and was stopped\n",
			mem_limit >> 20);
		snprintf(why, whylen, "memory limit of %" PRIu64 " MiB exceeded", mem_limit >> 20);
		return EXIT_OOM_KILLED;
	}
	if (sig == SIGSYS)
		fprintf(stderr, "lockvm: VMM killed by seccomp (SIGSYS)\n");
	else
		fprintf(stderr, "lockvm: VMM killed by signal %d (%s)\n", sig, strsignal(sig));
	snprintf(why, whylen, "VMM killed by signal %d (%s)", sig, strsignal(sig));
	return EXIT_SIGNAL_BASE + sig;
}

/*
 * Waits for the VMM, teeing its output to the log and forwarding
 * SIGINT/SIGTERM (end now) and SIGUSR2 (`lockvm stop`: ask the guest);
 * returns lockvm's status and says why in `why`. With stats non-NULL,
 * samples the VMM's memory every STATS_INTERVAL_NS into *stats (the VMM
 * itself sees no /proc), and sets its peak from the kernel's count at exit.
 */
int supervise(pid_t vmm, uint64_t timeout_ns, struct run_state *st, int sig_fd,
	      struct memstat *stats, uint64_t mem_limit, char *why, size_t whylen)
{
	uint64_t backstop = timeout_ns ? now_ns() + timeout_ns + BACKSTOP_NS : 0;
	bool killed_for_time = false, reaped = false;
	int status = EXIT_REFUSED;
	bool out_open = true, err_open = true;
	/* Guest output may carry escape sequences: a terminal gets them shown,
	 * not obeyed; a pipe or file gets the exact bytes. */
	struct term_filter out_filter = {0}, err_filter = {0};
	struct term_filter *out_tty = isatty(STDOUT_FILENO) ? &out_filter : NULL;
	struct term_filter *err_tty = isatty(STDERR_FILENO) ? &err_filter : NULL;
	const struct cgroup *cgroup = st->have_cgroup ? &st->cgroup : NULL;
	snprintf(why, whylen, "?");
	while (!reaped || out_open || err_open) {
		struct pollfd fds[5 + CONTROL_EXEC_SLOTS] = {
		    {.fd = sig_fd, .events = POLLIN},
		    {.fd = out_open ? st->out_pipe[0] : -1, .events = POLLIN},
		    {.fd = err_open ? st->err_pipe[0] : -1, .events = POLLIN},
		    {.fd = reaped ? -1 : st->relay.listen_fd, .events = POLLIN},
		    {.fd = reaped ? -1 : st->relay.vmm_fd, .events = POLLIN},
		};
		control_relay_exec_fds(&st->relay, &fds[5]); /* `lockvm exec` clients */
		/* Once the VMM is gone, only its pipes are drained (its children
		 * died with its pid namespace, so EOF comes promptly). */
		int timeout_ms = stats && !reaped     ? (int)(STATS_INTERVAL_NS / 1000000)
				 : reaped || backstop ? 1000
						      : -1;
		int n = poll(fds, ARRAY_SIZE(fds), timeout_ms);
		if (n < 0 && errno != EINTR)
			die_errno("poll");
		if (n > 0) {
			control_relay_poll(&st->relay, fds[3].revents, fds[4].revents);
			control_relay_exec_poll(&st->relay, &fds[5]);
		}
		if (n == 0 && reaped)
			break; /* a writer outlived the VMM: do not wait forever */
		if (fds[1].revents)
			out_open = tee_pipe(st->out_pipe[0], STDOUT_FILENO, out_tty, st);
		if (fds[2].revents)
			err_open = tee_pipe(st->err_pipe[0], STDERR_FILENO, err_tty, st);
		if (fds[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si) && !reaped &&
			    si.ssi_signo != SIGCHLD)
				kill(vmm, (int)si.ssi_signo);
		}
		if (backstop && !reaped && now_ns() >= backstop && !killed_for_time) {
			kill(vmm, SIGKILL);
			killed_for_time = true;
		}
		if (reaped)
			continue;
		struct memstat now;
		/* A zombie's status has no memory lines: keep the last live sample. */
		if (stats && memstat_read(vmm, &now) == 0 && now.rss_bytes)
			memstat_merge(stats, &now);
		int wstatus;
		struct rusage usage;
		if (wait4(vmm, &wstatus, WNOHANG | __WALL, &usage) == vmm) {
			reaped = true;
			st->vmm_signal = killed_for_time	? SIGKILL
					 : WIFSIGNALED(wstatus) ? WTERMSIG(wstatus)
								: 0;
			if (stats && (uint64_t)usage.ru_maxrss * 1024 > stats->peak_rss_bytes)
				stats->peak_rss_bytes = (uint64_t)usage.ru_maxrss * 1024;
			status =
			    vmm_status(wstatus, killed_for_time, cgroup, mem_limit, why, whylen);
		}
	}
	return status;
}

/*
 * --detach: the caller's process waits until the VM runs, then exits 0
 * printing the VM's name; the supervisor carries on in a new session.
 * Whatever the supervisor prints before that reaches the caller's stderr.
 */
void run_detach(struct run_state *st)
{
	int ready[2];
	if (pipe2(ready, O_CLOEXEC) < 0)
		die_errno("pipe2");
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		die_errno("fork");
	if (pid > 0) { /* the caller */
		release_at_exit_disarm();
		close(ready[1]);
		/* The supervisor's messages, then ACK and the VM's name; EOF
		 * without ACK means it gave up (its exit status says how). */
		static char buf[16384];
		size_t used = 0;
		ssize_t n;
		while (used < sizeof(buf) &&
		       (n = read(ready[0], buf + used, sizeof(buf) - used)) != 0) {
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				break;
			used += (size_t)n;
		}
		char *ack = memchr(buf, '\006', used);
		(void)write_all(STDERR_FILENO, buf, ack ? (size_t)(ack - buf) : used);
		if (ack) {
			(void)write_all(STDOUT_FILENO, ack + 1, used - (size_t)(ack + 1 - buf));
			_exit(0);
		}
		int wstatus;
		if (waitpid(pid, &wstatus, 0) == pid && WIFEXITED(wstatus) &&
		    WEXITSTATUS(wstatus) != 0)
			_exit(WEXITSTATUS(wstatus));
		_exit(EXIT_REFUSED);
	}
	close(ready[0]);
	setsid();
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0)
		die_errno("/dev/null");
	dup2(null, STDIN_FILENO);
	dup2(null, STDOUT_FILENO);
	dup2(ready[1], STDERR_FILENO); /* messages go to the caller until ready */
	close(null);
	st->ready_fd = ready[1];
}

void run_detach_ready(struct run_state *st)
{
	if (st->ready_fd < 0)
		return;
	char msg[PATHS_NAME_MAX + 4];
	int len = snprintf(msg, sizeof(msg), "\006%s\n", st->vm.name);
	(void)write_all(st->ready_fd, msg, (size_t)len);
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, STDERR_FILENO);
		close(null);
	}
	close(st->ready_fd);
	st->ready_fd = -1;
}
