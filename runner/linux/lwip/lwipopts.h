/* lwIP's options for lockvm-vmm (mk/lwip.mk): no OS (served by the vCPU thread), raw callback API only, TCP and UDP over IPv4 and IPv6 on the loopback interface and on eth0 (the VM's NIC: Ethernet, ARP, DHCP, IPv6 link-local and SLAAC), a bounded heap and bounded pools per VM. */
#ifndef LOCKVM_LWIPOPTS_H
#define LOCKVM_LWIPOPTS_H

#define NO_SYS		    1
#define SYS_LIGHTWEIGHT_PROT 0
#define LWIP_SOCKET	    0
#define LWIP_NETCONN	    0
#define LWIP_RAW	    0
#define LWIP_TCP	    1
#define LWIP_UDP	    1
#define LWIP_IPV4	    1
#define LWIP_IPV6	    1
#define LWIP_HAVE_LOOPIF    1
#define LWIP_NETIF_LOOPBACK 1
#define LWIP_LOOPBACK_MAX_PBUFS 4096
#define LWIP_ARP	    1
#define LWIP_ETHERNET	    1
#define LWIP_DHCP	    1
#define DHCP_DOES_ARP_CHECK 0 /* bound at the ACK: the program's start waits for it */
#define LWIP_AUTOIP	    0
#define LWIP_IGMP	    0
/* The resolver itself is never called (the program's libc resolves); lwIP
 * keeps the name servers DHCP offers there (dns_getserver). */
#define LWIP_DNS	    1
#define ARP_TABLE_SIZE	    64 /* bounded: a bridge's worth of neighbours */
#define ARP_QUEUEING	    1
#define ARP_QUEUE_LEN	    16
#define LWIP_ICMP	    1
#define LWIP_IPV6_MLD	    0
#define LWIP_IPV6_AUTOCONFIG 1
/* linux_netif.c's skip_dad: --net user's addresses are usable at once */
#define LWIP_NETIF_STATUS_CALLBACK 1
#define LWIP_IPV6_DHCP6	    0
#define LWIP_IPV6_REASS	    0
#define LWIP_IPV6_FRAG	    0
#define IP_REASSEMBLY	    0
#define IP_FRAG		    0
#define LWIP_STATS	    0
#define LWIP_TCP_KEEPALIVE  1
#define TCP_LISTEN_BACKLOG  1
#define SO_REUSE	    1

/* A bounded heap per VM (one VMM process is one VM): 16 MiB of segments and
 * datagrams in flight at most, whatever the program sends. */
#define MEM_LIBC_MALLOC	 0
#define MEMP_MEM_MALLOC	 0
#define MEM_ALIGNMENT	 8
#define MEM_SIZE	 (16 * 1024 * 1024)
#define MEMP_NUM_PBUF	 64
#define PBUF_POOL_SIZE	 64
#define MEMP_NUM_TCP_PCB 1024 /* as many as the VM's socket limit (LINUX_SOCKS_MAX) */
#define MEMP_NUM_TCP_PCB_LISTEN 1024
#define MEMP_NUM_UDP_PCB 1024
#define MEMP_NUM_TCP_SEG 16384
#define MEMP_NUM_SYS_TIMEOUT 32

/* Loopback has no MTU: large segments; lwIP's 16-bit window (no scaling)
 * and its send-low-water check bound them to 4 per send buffer. On eth0 a
 * segment is cut to its MTU (LWIP_CALCULATE_EFF_SEND_MSS). */
#define TCP_MSS		  10000
#define TCP_WND		  (6 * TCP_MSS)
#define TCP_SND_BUF	  (256 * 1024)
#define TCP_SND_QUEUELEN  512
#define TCP_SNDLOWAT	  (2 * TCP_MSS + 1)
#define LWIP_WND_SCALE	  1
#define TCP_RCV_SCALE	  0
#define TCP_OVERSIZE	  TCP_MSS
#define LWIP_TCP_TIMESTAMPS 0
/* lwIP's unrolled checksum (8 bytes a step) over its 16-bit default: the
 * software checksums of each segment showed first in a bulk send's profile. */
#define LWIP_CHKSUM_ALGORITHM 3
/* On a tap with vnet headers the host kernel finishes eth0's TCP
 * checksums (linux_netif.c turns lwIP's off for it); loopback keeps them. */
#define LWIP_CHECKSUM_CTRL_PER_NETIF 1
/* One slot per TCP pcb: the wire MSS of a connection on such a tap, whose
 * segments lwIP makes up to 64 KiB for the kernel to cut (linux_netif.c). */
#define LWIP_TCP_PCB_NUM_EXT_ARGS 1
/* Room for the tap's virtio_net_hdr (NIC_VNET_HDR) before every frame
 * lwIP builds: eth0 writes a one-pbuf frame to the tap where it is. */
#define PBUF_LINK_ENCAPSULATION_HLEN 10

#endif
