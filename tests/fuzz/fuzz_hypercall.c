/* libFuzzer target: hypercall decoding with hostile guest memory and port/size/argument values. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "blk.h"
#include "hypercall.h"
#include "vm.h"

/* The guest's window of RAM, above the runner's pages (which stay zero:
 * no hypercall may write them, checked after each input). */
#define RAM   0x10000
#define GUEST LOCKVM_RUNNER_END

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t ram[GUEST + RAM];
	static int console = -1, disk = -1;
	if (console < 0) {
		console = open("/dev/null", O_WRONLY | O_CLOEXEC);
		disk = memfd_create("fuzz-disk", MFD_CLOEXEC);
		if (console < 0 || disk < 0 || ftruncate(disk, 16 * 512) < 0)
			abort();
	}
	/* Input: up to 8 calls of (number, width, 32-bit GPA), then guest RAM. */
	size_t header = 8 * 6;
	if (size < header)
		return 0;
	memset(ram + GUEST, 0, RAM);
	memcpy(ram + GUEST, data + header, size - header < RAM ? size - header : RAM);

	struct vm vm;
	struct vcpu vcpu;
	char err[128];
	vm_init(&vm);
	vm.mem = (struct guest_mem){.host = ram, .size = GUEST + RAM};
	vm.console_fd = console;
	vm.deadline_ns = 1; /* already past: sleeps and waits return at once */
	vm.vcpu_count = 1;
	vm.vcpus = &vcpu;
	vcpu = (struct vcpu){.vm = &vm, .fd = -1};
	if (blk_attach(&vm, disk, false, err, sizeof(err)) < 0 ||
	    blk_attach(&vm, disk, true, err, sizeof(err)) < 0)
		abort();
	for (size_t i = 0; i < 8 && !vm_is_ending(&vm); i++) {
		const uint8_t *c = data + i * 6;
		uint32_t gpa;
		memcpy(&gpa, c + 2, 4);
		gpa += (uint32_t)GUEST; /* (wraps: the runner's pages stay reachable) */
		unsigned width = (c[1] & 7) + 1;
		hypercall_dispatch(&vcpu, (uint16_t)(LOCKVM_HC_PORT_BASE + (c[0] & 0x1F) - 2),
				   !(c[1] & 0x80), width, (c[1] & 0x40) ? 2 : 1, gpa);
	}
	for (size_t i = 0; i < GUEST; i++)
		if (ram[i])
			abort(); /* a hypercall wrote the runner's pages */
	pthread_mutex_destroy(&vm.lock);
	pthread_cond_destroy(&vm.cond);
	return 0;
}
