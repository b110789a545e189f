/* The engine's resolv.conf, read for its first name server (lockvm run --dns): a small bounded line parser, fuzzed with the config (fuzz_oci_config). */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "oci_config.h"

/* Whether c separates words on a resolv.conf line. */
static int blank(char c)
{
	return c == ' ' || c == '\t';
}

int oci_resolv_nameserver(const char *text, size_t len, char *out, size_t outlen)
{
	static const char keyword[] = "nameserver";
	const size_t klen = sizeof(keyword) - 1;
	if (len > OCI_RESOLV_MAX)
		len = OCI_RESOLV_MAX;
	for (size_t at = 0; at < len;) {
		const char *line = text + at;
		const char *nl = memchr(line, '\n', len - at);
		size_t n = nl ? (size_t)(nl - line) : len - at;
		at += n + 1;
		if (n <= klen || memcmp(line, keyword, klen) != 0 || !blank(line[klen]))
			continue;
		size_t i = klen;
		while (i < n && blank(line[i]))
			i++;
		size_t start = i;
		while (i < n && !blank(line[i]) && line[i] != '\r' && line[i] != '#' &&
		       line[i] != ';')
			i++;
		char addr[INET_ADDRSTRLEN];
		struct in_addr in;
		if (i - start >= sizeof(addr))
			continue;
		memcpy(addr, line + start, i - start);
		addr[i - start] = '\0';
		/* a unicast server the VM can reach: what lockvm run's --dns takes */
		if (inet_pton(AF_INET, addr, &in) != 1 || in.s_addr == 0 ||
		    (ntohl(in.s_addr) >> 24) == 127 || (ntohl(in.s_addr) >> 28) >= 14)
			continue;
		if (outlen < sizeof(addr) || !inet_ntop(AF_INET, &in, out, (socklen_t)outlen))
			return -1;
		return 0;
	}
	return -1;
}
