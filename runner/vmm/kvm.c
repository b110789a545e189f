/* KVM device access: API and extension checks, VM, memory slot and vCPU creation. */
#include "kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util.h"

int kvm_open_device(char *err, size_t errlen)
{
	/* LOCKVM_KVM_DEVICE: another node for the same device (tests give an
	 * unprivileged user its own node rather than touch /dev/kvm). */
	const char *override = getenv("LOCKVM_KVM_DEVICE");
	const char *device = override && *override ? override : KVM_DEVICE;
	int fd = open(device, O_RDWR | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	if (errno == ENOENT || errno == ENXIO || errno == ENODEV)
		snprintf(err, errlen,
			 "%s: %s: KVM is not available; enable virtualization and load kvm-intel "
			 "or kvm-amd (see 'lockvm check')",
			 device, strerror(errno));
	else if (errno == EACCES || errno == EPERM)
		snprintf(
		    err, errlen,
		    "%s: %s: run as root or add the user to the group owning %s (usually 'kvm')",
		    device, strerror(errno), device);
	else
		snprintf(err, errlen, "open(%s): %s", device, strerror(errno));
	return -1;
}

static const struct {
	int cap;
	const char *name;
} required_caps[] = {
    {KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY"},	/* guest RAM from our mapping */
    {KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID"},		/* KVM_SET_CPUID2 */
    {KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT"}, /* race-free vCPU kicks */
    {KVM_CAP_MAX_VCPUS, "KVM_CAP_MAX_VCPUS"},		/* the vCPU limit below */
};

int kvm_check(int kvm_fd, unsigned vcpus, char *err, size_t errlen)
{
	int version = ioctl(kvm_fd, KVM_GET_API_VERSION, 0);
	if (version != KVM_API_VERSION) {
		snprintf(err, errlen, "KVM API version %d, lockvm needs %d", version,
			 KVM_API_VERSION);
		return -1;
	}
	for (size_t i = 0; i < sizeof(required_caps) / sizeof(required_caps[0]); i++) {
		if (ioctl(kvm_fd, KVM_CHECK_EXTENSION, required_caps[i].cap) <= 0) {
			snprintf(err, errlen,
				 "KVM lacks %s, which lockvm needs; use a newer kernel",
				 required_caps[i].name);
			return -1;
		}
	}
	int max = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (max > 0 && vcpus > (unsigned)max) {
		snprintf(err, errlen, "%u vCPUs requested, this host's KVM allows %d", vcpus, max);
		return -1;
	}
	return 0;
}

int kvm_vm_create(struct vm *vm, char *err, size_t errlen)
{
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		snprintf(err, errlen, "ioctl(KVM_CREATE_VM): %s", strerror(errno));
		return -1;
	}
	struct kvm_userspace_memory_region region = {
	    .slot = 0,
	    .guest_phys_addr = 0,
	    .memory_size = vm->mem.size,
	    .userspace_addr = (uint64_t)(uintptr_t)vm->mem.host,
	};
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
		snprintf(err, errlen, "ioctl(KVM_SET_USER_MEMORY_REGION, %llu bytes): %s",
			 (unsigned long long)vm->mem.size, strerror(errno));
		return -1;
	}
	int run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size < (int)sizeof(struct kvm_run)) {
		snprintf(err, errlen, "ioctl(KVM_GET_VCPU_MMAP_SIZE): %s", strerror(errno));
		return -1;
	}
	vm->run_size = (size_t)run_size;
	for (unsigned i = 0; i < vm->vcpu_count; i++) {
		struct vcpu *vcpu = &vm->vcpus[i];
		vcpu->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)i);
		if (vcpu->fd < 0) {
			snprintf(err, errlen, "ioctl(KVM_CREATE_VCPU, %u): %s", i, strerror(errno));
			return -1;
		}
		void *run =
		    mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd, 0);
		if (run == MAP_FAILED) {
			snprintf(err, errlen, "mmap(vcpu%u run page): %s", i, strerror(errno));
			return -1;
		}
		vcpu->run = run;
	}
	return 0;
}

static void *kvm_create_thread(void *arg)
{
	struct kvm_create_job *job = arg;
	job->rc = kvm_vm_create(job->vm, job->err, sizeof(job->err));
	job->done_ns = now_ns();
	return NULL;
}

int kvm_vm_create_start(struct vm *vm, struct kvm_create_job *job, char *err, size_t errlen)
{
	*job = (struct kvm_create_job){.vm = vm, .rc = -1};
	int rc = pthread_create(&job->thread, NULL, kvm_create_thread, job);
	if (rc != 0) {
		snprintf(err, errlen, "pthread_create (KVM VM): %s", strerror(rc));
		return -1;
	}
	return 0;
}

int kvm_vm_create_finish(struct kvm_create_job *job, char *err, size_t errlen)
{
	pthread_join(job->thread, NULL);
	if (job->rc < 0)
		snprintf(err, errlen, "%s", job->err);
	return job->rc;
}

void kvm_vm_destroy(struct vm *vm)
{
	for (unsigned i = 0; vm->vcpus && i < vm->vcpu_count; i++) {
		struct vcpu *vcpu = &vm->vcpus[i];
		if (vcpu->run)
			munmap(vcpu->run, vm->run_size);
		if (vcpu->fd >= 0)
			close(vcpu->fd);
		vcpu->run = NULL;
		vcpu->fd = -1;
	}
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	vm->vm_fd = -1;
}
