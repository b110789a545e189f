/* --linux test program: AF_INET/AF_INET6 TCP and UDP on the VM's loopback, both ends in one process (modes: all, hostile); each check prints "ok NAME" or "FAILED NAME: why", then "MODE: all checks passed". */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int failures;

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

#define ECHO_BYTES (1 << 20)

static struct sockaddr_in v4(uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static struct sockaddr_in6 v6(uint16_t port)
{
	struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
	a.sin6_addr = in6addr_loopback;
	return a;
}

static uint32_t fnv(uint32_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/* A listener on the loopback at an ephemeral port; *port gets it. */
static int listener(int family, uint16_t *port, int backlog)
{
	int l = socket(family, SOCK_STREAM, 0), one = 1;
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_storage ss;
	socklen_t len;
	if (family == AF_INET) {
		struct sockaddr_in a = v4(0);
		len = sizeof(a);
		memcpy(&ss, &a, len);
	} else {
		struct sockaddr_in6 a = v6(0);
		len = sizeof(a);
		memcpy(&ss, &a, len);
	}
	if (l < 0 || bind(l, (struct sockaddr *)&ss, len) < 0 || listen(l, backlog) < 0)
		return -1;
	len = sizeof(ss);
	getsockname(l, (struct sockaddr *)&ss, &len);
	*port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return l;
}

/* Connects a non-blocking client to port and accepts it: 0 or -1. */
static int pair(int family, uint16_t port, int l, int *c, int *s)
{
	struct sockaddr_in a4 = v4(port);
	struct sockaddr_in6 a6 = v6(port);
	*c = socket(family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int rc = family == AF_INET ? connect(*c, (struct sockaddr *)&a4, sizeof(a4))
				   : connect(*c, (struct sockaddr *)&a6, sizeof(a6));
	if (rc < 0 && errno != EINPROGRESS)
		return -1;
	struct pollfd p = {*c, POLLOUT, 0};
	if (poll(&p, 1, 5000) != 1)
		return -1;
	*s = accept4(l, NULL, NULL, SOCK_NONBLOCK);
	return *s < 0 ? -1 : 0;
}

/* 1 MiB from c to s and back, non-blocking, driven by poll; both checksums compared. */
static void echo(const char *what, int c, int s)
{
	uint8_t *out = malloc(ECHO_BYTES), *back = malloc(ECHO_BYTES), buf[65536];
	for (size_t i = 0; i < ECHO_BYTES; i++)
		out[i] = (uint8_t)(i * 7 + (i >> 11));
	size_t sent = 0, echoed = 0, got = 0, at_server = 0;
	uint8_t *mid = malloc(ECHO_BYTES);
	int rounds = 0;
	while (got < ECHO_BYTES && rounds++ < 200000) {
		struct pollfd p[2] = {{c, POLLIN | (sent < ECHO_BYTES ? POLLOUT : 0), 0},
				      {s, POLLIN | (echoed < at_server ? POLLOUT : 0), 0}};
		if (poll(p, 2, 1000) < 0)
			break;
		if (p[0].revents & POLLOUT) {
			ssize_t n = send(c, out + sent, ECHO_BYTES - sent, MSG_NOSIGNAL);
			if (n > 0)
				sent += (size_t)n;
		}
		if (p[1].revents & POLLIN) {
			ssize_t n = recv(s, mid + at_server, ECHO_BYTES - at_server, 0);
			if (n > 0)
				at_server += (size_t)n;
		}
		if (echoed < at_server) {
			ssize_t n = send(s, mid + echoed, at_server - echoed, MSG_DONTWAIT);
			if (n > 0)
				echoed += (size_t)n;
		}
		if (p[0].revents & POLLIN) {
			ssize_t n = recv(c, buf, sizeof(buf), MSG_DONTWAIT);
			if (n > 0) {
				memcpy(back + got, buf, (size_t)n);
				got += (size_t)n;
			}
		}
	}
	char name[96];
	snprintf(name, sizeof(name), "%s: 1 MiB echoed, checksum equal", what);
	CHECK(name, got == ECHO_BYTES && fnv(2166136261u, out, ECHO_BYTES) == fnv(2166136261u, back, ECHO_BYTES),
	      "got %zu of %d bytes after %d rounds", got, ECHO_BYTES, rounds);
	free(out);
	free(back);
	free(mid);
}

/* A 32 KiB send over the loopback, then one blocking recv of 64 KiB: it takes
 * all 32 KiB, what arrives while it copies included (lwIP holds the send's
 * last, short segment back until the first ones are acknowledged, which the
 * reading does), as Linux's recv copies while its queue has data. */
static void recv_whole(void)
{
	static char out[32 << 10], in[64 << 10];
	uint16_t port;
	int l = listener(AF_INET, &port, 1), c, s;
	if (l < 0 || pair(AF_INET, port, l, &c, &s) < 0) {
		CHECK("tcp: one recv takes a 32 KiB send whole", 0, "pair");
		return;
	}
	fcntl(s, F_SETFL, 0); /* blocking */
	memset(out, 'w', sizeof(out));
	ssize_t w = send(c, out, sizeof(out), 0), r = recv(s, in, sizeof(in), 0);
	CHECK("tcp: one recv takes a 32 KiB send whole (what arrives while it copies)",
	      w == (ssize_t)sizeof(out) && r == w, "sent %zd, got %zd", w, r);
	close(c);
	close(s);
	close(l);
}

static void tcp4(void)
{
	uint16_t port;
	int l = listener(AF_INET, &port, 8), c, s;
	CHECK("tcp4: listener on 127.0.0.1 at an ephemeral port", l >= 0 && port, "l %d port %u", l, port);
	CHECK("tcp4: non-blocking connect and accept", pair(AF_INET, port, l, &c, &s) == 0, "pair");
	int err = -1;
	socklen_t elen = sizeof(err);
	getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &elen);
	CHECK("tcp4: SO_ERROR 0 after the connect", err == 0, "SO_ERROR %d", err);
	struct sockaddr_in a, b;
	socklen_t al = sizeof(a), bl = sizeof(b);
	getsockname(c, (struct sockaddr *)&a, &al);
	getpeername(s, (struct sockaddr *)&b, &bl);
	CHECK("tcp4: getsockname of the client is getpeername of the server",
	      al == sizeof(a) && bl == sizeof(b) && a.sin_family == AF_INET &&
		      a.sin_port == b.sin_port && a.sin_addr.s_addr == htonl(INADDR_LOOPBACK) &&
		      b.sin_addr.s_addr == a.sin_addr.s_addr,
	      "%u:%x vs %u:%x", ntohs(a.sin_port), a.sin_addr.s_addr, ntohs(b.sin_port), b.sin_addr.s_addr);
	getpeername(c, (struct sockaddr *)&a, &al);
	CHECK("tcp4: getpeername of the client is the listener's port", ntohs(a.sin_port) == port, "%u", ntohs(a.sin_port));
	int one = 1, v = 0;
	socklen_t vl = sizeof(v);
	CHECK("tcp4: TCP_NODELAY set and read back",
	      setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == 0 &&
		      getsockopt(c, IPPROTO_TCP, TCP_NODELAY, &v, &vl) == 0 && v == 1, "v %d", v);
	CHECK("tcp4: SO_KEEPALIVE accepted", setsockopt(c, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)) == 0, "set");
	echo("tcp4", c, s);
	char x;
	CHECK("tcp4: recv with nothing queued is EAGAIN", recv(c, &x, 1, MSG_DONTWAIT) == -1 && errno == EAGAIN, "recv");
	send(c, "peek", 4, 0);
	char pk[8] = {0};
	struct pollfd p = {s, POLLIN, 0};
	poll(&p, 1, 1000);
	CHECK("tcp4: MSG_PEEK leaves the bytes queued",
	      recv(s, pk, 4, MSG_PEEK) == 4 && recv(s, pk + 4, 4, 0) == 4 && memcmp(pk, "peekpeek", 8) == 0,
	      "%.8s", pk);
	shutdown(c, SHUT_WR);
	poll(&p, 1, 1000);
	CHECK("tcp4: shutdown(SHUT_WR) is end of file at the other end", recv(s, pk, 1, 0) == 0, "recv");
	close(s);
	p = (struct pollfd){c, POLLIN, 0};
	poll(&p, 1, 1000);
	CHECK("tcp4: the server's close is end of file at the client", recv(c, pk, 1, 0) == 0, "recv");
	close(c);
	close(l);
}

static void tcp6(void)
{
	uint16_t port;
	int l = listener(AF_INET6, &port, 8), c, s;
	CHECK("tcp6: listener on ::1", l >= 0 && port, "l %d", l);
	CHECK("tcp6: connect and accept over ::1", pair(AF_INET6, port, l, &c, &s) == 0, "pair");
	struct sockaddr_in6 a;
	socklen_t al = sizeof(a);
	getpeername(s, (struct sockaddr *)&a, &al);
	CHECK("tcp6: getpeername is ::1", al == sizeof(a) && a.sin6_family == AF_INET6 &&
						   IN6_IS_ADDR_LOOPBACK(&a.sin6_addr),
	      "len %u family %d", al, a.sin6_family);
	echo("tcp6", c, s);
	close(c);
	close(s);
	close(l);
}

static void udp(void)
{
	int a = socket(AF_INET, SOCK_DGRAM, 0), b = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = v4(0), sb;
	socklen_t len = sizeof(sb);
	CHECK("udp4: bind to an ephemeral port", bind(b, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
							    getsockname(b, (struct sockaddr *)&sb, &len) == 0 && sb.sin_port,
	      "bind");
	int ok = 1;
	for (int i = 0; i < 50 && ok; i++) {
		char msg[64], got[64];
		int n = snprintf(msg, sizeof(msg), "datagram %d", i);
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ok = sendto(a, msg, (size_t)n, 0, (struct sockaddr *)&sb, sizeof(sb)) == n &&
		     recvfrom(b, got, sizeof(got), MSG_DONTWAIT, (struct sockaddr *)&from, &fl) == n &&
		     memcmp(msg, got, (size_t)n) == 0 && from.sin_addr.s_addr == htonl(INADDR_LOOPBACK);
	}
	CHECK("udp4: 50 datagrams, each whole with its sender", ok, "a datagram differed");
	char big[3000], small[10];
	memset(big, 'u', sizeof(big));
	sendto(a, big, sizeof(big), 0, (struct sockaddr *)&sb, sizeof(sb));
	CHECK("udp4: MSG_TRUNC returns the datagram's full length",
	      recv(b, small, sizeof(small), MSG_TRUNC | MSG_DONTWAIT) == (ssize_t)sizeof(big), "recv");
	CHECK("udp4: an empty queue is EAGAIN", recv(b, small, 1, MSG_DONTWAIT) == -1 && errno == EAGAIN, "recv");
	CHECK("udp4: connect then send without address", connect(a, (struct sockaddr *)&sb, sizeof(sb)) == 0 &&
								   send(a, "x", 1, 0) == 1 &&
								   recv(b, small, 1, MSG_DONTWAIT) == 1,
	      "send");
	close(a);
	close(b);
	int c = socket(AF_INET6, SOCK_DGRAM, 0), d = socket(AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 s6 = v6(0), d6;
	len = sizeof(d6);
	bind(d, (struct sockaddr *)&s6, sizeof(s6));
	getsockname(d, (struct sockaddr *)&d6, &len);
	char g[4];
	CHECK("udp6: a datagram over ::1", sendto(c, "six", 3, 0, (struct sockaddr *)&d6, sizeof(d6)) == 3 &&
						   recv(d, g, sizeof(g), MSG_DONTWAIT) == 3 && memcmp(g, "six", 3) == 0,
	      "sendto");
	close(c);
	close(d);
}

static void errors(void)
{
	uint16_t port;
	int l = listener(AF_INET, &port, 4);
	int x = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = v4(port);
	CHECK("bind to a port in use is EADDRINUSE",
	      bind(x, (struct sockaddr *)&a, sizeof(a)) == -1 && errno == EADDRINUSE, "bind");
	close(x);
	close(l);
	x = socket(AF_INET, SOCK_STREAM, 0);
	CHECK("connect to a closed port is ECONNREFUSED (a reset)",
	      connect(x, (struct sockaddr *)&a, sizeof(a)) == -1 && errno == ECONNREFUSED, "connect");
	close(x);
	x = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int rc = connect(x, (struct sockaddr *)&a, sizeof(a)), err = 0;
	struct pollfd p = {x, POLLOUT, 0};
	poll(&p, 1, 1000);
	socklen_t el = sizeof(err);
	getsockopt(x, SOL_SOCKET, SO_ERROR, &err, &el);
	CHECK("non-blocking connect to a closed port: SO_ERROR is ECONNREFUSED",
	      (rc == 0 || errno == EINPROGRESS || errno == ECONNREFUSED) && (err == ECONNREFUSED || (rc == -1 && errno == ECONNREFUSED)),
	      "rc %d SO_ERROR %d", rc, err);
	close(x);
	/* connect again once the handshake is done: 0 (the call that sees it
	 * done, as a blocking connect restarted after a signal does), then
	 * EISCONN. Over loopback the handshake ends inside connect, so a full
	 * backlog holds it back: the second client's SYN is dropped until the
	 * first is accepted, and its retransmission completes it. */
	l = listener(AF_INET, &port, 1);
	a = v4(port);
	int first = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	connect(first, (struct sockaddr *)&a, sizeof(a));
	x = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	rc = connect(x, (struct sockaddr *)&a, sizeof(a));
	int rc_errno = errno, taken = accept(l, NULL, NULL);
	p = (struct pollfd){x, POLLOUT, 0};
	int ready = poll(&p, 1, 10000);
	int again = connect(x, (struct sockaddr *)&a, sizeof(a)), again_errno = errno;
	CHECK("connect: a retry after the handshake completed returns 0",
	      rc == -1 && rc_errno == EINPROGRESS && ready == 1 && again == 0,
	      "rc %d errno %d, poll %d, retry %d errno %d", rc, rc_errno, ready, again, again_errno);
	CHECK("connect: once connected, another connect is EISCONN",
	      connect(x, (struct sockaddr *)&a, sizeof(a)) == -1 && errno == EISCONN, "connect");
	close(x);
	close(first);
	close(taken);
	close(l);
	x = socket(AF_INET, SOCK_STREAM, 0);
	CHECK("a 15-byte sockaddr_in is EINVAL", bind(x, (struct sockaddr *)&a, 15) == -1 && errno == EINVAL, "bind");
	struct sockaddr_in6 s6 = v6(0);
	CHECK("an AF_INET6 address on an AF_INET socket is EAFNOSUPPORT",
	      bind(x, (struct sockaddr *)&s6, sizeof(s6)) == -1 && errno == EAFNOSUPPORT, "bind");
	close(x);
	x = socket(AF_INET6, SOCK_STREAM, 0);
	CHECK("a 20-byte sockaddr_in6 is EINVAL", bind(x, (struct sockaddr *)&s6, 20) == -1 && errno == EINVAL, "bind");
	int one = 1, v = 0;
	socklen_t vl = sizeof(v);
	CHECK("IPV6_V6ONLY set and read back", setsockopt(x, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) == 0 &&
							getsockopt(x, IPPROTO_IPV6, IPV6_V6ONLY, &v, &vl) == 0 && v == 1,
	      "v %d", v);
	close(x);
	CHECK("SOCK_SEQPACKET over AF_INET is EPROTONOSUPPORT",
	      socket(AF_INET, SOCK_SEQPACKET, 0) == -1 && errno == EPROTONOSUPPORT, "socket");
	int sv[2];
	CHECK("socketpair(AF_INET) is EOPNOTSUPP", socketpair(AF_INET, SOCK_STREAM, 0, sv) == -1 && errno == EOPNOTSUPP,
	      "socketpair");
}

static void backlog(void)
{
	uint16_t port;
	int l = listener(AF_INET, &port, 2), c[8];
	struct sockaddr_in a = v4(port);
	for (int i = 0; i < 8; i++) {
		c[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		connect(c[i], (struct sockaddr *)&a, sizeof(a));
	}
	int fl = fcntl(l, F_GETFL);
	fcntl(l, F_SETFL, fl | O_NONBLOCK);
	int n = 0, s;
	while ((s = accept(l, NULL, NULL)) >= 0) {
		n++;
		close(s);
	}
	CHECK("backlog 2 overflowed by 8 connects: at most 2 queued, the VMM lives", n >= 1 && n <= 2, "accepted %d", n);
	for (int i = 0; i < 8; i++)
		close(c[i]);
	close(l);
}

static void hostile(void)
{
	int ok = 1;
	for (int i = 0; i < 2000 && ok; i++) {
		int s = socket(i % 2 ? AF_INET6 : AF_INET, i % 3 ? SOCK_STREAM : SOCK_DGRAM, 0);
		struct sockaddr_in a = v4(0);
		struct sockaddr_in6 b = v6(0);
		ok = s >= 0 && (i % 2 ? bind(s, (struct sockaddr *)&b, sizeof(b)) : bind(s, (struct sockaddr *)&a, sizeof(a))) == 0;
		close(s);
	}
	CHECK("hostile: 2000 sockets bound and closed, none leaked", ok, "failed at a socket");
	int held[1100], n = 0;
	while (n < 1100 && (held[n] = socket(AF_INET, SOCK_STREAM, 0)) >= 0)
		n++;
	CHECK("hostile: sockets stop at a limit (EMFILE), not the VMM memory", n < 1100 && (errno == EMFILE || errno == ENFILE), "%d sockets", n);
	while (n--)
		close(held[n]);
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = v4(9);
	char big[70000] = {0};
	CHECK("hostile: a datagram over 65507 bytes is EMSGSIZE",
	      sendto(s, big, sizeof(big), 0, (struct sockaddr *)&a, sizeof(a)) == -1 && errno == EMSGSIZE, "sendto");
	CHECK("hostile: a sockaddr longer than any is EINVAL", bind(s, (struct sockaddr *)big, 200) == -1 && errno == EINVAL,
	      "bind");
	/* 1000 datagrams to a socket that never reads: at most 256 queued, the rest dropped. */
	int r = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in ra = v4(0);
	socklen_t rl = sizeof(ra);
	bind(r, (struct sockaddr *)&ra, sizeof(ra));
	getsockname(r, (struct sockaddr *)&ra, &rl);
	for (int i = 0; i < 1000; i++)
		sendto(s, big, 100, 0, (struct sockaddr *)&ra, sizeof(ra));
	int queued = 0;
	while (recv(r, big, sizeof(big), MSG_DONTWAIT) == 100)
		queued++;
	CHECK("hostile: a UDP socket that never reads queues at most 256 datagrams", queued > 0 && queued <= 256,
	      "%d queued", queued);
	close(r);
	close(s);
	/* Fill a receiver that never reads: its queue stays bounded, sends stop with EAGAIN. */
	uint16_t port;
	int l = listener(AF_INET, &port, 2), c, t;
	if (pair(AF_INET, port, l, &c, &t) == 0) {
		long total = 0, n2;
		while ((n2 = send(c, big, sizeof(big), MSG_DONTWAIT)) > 0 && total < (64L << 20))
			total += n2;
		CHECK("hostile: a peer that never reads stops the sender (EAGAIN) within 1 MiB", n2 == -1 && errno == EAGAIN && total < (1L << 20),
		      "sent %ld", total);
		close(c);
		close(t);
	} else {
		CHECK("hostile: a connection to fill", 0, "pair");
	}
	close(l);
	backlog();
}

/* The libc's getifaddrs (rtnetlink dumps of links and addresses, in glibc
 * and musl alike): lo with 127.0.0.1 and ::1, every address on a named,
 * up interface. */
static void ifaddrs(void)
{
	struct ifaddrs *list = NULL;
	int rc = getifaddrs(&list);
	bool lo4 = false, lo6 = false, named = true;
	for (const struct ifaddrs *i = list; rc == 0 && i; i = i->ifa_next) {
		named &= i->ifa_name && i->ifa_name[0] && (i->ifa_flags & IFF_UP);
		if (!i->ifa_addr || strcmp(i->ifa_name, "lo") != 0)
			continue;
		if (i->ifa_addr->sa_family == AF_INET)
			lo4 |= ((const struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr ==
			       htonl(INADDR_LOOPBACK);
		if (i->ifa_addr->sa_family == AF_INET6)
			lo6 |= IN6_IS_ADDR_LOOPBACK(
			    &((const struct sockaddr_in6 *)i->ifa_addr)->sin6_addr);
	}
	CHECK("getifaddrs lists lo with 127.0.0.1 and ::1", rc == 0 && lo4 && lo6 && named,
	      "rc %d lo4 %d lo6 %d named %d", rc, lo4, lo6, named);
	if (list)
		freeifaddrs(list);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "all";
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(mode, "all") == 0) {
		tcp4();
		recv_whole();
		tcp6();
		udp();
		errors();
		ifaddrs();
	} else {
		hostile();
	}
	if (failures)
		return 1;
	printf("%s: all checks passed\n", mode);
	return 0;
}
