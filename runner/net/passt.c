/* --net user: passt started by the supervisor on a socketpair (qemu's stream framing), ready when it writes its pid, ended and reaped with the VM; --publish parsing. */
#include "passt.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

/* A passt that neither writes its pid nor exits within this long is hung:
 * generous, for a loaded host (it takes well under a second). */
#define PASST_START_TIMEOUT_MS 30000

static int parse_port(const char *text, size_t len, uint16_t *port)
{
	unsigned value = 0;
	if (len == 0 || len > 5)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (text[i] < '0' || text[i] > '9')
			return -1;
		value = value * 10 + (unsigned)(text[i] - '0');
	}
	if (value < 1 || value > 65535)
		return -1;
	*port = (uint16_t)value;
	return 0;
}

int passt_publish_parse(const char *text, struct passt_publish *p, char *err, size_t errlen)
{
	const char *colon = strchr(text, ':');
	const char *slash = strchr(text, '/');
	const char *guest_end = slash ? slash : text + strlen(text);
	if (!colon || (slash && slash < colon))
		return err_fmt(err, errlen,
			       "--publish '%s': want HOSTPORT:GUESTPORT[/tcp|udp], e.g. 8080:80",
			       text);
	if (parse_port(text, (size_t)(colon - text), &p->host_port) < 0 ||
	    parse_port(colon + 1, (size_t)(guest_end - colon - 1), &p->guest_port) < 0)
		return err_fmt(err, errlen, "--publish '%s': ports are numbers from 1 to 65535",
			       text);
	p->udp = false;
	if (slash && strcmp(slash, "/udp") == 0)
		p->udp = true;
	else if (slash && strcmp(slash, "/tcp") != 0)
		return err_fmt(err, errlen, "--publish '%s': the protocol is tcp or udp", text);
	return 0;
}

/* The last line passt wrote to its stderr (a memfd), without the noise
 * of its syslog fallback, into err. */
static void last_message(int log_fd, char *err, size_t errlen)
{
	char buf[4096];
	ssize_t n = pread(log_fd, buf, sizeof(buf) - 1, 0);
	const char *best = "no message";
	buf[n > 0 ? n : 0] = '\0';
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		if (strncmp(line, "Failed to send ", 15) != 0)
			best = line;
	snprintf(err, errlen, "%s", best);
}

/* The child: passt on fd 3 (its end of the stream) writing its pid to fd 4. */
static void exec_passt(const struct passt_publish *publish, unsigned count, uid_t uid, gid_t gid,
		       int stream, int pid_pipe, int log_fd)
{
	char runas[32], ports[PASST_PUBLISH_MAX][16];
	const char *argv[16 + 2 * PASST_PUBLISH_MAX];
	int n = 0;
	/* Numbered fds the arguments name; everything else closed. Moved up
	 * first, so that no dup2 below lands on a source it still needs. */
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int high[4] = {fcntl(stream, F_DUPFD_CLOEXEC, 10), fcntl(pid_pipe, F_DUPFD_CLOEXEC, 10),
		       fcntl(log_fd, F_DUPFD_CLOEXEC, 10), fcntl(null, F_DUPFD_CLOEXEC, 10)};
	if (null < 0 || high[0] < 0 || high[1] < 0 || high[2] < 0 || high[3] < 0 ||
	    dup2(high[0], 3) < 0 || dup2(high[1], 4) < 0 || dup2(high[2], 1) < 0 ||
	    dup2(high[2], 2) < 0 || dup2(high[3], 0) < 0)
		_exit(127);
	if (close_range(5, ~0U, 0) < 0)
		_exit(127);
	snprintf(runas, sizeof(runas), "%u:%u", (unsigned)uid, (unsigned)gid);
	argv[n++] = "passt";
	argv[n++] = "--foreground"; /* our child, reaped by us */
	argv[n++] = "--quiet";
	argv[n++] = "--one-off"; /* exits when the VMM's end closes, however the VMM ends */
	argv[n++] = "--fd";
	argv[n++] = "3";
	argv[n++] = "--pid";
	argv[n++] = "/dev/fd/4"; /* written once the ports are bound: ready */
	argv[n++] = "--runas";
	argv[n++] = runas;
	argv[n++] = "--mtu"; /* the NIC's (LOCKVM_NET_MTU), not passt's 65520 */
	argv[n++] = "1500";
	for (unsigned i = 0; i < count; i++) {
		snprintf(ports[i], sizeof(ports[i]), "%u:%u", publish[i].host_port,
			 publish[i].guest_port);
		argv[n++] = publish[i].udp ? "--udp-ports" : "--tcp-ports";
		argv[n++] = ports[i];
	}
	argv[n] = NULL;
	static char *const envp[] = {NULL};
	execve(PASST_PATH, (char *const *)argv, envp);
	_exit(127);
}

int passt_start(const struct passt_publish *publish, unsigned count, uid_t runas_uid,
		gid_t runas_gid, struct passt *p, char *err, size_t errlen)
{
	int sv[2] = {-1, -1}, pipefd[2] = {-1, -1};
	p->pid = -1;
	p->vmm_end = -1;
	if (count > PASST_PUBLISH_MAX)
		return err_fmt(err, errlen, "--publish: at most %d", PASST_PUBLISH_MAX);
	if (access(PASST_PATH, X_OK) < 0)
		return err_fmt(err, errlen,
			       "--net user needs passt (%s: %s; install the package passt)",
			       PASST_PATH, strerror(errno));
	int log_fd = memfd_create("lockvm-passt-log", MFD_CLOEXEC);
	if (log_fd < 0)
		return err_fmt(err, errlen, "--net user: memfd_create: %s", strerror(errno));
	/* Blocking on both ends: the VMM reads after poll and writes whole frames. */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 ||
	    pipe2(pipefd, O_CLOEXEC) < 0) {
		err_fmt(err, errlen, "--net user: socketpair/pipe: %s", strerror(errno));
		goto fail;
	}
	/* passt opens /dev/fd/4 after dropping to runas: the pipe must be its. */
	if (fchown(pipefd[1], runas_uid, runas_gid) < 0) {
		err_fmt(err, errlen, "--net user: fchown(pipe, %u, %u): %s", (unsigned)runas_uid,
			(unsigned)runas_gid, strerror(errno));
		goto fail;
	}
	fflush(NULL);
	p->pid = fork();
	if (p->pid < 0) {
		err_fmt(err, errlen, "--net user: fork: %s", strerror(errno));
		goto fail;
	}
	if (p->pid == 0)
		exec_passt(publish, count, runas_uid, runas_gid, sv[1], pipefd[1], log_fd);
	close(sv[1]);
	sv[1] = -1;
	close(pipefd[1]);
	pipefd[1] = -1;
	/* Its pid, or EOF when it gave up (a port taken, no usable interface). */
	char line[32] = {0};
	size_t used = 0;
	struct pollfd ready = {.fd = pipefd[0], .events = POLLIN};
	while (used < sizeof(line) - 1 && !memchr(line, '\n', used)) {
		int events = poll(&ready, 1, PASST_START_TIMEOUT_MS);
		if (events < 0 && errno == EINTR)
			continue;
		if (events <= 0)
			break; /* hung: treated as a failure below */
		ssize_t n = read(pipefd[0], line + used, sizeof(line) - 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		used += (size_t)n;
	}
	line[used] = '\0';
	if (used == 0 || line[0] < '1' || line[0] > '9') {
		int status = 0;
		kill(p->pid, SIGKILL);
		(void)waitpid(p->pid, &status, 0);
		p->pid = -1;
		char why[512];
		last_message(log_fd, why, sizeof(why));
		err_fmt(err, errlen, "--net user: passt did not start: %s", why);
		goto fail;
	}
	close(pipefd[0]);
	close(log_fd); /* passt keeps writing its rare messages there */
	p->vmm_end = sv[0];
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (sv[i] >= 0)
			close(sv[i]);
		if (pipefd[i] >= 0)
			close(pipefd[i]);
	}
	close(log_fd);
	return -1;
}

pid_t passt_stop(struct passt *p)
{
	if (p->vmm_end >= 0)
		close(p->vmm_end);
	p->vmm_end = -1;
	if (p->pid <= 0)
		return -1;
	/* Normally it is already on its way out (--one-off: the VMM's end
	 * closed); SIGKILL makes sure, and the reap means no orphan, no zombie. */
	pid_t pid = p->pid;
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	p->pid = -1;
	return pid;
}
