/* rawkvm: the minimal raw KVM program the benchmarks compare against; no lockvm code.
 *
 * usage: rawkvm one       run one HLT instruction (real mode) and exit
 *        rawkvm io N      N port-I/O exits from real mode
 *        rawkvm io64 N    N port-I/O exits from 64-bit ring 0
 *        rawkvm mmio N    N MMIO-write exits from 64-bit ring 3: the exit a
 *                         lockvm hypercall is (see abi.h for why not OUT)
 *        rawkvm syscall N N SYSCALLs from 64-bit ring 3 to a stub that makes
 *                         that MMIO exit, resumed at RCX through the sync
 *                         registers: what a --linux system call is at least
 * The exit modes print microseconds per exit. */
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

#define MEM_SIZE  0x200000ULL
#define CODE	  0x8000ULL
#define STUB	  0x9000ULL /* syscall mode: LSTAR */
#define MMIO_ADDR 0x40000000ULL /* 1 GiB: mapped in the page tables, never backed */

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fail(const char *what)
{
	perror(what);
	return 1;
}

/* Identity-maps the first 2 MiB and MMIO_ADDR with 2 MiB pages, user-accessible,
 * and loads 64-bit segments of privilege `dpl`. */
static int long_mode(uint8_t *mem, int vcpu, unsigned dpl)
{
	uint64_t *pml4 = (uint64_t *)(mem + 0x1000), *pdpt = (uint64_t *)(mem + 0x2000);
	uint64_t *pd0 = (uint64_t *)(mem + 0x3000), *pd1 = (uint64_t *)(mem + 0x4000);
	const uint64_t p_rw_us = 7, ps = 0x80;
	pml4[0] = 0x2000 | p_rw_us;
	pdpt[0] = 0x3000 | p_rw_us;
	pdpt[1] = 0x4000 | p_rw_us;
	pd0[0] = 0 | p_rw_us | ps;
	pd1[0] = MMIO_ADDR | p_rw_us | ps;

	struct kvm_sregs sregs;
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0) return fail("KVM_GET_SREGS");
	struct kvm_segment cs = {.selector = (uint16_t)(0x8 | dpl), .limit = 0xFFFFFFFF, .type = 0xB,
				 .present = 1, .dpl = (uint8_t)dpl, .s = 1, .l = 1, .g = 1};
	struct kvm_segment ds = {.selector = (uint16_t)(0x10 | dpl), .limit = 0xFFFFFFFF, .type = 0x3,
				 .present = 1, .dpl = (uint8_t)dpl, .s = 1, .db = 1, .g = 1};
	sregs.cs = cs;
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = ds;
	sregs.cr0 = 0x80050033; /* PG WP NE ET MP PE */
	sregs.cr3 = 0x1000;
	sregs.cr4 = 0x20; /* PAE */
	sregs.efer = 0x500; /* LME LMA */
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0) return fail("KVM_SET_SREGS");
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "one";
	long n = argc > 2 ? atol(argv[2]) : 0;
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) return fail("/dev/kvm");
	int vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0) return fail("KVM_CREATE_VM");
	uint8_t *mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) return fail("mmap");
	struct kvm_userspace_memory_region region = {
	    .slot = 0, .guest_phys_addr = 0, .memory_size = MEM_SIZE, .userspace_addr = (uint64_t)(uintptr_t)mem};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0) return fail("KVM_SET_USER_MEMORY_REGION");
	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0) return fail("KVM_CREATE_VCPU");
	int size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	struct kvm_run *run = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED) return fail("mmap kvm_run");

	static const uint8_t hlt[] = {0xF4};
	static const uint8_t out_loop[] = {0xE6, 0x10, 0xEB, 0xFC};  /* out %al,$0x10; jmp . -2 */
	static const uint8_t mmio_loop[] = {0x89, 0x03, 0xEB, 0xFC}; /* mov %eax,(%rbx); jmp . -2 */
	struct kvm_regs regs = {.rip = CODE, .rflags = 2};
	uint32_t want;
	int syscall_mode = strcmp(mode, "syscall") == 0;
	if (strcmp(mode, "one") == 0) {
		memcpy(mem + CODE, hlt, sizeof(hlt));
		want = KVM_EXIT_HLT;
	} else if (strcmp(mode, "io") == 0) {
		memcpy(mem + CODE, out_loop, sizeof(out_loop));
		want = KVM_EXIT_IO;
	} else if (strcmp(mode, "io64") == 0 || strcmp(mode, "mmio") == 0) {
		int user = strcmp(mode, "mmio") == 0;
		if (user)
			memcpy(mem + CODE, mmio_loop, sizeof(mmio_loop));
		else
			memcpy(mem + CODE, out_loop, sizeof(out_loop));
		if (long_mode(mem, vcpu, user ? 3 : 0)) return 1;
		regs.rbx = MMIO_ADDR;
		regs.rsp = MEM_SIZE;
		want = user ? KVM_EXIT_MMIO : KVM_EXIT_IO;
	} else if (syscall_mode) {
		static const uint8_t sys_loop[] = {0x0F, 0x05, 0xEB, 0xFC}; /* syscall; jmp . -2 */
		static const uint8_t stub[] = {0x89, 0x03, 0x0F, 0x0B};	    /* mov %eax,(%rbx); ud2 */
		memcpy(mem + CODE, sys_loop, sizeof(sys_loop));
		memcpy(mem + STUB, stub, sizeof(stub));
		if (long_mode(mem, vcpu, 3)) return 1;
		struct kvm_sregs sregs;
		if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0) return fail("KVM_GET_SREGS");
		sregs.efer |= 1; /* SCE */
		if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0) return fail("KVM_SET_SREGS");
		uint64_t buf[(sizeof(struct kvm_msrs) + 3 * sizeof(struct kvm_msr_entry)) / 8] = {0};
		struct kvm_msrs *msrs = (struct kvm_msrs *)buf;
		msrs->nmsrs = 3;
		msrs->entries[0] = (struct kvm_msr_entry){.index = 0xC0000081, .data = 0x8ULL << 32}; /* STAR */
		msrs->entries[1] = (struct kvm_msr_entry){.index = 0xC0000082, .data = STUB}; /* LSTAR */
		msrs->entries[2] = (struct kvm_msr_entry){.index = 0xC0000084, .data = 0x47700}; /* SFMASK */
		if (ioctl(vcpu, KVM_SET_MSRS, msrs) != 3) return fail("KVM_SET_MSRS");
		if (ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS) & KVM_SYNC_X86_REGS)
			run->kvm_valid_regs = KVM_SYNC_X86_REGS;
		regs.rbx = MMIO_ADDR;
		regs.rsp = MEM_SIZE;
		want = KVM_EXIT_MMIO;
	} else {
		fprintf(stderr, "rawkvm: unknown mode %s\n", mode);
		return 2;
	}
	if (strcmp(mode, "one") == 0 || strcmp(mode, "io") == 0) { /* real mode, CS base 0 */
		struct kvm_sregs sregs;
		if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0) return fail("KVM_GET_SREGS");
		sregs.cs.base = 0;
		sregs.cs.selector = 0;
		if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0) return fail("KVM_SET_SREGS");
	}
	if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0) return fail("KVM_SET_REGS");

	double start = 0;
	for (long i = 0;; i++) {
		if (i == 1) start = now(); /* skip the first (cold) exit */
		if (ioctl(vcpu, KVM_RUN, 0) < 0) return fail("KVM_RUN");
		if (run->exit_reason != want) {
			fprintf(stderr, "rawkvm: unexpected exit %u\n", run->exit_reason);
			return 1;
		}
		if (want == KVM_EXIT_HLT) return 0;
		if (i == n) break;
		if (syscall_mode && run->kvm_valid_regs) { /* back to the loop, as lockvm-vmm */
			run->s.regs.regs.rip = run->s.regs.regs.rcx;
			run->kvm_dirty_regs = KVM_SYNC_X86_REGS;
		} else if (syscall_mode) {
			if (ioctl(vcpu, KVM_GET_REGS, &regs) < 0) return fail("KVM_GET_REGS");
			regs.rip = regs.rcx;
			if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0) return fail("KVM_SET_REGS");
		}
	}
	printf("%.3f\n", (now() - start) / (double)(n > 0 ? n : 1) * 1e6);
	return 0;
}
