/* libFuzzer target: the VM definition parser (runner/cli/vmdef.c) on arbitrary bytes, then the run argv it builds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmdef.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vmdef def;
	char err[1024];
	int argc;

	if (vmdef_parse((const char *)data, size, "fuzz.conf", &def, err, sizeof(err)) < 0) {
		/* every refusal is one line naming the file */
		if (strncmp(err, "fuzz.conf:", 10) != 0 || strchr(err, '\n'))
			abort();
		return 0;
	}
	/* whatever was accepted has an absolute guest and disks, within limits */
	if (!def.guest || def.guest[0] != '/' || def.disk_count > LOCKVM_MAX_DISKS ||
	    def.arg_count >= LOCKVM_MAX_ARGS || def.vcpus > LOCKVM_MAX_VCPUS ||
	    (def.mem && !def.mem[0]))
		abort();
	for (unsigned i = 0; i < def.disk_count; i++)
		if (!def.disks[i].path || def.disks[i].path[0] != '/')
			abort();
	char **argv = vmdef_run_argv(&def, "fuzz-vm", &argc);
	if (!argv || strcmp(argv[0], "run") != 0 || argv[argc] != NULL)
		abort();
	vmdef_argv_free(argv);
	vmdef_free(&def);
	return 0;
}
