/* lockvm wait and rm, and the exit records shown by inspect and list -a. */
#ifndef LOCKVM_CLI_EXIT_H
#define LOCKVM_CLI_EXIT_H

#include <stdbool.h>

/* `lockvm wait NAME`: blocks until NAME ends, prints its status and exits with it. */
int cmd_wait(int argc, char **argv);
/* `lockvm rm NAME`: removes an ended VM's exit record. */
int cmd_rm(int argc, char **argv);

/* inspect of a VM that is not running: prints its exit record (as JSON
 * with json); false when there is none. */
bool cli_exit_inspect(const char *name, bool json);

/* list -a: one line (or, with a json-c array, one object) per exit record
 * of a VM that is not running. */
void cli_exit_list(void *json_array);

#endif
