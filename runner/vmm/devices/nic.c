/* The VM's NIC inside the VMM: frames to and from the tap fd the supervisor opened (or, with --net user, passt's stream socket), the NET_* hypercalls. */
#include "nic.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "hypercall.h"
#include "nic_stream.h"

/* Frames queued for the guest; the main thread stops reading the tap when
 * they are all taken, so the kernel's queue (and its drops) takes over. */
#define NIC_RX_SLOTS 128
/* Frames the main thread reads per wake-up: bounded work between polls. */
#define NIC_READ_BATCH 32
/* Bytes the main thread reads from a stream per wake-up (one read: the
 * socket is blocking, and poll said only that something is there). */
#define NIC_STREAM_READ 65536

struct nic {
	int tap_fd; /* the tap, or with stream the stream socket */
	/* --net user: tap_fd is a connected stream socket (passt's) in
	 * qemu's framing, parsed by rx; tx_lock keeps each frame's bytes
	 * together when several vCPUs send; ended: the peer closed it. */
	struct nic_stream *rx;
	pthread_mutex_t tx_lock;
	bool ended;
	bool vnet; /* a tap attached with IFF_VNET_HDR (nic_set_vnet) */
	uint8_t mac[NETFRAME_MAC_LEN];
	struct nic_stats *stats; /* shared memfd, or local_stats */
	struct nic_stats local_stats;
	/* The receive queue, under vm->lock. */
	unsigned head, count;
	uint16_t lens[NIC_RX_SLOTS];
	uint8_t frames[NIC_RX_SLOTS][LOCKVM_NET_FRAME_MAX];
};

const char *const nic_stats_names[NIC_COUNTERS] = {"rx_frames",	  "rx_bytes",  "rx_filtered",
						   "rx_overruns", "tx_frames", "tx_bytes",
						   "tx_forged",	  "tx_errors"};

static void count(struct nic *nic, enum nic_counter which, uint64_t n)
{
	__atomic_fetch_add(&nic->stats->counter[which], n, __ATOMIC_RELAXED);
}

int nic_tap_attach(int fd, const char *tap, char *err, size_t errlen)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	if (strlen(tap) >= sizeof(ifr.ifr_name)) {
		snprintf(err, errlen, "NIC: tap name '%s' too long", tap);
		return -1;
	}
	memcpy(ifr.ifr_name, tap, strlen(tap));
	/* An existing tap only: the fd's network namespace is the host's, and
	 * without CAP_NET_ADMIN the kernel lets only the tap's owner attach.
	 * This is where SELinux moves the tun socket to our context
	 * (selinux_tun_dev_open: relabelfrom the supervisor's, relabelto ours). */
	/* IFF_VNET_HDR: each frame carries a virtio_net_hdr, so one write
	 * can be a TCP super-frame the host kernel segments (nic_send_tso).
	 * The tap offers us no offloads (no TUNSETOFFLOAD): frames we read are
	 * whole, checksummed and at most the MTU, as without the header. */
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		snprintf(err, errlen, "NIC: attaching to tap %s (TUNSETIFF): %s", tap,
			 strerror(errno));
		return -1;
	}
	/* From now on the tap lives exactly as long as this fd, so it goes
	 * with the VMM however the VMM ends. */
	if (ioctl(fd, TUNSETPERSIST, 0UL) < 0) {
		snprintf(err, errlen, "NIC: tap %s: TUNSETPERSIST 0: %s", tap, strerror(errno));
		return -1;
	}
	return 0;
}

int nic_attach(struct vm *vm, int tap_fd, const uint8_t mac[NETFRAME_MAC_LEN], int stats_fd,
	       char *err, size_t errlen)
{
	struct nic *nic = calloc(1, sizeof(*nic));
	if (!nic) {
		snprintf(err, errlen, "NIC: out of memory");
		return -1;
	}
	nic->tap_fd = tap_fd;
	pthread_mutex_init(&nic->tx_lock, NULL);
	memcpy(nic->mac, mac, NETFRAME_MAC_LEN);
	nic->stats = &nic->local_stats;
	if (stats_fd >= 0) {
		void *shared =
		    mmap(NULL, NIC_STATS_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, stats_fd, 0);
		/* The NIC works without shared counters (a MAC policy may refuse
		 * the mapping); `lockvm inspect` then shows none. */
		if (shared == MAP_FAILED)
			fprintf(stderr, "lockvm-vmm: NIC counters not shared: mmap: %s\n",
				strerror(errno));
		else
			nic->stats = shared;
		close(stats_fd); /* the mapping keeps it */
	}
	nic->stats->magic = NIC_STATS_MAGIC;
	vm->nic = nic;
	return 0;
}

int nic_attach_stream(struct vm *vm, int stream_fd, const uint8_t mac[NETFRAME_MAC_LEN],
		      int stats_fd, char *err, size_t errlen)
{
	struct nic_stream *rx = malloc(sizeof(*rx));
	if (!rx) {
		snprintf(err, errlen, "NIC: out of memory");
		return -1;
	}
	if (nic_attach(vm, stream_fd, mac, stats_fd, err, errlen) < 0) {
		free(rx);
		return -1;
	}
	nic_stream_init(rx);
	vm->nic->rx = rx;
	return 0;
}

void nic_detach(struct vm *vm)
{
	struct nic *nic = vm->nic;
	if (!nic)
		return;
	free(nic->rx);
	pthread_mutex_destroy(&nic->tx_lock);
	if (nic->stats != &nic->local_stats)
		munmap(nic->stats, NIC_STATS_SIZE);
	if (nic->tap_fd >= 0)
		close(nic->tap_fd);
	free(nic);
	vm->nic = NULL;
}

int nic_poll_fd(struct vm *vm)
{
	struct nic *nic = vm->nic;
	if (!nic)
		return -1;
	pthread_mutex_lock(&vm->lock);
	bool full = nic->count == NIC_RX_SLOTS;
	pthread_mutex_unlock(&vm->lock);
	return full || nic->ended ? -1 : nic->tap_fd;
}

/* Main thread: one frame from the host side into the guest's queue,
 * counted. false when the queue is full (the frame was dropped). */
static bool queue_frame(struct vm *vm, struct nic *nic, const uint8_t *frame, size_t len)
{
	if (!netframe_wanted(frame, len, nic->mac)) {
		count(nic, NIC_RX_FILTERED, 1);
		return true;
	}
	pthread_mutex_lock(&vm->lock);
	if (nic->count == NIC_RX_SLOTS) {
		pthread_mutex_unlock(&vm->lock);
		count(nic, NIC_RX_OVERRUNS, 1);
		return false;
	}
	unsigned slot = (nic->head + nic->count) % NIC_RX_SLOTS;
	memcpy(nic->frames[slot], frame, len);
	nic->lens[slot] = (uint16_t)len;
	nic->count++;
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
	return true;
}

static void stream_frame(void *ctx, const uint8_t *frame, size_t len)
{
	struct vm *vm = ctx;
	(void)queue_frame(vm, vm->nic, frame, len);
}

/* --net user: what the stream has now, parsed; frames past a full queue
 * are dropped (counted), as a tap's kernel queue would drop them. */
static void stream_input(struct vm *vm, struct nic *nic)
{
	static uint8_t buf[NIC_STREAM_READ];
	ssize_t n = read(nic->tap_fd, buf, sizeof(buf));
	if (n < 0)
		return; /* EINTR, EAGAIN: poll again */
	if (n == 0) {
		/* passt ended (or was ended): no more frames ever; the guest
		 * keeps running without a network, as with a cable pulled. */
		nic->ended = true;
		fprintf(stderr, "lockvm-vmm: NIC: the user-mode network (passt) closed its "
				"stream\n");
		return;
	}
	uint64_t skipped = nic->rx->skipped;
	(void)nic_stream_feed(nic->rx, buf, (size_t)n, stream_frame, vm);
	count(nic, NIC_RX_FILTERED, nic->rx->skipped - skipped);
}

void nic_input(struct vm *vm)
{
	struct nic *nic = vm->nic;
	if (nic && nic->rx) {
		stream_input(vm, nic);
		return;
	}
	/* Larger than any frame we accept, so a longer one is seen whole and
	 * refused rather than truncated into a wanted size. */
	static uint8_t buf[NIC_VNET_HDR + LOCKVM_NET_FRAME_MAX + 512];
	for (int i = 0; nic && i < NIC_READ_BATCH; i++) {
		ssize_t n = read(nic->tap_fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* EAGAIN: drained; the tap never returns 0 */
		long at = nic->vnet ? nic_vnet_frame(buf, (size_t)n) : 0;
		if (at < 0) {
			count(nic, NIC_RX_FILTERED, 1);
			continue;
		}
		if (!queue_frame(vm, nic, buf + at, (size_t)(n - at)))
			break;
	}
}

void nic_format_stats(struct vm *vm, char *out, size_t size)
{
	struct nic *nic = vm->nic;
	out[0] = '\0';
	if (!nic)
		return;
	const uint64_t *c = nic->stats->counter;
	size_t used = 0;
	for (size_t i = 0; i < NIC_COUNTERS && used < size; i++)
		used +=
		    (size_t)snprintf(out + used, size - used, "%s%s=%" PRIu64, i ? " " : "",
				     nic_stats_names[i], __atomic_load_n(&c[i], __ATOMIC_RELAXED));
}

/* --net user: one checked frame and its length prefix, written whole
 * (the socket is blocking; a partial write is finished, never left half,
 * which would put the stream out of step). */
static int stream_send(struct nic *nic, const uint8_t *frame, size_t len)
{
	uint8_t out[NIC_STREAM_PREFIX + LOCKVM_NET_FRAME_MAX];
	size_t total = nic_stream_encode(frame, len, out, sizeof(out));
	size_t done = 0;
	pthread_mutex_lock(&nic->tx_lock);
	while (total && done < total) {
		ssize_t n = write(nic->tap_fd, out + done, total - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* EPIPE (SIGPIPE is blocked): passt is gone */
		done += (size_t)n;
	}
	pthread_mutex_unlock(&nic->tx_lock);
	if (!total || done != total) {
		count(nic, NIC_TX_ERRORS, 1);
		return -1;
	}
	count(nic, NIC_TX_FRAMES, 1);
	count(nic, NIC_TX_BYTES, len);
	return 0;
}

/* One write of a checked frame (with its vnet header when the tap has
 * them), counted as `frames` wire frames of `bytes` in all. */
static int tap_write(struct nic *nic, const uint8_t *buf, size_t total, uint64_t frames,
		     uint64_t bytes)
{
	ssize_t n = write(nic->tap_fd, buf, total);
	if (n != (ssize_t)total) {
		count(nic, NIC_TX_ERRORS, 1);
		return -1;
	}
	count(nic, NIC_TX_FRAMES, frames);
	count(nic, NIC_TX_BYTES, bytes);
	return 0;
}

int nic_send_frame(struct vm *vm, const uint8_t *frame, size_t len)
{
	struct nic *nic = vm->nic;
	if (netframe_check_send(frame, len, nic->mac) != NETFRAME_OK) {
		count(nic, NIC_TX_FORGED, 1);
		return -1;
	}
	if (nic->rx)
		return stream_send(nic, frame, len);
	if (!nic->vnet)
		return tap_write(nic, frame, len, 1, len);
	uint8_t out[NIC_VNET_HDR + LOCKVM_NET_FRAME_MAX];
	memset(out, 0, NIC_VNET_HDR); /* no offload: a whole, checksummed frame */
	memcpy(out + NIC_VNET_HDR, frame, len);
	return tap_write(nic, out, NIC_VNET_HDR + len, 1, len);
}

void nic_set_vnet(struct vm *vm)
{
	vm->nic->vnet = true;
}

bool nic_can_tso(const struct vm *vm)
{
	return vm->nic && vm->nic->vnet && !vm->nic->rx;
}

/* Whether a super-frame's description fits its frame: headers where a TCP
 * header can be, payload after them, segments no larger than the MTU (or,
 * segment 0, a frame no larger than it). */
static bool tso_fits(const struct nic_tso *tso, size_t len)
{
	size_t ip_min = tso->ipv6 ? 40 : 20;
	if (tso->tcp_offset < LOCKVM_NET_HEADER + ip_min || tso->header_len < tso->tcp_offset + 20)
		return false;
	if (!tso->segment)
		return tso->header_len <= len && len <= LOCKVM_NET_FRAME_MAX;
	return len <= NIC_TSO_FRAME_MAX && tso->header_len < len &&
	       tso->header_len + tso->segment <= LOCKVM_NET_FRAME_MAX;
}

int nic_send_tso(struct vm *vm, uint8_t *buf, size_t len, const struct nic_tso *tso)
{
	struct nic *nic = vm->nic;
	uint8_t *frame = buf + NIC_VNET_HDR;
	if (!tso)
		return nic_send_frame(vm, frame, len);
	if (!nic_can_tso(vm) || !tso_fits(tso, len)) {
		count(nic, NIC_TX_ERRORS, 1);
		return -1;
	}
	/* The source MAC once: the kernel copies these headers into every
	 * segment, so what passes here is what each wire frame carries. */
	if (netframe_check_send(frame, tso->header_len, nic->mac) != NETFRAME_OK) {
		count(nic, NIC_TX_FORGED, 1);
		return -1;
	}
	uint8_t gso = tso->ipv6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4;
	struct virtio_net_hdr h = {.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				   .gso_type = tso->segment ? gso : VIRTIO_NET_HDR_GSO_NONE,
				   .hdr_len = tso->header_len,
				   .gso_size = tso->segment,
				   .csum_start = tso->tcp_offset,
				   .csum_offset = 16}; /* struct tcphdr's check */
	memcpy(buf, &h, NIC_VNET_HDR);
	/* Counted as the wire sees it: each segment a frame with the headers. */
	uint64_t payload = len - tso->header_len;
	uint64_t segments = tso->segment ? (payload + tso->segment - 1) / tso->segment : 1;
	return tap_write(nic, buf, NIC_VNET_HDR + len, segments,
			 len + (segments - 1) * tso->header_len);
}

long nic_vnet_frame(const uint8_t *buf, size_t n)
{
	struct virtio_net_hdr h;
	if (n < NIC_VNET_HDR)
		return -1;
	memcpy(&h, buf, sizeof(h));
	if (h.gso_type != VIRTIO_NET_HDR_GSO_NONE || (h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
		return -1; /* never offered (no TUNSETOFFLOAD) */
	return NIC_VNET_HDR;
}

long nic_take_frame(struct vm *vm, uint8_t *buf, size_t room)
{
	struct nic *nic = vm->nic;
	long ret;
	pthread_mutex_lock(&vm->lock);
	if (nic->count == 0) {
		ret = -LOCKVM_EAGAIN;
	} else if (nic->lens[nic->head] > room) {
		ret = -LOCKVM_ERANGE;
	} else {
		unsigned len = nic->lens[nic->head];
		memcpy(buf, nic->frames[nic->head], len);
		nic->head = (nic->head + 1) % NIC_RX_SLOTS;
		nic->count--;
		count(nic, NIC_RX_FRAMES, 1);
		count(nic, NIC_RX_BYTES, len);
		ret = len;
	}
	pthread_mutex_unlock(&vm->lock);
	return ret;
}

bool nic_frames_queued(struct vm *vm)
{
	struct nic *nic = vm->nic;
	return nic && __atomic_load_n(&nic->count, __ATOMIC_RELAXED) != 0;
}

void nic_mac(const struct vm *vm, uint8_t mac[NETFRAME_MAC_LEN])
{
	memcpy(mac, vm->nic->mac, NETFRAME_MAC_LEN);
}

void nic_hc_info(struct vcpu *vcpu, void *args)
{
	struct lockvm_hc_net_info *a = args;
	struct nic *nic = vcpu->vm->nic;
	memset(a, 0, sizeof(*a));
	if (!nic) {
		a->ret = -LOCKVM_ENODEV;
		return;
	}
	memcpy(a->mac, nic->mac, NETFRAME_MAC_LEN);
	a->mtu = LOCKVM_NET_MTU;
	a->ret = 0;
}

void nic_hc_send(struct vcpu *vcpu, void *args)
{
	struct lockvm_hc_net_send *a = args;
	struct nic *nic = vcpu->vm->nic;
	/* Form before meaning: a bad list stops the guest, NIC or not. */
	if (a->count == 0 || a->count > LOCKVM_NET_BATCH_MAX) {
		vcpu_guest_error(vcpu, "net send: %u frames, want 1 to %d", a->count,
				 LOCKVM_NET_BATCH_MAX);
		return;
	}
	struct lockvm_net_frame list[LOCKVM_NET_BATCH_MAX];
	const void *guest_list =
	    hypercall_buffer(vcpu, "net send: frame list", a->frames,
			     (uint64_t)a->count * sizeof(list[0]), sizeof(list), GUEST_READ);
	if (!guest_list)
		return;
	if (!nic) {
		a->ret = -LOCKVM_ENODEV;
		return;
	}
	/* Copies, so another vCPU cannot change a length or a source MAC
	 * between the check and the write (no check-then-use of guest RAM). */
	memcpy(list, guest_list, (size_t)a->count * sizeof(list[0]));
	uint8_t frame[LOCKVM_NET_FRAME_MAX];
	uint32_t i;
	for (i = 0; i < a->count; i++) {
		uint32_t len = list[i].len;
		if (len < LOCKVM_NET_FRAME_MIN || len > LOCKVM_NET_FRAME_MAX) {
			vcpu_guest_error(vcpu, "net send: frame %u is %u bytes, want %d to %d", i,
					 len, LOCKVM_NET_FRAME_MIN, LOCKVM_NET_FRAME_MAX);
			return;
		}
		const void *data = hypercall_buffer(vcpu, "net send: frame", list[i].data, len,
						    sizeof(frame), GUEST_READ);
		if (!data)
			return;
		memcpy(frame, data, len);
		(void)nic_send_frame(vcpu->vm, frame, len);
	}
	a->ret = (int64_t)i;
}

void nic_hc_recv(struct vcpu *vcpu, void *args)
{
	struct lockvm_hc_net_recv *a = args;
	struct vm *vm = vcpu->vm;
	struct nic *nic = vm->nic;
	uint64_t room = a->len < LOCKVM_NET_FRAME_MAX ? a->len : LOCKVM_NET_FRAME_MAX;
	/* Checked before the lock (a guest error ends the VM, which takes
	 * it), and form before meaning: a bad buffer stops the guest, NIC or not. */
	uint8_t *buf =
	    hypercall_buffer(vcpu, "net recv", a->data, room, LOCKVM_NET_FRAME_MAX, GUEST_WRITE);
	if (!buf)
		return;
	if (!nic) {
		a->ret = -LOCKVM_ENODEV;
		return;
	}
	a->ret = nic_take_frame(vm, buf, room);
}

void nic_hc_wait(struct vcpu *vcpu, void *args)
{
	struct lockvm_hc_net_wait *a = args;
	struct vm *vm = vcpu->vm;
	struct nic *nic = vm->nic;
	if (!nic) {
		a->ret = -LOCKVM_ENODEV;
		return;
	}
	uint64_t deadline = 0;
	if (a->timeout_ns && add_overflows(now_ns(), a->timeout_ns, &deadline))
		deadline = UINT64_MAX;
	if (vm->deadline_ns && (deadline == 0 || deadline > vm->deadline_ns))
		deadline = vm->deadline_ns; /* --timeout, as vm_wait_locked() does */
	pthread_mutex_lock(&vm->lock);
	/* Woken by nic_input (a frame), vm_post_event (an event) and vm_end,
	 * which all broadcast vm->cond; --timeout ends the VM through vm_end. */
	for (;;) {
		if (nic->count) {
			a->ret = 0;
			break;
		}
		/* A pause (save, migration) interrupts the wait too, so that
		 * this vCPU can park; the guest finds no event and waits again. */
		if (vm->events || atomic_load(&vm->pause_requested)) {
			a->ret = -LOCKVM_EINTR;
			break;
		}
		if (vm_is_ending(vm) || (deadline && now_ns() >= deadline)) {
			a->ret = -LOCKVM_ETIMEDOUT;
			break;
		}
		if (!deadline) {
			pthread_cond_wait(&vm->cond, &vm->lock);
			continue;
		}
		struct timespec ts = {.tv_sec = (time_t)(deadline / 1000000000ULL),
				      .tv_nsec = (long)(deadline % 1000000000ULL)};
		pthread_cond_timedwait(&vm->cond, &vm->lock, &ts);
	}
	pthread_mutex_unlock(&vm->lock);
}
