/* libFuzzer target: the migration address parser (runner/host/migrate_addr.c) on arbitrary strings. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "migrate_addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *addr = malloc(size + 1);
	if (!addr)
		abort();
	memcpy(addr, data, size);
	addr[size] = '\0';
	struct migrate_addr p;
	char err[256];
	err[0] = '\0';
	if (migrate_addr_parse(addr, &p, err, sizeof(err)) < 0) {
		/* a refusal says which forms are taken */
		if (strncmp(err, "want unix:PATH", 14) != 0)
			abort();
	} else if (p.is_unix) {
		/* the path is the rest of the address, NUL-terminated in sun_path */
		if (strncmp(addr, "unix:", 5) != 0 || p.un.sun_family != AF_UNIX ||
		    memchr(p.un.sun_path, '\0', sizeof(p.un.sun_path)) == NULL ||
		    strcmp(p.un.sun_path, addr + 5) != 0 || p.un.sun_path[0] == '\0')
			abort();
	} else {
		/* tcp:HOST:PORT: a port of digits, a host that fits */
		size_t pl = strlen(p.port);
		if (strncmp(addr, "tcp:", 4) != 0 || pl == 0 ||
		    strspn(p.port, "0123456789") != pl ||
		    memchr(p.host, '\0', sizeof(p.host)) == NULL ||
		    strlen(p.host) > strlen(addr) - 4)
			abort();
	}
	free(addr);
	return 0;
}
