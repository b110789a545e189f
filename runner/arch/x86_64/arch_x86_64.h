/* x86-64 layout of the runner's pages in guest RAM, shared by the boot and vCPU code. */
#ifndef LOCKVM_ARCH_X86_64_H
#define LOCKVM_ARCH_X86_64_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

#include <lockvm/abi.h>

/* [LOCKVM_RUNNER_BASE, LOCKVM_RUNNER_END), page by page. */
#define X86_GDT_GPA	     0x1000ULL
#define X86_TSS_GPA	     0x2000ULL /* one TSS per vCPU */
#define X86_TSS_STRIDE	     128ULL
#define X86_TSS_LIMIT	     103ULL
#define X86_IDT_GPA	     0x4000ULL
#define X86_STUBS_GPA	     0x5000ULL
#define X86_STUB_SIZE	     16u
#define X86_STUB_VECTORS     32u
#define X86_BOOTINFO_GPA     LOCKVM_BOOTINFO_BASE /* one per vCPU; then argv, to LOCKVM_BOOTINFO_END */
#define X86_BOOTINFO_STRIDE  512ULL
#define X86_ARGS_GPA	     0xE000ULL
#define X86_RING0_STACKS_GPA 0x10000ULL	       /* one 4K page per vCPU */
#define X86_PML4_GPA	     0x50000ULL	       /* page tables from here ... */
#define X86_TABLES_END	     LOCKVM_RUNNER_END /* ... to the end of the area */
_Static_assert(X86_ARGS_GPA + LOCKVM_ARGS_AREA == LOCKVM_BOOTINFO_END,
	       "the guest-readable window is the boot info and argv area");

/* GDT selectors, in the order SYSRET expects (user CS32, DS, CS64). */
#define X86_SEL_KERNEL_CS 0x08
#define X86_SEL_KERNEL_DS 0x10
#define X86_SEL_USER_CS32 0x18
#define X86_SEL_USER_DS	  0x20
#define X86_SEL_USER_CS	  0x28
#define X86_SEL_TSS(i)	  (0x30 + 16 * (i))

/* A flat CPL 3 segment: 64-bit code, or data, with the GDT selector given. */
struct kvm_segment x86_user_segment(uint16_t selector, bool code);

/*
 * Hides from the guest's CPUID what a CPL 3 guest has no use for and what
 * a guest that somehow reached CPL 0 would attack first: VMX and SVM (KVM
 * then refuses CR4.VMXE, EFER.SVME and the VMX MSRs: no nested hypervisor),
 * SMX, SGX, the SVM and SEV leaves, and KVM's paravirtual feature leaf.
 * Everything else KVM_GET_SUPPORTED_CPUID offers stays.
 */
void x86_cpuid_filter(struct kvm_cpuid2 *cpuid);

/* Whether KVM's guest CPUs have 1 GiB pages (CPUID 0x80000001 EDX.26). */
bool x86_has_1g_pages(int kvm_fd);
/* GDT, TSS and IDT with the fault stubs, for callers that build their
 * own page tables (Linux-ABI guests). Needs guest RAM mapped. */
struct vm;
void x86_setup_descriptors(struct vm *vm);

/* Initial RSP of vCPU `index`. */
uint64_t x86_stack_top(uint64_t ram_size, unsigned index);

#endif
