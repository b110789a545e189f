/* libFuzzer target: rtnetlink requests a --linux program sends (linux_netlink_answer): any bytes give a bounded answer of whole messages, never a crash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "linux_netlink.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct netlink_view view = {
	    .count = 2,
	    .ifs = {{.index = 1,
		     .name = "lo",
		     .loopback = true,
		     .mtu = 65536,
		     .ip4 = 0x0100007f,
		     .prefix = 8,
		     .ip6_count = 1,
		     .ip6 = {{[15] = 1}},
		     .ip6_prefix = {128}},
		    {.index = 2,
		     .name = "eth0",
		     .mac = {2, 0, 0, 0, 0, 1},
		     .mtu = 1500,
		     .ip4 = 0x02004d0a,
		     .prefix = 24,
		     .gw4 = 0x01004d0a,
		     .ip6_count = 2,
		     .ip6 = {{0xfe, 0x80, [8] = 2, [15] = 1}, {0xfd, 0x77, [15] = 2}},
		     .ip6_prefix = {64, 64},
		     .gw6_set = true,
		     .gw6 = {0xfe, 0x80, [8] = 2, [15] = 0xfe}}},
	};
	static uint8_t out[NETLINK_REPLY_MAX];
	long n = linux_netlink_answer(&view, data, size, 1234, out, sizeof(out));
	if (n < 0)
		return 0;
	if ((size_t)n > sizeof(out))
		abort();
	/* The answer is whole messages, each at least a header, ending at n. */
	for (size_t at = 0; at < (size_t)n;) {
		uint32_t len;
		memcpy(&len, out + at, 4);
		if (len < 16 || len > (size_t)n - at)
			abort();
		at += (len + 3U) & ~3U;
	}
	return 0;
}
