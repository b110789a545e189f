/* The balloon hypercall: a guest hands pages of its RAM back to the host. */
#include <errno.h>
#include <string.h>

#include "hypercall.h"

void balloon_hc_release(struct vcpu *vcpu, void *args)
{
	struct lockvm_hc_balloon *a = args;
	struct vm *vm = vcpu->vm;
	a->released = 0;
	/* Meaning first: page-aligned, and never the runner's own pages
	 * (page tables, descriptor tables, stubs, boot info), which the
	 * balloon reports as -EINVAL (abi.h) where other calls stop the guest. */
	if (a->addr % LOCKVM_PAGE_SIZE || a->len % LOCKVM_PAGE_SIZE ||
	    a->addr < LOCKVM_RUNNER_END) {
		a->ret = -LOCKVM_EINVAL;
		return;
	}
	/* Form: guest RAM (a guest error otherwise), through the one check;
	 * released pages read as zero, a write to be marked dirty. */
	if (!hypercall_buffer(vcpu, "balloon", a->addr, a->len, vm->mem.size, GUEST_WRITE))
		return;
	int64_t released = guest_mem_release(&vm->mem, a->addr, a->len);
	if (released < 0) {
		a->ret = -LOCKVM_EIO;
		return;
	}
	a->released = (uint64_t)released;
	a->ret = 0;
}
