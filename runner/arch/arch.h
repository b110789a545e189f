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

/* Snapshots (snapshot_x86_64.c). The size of a vCPU's arch blob. */
size_t arch_snapshot_size(void);
/* Reads a paused vCPU's state into out (arch_snapshot_size() bytes).
 * Refuses a vCPU that is not in guest user mode. Returns 0 or -1 with err. */
int arch_snapshot_save(struct vcpu *vcpu, uint8_t *out, char *err, size_t errlen);
/* Checks an untrusted blob for vCPU `index`: nothing KVM would reject or
 * that gives the guest more than a lockvm guest has. 0 or -1 with err. */
int arch_snapshot_check(const uint8_t *blob, unsigned index, char *err, size_t errlen);
/* Loads a checked blob into a vCPU set up by arch_vcpu_init(). */
int arch_snapshot_load(struct vcpu *vcpu, const uint8_t *blob, char *err, size_t errlen);
/* After restored RAM is in place: checks its page tables (tables inside
 * the table area, no guest-writable runner page, runner pages identity
 * mapped) and rebuilds the descriptor tables and stubs. 0 or -1 with err. */
int arch_snapshot_memory(struct vm *vm, char *err, size_t errlen);

/* SHA-256 with the CPU's own instructions (sha256_x86_64.c: SHA-NI), for
 * --record. arch_has_sha256(): whether this CPU has them; only then may
 * arch_sha256_blocks() run, which adds `blocks` 64-byte blocks to state
 * (FIPS 180-4's H0..H7, host order). */
bool arch_has_sha256(void);
void arch_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks);

#endif
