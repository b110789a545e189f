/* `lockvm run`: the supervisor of one VM. */
#ifndef LOCKVM_RUN_H
#define LOCKVM_RUN_H

/* Runs `lockvm run ARGS…` (argv[0] is "run"); returns the exit status. */
int run_main(int argc, char **argv);

#endif
