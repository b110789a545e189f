/* lockvm-oci: the runc-compatible front end's shared globals, logging and commands. */
#ifndef LOCKVM_OCI_H
#define LOCKVM_OCI_H

#include <stdbool.h>

#include "oci_state.h"
#include "util.h"

/* runc's exit status for every refusal: engines read the message, not the code. */
#define OCI_EXIT_FAIL 1

struct oci_globals {
	const char *root; /* the runtime's state: ROOT/ID/ per container */
	const char *log_path;
	bool log_json;
	bool debug;
	bool systemd_cgroup; /* accepted: the VM's cgroup is lockvm's own */
};

extern struct oci_globals oci_g;

/* One line on stderr ("lockvm-oci: ...") and in --log (text or json),
 * then exit(OCI_EXIT_FAIL). */
NORETURN void oci_fail(const char *fmt, ...) PRINTF_LIKE(1, 2);
/* A line in --log at level "warning" (and stderr); "debug" only with --debug. */
void oci_warn(const char *fmt, ...) PRINTF_LIKE(1, 2);
void oci_debug(const char *fmt, ...) PRINTF_LIKE(1, 2);

/* Removes ROOT/ID (state, fifo, the program link). */
void oci_remove_dir(const char *dir);

/* Loads ROOT/ID or fails with runc's "container does not exist". */
void oci_load_or_fail(const char *id, struct oci_state *s);

/* The commands: argv[0] is the command's name, options follow. Each
 * returns the process's exit status. */
int oci_cmd_create(int argc, char **argv);
int oci_cmd_start(int argc, char **argv);
int oci_cmd_run(int argc, char **argv);
int oci_cmd_state(int argc, char **argv);
int oci_cmd_kill(int argc, char **argv);
int oci_cmd_delete(int argc, char **argv);
int oci_cmd_list(int argc, char **argv);
int oci_cmd_ps(int argc, char **argv);
int oci_cmd_features(int argc, char **argv);
int oci_cmd_spec(int argc, char **argv);
int oci_cmd_exec(int argc, char **argv);

/* One command-line option "--name VALUE" or "--name=VALUE" at argv[*i];
 * true when it matched (*value set, *i advanced past a separate value). */
bool oci_opt_value(int argc, char **argv, int *i, const char *name, const char **value);

/* Prints a json-c object as runc does (two-space indent) and frees it. */
void oci_print_json(void *obj);

#endif
