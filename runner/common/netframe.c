/* Ethernet rules shared by the supervisor and the VMM: MAC addresses, and the checks every guest frame passes. */
#include "netframe.h"

#include <stdio.h>
#include <string.h>

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int netframe_mac_parse(const char *text, uint8_t mac[NETFRAME_MAC_LEN], const char **why)
{
	const char *reason = NULL;
	if (!text || strlen(text) != NETFRAME_MAC_TEXT - 1) {
		reason = "want six hex pairs such as 02:00:00:00:00:01";
		goto bad;
	}
	for (int i = 0; i < NETFRAME_MAC_LEN; i++) {
		const char *p = text + (size_t)3 * (size_t)i;
		int hi = hex_digit(p[0]), lo = hex_digit(p[1]);
		if (hi < 0 || lo < 0 || (i < NETFRAME_MAC_LEN - 1 && p[2] != ':' && p[2] != '-')) {
			reason = "want six hex pairs such as 02:00:00:00:00:01";
			goto bad;
		}
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	if (mac[0] & 1) {
		reason = "a multicast or broadcast address cannot be a NIC's own";
		goto bad;
	}
	static const uint8_t zero[NETFRAME_MAC_LEN];
	if (memcmp(mac, zero, NETFRAME_MAC_LEN) == 0) {
		reason = "the all-zero address cannot be a NIC's own";
		goto bad;
	}
	return 0;
bad:
	if (why)
		*why = reason;
	return -1;
}

void netframe_mac_format(const uint8_t mac[NETFRAME_MAC_LEN], char out[NETFRAME_MAC_TEXT])
{
	snprintf(out, NETFRAME_MAC_TEXT, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
		 mac[3], mac[4], mac[5]);
}

void netframe_mac_generate(const uint8_t random[NETFRAME_MAC_LEN], uint8_t mac[NETFRAME_MAC_LEN])
{
	memcpy(mac, random, NETFRAME_MAC_LEN);
	mac[0] = (uint8_t)((mac[0] & 0xFC) | 0x02); /* unicast, locally administered */
}

enum netframe_verdict netframe_check_send(const uint8_t *frame, size_t len,
					  const uint8_t mac[NETFRAME_MAC_LEN])
{
	if (len < LOCKVM_NET_FRAME_MIN)
		return NETFRAME_TOO_SHORT;
	if (len > LOCKVM_NET_FRAME_MAX)
		return NETFRAME_TOO_LONG;
	if (memcmp(frame + NETFRAME_MAC_LEN, mac, NETFRAME_MAC_LEN) != 0)
		return NETFRAME_FORGED;
	return NETFRAME_OK;
}

bool netframe_wanted(const uint8_t *frame, size_t len, const uint8_t mac[NETFRAME_MAC_LEN])
{
	if (len < LOCKVM_NET_FRAME_MIN || len > LOCKVM_NET_FRAME_MAX)
		return false;
	/* The group bit covers broadcast too. */
	return (frame[0] & 1) || memcmp(frame, mac, NETFRAME_MAC_LEN) == 0;
}

bool netframe_ifname_valid(const char *name, const char **why)
{
	const char *reason = NULL;
	size_t len = strlen(name);
	if (len == 0)
		reason = "empty";
	else if (len > NETFRAME_IFNAME_MAX)
		reason = "longer than 15 characters";
	else if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		reason = "not an interface name";
	for (size_t i = 0; !reason && i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c <= ' ' || c == '/' || c == ':' || c >= 0x7f)
			reason = "has a character an interface name cannot have";
	}
	if (why)
		*why = reason;
	return !reason;
}
