/* Socket options of a Linux-ABI guest (SOL_SOCKET): the ones libcs and runtimes set and read — type, error, buffers, credentials, timeouts — with Linux's clamping; unknown ones ENOPROTOOPT. */
#include <errno.h>
#include <string.h>

#include "linux_inet.h"
#include "linux_netlink.h"
#include "linux_socket.h"

#define L_SOL_SOCKET	 1
#define L_SO_REUSEADDR	 2
#define L_SO_TYPE	 3
#define L_SO_ERROR	 4
#define L_SO_DONTROUTE	 5
#define L_SO_BROADCAST	 6
#define L_SO_SNDBUF	 7
#define L_SO_RCVBUF	 8
#define L_SO_KEEPALIVE	 9
#define L_SO_OOBINLINE	 10
#define L_SO_LINGER	 13
#define L_SO_REUSEPORT	 15
#define L_SO_PASSCRED	 16
#define L_SO_PEERCRED	 17
#define L_SO_RCVLOWAT	 18
#define L_SO_SNDLOWAT	 19
#define L_SO_RCVTIMEO	 20
#define L_SO_SNDTIMEO	 21
#define L_SO_ACCEPTCONN	 30
#define L_SO_SNDBUFFORCE 32
#define L_SO_RCVBUFFORCE 33
#define L_SO_PROTOCOL	 38
#define L_SO_DOMAIN	 39
#define NS_PER_SEC	 1000000000ULL

/* Options that are flags with no effect inside the VM, by bit. */
static int flag_bit(uint64_t name)
{
	switch (name) {
	case L_SO_REUSEADDR: return 0;
	case L_SO_DONTROUTE: return 1;
	case L_SO_BROADCAST: return 2;
	case L_SO_KEEPALIVE: return 3;
	case L_SO_OOBINLINE: return 4;
	case L_SO_REUSEPORT: return 5;
	default: return -1;
	}
}

static uint32_t buf_size(int32_t val)
{
	uint64_t v = val < 0 ? 0 : (uint64_t)val * 2; /* as Linux: the value doubled, clamped */
	if (v < LINUX_SOCK_BUF_MIN)
		v = LINUX_SOCK_BUF_MIN;
	return v > LINUX_SOCK_BUF_MAX ? LINUX_SOCK_BUF_MAX : (uint32_t)v;
}

static long timeout_in(struct linux_proc *proc, uint64_t uval, uint64_t len, uint64_t *ns)
{
	int64_t tv[2];
	if (len < sizeof(tv))
		return -EINVAL;
	if (linux_copy_in(proc, tv, uval, sizeof(tv)) < 0)
		return -EFAULT;
	if (tv[1] < 0 || tv[1] >= 1000000)
		return -EDOM;
	if (tv[0] < 0) {
		*ns = 0; /* as Linux: a negative timeout is none */
		return 0;
	}
	*ns = (uint64_t)tv[0] > UINT64_MAX / (2 * NS_PER_SEC)
		  ? UINT64_MAX / 2
		  : (uint64_t)tv[0] * NS_PER_SEC + (uint64_t)tv[1] * 1000;
	return 0;
}

/* The socket of a [gs]etsockopt (a[0]) at level a[1]: 0 or -errno. */
static long option_socket(struct linux_proc *proc, const uint64_t *a, struct linux_sock **s)
{
	long rc = linux_sock_of(proc, a[0], s);
	if (rc < 0)
		return rc;
	if (a[1] == L_SOL_SOCKET || (*s)->inet || ((*s)->netlink && a[1] == L_SOL_NETLINK))
		return 0;
	return -EOPNOTSUPP; /* AF_UNIX has no other level */
}

long linux_sys_setsockopt(struct linux_proc *proc, const uint64_t *a)
{
	struct linux_sock *s;
	long rc = option_socket(proc, a, &s);
	if (rc < 0)
		return rc;
	if (a[1] == L_SOL_NETLINK)
		return 0; /* NETLINK_EXT_ACK, NETLINK_GET_STRICT_CHK...: taken, answers are the same */
	if (a[2] == L_SO_RCVTIMEO || a[2] == L_SO_SNDTIMEO)
		return timeout_in(proc, a[3], a[4],
				  a[2] == L_SO_RCVTIMEO ? &s->rcvtimeo : &s->sndtimeo);
	if (a[2] == L_SO_LINGER) {
		/* Kept and read back; a TCP close with l_linger 0 is a reset
		 * (linux_inet.c); closing never waits for a peer. */
		if (a[4] < sizeof(s->linger))
			return -EINVAL;
		return linux_copy_in(proc, s->linger, a[3], sizeof(s->linger)) < 0 ? -EFAULT : 0;
	}
	int32_t val;
	if (a[4] < sizeof(val))
		return -EINVAL;
	if (linux_copy_in(proc, &val, a[3], sizeof(val)) < 0)
		return -EFAULT;
	if (s->inet && (rc = linux_inet_setopt(s, a[1], a[2], val)) != 1)
		return rc;
	int bit = flag_bit(a[2]);
	if (bit >= 0) {
		s->opts = val ? s->opts | 1u << bit : s->opts & ~(1u << bit);
		return 0;
	}
	switch (a[2]) {
	case L_SO_SNDBUF:
	case L_SO_SNDBUFFORCE: s->sndbuf = buf_size(val); return 0;
	case L_SO_RCVBUF:
	case L_SO_RCVBUFFORCE: s->rcvbuf = buf_size(val); return 0;
	case L_SO_PASSCRED: s->passcred = val != 0; return 0;
	case L_SO_RCVLOWAT: return 0;
	default: return -ENOPROTOOPT;
	}
}

/* The value of an option (an int unless *len says otherwise): 0 or -errno. */
static long option_value(struct linux_proc *proc, struct linux_sock *s, uint64_t name, uint8_t *out,
			 uint32_t *len)
{
	int32_t v;
	int bit = flag_bit(name);
	*len = sizeof(v);
	switch (name) {
	case L_SO_TYPE: v = (int32_t)s->type; break;
	case L_SO_ERROR:
		v = s->so_error;
		s->so_error = 0;
		break;
	case L_SO_SNDBUF: v = (int32_t)s->sndbuf; break;
	case L_SO_RCVBUF: v = (int32_t)s->rcvbuf; break;
	case L_SO_PASSCRED: v = s->passcred; break;
	case L_SO_ACCEPTCONN: v = s->state == SS_LISTENING; break;
	case L_SO_DOMAIN: v = s->inet ? s->inet->family : L_AF_UNIX; break;
	case L_SO_PROTOCOL: v = !s->inet ? 0 : s->type == L_SOCK_STREAM ? 6 : 17; break;
	case L_SO_RCVLOWAT:
	case L_SO_SNDLOWAT: v = 1; break;
	case L_SO_PEERCRED: {
		/* As Linux: pid 0 and uid/gid -1 before a connection. */
		struct l_ucred none = {0, UINT32_MAX, UINT32_MAX};
		memcpy(out, s->has_peercred ? &s->peercred : &none, sizeof(none));
		*len = sizeof(none);
		return 0;
	}
	case L_SO_RCVTIMEO:
	case L_SO_SNDTIMEO: {
		uint64_t ns = name == L_SO_RCVTIMEO ? s->rcvtimeo : s->sndtimeo;
		const int64_t tv[2] = {(int64_t)(ns / NS_PER_SEC),
				       (int64_t)(ns % NS_PER_SEC) / 1000};
		memcpy(out, tv, sizeof(tv));
		*len = sizeof(tv);
		return 0;
	}
	case L_SO_LINGER:
		memcpy(out, s->linger, sizeof(s->linger));
		*len = sizeof(s->linger);
		return 0;
	default:
		if (bit < 0)
			return -ENOPROTOOPT;
		v = (s->opts >> bit) & 1;
		break;
	}
	memcpy(out, &v, sizeof(v));
	return 0;
}

long linux_sys_getsockopt(struct linux_proc *proc, const uint64_t *a)
{
	struct linux_sock *s;
	long rc = option_socket(proc, a, &s);
	if (rc < 0)
		return rc;
	if (a[1] == L_SOL_NETLINK)
		return -ENOPROTOOPT; /* none is read back */
	int32_t ulen;
	if (linux_copy_in(proc, &ulen, a[4], sizeof(ulen)) < 0)
		return -EFAULT;
	if (ulen < 0)
		return -EINVAL;
	uint8_t val[16];
	uint32_t len = 4;
	int32_t iv;
	if (a[1] != L_SOL_SOCKET) {
		if ((rc = linux_inet_getopt(s, a[1], a[2], &iv)) < 0)
			return rc;
		memcpy(val, &iv, sizeof(iv));
	} else if ((rc = option_value(proc, s, a[2], val, &len)) < 0) {
		return rc;
	}
	if ((uint32_t)ulen < len)
		len = (uint32_t)ulen; /* as Linux: a short buffer gets the first bytes */
	if (linux_copy_out(proc, a[3], val, len) < 0)
		return -EFAULT;
	ulen = (int32_t)len;
	return linux_copy_out(proc, a[4], &ulen, sizeof(ulen));
}
