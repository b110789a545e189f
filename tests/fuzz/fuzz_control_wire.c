/* libFuzzer target: the control wire format (runner/common/control_wire.c): arbitrary bytes as one SOCK_SEQPACKET record, with an fd attached, into control_recv. */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "control_wire.h"

static int pair[2] = {-1, -1};
static int passed = -1; /* the file sent along with every record */

static int lowest_free_fd(void)
{
	int fd = dup(0);
	if (fd < 0)
		abort();
	close(fd);
	return fd;
}

static void send_record(const uint8_t *data, size_t size)
{
	struct iovec iov = {.iov_base = (void *)data, .iov_len = size};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	memset(&u, 0, sizeof(u));
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &passed, sizeof(int));
	if (sendmsg(pair[0], &msg, MSG_NOSIGNAL) != (ssize_t)size)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (pair[0] < 0) {
		/* a send buffer that holds the largest input libFuzzer makes */
		int sndbuf = 4 << 20;
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0 ||
		    setsockopt(pair[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)) < 0)
			abort();
		passed = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (passed < 0)
			abort();
	}
	if (size > 64 * 1024)
		return 0;
	send_record(data, size);
	int free_fd = lowest_free_fd();
	struct control_msg m;
	int fd = 1234;
	int rc = control_recv(pair[1], &m, &fd);
	struct control_msg sent;
	if (size == sizeof(sent)) {
		memcpy(&sent, data, sizeof(sent));
		sent.text[sizeof(sent.text) - 1] = '\0';
	}
	/* a plain message carries no payload (control_recv_ex's records do) */
	bool plain = size == sizeof(sent) && sent.magic == CONTROL_MAGIC && sent.payload_len == 0;
	if (rc == 0) {
		/* accepted: exactly a message's bytes, its magic, the fd, the
		 * text NUL-terminated and otherwise as sent */
		if (!plain || fd < 0 || memcmp(&m, &sent, sizeof(m)) != 0 || fcntl(fd, F_GETFD) < 0)
			abort();
		close(fd);
	} else if (rc == 1) {
		if (size != 0 || fd != -1) /* EOF only for an empty record */
			abort();
	} else {
		if (errno != EPROTO || fd != -1 || plain)
			abort();
	}
	/* whatever control_recv did, no received fd is left open */
	if (lowest_free_fd() != free_fd)
		abort();
	return 0;
}
