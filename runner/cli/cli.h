/* The lockvm command line: subcommand dispatch. */
#ifndef LOCKVM_CLI_H
#define LOCKVM_CLI_H

/* Runs `lockvm ARGS…`; returns the process exit status. */
int cli_main(int argc, char **argv);

/* `lockvm check`: validates this host (check.c); the exit status. */
int check_main(int argc, char **argv);

#endif
