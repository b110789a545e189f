/* VM definitions and the storage pool on the command line: define, undefine, start, pool. */
#ifndef LOCKVM_CLI_VMDEF_H
#define LOCKVM_CLI_VMDEF_H

/* Each runs `lockvm COMMAND ARGS…` with argv[0] the command name and
 * returns the exit status; bad input ends the process with 125 (die). */

/* `lockvm define NAME FILE`: checks FILE and installs it atomically as
 * $root/etc/lockvm/vms/NAME.conf, replacing an earlier definition. */
int cmd_define(int argc, char **argv);

/* `lockvm undefine NAME`: removes the definition. */
int cmd_undefine(int argc, char **argv);

/* `lockvm start NAME`: runs the definition detached, through run_main(). */
int cmd_start(int argc, char **argv);

/* `lockvm pool list [--json] | create NAME SIZE | delete NAME` */
int cmd_pool(int argc, char **argv);

#endif
