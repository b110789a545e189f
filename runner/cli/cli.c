/* Subcommand dispatch for `lockvm`. */
#include "cli.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "audit_seccomp.h"
#include "cli_events.h"
#include "cli_stats.h"
#include "cli_vm.h"
#include "cliopt.h"
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
	static const struct cliopt options[] = {
	    {"json", 'j', no_argument, 0, NULL, "{\"version\", \"guest_abi\"} (README)"}};
	static const struct cliopt_spec spec = {.command = "version",
						.operands = "",
						.summary = "print the version",
						.options = options,
						.count = ARRAY_SIZE(options)};
	struct cliopt_parser p;
	bool json = false;
	int n;
	cliopt_begin(&p, &spec, argc, argv);
	while (cliopt_next(&p))
		json = true; /* --json, the only option */
	cliopt_operands(&p, &n);
	if (!json) {
		printf("lockvm %s (guest ABI %d)\n", LOCKVM_VERSION, LOCKVM_ABI_VERSION);
		return 0;
	}
	json_object *o = json_object_new_object();
	json_object_object_add(o, "version", json_object_new_string(LOCKVM_VERSION));
	json_object_object_add(o, "guest_abi", json_object_new_int(LOCKVM_ABI_VERSION));
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return 0;
}

/* `lockvm policy compile FILE [--mode kill|log|trap]` */
static int policy_main(int argc, char **argv)
{
	static const struct cliopt_command policy[] = {
	    {"compile", seccomp_policy_print_main,
	     "compile a seccomp policy file and print the filter"},
	};
	return cliopt_dispatch("policy", policy, ARRAY_SIZE(policy), argc, argv);
}

/* `lockvm audit selinux|seccomp|vm ...` */
static int audit_main(int argc, char **argv)
{
	static const struct cliopt_command audit[] = {
	    {"selinux", audit_selinux_main, "prove what the SELinux policy allows each domain"},
	    {"seccomp", audit_seccomp_main, "prove what each seccomp policy allows"},
	    {"vm", audit_vm_main, "hold a running VM to what it should be (drift)"},
	};
	return cliopt_dispatch("audit", audit, ARRAY_SIZE(audit), argc, argv);
}

/* net/ sits below recovery (which releases dead VMs' NICs): the reaper
 * is handed down rather than called up. */
static int net_cmd(int argc, char **argv)
{
	return net_main(argc, argv, registry_reap);
}

static const struct cliopt_command commands[] = {
    {"run", run_main, "run a guest in a new confined VM"},
    {"exec", cmd_exec, "run a new process in a running --linux VM (-i, --tty, --env, --user)"},
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
    {"stats", cmd_stats, "CPU, memory and NIC figures of running VMs (--prometheus too)"},
    {"events", cmd_events, "lifecycle events of every VM, from the journal, as they come"},
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
};

int cli_main(int argc, char **argv)
{
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
	if (argc >= 2 && strcmp(argv[1], "--version") == 0)
		return version_main(1, argv + 1);
	return cliopt_dispatch("", commands, ARRAY_SIZE(commands), argc, argv);
}
