/* The x86-64 vCPU blob of a snapshot's vCPU section (runner/migrate/SNAPSHOT.md): one fixed layout for the VMM and the test helper that forges streams. */
#ifndef LOCKVM_SNAPSHOT_X86_64_H
#define LOCKVM_SNAPSHOT_X86_64_H

#include <linux/kvm.h>
#include <stdint.h>

/* The MSRs a snapshot carries, in blob order. Only the TSC may differ
 * from a fresh vCPU: the others would open a way into CPL 0 (SYSENTER,
 * SYSCALL) that an SDK guest, which cannot write MSRs, never had. */
#define X86_SNAPSHOT_MSRS                                                                          \
	{                                                                                          \
		0x10 /* TSC */, 0x174 /* SYSENTER_CS */, 0x175 /* SYSENTER_ESP */,                 \
		    0x176 /* SYSENTER_EIP */, 0xC0000081 /* STAR */, 0xC0000082 /* LSTAR */,       \
		    0xC0000083 /* CSTAR */, 0xC0000084 /* SFMASK */,                               \
		    0xC0000102 /* KERNEL_GS_BASE */                                                \
	}
enum { X86_SNAPSHOT_MSR_TSC = 0, X86_SNAPSHOT_MSR_LSTAR = 5, X86_SNAPSHOT_MSR_COUNT = 9 };

/* UAPI structs, fixed layout. */
struct x86_snapshot {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_vcpu_events events;
	uint64_t msrs[X86_SNAPSHOT_MSR_COUNT];
	struct kvm_xsave xsave; /* last: newer headers end it with a flexible array */
};

#endif
