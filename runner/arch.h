/* Architecture hooks: generic code calls these; each architecture implements them in *_<arch>.c. */
#ifndef LOCKVM_ARCH_H
#define LOCKVM_ARCH_H

#include <stddef.h>
#include <stdint.h>

#include "elf_image.h"
#include "vm.h"

struct boot_args {
	unsigned argc;
	char *const *argv;
};

/* The range a guest image may occupy in a VM of this size: above the
 * runner's pages, below the vCPU stacks. */
struct elf_limits arch_image_limits(uint64_t ram_size, unsigned vcpu_count);

/*
 * Builds the runner's pages in guest RAM: page tables (NX and write
 * protection from the image's segments, page 0 and stack guards unmapped),
 * descriptor tables, exception stubs and the boot info of every vCPU.
 * Needs guest RAM mapped and the image copied. Returns 0 or -1 with err.
 */
int arch_setup_memory(struct vm *vm, const struct elf_image *image, const struct boot_args *args,
		      char *err, size_t errlen);

/* Loads a vCPU's initial state (CPUID, control and segment registers,
 * entry registers, FPU). Needs the vCPU fd and arch_setup_memory(). */
int arch_vcpu_init(struct vcpu *vcpu, char *err, size_t errlen);

/* VM-exit handlers with architecture meaning. */
void arch_exit_hlt(struct vcpu *vcpu);	    /* exception stubs halt here */
void arch_exit_shutdown(struct vcpu *vcpu); /* triple fault */

#endif
