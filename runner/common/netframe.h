/* Ethernet rules shared by the supervisor and the VMM: MAC addresses, and the checks every guest frame passes. */
#ifndef LOCKVM_NETFRAME_H
#define LOCKVM_NETFRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lockvm/abi.h>

#define NETFRAME_MAC_LEN  6
#define NETFRAME_MAC_TEXT 18 /* "xx:xx:xx:xx:xx:xx" and NUL */

/*
 * Parses "xx:xx:xx:xx:xx:xx" (hex, either case, ':' or '-' between pairs).
 * Refuses multicast/broadcast and all-zero addresses: a NIC's own address
 * is unicast. Returns 0, or -1 with the reason in *why.
 */
int netframe_mac_parse(const char *text, uint8_t mac[NETFRAME_MAC_LEN], const char **why);

/* Formats mac as lower-case "xx:xx:xx:xx:xx:xx". */
void netframe_mac_format(const uint8_t mac[NETFRAME_MAC_LEN], char out[NETFRAME_MAC_TEXT]);

/* A locally administered unicast MAC from 6 random bytes: 02:... style
 * (bit 1 of the first byte set, bit 0 clear), never all-zero. */
void netframe_mac_generate(const uint8_t random[NETFRAME_MAC_LEN], uint8_t mac[NETFRAME_MAC_LEN]);

enum netframe_verdict {
	NETFRAME_OK,
	NETFRAME_TOO_SHORT, /* shorter than the Ethernet header: guest error */
	NETFRAME_TOO_LONG,  /* longer than header + MTU: guest error */
	NETFRAME_FORGED,    /* source MAC is not the NIC's: dropped and counted */
};

/* What to do with a frame the guest sends from a NIC whose MAC is mac. */
enum netframe_verdict netframe_check_send(const uint8_t *frame, size_t len,
					  const uint8_t mac[NETFRAME_MAC_LEN]);

/* Whether a frame from the host is delivered to the guest: well-sized and
 * addressed to mac, to broadcast or to a multicast group (no promiscuous
 * reception of other VMs' unicast a bridge floods). */
bool netframe_wanted(const uint8_t *frame, size_t len, const uint8_t mac[NETFRAME_MAC_LEN]);

#define NETFRAME_IFNAME_MAX 15 /* IFNAMSIZ - 1 */

/* An interface name the kernel accepts: 1-15 characters, no '/', ':' or
 * whitespace, not "." or "..". On refusal, why says what is wrong. */
bool netframe_ifname_valid(const char *name, const char **why);

#endif
