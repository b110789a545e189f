/* Freeing AF_UNIX sockets: the last reference on a socket's file frees it and its queue (files in flight dropped), iteratively, and sockets that only their own queued SCM_RIGHTS keep alive (a socket sent over itself, a ring of them) are collected as Linux's unix_gc does. */
#include <stdlib.h>

#include "linux_inet.h"
#include "linux_socket.h"

void linux_unix_msg_free(struct linux_proc *proc, struct unix_msg *m)
{
	struct linux_net *net = proc->net;
	net->bytes -= sizeof(*m) + m->len;
	net->inflight -= m->nfiles;
	for (uint32_t i = 0; i < m->nfiles; i++)
		linux_file_put(proc, m->files[i]); /* a socket's only queues it on net->dying */
	free(m->files);
	free(m);
}

static void purge_queue(struct linux_proc *proc, struct linux_sock *s)
{
	while (s->rq) {
		struct unix_msg *m = s->rq;
		s->rq = m->next;
		linux_unix_msg_free(proc, m);
	}
	s->rq_tail = &s->rq;
	s->rq_bytes = 0;
	s->rq_count = 0;
}

static void destroy(struct linux_proc *proc, struct linux_sock *s)
{
	struct linux_net *net = proc->net;
	if (s->inet)
		linux_inet_free(s);
	*s->pprev = s->next;
	if (s->next)
		s->next->pprev = s->pprev;
	net->count--;
	/* Connections never accepted go with their listener. */
	while (s->acceptq) {
		struct linux_sock *e = s->acceptq;
		s->acceptq = e->next_accept;
		destroy(proc, e);
	}
	/* Whoever points at s (its stream peer, dgram senders connected to it) sees it gone. */
	for (struct linux_sock *o = net->socks; o; o = o->next)
		if (o->peer == s) {
			o->peer = NULL;
			o->peer_gone = true;
		}
	purge_queue(proc, s);
	if (s->node)
		linux_fs_put(&proc->fs,
			     s->node); /* the socket node stays in the tree, as on Linux */
	free(s->file);
	free(s);
}

/* Calls fn on every file in flight in s's queue and its unaccepted connections' queues. */
static void each_inflight(struct linux_sock *s, void (*fn)(struct linux_file *f, void *arg),
			  void *arg)
{
	for (struct unix_msg *m = s->rq; m; m = m->next)
		for (uint32_t i = 0; i < m->nfiles; i++)
			fn(m->files[i], arg);
	for (struct linux_sock *e = s->acceptq; e; e = e->next_accept)
		each_inflight(e, fn, arg);
}

static void count_in(struct linux_file *f, void *arg)
{
	if (f->kind == LINUX_FILE_SOCKET)
		f->sock->gc_in++;
}

static void mark_alive(struct linux_file *f, void *arg)
{
	if (f->kind == LINUX_FILE_SOCKET && !f->sock->gc_alive) {
		f->sock->gc_alive = true;
		*(bool *)arg = true;
	}
}

/* Takes the files out of every message of s (and its unaccepted connections) into *out. */
static void take_files(struct linux_net *net, struct linux_sock *s, struct linux_file ***out,
		       size_t *n, size_t *cap)
{
	for (struct unix_msg *m = s->rq; m; m = m->next) {
		if (*n + m->nfiles > *cap) {
			size_t grow = (*cap + m->nfiles) * 2;
			struct linux_file **p =
			    realloc_copy(*out, *cap * FILE_REF_SIZE, grow * FILE_REF_SIZE);
			if (!p)
				return; /* the rest stays queued: collected next time */
			*out = p;
			*cap = grow;
		}
		for (uint32_t i = 0; i < m->nfiles; i++)
			(*out)[(*n)++] = m->files[i];
		net->inflight -= m->nfiles;
		m->nfiles = 0;
	}
	for (struct linux_sock *e = s->acceptq; e; e = e->next_accept)
		take_files(net, e, out, n, cap);
}

/*
 * A socket is garbage when every reference on its file is a queued
 * message's and no socket the program can reach queues it. Roots: files
 * with more references than messages carrying them. The files queued in
 * garbage sockets are dropped, which frees the sockets.
 */
static void collect(struct linux_proc *proc)
{
	struct linux_net *net = proc->net;
	for (struct linux_sock *s = net->socks; s; s = s->next)
		s->gc_in = 0;
	for (struct linux_sock *s = net->socks; s; s = s->next)
		if (s->file)
			each_inflight(s, count_in, NULL);
	for (struct linux_sock *s = net->socks; s; s = s->next)
		s->gc_alive = !s->file || s->file->refs > s->gc_in;
	bool more = true;
	while (more) {
		more = false;
		for (struct linux_sock *s = net->socks; s; s = s->next)
			if (s->file && s->gc_alive)
				each_inflight(s, mark_alive, &more);
	}
	struct linux_file **files = NULL;
	size_t n = 0, cap = 0;
	for (struct linux_sock *s = net->socks; s; s = s->next)
		if (!s->gc_alive)
			take_files(net, s, &files, &n, &cap);
	for (size_t i = 0; i < n; i++)
		linux_file_put(proc, files[i]);
	free(files);
}

static void reap(struct linux_proc *proc)
{
	struct linux_net *net = proc->net;
	while (net->dying) {
		struct linux_sock *s = net->dying;
		net->dying = s->dying;
		destroy(proc, s);
	}
}

void linux_sock_put(struct linux_proc *proc, struct linux_file *f)
{
	struct linux_net *net = proc->net;
	if (--f->refs == 0) {
		if (f->epoll_refs)
			linux_epoll_file_gone(proc, f); /* before destroy() frees it */
		f->sock->dying = net->dying;
		net->dying = f->sock;
	}
	/* Only the outermost put frees: a queue's files put from destroy()
	 * are queued here, so freeing a chain of sockets never recurses. */
	if (net->busy)
		return;
	net->busy = true;
	reap(proc);
	if (net->inflight) {
		collect(proc);
		reap(proc);
	}
	net->busy = false;
	if (net->count == 0) {
		free(net);
		proc->net = NULL;
	}
}
