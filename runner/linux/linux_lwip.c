/* lwIP's platform hooks in lockvm-vmm: the clock it runs its timers on, its random numbers (ports, initial sequence numbers), its assert counter, the stack's start (once per VM: at the first AF_INET/AF_INET6 socket, or with eth0) and its polling. */
#include <stdint.h>

#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/sys.h"
#include "lwip/timeouts.h"
#include "util.h"

#include "linux_inet.h"

unsigned long linux_lwip_asserts;
unsigned long linux_inet_events;
static uint64_t rand_state;
static bool started;
static uint64_t next_timer_ns; /* when the last poll left lwIP's next timer due; 0: none */

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
	/* Loopback frames never leave the VMM's memory: no checksums made or
	 * checked on them, as Linux's lo (CHECKSUM_UNNECESSARY). */
	struct netif *n;
	NETIF_FOREACH(n)
	{
		if (n->name[0] == 'l' && n->name[1] == 'o')
			NETIF_SET_CHECKSUM_CTRL(n, 0);
	}
}

uint64_t linux_lwip_deadline(void)
{
	if (!started)
		return 0;
	u32_t ms = sys_timeouts_sleeptime();
	return ms == SYS_TIMEOUTS_SLEEPTIME_INFINITE ? 0 : now_ns() + (uint64_t)ms * 1000000U + 1;
}

uint64_t linux_lwip_next(void)
{
	return next_timer_ns;
}

bool linux_lwip_poll(void)
{
	unsigned long events = linux_inet_events;
	if (!started)
		return false;
	/* Frames from the NIC, then what the loopback interface queued until
	 * it is quiet, then the due timers. */
	linux_netif_input();
	netif_poll_all();
	sys_check_timeouts();
	linux_netif_tcp_fit(); /* eth0's large segments within the windows */
	linux_netif_flush();   /* what lwIP sent meanwhile leaves now */
	next_timer_ns = linux_lwip_deadline();
	return events != linux_inet_events;
}
