/* AF_NETLINK sockets of a --linux program: NETLINK_ROUTE only and read-only; each datagram it sends is answered (linux_netlink_msg.c, from linux_netif_view) into the socket's own receive queue, so receiving, polling, MSG_PEEK and MSG_TRUNC are AF_UNIX's datagram paths. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "linux_netlink.h"
#include "linux_socket.h"

#define NETLINK_REQUEST_MAX (64U << 10) /* bytes of one datagram the program sends */

/* sockaddr_nl: family, pad, port id, groups. */
static void name_set(struct sock_addr *a, uint32_t portid)
{
	memset(a, 0, sizeof(*a));
	a->bytes[0] = L_AF_NETLINK;
	memcpy(a->bytes + 4, &portid, 4);
	a->len = L_SNL_LEN;
}

static uint32_t portid_of(const struct linux_sock *s)
{
	uint32_t portid;
	memcpy(&portid, s->name.bytes + 4, 4);
	return portid;
}

long linux_netlink_new(struct linux_proc *proc, bool nonblock, struct linux_sock **out)
{
	static uint32_t opened;
	long rc = 0;
	struct linux_sock *s = linux_unix_new(proc, L_SOCK_DGRAM, nonblock, &rc);
	if (!s)
		return rc;
	s->netlink = true;
	/* As Linux's autobind: the first socket takes the process id, later
	 * ones ids no process has. */
	name_set(&s->name, opened++ ? 0x80000000U + opened : (uint32_t)proc->cur->pid);
	s->bound = true;
	*out = s;
	return 0;
}

long linux_netlink_bind(struct linux_sock *s, const struct sock_addr *addr)
{
	uint32_t portid;
	memcpy(&portid, addr->bytes + 4, 4);
	if (portid)
		name_set(&s->name, portid); /* multicast groups are taken: no event ever comes */
	return 0;
}

long linux_netlink_connect(const struct sock_addr *addr)
{
	uint32_t portid;
	memcpy(&portid, addr->bytes + 4, 4);
	return portid == 0 ? 0 : -ECONNREFUSED; /* only the kernel (0) answers */
}

long linux_netlink_send(struct linux_proc *proc, struct linux_sock *s, struct sock_msg *m)
{
	if (m->addr.len && linux_netlink_connect(&m->addr) < 0)
		return -ECONNREFUSED;
	if (m->len > NETLINK_REQUEST_MAX)
		return -EMSGSIZE;
	uint8_t *req = malloc(m->len ? m->len : 1);
	struct unix_msg *msg = malloc(sizeof(*msg) + NETLINK_REPLY_MAX);
	long rc = req && msg ? 0 : -ENOMEM;
	if (rc == 0 && linux_sock_iov_copy(proc, m, 0, req, m->len, false) < 0)
		rc = -EFAULT;
	struct netlink_view view;
	linux_netif_view(&view);
	if (rc == 0)
		rc = linux_netlink_answer(&view, req, m->len, portid_of(s), msg->data,
					  NETLINK_REPLY_MAX);
	free(req);
	if (rc > 0 && (s->rq_bytes + sizeof(*msg) + (uint64_t)rc > s->rcvbuf ||
		       proc->net->bytes + sizeof(*msg) + (uint64_t)rc > LINUX_NET_MEM))
		rc = -ENOBUFS; /* unread answers fill the queue: as Linux, the request is lost */
	if (rc <= 0) {
		free(msg);
		return rc < 0 ? rc : (long)m->len;
	}
	memset(msg, 0, sizeof(*msg));
	msg->len = (uint32_t)rc;
	name_set(&msg->from, 0); /* from the kernel */
	linux_unix_enqueue(proc, s, msg);
	return (long)m->len;
}
