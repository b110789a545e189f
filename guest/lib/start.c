/* SDK start-up, per-vCPU data and hypercall wrappers. */
#include <lockvm/guest.h>

void lv_start(const struct lockvm_boot_info *boot) __attribute__((noreturn, used));

/* Argument structs live here, not on the stack: stacks sit at the top of
 * RAM, which may be above 4 GiB, and a hypercall passes a 32-bit GPA. */
union lv_args {
	struct lockvm_hc_console_write console;
	struct lockvm_hc_exit exit;
	struct lockvm_hc_time time;
	struct lockvm_hc_random random;
	struct lockvm_hc_blk_info blk_info;
	struct lockvm_hc_blk_io blk_io;
	struct lockvm_hc_sleep sleep;
	struct lockvm_hc_wait wait;
	struct lockvm_hc_wake wake;
	struct lockvm_hc_nop nop;
	struct lockvm_hc_balloon balloon;
	struct lockvm_hc_events events;
	struct lockvm_hc_net_info net_info;
	struct lockvm_hc_net_send net_send;
	struct lockvm_hc_net_recv net_recv;
	struct lockvm_hc_net_wait net_wait;
};
/* One frame descriptor per vCPU for lv_net_send1 (below 4 GiB, like the
 * argument slots). */
static struct lockvm_net_frame lv_one_frame[LOCKVM_MAX_VCPUS];
static union lv_args lv_slots[LOCKVM_MAX_VCPUS];
static const struct lockvm_boot_info *lv_boot_infos[LOCKVM_MAX_VCPUS];

unsigned lv_vcpu_index(void)
{
	/* The runner points each vCPU's FS base at its own boot info. */
	const struct lockvm_boot_info __seg_fs *mine = 0;
	return mine->vcpu_index;
}

const struct lockvm_boot_info *lv_boot(void)
{
	return lv_boot_infos[lv_vcpu_index()];
}

unsigned lv_vcpu_count(void)
{
	const struct lockvm_boot_info __seg_fs *mine = 0;
	return mine->vcpu_count;
}

static union lv_args *slot(void)
{
	return &lv_slots[lv_vcpu_index()];
}

__attribute__((weak)) void vcpu_main(unsigned index)
{
	(void)index;
	lv_park();
}

void lv_start(const struct lockvm_boot_info *boot)
{
	lv_boot_infos[boot->vcpu_index] = boot;
	if (boot->vcpu_index == 0)
		lv_exit(main((int)boot->argc, (char **)(uintptr_t)boot->argv));
	vcpu_main(boot->vcpu_index);
	lv_park();
}

void lv_exit(int status)
{
	union lv_args *a = slot();
	a->exit.status = (uint64_t)(status < 0 ? 255 : status);
	lv_hypercall(LOCKVM_HC_EXIT, &a->exit);
	for (;;)
		__asm__ volatile("ud2");
}

long lv_write(const void *buf, size_t len)
{
	union lv_args *a = slot();
	a->console = (struct lockvm_hc_console_write){ .data = (uintptr_t)buf, .len = len };
	lv_hypercall(LOCKVM_HC_CONSOLE_WRITE, &a->console);
	return a->console.ret;
}

uint64_t lv_time_ns(unsigned clock)
{
	union lv_args *a = slot();
	a->time = (struct lockvm_hc_time){ .clock = clock };
	lv_hypercall(LOCKVM_HC_TIME, &a->time);
	return a->time.nanoseconds;
}

long lv_random(void *buf, size_t len)
{
	union lv_args *a = slot();
	a->random = (struct lockvm_hc_random){ .data = (uintptr_t)buf, .len = len };
	lv_hypercall(LOCKVM_HC_RANDOM, &a->random);
	return a->random.ret;
}

int lv_blk_info(unsigned disk, uint64_t *sectors, int *read_only)
{
	union lv_args *a = slot();
	a->blk_info = (struct lockvm_hc_blk_info){ .disk = disk };
	lv_hypercall(LOCKVM_HC_BLK_INFO, &a->blk_info);
	if (sectors)
		*sectors = a->blk_info.sectors;
	if (read_only)
		*read_only = (int)a->blk_info.read_only;
	return (int)a->blk_info.ret;
}

static int blk_io(unsigned nr, unsigned disk, uint64_t sector, uint32_t count, uintptr_t buf)
{
	union lv_args *a = slot();
	a->blk_io = (struct lockvm_hc_blk_io){
		.disk = disk, .count = count, .sector = sector, .data = buf
	};
	lv_hypercall(nr, &a->blk_io);
	return (int)a->blk_io.ret;
}

int lv_blk_read(unsigned disk, uint64_t sector, uint32_t count, void *buf)
{
	return blk_io(LOCKVM_HC_BLK_READ, disk, sector, count, (uintptr_t)buf);
}

int lv_blk_write(unsigned disk, uint64_t sector, uint32_t count, const void *buf)
{
	return blk_io(LOCKVM_HC_BLK_WRITE, disk, sector, count, (uintptr_t)buf);
}

void lv_sleep_ns(uint64_t ns)
{
	union lv_args *a = slot();
	a->sleep = (struct lockvm_hc_sleep){ .nanoseconds = ns };
	lv_hypercall(LOCKVM_HC_SLEEP, &a->sleep);
}

void lv_yield(void)
{
	union lv_args *a = slot();
	lv_hypercall(LOCKVM_HC_YIELD, &a->nop);
}

int lv_wait(volatile uint32_t *addr, uint32_t expected, uint64_t timeout_ns)
{
	union lv_args *a = slot();
	a->wait = (struct lockvm_hc_wait){
		.addr = (uintptr_t)addr, .expected = expected, .timeout_ns = timeout_ns
	};
	lv_hypercall(LOCKVM_HC_WAIT, &a->wait);
	return (int)a->wait.ret;
}

int lv_wake(volatile uint32_t *addr)
{
	union lv_args *a = slot();
	a->wake = (struct lockvm_hc_wake){ .addr = (uintptr_t)addr };
	lv_hypercall(LOCKVM_HC_WAKE, &a->wake);
	return (int)a->wake.ret;
}

uint64_t lv_events(void)
{
	union lv_args *a = slot();
	a->events = (struct lockvm_hc_events){0};
	lv_hypercall(LOCKVM_HC_EVENTS, &a->events);
	return a->events.pending;
}

long lv_nop(void)
{
	union lv_args *a = slot();
	lv_hypercall(LOCKVM_HC_NOP, &a->nop);
	return a->nop.ret;
}

long lv_balloon(void *addr, size_t len)
{
	union lv_args *a = slot();
	a->balloon = (struct lockvm_hc_balloon){ .addr = (uintptr_t)addr, .len = len };
	lv_hypercall(LOCKVM_HC_BALLOON, &a->balloon);
	return a->balloon.ret < 0 ? a->balloon.ret : (long)a->balloon.released;
}

void *lv_heap_start(void)
{
	return __lockvm_heap;
}

void *lv_heap_end(void)
{
	const struct lockvm_boot_info *boot = lv_boot();
	uint64_t stacks = (uint64_t)boot->vcpu_count * (LOCKVM_STACK_SIZE + LOCKVM_STACK_GUARD);
	return (void *)(uintptr_t)(boot->ram_size - stacks);
}

void lv_park(void)
{
	static volatile uint32_t never;
	for (;;)
		lv_wait(&never, 0, 0);
}

int lv_net_info(uint8_t mac[6], uint32_t *mtu)
{
	union lv_args *a = slot();
	a->net_info = (struct lockvm_hc_net_info){0};
	lv_hypercall(LOCKVM_HC_NET_INFO, &a->net_info);
	if (a->net_info.ret == 0) {
		memcpy(mac, a->net_info.mac, 6);
		*mtu = a->net_info.mtu;
	}
	return (int)a->net_info.ret;
}

long lv_net_send(const struct lockvm_net_frame *frames, uint32_t count)
{
	union lv_args *a = slot();
	a->net_send = (struct lockvm_hc_net_send){.frames = (uintptr_t)frames, .count = count};
	lv_hypercall(LOCKVM_HC_NET_SEND, &a->net_send);
	return a->net_send.ret;
}

long lv_net_send1(const void *frame, uint32_t len)
{
	struct lockvm_net_frame *f = &lv_one_frame[lv_vcpu_index()];
	*f = (struct lockvm_net_frame){.data = (uintptr_t)frame, .len = len};
	return lv_net_send(f, 1);
}

long lv_net_recv(void *buf, uint64_t len)
{
	union lv_args *a = slot();
	a->net_recv = (struct lockvm_hc_net_recv){.data = (uintptr_t)buf, .len = len};
	lv_hypercall(LOCKVM_HC_NET_RECV, &a->net_recv);
	return a->net_recv.ret;
}

int lv_net_wait(uint64_t timeout_ns)
{
	union lv_args *a = slot();
	a->net_wait = (struct lockvm_hc_net_wait){.timeout_ns = timeout_ns};
	lv_hypercall(LOCKVM_HC_NET_WAIT, &a->net_wait);
	return (int)a->net_wait.ret;
}
