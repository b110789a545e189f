/* VM lifetime shared by every VMM thread: who decides the exit status, and waking everyone. */
#include "vm.h"

#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* SDK guests: the VMM's defaults, nothing of their own. */
const struct guest_ops sdk_guest_ops = {.name = "sdk"};

void vm_init(struct vm *vm)
{
	memset(vm, 0, sizeof(*vm));
	vm->kvm_fd = vm->vm_fd = vm->wake_fd = -1;
	vm->console_fd = STDOUT_FILENO;
	vm->guest = &sdk_guest_ops;
	atomic_init(&vm->ending, false);
	pthread_mutex_init(&vm->lock, NULL);
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&vm->cond, &attr);
	pthread_condattr_destroy(&attr);
}

void vm_kick_vcpu(struct vm *vm, unsigned index)
{
	struct vcpu *vcpu = &vm->vcpus[index];
	if (vcpu->run)
		/* Set before the signal: a vCPU about to enter KVM_RUN
		 * returns at once instead of missing the kick. */
		__atomic_store_n(&vcpu->run->immediate_exit, 1, __ATOMIC_RELEASE);
	if (vcpu->thread_started && !pthread_equal(vcpu->thread, pthread_self()))
		pthread_kill(vcpu->thread, SIGUSR1);
}

void vm_kick_vcpus(struct vm *vm)
{
	for (unsigned i = 0; i < vm->vcpu_count; i++)
		vm_kick_vcpu(vm, i);
}

static void vm_end_v(struct vm *vm, int status, const char *fmt, va_list ap)
{
	pthread_mutex_lock(&vm->lock);
	bool first = !vm_is_ending(vm);
	/* Past --timeout, whoever ends the VM (a guest's own exit that a sleep
	 * cut short at the deadline, say) reports the timeout: it always wins. */
	bool timed_out = vm->deadline_ns && status != EXIT_TIMEOUT && now_ns() >= vm->deadline_ns;
	if (first && timed_out) {
		status = EXIT_TIMEOUT;
		fmt = NULL;
		fprintf(stderr, "timeout: VM stopped after --timeout\n");
	}
	if (first) {
		vm->exit_status = status;
		atomic_store_explicit(&vm->ending, true, memory_order_release);
		if (fmt) {
			char line[512];
			vsnprintf(line, sizeof(line), fmt, ap);
			fprintf(stderr, "%s\n", line);
		}
	}
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
	if (!first)
		return;
	vm_kick_vcpus(vm);
	if (vm->wake_fd >= 0) {
		uint64_t one = 1;
		if (write(vm->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			perror("lockvm-vmm: write(wake eventfd)");
	}
}

void vm_set_slice(struct vm *vm, unsigned ms)
{
	if (atomic_exchange(&vm->slice_ms, ms) == ms || vm->wake_fd < 0)
		return;
	uint64_t one = 1;
	if (write(vm->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		perror("lockvm-vmm: write(wake eventfd)");
}

void vm_end(struct vm *vm, int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vm_end_v(vm, status, fmt, ap);
	va_end(ap);
}

void vcpu_guest_error(struct vcpu *vcpu, const char *fmt, ...)
{
	char reason[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	vm_end(vcpu->vm, EXIT_GUEST_ERROR, "guest error: vcpu%u: %s", vcpu->index, reason);
}

int vm_wait_locked(struct vm *vm, uint64_t deadline_ns, const uint64_t *generation)
{
	uint64_t start_generation = generation ? *generation : 0;
	if (vm->deadline_ns && (deadline_ns == 0 || deadline_ns > vm->deadline_ns))
		deadline_ns = vm->deadline_ns;
	while (!vm_is_ending(vm)) {
		if (generation && *generation != start_generation)
			return 0;
		if (deadline_ns == 0) {
			pthread_cond_wait(&vm->cond, &vm->lock);
			continue;
		}
		if (now_ns() >= deadline_ns)
			return -1;
		struct timespec ts = {
		    .tv_sec = (time_t)(deadline_ns / 1000000000ULL),
		    .tv_nsec = (long)(deadline_ns % 1000000000ULL),
		};
		pthread_cond_timedwait(&vm->cond, &vm->lock, &ts);
	}
	return -1;
}

void vm_wait_once_locked(struct vm *vm, uint64_t deadline_ns)
{
	const struct timespec until = {.tv_sec = (time_t)(deadline_ns / 1000000000ULL),
				       .tv_nsec = (long)(deadline_ns % 1000000000ULL)};
	pthread_cond_timedwait(&vm->cond, &vm->lock, &until);
}

void vm_post_event(struct vm *vm, uint64_t events)
{
	pthread_mutex_lock(&vm->lock);
	vm->events |= events;
	vm->event_generation++;
	vm->wake_generation++; /* WAITs return: spurious wakeups are allowed */
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
}

void vm_disk_counters(const struct vm *vm, uint64_t *reads, uint64_t *writes, uint64_t *read_bytes,
		      uint64_t *written_bytes)
{
	*reads = *writes = *read_bytes = *written_bytes = 0;
	for (unsigned i = 0; i < vm->disk_count; i++) {
		const struct disk *d = &vm->disks[i];
		*reads += __atomic_load_n(&d->reads, __ATOMIC_RELAXED);
		*writes += __atomic_load_n(&d->writes, __ATOMIC_RELAXED);
		*read_bytes += __atomic_load_n(&d->read_bytes, __ATOMIC_RELAXED);
		*written_bytes += __atomic_load_n(&d->written_bytes, __ATOMIC_RELAXED);
	}
}

void vm_counters(const struct vm *vm, uint64_t *exits, uint64_t *hypercalls)
{
	*exits = *hypercalls = 0;
	/* Each vCPU thread counts its own; a relaxed read sees them whole. */
	for (unsigned i = 0; vm->vcpus && i < vm->vcpu_count; i++) {
		*exits += __atomic_load_n(&vm->vcpus[i].exits, __ATOMIC_RELAXED);
		*hypercalls += __atomic_load_n(&vm->vcpus[i].hypercalls, __ATOMIC_RELAXED);
	}
}
