/* vCPU threads: KVM_RUN loop, kicks, and table-driven exit dispatch. */
#include "vcpu.h"

#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>

#include "arch.h"
#include "hypercall.h"

static void exit_io(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint32_t value = 0;
	size_t width = run->io.size < sizeof(value) ? run->io.size : sizeof(value);
	/* KVM fills data_offset; still never read outside the run page. */
	if (run->io.data_offset < sizeof(*run) ||
	    run->io.data_offset > vcpu->vm->run_size - width) {
		vcpu_guest_error(vcpu, "I/O exit with data offset %llu outside the run page",
				 (unsigned long long)run->io.data_offset);
		return;
	}
	memcpy(&value, (uint8_t *)run + run->io.data_offset, width);
	hypercall_dispatch(vcpu, run->io.port, run->io.direction == KVM_EXIT_IO_OUT, run->io.size,
			   run->io.count, value);
}

static void exit_mmio(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	const struct guest_ops *guest = vcpu->vm->guest;
	if (guest->exit_mmio && guest->exit_mmio(vcpu, run->mmio.phys_addr))
		return; /* e.g. a --linux guest's system call */
	uint64_t offset = run->mmio.phys_addr - LOCKVM_DOORBELL_GPA;
	if (run->mmio.phys_addr >= LOCKVM_DOORBELL_GPA && offset < LOCKVM_PAGE_SIZE) {
		uint32_t value = 0;
		memcpy(&value, run->mmio.data, run->mmio.len < 4 ? run->mmio.len : 4);
		hypercall_dispatch(vcpu, (uint16_t)(LOCKVM_HC_PORT_BASE + offset / 4),
				   run->mmio.is_write, offset % 4 ? 0 : run->mmio.len, 1, value);
		return;
	}
	vcpu_guest_error(vcpu, "MMIO %s of %u bytes at unbacked address 0x%llx",
			 run->mmio.is_write ? "write" : "read", run->mmio.len,
			 (unsigned long long)run->mmio.phys_addr);
}

static void exit_fail_entry(struct vcpu *vcpu)
{
	vcpu_guest_error(vcpu, "KVM could not enter the guest (hardware reason 0x%llx)",
			 (unsigned long long)vcpu->run->fail_entry.hardware_entry_failure_reason);
}

static void exit_internal_error(struct vcpu *vcpu)
{
	vcpu_guest_error(vcpu, "KVM internal error (suberror %u)", vcpu->run->internal.suberror);
}

typedef void (*vcpu_exit_fn)(struct vcpu *vcpu);

/* Indexed by KVM_EXIT_*; a duplicate index fails to compile. */
static const vcpu_exit_fn exit_table[] = {
    [KVM_EXIT_IO] = exit_io,
    [KVM_EXIT_HLT] = arch_exit_hlt,
    [KVM_EXIT_MMIO] = exit_mmio,
    [KVM_EXIT_SHUTDOWN] = arch_exit_shutdown,
    [KVM_EXIT_FAIL_ENTRY] = exit_fail_entry,
    [KVM_EXIT_INTERNAL_ERROR] = exit_internal_error,
};

void vcpu_handle_exit(struct vcpu *vcpu, unsigned reason)
{
	if (reason < ARRAY_SIZE(exit_table) && exit_table[reason]) {
		exit_table[reason](vcpu);
		return;
	}
	vcpu_guest_error(vcpu, "unexpected VM exit (reason %u)", reason);
}

/*
 * Parks this vCPU while vm->pause_requested holds. First completes the
 * exit it last handled (KVM_RUN with immediate_exit finishes a pending
 * MMIO or port I/O without running guest code), so the registers the
 * main thread reads are consistent (KVM API, "immediate_exit").
 */
static void vcpu_park(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	__atomic_store_n(&vcpu->run->immediate_exit, 1, __ATOMIC_RELEASE);
	while (!vm_is_ending(vm) && ioctl(vcpu->fd, KVM_RUN, 0) == 0) {
		vcpu->exits++; /* completing the last exit raised another */
		vcpu_handle_exit(vcpu, vcpu->run->exit_reason);
	}
	pthread_mutex_lock(&vm->lock);
	vm->paused++;
	pthread_cond_broadcast(&vm->cond);
	while (atomic_load(&vm->pause_requested) && !vm_is_ending(vm))
		pthread_cond_wait(&vm->cond, &vm->lock);
	vm->paused--;
	pthread_mutex_unlock(&vm->lock);
	/* The flags are checked again before the next KVM_RUN, so a kick
	 * that lands after this store is not lost. */
	__atomic_store_n(&vcpu->run->immediate_exit, 0, __ATOMIC_RELEASE);
}

int vcpu_pause_all(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	atomic_store(&vm->pause_requested, true);
	/* Sleeps and waits return; SLEEP keeps its deadline (hc_sleep). */
	vm->event_generation++;
	vm->wake_generation++;
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
	for (unsigned i = 0; i < vm->vcpu_count; i++) {
		struct vcpu *vcpu = &vm->vcpus[i];
		__atomic_store_n(&vcpu->run->immediate_exit, 1, __ATOMIC_RELEASE);
		if (vcpu->thread_started)
			pthread_kill(vcpu->thread, SIGUSR1);
	}
	/* Bounded: a vCPU stuck in a handler that ignores the pause must not
	 * hang the main thread (and with it signals and `lockvm kill`). */
	uint64_t deadline = now_ns() + VCPU_PAUSE_TIMEOUT_NS;
	pthread_mutex_lock(&vm->lock);
	while (vm->paused < vm->vcpu_count && !vm_is_ending(vm) && now_ns() < deadline)
		vm_wait_once_locked(vm, deadline); /* ends when the last vCPU parks */
	int rc = vm_is_ending(vm) ? -1 : vm->paused < vm->vcpu_count ? -2 : 0;
	if (rc == -2) { /* the others run on */
		atomic_store(&vm->pause_requested, false);
		pthread_cond_broadcast(&vm->cond);
	}
	pthread_mutex_unlock(&vm->lock);
	return rc;
}

void vcpu_resume_all(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	atomic_store(&vm->pause_requested, false);
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
}

/* vCPU threads out of their run loop (or never in it), under vm->lock. */
static unsigned vcpus_out;

/* The last vCPU thread out calls the kind's vcpus_done hook. */
static void vcpu_leave(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	pthread_mutex_lock(&vm->lock);
	bool last = ++vcpus_out == vm->vcpu_count;
	pthread_mutex_unlock(&vm->lock);
	if (last && vm->guest->vcpus_done)
		vm->guest->vcpus_done(vcpu);
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *vcpu = arg;
	struct vm *vm = vcpu->vm;
	/* Named by the thread itself: pthread_setname_np() of another thread
	 * needs /proc, which the confined VMM does not have. */
	char name[16];
	snprintf(name, sizeof(name), "vcpu%u", vcpu->index);
	prctl(PR_SET_NAME, name, 0, 0, 0);
	sigset_t kick;
	sigemptyset(&kick);
	sigaddset(&kick, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &kick, NULL);
	if (vm->before_run && vm->before_run(vcpu) < 0) {
		vm_end(vm, EXIT_REFUSED, "lockvm-vmm: vcpu%u: setup before run failed",
		       vcpu->index);
		vcpu_leave(vcpu);
		return NULL;
	}
	while (!vm_is_ending(vm)) {
		if (atomic_load(&vm->pause_requested)) {
			vcpu_park(vcpu);
			continue;
		}
		if (vcpu->sleep_deadline_ns) {
			hypercall_sleep_finish(vcpu);
			continue;
		}
		if (ioctl(vcpu->fd, KVM_RUN, 0) < 0) {
			int e = errno;
			if (e == EINTR && vm->guest->kicked)
				vm->guest->kicked(vcpu);
			if (e == EINTR || e == EAGAIN)
				continue;
			vm_end(vm, EXIT_GUEST_ERROR, "lockvm-vmm: ioctl(vcpu%u, KVM_RUN): %s",
			       vcpu->index, strerror(e));
			break;
		}
		vcpu->exits++;
		vcpu_handle_exit(vcpu, vcpu->run->exit_reason);
	}
	vcpu_leave(vcpu);
	return NULL;
}

static void kick_handler(int sig)
{
	(void)sig; /* only interrupts KVM_RUN */
}

int vcpu_start_all(struct vm *vm, char *err, size_t errlen)
{
	struct sigaction sa = {.sa_handler = kick_handler};
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: KVM_RUN must return EINTR on a kick. */
	if (sigaction(SIGUSR1, &sa, NULL) < 0) {
		snprintf(err, errlen, "sigaction(SIGUSR1): %s", strerror(errno));
		return -1;
	}
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, (size_t)256 * 1024);
	for (unsigned i = 0; i < vm->vcpu_count; i++) {
		struct vcpu *vcpu = &vm->vcpus[i];
		int rc = pthread_create(&vcpu->thread, &attr, vcpu_thread, vcpu);
		if (rc != 0) {
			snprintf(err, errlen, "pthread_create(vcpu%u): %s", i, strerror(rc));
			pthread_attr_destroy(&attr);
			return -1;
		}
		vcpu->thread_started = true;
	}
	pthread_attr_destroy(&attr);
	return 0;
}

void vcpu_join_all(struct vm *vm)
{
	for (unsigned i = 0; i < vm->vcpu_count; i++) {
		if (vm->vcpus[i].thread_started)
			pthread_join(vm->vcpus[i].thread, NULL);
		vm->vcpus[i].thread_started = false;
	}
}
