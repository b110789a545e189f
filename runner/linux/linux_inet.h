/* AF_INET/AF_INET6 sockets inside the VM (linux_inet*.c) over lwIP's raw API (linux_lwip.c): what the socket calls (linux_socket.c) reach. */
#ifndef LOCKVM_LINUX_INET_H
#define LOCKVM_LINUX_INET_H

#include <stdbool.h>
#include <stdint.h>

#include "linux_socket.h"

#define L_AF_INET	2
#define L_AF_INET6	10
#define L_SIN_LEN	16U	/* sizeof(struct sockaddr_in) */
#define L_SIN6_LEN	28U	/* sizeof(struct sockaddr_in6); Linux takes 24 (RFC 2133's) too */
#define INET_DGRAM_QLEN 256U	/* datagrams a UDP socket queues */
#define INET_RX_MAX	0xffffU /* stream bytes a socket holds unread (a pbuf chain's u16 length) */

struct tcp_pcb;
struct udp_pcb;
struct pbuf;
struct ip_addr;

/* A received datagram and who sent it. */
struct inet_dgram {
	struct inet_dgram *next;
	struct pbuf *p;
	struct sock_addr from;
};

/* The lwIP side of one AF_INET/AF_INET6 socket (sock->inet). */
struct inet_sock {
	struct linux_sock *sock;
	int family; /* L_AF_INET or L_AF_INET6 */
	bool v6only;
	struct tcp_pcb *tcp; /* stream; NULL once lwIP freed it (error) or never made */
	struct udp_pcb *udp; /* dgram */
	struct pbuf *rx;     /* stream: received, not yet read; at most the window */
	uint32_t owed;	     /* bytes read off the window, given back as the program reads */
	bool rx_fin;	     /* the peer sent FIN */
	bool connecting, connected;
	int err; /* an error the next call reports (ECONNREFUSED, ECONNRESET) */
	struct inet_dgram *dq, **dq_tail;
	unsigned dq_len;
	uint64_t dq_bytes;
	struct inet_sock *acceptq, **acceptq_tail, *next_accept; /* listening */
	unsigned acceptq_len, backlog;
	struct inet_sock *listener; /* queued for accept: whose */
	unsigned tcp_opts;	    /* TCP_NODELAY */
};

/* ---- linux_lwip.c ---- */
/* Starts lwIP once per VM (the loopback interface: 127.0.0.1, ::1). */
void linux_lwip_start(void);
/* Feeds the frames the NIC queued to eth0, delivers what the loopback
 * interface queued, runs the due timers. True when a socket saw an event
 * (data, a connection, an error, room to send: linux_inet_events moved). */
bool linux_lwip_poll(void);
/* lwIP's next timer as a now_ns() time, or 0 (none, or not started). */
uint64_t linux_lwip_deadline(void);
/* The same, as the last poll left it (cheap: for every system call). */
uint64_t linux_lwip_next(void);
/* Times lwIP's assert hook saw a failed check (never fatal). */
extern unsigned long linux_lwip_asserts;
/* Bumped by every lwIP callback on a socket: a blocked call looks again. */
extern unsigned long linux_inet_events;

/* ---- linux_netif.c ---- */
struct netif;
/* Adds eth0 (MAC mac) with cfg's address or DHCP, sending through vm's
 * NIC (vm NULL: frames out are dropped, as the fuzz target wants). */
void linux_netif_add(const struct linux_netcfg *cfg, const uint8_t mac[6], struct vm *vm);
/* eth0, or NULL when the VM has none. */
const struct netif *linux_netif_eth0(void);
/* One frame from the NIC into the stack (copied). */
void linux_netif_feed(const uint8_t *frame, size_t len);
/* Feeds what the NIC queued (a bounded batch). */
void linux_netif_input(void);
/* Sends what linux_netif_tso.c holds; after lwIP ran, before a wait. */
void linux_netif_flush(void);
/* The payload of the segments lwIP makes for a TCP connection on eth0
 * with a tap that takes super-frames: a multiple of the wire MSS that fits
 * one IP packet (with room for TCP options), which the kernel cuts. */
#define TCP_LARGE_PAYLOAD (65535U - 40U - 60U)
/* Once pcb is established: when it goes out through eth0 on such a tap,
 * lwIP makes its segments up to TCP_LARGE_PAYLOAD bytes (pcb->mss), and
 * the wire MSS is kept for linux_netif_wire_mss. */
void linux_netif_tcp_large(struct tcp_pcb *pcb);
/* Cuts the first unsent segment of each such connection to what its send
 * and congestion windows take now, and sends it (after lwIP ran). */
void linux_netif_tcp_fit(void);
/* The wire MSS of the eth0 connection from src:sport to dst:dport (IPv4
 * or IPv6 addresses, network order) whose segments lwIP makes larger, or 0. */
uint16_t linux_netif_wire_mss(bool ipv6, const uint8_t *src, const uint8_t *dst, uint16_t sport,
			      uint16_t dport);

/* ---- linux_netif_tso.c ---- */
/* Sends frame (lwIP's, at most the MTU) on vm's NIC, which takes
 * super-frames (nic_can_tso): a TCP segment that can be joined is held,
 * anything else goes after what is held. 0, or -1 when it was dropped. */
int linux_tso_send(struct vm *vm, const uint8_t *frame, size_t len);
/* Sends what is held as one super-frame (or one plain frame). */
void linux_tso_flush(struct vm *vm);
/* Sends the frame at buf + NIC_VNET_HDR (len bytes, at most
 * NIC_TSO_FRAME_MAX; the room before it is overwritten): a TCP segment
 * larger than its connection's wire MSS (linux_netif_wire_mss) as one
 * super-frame the kernel cuts at that MSS, after what is held; anything
 * else as linux_tso_send. 0, or -1 when it was dropped. */
int linux_tso_send_large(struct vm *vm, uint8_t *buf, size_t len);
/* Frames the stack had no buffer for. */
extern unsigned long linux_netif_dropped;

/* ---- linux_resolv.c ---- */
/* Writes /etc/resolv.conf and /etc/hosts for eth0 into the upper layer
 * (a note on stderr when the root is read-only). */
void linux_resolv_write(struct linux_proc *proc);

/* ---- linux_inet.c ---- */
long linux_inet_new(struct linux_proc *proc, int family, unsigned type, bool nonblock,
		    struct linux_sock **out);
/* Whether addr's family fits s (else -EAFNOSUPPORT/-EINVAL) and its length is whole. */
long linux_inet_addr_check(const struct inet_sock *in, const struct sock_addr *addr);
/* The lwIP address and port of a checked sockaddr (v4-mapped IPv6: IPv4). */
void linux_inet_addr_parse(const struct inet_sock *in, const struct sock_addr *a,
			   struct ip_addr *ip, uint16_t *port);
long linux_inet_bind(struct linux_sock *s, const struct sock_addr *addr);
long linux_inet_listen(struct linux_sock *s, int backlog);
long linux_inet_connect(struct linux_proc *proc, struct linux_sock *s, const struct sock_addr *addr,
			bool nonblock);
struct linux_sock *linux_inet_accept(struct linux_proc *proc, struct linux_sock *s, bool nonblock,
				     long *err);
long linux_inet_name(const struct linux_sock *s, bool peer, struct sock_addr *out);
long linux_inet_shutdown(struct linux_sock *s, unsigned how);
short linux_inet_poll(struct linux_proc *proc, const struct linux_sock *s);
void linux_inet_free(struct linux_sock *s);
/* The pending error as -errno, cleared (SO_ERROR with it). */
long linux_inet_take_err(struct inet_sock *in);
/* Waits as linux_unix_wait() does, driving lwIP's timers meanwhile. */
long linux_inet_wait(struct linux_proc *proc, uint64_t timeout, uint64_t *deadline);

/* ---- linux_inet_io.c ---- */
long linux_inet_send(struct linux_proc *proc, struct linux_sock *s, struct sock_msg *m);
long linux_inet_recv(struct linux_proc *proc, struct linux_sock *s, struct sock_msg *m);
/* IPPROTO_TCP/IPPROTO_IPV6 options: 0, -errno, or 1 when not one of them. */
long linux_inet_setopt(struct linux_sock *s, uint64_t level, uint64_t name, int32_t val);
long linux_inet_getopt(const struct linux_sock *s, uint64_t level, uint64_t name, int32_t *val);

#endif
