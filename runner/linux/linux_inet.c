/* AF_INET/AF_INET6 sockets inside the VM over lwIP's raw callback API: addresses, socket/bind/listen/connect/accept, names, shutdown, poll, waiting and freeing; lwIP's callbacks only record what happened, the calls act on it. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/ip_addr.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"
#include "lwip/udp.h"
#include "util.h"

#include "linux_inet.h"

static struct inet_sock *inet_alloc(int family, unsigned type)
{
	struct inet_sock *in = calloc(1, sizeof(*in));
	if (!in)
		return NULL;
	in->family = family;
	in->dq_tail = &in->dq;
	in->acceptq_tail = &in->acceptq;
	(void)type;
	return in;
}

/* ---- lwIP's callbacks (arg: the inet_sock) ---- */

static void inet_destroy(struct inet_sock *in);

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct inet_sock *in = arg;
	if (!in) {
		if (p)
			pbuf_free(p);
		return ERR_OK;
	}
	linux_inet_events++;
	if (!p) {
		in->rx_fin = true;
		return ERR_OK;
	}
	/* Bounded per socket: past INET_RX_MAX lwIP keeps the segment as
	 * refused data (the next ones dropped, to be sent again) until the
	 * program reads. */
	if (in->rx && in->rx->tot_len + p->tot_len > INET_RX_MAX)
		return ERR_MEM;
	if (in->rx)
		pbuf_cat(in->rx, p);
	else
		in->rx = p;
	/* The window reopens as the program reads, but never to nothing:
	 * two zero windows facing each other answer each other's ACKs
	 * without end (lwIP ACKs a segment outside its window). */
	in->owed += p->tot_len;
	if (in->owed > TCP_WND - 1) {
		tcp_recved(pcb, (u16_t)(in->owed - (TCP_WND - 1)));
		in->owed = TCP_WND - 1;
	}
	return ERR_OK;
}

static void on_err(void *arg, err_t err)
{
	struct inet_sock *in = arg;
	if (!in)
		return;
	linux_inet_events++;
	in->tcp = NULL; /* lwIP freed it */
	in->err = in->connecting ? ECONNREFUSED : err == ERR_RST ? ECONNRESET : ECONNABORTED;
	in->connecting = false;
	in->rx_fin = true;
	if (in->sock && in->err)
		in->sock->so_error = in->err;
}

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct inet_sock *in = arg;
	linux_inet_events++;
	if (in) {
		in->connecting = false;
		in->connected = true;
	}
	linux_netif_tcp_large(pcb);
	return ERR_OK;
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	linux_inet_events++; /* room to send: a blocked writer looks again */
	return ERR_OK;
}

static void tcp_hook(struct inet_sock *in, struct tcp_pcb *pcb)
{
	in->tcp = pcb;
	tcp_arg(pcb, in);
	tcp_recv(pcb, on_recv);
	tcp_sent(pcb, on_sent);
	tcp_err(pcb, on_err);
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct inet_sock *l = arg;
	linux_inet_events++;
	if (!l || err != ERR_OK || !pcb || l->acceptq_len >= l->backlog)
		return ERR_MEM; /* lwIP aborts it: the client sees a reset */
	struct inet_sock *e = inet_alloc(l->family, L_SOCK_STREAM);
	if (!e)
		return ERR_MEM;
	e->v6only = l->v6only;
	e->connected = true;
	e->listener = l;
	tcp_hook(e, pcb);
	linux_netif_tcp_large(pcb);
	tcp_backlog_delayed(pcb); /* counts against the backlog until accept() */
	*l->acceptq_tail = e;
	l->acceptq_tail = &e->next_accept;
	l->acceptq_len++;
	return ERR_OK;
}

static void addr_make(const struct inet_sock *in, const ip_addr_t *ip, u16_t port,
		      struct sock_addr *out);

static void on_udp(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
		   u16_t port)
{
	struct inet_sock *in = arg;
	struct inet_dgram *d;
	uint32_t rcvbuf = in && in->sock ? in->sock->rcvbuf : LINUX_SOCK_BUF;
	linux_inet_events++;
	/* A full queue drops the datagram, as Linux's. */
	if (!in || in->dq_len >= INET_DGRAM_QLEN || in->dq_bytes + p->tot_len > rcvbuf ||
	    !(d = calloc(1, sizeof(*d)))) {
		pbuf_free(p);
		return;
	}
	d->p = p;
	addr_make(in, addr, port, &d->from);
	*in->dq_tail = d;
	in->dq_tail = &d->next;
	in->dq_len++;
	in->dq_bytes += p->tot_len;
}

/* Frees the lwIP side: pcb closed (or reset), queues and connections never accepted dropped. */
static void inet_destroy(struct inet_sock *in)
{
	if (in->tcp) {
		tcp_arg(in->tcp, NULL);
		tcp_err(in->tcp, NULL);
		if (in->tcp->state == LISTEN) {
			tcp_close(in->tcp);
		} else {
			tcp_recv(in->tcp, NULL);
			tcp_sent(in->tcp, NULL);
			/* As Linux: unread data, or SO_LINGER of 0 s, makes the close a reset. */
			bool reset = in->sock && in->sock->linger[0] && in->sock->linger[1] == 0;
			if (in->rx || reset || tcp_close(in->tcp) != ERR_OK)
				tcp_abort(in->tcp);
		}
	}
	if (in->udp)
		udp_remove(in->udp);
	if (in->rx)
		pbuf_free(in->rx);
	while (in->dq) {
		struct inet_dgram *d = in->dq;
		in->dq = d->next;
		pbuf_free(d->p);
		free(d);
	}
	while (in->acceptq) {
		struct inet_sock *e = in->acceptq;
		in->acceptq = e->next_accept;
		inet_destroy(e);
	}
	free(in);
}

/* ---- addresses ---- */

long linux_inet_addr_check(const struct inet_sock *in, const struct sock_addr *addr)
{
	uint16_t family = (uint16_t)(addr->bytes[0] | addr->bytes[1] << 8);
	if (family != (uint16_t)in->family)
		return in->family == L_AF_INET ? -EAFNOSUPPORT : -EINVAL;
	if (addr->len < (in->family == L_AF_INET ? L_SIN_LEN : 24U))
		return -EINVAL;
	return 0;
}

void linux_inet_addr_parse(const struct inet_sock *in, const struct sock_addr *a, ip_addr_t *ip,
			   u16_t *port)
{
	*port = (u16_t)(a->bytes[2] << 8 | a->bytes[3]);
	uint32_t w[4];
	if (in->family == L_AF_INET) {
		memcpy(&w[0], a->bytes + 4, 4);
		ip_addr_set_ip4_u32_val(*ip, w[0]);
		return;
	}
	memcpy(w, a->bytes + 8, 16);
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (memcmp(a->bytes + 8, mapped, 12) == 0) {
		ip_addr_set_ip4_u32_val(*ip, w[3]);
		return;
	}
	IP_ADDR6(ip, w[0], w[1], w[2], w[3]);
}

/* The sockaddr of the socket's family for an lwIP address and port. */
static void addr_make(const struct inet_sock *in, const ip_addr_t *ip, u16_t port,
		      struct sock_addr *out)
{
	memset(out, 0, sizeof(*out));
	out->bytes[0] = (uint8_t)in->family;
	out->bytes[2] = (uint8_t)(port >> 8);
	out->bytes[3] = (uint8_t)port;
	if (in->family == L_AF_INET) {
		uint32_t v = ip && IP_IS_V4(ip) ? ip_2_ip4(ip)->addr : 0;
		memcpy(out->bytes + 4, &v, 4);
		out->len = L_SIN_LEN;
		return;
	}
	out->len = L_SIN6_LEN;
	if (ip && IP_IS_V4(ip) && !ip_addr_isany(ip)) {
		uint32_t v = ip_2_ip4(ip)->addr;
		out->bytes[18] = out->bytes[19] = 0xff;
		memcpy(out->bytes + 20, &v, 4);
	} else if (ip && IP_IS_V6(ip)) {
		memcpy(out->bytes + 8, ip_2_ip6(ip)->addr, 16);
	}
}

/* ---- the calls ---- */

long linux_inet_new(struct linux_proc *proc, int family, unsigned type, bool nonblock,
		    struct linux_sock **out)
{
	long rc = 0;
	struct inet_sock *in = inet_alloc(family, type);
	if (!in)
		return -ENOMEM;
	linux_lwip_start();
	u8_t iptype = family == L_AF_INET ? IPADDR_TYPE_V4 : IPADDR_TYPE_ANY;
	if (type == L_SOCK_STREAM) {
		struct tcp_pcb *pcb = tcp_new_ip_type(iptype);
		if (pcb)
			tcp_hook(in, pcb);
	} else if ((in->udp = udp_new_ip_type(iptype))) {
		udp_recv(in->udp, on_udp, in);
	}
	if (!in->tcp && !in->udp) {
		free(in);
		return -ENOBUFS;
	}
	struct linux_sock *s = linux_unix_new(proc, type, nonblock, &rc);
	if (!s) {
		in->sock = NULL;
		inet_destroy(in);
		return rc;
	}
	s->inet = in;
	in->sock = s;
	addr_make(in, NULL, 0, &s->name);
	*out = s;
	return 0;
}

/* Whether ip is one of the VM's own: in 127/8, ::1, or an address of eth0.
 * lwIP binds any address; Linux refuses a foreign one, and a program that
 * could bind one would send from it (a spoofed source on the bridge). */
static bool addr_local(const ip_addr_t *ip)
{
	struct netif *n;
	if (IP_IS_V4(ip) && ip4_addr_isloopback(ip_2_ip4(ip)))
		return true;
	if (IP_IS_V6(ip) && ip6_addr_isloopback(ip_2_ip6(ip)))
		return true;
	NETIF_FOREACH(n)
	{
		if (IP_IS_V4(ip) ? ip4_addr_cmp(ip_2_ip4(ip), netif_ip4_addr(n))
				 : netif_get_ip6_addr_match(n, ip_2_ip6(ip)) >= 0)
			return true;
	}
	return false;
}

long linux_inet_bind(struct linux_sock *s, const struct sock_addr *addr)
{
	struct inet_sock *in = s->inet;
	ip_addr_t ip;
	u16_t port;
	linux_inet_addr_parse(in, addr, &ip, &port); /* checked by the caller */
	if (in->family == L_AF_INET6 && !in->v6only && ip_addr_isany(&ip))
		ip = *IP_ANY_TYPE; /* [::] takes IPv4 too, as Linux's default */
	if (s->bound)
		return -EINVAL;
	if (!ip_addr_isany(&ip) && !addr_local(&ip))
		return -EADDRNOTAVAIL;
	err_t e = in->tcp   ? tcp_bind(in->tcp, &ip, port)
		  : in->udp ? udp_bind(in->udp, &ip, port)
			    : ERR_CLSD;
	if (e == ERR_USE)
		return -EADDRINUSE;
	if (e != ERR_OK)
		return -EADDRNOTAVAIL;
	s->bound = true;
	return 0;
}

long linux_inet_listen(struct linux_sock *s, int backlog)
{
	struct inet_sock *in = s->inet;
	if (!in->tcp || in->connected || in->connecting)
		return in->udp ? -EOPNOTSUPP : -EINVAL;
	if (backlog < 1)
		backlog = 1;
	in->backlog = (unsigned)backlog > LINUX_BACKLOG_MAX ? LINUX_BACKLOG_MAX : (unsigned)backlog;
	if (s->state == SS_LISTENING)
		return 0;
	err_t e;
	if (!s->bound &&
	    tcp_bind(in->tcp, in->family == L_AF_INET ? IP4_ADDR_ANY : IP_ANY_TYPE, 0) != ERR_OK)
		return -EADDRINUSE;
	struct tcp_pcb *l = tcp_listen_with_backlog_and_err(in->tcp, (u8_t)in->backlog, &e);
	if (!l)
		return e == ERR_USE ? -EADDRINUSE : -ENOBUFS;
	in->tcp = l; /* lwIP freed the old pcb */
	tcp_arg(l, in);
	tcp_accept(l, on_accept);
	s->bound = true;
	s->state = SS_LISTENING;
	return 0;
}

long linux_inet_wait(struct linux_proc *proc, uint64_t timeout, uint64_t *deadline)
{
	if (linux_lwip_poll())
		return 0; /* something happened already: look again */
	if (timeout && !*deadline)
		*deadline = timeout > UINT64_MAX / 2 ? UINT64_MAX / 2 : now_ns() + timeout;
	/* linux_block_until serves lwIP's timers and the NIC's frames, and
	 * returns (false) once a socket saw an event. */
	linux_net_watch(proc);
	if (linux_block_until(proc, *deadline))
		return timeout ? -EINTR : -LINUX_ERESTARTSYS; /* as Linux's sock_intr_errno() */
	linux_lwip_poll();
	return timeout && now_ns() >= *deadline ? -EAGAIN : 0;
}

long linux_inet_take_err(struct inet_sock *in)
{
	long rc = -in->err;
	in->err = 0;
	if (in->sock)
		in->sock->so_error = 0;
	return rc;
}

long linux_inet_connect(struct linux_proc *proc, struct linux_sock *s, const struct sock_addr *addr,
			bool nonblock)
{
	struct inet_sock *in = s->inet;
	ip_addr_t ip;
	u16_t port;
	if (in->udp && addr->bytes[0] == 0 && addr->bytes[1] == 0) {
		udp_disconnect(in->udp); /* AF_UNSPEC dissolves the association */
		s->state = SS_UNCONNECTED;
		return 0;
	}
	long rc = linux_inet_addr_check(in, addr);
	if (rc < 0)
		return rc;
	linux_inet_addr_parse(in, addr, &ip, &port);
	if (in->udp) {
		if (udp_connect(in->udp, &ip, port) != ERR_OK)
			return -ENETUNREACH;
		s->state = SS_CONNECTED;
		return 0;
	}
	if (s->state == SS_LISTENING)
		return -EINVAL;
	/* As Linux's __inet_stream_connect: the connect call that sees the
	 * handshake done (a blocking one restarted after a signal, or one
	 * after a non-blocking EINPROGRESS) succeeds; only the next is
	 * EISCONN. A blocking call while the handshake runs waits for it. */
	if (in->connected && s->state == SS_CONNECTED)
		return -EISCONN;
	if (in->connecting && nonblock)
		return -EALREADY;
	if (!in->connecting && !in->connected) {
		if (!in->tcp)
			return in->err ? linux_inet_take_err(in) : -EINVAL;
		err_t e = tcp_connect(in->tcp, &ip, port, on_connected);
		if (e == ERR_RTE)
			return -ENETUNREACH;
		if (e != ERR_OK)
			return e == ERR_USE ? -EADDRINUSE : -ENOBUFS;
		in->connecting = true;
		s->bound = true;
		linux_lwip_poll(); /* the loopback handshake completes here */
	}
	uint64_t deadline = 0;
	while (in->connecting) {
		if (nonblock)
			return -EINPROGRESS;
		if ((rc = linux_inet_wait(proc, s->sndtimeo, &deadline)) < 0)
			return rc == -EAGAIN ? -EINPROGRESS : rc;
	}
	if (!in->connected)
		return linux_inet_take_err(in);
	s->state = SS_CONNECTED;
	return 0;
}

struct linux_sock *linux_inet_accept(struct linux_proc *proc, struct linux_sock *s, bool nonblock,
				     long *err)
{
	struct inet_sock *in = s->inet;
	uint64_t deadline = 0;
	if (s->state != SS_LISTENING) {
		*err = -EINVAL;
		return NULL;
	}
	linux_lwip_poll();
	while (!in->acceptq) {
		if (nonblock) {
			*err = -EAGAIN;
			return NULL;
		}
		long rc = linux_inet_wait(proc, s->rcvtimeo, &deadline);
		if (rc < 0) {
			*err = rc;
			return NULL;
		}
	}
	struct linux_sock *a = linux_unix_new(proc, L_SOCK_STREAM, false, err);
	if (!a)
		return NULL;
	struct inet_sock *e = in->acceptq;
	if (!(in->acceptq = e->next_accept))
		in->acceptq_tail = &in->acceptq;
	in->acceptq_len--;
	e->next_accept = NULL;
	e->listener = NULL;
	e->sock = a;
	a->inet = e;
	a->bound = true;
	a->state = SS_CONNECTED;
	if (e->tcp)
		tcp_backlog_accepted(e->tcp);
	if (e->err)
		a->so_error = e->err;
	linux_inet_name(a, false, &a->name);
	return a;
}

long linux_inet_name(const struct linux_sock *s, bool peer, struct sock_addr *out)
{
	const struct inet_sock *in = s->inet;
	if (in->tcp) {
		if (peer && !in->connected)
			return -ENOTCONN;
		addr_make(in, peer ? &in->tcp->remote_ip : &in->tcp->local_ip,
			  peer ? in->tcp->remote_port : in->tcp->local_port, out);
	} else if (in->udp) {
		if (peer && !(in->udp->flags & UDP_FLAGS_CONNECTED))
			return -ENOTCONN;
		addr_make(in, peer ? &in->udp->remote_ip : &in->udp->local_ip,
			  peer ? in->udp->remote_port : in->udp->local_port, out);
	} else {
		if (peer)
			return -ENOTCONN;
		addr_make(in, NULL, 0, out);
	}
	return 0;
}

long linux_inet_shutdown(struct linux_sock *s, unsigned how)
{
	struct inet_sock *in = s->inet;
	if (how > 2)
		return -EINVAL;
	unsigned bits = how == 0 ? SHUT_RCV : how == 1 ? SHUT_SEND : SHUT_RCV | SHUT_SEND;
	if (s->state == SS_LISTENING || (!in->connected && !in->udp))
		return -ENOTCONN;
	s->shut |= bits;
	if (in->tcp && (bits & SHUT_SEND))
		tcp_shutdown(in->tcp, 0, 1); /* FIN; receiving stays on for the peer's data */
	linux_lwip_poll();
	return 0;
}

short linux_inet_poll(struct linux_proc *proc, const struct linux_sock *s)
{
	const struct inet_sock *in = s->inet;
	short ev = 0;
	linux_net_watch(proc); /* a socket event ends this call's wait */
	linux_lwip_poll();
	if (s->state == SS_LISTENING)
		return in->acceptq ? POLLIN : 0;
	if (in->udp)
		return (short)((in->dq ? POLLIN : 0) | POLLOUT);
	if (in->connecting)
		return 0;
	if (in->rx || in->rx_fin || (s->shut & SHUT_RCV))
		ev |= POLLIN;
	if (in->rx_fin)
		ev |= POLLRDHUP;
	if (!in->connected || in->err || (in->rx_fin && (s->shut & SHUT_SEND)))
		ev |= POLLHUP;
	/* Writable with room, or (as Linux) when a write would fail at once. */
	if (!in->tcp || !in->connected || (!(s->shut & SHUT_SEND) && tcp_sndbuf(in->tcp) > 0))
		ev |= POLLOUT;
	if (s->so_error)
		ev |= POLLERR;
	return ev;
}

void linux_inet_free(struct linux_sock *s)
{
	inet_destroy(s->inet);
	s->inet = NULL;
	linux_lwip_poll();
}
