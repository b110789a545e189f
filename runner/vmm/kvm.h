/* /dev/kvm: opening it, checking the API and every extension lockvm uses, creating the VM and vCPUs. */
#ifndef LOCKVM_KVM_H
#define LOCKVM_KVM_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "vm.h"

#define KVM_DEVICE "/dev/kvm"

/* Opens /dev/kvm read-write, close-on-exec. Returns the fd, or -1 with a
 * one-line reason and what to do in err. */
int kvm_open_device(char *err, size_t errlen);

/* Requires API version 12 and every extension used, with room for
 * `vcpus` vCPUs. Returns 0 or -1 with err. */
int kvm_check(int kvm_fd, unsigned vcpus, char *err, size_t errlen);

/* Creates the VM on vm->kvm_fd, registers guest RAM (vm->mem) and
 * creates vm->vcpu_count vCPUs with their run pages. Needs vm->vcpus
 * allocated. Returns 0 or -1 with err. */
int kvm_vm_create(struct vm *vm, char *err, size_t errlen);

/* kvm_vm_create() on a thread of its own, so that its memory slot's SRCU
 * grace period passes while the main thread loads the guest (start time,
 * `make bench`). The thread runs under the caller's seccomp filter and
 * is gone after kvm_vm_create_finish(). */
struct kvm_create_job {
	struct vm *vm;
	pthread_t thread;
	int rc;
	uint64_t done_ns; /* now_ns() when the VM was made (--debug-timing) */
	char err[256];
};
/* Needs what kvm_vm_create() needs; the caller touches no field that
 * kvm_vm_create() writes (vm_fd, run_size, vcpus[].fd, vcpus[].run) until
 * kvm_vm_create_finish(). Returns 0, or -1 with err (no thread made). */
int kvm_vm_create_start(struct vm *vm, struct kvm_create_job *job, char *err, size_t errlen);
/* Joins the thread; returns kvm_vm_create()'s result, with its err. */
int kvm_vm_create_finish(struct kvm_create_job *job, char *err, size_t errlen);

/* Releases what kvm_vm_create() made. */
void kvm_vm_destroy(struct vm *vm);

#endif
