/* virsh-style commands on the registry: list, inspect, stop, kill, gc; logs. */
#ifndef LOCKVM_CLI_VM_H
#define LOCKVM_CLI_VM_H

#include <stdbool.h>

int cmd_list(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_kill(int argc, char **argv);
int cmd_gc(int argc, char **argv);

/* Parses `COMMAND [--json] NAME` (--json only when json is not NULL) with
 * the one grammar (cliopt), --help included; returns NAME. */
const char *cli_parse_name(const char *command, const char *summary, int argc, char **argv,
			   bool *json);

/* cli_logs.c: `lockvm logs`, and gc of the logs of VMs long gone. */
int cmd_logs(int argc, char **argv);
/* Removes the logs of VMs that do not run, last written longer ago than
 * lockvm.conf's [logs] max_age; says how many. 0, or -1 (said why). */
int logs_gc(void);

#endif
