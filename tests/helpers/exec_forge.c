/* Forges hostile `lockvm exec` requests for tests/integration/exec.sh: sends one crafted CONTROL_EXEC record to a VM's control socket and prints the answer (status and text), so the supervisor's and VMM's checks, not the client's, must refuse it. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "control_wire.h"

static uint8_t payload[CONTROL_EXEC_PAYLOAD_MAX + 8192];

/* A well-formed payload running `/bin/true` (the case then breaks it). */
static size_t good_payload(void)
{
	struct control_exec e = {.argc = 1, .cwd = "/", .argv = {"/bin/true"}};
	char err[256];
	long len = control_exec_encode(&e, payload, sizeof(payload), err, sizeof(err));
	if (len < 0) {
		fprintf(stderr, "exec_forge: %s\n", err);
		exit(2);
	}
	return (size_t)len;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: exec_forge CONTROL_SOCKET "
				"huge-argv|no-nul|trailing|dir-fd|two-fds|oversize|no-cwd\n");
		return 2;
	}
	const char *kind = argv[2];
	size_t len = good_payload();
	struct control_exec_head h;
	memcpy(&h, payload, sizeof(h));
	int fds[3] = {0, 1, 2};
	unsigned nfds = 3;
	if (strcmp(kind, "huge-argv") == 0) {
		h.argc = 1u << 30; /* far past CONTROL_EXEC_MAX_ARGS */
	} else if (strcmp(kind, "no-nul") == 0) {
		len--; /* the last string runs to the end without its NUL */
	} else if (strcmp(kind, "trailing") == 0) {
		payload[len++] = 'x';
	} else if (strcmp(kind, "dir-fd") == 0) {
		fds[0] = open("/", O_RDONLY | O_DIRECTORY);
	} else if (strcmp(kind, "two-fds") == 0) {
		nfds = 2;
	} else if (strcmp(kind, "oversize") == 0) {
		memset(payload + len, 'A', sizeof(payload) - len);
		len = sizeof(payload); /* more than any record may carry */
	} else if (strcmp(kind, "no-cwd") == 0) {
		payload[sizeof(h)] = 'r'; /* "/" becomes "r": not absolute */
	} else {
		fprintf(stderr, "exec_forge: unknown case %s\n", kind);
		return 2;
	}
	memcpy(payload, &h, sizeof(h));
	int sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", argv[1]);
	int sndbuf = 1 << 20;
	setsockopt(sock, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	if (sock < 0 || connect(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("exec_forge: connect");
		return 2;
	}
	struct control_msg m = {
	    .magic = CONTROL_MAGIC, .op = CONTROL_EXEC, .payload_len = (uint32_t)len};
	if (control_send_ex(sock, &m, payload, fds, nfds) < 0) {
		perror("exec_forge: send");
		return 2;
	}
	struct control_msg reply;
	int fd;
	if (control_recv(sock, &reply, &fd) != 0) {
		printf("no answer\n");
		return 1;
	}
	printf("op %u status %d: %s\n", reply.op, reply.status, reply.text);
	return 0;
}
