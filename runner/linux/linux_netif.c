/* The VM's eth0 in --linux mode: lwIP's Ethernet interface on the VM's NIC (vmm/devices/nic.c), so frames leave and enter through the same checks, counters and tap as an SDK guest's; its address from --ip/--gateway/--dns or lwIP's DHCP client; the hooks that keep the stack served while the program runs or blocks. */
#include <stdio.h>
#include <string.h>

#include "lwip/dhcp.h"
#include "lwip/dns.h"
#include "lwip/etharp.h"
#include "lwip/ethip6.h"
#include "lwip/nd6.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/ip.h"
#include "lwip/priv/nd6_priv.h"
#include "lwip/priv/tcp_priv.h"
#include "netif/ethernet.h"
#include "nic.h"
#include "util.h"

#include "linux_inet.h"
#include "linux_netlink.h"

/* How long the program's start waits for a DHCP lease, as a Cirros image
 * waits on eth0 before it goes on without one. */
#define LEASE_WAIT_NS (10ULL * 1000000000ULL)
/* How long the program's end waits for what its TCP connections still
 * have to send (Linux sends it after the process is gone). */
#define DRAIN_WAIT_NS (5ULL * 1000000000ULL)
/* Frames fed to the stack per poll: bounded work between the program's calls. */
#define INPUT_BATCH 64

static struct netif eth0;
static bool eth0_added;
static struct vm *eth0_vm;	   /* whose NIC eth0 sends on; NULL: frames are dropped (fuzzing) */
static uint64_t watched_call;	   /* proc->syscalls of the call that polled an inet socket */
unsigned long linux_netif_dropped; /* frames the stack had no buffer for */
/* The ext-arg slot of a TCP pcb that holds its wire MSS once lwIP sends it
 * larger segments; allocated with eth0 on a tap with vnet headers. */
static uint8_t wire_mss_slot;
static bool large_segments;

static err_t eth0_linkoutput(struct netif *netif, struct pbuf *p)
{
	/* Room for the vnet header before the frame; a frame of up to 64 KiB:
	 * a TCP segment larger than the MTU (linux_netif_tcp_large). */
	static uint8_t out[NIC_VNET_HDR + NIC_TSO_FRAME_MAX];
	uint8_t *frame = out + NIC_VNET_HDR;
	if (!eth0_vm)
		return ERR_OK;
	/* nic_send_frame checks the source MAC and counts, as for NET_SEND;
	 * on a tap with vnet headers TCP segments are joined or cut by the
	 * kernel (linux_netif_tso.c), and nic_send_tso checks each super-frame. */
	if (nic_can_tso(eth0_vm)) {
		/* A frame in one pbuf (a TCP segment's, as tcp_write makes it)
		 * goes from lwIP's memory, the vnet header in the room
		 * PBUF_LINK_ENCAPSULATION_HLEN keeps before it: no copy here. */
		uint16_t len = p->tot_len;
		if (!p->next && pbuf_add_header(p, NIC_VNET_HDR) == 0) {
			int rc = linux_tso_send_large(eth0_vm, p->payload, len);
			(void)pbuf_remove_header(p, NIC_VNET_HDR);
			return rc == 0 ? ERR_OK : ERR_IF;
		}
		pbuf_copy_partial(p, frame, len, 0);
		return linux_tso_send_large(eth0_vm, out, len) == 0 ? ERR_OK : ERR_IF;
	}
	pbuf_copy_partial(p, frame, p->tot_len, 0);
	if (p->tot_len > LOCKVM_NET_FRAME_MAX)
		return ERR_BUF; /* lwIP keeps to the MTU here: never more than one frame */
	return nic_send_frame(eth0_vm, frame, p->tot_len) == 0 ? ERR_OK : ERR_IF;
}

static err_t eth0_init(struct netif *netif)
{
	netif->name[0] = 'e';
	netif->name[1] = 't';
	netif->mtu = LOCKVM_NET_MTU;
	netif->hwaddr_len = ETH_HWADDR_LEN;
	netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
	netif->output = etharp_output;
	netif->output_ip6 = ethip6_output;
	netif->linkoutput = eth0_linkoutput;
	return ERR_OK;
}

/* --net user: passt is the only other node on eth0's link, so no address
 * there can be a duplicate, and each is usable at once, without duplicate
 * address detection (Linux's accept_dad=0). The first router solicitation
 * then leaves from fe80:: — Debian 12's passt answers one sent from ::
 * to ::, which nobody receives — and the RA's SLAAC address is there
 * before the program starts (linux_net_tick). lwIP calls this whenever an
 * address of eth0 changes state. */
static void skip_dad(struct netif *netif)
{
	for (s8_t k = 0; k < LWIP_IPV6_NUM_ADDRESSES; k++)
		if (ip6_addr_istentative(netif_ip6_addr_state(netif, k)))
			netif_ip6_addr_set_state(netif, k, IP6_ADDR_PREFERRED);
}

void linux_netif_add(const struct linux_netcfg *cfg, const uint8_t mac[6], struct vm *vm)
{
	ip4_addr_t ip, mask, gw;
	linux_lwip_start();
	ip4_addr_set_u32(&ip, cfg->dhcp ? 0 : cfg->ip);
	ip4_addr_set_u32(&mask,
			 cfg->dhcp || !cfg->prefix ? 0 : lwip_htonl(~0U << (32 - cfg->prefix)));
	ip4_addr_set_u32(&gw, cfg->dhcp ? 0 : cfg->gateway);
	eth0_vm = vm;
	if (!netif_add(&eth0, &ip, &mask, &gw, NULL, eth0_init, ethernet_input))
		return;
	memcpy(eth0.hwaddr, mac, ETH_HWADDR_LEN);
	eth0_added = true;
	/* A tap with vnet headers finishes TCP checksums (linux_netif_tso.c
	 * sends every TCP frame so): lwIP computes none for eth0. */
	if (vm && nic_can_tso(vm)) {
		NETIF_SET_CHECKSUM_CTRL(&eth0, NETIF_CHECKSUM_ENABLE_ALL & ~NETIF_CHECKSUM_GEN_TCP);
		wire_mss_slot = tcp_ext_arg_alloc_id();
		large_segments = true;
	}
	/* IPv6: fe80:: from the MAC, and addresses from the router's
	 * advertisements (SLAAC), as a Linux interface does by default. */
	if (cfg->user_link)
		netif_set_status_callback(&eth0, skip_dad);
	netif_create_ip6_linklocal_address(&eth0, 1);
	eth0.ip6_autoconfig_enabled =
	    1;			  /* netif_set_ip6_autoconfig_enabled without its NULL check */
	netif_set_default(&eth0); /* the gateway's route; 127/8 stays on loopback */
	netif_set_link_up(&eth0);
	netif_set_up(&eth0);
	/* The router solicitation now, not at the ND timer's next tick a
	 * second on: passt answers it before the DHCP offer, in order, so
	 * the lease wait covers IPv6 too. On a bridge the link-local address
	 * is still tentative here, and the tick sends it once DAD is done. */
	if (cfg->user_link)
		nd6_tmr();
	if (cfg->dhcp)
		(void)dhcp_start(&eth0);
}

const struct netif *linux_netif_eth0(void)
{
	return eth0_added ? &eth0 : NULL;
}

void linux_netif_tcp_large(struct tcp_pcb *pcb)
{
	if (!large_segments || pcb->mss >= TCP_LARGE_PAYLOAD / 2 || pcb->mss == 0 ||
	    ip_route(&pcb->local_ip, &pcb->remote_ip) != &eth0)
		return;		  /* loopback, another interface, or done already */
	uint16_t wire = pcb->mss; /* the peer's MSS option within eth0's MTU */
	tcp_ext_arg_set(pcb, wire_mss_slot, (void *)(uintptr_t)wire);
	pcb->mss = (uint16_t)(TCP_LARGE_PAYLOAD / wire * wire);
	/* lwIP sends nothing while a segment is larger than its congestion
	 * window and nothing is in flight: one segment's worth from the start. */
	if (pcb->cwnd < pcb->mss)
		pcb->cwnd = pcb->mss;
}

/* lwIP sends no segment larger than what the windows leave, and splits one
 * only when its persist timer fires (1.5 s on): a larger segment made
 * while the peer's window was wide is cut to what fits now (whole wire
 * segments where it can), as Linux cuts a TSO buffer, and sent. */
static void fit_window(struct tcp_pcb *pcb, uint16_t wire)
{
	const struct tcp_seg *seg = pcb->unsent;
	if (!seg)
		return;
	uint32_t at = lwip_ntohl(seg->tcphdr->seqno) - pcb->lastack;
	uint32_t wnd = LWIP_MIN(pcb->snd_wnd, pcb->cwnd);
	if (at + seg->len <= wnd || at >= wnd)
		return; /* it fits, or nothing does until an ACK comes */
	uint32_t room = wnd - at;
	if (room >= wire)
		room -= room % wire;
	else if (pcb->unacked)
		return; /* less than a wire segment: the next ACK opens more */
	/* A segment sent before (back in unsent after a timeout) still has
	 * the headers of its last output in front: the split counts from
	 * the TCP header, as tcp_output_segment sets it. */
	size_t headers = (size_t)((const uint8_t *)seg->tcphdr - (const uint8_t *)seg->p->payload);
	if (headers)
		(void)pbuf_remove_header(seg->p, headers);
	if (tcp_split_unsent_seg(pcb, (u16_t)room) != ERR_OK)
		return;
	/* lwIP 2.1.3 moves FIN and PSH to the remainder but sets the head's
	 * flags with TCPH_SET_FLAG, which only adds: its FIN would end the
	 * stream before the remainder (seen: 7 KiB lost behind a slow reader). */
	TCPH_UNSET_FLAG(pcb->unsent->tcphdr, TCP_FIN | TCP_PSH);
	(void)tcp_output(pcb);
}

void linux_netif_tcp_fit(void)
{
	if (!large_segments)
		return;
	for (struct tcp_pcb *p = tcp_active_pcbs; p; p = p->next) {
		uint16_t wire = (uint16_t)(uintptr_t)tcp_ext_arg_get(p, wire_mss_slot);
		if (wire)
			fit_window(p, wire);
	}
}

uint16_t linux_netif_wire_mss(bool ipv6, const uint8_t *src, const uint8_t *dst, uint16_t sport,
			      uint16_t dport)
{
	if (!large_segments)
		return 0;
	for (struct tcp_pcb *p = tcp_active_pcbs; p; p = p->next) {
		if (p->local_port != sport || p->remote_port != dport ||
		    IP_IS_V6_VAL(p->remote_ip) != ipv6)
			continue;
		if (ipv6 ? memcmp(ip_2_ip6(&p->local_ip)->addr, src, 16) == 0 &&
			       memcmp(ip_2_ip6(&p->remote_ip)->addr, dst, 16) == 0
			 : memcmp(&ip_2_ip4(&p->local_ip)->addr, src, 4) == 0 &&
			       memcmp(&ip_2_ip4(&p->remote_ip)->addr, dst, 4) == 0)
			return (uint16_t)(uintptr_t)tcp_ext_arg_get(p, wire_mss_slot);
	}
	return 0;
}

void linux_netif_feed(const uint8_t *frame, size_t len)
{
	if (!eth0_added || len > 0xffff)
		return;
	struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_POOL);
	if (!p) {
		linux_netif_dropped++;
		return;
	}
	(void)pbuf_take(p, frame, (u16_t)len);
	if (eth0.input(p, &eth0) != ERR_OK)
		pbuf_free(p);
}

void linux_netif_flush(void)
{
	if (eth0_vm && nic_can_tso(eth0_vm))
		linux_tso_flush(eth0_vm);
}

void linux_netif_input(void)
{
	uint8_t frame[LOCKVM_NET_FRAME_MAX];
	for (unsigned i = 0; eth0_vm && i < INPUT_BATCH; i++) {
		long len = nic_take_frame(eth0_vm, frame, sizeof(frame));
		if (len <= 0)
			break; /* empty (a frame never exceeds the MTU: nic_input refused it) */
		linux_netif_feed(frame, (size_t)len);
	}
}

/* ---- the hooks the scheduler and the syscall path call ---- */

/* Serves the stack (frames in, timers) until done() or `until` (ns), the
 * program's other calls held off. */
static void serve_until(struct linux_proc *proc, uint64_t until, bool (*done)(void))
{
	while (!done() && !vm_is_ending(proc->vm) && now_ns() < until) {
		uint64_t wake = linux_lwip_deadline();
		pthread_mutex_lock(&proc->vm->lock);
		if (!nic_frames_queued(proc->vm))
			(void)vm_wait_locked(proc->vm, wake && wake < until ? wake : until,
					     &proc->signal_generation);
		pthread_mutex_unlock(&proc->vm->lock);
		(void)linux_lwip_poll();
	}
}

static bool leased(void)
{
	return dhcp_supplied_address(&eth0);
}

/* Whether every established TCP connection to another machine has sent
 * all it was given and had it acknowledged (loopback peers end with the
 * program; a connection not yet made has nothing to deliver). */
static bool tcp_drained(void)
{
	for (const struct tcp_pcb *p = tcp_active_pcbs; p; p = p->next)
		if ((p->unsent || p->unacked) && p->state != SYN_SENT && p->state != SYN_RCVD &&
		    !ip_addr_isloopback(&p->remote_ip) && !ip_addr_cmp(&p->remote_ip, &p->local_ip))
			return false;
	return true;
}

void linux_net_drain(struct linux_proc *proc)
{
	if (!eth0_added)
		return;
	(void)linux_lwip_poll();
	serve_until(proc, now_ns() + DRAIN_WAIT_NS, tcp_drained);
}

/* Waits for eth0's lease, serving the stack meanwhile; at most LEASE_WAIT_NS. */
static void wait_for_lease(struct linux_proc *proc)
{
	serve_until(proc, now_ns() + LEASE_WAIT_NS, leased);
	if (!dhcp_supplied_address(&eth0))
		fprintf(stderr,
			"lockvm-vmm: eth0: no DHCP lease within %llu s; the program "
			"starts without an address\n",
			LEASE_WAIT_NS / 1000000000ULL);
}

void linux_net_tick(struct linux_proc *proc)
{
	struct vm *vm = proc->vm;
	if (!vm->nic || (!proc->cfg.net.dhcp && !proc->cfg.net.ip))
		return; /* no NIC, or one the stack leaves alone (--net netns= without --ip) */
	if (!eth0_added) {
		uint8_t mac[6];
		nic_mac(vm, mac);
		linux_netif_add(&proc->cfg.net, mac, vm);
		if (proc->cfg.net.dhcp)
			wait_for_lease(proc);
		if (proc->cfg.net.dns)
			dns_setserver(
			    0, &(ip_addr_t)IPADDR4_INIT(proc->cfg.net.dns)); /* over DHCP's */
		linux_resolv_write(proc);
		return;
	}
	uint64_t next = linux_lwip_next();
	if (nic_frames_queued(vm) || (next && now_ns() >= next))
		(void)linux_lwip_poll();
}

uint64_t linux_net_wake(uint64_t wake)
{
	linux_netif_flush(); /* before a wait: nothing held back */
	uint64_t timer = linux_lwip_deadline();
	return timer && (!wake || timer < wake) ? timer : wake;
}

bool linux_net_run(struct linux_proc *proc)
{
	(void)linux_lwip_poll();
	return linux_net_changed(proc);
}

bool linux_net_changed(struct linux_proc *proc)
{
	if (proc->net_seen == linux_inet_events)
		return false;
	proc->net_seen = linux_inet_events;
	return true;
}

void linux_net_flush(struct linux_proc *proc)
{
	(void)proc;
	linux_netif_flush();
}

bool linux_net_pending(struct linux_proc *proc)
{
	return nic_frames_queued(proc->vm);
}

void linux_net_watch(struct linux_proc *proc)
{
	watched_call = proc->syscalls;
}

bool linux_net_watched(const struct linux_proc *proc)
{
	return watched_call == proc->syscalls;
}

void linux_net_frames_in(struct vm *vm)
{
	struct linux_proc *proc = vm->linux_proc;
	if (!proc)
		return;
	pthread_mutex_lock(&vm->lock);
	proc->signal_generation++; /* a blocked call serves the stack, and looks again */
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
}

void linux_netif_view(struct netlink_view *v)
{
	memset(v, 0, sizeof(*v));
	v->ifs[0] = (struct netlink_iface){.index = 1,
					   .name = "lo",
					   .loopback = true,
					   .mtu = 65536,
					   .ip4 = PP_HTONL(0x7f000001),
					   .prefix = 8,
					   .ip6_count = 1,
					   .ip6 = {{[15] = 1}},
					   .ip6_prefix = {128}};
	v->count = 1;
	if (!eth0_added)
		return;
	struct netlink_iface *e = &v->ifs[v->count++];
	*e = (struct netlink_iface){
	    .index = 2,
	    .name = "eth0",
	    .mtu = eth0.mtu,
	    .ip4 = ip4_addr_get_u32(netif_ip4_addr(&eth0)),
	    .prefix = (unsigned)__builtin_popcount(ip4_addr_get_u32(netif_ip4_netmask(&eth0))),
	    .gw4 = ip4_addr_get_u32(netif_ip4_gw(&eth0))};
	memcpy(e->mac, eth0.hwaddr, sizeof(e->mac));
	for (int k = 0; k < LWIP_IPV6_NUM_ADDRESSES && e->ip6_count < NETLINK_IP6_MAX; k++) {
		if (!ip6_addr_isvalid(netif_ip6_addr_state(&eth0, k)))
			continue; /* free, or still tentative (duplicate address detection) */
		memcpy(e->ip6[e->ip6_count], netif_ip6_addr(&eth0, k)->addr, 16);
		e->ip6_prefix[e->ip6_count++] = 64; /* link-local and SLAAC are /64 */
	}
	/* The default router a router's advertisement gave (lwIP's list). */
	for (int k = 0; k < LWIP_ND6_NUM_ROUTERS && !e->gw6_set; k++) {
		const struct nd6_router_list_entry *r = &default_router_list[k];
		if (r->neighbor_entry && r->invalidation_timer > 0 &&
		    r->neighbor_entry->netif == &eth0) {
			memcpy(e->gw6, r->neighbor_entry->next_hop_address.addr, 16);
			e->gw6_set = true;
		}
	}
	v->dhcp = netif_dhcp_data(&eth0) != NULL;
	if (!e->ip4)
		e->prefix = 0;
}
