/* /dev/kvm: opening it, checking the API and every extension lockvm uses, creating the VM and vCPUs. */
#ifndef LOCKVM_KVM_H
#define LOCKVM_KVM_H

#include <stddef.h>

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

/* Releases what kvm_vm_create() made. */
void kvm_vm_destroy(struct vm *vm);

#endif
