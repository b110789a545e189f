/* The balloon hypercall: a guest hands pages of its RAM back to the host. */
#include <errno.h>
#include <string.h>

#include "hypercall.h"

void balloon_hc_release(struct vcpu *vcpu, void *args)
{
	struct lockvm_hc_balloon *a = args;
	struct vm *vm = vcpu->vm;
	a->released = 0;
	/* Form: the range must be guest RAM (a guest error otherwise). */
	if (!hypercall_buffer(vcpu, "balloon", a->addr, a->len, vm->mem.size))
		return;
	/* Meaning: page-aligned, and never the runner's own pages (page
	 * tables, descriptor tables, boot info), whose loss would make the
	 * guest fault in ways that look like runner bugs. */
	if (a->addr % LOCKVM_PAGE_SIZE || a->len % LOCKVM_PAGE_SIZE ||
	    a->addr < LOCKVM_RUNNER_END) {
		a->ret = -LOCKVM_EINVAL;
		return;
	}
	int64_t released = guest_mem_release(&vm->mem, a->addr, a->len);
	if (released < 0) {
		a->ret = -LOCKVM_EIO;
		return;
	}
	a->released = (uint64_t)released;
	a->ret = 0;
}
