/* rawkvm: the minimal raw KVM program the benchmarks compare against (real-mode guest, no lockvm code). */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* usage: rawkvm one        -- run one HLT instruction and exit
 *        rawkvm io N       -- N port-I/O exits; prints microseconds per exit */
int main(int argc, char **argv)
{
	int io = argc > 2 && strcmp(argv[1], "io") == 0;
	long n = io ? atol(argv[2]) : 0;
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) { perror("/dev/kvm"); return 1; }
	int vm = ioctl(kvm, KVM_CREATE_VM, 0);
	uint8_t *mem = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	/* 0x1000: out %al,$0x10 ; jmp 0x1000   or   hlt */
	static const uint8_t loop[] = { 0xE6, 0x10, 0xEB, 0xFC };
	static const uint8_t halt[] = { 0xF4 };
	if (io) memcpy(mem + 0x1000, loop, sizeof(loop)); else memcpy(mem + 0x1000, halt, sizeof(halt));
	struct kvm_userspace_memory_region region = { .slot = 0, .guest_phys_addr = 0,
		.memory_size = 0x10000, .userspace_addr = (uint64_t)(uintptr_t)mem };
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0) { perror("region"); return 1; }
	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	int size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	struct kvm_run *run = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	struct kvm_sregs sregs;
	ioctl(vcpu, KVM_GET_SREGS, &sregs);
	sregs.cs.base = 0; sregs.cs.selector = 0;
	ioctl(vcpu, KVM_SET_SREGS, &sregs);
	struct kvm_regs regs = { .rip = 0x1000, .rflags = 2 };
	ioctl(vcpu, KVM_SET_REGS, &regs);
	double start = 0;
	for (long i = 0;; i++) {
		if (i == 1) start = now(); /* skip the first (cold) exit */
		if (ioctl(vcpu, KVM_RUN, 0) < 0) { perror("KVM_RUN"); return 1; }
		if (run->exit_reason == KVM_EXIT_HLT) return 0;
		if (run->exit_reason != KVM_EXIT_IO) { fprintf(stderr, "exit %u\n", run->exit_reason); return 1; }
		if (i == n) break;
	}
	printf("%.3f\n", (now() - start) / (double)n * 1e6);
	return 0;
}
