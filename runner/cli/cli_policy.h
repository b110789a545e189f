/* `lockvm policy compile`: print a seccomp policy's compiled filter. */
#ifndef LOCKVM_CLI_POLICY_H
#define LOCKVM_CLI_POLICY_H

/*
 * `lockvm policy compile FILE [--mode kill|log|trap]`: argv[0] is the
 * subcommand name ("compile"). Prints the filter as libseccomp PFC on
 * stdout. Returns 0; dies with 125 on bad usage or an invalid policy.
 */
int seccomp_policy_print_main(int argc, char **argv);

#endif
