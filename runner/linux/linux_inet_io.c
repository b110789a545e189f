/* Data on AF_INET/AF_INET6 sockets inside the VM: TCP through lwIP's send buffer and window (the receive side holds at most one window: the window opens only as the program reads), UDP datagrams queued per socket within SO_RCVBUF; and the IPPROTO_TCP/IPPROTO_IPV6 options. */
#include <errno.h>
#include <stdlib.h>

#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"
#include "lwip/udp.h"

#include "linux_inet.h"

#define L_SIGPIPE	13
#define L_SOL_SOCKET	1
#define L_SO_REUSEADDR	2
#define L_SO_KEEPALIVE	9
#define L_IPPROTO_TCP	6
#define L_IPPROTO_IPV6	41
#define L_TCP_NODELAY	1
#define L_TCP_KEEPIDLE	4
#define L_TCP_KEEPCNT	6
#define L_IPV6_V6ONLY	26
#define L_IPPROTO_IP	0
#define L_IP_TOS	1
#define L_IP_TTL	2
#define L_IP_MTU_DISC	10
#define L_IP_RECVERR	11
#define L_IPV6_HOPS	16 /* IPV6_UNICAST_HOPS */
#define L_IPV6_MTU_DISC 23
#define L_IPV6_RECVERR	25
#define UDP_MAX		65507U
#define STREAM_CHUNK	(64U << 10)

static long pipe_err(struct linux_proc *proc, const struct sock_msg *m)
{
	if (!(m->flags & L_MSG_NOSIGNAL))
		return linux_signal_raise_ret(proc, L_SIGPIPE, -EPIPE);
	return -EPIPE;
}

/* What a call that moved `done` bytes before it blocked or failed returns:
 * those bytes, and no retry (a retried call would move them again); else rc. */
static long partial(struct linux_proc *proc, uint64_t done, long rc)
{
	if (!done)
		return rc;
	proc->cur_blocked = false;
	return (long)done;
}

static long stream_send(struct linux_proc *proc, struct linux_sock *s, struct sock_msg *m)
{
	struct inet_sock *in = s->inet;
	uint64_t done = 0, deadline = 0;
	if (!in->connected)
		return in->err ? linux_inet_take_err(in) : -ENOTCONN;
	uint8_t *buf = malloc(STREAM_CHUNK);
	if (!buf)
		return -ENOMEM;
	long rc = 0;
	while (done < m->len) {
		linux_lwip_poll();
		if (in->err) {
			rc = linux_inet_take_err(in);
			break;
		}
		if (!in->tcp || (s->shut & SHUT_SEND)) {
			rc = pipe_err(proc, m);
			break;
		}
		uint64_t room = tcp_sndbuf(in->tcp);
		if (tcp_sndqueuelen(in->tcp) >= TCP_SND_QUEUELEN - 4)
			room = 0;
		uint64_t n = m->len - done;
		n = n < room ? n : room;
		n = n < STREAM_CHUNK ? n : STREAM_CHUNK;
		if (n && (rc = linux_sock_iov_copy(proc, m, done, buf, n, false)) < 0)
			break;
		if (n && tcp_write(in->tcp, buf, (u16_t)n, TCP_WRITE_FLAG_COPY) == ERR_OK) {
			tcp_output(in->tcp);
			done += n;
			continue;
		}
		tcp_output(in->tcp); /* no room: what is queued goes, then wait for ACKs */
		if (m->nonblock) {
			rc = -EAGAIN;
			break;
		}
		if ((rc = linux_inet_wait(proc, s->sndtimeo, &deadline)) < 0)
			break;
	}
	free(buf);
	linux_lwip_poll();
	return partial(proc, done, rc);
}

/* Copies the first n bytes of p to the program's buffers at byte at,
 * pbuf by pbuf: 0 or -errno. */
static long pbuf_out(struct linux_proc *proc, const struct sock_msg *m, uint64_t at, struct pbuf *p,
		     uint64_t n)
{
	for (const struct pbuf *q = p; q && n; q = q->next) {
		uint64_t k = q->len < n ? q->len : n;
		long rc = linux_sock_iov_copy(proc, m, at, q->payload, k, true);
		if (rc < 0)
			return rc;
		at += k;
		n -= k;
	}
	return 0;
}

/* Takes n read bytes off the receive chain; data lwIP held back for want of room comes in now. */
static void stream_consume(struct inet_sock *in, uint64_t n)
{
	in->rx = pbuf_free_header(in->rx, (u16_t)n);
	uint32_t k = n < in->owed ? (uint32_t)n : in->owed;
	in->owed -= k;
	if (!in->tcp)
		return;
	if (k)
		tcp_recved(in->tcp, (u16_t)k);
	if (in->tcp->refused_data)
		(void)tcp_process_refused_data(in->tcp);
	tcp_output(in->tcp);
}

/* A stream read: what is there (and what comes while it copies), or with MSG_WAITALL (and no MSG_PEEK) the
 * whole length unless the stream ends, fails or a signal or timeout comes. */
static long stream_recv(struct linux_proc *proc, struct linux_sock *s, struct sock_msg *m)
{
	struct inet_sock *in = s->inet;
	uint64_t deadline = 0, done = 0;
	bool waitall = (m->flags & L_MSG_WAITALL) && !(m->flags & L_MSG_PEEK);
	for (;;) {
		linux_lwip_poll();
		if (in->rx && done < m->len) {
			uint64_t n =
			    m->len - done < in->rx->tot_len ? m->len - done : in->rx->tot_len;
			n = n < STREAM_CHUNK ? n : STREAM_CHUNK;
			long rc = pbuf_out(proc, m, done, in->rx, n);
			if (rc < 0)
				return partial(proc, done, rc);
			if (!(m->flags & L_MSG_PEEK))
				stream_consume(in, n);
			linux_lwip_poll();
			done += n;
			/* What came in meanwhile (the reading opened the window:
			 * the rest of a send held back for it) is taken too, as
			 * Linux's tcp_recvmsg copies while its queue has data. */
			if (done == m->len || (!waitall && (!in->rx || (m->flags & L_MSG_PEEK))))
				return (long)done;
			continue;
		}
		if (in->err)
			return partial(proc, done, linux_inet_take_err(in));
		if (in->rx_fin || (s->shut & SHUT_RCV))
			return (long)done;
		if (!in->connected)
			return partial(proc, done, -ENOTCONN);
		if (m->nonblock)
			return partial(proc, done, -EAGAIN);
		long rc = linux_inet_wait(proc, s->rcvtimeo, &deadline);
		if (rc < 0)
			return partial(proc, done, rc);
	}
}

static long dgram_send(struct linux_proc *proc, struct linux_sock *s, struct sock_msg *m)
{
	struct inet_sock *in = s->inet;
	ip_addr_t ip = {0};
	u16_t port = 0;
	if (m->addr.len) {
		linux_inet_addr_parse(in, &m->addr, &ip, &port); /* checked by the caller */
	} else if (!(in->udp->flags & UDP_FLAGS_CONNECTED)) {
		return -EDESTADDRREQ;
	}
	if (m->len > UDP_MAX)
		return -EMSGSIZE;
	struct pbuf *p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)m->len, PBUF_RAM);
	if (!p)
		return -ENOBUFS; /* the VM's stack heap is full */
	long rc = linux_sock_iov_copy(proc, m, 0, p->payload, m->len, false);
	err_t e = ERR_OK;
	if (rc == 0)
		e = m->addr.len ? udp_sendto(in->udp, p, &ip, port) : udp_send(in->udp, p);
	pbuf_free(p);
	if (rc < 0)
		return rc;
	if (e == ERR_RTE)
		return -ENETUNREACH;
	if (e != ERR_OK)
		return -ENOBUFS;
	linux_lwip_poll();
	return (long)m->len;
}

static long dgram_recv(struct linux_proc *proc, struct linux_sock *s, struct sock_msg *m)
{
	struct inet_sock *in = s->inet;
	uint64_t deadline = 0;
	for (;;) {
		linux_lwip_poll();
		struct inet_dgram *d = in->dq;
		if (d) {
			uint64_t n = m->len < d->p->tot_len ? m->len : d->p->tot_len;
			long rc = pbuf_out(proc, m, 0, d->p, n);
			if (rc < 0)
				return rc;
			long full = d->p->tot_len;
			m->addr = d->from;
			if ((uint64_t)full > n)
				m->out_flags |= L_MSG_TRUNC;
			if (!(m->flags & L_MSG_PEEK)) {
				if (!(in->dq = d->next))
					in->dq_tail = &in->dq;
				in->dq_len--;
				in->dq_bytes -= (uint64_t)full;
				pbuf_free(d->p);
				free(d);
			}
			return m->flags & L_MSG_TRUNC ? full : (long)n;
		}
		if (s->shut & SHUT_RCV)
			return 0;
		if (m->nonblock)
			return -EAGAIN;
		long rc = linux_inet_wait(proc, s->rcvtimeo, &deadline);
		if (rc < 0)
			return rc;
	}
}

long linux_inet_send(struct linux_proc *proc, struct linux_sock *s, struct sock_msg *m)
{
	return s->inet->udp ? dgram_send(proc, s, m) : stream_send(proc, s, m);
}

long linux_inet_recv(struct linux_proc *proc, struct linux_sock *s, struct sock_msg *m)
{
	return s->inet->udp ? dgram_recv(proc, s, m) : stream_recv(proc, s, m);
}

long linux_inet_setopt(struct linux_sock *s, uint64_t level, uint64_t name, int32_t val)
{
	struct inet_sock *in = s->inet;
	struct ip_pcb *pcb =
	    in->tcp ? (struct ip_pcb *)(void *)in->tcp : (struct ip_pcb *)(void *)in->udp;
	if (level == L_SOL_SOCKET) {
		u8_t opt = name == L_SO_REUSEADDR   ? SOF_REUSEADDR
			   : name == L_SO_KEEPALIVE ? SOF_KEEPALIVE
						    : 0;
		if (opt && pcb) {
			if (val)
				ip_set_option(pcb, opt);
			else
				ip_reset_option(pcb, opt);
		}
		return 1;
	}
	if (level == L_IPPROTO_TCP && in->tcp == NULL && !in->udp)
		return 0;
	if (level == L_IPPROTO_TCP && !in->udp) {
		if (name == L_TCP_NODELAY) {
			in->tcp_opts = val != 0;
			if (val)
				tcp_nagle_disable(in->tcp);
			else
				tcp_nagle_enable(in->tcp);
			return 0;
		}
		return name >= L_TCP_KEEPIDLE && name <= L_TCP_KEEPCNT ? 0 : -ENOPROTOOPT;
	}
	if (level == L_IPPROTO_IPV6 && in->family == L_AF_INET6 && name == L_IPV6_V6ONLY) {
		if (s->bound)
			return -EINVAL;
		in->v6only = val != 0;
		return 0;
	}
	if (level == L_IPPROTO_IP && (name == L_IP_TOS || name == L_IP_TTL)) {
		if (val < (name == L_IP_TTL ? 1 : 0) || val > 255)
			return -EINVAL;
		if (pcb && name == L_IP_TOS)
			pcb->tos = (u8_t)val;
		else if (pcb)
			pcb->ttl = (u8_t)val;
		return 0;
	}
	/* Taken and without effect: errors are reported by the call that
	 * meets them (glibc's resolver sets IP_RECVERR; path MTU is eth0's). */
	if ((level == L_IPPROTO_IP && (name == L_IP_MTU_DISC || name == L_IP_RECVERR)) ||
	    (level == L_IPPROTO_IPV6 && in->family == L_AF_INET6 &&
	     (name == L_IPV6_HOPS || name == L_IPV6_MTU_DISC || name == L_IPV6_RECVERR)))
		return 0;
	return -ENOPROTOOPT;
}

long linux_inet_getopt(const struct linux_sock *s, uint64_t level, uint64_t name, int32_t *val)
{
	const struct inet_sock *in = s->inet;
	if (level == L_IPPROTO_TCP && !in->udp && name == L_TCP_NODELAY) {
		*val = (int32_t)in->tcp_opts;
		return 0;
	}
	if (level == L_IPPROTO_TCP && !in->udp && name >= L_TCP_KEEPIDLE && name <= L_TCP_KEEPCNT) {
		*val = name == L_TCP_KEEPCNT ? 9 : 7200;
		return 0;
	}
	if (level == L_IPPROTO_IPV6 && in->family == L_AF_INET6 && name == L_IPV6_V6ONLY) {
		*val = in->v6only;
		return 0;
	}
	const struct ip_pcb *pcb = in->tcp ? (const struct ip_pcb *)(const void *)in->tcp
					   : (const struct ip_pcb *)(const void *)in->udp;
	if (level == L_IPPROTO_IP && pcb && (name == L_IP_TOS || name == L_IP_TTL)) {
		*val = name == L_IP_TOS ? pcb->tos : pcb->ttl;
		return 0;
	}
	return -ENOPROTOOPT;
}

long linux_sock_unread(const struct linux_file *f)
{
	const struct inet_sock *in = f->sock->inet;
	if (!in)
		return -ENOTTY;
	if (in->udp)
		return in->dq ? in->dq->p->tot_len : 0;
	return in->rx ? in->rx->tot_len : 0;
}
