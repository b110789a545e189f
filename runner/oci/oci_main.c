/* lockvm-oci's main: runc's global options, then one command. */
#include <stdio.h>
#include <string.h>

#include "oci.h"

static const struct {
	const char *name;
	int (*fn)(int, char **);
} commands[] = {
    {"create", oci_cmd_create}, {"start", oci_cmd_start}, {"run", oci_cmd_run},
    {"state", oci_cmd_state},	{"kill", oci_cmd_kill},	  {"delete", oci_cmd_delete},
    {"list", oci_cmd_list},	{"ps", oci_cmd_ps},	  {"features", oci_cmd_features},
    {"spec", oci_cmd_spec},	{"exec", oci_cmd_exec},
};

static int usage(void)
{
	printf("usage: lockvm-oci [--root DIR] [--log FILE] [--log-format text|json] [--debug] "
	       "[--systemd-cgroup] COMMAND [OPTIONS] ID\n"
	       "commands: create, start, run, state, kill, delete, list, ps, features, spec, "
	       "exec\n"
	       "A runc-compatible OCI runtime: each container is a lockvm VM (lockvm run "
	       "--linux).\n");
	return 0;
}

int main(int argc, char **argv)
{
	util_progname = "lockvm-oci";
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *v;
		if (oci_opt_value(argc, argv, &i, "root", &v))
			oci_g.root = v;
		else if (oci_opt_value(argc, argv, &i, "log", &v))
			oci_g.log_path = v;
		else if (oci_opt_value(argc, argv, &i, "log-format", &v)) {
			if (strcmp(v, "json") != 0 && strcmp(v, "text") != 0)
				oci_fail("--log-format %s: want text or json", v);
			oci_g.log_json = strcmp(v, "json") == 0;
		} else if (strcmp(argv[i], "--debug") == 0)
			oci_g.debug = true;
		else if (strcmp(argv[i], "--systemd-cgroup") == 0)
			oci_g.systemd_cgroup = true;
		else if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-v") == 0) {
			printf("lockvm-oci version 0.1\nspec: 1.1.0\n");
			return 0;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return usage();
		else
			oci_fail("unknown global option %s", argv[i]);
	}
	if (i >= argc)
		return usage();
	if (oci_g.root[0] != '/')
		oci_fail("--root %s: want an absolute path", oci_g.root);
	for (size_t c = 0; c < ARRAY_SIZE(commands); c++)
		if (strcmp(argv[i], commands[c].name) == 0)
			return commands[c].fn(argc - i, argv + i);
	oci_fail("no such command: %s", argv[i]);
}
