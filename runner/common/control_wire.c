/* The control wire format between supervisor and VMM: one fixed-size message per SOCK_SEQPACKET record, with an optional fd. */
#include "control_wire.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int control_send_ex(int sock, const struct control_msg *m, const void *payload, const int *fds,
		    unsigned nfds)
{
	struct iovec iov[2] = {{.iov_base = (void *)m, .iov_len = sizeof(*m)},
			       {.iov_base = (void *)payload, .iov_len = m->payload_len}};
	union {
		char buf[CMSG_SPACE(sizeof(int) * CONTROL_EXEC_MAX_FDS)];
		struct cmsghdr align;
	} u;
	struct msghdr msg = {.msg_iov = iov, .msg_iovlen = payload && m->payload_len ? 2 : 1};
	if (nfds > CONTROL_EXEC_MAX_FDS || (m->payload_len && !payload)) {
		errno = EINVAL;
		return -1;
	}
	if (nfds) {
		memset(&u, 0, sizeof(u));
		msg.msg_control = u.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	size_t want = sizeof(*m) + (msg.msg_iovlen == 2 ? m->payload_len : 0);
	ssize_t n;
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)want) {
		if (n >= 0)
			errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

int control_send(int sock, const struct control_msg *m, int fd)
{
	struct control_msg copy = *m;
	copy.payload_len = 0; /* a plain message carries none */
	return control_send_ex(sock, &copy, NULL, &fd, fd >= 0 ? 1 : 0);
}

int control_send_nowait(int sock, const struct control_msg *m)
{
	/* sendmsg, not send (sendto): the one call vmm.policy allows on fd 200. */
	struct iovec iov = {.iov_base = (void *)m, .iov_len = sizeof(*m)};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(*m) ? 0 : -1;
}

static void close_all(int *fds, unsigned *nfds)
{
	for (unsigned i = 0; i < *nfds; i++)
		close(fds[i]);
	*nfds = 0;
}

int control_recv_ex(int sock, struct control_msg *m, void *payload, size_t cap, int *fds,
		    unsigned max_fds, unsigned *nfds)
{
	struct iovec iov[2] = {{.iov_base = m, .iov_len = sizeof(*m)},
			       {.iov_base = payload, .iov_len = cap}};
	union {
		char buf[CMSG_SPACE(sizeof(int) * (CONTROL_EXEC_MAX_FDS + 1))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = {.msg_iov = iov,
			     .msg_iovlen = payload && cap ? 2 : 1,
			     .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf)};
	*nfds = 0;
	if (max_fds > CONTROL_EXEC_MAX_FDS)
		max_fds = CONTROL_EXEC_MAX_FDS;
	memset(m, 0, sizeof(*m));
	ssize_t n;
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	/* Every fd received is taken (the buffer holds one more than any
	 * message may carry): too many make the record malformed, all closed. */
	bool extra_fds = false;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
			int got;
			memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*nfds < max_fds) {
				fds[(*nfds)++] = got;
			} else {
				close(got);
				extra_fds = true;
			}
		}
	}
	if (n == 0) { /* EOF, or an empty record: closes what it carried */
		close_all(fds, nfds);
		return 1;
	}
	bool whole = n >= (ssize_t)sizeof(*m) && m->magic == CONTROL_MAGIC;
	if (!whole || (size_t)n != sizeof(*m) + m->payload_len || m->payload_len > cap ||
	    extra_fds || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		close_all(fds, nfds);
		if (!whole)
			memset(m, 0, sizeof(*m));
		errno = EPROTO;
		return -1;
	}
	m->text[sizeof(m->text) - 1] = '\0';
	return 0;
}

int control_recv(int sock, struct control_msg *m, int *fd)
{
	unsigned nfds;
	int rc = control_recv_ex(sock, m, NULL, 0, fd, 1, &nfds);
	if (nfds == 0)
		*fd = -1;
	return rc;
}
