/* AF_UNIX data: sends (a stream in chunks, datagrams and seqpackets whole) and receives (a stream across messages, records one at a time, MSG_PEEK, MSG_TRUNC, MSG_WAITALL), with SCM_RIGHTS files and credentials riding on the messages, bounded per queue and per VM. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "linux_socket.h"

#define L_SIGPIPE 13

void linux_unix_enqueue(struct linux_proc *proc, struct linux_sock *t, struct unix_msg *msg)
{
	*t->rq_tail = msg;
	t->rq_tail = &msg->next;
	t->rq_bytes += sizeof(*msg) + msg->len;
	t->rq_count++;
	proc->net->bytes += sizeof(*msg) + msg->len;
}

static void dequeue_free(struct linux_proc *proc, struct linux_sock *s)
{
	struct unix_msg *msg = s->rq;
	if (!(s->rq = msg->next))
		s->rq_tail = &s->rq;
	s->rq_bytes -= sizeof(*msg) + msg->len;
	s->rq_count--;
	linux_unix_msg_free(proc, msg);
}

/* A message of len bytes copied from the program's buffers at byte `at`,
 * carrying m's files (moved to it) and the sender's name and credentials. */
static long msg_make(struct linux_proc *proc, struct linux_sock *from, struct sock_msg *m,
		     uint64_t at, uint64_t len, struct unix_msg **out)
{
	struct unix_msg *msg = malloc(sizeof(*msg) + len);
	if (!msg)
		return -ENOMEM;
	memset(msg, 0, sizeof(*msg));
	msg->len = (uint32_t)len;
	if (linux_sock_iov_copy(proc, m, at, msg->data, len, false) < 0) {
		free(msg);
		return -EFAULT;
	}
	if (m->nfiles) {
		if (!(msg->files = malloc(m->nfiles * FILE_REF_SIZE))) {
			free(msg);
			return -ENOMEM;
		}
		memcpy(msg->files, m->files, m->nfiles * FILE_REF_SIZE);
		msg->nfiles = m->nfiles;
		proc->net->inflight += m->nfiles;
		m->nfiles = 0; /* the message holds their references now */
	}
	msg->cred = m->has_cred ? m->cred : linux_sock_self_cred(proc);
	if (from->bound)
		msg->from = from->name;
	else
		msg->from = (struct sock_addr){.len = 2, .bytes = {L_AF_UNIX}};
	*out = msg;
	return 0;
}

static long epipe(struct linux_proc *proc, const struct linux_sock *s, const struct sock_msg *m)
{
	if (s->type == L_SOCK_STREAM && !(m->flags & L_MSG_NOSIGNAL))
		return linux_signal_raise_ret(proc, L_SIGPIPE, -EPIPE);
	return -EPIPE;
}

static bool peer_takes(const struct linux_sock *s)
{
	return s->peer && !s->peer_gone && !(s->peer->shut & SHUT_RCV) && !(s->shut & SHUT_SEND);
}

static long stream_send(struct linux_proc *proc, struct linux_sock *s, struct sock_msg *m)
{
	uint64_t done = 0, deadline = 0;
	while (done < m->len) {
		if (!peer_takes(s))
			return done ? (long)done : epipe(proc, s, m);
		struct linux_sock *t = s->peer;
		if (!linux_unix_room(proc->net, t, s)) {
			if (m->nonblock)
				return done ? (long)done : -EAGAIN;
			long rc = linux_unix_wait(proc, s->sndtimeo, &deadline);
			if (rc < 0)
				return done ? (long)done : rc;
			continue;
		}
		uint64_t limit = t->rcvbuf > s->sndbuf ? t->rcvbuf : s->sndbuf;
		uint64_t chunk = m->len - done;
		if (chunk > LINUX_SOCK_CHUNK)
			chunk = LINUX_SOCK_CHUNK;
		if (chunk > limit - t->rq_bytes)
			chunk = limit - t->rq_bytes;
		struct unix_msg *msg;
		long rc = msg_make(proc, s, m, done, chunk, &msg);
		if (rc < 0)
			return done ? (long)done : rc;
		linux_unix_enqueue(proc, t, msg);
		done += chunk;
	}
	return (long)done;
}

/* A datagram or a seqpacket record to t: whole, or not at all. */
static long record_send(struct linux_proc *proc, struct linux_sock *s, struct linux_sock *t,
			struct sock_msg *m)
{
	uint64_t deadline = 0;
	if (m->len > s->sndbuf - 32) /* as Linux: a record must fit the send buffer */
		return -EMSGSIZE;
	while (!linux_unix_room(proc->net, t, s)) {
		if (m->nonblock)
			return -EAGAIN;
		long rc = linux_unix_wait(proc, s->sndtimeo, &deadline);
		if (rc < 0)
			return rc;
		if (s->type == L_SOCK_SEQPACKET && !peer_takes(s))
			return -EPIPE;
	}
	struct unix_msg *msg;
	long rc = msg_make(proc, s, m, 0, m->len, &msg);
	if (rc < 0)
		return rc;
	linux_unix_enqueue(proc, t, msg);
	return (long)m->len;
}

static long dgram_send(struct linux_proc *proc, struct linux_sock *s, struct sock_msg *m)
{
	struct linux_sock *t = s->peer;
	if (m->addr.len) {
		long rc = linux_unix_lookup(proc, &m->addr, s->type, &t);
		if (rc < 0)
			return rc;
	} else if (!t) {
		if (!s->peer_gone)
			return -ENOTCONN;
		s->peer_gone = false; /* as Linux: reported once, then unconnected */
		return -ECONNREFUSED;
	}
	if (t->peer && t->peer != s)
		return -EPERM; /* t is connected to another socket */
	if ((s->shut & SHUT_SEND) || (t->shut & SHUT_RCV))
		return -EPIPE;
	return record_send(proc, s, t, m);
}

long linux_unix_send(struct linux_proc *proc, struct linux_sock *s, struct sock_msg *m)
{
	if (proc->net->inflight + m->nfiles > LINUX_INFLIGHT_MAX)
		return -ETOOMANYREFS;
	if (s->type == L_SOCK_DGRAM)
		return dgram_send(proc, s, m);
	if (m->addr.len && s->type == L_SOCK_STREAM)
		return s->state == SS_CONNECTED ? -EISCONN : -EOPNOTSUPP;
	if (s->state != SS_CONNECTED)
		return -ENOTCONN;
	if (!peer_takes(s))
		return epipe(proc, s, m);
	if (s->type == L_SOCK_SEQPACKET)
		return record_send(proc, s, s->peer, m);
	return stream_send(proc, s, m);
}

/* The other end can send no more: reads return 0 once the queue is empty. */
static bool at_eof(const struct linux_sock *s)
{
	if (s->shut & SHUT_RCV)
		return true;
	return s->type != L_SOCK_DGRAM && (s->peer_gone || !s->peer || (s->peer->shut & SHUT_SEND));
}

/* The sender's name, credentials (SO_PASSCRED) and files of msg, into m.
 * MSG_PEEK leaves the files queued and takes references of its own. */
static void take_extras(struct linux_proc *proc, const struct linux_sock *s, struct unix_msg *msg,
			struct sock_msg *m, bool peek)
{
	m->addr = msg->from;
	if (s->passcred) {
		m->has_cred = true;
		m->cred = msg->cred;
	}
	if (!msg->nfiles)
		return;
	memcpy(m->files, msg->files, msg->nfiles * FILE_REF_SIZE);
	m->nfiles = msg->nfiles;
	if (peek) {
		for (uint32_t i = 0; i < msg->nfiles; i++)
			msg->files[i]->refs++;
		return;
	}
	proc->net->inflight -= msg->nfiles;
	msg->nfiles = 0;
}

static long stream_recv(struct linux_proc *proc, struct linux_sock *s, struct sock_msg *m)
{
	bool peek = m->flags & L_MSG_PEEK;
	uint64_t copied = 0, deadline = 0;
	uint64_t want = (m->flags & L_MSG_WAITALL) && !peek ? m->len : 1;
	struct unix_msg *msg = s->rq;
	uint32_t off = msg ? msg->off : 0; /* MSG_PEEK's place in msg */
	while (copied < m->len) {
		if (!msg) {
			if (copied >= want || at_eof(s))
				break;
			if (m->nonblock)
				return copied ? (long)copied : -EAGAIN;
			long rc = linux_unix_wait(proc, s->rcvtimeo, &deadline);
			if (rc < 0 && copied)
				proc->cur_blocked =
				    false; /* returns what it read, never read again */
			if (rc < 0)
				return copied ? (long)copied : rc;
			if ((msg = s->rq))
				off = msg->off;
			continue;
		}
		/* Files arrive with the bytes they were sent with, never merged into a longer read. */
		if (copied && msg->nfiles)
			break;
		uint64_t n = msg->len - off;
		if (n > m->len - copied)
			n = m->len - copied;
		if (linux_sock_iov_copy(proc, m, copied, msg->data + off, n, true) < 0)
			return copied ? (long)copied : -EFAULT;
		if (!copied)
			take_extras(proc, s, msg, m, peek);
		copied += n;
		off += (uint32_t)n;
		if (peek) {
			if (off == msg->len && (msg = msg->next))
				off = msg->off;
			continue;
		}
		msg->off = off;
		if (off == msg->len) {
			dequeue_free(proc, s);
			if ((msg = s->rq))
				off = msg->off;
		}
	}
	return (long)copied;
}

static long record_recv(struct linux_proc *proc, struct linux_sock *s, struct sock_msg *m)
{
	bool peek = m->flags & L_MSG_PEEK;
	uint64_t deadline = 0;
	while (!s->rq) {
		if (at_eof(s))
			return 0;
		if (m->nonblock)
			return -EAGAIN;
		long rc = linux_unix_wait(proc, s->rcvtimeo, &deadline);
		if (rc < 0)
			return rc;
	}
	struct unix_msg *msg = s->rq;
	uint64_t n = msg->len < m->len ? msg->len : m->len;
	if (linux_sock_iov_copy(proc, m, 0, msg->data, n, true) < 0)
		return -EFAULT;
	if (msg->len > m->len)
		m->out_flags |= L_MSG_TRUNC;
	take_extras(proc, s, msg, m, peek);
	uint32_t len = msg->len;
	if (!peek)
		dequeue_free(proc, s);
	return (m->flags & L_MSG_TRUNC) ? (long)len : (long)n;
}

long linux_unix_recv(struct linux_proc *proc, struct linux_sock *s, struct sock_msg *m)
{
	if (s->state == SS_LISTENING)
		return -EINVAL;
	if (s->type != L_SOCK_DGRAM && s->state != SS_CONNECTED)
		return s->type == L_SOCK_STREAM ? -EINVAL : -ENOTCONN;
	if (s->type == L_SOCK_STREAM)
		return m->len ? stream_recv(proc, s, m) : 0;
	return record_recv(proc, s, m);
}
