/* virsh-style commands on the registry: list, inspect, stop, kill, logs, gc. */
#ifndef LOCKVM_CLI_VM_H
#define LOCKVM_CLI_VM_H

int cmd_list(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_kill(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_gc(int argc, char **argv);

#endif
