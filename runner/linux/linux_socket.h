/* Sockets of a Linux-ABI guest: what linux_socket.c (the calls, msghdr, cmsg and options) shares with linux_unix.c (AF_UNIX inside the VM). */
#ifndef LOCKVM_LINUX_SOCKET_H
#define LOCKVM_LINUX_SOCKET_H

#include "linux.h"

/* x86-64 Linux values, as the program passes them. */
#define L_AF_UNIX	   1
#define L_SOCK_STREAM	   1
#define L_SOCK_DGRAM	   2
#define L_SOCK_SEQPACKET   5
#define L_MSG_PEEK	   0x2
#define L_MSG_CTRUNC	   0x8
#define L_MSG_TRUNC	   0x20
#define L_MSG_DONTWAIT	   0x40
#define L_MSG_EOR	   0x80
#define L_MSG_WAITALL	   0x100
#define L_MSG_NOSIGNAL	   0x4000
#define L_MSG_CMSG_CLOEXEC 0x40000000

#define LINUX_SOCK_BUF	   (208U << 10) /* default SO_SNDBUF/SO_RCVBUF, as Linux's */
#define LINUX_SOCK_BUF_MIN 4608U	/* as Linux's SOCK_MIN_SNDBUF */
#define LINUX_SOCK_BUF_MAX (4U << 20)
#define LINUX_SCM_MAX_FD   253U		 /* files one message carries (Linux's SCM_MAX_FD) */
#define LINUX_INFLIGHT_MAX 1024U	 /* files in flight in the whole VM */
#define LINUX_SOCKS_MAX	   1024U	 /* sockets alive, accepted-not-yet ones included */
#define LINUX_NET_MEM	   (32ULL << 20) /* bytes all socket queues may hold */
#define LINUX_DGRAM_QLEN   512U		 /* datagrams a socket queues (net.unix.max_dgram_qlen) */
#define LINUX_BACKLOG_MAX  128U		 /* connections a listener queues */
#define LINUX_SUN_LEN	   110U		 /* sizeof(struct sockaddr_un) */
/* Bytes of one struct linux_file * in an array of them (clang-tidy reads sizeof
 * of a pointer to a struct as a mistake). */
#define FILE_REF_SIZE	 sizeof(void *)
#define LINUX_SOCK_CHUNK (64U << 10) /* bytes per queued stream message */

struct inet_sock;

struct l_ucred {
	int32_t pid;
	uint32_t uid, gid;
};

/* A socket address as the program gave it (sockaddr_un bytes, family first). */
struct sock_addr {
	uint8_t bytes[LINUX_SUN_LEN + 2]; /* + a NUL after a 108-byte path, as Linux adds */
	uint32_t len;			  /* 0: none */
};

/* A queued message: data, the sender's address and credentials, files in flight. */
struct unix_msg {
	struct unix_msg *next;
	uint32_t len, off; /* bytes; off: already read (stream) */
	uint32_t nfiles;
	struct linux_file **files; /* SCM_RIGHTS: one reference each */
	struct l_ucred cred;
	struct sock_addr from;
	uint8_t data[];
};

enum sock_state { SS_UNCONNECTED, SS_LISTENING, SS_CONNECTED };

#define SHUT_RCV  1u
#define SHUT_SEND 2u

/* One socket. Its file (1:1) is NULL while it waits in a listener's accept queue. */
struct linux_sock {
	struct linux_file *file;
	struct linux_sock *next, **pprev; /* every socket of the VM (net->socks) */
	unsigned type;			  /* L_SOCK_* */
	enum sock_state state;
	struct linux_sock *peer; /* stream: the other end; dgram: connect()'s default */
	bool peer_gone;		 /* was connected and the other end closed */
	unsigned shut;		 /* SHUT_RCV | SHUT_SEND: this end's shutdown() */
	struct unix_msg *rq, **rq_tail;
	uint64_t rq_bytes;
	unsigned rq_count;
	struct linux_sock *acceptq, **acceptq_tail; /* listening: connections not accepted yet */
	unsigned acceptq_len, backlog;
	struct linux_sock *listener;	/* in an accept queue: whose */
	struct linux_sock *next_accept; /* the next in that queue */
	struct sock_addr name;		/* bound (or the listener's, once accepted) */
	bool bound;			/* name is ours: connect() and sendto() find it */
	struct linux_node *node;	/* a path name's socket node in the tree (a reference) */
	struct l_ucred peercred;	/* SO_PEERCRED: the other end's, at connect */
	bool has_peercred, passcred;
	int so_error;
	uint32_t sndbuf, rcvbuf;
	uint64_t sndtimeo, rcvtimeo; /* ns; 0: none */
	unsigned opts;		     /* SO_REUSEADDR, SO_KEEPALIVE...: accepted, no effect */
	struct inet_sock *inet;	     /* AF_INET/AF_INET6 (linux_inet.h); NULL: AF_UNIX */
	bool netlink;		     /* AF_NETLINK (linux_netlink.c): an AF_UNIX datagram queue */
	int32_t linger[2];	     /* SO_LINGER: l_onoff, l_linger (TCP: 0 s resets at close) */
	struct linux_sock *dying;    /* net->dying */
	unsigned gc_in;		     /* garbage collection: times its file is in flight */
	bool gc_alive;
};

/* The sockets of one VM (proc->net): names, limits, files in flight. */
struct linux_net {
	struct linux_sock *socks;
	struct linux_sock *dying; /* files at no reference: freed by the outermost put */
	unsigned count, inflight;
	uint64_t bytes;
	uint32_t autobind;
	bool busy;
};

/* One send or receive in the VMM's terms. */
struct l_iovec {
	uint64_t base, len;
};
struct sock_msg {
	struct l_iovec *iov; /* the program's buffers */
	unsigned iovcnt;
	uint64_t len;	       /* their total */
	unsigned flags;	       /* MSG_* of the call */
	bool nonblock;	       /* MSG_DONTWAIT or O_NONBLOCK */
	struct sock_addr addr; /* send: where to (len 0: the peer); recv: the sender */
	struct linux_file *files[LINUX_SCM_MAX_FD]; /* one reference each */
	unsigned nfiles;
	bool has_cred;
	struct l_ucred cred;
	unsigned out_flags; /* recv: MSG_TRUNC */
	uint8_t *host;	    /* set: the data is this VMM buffer of len bytes, not iov (splice) */
};

/* ---- linux_socket.c ---- */

/* Copies n bytes between buf and the message's iovecs from byte `at` of
 * them. Returns 0 or -EFAULT. */
long linux_sock_iov_copy(struct linux_proc *proc, const struct sock_msg *m, uint64_t at, void *buf,
			 uint64_t n, bool to_program);
/* The socket behind fd: 0, -EBADF or -ENOTSOCK. */
long linux_sock_of(struct linux_proc *proc, uint64_t fd, struct linux_sock **s);
/* The calling process's credentials (SO_PEERCRED, SCM_CREDENTIALS). */
struct l_ucred linux_sock_self_cred(struct linux_proc *proc);

/* ---- linux_unix.c ---- */

/* A new socket of type in a new file (one reference taken by the caller's
 * fd), or NULL with -errno in *err. */
struct linux_sock *linux_unix_new(struct linux_proc *proc, unsigned type, bool nonblock, long *err);
/* Connects two new sockets (socketpair). */
void linux_unix_pair(struct linux_proc *proc, struct linux_sock *a, struct linux_sock *b);
long linux_unix_bind(struct linux_proc *proc, struct linux_sock *s, const struct sock_addr *addr);
long linux_unix_listen(struct linux_proc *proc, struct linux_sock *s, int backlog);
/* The bound socket of type an address names (connect, sendto): 0 with *out, or -errno. */
long linux_unix_lookup(struct linux_proc *proc, const struct sock_addr *addr, unsigned type,
		       struct linux_sock **out);
long linux_unix_connect(struct linux_proc *proc, struct linux_sock *s, const struct sock_addr *addr,
			bool nonblock);
/* The next connection, its file made (flags: O_NONBLOCK); NULL with -errno. */
struct linux_sock *linux_unix_accept(struct linux_proc *proc, struct linux_sock *s, bool nonblock,
				     long *err);
long linux_unix_send(struct linux_proc *proc, struct linux_sock *s, struct sock_msg *m);
long linux_unix_recv(struct linux_proc *proc, struct linux_sock *s, struct sock_msg *m);
long linux_unix_shutdown(struct linux_sock *s, unsigned how);
/* Blocks until the VM's sockets may have changed or the timeout (ns, 0:
 * none; *deadline set on the first wait) passed: 0 to look again,
 * -EAGAIN when it timed out, or an interrupted call's error. */
long linux_unix_wait(struct linux_proc *proc, uint64_t timeout, uint64_t *deadline);
/* Whether t's queue takes a message from `from` now. */
bool linux_unix_room(const struct linux_net *net, const struct linux_sock *t,
		     const struct linux_sock *from);
/* Frees a queued message, dropping the files it carries. */
void linux_unix_msg_free(struct linux_proc *proc, struct unix_msg *m);
/* Appends msg to t's receive queue, counted against t and the VM. */
void linux_unix_enqueue(struct linux_proc *proc, struct linux_sock *t, struct unix_msg *msg);

/* ---- linux_netlink.c: AF_NETLINK/NETLINK_ROUTE, read-only ---- */
long linux_netlink_new(struct linux_proc *proc, bool nonblock, struct linux_sock **out);
long linux_netlink_bind(struct linux_sock *s, const struct sock_addr *addr);
long linux_netlink_connect(const struct sock_addr *addr);
long linux_netlink_send(struct linux_proc *proc, struct linux_sock *s, struct sock_msg *m);
struct netlink_view;
/* linux_netif.c: lo and, when the VM has one, eth0 as rtnetlink shows them. */
void linux_netif_view(struct netlink_view *v);
/* The peer's name (getpeername): 0 or -ENOTCONN. */
long linux_unix_peer_name(const struct linux_sock *s, struct sock_addr *out);

#endif
