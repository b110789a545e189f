/* Hypercall dispatch (Solo5-style): fixed table, one checked guest-pointer path, bounded work per call. */
#include "hypercall.h"

#include "nic.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

static void hc_exit(struct vcpu *vcpu, void *args)
{
	const struct lockvm_hc_exit *a = args;
	int status = a->status > EXIT_GUEST_MAX ? EXIT_GUEST_MAX : (int)a->status;
	vm_end(vcpu->vm, status, NULL);
}

static void hc_time(struct vcpu *vcpu, void *args)
{
	struct lockvm_hc_time *a = args;
	struct timespec ts;
	clockid_t id;
	switch (a->clock) {
	case LOCKVM_CLOCK_REALTIME: id = CLOCK_REALTIME; break;
	case LOCKVM_CLOCK_MONOTONIC: id = CLOCK_MONOTONIC; break;
	default: a->ret = -LOCKVM_EINVAL; return;
	}
	clock_gettime(id, &ts);
	a->nanoseconds = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	if (id == CLOCK_MONOTONIC) /* continuous across save and migration */
		a->nanoseconds += (uint64_t)vcpu->vm->clock_offset_ns;
	a->ret = 0;
}

/* The guest error for a range guest_mem_user_check() refused. */
static void range_error(struct vcpu *vcpu, const char *what, const char *kind, guest_ptr_t gpa,
			uint64_t len, enum guest_range why)
{
	vcpu_guest_error(vcpu, "%s: %s [0x%llx, +0x%llx) %s", what, kind, (unsigned long long)gpa,
			 (unsigned long long)len,
			 why == GUEST_RANGE_RUNNER ? "overlaps the runner's pages"
						   : "is outside guest RAM");
}

/* Remembers a range the current handler may write, for hypercall_dispatch
 * to mark dirty after the handler returned. */
static void note_write(struct vcpu *vcpu, guest_ptr_t gpa, uint64_t len)
{
	if (len == 0)
		return;
	if (vcpu->hc_write_count < VCPU_HC_WRITES) {
		vcpu->hc_writes[vcpu->hc_write_count++] = (struct vcpu_hc_write){gpa, len};
		return;
	}
	/* Full: widen the last entry to cover both (more pages sent, none missed). */
	struct vcpu_hc_write *w = &vcpu->hc_writes[VCPU_HC_WRITES - 1];
	uint64_t lo = w->gpa < gpa ? w->gpa : gpa;
	uint64_t hi = w->gpa + w->len > gpa + len ? w->gpa + w->len : gpa + len;
	*w = (struct vcpu_hc_write){lo, hi - lo};
}

void *hypercall_buffer(struct vcpu *vcpu, const char *what, guest_ptr_t data, uint64_t len,
		       uint64_t max, enum guest_access access)
{
	if (len > max) {
		vcpu_guest_error(vcpu, "%s: length %llu exceeds %llu", what,
				 (unsigned long long)len, (unsigned long long)max);
		return NULL;
	}
	enum guest_range why = guest_mem_user_check(&vcpu->vm->mem, data, len, access);
	if (why != GUEST_RANGE_OK) {
		range_error(vcpu, what, "buffer", data, len, why);
		return NULL;
	}
	if (access == GUEST_WRITE)
		note_write(vcpu, data, len);
	return guest_mem_user_ptr(&vcpu->vm->mem, data, len, access);
}

static void hc_random(struct vcpu *vcpu, void *args)
{
	struct lockvm_hc_random *a = args;
	uint8_t *buf =
	    hypercall_buffer(vcpu, "random", a->data, a->len, LOCKVM_RANDOM_MAX, GUEST_WRITE);
	if (!buf)
		return;
	uint64_t done = 0;
	while (done < a->len) {
		ssize_t n = getrandom(buf + done, a->len - done, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			a->ret = -LOCKVM_EIO;
			return;
		}
		done += (uint64_t)n;
	}
	a->ret = (int64_t)done;
}

static void hc_sleep(struct vcpu *vcpu, void *args)
{
	struct lockvm_hc_sleep *a = args;
	struct vm *vm = vcpu->vm;
	uint64_t deadline;
	if (add_overflows(now_ns(), a->nanoseconds, &deadline))
		deadline = UINT64_MAX;
	pthread_mutex_lock(&vm->lock);
	/* A posted event (e.g. shutdown) ends the sleep early. */
	if (!vm->events)
		(void)vm_wait_locked(vm, deadline, &vm->event_generation);
	/* A pause (save, migration) is no event: the rest of the sleep is
	 * kept, done before the guest runs again (or saved with the vCPU). */
	if (atomic_load(&vm->pause_requested) && !vm->events && now_ns() < deadline)
		vcpu->sleep_deadline_ns = deadline;
	pthread_mutex_unlock(&vm->lock);
	a->ret = 0;
}

void hypercall_sleep_finish(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	pthread_mutex_lock(&vm->lock);
	if (!vm->events && !atomic_load(&vm->pause_requested))
		(void)vm_wait_locked(vm, vcpu->sleep_deadline_ns, &vm->event_generation);
	if (vm->events || now_ns() >= vcpu->sleep_deadline_ns)
		vcpu->sleep_deadline_ns = 0;
	pthread_mutex_unlock(&vm->lock);
}

static void hc_yield(struct vcpu *vcpu, void *args)
{
	struct lockvm_hc_nop *a = args;
	sched_yield();
	a->ret = 0;
}

/* The futex word of WAIT and WAKE: WAIT reads it, so it is checked as a
 * read buffer (no probing of the runner's pages by EAGAIN or not). */
static uint32_t *wait_word(struct vcpu *vcpu, guest_ptr_t addr, const char *what)
{
	if (addr % sizeof(uint32_t)) {
		vcpu_guest_error(vcpu, "%s: address 0x%llx is not 4-byte aligned", what,
				 (unsigned long long)addr);
		return NULL;
	}
	return hypercall_buffer(vcpu, what, addr, sizeof(uint32_t), sizeof(uint32_t), GUEST_READ);
}

static void hc_wait(struct vcpu *vcpu, void *args)
{
	struct lockvm_hc_wait *a = args;
	struct vm *vm = vcpu->vm;
	uint32_t *word = wait_word(vcpu, a->addr, "wait");
	if (!word)
		return;
	uint64_t deadline = 0;
	if (a->timeout_ns && add_overflows(now_ns(), a->timeout_ns, &deadline))
		deadline = UINT64_MAX;
	pthread_mutex_lock(&vm->lock);
	/* Checked under the lock that WAKE takes, so a wake that follows the
	 * guest's store cannot be missed (futex semantics). */
	if (__atomic_load_n(word, __ATOMIC_ACQUIRE) != a->expected) {
		a->ret = -LOCKVM_EAGAIN;
	} else {
		int woken = vm_wait_locked(vm, deadline, &vm->wake_generation);
		a->ret = woken == 0 ? 0 : -LOCKVM_ETIMEDOUT;
	}
	pthread_mutex_unlock(&vm->lock);
}

static void hc_wake(struct vcpu *vcpu, void *args)
{
	struct lockvm_hc_wake *a = args;
	struct vm *vm = vcpu->vm;
	if (!wait_word(vcpu, a->addr, "wake"))
		return;
	pthread_mutex_lock(&vm->lock);
	vm->wake_generation++;
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
	a->ret = 0;
}

static void hc_events(struct vcpu *vcpu, void *args)
{
	struct lockvm_hc_events *a = args;
	struct vm *vm = vcpu->vm;
	pthread_mutex_lock(&vm->lock);
	a->pending = vm->events;
	vm->events = 0;
	pthread_mutex_unlock(&vm->lock);
	a->ret = 0;
}

static void hc_nop(struct vcpu *vcpu, void *args)
{
	struct lockvm_hc_nop *a = args;
	a->ret = 0;
}

#define HC(nr, fn, type) [nr] = {#nr, sizeof(type), fn}
/* Indexed by number: a duplicate designated index is a compile error
 * (-Woverride-init, part of -Wextra -Werror). */
static const struct hypercall_def hypercall_table[LOCKVM_HC_COUNT] = {
    HC(LOCKVM_HC_CONSOLE_WRITE, console_hc_write, struct lockvm_hc_console_write),
    HC(LOCKVM_HC_EXIT, hc_exit, struct lockvm_hc_exit),
    HC(LOCKVM_HC_TIME, hc_time, struct lockvm_hc_time),
    HC(LOCKVM_HC_RANDOM, hc_random, struct lockvm_hc_random),
    HC(LOCKVM_HC_BLK_INFO, blk_hc_info, struct lockvm_hc_blk_info),
    HC(LOCKVM_HC_BLK_READ, blk_hc_read, struct lockvm_hc_blk_io),
    HC(LOCKVM_HC_BLK_WRITE, blk_hc_write, struct lockvm_hc_blk_io),
    HC(LOCKVM_HC_SLEEP, hc_sleep, struct lockvm_hc_sleep),
    HC(LOCKVM_HC_YIELD, hc_yield, struct lockvm_hc_nop),
    HC(LOCKVM_HC_WAIT, hc_wait, struct lockvm_hc_wait),
    HC(LOCKVM_HC_WAKE, hc_wake, struct lockvm_hc_wake),
    HC(LOCKVM_HC_NOP, hc_nop, struct lockvm_hc_nop),
    HC(LOCKVM_HC_BALLOON, balloon_hc_release, struct lockvm_hc_balloon),
    HC(LOCKVM_HC_EVENTS, hc_events, struct lockvm_hc_events),
    HC(LOCKVM_HC_NET_INFO, nic_hc_info, struct lockvm_hc_net_info),
    HC(LOCKVM_HC_NET_SEND, nic_hc_send, struct lockvm_hc_net_send),
    HC(LOCKVM_HC_NET_RECV, nic_hc_recv, struct lockvm_hc_net_recv),
    HC(LOCKVM_HC_NET_WAIT, nic_hc_wait, struct lockvm_hc_net_wait),
};
#undef HC

/* The largest argument struct, for the on-stack copy. */
#define HC_ARGS_MAX 64
_Static_assert(sizeof(struct lockvm_hc_wait) <= HC_ARGS_MAX, "hypercall args too large");

const struct hypercall_def *hypercall_lookup(unsigned number)
{
	if (number >= LOCKVM_HC_COUNT || !hypercall_table[number].handler)
		return NULL;
	return &hypercall_table[number];
}

void hypercall_dispatch(struct vcpu *vcpu, uint16_t port, bool is_out, unsigned size,
			unsigned count, uint32_t value)
{
	const struct hypercall_def *def = NULL;
	if (port >= LOCKVM_HC_PORT_BASE)
		def = hypercall_lookup(port - LOCKVM_HC_PORT_BASE);
	if (!def) {
		if (port >= LOCKVM_HC_PORT_BASE)
			vcpu_guest_error(vcpu, "unknown hypercall %u (port 0x%x)",
					 port - LOCKVM_HC_PORT_BASE, port);
		else
			vcpu_guest_error(vcpu, "%s of unknown I/O port 0x%x",
					 is_out ? "write" : "read", port);
		return;
	}
	if (!is_out) {
		vcpu_guest_error(vcpu, "%s: read from a hypercall port", def->name);
		return;
	}
	if (size != 4 || count != 1) {
		vcpu_guest_error(vcpu, "%s: %u-byte access (x%u), want one 4-byte OUT", def->name,
				 size, count);
		return;
	}
	/* The struct is read and written back (`ret` and other OUT fields):
	 * it must be memory the guest could write itself. */
	enum guest_range why =
	    guest_mem_user_check(&vcpu->vm->mem, value, def->arg_size, GUEST_WRITE);
	if (why != GUEST_RANGE_OK) {
		vcpu_guest_error(vcpu, "%s: argument struct [0x%x, +%u) %s", def->name, value,
				 def->arg_size,
				 why == GUEST_RANGE_RUNNER ? "overlaps the runner's pages"
							   : "is outside guest RAM");
		return;
	}
	uint8_t *guest_args = guest_mem_user_ptr(&vcpu->vm->mem, value, def->arg_size, GUEST_WRITE);
	uint64_t args[HC_ARGS_MAX / sizeof(uint64_t)];
	memcpy(args, guest_args, def->arg_size);
	vcpu->hypercalls++;
	vcpu->hc_write_count = 0;
	def->handler(vcpu, args);
	memcpy(guest_args, args, def->arg_size);
	/* Dirty only now, after every write of this call: marked before, a
	 * pre-copy round could send a page between the mark and the write,
	 * and the target would run on with the stale copy. */
	vm_mark_dirty(vcpu->vm, value, def->arg_size);
	for (unsigned i = 0; i < vcpu->hc_write_count; i++)
		vm_mark_dirty(vcpu->vm, vcpu->hc_writes[i].gpa, vcpu->hc_writes[i].len);
	vcpu->hc_write_count = 0;
}
