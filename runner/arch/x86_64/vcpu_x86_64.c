/* x86-64 vCPU state: entry at CPL 3 with IOPL 3 in long mode, and decoding faults reported by the ring-0 stubs. */
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch.h"
#include "arch_x86_64.h"

#define CR0_PE		(1ULL << 0)
#define CR0_MP		(1ULL << 1)
#define CR0_ET		(1ULL << 4)
#define CR0_NE		(1ULL << 5)
#define CR0_WP		(1ULL << 16)
#define CR0_PG		(1ULL << 31)
#define CR4_PAE		(1ULL << 5)
#define CR4_OSFXSR	(1ULL << 9)
#define CR4_OSXMMEXCPT	(1ULL << 10)
#define EFER_LME	(1ULL << 8)
#define EFER_LMA	(1ULL << 10)
#define EFER_NXE	(1ULL << 11)
#define RFLAGS_RESERVED (1ULL << 1)
#define RFLAGS_IOPL3	(3ULL << 12)

#define CPUID_MAX_ENTRIES 256

/* CPUID bits and leaves x86_cpuid_filter() hides. */
#define CPUID1_ECX_VMX	   (1u << 5)   /* Intel VT-x: nested virtualisation */
#define CPUID1_ECX_SMX	   (1u << 6)   /* Safer Mode Extensions (GETSEC) */
#define CPUID7_EBX_SGX	   (1u << 2)   /* SGX: enclaves, ENCLS emulated by KVM */
#define CPUID7_ECX_SGX_LC  (1u << 30)  /* SGX launch control */
#define CPUID_EXT1_ECX_SVM (1u << 2)   /* AMD-V: nested virtualisation */
#define CPUID_SGX_LEAF	   0x12u       /* SGX capabilities and EPC sections */
#define CPUID_KVM_FEATURES 0x40000001u /* KVM paravirtual features and hints */
#define CPUID_SVM_LEAF	   0x8000000Au /* SVM revision and nested features */
#define CPUID_SEV_LEAF	   0x8000001Fu /* SME/SEV memory encryption */

void x86_cpuid_filter(struct kvm_cpuid2 *cpuid)
{
	for (unsigned i = 0; i < cpuid->nent; i++) {
		struct kvm_cpuid_entry2 *e = &cpuid->entries[i];
		switch (e->function) {
		case 1: e->ecx &= ~(CPUID1_ECX_VMX | CPUID1_ECX_SMX); break;
		case 7:
			if (e->index == 0) {
				e->ebx &= ~CPUID7_EBX_SGX;
				e->ecx &= ~CPUID7_ECX_SGX_LC;
			}
			break;
		case 0x80000001: e->ecx &= ~CPUID_EXT1_ECX_SVM; break;
		case CPUID_SGX_LEAF:
		case CPUID_KVM_FEATURES:
		case CPUID_SVM_LEAF:
		case CPUID_SEV_LEAF: e->eax = e->ebx = e->ecx = e->edx = 0; break;
		default: break;
		}
	}
}

static struct kvm_cpuid2 *supported_cpuid(int kvm_fd, char *err, size_t errlen)
{
	/* The same for every vCPU; fetched once (vCPUs are set up by one thread). */
	static struct kvm_cpuid2 *cached;
	if (cached)
		return cached;
	struct kvm_cpuid2 *cpuid =
	    calloc(1, sizeof(*cpuid) + CPUID_MAX_ENTRIES * sizeof(struct kvm_cpuid_entry2));
	if (!cpuid) {
		snprintf(err, errlen, "out of memory for CPUID");
		return NULL;
	}
	cpuid->nent = CPUID_MAX_ENTRIES;
	if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid) < 0) {
		snprintf(err, errlen, "ioctl(KVM_GET_SUPPORTED_CPUID): %s", strerror(errno));
		free(cpuid);
		return NULL;
	}
	x86_cpuid_filter(cpuid);
	cached = cpuid;
	return cached;
}

bool x86_has_1g_pages(int kvm_fd)
{
	char err[128];
	const struct kvm_cpuid2 *cpuid = supported_cpuid(kvm_fd, err, sizeof(err));
	for (unsigned i = 0; cpuid && i < cpuid->nent; i++)
		if (cpuid->entries[i].function == 0x80000001)
			return (cpuid->entries[i].edx >> 26) & 1;
	return false;
}

int arch_vcpu_init(struct vcpu *vcpu, char *err, size_t errlen)
{
	struct vm *vm = vcpu->vm;
	struct kvm_cpuid2 *cpuid = supported_cpuid(vm->kvm_fd, err, errlen);
	if (!cpuid)
		return -1;
	if (ioctl(vcpu->fd, KVM_SET_CPUID2, cpuid) < 0) {
		snprintf(err, errlen, "ioctl(vcpu%u, KVM_SET_CPUID2): %s", vcpu->index,
			 strerror(errno));
		return -1;
	}

	struct kvm_sregs sregs;
	if (ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0) {
		snprintf(err, errlen, "ioctl(vcpu%u, KVM_GET_SREGS): %s", vcpu->index,
			 strerror(errno));
		return -1;
	}
	uint64_t boot_info = X86_BOOTINFO_GPA + (uint64_t)vcpu->index * X86_BOOTINFO_STRIDE;
	sregs.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	sregs.cr3 = X86_PML4_GPA;
	sregs.cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT;
	/* No EFER.SCE: SYSCALL raises #UD; hypercalls use the doorbell page. */
	sregs.efer = EFER_LME | EFER_LMA | EFER_NXE;
	sregs.cs = x86_user_segment(X86_SEL_USER_CS, true);
	sregs.ss = x86_user_segment(X86_SEL_USER_DS, false);
	sregs.ds = sregs.es = sregs.gs = sregs.ss;
	sregs.fs = sregs.ss;
	sregs.fs.base = boot_info; /* per-vCPU data at %fs:0 */
	sregs.tr = (struct kvm_segment){
	    .base = X86_TSS_GPA + (uint64_t)vcpu->index * X86_TSS_STRIDE,
	    .limit = X86_TSS_LIMIT,
	    .selector = X86_SEL_TSS(vcpu->index),
	    .type = 0xB, /* 64-bit TSS, busy */
	    .present = 1,
	};
	sregs.ldt = (struct kvm_segment){.type = 2, .unusable = 1};
	sregs.gdt.base = X86_GDT_GPA;
	sregs.gdt.limit = (uint16_t)(X86_SEL_TSS(LOCKVM_MAX_VCPUS) - 1);
	sregs.idt.base = X86_IDT_GPA;
	sregs.idt.limit = 256 * 16 - 1;
	if (ioctl(vcpu->fd, KVM_SET_SREGS, &sregs) < 0) {
		snprintf(err, errlen, "ioctl(vcpu%u, KVM_SET_SREGS): %s", vcpu->index,
			 strerror(errno));
		return -1;
	}

	struct kvm_regs regs = {
	    .rip = vm->entry,
	    .rsp = x86_stack_top(vm->mem.size, vcpu->index),
	    .rdi = boot_info,
	    .rsi = vcpu->index,
	    /* IOPL 3 as docs/ARCHITECTURE.md says; hosts that force IOPL 0 still work
	     * since the SDK's hypercalls use the doorbell page (abi.h). */
	    .rflags = RFLAGS_RESERVED | RFLAGS_IOPL3,
	};
	if (ioctl(vcpu->fd, KVM_SET_REGS, &regs) < 0) {
		snprintf(err, errlen, "ioctl(vcpu%u, KVM_SET_REGS): %s", vcpu->index,
			 strerror(errno));
		return -1;
	}

	struct kvm_fpu fpu = {.fcw = 0x37F, .mxcsr = 0x1F80};
	if (ioctl(vcpu->fd, KVM_SET_FPU, &fpu) < 0) {
		snprintf(err, errlen, "ioctl(vcpu%u, KVM_SET_FPU): %s", vcpu->index,
			 strerror(errno));
		return -1;
	}
	return 0;
}

static const char *const vector_names[X86_STUB_VECTORS] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#CSO", "#TS",
    "#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE",  "#CP",
    "#22", "#23", "#24", "#25", "#26", "#27", "#HV", "#VC", "#SX", "#31",
};

/* Exit status of a fault, as if the guest were a process killed by the
 * matching signal (docs/ARCHITECTURE.md, "Exit status"). */
static int fault_status(unsigned vector)
{
	switch (vector) {
	case 14:					 /* #PF */
	case 13: /* #GP */ return EXIT_SIGNAL_BASE + 11; /* SIGSEGV */
	case 6: /* #UD */ return EXIT_SIGNAL_BASE + 4;	 /* SIGILL */
	case 0: /* #DE */ return EXIT_SIGNAL_BASE + 8;	 /* SIGFPE */
	default: return EXIT_SIGNAL_BASE + 6;		 /* SIGABRT */
	}
}

/* The frame a stub leaves on its ring-0 stack. */
struct fault_frame {
	uint64_t vector, error_code, rip, cs, rflags, rsp, ss;
};

void arch_exit_hlt(struct vcpu *vcpu)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	if (ioctl(vcpu->fd, KVM_GET_REGS, &regs) < 0 ||
	    ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0) {
		vm_end(vcpu->vm, EXIT_GUEST_ERROR, "lockvm-vmm: vcpu%u: reading registers: %s",
		       vcpu->index, strerror(errno));
		return;
	}
	/* HLT at CPL 3 is #GP, so a HLT exit must come from a stub at CPL 0. */
	uint64_t stub_end = X86_STUBS_GPA + (uint64_t)X86_STUB_VECTORS * X86_STUB_SIZE;
	if ((sregs.cs.selector & 3) != 0 || regs.rip <= X86_STUBS_GPA || regs.rip > stub_end) {
		vcpu_guest_error(vcpu, "unexpected HLT exit at rip=0x%llx",
				 (unsigned long long)regs.rip);
		return;
	}
	struct fault_frame frame;
	const void *src = guest_mem_ptr(&vcpu->vm->mem, regs.rsp, sizeof(frame));
	if (!src) {
		vcpu_guest_error(vcpu, "fault frame at 0x%llx outside RAM",
				 (unsigned long long)regs.rsp);
		return;
	}
	memcpy(&frame, src, sizeof(frame));
	unsigned vector = (unsigned)(frame.vector % X86_STUB_VECTORS);
	/* A --linux program may handle its own fault (signal handler). */
	const struct guest_ops *guest = vcpu->vm->guest;
	if (guest->exit_fault &&
	    guest->exit_fault(vcpu, vector, frame.error_code, sregs.cr2, &frame.vector))
		return;
	char detail[96] = "";
	if (vector == 14)
		snprintf(detail, sizeof(detail), " addr=0x%llx error=0x%llx",
			 (unsigned long long)sregs.cr2, (unsigned long long)frame.error_code);
	else if (frame.error_code)
		snprintf(detail, sizeof(detail), " error=0x%llx",
			 (unsigned long long)frame.error_code);
	vm_end(vcpu->vm, fault_status(vector), "guest fault: %s at rip=0x%llx%s vcpu=%u",
	       vector_names[vector], (unsigned long long)frame.rip, detail, vcpu->index);
}

void arch_exit_shutdown(struct vcpu *vcpu)
{
	struct kvm_regs regs;
	unsigned long long rip = 0;
	if (ioctl(vcpu->fd, KVM_GET_REGS, &regs) == 0)
		rip = regs.rip;
	vm_end(vcpu->vm, EXIT_GUEST_ERROR,
	       "guest fault: triple fault (shutdown) at rip=0x%llx vcpu=%u", rip, vcpu->index);
}
