/* The console device: guest writes go to the console fd the supervisor handed over. */
#include <errno.h>

#include "hypercall.h"

void console_hc_write(struct vcpu *vcpu, void *args)
{
	struct lockvm_hc_console_write *a = args;
	if (a->len > LOCKVM_CONSOLE_MAX) {
		vcpu_guest_error(vcpu, "console write: length %llu exceeds %d",
				 (unsigned long long)a->len, LOCKVM_CONSOLE_MAX);
		return;
	}
	const void *buf = guest_mem_ptr(&vcpu->vm->mem, a->data, a->len);
	if (!buf) {
		vcpu_guest_error(vcpu,
				 "console write: buffer [0x%llx, +0x%llx) is outside guest RAM",
				 (unsigned long long)a->data, (unsigned long long)a->len);
		return;
	}
	if (write_all(vcpu->vm->console_fd, buf, a->len) < 0) {
		a->ret = -LOCKVM_EIO;
		return;
	}
	a->ret = (int64_t)a->len;
}
