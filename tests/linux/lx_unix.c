/* --linux test program: AF_UNIX sockets inside one process (modes: all, hostile, sigpipe); each check prints "ok NAME" or "FAILED NAME: why", then "MODE: all checks passed". */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int failures;
static volatile int pipe_signals;

#define CHECK(name, cond, ...)                                                                     \
	do {                                                                                       \
		if (cond) {                                                                        \
			printf("ok %s\n", name);                                                   \
		} else {                                                                           \
			printf("FAILED %s: ", name);                                               \
			printf(__VA_ARGS__);                                                       \
			printf(" (errno %d %s)\n", errno, strerror(errno));                        \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

/* sendmsg without libc: musl copies (and bounds) control data itself, and these tests need the VMM to see it as given. */
static long raw_sendmsg(int sock, const struct msghdr *m, int flags)
{
	return syscall(SYS_sendmsg, sock, m, flags);
}

static void on_pipe(int sig)
{
	pipe_signals++;
}

static socklen_t path_addr(struct sockaddr_un *a, const char *path)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	strcpy(a->sun_path, path);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);
}

static socklen_t abstract_addr(struct sockaddr_un *a, const char *name)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	memcpy(a->sun_path + 1, name, strlen(name));
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name));
}

static uint32_t fnv(uint32_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/* 1 MiB through a nonblocking socketpair, both ends in this process, checksummed. */
static void stream_echo(void)
{
	int sv[2];
	CHECK("socketpair stream", socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0,
	      "socketpair");
	static uint8_t out[1 << 20], in[1 << 20];
	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)(i * 7 + (i >> 11));
	size_t sent = 0, got = 0, first = 0;
	int spins = 0;
	while (got < sizeof(in) && spins < 100000) {
		spins++;
		if (sent < sizeof(out)) {
			ssize_t n = write(sv[0], out + sent, sizeof(out) - sent);
			if (n > 0 && !sent)
				first = (size_t)n;
			if (n > 0)
				sent += (size_t)n;
			else if (errno != EAGAIN)
				break;
		}
		ssize_t n = read(sv[1], in + got, sizeof(in) - got);
		if (n > 0)
			got += (size_t)n;
		else if (n < 0 && errno != EAGAIN)
			break;
	}
	uint32_t h0 = fnv(2166136261u, out, sizeof(out)), h1 = fnv(2166136261u, in, got);
	CHECK("stream: 1 MiB echoed with the same checksum", got == sizeof(in) && h0 == h1,
	      "got %zu bytes, fnv %08x vs %08x", got, h1, h0);
	CHECK("stream: a nonblocking write stops at the socket buffer (about 208 KiB)",
	      first > 100000 && first < 300000, "first write took %zu bytes", first);
	char b[8];
	CHECK("stream: empty nonblocking read is EAGAIN", read(sv[1], b, 8) == -1 && errno == EAGAIN,
	      "read");
	CHECK("stream: the other direction", write(sv[1], "pong", 4) == 4 &&
						  recv(sv[0], b, 8, 0) == 4 && memcmp(b, "pong", 4) == 0,
	      "pong");
	CHECK("stream: MSG_PEEK leaves the data", send(sv[0], "peek", 4, 0) == 4 &&
						      recv(sv[1], b, 8, MSG_PEEK) == 4 &&
						      recv(sv[1], b, 8, 0) == 4 && memcmp(b, "peek", 4) == 0,
	      "peek");
	struct stat st;
	CHECK("fstat: a socket", fstat(sv[0], &st) == 0 && S_ISSOCK(st.st_mode), "mode %o",
	      st.st_mode);
	CHECK("lseek: ESPIPE", lseek(sv[0], 0, SEEK_SET) == -1 && errno == ESPIPE, "lseek");
	CHECK("shutdown(SHUT_WR): the peer reads EOF",
	      shutdown(sv[0], SHUT_WR) == 0 && read(sv[1], b, 8) == 0, "eof");
	CHECK("shutdown(SHUT_WR): a write is EPIPE",
	      send(sv[0], "x", 1, MSG_NOSIGNAL) == -1 && errno == EPIPE, "send");
	close(sv[0]);
	close(sv[1]);
}

static int send_fds(int sock, const int *fds, int n, const void *cred)
{
	char data = 'F';
	struct iovec iov = {&data, 1};
	union {
		char buf[CMSG_SPACE(sizeof(int) * 300) + CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} u;
	memset(&u, 0, sizeof(u));
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf};
	struct cmsghdr *c = (struct cmsghdr *)u.buf;
	size_t len = 0;
	if (n) {
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)n);
		len = CMSG_SPACE(sizeof(int) * (size_t)n);
		c = (struct cmsghdr *)(u.buf + len);
	}
	if (cred) {
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_CREDENTIALS;
		c->cmsg_len = CMSG_LEN(sizeof(struct ucred));
		memcpy(CMSG_DATA(c), cred, sizeof(struct ucred));
		len += CMSG_SPACE(sizeof(struct ucred));
	}
	m.msg_controllen = len;
	return (int)raw_sendmsg(sock, &m, MSG_DONTWAIT);
}

/* Receives one byte and the fds that came with it; returns their count or -1. */
static int recv_fds(int sock, int *fds, int max, int flags, int *msg_flags)
{
	char data;
	struct iovec iov = {&data, 1};
	union {
		char buf[CMSG_SPACE(sizeof(int) * 300)];
		struct cmsghdr align;
	} u;
	struct msghdr m = {.msg_iov = &iov,
			   .msg_iovlen = 1,
			   .msg_control = u.buf,
			   .msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)max)};
	if (recvmsg(sock, &m, flags | MSG_DONTWAIT) < 0)
		return -1;
	*msg_flags = m.msg_flags;
	int n = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			memcpy(fds, CMSG_DATA(c), sizeof(int) * (size_t)n);
		}
	return n;
}

static void fd_passing(void)
{
	int sv[2], fds[4], mf = 0;
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	int f = open("/tmp/passed.txt", O_CREAT | O_RDWR | O_TRUNC, 0600);
	CHECK("SCM_RIGHTS: a file to pass", f >= 0 && write(f, "passed contents", 15) == 15, "open");
	CHECK("SCM_RIGHTS: sendmsg with one fd", send_fds(sv[0], &f, 1, NULL) == 1, "sendmsg");
	close(f);
	int n = recv_fds(sv[1], fds, 4, MSG_CMSG_CLOEXEC, &mf);
	char buf[32] = {0};
	CHECK("SCM_RIGHTS: the received fd reads the file (same open description)",
	      n == 1 && lseek(fds[0], 0, SEEK_SET) == 0 && read(fds[0], buf, 31) == 15 &&
		  strcmp(buf, "passed contents") == 0,
	      "n=%d buf=%s", n, buf);
	CHECK("SCM_RIGHTS: MSG_CMSG_CLOEXEC", n == 1 && fcntl(fds[0], F_GETFD) == FD_CLOEXEC,
	      "flags %d", n == 1 ? fcntl(fds[0], F_GETFD) : -1);
	if (n == 1)
		close(fds[0]);
	/* A control buffer too small for the fds: MSG_CTRUNC, the rest dropped. */
	int three[3] = {0, 1, 2};
	send_fds(sv[0], three, 3, NULL);
	n = recv_fds(sv[1], fds, 1, 0, &mf);
	/* CMSG_SPACE(4) has room for two fds */
	CHECK("SCM_RIGHTS: a short control buffer gets MSG_CTRUNC", n == 2 && (mf & MSG_CTRUNC),
	      "n=%d flags=%x", n, mf);
	for (int i = 0; i < n; i++)
		close(fds[i]);
	/* Credentials: our own pass, forged ones are refused. */
	struct ucred me = {getpid(), getuid(), getgid()}, forged = {getpid() + 1, 0, 0};
	int one = 1;
	setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
	CHECK("SCM_CREDENTIALS: our own ids are accepted", send_fds(sv[0], NULL, 0, &me) == 1,
	      "send");
	char data;
	union {
		char buf[CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {&data, 1};
	struct msghdr m = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *c = recvmsg(sv[1], &m, MSG_DONTWAIT) == 1 ? CMSG_FIRSTHDR(&m) : NULL;
	struct ucred got = {0};
	if (c)
		memcpy(&got, CMSG_DATA(c), sizeof(got));
	CHECK("SO_PASSCRED: the receiver gets the sender's pid, uid, gid",
	      c && c->cmsg_type == SCM_CREDENTIALS && got.pid == me.pid && got.uid == me.uid &&
		  got.gid == me.gid,
	      "pid %d uid %u gid %u", got.pid, got.uid, got.gid);
	CHECK("SCM_CREDENTIALS: a forged pid is EPERM",
	      send_fds(sv[0], NULL, 0, &forged) == -1 && errno == EPERM, "send");
	struct ucred pc;
	socklen_t pl = sizeof(pc);
	CHECK("SO_PEERCRED of a socketpair: our pid, uid, gid",
	      getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &pc, &pl) == 0 && pl == sizeof(pc) &&
		  pc.pid == me.pid && pc.uid == me.uid && pc.gid == me.gid,
	      "pid %d uid %u gid %u", pc.pid, pc.uid, pc.gid);
	close(sv[0]);
	close(sv[1]);
}

static void path_socket(void)
{
	struct sockaddr_un a, got;
	socklen_t alen = path_addr(&a, "/tmp/lx.sock"), glen = sizeof(got);
	int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK("bind to /tmp/lx.sock", bind(l, (struct sockaddr *)&a, alen) == 0, "bind");
	struct stat st;
	CHECK("the bound path is a socket node", stat("/tmp/lx.sock", &st) == 0 && S_ISSOCK(st.st_mode),
	      "mode %o", st.st_mode);
	CHECK("open() of a socket node is ENXIO", open("/tmp/lx.sock", O_RDONLY) == -1 && errno == ENXIO,
	      "open");
	int c = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	CHECK("connect before listen is ECONNREFUSED",
	      connect(c, (struct sockaddr *)&a, alen) == -1 && errno == ECONNREFUSED, "connect");
	CHECK("listen", listen(l, 4) == 0, "listen");
	int l2 = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK("a second bind to the path is EADDRINUSE",
	      bind(l2, (struct sockaddr *)&a, alen) == -1 && errno == EADDRINUSE, "bind");
	close(l2);
	struct pollfd pf = {.fd = l, .events = POLLIN};
	CHECK("a listener with nothing queued is not readable", poll(&pf, 1, 0) == 0, "poll");
	CHECK("nonblocking connect to the listener", connect(c, (struct sockaddr *)&a, alen) == 0,
	      "connect");
	CHECK("the listener polls readable", poll(&pf, 1, 0) == 1 && (pf.revents & POLLIN),
	      "revents %x", pf.revents);
	int s = accept4(l, (struct sockaddr *)&got, &glen, SOCK_NONBLOCK);
	CHECK("accept4 gets the connection, an unnamed peer", s >= 0 && glen == sizeof(sa_family_t),
	      "fd %d len %u", s, glen);
	CHECK("accept4 SOCK_NONBLOCK", s >= 0 && (fcntl(s, F_GETFL) & O_NONBLOCK), "flags");
	char b[16];
	CHECK("data both ways over the accepted connection",
	      write(c, "hi", 2) == 2 && read(s, b, 16) == 2 && write(s, "yo", 2) == 2 &&
		  read(c, b, 16) == 2 && memcmp(b, "yo", 2) == 0,
	      "io");
	glen = sizeof(got);
	CHECK("getsockname of the accepted socket: the listener's path",
	      getsockname(s, (struct sockaddr *)&got, &glen) == 0 && glen == alen &&
		  strcmp(got.sun_path, "/tmp/lx.sock") == 0,
	      "len %u path %s", glen, got.sun_path);
	glen = sizeof(got);
	CHECK("getpeername of the client: the listener's path",
	      getpeername(c, (struct sockaddr *)&got, &glen) == 0 &&
		  strcmp(got.sun_path, "/tmp/lx.sock") == 0,
	      "path %s", got.sun_path);
	struct ucred pc;
	socklen_t pl = sizeof(pc);
	CHECK("SO_PEERCRED of an accepted connection: our pid",
	      getsockopt(s, SOL_SOCKET, SO_PEERCRED, &pc, &pl) == 0 && pc.pid == getpid(), "pid %d",
	      pc.pid);
	int v = 0;
	socklen_t vl = sizeof(v);
	CHECK("SO_ACCEPTCONN of the listener", getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl) == 0 && v == 1,
	      "v=%d", v);
	CHECK("accept with nothing queued is EAGAIN (nonblocking)",
	      fcntl(l, F_SETFL, O_NONBLOCK) == 0 && accept(l, NULL, NULL) == -1 && errno == EAGAIN,
	      "accept");
	close(s);
	pf = (struct pollfd){.fd = c, .events = POLLIN};
	CHECK("the client sees POLLHUP and EOF once the server closed",
	      poll(&pf, 1, 0) == 1 && (pf.revents & POLLHUP) && read(c, b, 16) == 0, "revents %x",
	      pf.revents);
	close(c);
	close(l);
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK("connect after the listener closed is ECONNREFUSED",
	      connect(c, (struct sockaddr *)&a, alen) == -1 && errno == ECONNREFUSED, "connect");
	unlink("/tmp/lx.sock");
	CHECK("connect to a removed path is ENOENT",
	      connect(c, (struct sockaddr *)&a, alen) == -1 && errno == ENOENT, "connect");
	close(c);
}

static void datagrams(void)
{
	struct sockaddr_un a, from;
	socklen_t alen = abstract_addr(&a, "lx-dgram"), flen = sizeof(from);
	int r = socket(AF_UNIX, SOCK_DGRAM, 0), w = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK("dgram: bind an abstract name", bind(r, (struct sockaddr *)&a, alen) == 0, "bind");
	CHECK("dgram: autobind (an empty address)",
	      bind(w, (struct sockaddr *)&a, sizeof(sa_family_t)) == 0 &&
		  getsockname(w, (struct sockaddr *)&from, &flen) == 0 && flen == 8 &&
		  from.sun_path[0] == 0,
	      "len %u", flen);
	char big[100], small[10];
	memset(big, 'd', sizeof(big));
	CHECK("dgram: sendto the abstract name",
	      sendto(w, big, sizeof(big), 0, (struct sockaddr *)&a, alen) == 100, "sendto");
	flen = sizeof(from);
	CHECK("dgram: MSG_TRUNC returns the whole length",
	      recvfrom(r, small, sizeof(small), MSG_TRUNC | MSG_DONTWAIT, (struct sockaddr *)&from,
		       &flen) == 100 &&
		  flen == 8,
	      "flen %u", flen);
	sendto(w, big, sizeof(big), 0, (struct sockaddr *)&a, alen);
	struct iovec iov = {small, sizeof(small)};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	CHECK("dgram: recvmsg flags MSG_TRUNC, the rest dropped",
	      recvmsg(r, &m, MSG_DONTWAIT) == 10 && (m.msg_flags & MSG_TRUNC) &&
		  recv(r, small, 10, MSG_DONTWAIT) == -1 && errno == EAGAIN,
	      "flags %x", m.msg_flags);
	CHECK("dgram: sendto a name nobody holds is ECONNREFUSED",
	      sendto(w, big, 1, 0, (struct sockaddr *)&a, abstract_addr(&from, "nobody")) == -1 &&
		  errno == ECONNREFUSED,
	      "sendto");
	CHECK("dgram: send without a peer is ENOTCONN", send(w, big, 1, 0) == -1 && errno == ENOTCONN,
	      "send");
	CHECK("dgram: a record larger than the send buffer is EMSGSIZE",
	      sendto(w, malloc(1 << 20), 1 << 20, 0, (struct sockaddr *)&a, alen) == -1 &&
		  errno == EMSGSIZE,
	      "sendto");
	int n = 0;
	while (sendto(w, big, 1, MSG_DONTWAIT, (struct sockaddr *)&a, alen) == 1 && n < 100000)
		n++;
	CHECK("dgram: a full queue is EAGAIN, bounded", errno == EAGAIN && n > 10 && n < 100000,
	      "%d queued", n);
	close(r);
	close(w);
}

static void seqpacket(void)
{
	int sv[2];
	char b[64];
	CHECK("seqpacket: socketpair", socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0, "socketpair");
	send(sv[0], "abc", 3, 0);
	send(sv[0], "defgh", 5, 0);
	send(sv[0], "0123456789", 10, 0);
	CHECK("seqpacket: records keep their boundaries",
	      recv(sv[1], b, 64, 0) == 3 && recv(sv[1], b, 64, 0) == 5 && memcmp(b, "defgh", 5) == 0,
	      "recv");
	CHECK("seqpacket: a short read truncates the record",
	      recv(sv[1], b, 4, 0) == 4 && recv(sv[1], b, 64, MSG_DONTWAIT) == -1 && errno == EAGAIN,
	      "recv");
	close(sv[0]);
	CHECK("seqpacket: EOF once the peer closed", recv(sv[1], b, 64, 0) == 0, "recv");
	close(sv[1]);
}

static void pipes_and_poll(void)
{
	int sv[2];
	char b[8];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	struct pollfd pf[2] = {{.fd = sv[0], .events = POLLIN | POLLOUT}, {.fd = sv[1], .events = POLLIN}};
	CHECK("poll: writable, nothing to read", poll(pf, 2, 0) == 1 && pf[0].revents == POLLOUT,
	      "revents %x %x", pf[0].revents, pf[1].revents);
	write(sv[0], "x", 1);
	CHECK("poll: readable after a write", poll(pf, 2, 0) == 2 && (pf[1].revents & POLLIN),
	      "revents %x", pf[1].revents);
	fd_set rd;
	FD_ZERO(&rd);
	FD_SET(sv[1], &rd);
	struct timeval tv = {0, 0};
	CHECK("select: readable", select(sv[1] + 1, &rd, NULL, NULL, &tv) == 1 && FD_ISSET(sv[1], &rd),
	      "select");
	struct timeval to = {0, 100000};
	setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &to, sizeof(to));
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ssize_t n = recv(sv[0], b, 8, 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	CHECK("SO_RCVTIMEO: a blocking recv gives up with EAGAIN", n == -1 && errno == EAGAIN && ms >= 90,
	      "n=%zd after %.0f ms", n, ms);
	signal(SIGPIPE, on_pipe);
	close(sv[1]);
	CHECK("EPIPE with SIGPIPE once the peer closed",
	      write(sv[0], "x", 1) == -1 && errno == EPIPE && pipe_signals == 1, "signals %d",
	      pipe_signals);
	CHECK("MSG_NOSIGNAL: EPIPE, no signal",
	      send(sv[0], "x", 1, MSG_NOSIGNAL) == -1 && errno == EPIPE && pipe_signals == 1,
	      "signals %d", pipe_signals);
	close(sv[0]);
}

static void options_and_errors(void)
{
	int s = socket(AF_UNIX, SOCK_STREAM, 0), v = 0;
	socklen_t vl = sizeof(v);
	CHECK("SO_TYPE", getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &vl) == 0 && v == SOCK_STREAM, "%d", v);
	vl = sizeof(v);
	CHECK("SO_ERROR", getsockopt(s, SOL_SOCKET, SO_ERROR, &v, &vl) == 0 && v == 0, "%d", v);
	v = 10000;
	setsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	vl = sizeof(v);
	CHECK("SO_SNDBUF is doubled, as Linux",
	      getsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, &vl) == 0 && v == 20000, "%d", v);
	v = 1;
	CHECK("SO_REUSEADDR, SO_KEEPALIVE are accepted",
	      setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, sizeof(v)) == 0 &&
		  setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &v, sizeof(v)) == 0,
	      "setsockopt");
	CHECK("an unknown option is ENOPROTOOPT",
	      setsockopt(s, SOL_SOCKET, 9999, &v, sizeof(v)) == -1 && errno == ENOPROTOOPT, "opt");
	char b[4];
	CHECK("recv on an unconnected stream socket is EINVAL",
	      recv(s, b, 4, MSG_DONTWAIT) == -1 && errno == EINVAL, "recv");
	CHECK("send on an unconnected stream socket is ENOTCONN",
	      send(s, b, 4, MSG_DONTWAIT) == -1 && errno == ENOTCONN, "send");
	struct sockaddr_un a;
	socklen_t alen = abstract_addr(&a, "lx-nobody");
	CHECK("connect to an abstract name nobody holds is ECONNREFUSED",
	      connect(s, (struct sockaddr *)&a, alen) == -1 && errno == ECONNREFUSED, "connect");
	CHECK("getsockopt on a pipe is ENOTSOCK",
	      getsockopt(0, SOL_SOCKET, SO_TYPE, &v, &vl) == -1 && errno == ENOTSOCK, "getsockopt");
	close(s);
	CHECK("AF_PACKET is EAFNOSUPPORT",
	      socket(AF_PACKET, SOCK_RAW, 0) == -1 && errno == EAFNOSUPPORT, "socket");
	CHECK("AF_VSOCK is EAFNOSUPPORT",
	      socket(AF_VSOCK, SOCK_STREAM, 0) == -1 && errno == EAFNOSUPPORT, "socket");
	CHECK("a raw AF_UNIX type is ESOCKTNOSUPPORT",
	      socket(AF_UNIX, SOCK_RAW, 0) == -1 && errno == ESOCKTNOSUPPORT, "socket");
	int fds[70], n = 0;
	while (n < 70 && (fds[n] = socket(AF_UNIX, SOCK_DGRAM, 0)) >= 0)
		n++;
	CHECK("sockets past the fd limit are EMFILE", n < 70 && errno == EMFILE, "%d opened", n);
	while (n > 0)
		close(fds[--n]);
}

/* sendmsg with a hand-made control buffer of ctllen bytes whose first cmsg says cmsg_len. */
static long send_raw_cmsg(int sock, uint64_t cmsg_len, int type, size_t ctllen)
{
	static uint64_t ctl[64];
	memset(ctl, 0, sizeof(ctl));
	ctl[0] = cmsg_len;
	ctl[1] = (uint64_t)SOL_SOCKET | (uint64_t)type << 32;
	char data = 'x';
	struct iovec iov = {&data, 1};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = ctllen};
	return raw_sendmsg(sock, &m, MSG_DONTWAIT);
}

static void hostile(void)
{
	int bad = 0, mfile = 0;
	for (int i = 0; i < 20000; i++) {
		int s = socket(AF_UNIX, SOCK_STREAM, 0);
		if (s < 0)
			bad++;
		else
			close(s);
	}
	CHECK("20000 socket() and close(): never a failure (nothing kept)", bad == 0, "%d failed", bad);
	int opened = 0;
	for (int i = 0; i < 100000; i++) {
		int s = socket(AF_UNIX, SOCK_DGRAM, 0);
		if (s >= 0)
			opened++;
		else if (errno == EMFILE)
			mfile++;
	}
	CHECK("100000 socket() kept open: bounded by the fd limit, the rest EMFILE",
	      opened < 64 && opened + mfile == 100000, "%d opened, %d EMFILE", opened, mfile);
	for (int fd = 3; fd < 64; fd++)
		close(fd);
	/* Sockets sent over themselves, then closed: collected, never kept (else ENFILE). */
	bad = 0;
	for (int i = 0; i < 2000 && !bad; i++) {
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
			bad = i + 1;
			break;
		}
		if (send_fds(sv[0], &sv[0], 1, NULL) != 1 || send_fds(sv[1], sv, 2, NULL) != 1)
			bad = -(i + 1);
		close(sv[0]);
		close(sv[1]);
	}
	CHECK("2000 SCM_RIGHTS loops (a socket sent over itself) never leak", bad == 0,
	      "failed at round %d", bad);
	/* A chain: each pair carries the next; closing the first frees them all. */
	bad = 0;
	for (int round = 0; round < 20 && !bad; round++) {
		int first[2], cur[2];
		if (socketpair(AF_UNIX, SOCK_DGRAM, 0, first) < 0) {
			bad = 1;
			break;
		}
		cur[0] = first[0], cur[1] = first[1];
		for (int k = 0; k < 200; k++) {
			int next[2];
			if (socketpair(AF_UNIX, SOCK_DGRAM, 0, next) < 0 || send_fds(cur[0], next, 2, NULL) != 1) {
				bad = 2;
				break;
			}
			if (cur[0] != first[0]) {
				close(cur[0]);
				close(cur[1]);
			}
			cur[0] = next[0], cur[1] = next[1];
		}
		close(cur[0]);
		close(cur[1]);
		close(first[0]);
		close(first[1]);
	}
	CHECK("a chain of 200 socket pairs in flight is freed by one close (20 rounds)", bad == 0,
	      "bad %d", bad);
	/* Files dropped unread with their socket: the file's references go too. */
	bad = 0;
	for (int i = 0; i < 2000 && !bad; i++) {
		int sv[2], f = open("/tmp/inflight", O_CREAT | O_RDWR, 0600);
		if (f < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 || send_fds(sv[0], &f, 1, NULL) != 1)
			bad = i + 1;
		close(f);
		close(sv[1]);
		close(sv[0]);
	}
	CHECK("2000 messages with a file dropped unread: nothing kept", bad == 0, "round %d", bad);
	int p[2], sp[2];
	char c;
	pipe2(p, O_NONBLOCK); /* a write end still open somewhere: EAGAIN, not a hang */
	socketpair(AF_UNIX, SOCK_DGRAM, 0, sp);
	send_fds(sp[0], &p[1], 1, NULL);
	close(p[1]);
	close(sp[0]);
	close(sp[1]);
	CHECK("a message dropped unread closes the files it carried (the pipe reader sees EOF)",
	      read(p[0], &c, 1) == 0, "read");
	close(p[0]);
	pipe2(p, O_NONBLOCK);
	socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
	send_fds(sp[0], &p[1], 1, NULL);
	send_fds(sp[0], &sp[0], 1, NULL);
	send_fds(sp[1], &sp[1], 1, NULL);
	close(p[1]);
	close(sp[0]);
	close(sp[1]);
	CHECK("a cycle of sockets in flight is collected with the files it carried (EOF)",
	      read(p[0], &c, 1) == 0, "read");
	close(p[0]);
	int sv[2], many[254];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	for (int i = 0; i < 254; i++)
		many[i] = 0;
	CHECK("SCM_RIGHTS with 254 fds is EINVAL (at most 253)",
	      send_fds(sv[0], many, 254, NULL) == -1 && errno == EINVAL, "send");
	int sent = 0;
	while (sent < 10 && send_fds(sv[0], many, 253, NULL) == 1)
		sent++;
	CHECK("files in flight are bounded per VM (ETOOMANYREFS)", sent == 4 && errno == ETOOMANYREFS,
	      "%d messages of 253", sent);
	int recvd[300], mf = 0, n = recv_fds(sv[1], recvd, 253, 0, &mf);
	CHECK("253 fds received up to the fd limit, the rest dropped with MSG_CTRUNC",
	      n > 0 && n < 64 && (mf & MSG_CTRUNC), "n=%d flags %x", n, mf);
	for (int i = 0; i < n; i++)
		close(recvd[i]);
	CHECK("a cmsg_len below the header is EINVAL", send_raw_cmsg(sv[0], 8, SCM_RIGHTS, 64) == -1 && errno == EINVAL, "send");
	CHECK("a cmsg_len past the control buffer is EINVAL",
	      send_raw_cmsg(sv[0], 400, SCM_RIGHTS, 64) == -1 && errno == EINVAL, "send");
	CHECK("SCM_CREDENTIALS of the wrong length is EINVAL",
	      send_raw_cmsg(sv[0], 20, SCM_CREDENTIALS, 64) == -1 && errno == EINVAL, "send");
	CHECK("SCM_RIGHTS naming a closed fd is EBADF",
	      send_fds(sv[0], (int[]){60}, 1, NULL) == -1 && errno == EBADF, "send");
	char data = 'x';
	struct iovec iov = {&data, 1};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = (void *)8, .msg_controllen = 64};
	CHECK("a control buffer at a bad address is EFAULT", raw_sendmsg(sv[0], &m, 0) == -1 && errno == EFAULT, "send");
	m.msg_controllen = 1u << 30;
	CHECK("a huge msg_controllen is ENOBUFS", raw_sendmsg(sv[0], &m, 0) == -1 && errno == ENOBUFS, "send");
	m = (struct msghdr){.msg_iov = (void *)8, .msg_iovlen = 1};
	CHECK("an iovec array at a bad address is EFAULT", raw_sendmsg(sv[0], &m, 0) == -1 && errno == EFAULT, "send");
	m.msg_iovlen = 2000;
	CHECK("2000 iovecs is EMSGSIZE", raw_sendmsg(sv[0], &m, 0) == -1 && errno == EMSGSIZE, "send");
	CHECK("a msghdr at a bad address is EFAULT (sendmsg, recvmsg)",
	      syscall(SYS_sendmsg, sv[0], 8L, 0) == -1 && errno == EFAULT &&
		  syscall(SYS_recvmsg, sv[0], 8L, 0) == -1 && errno == EFAULT,
	      "msghdr");
	iov = (struct iovec){(void *)8, 16};
	m = (struct msghdr){.msg_iov = &iov, .msg_iovlen = 1};
	CHECK("a data buffer at a bad address is EFAULT", raw_sendmsg(sv[0], &m, 0) == -1 && errno == EFAULT, "send");
	struct sockaddr_un a;
	CHECK("an address longer than sockaddr_un is EINVAL",
	      bind(sv[0], (struct sockaddr *)&a, 200) == -1 && errno == EINVAL, "bind");
	a.sun_family = AF_INET;
	CHECK("an AF_INET address on an AF_UNIX socket is EINVAL",
	      bind(sv[0], (struct sockaddr *)&a, sizeof(a)) == -1 && errno == EINVAL, "bind");
	int l108 = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	memcpy(a.sun_path, "/tmp/", 5);
	memset(a.sun_path + 5, 'L', sizeof(a.sun_path) - 5); /* 108 bytes, no NUL */
	struct sockaddr_storage got;
	socklen_t glen = sizeof(got);
	CHECK("a 108-byte path without a NUL binds; getsockname says 111 bytes, as Linux",
	      bind(l108, (struct sockaddr *)&a, sizeof(a)) == 0 &&
		  getsockname(l108, (struct sockaddr *)&got, &glen) == 0 && glen == sizeof(a) + 1,
	      "len %u", glen);
	close(l108);
	int v, neg = -1;
	CHECK("getsockopt with a negative length is EINVAL",
	      getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, (socklen_t *)&neg) == -1 && errno == EINVAL, "opt");
	CHECK("getsockname with a bad length pointer is EFAULT",
	      syscall(SYS_getsockname, sv[0], &a, 8L) == -1 && errno == EFAULT, "getsockname");
	close(sv[0]);
	close(sv[1]);
	bad = 0;
	for (int i = 0; i < 2000 && !bad; i++) {
		int p[2];
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, p) < 0)
			bad = i + 1;
		close(p[0]);
		close(p[1]);
	}
	CHECK("after all of it, sockets are still made (nothing leaked)", bad == 0, "round %d", bad);
}

static void sigpipe_mode(void)
{
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	close(sv[1]);
	printf("writing to a closed peer\n");
	fflush(stdout);
	write(sv[0], "x", 1);
	printf("still alive\n");
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "all";
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(mode, "sigpipe") == 0) {
		sigpipe_mode();
		return 0;
	}
	if (strcmp(mode, "all") == 0) {
		stream_echo();
		fd_passing();
		path_socket();
		datagrams();
		seqpacket();
		pipes_and_poll();
		options_and_errors();
	} else {
		hostile();
	}
	if (failures)
		return 1;
	printf("%s: all checks passed\n", mode);
	return 0;
}
