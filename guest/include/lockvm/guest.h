/* The guest SDK: what a lockvm guest program calls. Freestanding; no host libc. */
#ifndef LOCKVM_GUEST_H
#define LOCKVM_GUEST_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <lockvm/abi.h>

/* Guest entry points. main() runs on vCPU 0; vcpu_main() on every other
 * vCPU (the default parks the vCPU). Returning from main() exits the VM
 * with its value. */
int main(int argc, char **argv);
void vcpu_main(unsigned index);

/* This vCPU's boot info (read-only), its index, and the vCPU count. */
const struct lockvm_boot_info *lv_boot(void);
unsigned lv_vcpu_index(void);
unsigned lv_vcpu_count(void);

/* Hypercalls. Negative returns are -LOCKVM_E* values. */
void lv_exit(int status) __attribute__((noreturn));
long lv_write(const void *buf, size_t len);
uint64_t lv_time_ns(unsigned clock);
long lv_random(void *buf, size_t len);
int lv_blk_info(unsigned disk, uint64_t *sectors, int *read_only);
int lv_blk_read(unsigned disk, uint64_t sector, uint32_t count, void *buf);
int lv_blk_write(unsigned disk, uint64_t sector, uint32_t count, const void *buf);
void lv_sleep_ns(uint64_t ns);
void lv_yield(void);
int lv_wait(volatile uint32_t *addr, uint32_t expected, uint64_t timeout_ns);
int lv_wake(volatile uint32_t *addr);
long lv_nop(void);
/* Balloon: hands the whole host pages inside [addr, addr+len) back to the
 * host (addr and len 4 KiB multiples, above the runner's pages); they read
 * as zero when next touched. Returns the bytes released or -LOCKVM_E*. */
long lv_balloon(void *addr, size_t len);
/* Free RAM: from the end of the image (page-aligned) to below the vCPU
 * stacks. Nothing in the SDK allocates from it. */
void *lv_heap_start(void);
void *lv_heap_end(void);
extern char __lockvm_heap[]; /* set by lockvm.ld */
/* The LOCKVM_EVENT_* bits the host posted since the last call (and clears
 * them); LOCKVM_EVENT_SHUTDOWN asks the guest to exit soon (`lockvm stop`). */
uint64_t lv_events(void);
/* The NIC (lockvm run --net). Each returns -LOCKVM_ENODEV without one.
 * lv_net_info fills mac[6] and *mtu. lv_net_send hands on `count` frames
 * (1..LOCKVM_NET_BATCH_MAX) and returns how many; lv_net_send1 sends one.
 * lv_net_recv copies one queued frame into buf and returns its length, or
 * -LOCKVM_EAGAIN when none is queued. lv_net_wait waits for a frame: 0, or
 * -LOCKVM_ETIMEDOUT, or -LOCKVM_EINTR when an event is pending (lv_events). */
int lv_net_info(uint8_t mac[6], uint32_t *mtu);
long lv_net_send(const struct lockvm_net_frame *frames, uint32_t count);
long lv_net_send1(const void *frame, uint32_t len);
long lv_net_recv(void *buf, uint64_t len);
int lv_net_wait(uint64_t timeout_ns);
/* Parks this vCPU until the VM ends. */
void lv_park(void) __attribute__((noreturn));

/* Issues hypercall `nr` with the argument struct at `args`, which must lie
 * below 4 GiB (its GPA travels in 32 bits): one write to the doorbell page,
 * which exits to the VMM as MMIO (see abi.h). */
static inline void lv_hypercall(unsigned nr, void *args)
{
	volatile uint32_t *doorbell = (volatile uint32_t *)(uintptr_t)LOCKVM_DOORBELL_GPA;
	__asm__ volatile("movl %0, (%1)"
			 :
			 : "r"((uint32_t)(uintptr_t)args), "r"(doorbell + nr)
			 : "memory");
}

/* Formatting and output: %d %i %u %x %X %s %c %p %%, with l/ll/z, width and 0. */
int lv_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int lv_snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int lv_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int lv_puts(const char *s);

/* Strings and memory. */
size_t lv_strlen(const char *s);
int lv_strcmp(const char *a, const char *b);
unsigned long long lv_strtoull(const char *s, const char **end, int base);
void *memcpy(void *dest, const void *src, size_t n);
void *memmove(void *dest, const void *src, size_t n);
void *memset(void *dest, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

#endif
