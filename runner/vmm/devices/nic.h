/* The VM's NIC inside the VMM: frames to and from the tap fd the supervisor opened, the NET_* hypercalls. */
#ifndef LOCKVM_NIC_H
#define LOCKVM_NIC_H

#include <stddef.h>
#include <stdint.h>

#include "netframe.h"
#include "vm.h"

#define NIC_STATS_MAGIC 0x6c766e6963763031ULL /* "lvnicv01" */
#define NIC_STATS_SIZE	4096		      /* the shared memfd's size */

/* Counters the VMM keeps in a memfd it shares with the supervisor, so
 * `lockvm inspect` reads them while the VM runs. Updated atomically. */
enum nic_counter {
	NIC_RX_FRAMES, /* delivered to the guest */
	NIC_RX_BYTES,
	NIC_RX_FILTERED, /* not addressed to this NIC, or mis-sized */
	NIC_RX_OVERRUNS, /* dropped: the guest's queue was full */
	NIC_TX_FRAMES,	 /* written to the tap */
	NIC_TX_BYTES,
	NIC_TX_FORGED, /* dropped: source MAC not the NIC's */
	NIC_TX_ERRORS, /* the tap refused the write */
	NIC_COUNTERS
};
struct nic_stats {
	uint64_t magic;
	uint64_t counter[NIC_COUNTERS];
};

/* The counters' names, by enum nic_counter (for inspect and --stats). */
extern const char *const nic_stats_names[NIC_COUNTERS];

/*
 * Attaches fd (an unattached /dev/net/tun fd the supervisor opened in the
 * host's network namespace) to the existing tap `tap` the supervisor made
 * persistent and owned by this VMM's uid, and clears the persistence.
 * Before seccomp. Returns 0, or -1 with err.
 */
int nic_tap_attach(int fd, const char *tap, char *err, size_t errlen);

/*
 * Gives the VM a NIC on tap_fd (non-blocking, from the supervisor) with
 * address mac; stats_fd (or -1) is the shared counter memfd. Before the
 * vCPUs start. Returns 0, or -1 with err.
 */
int nic_attach(struct vm *vm, int tap_fd, const uint8_t mac[NETFRAME_MAC_LEN], int stats_fd,
	       char *err, size_t errlen);

/*
 * --net user: as nic_attach, on stream_fd, a blocking stream socket
 * connected to passt (the supervisor made the pair and started passt on
 * the other end), in qemu's framing (nic_stream.h). The same checks and
 * counters as a tap. Before the vCPUs start. Returns 0, or -1 with err.
 */
int nic_attach_stream(struct vm *vm, int stream_fd, const uint8_t mac[NETFRAME_MAC_LEN],
		      int stats_fd, char *err, size_t errlen);

/* Undoes nic_attach once the vCPUs are gone: the counters unmapped, the
 * tap closed (the tap disappears with it), the NIC freed. */
void nic_detach(struct vm *vm);

/* Bytes of the virtio_net_hdr in front of every frame on a tap attached
 * with IFF_VNET_HDR (nic_tap_attach), both ways. */
#define NIC_VNET_HDR 10
/* The largest TCP super-frame nic_send_tso takes: Ethernet header and an
 * IP packet of at most 65535 bytes. */
#define NIC_TSO_FRAME_MAX (LOCKVM_NET_HEADER + 65535)

/* The tap fd was attached with IFF_VNET_HDR (nic_tap_attach): every frame
 * read or written carries a virtio_net_hdr, and TCP super-frames may be
 * written (the host kernel cuts them into segments). After nic_attach,
 * before the vCPUs start; never for --net user (passt has no such header). */
void nic_set_vnet(struct vm *vm);

/* Whether nic_send_tso takes super-frames (a tap with vnet headers). */
bool nic_can_tso(const struct vm *vm);

/* A TCP super-frame for nic_send_tso: one Ethernet, IP and TCP header
 * (header_len bytes, the TCP header from tcp_offset) and up to 64 KiB of
 * payload that the host kernel sends as segments of `segment` bytes (the
 * last may be shorter), each with a copy of the headers; IP lengths are
 * the whole packet's and the TCP checksum field holds the pseudo-header
 * sum (the kernel finishes it per segment). segment 0: one TCP frame of at
 * most the MTU whose checksum the kernel finishes, no segmentation. */
struct nic_tso {
	bool ipv6;
	uint16_t tcp_offset;
	uint16_t header_len;
	uint16_t segment;
};

/* Any thread, with nic_can_tso: checks a super-frame (its source MAC, once:
 * every segment carries a copy of that header; its sizes) and writes it to
 * the tap in one write, counted as the wire frames and bytes it becomes.
 * buf holds NIC_VNET_HDR bytes of room (overwritten) before the len-byte
 * frame; tso NULL sends a plain frame (nic_send_frame). 0, or -1 when it
 * was dropped. */
int nic_send_tso(struct vm *vm, uint8_t *buf, size_t len, const struct nic_tso *tso);

/* The offset of the frame after a tap read of n bytes with a vnet header,
 * or -1 when the header asks for what this NIC never offered (GSO, a
 * checksum to finish) or the read is shorter than a header. */
long nic_vnet_frame(const uint8_t *buf, size_t n);

/* The fd the main thread should poll for input, or -1 (no NIC, or the
 * guest's queue is full: then poll again within NIC_FULL_RETRY_MS). */
int nic_poll_fd(struct vm *vm);
#define NIC_FULL_RETRY_MS 10

/* Main thread: reads what the tap has (bounded batch) into the guest's
 * queue and wakes NET_WAIT callers. */
void nic_input(struct vm *vm);

/* One line of counters for --stats, or "" without a NIC. */
void nic_format_stats(struct vm *vm, char *out, size_t size);

/* Any thread with a NIC: checks a frame (source MAC) and writes it to the
 * tap, counted; the path every guest frame takes (NET_SEND, --linux's
 * stack). 0, or -1 when it was dropped (forged, or the tap refused it). */
int nic_send_frame(struct vm *vm, const uint8_t *frame, size_t len);

/* With a NIC: moves the oldest queued frame to buf (room bytes), counted.
 * Its length, -LOCKVM_EAGAIN when none is queued, -LOCKVM_ERANGE when it
 * does not fit (it stays queued). */
long nic_take_frame(struct vm *vm, uint8_t *buf, size_t room);

/* Whether frames wait in the queue (a hint, read without the lock). */
bool nic_frames_queued(struct vm *vm);

/* The NIC's MAC; needs a NIC. */
void nic_mac(const struct vm *vm, uint8_t mac[NETFRAME_MAC_LEN]);

/* Hypercall handlers (hypercall.c's table). */
void nic_hc_info(struct vcpu *vcpu, void *args);
void nic_hc_send(struct vcpu *vcpu, void *args);
void nic_hc_recv(struct vcpu *vcpu, void *args);
void nic_hc_wait(struct vcpu *vcpu, void *args);

#endif
