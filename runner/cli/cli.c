/* Subcommand dispatch for `lockvm`. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

#include "audit_seccomp.h"
#include "cli_vm.h"
#include "control.h"
#include "paths.h"
#include <limits.h>
#include "audit_selinux.h"
#include "audit_vm.h"
#include "net.h"
#include "recovery.h"
#include "cli_vmdef.h"
#include "run.h"
#include "cli_exit.h"
#include "cli_policy.h"
#include <lockvm/abi.h>

#include "util.h"

#define LOCKVM_VERSION "0.1.0"

static int version_main(int argc, char **argv)
{
	printf("lockvm %s (guest ABI %d)\n", LOCKVM_VERSION, LOCKVM_ABI_VERSION);
	return 0;
}

static int help_main(int argc, char **argv);

/* `lockvm policy compile FILE [--mode kill|log|trap]` */
static int policy_main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "compile") != 0)
		die("usage: lockvm policy compile FILE [--mode kill|log|trap]");
	return seccomp_policy_print_main(argc - 1, argv + 1);
}

/* `lockvm audit selinux|seccomp ...` */
static int audit_main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "selinux") == 0)
		return audit_selinux_main(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "seccomp") == 0)
		return audit_seccomp_main(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "vm") == 0)
		return audit_vm_main(argc - 1, argv + 1);
	die("usage: lockvm audit selinux [--policy FILE] [--json] | seccomp [--json] [--diff A B] "
	    "[FILE...] | vm NAME [--json]");
}

/* net/ sits below recovery (which releases dead VMs' NICs): the reaper
 * is handed down rather than called up. */
static int net_cmd(int argc, char **argv)
{
	return net_main(argc, argv, registry_reap);
}

static const struct command {
	const char *name;
	int (*main)(int argc, char **argv);
	const char *summary;
} commands[] = {
    {"run", run_main, "run a guest in a new confined VM"},
    {"save", cmd_save, "save a running VM's state to a file (--keep-running, --key)"},
    {"restore", restore_main, "continue a saved VM in a new confined VM"},
    {"migrate", cmd_migrate, "live-migrate a running VM to an incoming lockvm"},
    {"incoming", incoming_main, "wait for a migrated VM (--listen unix:PATH|tcp:HOST:PORT)"},
    {"list", cmd_list, "list running VMs (-a: and defined ones; -Z: labels; --json)"},
    {"inspect", cmd_inspect, "everything about a running VM (--json)"},
    {"stop", cmd_stop, "ask a VM to shut down, kill it after --timeout"},
    {"kill", cmd_kill, "kill a VM now"},
    {"logs", cmd_logs, "a VM's console and lifecycle log (-f: follow)"},
    {"wait", cmd_wait, "wait for a VM to end, print and exit with its status"},
    {"rm", cmd_rm, "remove an ended detached VM's exit record"},
    {"net", net_cmd, "virtual networks: define, start, list, destroy, undefine"},
    {"gc", cmd_gc, "recover what VMs with a dead supervisor left behind"},
    {"define", cmd_define, "check a VM definition (INI) and install it under a name"},
    {"undefine", cmd_undefine, "remove a VM definition"},
    {"start", cmd_start, "start a defined VM, detached"},
    {"pool", cmd_pool, "list, create or delete disk images in the default pool"},
    {"check", check_main, "validate this host for lockvm"},
    {"policy", policy_main, "compile a seccomp policy file and print the filter"},
    {"audit", audit_main, "prove what the SELinux or seccomp policy allows"},
    {"version", version_main, "print the version"},
    {"help", help_main, "this list"},
};

static int help_main(int argc, char **argv)
{
	printf("usage: lockvm [--root DIR] COMMAND [ARGS...]\n\ncommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		printf("  %-10s %s\n", commands[i].name, commands[i].summary);
	return 0;
}

int cli_main(int argc, char **argv)
{
	if (argc < 2) {
		help_main(argc, argv);
		return EXIT_REFUSED;
	}
	/* Global option: lockvm --root DIR COMMAND ... */
	while (argc >= 2 && strncmp(argv[1], "--root", 6) == 0) {
		char err[PATH_MAX + 64];
		const char *dir = argv[1][6] == '=' ? argv[1] + 7 : argc >= 3 ? argv[2] : NULL;
		if (argv[1][6] != '=' && argv[1][6] != '\0')
			break;
		if (!dir)
			die("--root: want a directory");
		if (paths_set_root(dir, err, sizeof(err)) < 0)
			die("%s", err);
		int used = argv[1][6] == '=' ? 1 : 2;
		argv[used] = argv[0];
		argv += used;
		argc -= used;
	}
	if (argc < 2) {
		help_main(argc, argv);
		return EXIT_REFUSED;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return help_main(argc, argv);
	if (strcmp(argv[1], "--version") == 0)
		return version_main(argc, argv);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].main(argc - 1, argv + 1);
	die("unknown command '%s' (see 'lockvm help')", argv[1]);
}
