/* Migration addresses (unix:PATH, tcp:HOST:PORT): parsed, connected and listened on by privileged lockvm processes only; the VMM gets the connected fd. */
#ifndef LOCKVM_MIGRATE_ADDR_H
#define LOCKVM_MIGRATE_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/un.h>

/* A parsed address: a unix socket's, or a host and a numeric port for
 * getaddrinfo (brackets of "[::1]" removed). */
struct migrate_addr {
	bool is_unix;
	struct sockaddr_un un;
	char host[256], port[16];
};

/* Parses unix:PATH (1 to 107 bytes) or tcp:HOST:PORT (PORT digits only).
 * Touches nothing outside p. Returns 0, or -1 with a reason in err. */
int migrate_addr_parse(const char *addr, struct migrate_addr *p, char *err, size_t errlen);

/* Connects to addr with send and receive timeouts of timeout_s seconds
 * (a peer that stops reading or writing cannot hang the VM). Returns the
 * fd, or -1 with a reason in err. */
int migrate_addr_connect(const char *addr, int timeout_s, char *err, size_t errlen);

/* Binds and listens on addr (a unix path must not exist yet). Returns the
 * listening fd, or -1 with a reason in err. */
int migrate_addr_listen(const char *addr, char *err, size_t errlen);

/*
 * Waits for one connection on listen_fd for at most accept_timeout_s
 * seconds (0: forever), giving up early when stop_fd (or -1) becomes
 * readable (a signalfd: SIGINT, SIGTERM). Accepts it and sets send and
 * receive timeouts of io_timeout_s on it, as above. The fd, or -1 with a
 * reason in err.
 */
int migrate_addr_accept(int listen_fd, int accept_timeout_s, int io_timeout_s, int stop_fd,
			char *err, size_t errlen);

#endif
