/* The socket calls of a Linux-ABI guest: the address-family switch (AF_UNIX served by linux_unix*.c, AF_INET/AF_INET6 by linux_inet*.c, AF_NETLINK's route family by linux_netlink.c, every other family EAFNOSUPPORT and counted), addresses, msghdr, iovecs and cmsgs (SCM_RIGHTS, SCM_CREDENTIALS) read and written only through the checked copies. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "linux_inet.h"
#include "linux_netlink.h"
#include "linux_socket.h"

#define L_SOCK_TYPE_MASK 0xf
#define L_SOCK_RAW	 3
#define L_SOL_SOCKET	 1
#define L_SCM_RIGHTS	 1
#define L_SCM_CREDS	 2
#define L_UIO_MAXIOV	 1024
#define L_CTL_MAX	 (64U << 10) /* control bytes a sendmsg may pass (Linux: optmem_max) */
#define CMSG_HDR	 16U	     /* struct cmsghdr: len (8), level (4), type (4) */
#define MSGHDR_SIZE	 56U
#define ALIGN8(x)	 (((x) + 7) & ~(uint64_t)7)

struct l_ucred linux_sock_self_cred(struct linux_proc *proc)
{
	/* The VM's one identity: pid as getpid() answers, root of its own VM. */
	return (struct l_ucred){.pid = (int32_t)linux_sys_getpid(proc, NULL), .uid = 0, .gid = 0};
}

long linux_sock_iov_copy(struct linux_proc *proc, const struct sock_msg *m, uint64_t at, void *buf,
			 uint64_t n, bool to_program)
{
	uint8_t *p = buf;
	if (m->host) { /* a VMM buffer (splice): already bounded by m->len */
		if (at > m->len || n > m->len - at)
			return -EFAULT;
		memcpy(to_program ? m->host + at : p, to_program ? p : m->host + at, n);
		return 0;
	}
	for (unsigned i = 0; i < m->iovcnt && n; i++) {
		uint64_t len = m->iov[i].len;
		if (at >= len) {
			at -= len;
			continue;
		}
		uint64_t k = len - at < n ? len - at : n;
		long rc = to_program ? linux_copy_out(proc, m->iov[i].base + at, p, k)
				     : linux_copy_in(proc, p, m->iov[i].base + at, k);
		if (rc < 0)
			return -EFAULT;
		p += k;
		n -= k;
		at = 0;
	}
	return 0;
}

long linux_sock_of(struct linux_proc *proc, uint64_t fd, struct linux_sock **s)
{
	struct linux_file *f = linux_fd_get(proc, fd);
	if (!f)
		return -EBADF;
	if (f->kind != LINUX_FILE_SOCKET)
		return -ENOTSOCK;
	*s = f->sock;
	return 0;
}

/* A sockaddr from the program for socket s: its family's (or AF_UNSPEC when unspec_ok). */
static long addr_in(struct linux_proc *proc, const struct linux_sock *s, uint64_t uaddr,
		    uint64_t len, struct sock_addr *out, bool unspec_ok)
{
	if (len < 2 || len > LINUX_SUN_LEN)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (linux_copy_in(proc, out->bytes, uaddr, len) < 0)
		return -EFAULT;
	out->len = (uint32_t)len;
	uint16_t family = (uint16_t)(out->bytes[0] | out->bytes[1] << 8);
	if (family == 0 && unspec_ok)
		return 0;
	if (s->inet)
		return linux_inet_addr_check(s->inet, out);
	if (s->netlink)
		return family == L_AF_NETLINK && len >= L_SNL_LEN ? 0 : -EINVAL;
	return family == L_AF_UNIX ? 0 : -EINVAL;
}

/* Writes addr to the program's (uaddr, *ulen) as Linux does: truncated to *ulen, its full length back. */
static long addr_out(struct linux_proc *proc, uint64_t uaddr, uint64_t ulen,
		     const struct sock_addr *addr)
{
	int32_t len;
	if (!uaddr)
		return 0;
	if (linux_copy_in(proc, &len, ulen, sizeof(len)) < 0)
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	uint32_t n = (uint32_t)len < addr->len ? (uint32_t)len : addr->len;
	if (linux_copy_out(proc, uaddr, addr->bytes, n) < 0)
		return -EFAULT;
	len = (int32_t)addr->len;
	return linux_copy_out(proc, ulen, &len, sizeof(len));
}

/* Puts a new socket's file in the fd table, or frees it. */
static long install(struct linux_proc *proc, struct linux_sock *s, bool cloexec)
{
	struct linux_file *f = s->file;
	int fd = linux_fd_alloc(proc, 0, f, cloexec);
	if (fd < 0) {
		f->refs = 1;
		linux_sock_put(proc, f);
	}
	return fd;
}

/* The type and flags of socket()/socketpair(): 0 or -errno. */
static long socket_args(struct linux_proc *proc, uint64_t domain, uint64_t type, uint64_t protocol,
			unsigned *base)
{
	if (type & ~(uint64_t)(L_SOCK_TYPE_MASK | L_O_NONBLOCK | L_O_CLOEXEC))
		return -EINVAL;
	*base = type & L_SOCK_TYPE_MASK;
	if (domain == L_AF_NETLINK && protocol == L_NETLINK_ROUTE) /* read-only route netlink */
		return *base == L_SOCK_RAW || *base == L_SOCK_DGRAM ? 0 : -ESOCKTNOSUPPORT;
	if (domain != L_AF_UNIX && domain != L_AF_INET && domain != L_AF_INET6) {
		proc->eafnosupport++; /* --stats shows it; --strace the call */
		return -EAFNOSUPPORT;
	}
	if (*base != L_SOCK_STREAM && *base != L_SOCK_DGRAM && *base != L_SOCK_SEQPACKET)
		return -ESOCKTNOSUPPORT;
	if (domain != L_AF_UNIX)
		return *base == L_SOCK_SEQPACKET ||
			       (protocol && protocol != (*base == L_SOCK_STREAM ? 6U : 17U))
			   ? -EPROTONOSUPPORT
			   : 0; /* IPPROTO_TCP, IPPROTO_UDP */
	if (protocol != 0 && protocol != L_AF_UNIX)
		return -EPROTONOSUPPORT;
	return 0;
}

long linux_sys_socket(struct linux_proc *proc, const uint64_t *a)
{
	unsigned type;
	long rc = socket_args(proc, a[0], a[1], a[2], &type);
	if (rc < 0)
		return rc;
	struct linux_sock *s = NULL;
	if (a[0] == L_AF_NETLINK)
		rc = linux_netlink_new(proc, a[1] & L_O_NONBLOCK, &s);
	else if (a[0] != L_AF_UNIX)
		rc = linux_inet_new(proc, (int)a[0], type, a[1] & L_O_NONBLOCK, &s);
	else
		s = linux_unix_new(proc, type, a[1] & L_O_NONBLOCK, &rc);
	return s ? install(proc, s, a[1] & L_O_CLOEXEC) : rc;
}

long linux_sys_socketpair(struct linux_proc *proc, const uint64_t *a)
{
	unsigned type;
	long rc = socket_args(proc, a[0], a[1], a[2], &type);
	if (rc < 0)
		return rc;
	if (a[0] != L_AF_UNIX)
		return -EOPNOTSUPP; /* as Linux: socketpair is AF_UNIX's */
	bool nonblock = a[1] & L_O_NONBLOCK, cloexec = a[1] & L_O_CLOEXEC;
	struct linux_sock *x = linux_unix_new(proc, type, nonblock, &rc);
	if (!x)
		return rc;
	struct linux_sock *y = linux_unix_new(proc, type, nonblock, &rc);
	if (!y) {
		x->file->refs = 1;
		linux_sock_put(proc, x->file);
		return rc;
	}
	linux_unix_pair(proc, x, y);
	struct linux_file *yf = y->file;
	long fx = install(proc, x, cloexec);
	if (fx < 0) {
		yf->refs = 1;
		linux_sock_put(proc, yf);
		return fx;
	}
	long fy = install(proc, y, cloexec);
	const int32_t sv[2] = {(int32_t)fx, (int32_t)fy};
	if (fy < 0 || linux_copy_out(proc, a[3], sv, sizeof(sv)) < 0) {
		const uint64_t c0[1] = {(uint64_t)fx}, c1[1] = {(uint64_t)fy};
		(void)linux_sys_close(proc, c0);
		if (fy >= 0)
			(void)linux_sys_close(proc, c1);
		return fy < 0 ? fy : -EFAULT;
	}
	return 0;
}

long linux_sys_bind(struct linux_proc *proc, const uint64_t *a)
{
	struct linux_sock *s;
	struct sock_addr addr;
	long rc = linux_sock_of(proc, a[0], &s);
	if (rc < 0 || (rc = addr_in(proc, s, a[1], a[2], &addr, false)) < 0)
		return rc;
	return s->inet	    ? linux_inet_bind(s, &addr)
	       : s->netlink ? linux_netlink_bind(s, &addr)
			    : linux_unix_bind(proc, s, &addr);
}

long linux_sys_listen(struct linux_proc *proc, const uint64_t *a)
{
	struct linux_sock *s;
	long rc = linux_sock_of(proc, a[0], &s);
	if (rc < 0)
		return rc;
	return s->inet ? linux_inet_listen(s, (int)a[1]) : linux_unix_listen(proc, s, (int)a[1]);
}

long linux_sys_connect(struct linux_proc *proc, const uint64_t *a)
{
	struct linux_sock *s;
	struct sock_addr addr;
	long rc = linux_sock_of(proc, a[0], &s);
	if (rc < 0 || (rc = addr_in(proc, s, a[1], a[2], &addr, true)) < 0)
		return rc;
	if (s->inet)
		return linux_inet_connect(proc, s, &addr, s->file->flags & L_O_NONBLOCK);
	if (s->netlink)
		return linux_netlink_connect(&addr);
	if (addr.bytes[0] == 0 && s->type != L_SOCK_DGRAM)
		return -EINVAL; /* AF_UNSPEC only dissolves a datagram association */
	return linux_unix_connect(proc, s, &addr, s->file->flags & L_O_NONBLOCK);
}

static bool fd_free_slot(struct linux_proc *proc)
{
	for (uint64_t fd = 0; fd < LINUX_MAX_FDS; fd++)
		if (!linux_fd_get(proc, fd))
			return true;
	return false;
}

long linux_sys_accept4(struct linux_proc *proc, const uint64_t *a)
{
	struct linux_sock *s;
	long rc = linux_sock_of(proc, a[0], &s);
	if (rc < 0)
		return rc;
	if (a[3] & ~(uint64_t)(L_O_NONBLOCK | L_O_CLOEXEC))
		return -EINVAL;
	if (!fd_free_slot(proc))
		return -EMFILE; /* as Linux: the connection stays queued */
	bool nonblock = s->file->flags & L_O_NONBLOCK;
	struct linux_sock *e = s->inet ? linux_inet_accept(proc, s, nonblock, &rc)
				       : linux_unix_accept(proc, s, nonblock, &rc);
	if (!e)
		return rc;
	e->file->flags |= a[3] & L_O_NONBLOCK ? L_O_NONBLOCK : 0;
	struct sock_addr peer = {.len = 2, .bytes = {L_AF_UNIX}};
	if (e->inet)
		(void)linux_inet_name(e, true, &peer);
	else if (e->peer)
		peer = e->peer->name;
	long fd = install(proc, e, a[3] & L_O_CLOEXEC);
	if (fd < 0)
		return fd;
	if ((rc = addr_out(proc, a[1], a[2], &peer)) < 0) {
		const uint64_t c[1] = {(uint64_t)fd};
		(void)linux_sys_close(proc, c);
		return rc;
	}
	return fd;
}

long linux_sys_accept(struct linux_proc *proc, const uint64_t *a)
{
	const uint64_t b[4] = {a[0], a[1], a[2], 0};
	return linux_sys_accept4(proc, b);
}

long linux_sys_shutdown(struct linux_proc *proc, const uint64_t *a)
{
	struct linux_sock *s;
	long rc = linux_sock_of(proc, a[0], &s);
	if (rc < 0)
		return rc;
	if (s->inet)
		return linux_inet_shutdown(s, (unsigned)a[1] > 2 ? 3 : (unsigned)a[1]);
	return linux_unix_shutdown(s, (unsigned)a[1] > 2 ? 3 : (unsigned)a[1]);
}

long linux_sys_getsockname(struct linux_proc *proc, const uint64_t *a)
{
	struct linux_sock *s;
	long rc = linux_sock_of(proc, a[0], &s);
	if (rc < 0)
		return rc;
	if (!a[1])
		return -EFAULT;
	struct sock_addr name = s->name;
	if (s->inet)
		(void)linux_inet_name(s, false, &name);
	return addr_out(proc, a[1], a[2], &name);
}

long linux_sys_getpeername(struct linux_proc *proc, const uint64_t *a)
{
	struct linux_sock *s;
	struct sock_addr peer;
	long rc = linux_sock_of(proc, a[0], &s);
	if (rc < 0 ||
	    (rc = s->inet ? linux_inet_name(s, true, &peer) : linux_unix_peer_name(s, &peer)) < 0)
		return rc;
	if (!a[1])
		return -EFAULT;
	return addr_out(proc, a[1], a[2], &peer);
}

/* Drops the references of files a message did not take. */
static void drop_files(struct linux_proc *proc, struct sock_msg *m)
{
	for (unsigned i = 0; i < m->nfiles; i++)
		linux_file_put(proc, m->files[i]);
	m->nfiles = 0;
}

/* One cmsg of a sendmsg: SCM_RIGHTS files (a reference each) or checked credentials. */
static long cmsg_one(struct linux_proc *proc, struct sock_msg *m, const uint8_t *c, uint64_t len)
{
	int32_t level, type;
	memcpy(&level, c + 8, 4);
	memcpy(&type, c + 12, 4);
	if (level != L_SOL_SOCKET)
		return 0; /* as Linux: other levels are not the socket layer's */
	if (type == L_SCM_RIGHTS) {
		uint64_t n = (len - CMSG_HDR) / 4;
		if (m->nfiles + n > LINUX_SCM_MAX_FD)
			return -EINVAL;
		for (uint64_t i = 0; i < n; i++) {
			int32_t fd;
			memcpy(&fd, c + CMSG_HDR + 4 * i, 4);
			struct linux_file *f = fd < 0 ? NULL : linux_fd_get(proc, (uint64_t)fd);
			if (!f)
				return -EBADF;
			f->refs++; /* in flight from here */
			m->files[m->nfiles++] = f;
		}
		return 0;
	}
	if (type != L_SCM_CREDS || len != CMSG_HDR + sizeof(struct l_ucred))
		return -EINVAL;
	struct l_ucred cred, self = linux_sock_self_cred(proc);
	memcpy(&cred, c + CMSG_HDR, sizeof(cred));
	/* A sender vouches only for its own ids: a peer's credentials are never forged. */
	if (cred.pid != self.pid || cred.uid != self.uid || cred.gid != self.gid)
		return -EPERM;
	m->has_cred = true;
	m->cred = cred;
	return 0;
}

static long cmsgs_in(struct linux_proc *proc, struct sock_msg *m, uint64_t uctl, uint64_t ctllen)
{
	if (!ctllen)
		return 0;
	if (ctllen > L_CTL_MAX)
		return -ENOBUFS;
	uint8_t *buf = malloc(ctllen);
	if (!buf)
		return -ENOMEM;
	long rc = linux_copy_in(proc, buf, uctl, ctllen);
	for (uint64_t off = 0; rc == 0 && ctllen - off >= CMSG_HDR;) {
		uint64_t len;
		memcpy(&len, buf + off, 8);
		if (len < CMSG_HDR || len > ctllen - off) {
			rc = -EINVAL;
			break;
		}
		rc = cmsg_one(proc, m, buf + off, len);
		off += ALIGN8(len) < ctllen - off ? ALIGN8(len) : ctllen - off;
	}
	free(buf);
	if (rc < 0)
		drop_files(proc, m);
	return rc;
}

/* The program's iovec array into m (total capped at LINUX_IO_MAX, a short transfer). */
static long iov_in(struct linux_proc *proc, struct sock_msg *m, uint64_t uiov, uint64_t cnt)
{
	if (cnt > L_UIO_MAXIOV)
		return -EMSGSIZE;
	m->iovcnt = (unsigned)cnt;
	if (!cnt)
		return 0;
	if (!(m->iov = calloc(cnt, sizeof(*m->iov))))
		return -ENOMEM;
	if (linux_copy_in(proc, m->iov, uiov, cnt * sizeof(*m->iov)) < 0)
		return -EFAULT;
	for (unsigned i = 0; i < cnt; i++) {
		if ((int64_t)m->iov[i].len < 0)
			return -EINVAL;
		if (m->iov[i].len > LINUX_IO_MAX - m->len)
			m->iov[i].len = LINUX_IO_MAX - m->len;
		m->len += m->iov[i].len;
	}
	return 0;
}

static long do_send(struct linux_proc *proc, struct linux_sock *s, struct sock_msg *m)
{
	m->nonblock = (m->flags & L_MSG_DONTWAIT) || (s->file->flags & L_O_NONBLOCK);
	long rc = m->flags & 1 /* MSG_OOB */ ? -EOPNOTSUPP
		  : s->inet		     ? linux_inet_send(proc, s, m)
		  : s->netlink		     ? linux_netlink_send(proc, s, m)
					     : linux_unix_send(proc, s, m);
	drop_files(proc, m);
	return rc;
}

/* The socket of a sendto/recvfrom (a[0]), its one buffer (a[1], a[2]) and flags (a[3]). */
static long buf_call(struct linux_proc *proc, const uint64_t *a, struct linux_sock **s,
		     struct l_iovec *iov, struct sock_msg *m)
{
	long rc = linux_sock_of(proc, a[0], s);
	if (rc < 0)
		return rc;
	*iov = (struct l_iovec){a[1], a[2] > LINUX_IO_MAX ? LINUX_IO_MAX : a[2]};
	*m = (struct sock_msg){.iov = iov, .iovcnt = 1, .len = iov->len, .flags = (unsigned)a[3]};
	return 0;
}

long linux_sys_sendto(struct linux_proc *proc, const uint64_t *a)
{
	struct linux_sock *s;
	struct l_iovec iov;
	struct sock_msg m;
	long rc = buf_call(proc, a, &s, &iov, &m);
	if (rc < 0)
		return rc;
	if (a[4] && (rc = addr_in(proc, s, a[4], a[5], &m.addr, false)) < 0)
		return rc;
	return do_send(proc, s, &m);
}

/* struct msghdr as the program lays it out (x86-64). */
struct l_msghdr {
	uint64_t name;
	int32_t namelen;
	uint64_t iov, iovlen, ctl, ctllen;
};

/* The socket of a sendmsg/recvmsg (a[0]) and its msghdr (a[1]): 0 or -errno. */
static long msghdr_in(struct linux_proc *proc, const uint64_t *a, struct linux_sock **s,
		      struct l_msghdr *h)
{
	uint8_t hdr[MSGHDR_SIZE];
	long rc = linux_sock_of(proc, a[0], s);
	if (rc < 0)
		return rc;
	if (linux_copy_in(proc, hdr, a[1], sizeof(hdr)) < 0)
		return -EFAULT;
	memcpy(&h->name, hdr, 8);
	memcpy(&h->namelen, hdr + 8, 4);
	memcpy(&h->iov, hdr + 16, 8);
	memcpy(&h->iovlen, hdr + 24, 8);
	memcpy(&h->ctl, hdr + 32, 8);
	memcpy(&h->ctllen, hdr + 40, 8);
	return 0;
}

long linux_sys_sendmsg(struct linux_proc *proc, const uint64_t *a)
{
	struct linux_sock *s;
	struct l_msghdr h;
	long rc = msghdr_in(proc, a, &s, &h);
	if (rc < 0)
		return rc;
	struct sock_msg m = {.flags = (unsigned)a[2]};
	if (h.name && h.namelen &&
	    (rc = addr_in(proc, s, h.name, (uint32_t)h.namelen, &m.addr, false)) < 0)
		return rc;
	if ((rc = iov_in(proc, &m, h.iov, h.iovlen)) == 0 &&
	    (rc = cmsgs_in(proc, &m, h.ctl, h.ctllen)) == 0)
		rc = do_send(proc, s, &m);
	free(m.iov);
	return rc;
}

/* sendmmsg/recvmmsg: each struct mmsghdr (a msghdr, then its msg_len) served
 * as one sendmsg/recvmsg; only the first may block, so a call retried after
 * blocking never repeats a message already moved (Linux returns what it
 * moved too, when a later one fails). */
#define MMSGHDR_SIZE	 64
#define L_MSG_WAITFORONE 0x10000
static long each_mmsg(struct linux_proc *proc, const uint64_t *a, bool send)
{
	uint64_t vlen = a[2] > L_UIO_MAXIOV ? L_UIO_MAXIOV : a[2];
	unsigned flags = (unsigned)a[3] & ~(unsigned)L_MSG_WAITFORONE;
	long done = 0;
	for (uint64_t i = 0; i < vlen; i++) {
		uint64_t hdr = a[1] + i * MMSGHDR_SIZE;
		const uint64_t one[3] = {a[0], hdr, flags | (i ? L_MSG_DONTWAIT : 0)};
		long rc = send ? linux_sys_sendmsg(proc, one) : linux_sys_recvmsg(proc, one);
		if (rc < 0)
			return done ? done : rc;
		uint32_t len = (uint32_t)rc;
		if (linux_copy_out(proc, hdr + MSGHDR_SIZE, &len, sizeof(len)) < 0)
			return done ? done : -EFAULT;
		done++;
	}
	return done;
}

long linux_sys_sendmmsg(struct linux_proc *proc, const uint64_t *a)
{
	return each_mmsg(proc, a, true);
}

long linux_sys_recvmmsg(struct linux_proc *proc, const uint64_t *a)
{
	return each_mmsg(proc, a, false); /* a timeout (a[4]) is not waited for past the first */
}

long linux_sock_rw(struct linux_proc *proc, struct linux_file *f, uint64_t buf, uint64_t len,
		   bool write_it)
{
	struct l_iovec iov = {buf, len};
	struct sock_msg m = {.iov = &iov, .iovcnt = 1, .len = len};
	if (write_it)
		return do_send(proc, f->sock, &m);
	m.nonblock = f->flags & L_O_NONBLOCK;
	long rc =
	    f->sock->inet ? linux_inet_recv(proc, f->sock, &m) : linux_unix_recv(proc, f->sock, &m);
	drop_files(proc, &m); /* read() has no room for them: dropped, as Linux */
	return rc;
}

long linux_sock_rw_host(struct linux_proc *proc, struct linux_file *f, void *buf, uint64_t len,
			bool write_it)
{
	struct sock_msg m = {.len = len, .host = buf};
	if (write_it)
		return do_send(proc, f->sock, &m);
	m.nonblock = f->flags & L_O_NONBLOCK;
	long rc =
	    f->sock->inet ? linux_inet_recv(proc, f->sock, &m) : linux_unix_recv(proc, f->sock, &m);
	drop_files(proc, &m);
	return rc;
}

/*
 * Builds the control data of a receive in ctl (ctllen bytes): the
 * sender's credentials, then its files installed as new fds (as many as
 * fit; the rest dropped with MSG_CTRUNC). Returns the bytes used; *fds
 * and *nfds name the installed fds, to close again if the copy out fails.
 */
static uint64_t cmsgs_build(struct linux_proc *proc, struct sock_msg *m, uint8_t *ctl,
			    uint64_t ctllen, bool cloexec, int32_t *fds, unsigned *nfds)
{
	uint64_t at = 0;
	if (m->has_cred) {
		uint64_t len = CMSG_HDR + sizeof(struct l_ucred);
		if (ctllen < len) {
			m->out_flags |= L_MSG_CTRUNC;
		} else {
			const int32_t lt[2] = {L_SOL_SOCKET, L_SCM_CREDS};
			memcpy(ctl, &len, 8);
			memcpy(ctl + 8, lt, 8);
			memcpy(ctl + CMSG_HDR, &m->cred, sizeof(m->cred));
			at = ALIGN8(len) < ctllen ? ALIGN8(len) : ctllen;
		}
	}
	*nfds = 0;
	if (!m->nfiles)
		return at;
	uint64_t room = ctllen - at > CMSG_HDR ? (ctllen - at - CMSG_HDR) / 4 : 0;
	unsigned i = 0;
	for (; i < m->nfiles && i < room; i++) {
		int fd = linux_fd_alloc(proc, 0, m->files[i], cloexec);
		if (fd < 0)
			break;
		linux_file_put(proc, m->files[i]); /* the fd holds it now, not the message */
		fds[(*nfds)++] = fd;
	}
	if (i < m->nfiles)
		m->out_flags |= L_MSG_CTRUNC;
	for (unsigned k = i; k < m->nfiles; k++)
		linux_file_put(proc, m->files[k]);
	m->nfiles = 0;
	if (!*nfds)
		return at;
	uint64_t len = CMSG_HDR + 4ULL * *nfds;
	const int32_t lt[2] = {L_SOL_SOCKET, L_SCM_RIGHTS};
	memcpy(ctl + at, &len, 8);
	memcpy(ctl + at + 8, lt, 8);
	memcpy(ctl + at + CMSG_HDR, fds, 4ULL * *nfds);
	return at + len;
}

static void close_fds(struct linux_proc *proc, const int32_t *fds, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		const uint64_t c[1] = {(uint64_t)fds[i]};
		(void)linux_sys_close(proc, c);
	}
}

static long do_recv(struct linux_proc *proc, struct linux_sock *s, struct sock_msg *m)
{
	m->nonblock = (m->flags & L_MSG_DONTWAIT) || (s->file->flags & L_O_NONBLOCK);
	if (m->flags & 1 /* MSG_OOB */)
		return -EOPNOTSUPP;
	return s->inet ? linux_inet_recv(proc, s, m) : linux_unix_recv(proc, s, m);
}

long linux_sys_recvfrom(struct linux_proc *proc, const uint64_t *a)
{
	struct linux_sock *s;
	struct l_iovec iov;
	struct sock_msg m;
	long rc = buf_call(proc, a, &s, &iov, &m);
	if (rc < 0)
		return rc;
	long n = do_recv(proc, s, &m);
	drop_files(proc, &m);
	if (n >= 0 && a[4] && m.addr.len && (rc = addr_out(proc, a[4], a[5], &m.addr)) < 0)
		return rc;
	return n;
}

long linux_sys_recvmsg(struct linux_proc *proc, const uint64_t *a)
{
	struct linux_sock *s;
	struct l_msghdr h;
	long rc = msghdr_in(proc, a, &s, &h);
	if (rc < 0)
		return rc;
	uint64_t name = h.name, ctl = h.ctl, ctllen = h.ctllen;
	int32_t namelen = h.namelen;
	if (name && namelen < 0)
		return -EINVAL;
	if (ctllen > L_CTL_MAX)
		ctllen = L_CTL_MAX; /* what the VMM fills at most */
	struct sock_msg m = {.flags = (unsigned)a[2]};
	uint8_t *cbuf = NULL;
	int32_t *fds = NULL;
	unsigned nfds = 0;
	long n = iov_in(proc, &m, h.iov, h.iovlen);
	if (n == 0 && ctllen &&
	    (!(cbuf = calloc(1, ctllen)) || !(fds = calloc(LINUX_SCM_MAX_FD, 4))))
		n = -ENOMEM;
	if (n == 0)
		n = do_recv(proc, s, &m);
	if (n < 0) {
		drop_files(proc, &m);
		goto out;
	}
	bool cloexec = m.flags & L_MSG_CMSG_CLOEXEC;
	uint64_t used = cbuf ? cmsgs_build(proc, &m, cbuf, ctllen, cloexec, fds, &nfds) : 0;
	if (m.nfiles) {
		m.out_flags |= L_MSG_CTRUNC; /* no control buffer: the files are dropped */
		drop_files(proc, &m);
	}
	int32_t alen = name ? (int32_t)m.addr.len : 0;
	uint32_t flags = m.out_flags;
	if ((used && linux_copy_out(proc, ctl, cbuf, used) < 0) ||
	    (name &&
	     linux_copy_out(proc, name, m.addr.bytes,
			    (uint32_t)namelen < m.addr.len ? (uint32_t)namelen : m.addr.len) < 0) ||
	    linux_copy_out(proc, a[1] + 8, &alen, 4) < 0 ||
	    linux_copy_out(proc, a[1] + 40, &used, 8) < 0 ||
	    linux_copy_out(proc, a[1] + 48, &flags, 4) < 0) {
		close_fds(proc, fds, nfds);
		n = -EFAULT;
	}
out:
	free(m.iov);
	free(cbuf);
	free(fds);
	return n;
}
