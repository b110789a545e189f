/* Migration addresses: unix:PATH and tcp:HOST:PORT, connected or listened on while privileged. */
#include "migrate_addr.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "util.h"

int migrate_addr_parse(const char *addr, struct migrate_addr *p, char *err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	if (strncmp(addr, "unix:", 5) == 0) {
		const char *path = addr + 5;
		if (!path[0] || strlen(path) >= sizeof(p->un.sun_path)) {
			snprintf(err, errlen, "want unix:PATH with a path of 1 to %zu bytes",
				 sizeof(p->un.sun_path) - 1);
			return -1;
		}
		p->is_unix = true;
		p->un.sun_family = AF_UNIX;
		memcpy(p->un.sun_path, path, strlen(path));
		return 0;
	}
	const char *colon = strrchr(addr, ':');
	if (strncmp(addr, "tcp:", 4) != 0 || !colon || colon == addr + 3 ||
	    (size_t)(colon - addr - 4) >= sizeof(p->host) || strlen(colon + 1) >= sizeof(p->port) ||
	    !colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1)) {
		snprintf(err, errlen, "want unix:PATH or tcp:HOST:PORT");
		return -1;
	}
	memcpy(p->host, addr + 4, (size_t)(colon - addr - 4));
	/* tcp:[::1]:PORT */
	size_t hl = strlen(p->host);
	if (hl >= 2 && p->host[0] == '[' && p->host[hl - 1] == ']') {
		memmove(p->host, p->host + 1, hl - 2);
		p->host[hl - 2] = '\0';
	}
	snprintf(p->port, sizeof(p->port), "%s", colon + 1);
	return 0;
}

static void set_timeouts(int fd, int timeout_s)
{
	struct timeval tv = {.tv_sec = timeout_s};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int resolve(struct migrate_addr *p, bool passive, struct addrinfo **res, char *err,
		   size_t errlen)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = passive ? AI_PASSIVE : 0};
	int rc = getaddrinfo(p->host, p->port, &hints, res);
	if (rc != 0) {
		snprintf(err, errlen, "%s:%s: %s", p->host, p->port, gai_strerror(rc));
		return -1;
	}
	return 0;
}

int migrate_addr_connect(const char *addr, int timeout_s, char *err, size_t errlen)
{
	struct migrate_addr p;
	if (migrate_addr_parse(addr, &p, err, errlen) < 0)
		return -1;
	if (p.is_unix) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&p.un, sizeof(p.un)) < 0) {
			snprintf(err, errlen, "connect: %s", strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		set_timeouts(fd, timeout_s);
		return fd;
	}
	struct addrinfo *res;
	if (resolve(&p, false, &res, err, errlen) < 0)
		return -1;
	int fd = -1;
	snprintf(err, errlen, "no address");
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		set_timeouts(fd, timeout_s); /* bounds connect() too */
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		snprintf(err, errlen, "connect: %s", strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/*
 * The path appears only once its socket listens: bound and listened on
 * under a temporary name beside it (".l" and our pid), then hard-linked to
 * the path, which refuses an existing path as bind does. A caller that
 * waits for the file and connects (a test, a script before `lockvm
 * migrate`) met ECONNREFUSED when it came between bind and listen. A path
 * whose directory leaves no room for the temporary name is bound in place.
 */
static int listen_unix(const struct sockaddr_un *un, char *err, size_t errlen)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	struct sockaddr_un tmp = {.sun_family = AF_UNIX};
	const char *slash = strrchr(un->sun_path, '/');
	int dir_len = slash ? (int)(slash - un->sun_path) + 1 : 0;
	int n = snprintf(tmp.sun_path, sizeof(tmp.sun_path), "%.*s.l%d", dir_len, un->sun_path,
			 (int)getpid());
	const struct sockaddr_un *at = n > 0 && (size_t)n < sizeof(tmp.sun_path) ? &tmp : un;
	if (at == &tmp)
		(void)unlink(tmp.sun_path); /* ours: a pid of an earlier run that died here */
	int rc = bind(fd, (const struct sockaddr *)at, sizeof(*at));
	if (rc == 0)
		rc = listen(fd, 1);
	if (rc == 0 && at == &tmp)
		rc = link(tmp.sun_path, un->sun_path);
	int saved = errno;
	if (at == &tmp)
		(void)unlink(tmp.sun_path);
	if (rc < 0) {
		snprintf(err, errlen, "listen on %s: %s", un->sun_path,
			 strerror(saved == EEXIST ? EADDRINUSE : saved));
		close(fd);
		return -1;
	}
	return fd;
}

int migrate_addr_listen(const char *addr, char *err, size_t errlen)
{
	struct migrate_addr p;
	if (migrate_addr_parse(addr, &p, err, errlen) < 0)
		return -1;
	if (p.is_unix)
		return listen_unix(&p.un, err, errlen);
	struct addrinfo *res;
	if (resolve(&p, true, &res, err, errlen) < 0)
		return -1;
	int fd = -1, one = 1;
	snprintf(err, errlen, "no address");
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 1) == 0)
			break;
		snprintf(err, errlen, "listen: %s", strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

int migrate_addr_accept(int listen_fd, int accept_timeout_s, int io_timeout_s, int stop_fd,
			char *err, size_t errlen)
{
	uint64_t deadline =
	    accept_timeout_s ? now_ns() + (uint64_t)accept_timeout_s * 1000000000ULL : 0;
	for (;;) {
		struct pollfd fds[2] = {{.fd = listen_fd, .events = POLLIN},
					{.fd = stop_fd, .events = POLLIN}};
		int timeout_ms = -1;
		if (deadline) {
			uint64_t now = now_ns();
			if (now >= deadline) {
				snprintf(err, errlen,
					 "no source connected within %d s (--accept-timeout)",
					 accept_timeout_s);
				return -1;
			}
			timeout_ms = (int)((deadline - now + 999999) / 1000000);
		}
		int n = poll(fds, 2, timeout_ms);
		if (n < 0 && errno != EINTR) {
			snprintf(err, errlen, "poll: %s", strerror(errno));
			return -1;
		}
		if (n > 0 && fds[1].revents) {
			snprintf(err, errlen, "stopped by a signal while waiting for the source");
			return -1;
		}
		if (n <= 0 || !(fds[0].revents & POLLIN))
			continue;
		int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0 && (errno == EINTR || errno == EAGAIN || errno == ECONNABORTED))
			continue;
		if (fd < 0) {
			snprintf(err, errlen, "accept: %s", strerror(errno));
			return -1;
		}
		set_timeouts(fd, io_timeout_s);
		return fd;
	}
}
