/* AF_UNIX sockets inside the VM: creation, names (paths as socket nodes in the tree, abstract names), listen/connect/accept, shutdown, poll, and freeing, with the collection of sockets only their own queued SCM_RIGHTS keep alive. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "linux_inet.h"
#include "linux_socket.h"

struct linux_sock *linux_unix_new(struct linux_proc *proc, unsigned type, bool nonblock, long *err)
{
	if (!proc->net && !(proc->net = calloc(1, sizeof(*proc->net)))) {
		*err = -ENOMEM;
		return NULL;
	}
	struct linux_net *net = proc->net;
	if (net->count >= LINUX_SOCKS_MAX) {
		*err = -ENFILE;
		return NULL;
	}
	struct linux_sock *s = calloc(1, sizeof(*s));
	struct linux_file *f = calloc(1, sizeof(*f));
	if (!s || !f) {
		free(s);
		free(f);
		*err = -ENOMEM;
		return NULL;
	}
	*f = (struct linux_file){.kind = LINUX_FILE_SOCKET,
				 .host_fd = -1,
				 .sock = s,
				 .flags = O_RDWR | (nonblock ? L_O_NONBLOCK : 0)};
	s->file = f;
	s->type = type;
	s->rq_tail = &s->rq;
	s->acceptq_tail = &s->acceptq;
	s->sndbuf = s->rcvbuf = LINUX_SOCK_BUF;
	s->name.len = 2;
	s->name.bytes[0] = L_AF_UNIX;
	s->next = net->socks;
	if (net->socks)
		net->socks->pprev = &s->next;
	s->pprev = &net->socks;
	net->socks = s;
	net->count++;
	return s;
}

void linux_unix_pair(struct linux_proc *proc, struct linux_sock *a, struct linux_sock *b)
{
	a->peer = b;
	b->peer = a;
	a->state = b->state = SS_CONNECTED;
	a->peercred = b->peercred = linux_sock_self_cred(proc);
	a->has_peercred = b->has_peercred = true;
}

/* Whether two addresses name the same abstract socket. */
static bool same_abstract(const struct sock_addr *x, const struct sock_addr *y)
{
	return x->len == y->len && memcmp(x->bytes, y->bytes, x->len) == 0;
}

/* The bound socket an abstract address or a socket node names, or NULL. */
static struct linux_sock *find_bound(struct linux_net *net, const struct sock_addr *addr,
				     const struct linux_node *node)
{
	for (struct linux_sock *s = net->socks; s; s = s->next)
		if (s->bound &&
		    (node ? s->node == node : !s->node && same_abstract(&s->name, addr)))
			return s;
	return NULL;
}

static bool is_abstract(const struct sock_addr *addr)
{
	return addr->len > 2 && addr->bytes[2] == '\0';
}

/* The path of a filesystem address, NUL-terminated (it may not be in the program's bytes). */
static void addr_path(const struct sock_addr *addr, char *path, size_t size)
{
	size_t n = strnlen((const char *)addr->bytes + 2, addr->len - 2);
	if (n >= size)
		n = size - 1;
	memcpy(path, addr->bytes + 2, n);
	path[n] = '\0';
}

/* As Linux's autobind: an abstract name of five hex digits nobody holds. */
static long autobind(struct linux_net *net, struct linux_sock *s)
{
	for (unsigned tries = 0; tries < 0x100000; tries++) {
		struct sock_addr a = {.len = 8, .bytes = {L_AF_UNIX, 0, 0}};
		snprintf((char *)a.bytes + 3, 6, "%05x", net->autobind++ & 0xFFFFF);
		a.len = 8;
		if (!find_bound(net, &a, NULL)) {
			s->name = a;
			s->bound = true;
			return 0;
		}
	}
	return -ENOSPC;
}

long linux_unix_bind(struct linux_proc *proc, struct linux_sock *s, const struct sock_addr *addr)
{
	struct linux_net *net = proc->net;
	if (s->bound)
		return -EINVAL;
	if (addr->len == 2)
		return autobind(net, s);
	if (is_abstract(addr)) {
		if (find_bound(net, addr, NULL))
			return -EADDRINUSE;
		s->name = *addr;
		s->bound = true;
		return 0;
	}
	char path[LINUX_SUN_LEN], last[LINUX_NAME_MAX + 1];
	addr_path(addr, path, sizeof(path));
	if (!path[0])
		return -ENOENT;
	struct linux_node *node = NULL, *parent = NULL;
	/* No symlink is followed in the last component: an existing name of any kind is in use. */
	int rc =
	    linux_fs_resolve(&proc->fs, proc->cwd, path, 0, &node, &parent, last, sizeof(last));
	if (rc == 0)
		return -EADDRINUSE;
	if (rc != -ENOENT || !parent)
		return rc;
	rc = linux_fs_create(&proc->fs, parent, last, S_IFSOCK | 0755, &node);
	if (rc < 0)
		return rc;
	linux_fs_get(&proc->fs, node); /* s->node */
	s->node = node;
	s->name.len = (uint32_t)(2 + strlen(path) + 1);
	memcpy(s->name.bytes + 2, path, strlen(path) + 1);
	s->bound = true;
	return 0;
}

long linux_unix_listen(struct linux_proc *proc, struct linux_sock *s, int backlog)
{
	if (s->type == L_SOCK_DGRAM)
		return -EOPNOTSUPP;
	if (!s->bound || s->state == SS_CONNECTED)
		return -EINVAL;
	s->backlog = backlog < 0 || (unsigned)backlog > LINUX_BACKLOG_MAX ? LINUX_BACKLOG_MAX
									  : (unsigned)backlog;
	s->state = SS_LISTENING;
	s->peercred = linux_sock_self_cred(proc); /* what an accepted peer's SO_PEERCRED shows */
	s->has_peercred = true;
	return 0;
}

long linux_unix_lookup(struct linux_proc *proc, const struct sock_addr *addr, unsigned type,
		       struct linux_sock **out)
{
	struct linux_node *node = NULL;
	if (addr->len <= 2)
		return -EINVAL;
	if (!is_abstract(addr)) {
		char path[LINUX_SUN_LEN];
		addr_path(addr, path, sizeof(path));
		int rc = linux_fs_resolve(&proc->fs, proc->cwd, path, LINUX_RESOLVE_FOLLOW, &node,
					  NULL, NULL, 0);
		if (rc < 0)
			return rc;
		if (!S_ISSOCK(node->mode))
			return -ECONNREFUSED;
	}
	struct linux_sock *t = find_bound(proc->net, addr, node);
	if (!t)
		return -ECONNREFUSED;
	if (t->type != type)
		return -EPROTOTYPE;
	*out = t;
	return 0;
}

long linux_unix_wait(struct linux_proc *proc, uint64_t timeout, uint64_t *deadline)
{
	if (timeout && !*deadline && add_overflows(now_ns(), timeout, deadline))
		*deadline = UINT64_MAX - 1;
	if (linux_block_until(proc, timeout ? *deadline : 0))
		return timeout ? -EINTR : -LINUX_ERESTARTSYS; /* as Linux's sock_intr_errno() */
	return timeout && now_ns() >= *deadline ? -EAGAIN : 0;
}

/* A connection for listener l: a socket with no file yet, connected to s. */
static long embryo_connect(struct linux_proc *proc, struct linux_sock *l, struct linux_sock *s)
{
	long err = 0;
	struct linux_sock *e = linux_unix_new(proc, l->type, false, &err);
	if (!e)
		return err == -ENFILE ? -EAGAIN : err;
	free(e->file); /* made at accept() */
	e->file = NULL;
	e->listener = l;
	e->name = l->name; /* getsockname of the accepted socket: the listener's */
	linux_unix_pair(proc, s, e);
	s->peercred = l->peercred;
	*l->acceptq_tail = e;
	l->acceptq_tail = &e->next_accept;
	l->acceptq_len++;
	return 0;
}

long linux_unix_connect(struct linux_proc *proc, struct linux_sock *s, const struct sock_addr *addr,
			bool nonblock)
{
	struct linux_sock *t;
	if (s->type == L_SOCK_DGRAM && addr->len == 2 && addr->bytes[0] == 0) {
		s->peer = NULL; /* AF_UNSPEC: dissolve the association */
		return 0;
	}
	if (s->state == SS_LISTENING)
		return -EINVAL;
	if (s->state == SS_CONNECTED && s->type != L_SOCK_DGRAM)
		return -EISCONN;
	long rc = linux_unix_lookup(proc, addr, s->type, &t);
	if (rc < 0)
		return rc;
	if (s->type == L_SOCK_DGRAM) {
		s->peer = t;
		s->peer_gone = false;
		return 0;
	}
	uint64_t deadline = 0;
	for (;;) {
		if (t->state != SS_LISTENING)
			return -ECONNREFUSED;
		if (t->acceptq_len < t->backlog + 1) /* Linux takes backlog+1 */
			break;
		if (nonblock)
			return -EAGAIN;
		if ((rc = linux_unix_wait(proc, s->sndtimeo, &deadline)) < 0)
			return rc;
		/* With one task the listener's file is still held by the caller's fd table. */
	}
	return embryo_connect(proc, t, s);
}

struct linux_sock *linux_unix_accept(struct linux_proc *proc, struct linux_sock *s, bool nonblock,
				     long *err)
{
	uint64_t deadline = 0;
	if (s->state != SS_LISTENING) {
		*err = -EINVAL;
		return NULL;
	}
	while (!s->acceptq) {
		if (nonblock) {
			*err = -EAGAIN;
			return NULL;
		}
		if ((*err = linux_unix_wait(proc, s->rcvtimeo, &deadline)) < 0)
			return NULL;
	}
	struct linux_sock *e = s->acceptq;
	struct linux_file *f = calloc(1, sizeof(*f));
	if (!f) {
		*err = -ENOMEM;
		return NULL;
	}
	if (!(s->acceptq = e->next_accept))
		s->acceptq_tail = &s->acceptq;
	s->acceptq_len--;
	e->next_accept = NULL;
	e->listener = NULL;
	*f = (struct linux_file){
	    .kind = LINUX_FILE_SOCKET, .host_fd = -1, .sock = e, .flags = O_RDWR};
	e->file = f;
	return e;
}

long linux_unix_shutdown(struct linux_sock *s, unsigned how)
{
	if (how > 2)
		return -EINVAL;
	if (s->state != SS_CONNECTED && !(s->type == L_SOCK_DGRAM && s->peer))
		return -ENOTCONN;
	s->shut |= how == 0 ? SHUT_RCV : how == 1 ? SHUT_SEND : SHUT_RCV | SHUT_SEND;
	return 0;
}

long linux_unix_peer_name(const struct linux_sock *s, struct sock_addr *out)
{
	if (!s->peer || (s->type != L_SOCK_DGRAM && s->state != SS_CONNECTED))
		return -ENOTCONN;
	*out = s->peer->name;
	return 0;
}

/* Whether a send to s's peer would find room now. */
bool linux_unix_room(const struct linux_net *net, const struct linux_sock *t,
		     const struct linux_sock *from)
{
	if (net->bytes >= LINUX_NET_MEM)
		return false;
	if (t->type == L_SOCK_DGRAM && t->rq_count >= LINUX_DGRAM_QLEN)
		return false;
	return t->rq_bytes < (from->sndbuf < t->rcvbuf ? t->rcvbuf : from->sndbuf);
}

short linux_sock_poll(struct linux_proc *proc, const struct linux_file *f)
{
	const struct linux_sock *s = f->sock;
	short ev = 0;
	if (s->inet)
		return linux_inet_poll(proc, s);
	if (s->state == SS_LISTENING)
		return s->acceptq ? POLLIN : 0;
	bool conn = s->type != L_SOCK_DGRAM;
	bool peer_closed = conn && (s->peer_gone || (s->peer && (s->peer->shut & SHUT_SEND)));
	if (s->rq || (s->shut & SHUT_RCV) || peer_closed)
		ev |= POLLIN;
	if (peer_closed || (s->shut & SHUT_RCV))
		ev |= POLLRDHUP;
	if ((s->shut == (SHUT_RCV | SHUT_SEND)) || (conn && s->peer_gone))
		ev |= POLLHUP;
	if (conn && s->state != SS_CONNECTED && !s->peer_gone)
		ev |= POLLOUT | POLLHUP; /* as Linux: an unconnected stream socket */
	else if (!(s->shut & SHUT_SEND) &&
		 (!s->peer || s->peer_gone || (s->peer->shut & SHUT_RCV) ||
		  linux_unix_room(proc->net, s->peer, s)))
		ev |= POLLOUT;
	if (s->so_error)
		ev |= POLLERR;
	return ev;
}
