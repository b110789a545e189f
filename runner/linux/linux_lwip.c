/* lwIP's platform hooks in lockvm-vmm: the clock it runs its timers on, its random numbers (ports, initial sequence numbers), its assert counter, and the stack's start (once per VM, at the first AF_INET/AF_INET6 socket). */
#include <stdint.h>

#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/sys.h"
#include "lwip/timeouts.h"
#include "util.h"

#include "linux_inet.h"

unsigned long linux_lwip_asserts;
static uint64_t rand_state;
static bool started;

u32_t sys_now(void)
{
	return (u32_t)(now_ns() / 1000000U); /* ms; lwIP compares it modulo 2^32 */
}

uint32_t linux_lwip_rand(void)
{
	/* xorshift64*, seeded from the clock: unpredictable enough for a
	 * VM-private stack whose only peer is the program itself. */
	if (!rand_state)
		rand_state = now_ns() | 1;
	rand_state ^= rand_state >> 12;
	rand_state ^= rand_state << 25;
	rand_state ^= rand_state >> 27;
	return (uint32_t)((rand_state * 0x2545F4914F6CDD1DULL) >> 32);
}

void linux_lwip_start(void)
{
	if (started)
		return;
	started = true;
	lwip_init(); /* brings the loopback interface up: 127.0.0.1 and ::1 */
}

void linux_lwip_poll(void)
{
	/* Deliver what the loopback interface queued until it is quiet, then the due timers. */
	netif_poll_all();
	sys_check_timeouts();
}
