/* libFuzzer target: the CONTROL_EXEC payload (runner/common/control_exec.c), which the VMM decodes again as untrusted input before linux_spawn.c builds a process from it: arbitrary bytes into control_exec_decode, and what it accepts must encode back to the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control_wire.h"

static uint8_t again[CONTROL_EXEC_PAYLOAD_MAX];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct control_exec e;
	char err[256];
	if (control_exec_decode(data, size, &e, err, sizeof(err)) < 0) {
		if (!memchr(err, '\0', sizeof(err)) || !err[0])
			abort(); /* a refusal always says why, in one bounded line */
		return 0;
	}
	/* accepted: bounded counts, every string inside the input */
	if (e.argc == 0 || e.argc > CONTROL_EXEC_MAX_ARGS || e.envc > CONTROL_EXEC_MAX_ENV ||
	    e.ngroups > CONTROL_EXEC_MAX_GROUPS || e.cwd[0] != '/')
		abort();
	const char *lo = (const char *)data, *hi = lo + size;
	for (uint32_t i = 0; i < e.argc; i++)
		if (e.argv[i] < lo || e.argv[i] + strlen(e.argv[i]) >= hi)
			abort();
	for (uint32_t i = 0; i < e.envc; i++)
		if (e.env[i] < lo || e.env[i] + strlen(e.env[i]) >= hi || !strchr(e.env[i], '='))
			abort();
	long len = control_exec_encode(&e, again, sizeof(again), err, sizeof(err));
	if (len != (long)size || memcmp(again, data, size) != 0)
		abort();
	return 0;
}
