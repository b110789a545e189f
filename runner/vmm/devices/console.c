/* The console device: guest writes go to the console fd the supervisor handed over. */
#include <errno.h>

#include "hypercall.h"

void console_hc_write(struct vcpu *vcpu, void *args)
{
	struct lockvm_hc_console_write *a = args;
	const void *buf = hypercall_buffer(vcpu, "console write", a->data, a->len,
					   LOCKVM_CONSOLE_MAX, GUEST_READ);
	if (!buf)
		return;
	if (write_all(vcpu->vm->console_fd, buf, a->len) < 0) {
		a->ret = -LOCKVM_EIO;
		return;
	}
	a->ret = (int64_t)a->len;
}
