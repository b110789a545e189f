/* Table-driven hypercall dispatch: port number to handler, with checked argument structs. */
#ifndef LOCKVM_HYPERCALL_H
#define LOCKVM_HYPERCALL_H

#include <stdbool.h>
#include <stdint.h>

#include "vm.h"

/* A handler gets a private copy of the argument struct (so another vCPU
 * cannot change it while it is checked) which is copied back afterwards. */
typedef void (*hypercall_fn)(struct vcpu *vcpu, void *args);

struct hypercall_def {
	const char *name;
	uint32_t arg_size;
	hypercall_fn handler;
};

/*
 * Handles one port-I/O exit. `is_out` is the direction, `size` the access
 * width, `count` the repeat count, `value` the data written. Anything that
 * is not a well-formed hypercall ends the VM with a guest error. Needs vm
 * memory mapped. Returns nothing: the caller checks vm_is_ending().
 */
void hypercall_dispatch(struct vcpu *vcpu, uint16_t port, bool is_out, unsigned size,
			unsigned count, uint32_t value);

/*
 * The guest buffer [data, data+len) as a host pointer, for a length of at
 * most `max`, that the handler will read or write as `access` says. The
 * range must pass guest_mem_user_check() (in RAM, none of the runner's
 * pages); otherwise ends the VM with a guest error naming `what` and
 * returns NULL. Every buffer a hypercall names goes through here. A
 * GUEST_WRITE buffer is marked dirty (for migration) after the handler
 * returns, so the handler must write it before returning.
 */
void *hypercall_buffer(struct vcpu *vcpu, const char *what, guest_ptr_t data, uint64_t len,
		       uint64_t max, enum guest_access access);

/* Finishes a SLEEP that a pause cut short (vcpu->sleep_deadline_ns), until
 * its deadline, a posted event, the VM ending or another pause. */
void hypercall_sleep_finish(struct vcpu *vcpu);

/* The table, for `lockvm` tools and tests. */
const struct hypercall_def *hypercall_lookup(unsigned number);

/* Handlers living in their device files. */
void console_hc_write(struct vcpu *vcpu, void *args);
void blk_hc_info(struct vcpu *vcpu, void *args);
void blk_hc_read(struct vcpu *vcpu, void *args);
void blk_hc_write(struct vcpu *vcpu, void *args);
void balloon_hc_release(struct vcpu *vcpu, void *args);

#endif
