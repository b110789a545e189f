/* libFuzzer target: guest-supplied NIC requests and frames (NET_* hypercalls, netframe checks) and hostile host-side frames into the receive queue, on a plain NIC or a tap with vnet headers; with vnet headers, frames through --linux eth0's segment joiner too (linux_netif_tso.c), whose output must carry the NIC's source MAC. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hypercall.h"
#include "linux_inet.h"
#include "netframe.h"
#include "nic.h"
#include "vm.h"

/* The guest's window of RAM, above the runner's pages (which stay zero:
 * no hypercall may write them, checked after each input). */
#define RAM   0x10000
#define GUEST LOCKVM_RUNNER_END

/* The rest of the input as frames (2-byte length, bytes; its top bit:
 * through linux_tso_send_large) into the segment joiner, then a flush; whatever reaches the tap is drained and must be
 * the NIC's own (the source MAC checked per frame and per super-frame). */
static void tso_frames(struct vm *vm, const uint8_t *data, size_t size, int host_end,
		       const uint8_t mac[6])
{
	static uint8_t out[NIC_VNET_HDR + NIC_TSO_FRAME_MAX + 1];
	uint8_t sink[4096];
	while (read(host_end, sink, sizeof(sink)) > 0)
		; /* what the hypercalls sent */
	while (size >= 2) {
		size_t len = (size_t)(data[0] | data[1] << 8) % 2048;
		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		if (data[-1] & 0x80) { /* through eth0's sender of lwIP's large segments */
			static uint8_t room[NIC_VNET_HDR + 2048];
			memcpy(room + NIC_VNET_HDR, data, len);
			(void)linux_tso_send_large(vm, room, len);
		} else {
			(void)linux_tso_send(vm, data, len);
		}
		data += len;
		size -= len;
	}
	linux_tso_flush(vm);
	ssize_t n;
	while ((n = read(host_end, out, sizeof(out))) > 0)
		if (n < NIC_VNET_HDR + LOCKVM_NET_HEADER ||
		    memcmp(out + NIC_VNET_HDR + NETFRAME_MAC_LEN, mac, NETFRAME_MAC_LEN) != 0)
			abort(); /* a frame not the NIC's reached the tap */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t ram[GUEST + RAM];
	static int host_end = -1, tap_end = -1;
	static const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 1};
	if (host_end < 0) {
		/* A datagram socketpair stands in for the tap: one frame per write. */
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
			abort();
		tap_end = sv[0];
		host_end = sv[1];
	}
	/* Input: 8 calls of (number, 32-bit GPA), 2 host frames of (length, bytes), then RAM. */
	size_t header = 8 * 5;
	if (size < header + 4)
		return 0;
	(void)netframe_check_send(data + header, size - header, mac);
	(void)netframe_wanted(data + header, size - header, mac);
	memset(ram + GUEST, 0, RAM);
	memcpy(ram + GUEST, data + header, size - header < RAM ? size - header : RAM);

	struct vm vm;
	struct vcpu vcpu;
	char err[128];
	vm_init(&vm);
	vm.mem = (struct guest_mem){.host = ram, .size = GUEST + RAM};
	vm.deadline_ns = 1; /* already past: waits return at once */
	vm.vcpu_count = 1;
	vm.vcpus = &vcpu;
	vcpu = (struct vcpu){.vm = &vm, .fd = -1};
	if (nic_attach(&vm, tap_end, mac, -1, err, sizeof(err)) < 0)
		abort();
	/* The first call's top bit: a tap with vnet headers (both ways). */
	bool vnet = data[0] & 0x80;
	if (vnet)
		nic_set_vnet(&vm);
	/* Host frames of fuzzer-chosen sizes into the queue. */
	size_t at = header;
	for (int i = 0; i < 2 && at + 2 <= size; i++) {
		size_t len = (size_t)(data[at] | data[at + 1] << 8) % 2048;
		at += 2;
		if (len > size - at)
			len = size - at;
		(void)!write(host_end, data + at, len);
		at += len;
	}
	nic_input(&vm);
	for (size_t i = 0; i < 8 && !vm_is_ending(&vm); i++) {
		const uint8_t *c = data + i * 5;
		uint32_t gpa;
		memcpy(&gpa, c + 1, 4);
		gpa += (uint32_t)GUEST; /* (wraps: the runner's pages stay reachable) */
		hypercall_dispatch(&vcpu,
				   (uint16_t)(LOCKVM_HC_PORT_BASE + LOCKVM_HC_NET_INFO + c[0] % 4),
				   true, 4, 1, gpa);
	}
	for (size_t i = 0; i < GUEST; i++)
		if (ram[i])
			abort(); /* a hypercall wrote the runner's pages */
	if (vnet)
		tso_frames(&vm, data + header, size - header, host_end, mac);
	/* Drain what the guest sent, and what is left queued. */
	uint8_t sink[4096];
	while (read(host_end, sink, sizeof(sink)) > 0)
		;
	while (read(tap_end, sink, sizeof(sink)) > 0)
		;
	free(vm.nic);
	pthread_mutex_destroy(&vm.lock);
	pthread_cond_destroy(&vm.cond);
	return 0;
}
