/* `lockvm run`: the supervisor of one VM. */
#ifndef LOCKVM_RUN_H
#define LOCKVM_RUN_H

/* Runs `lockvm run ARGS…` (argv[0] is "run"); returns the exit status. */
int run_main(int argc, char **argv);
/* `lockvm restore FILE …` and `lockvm incoming --listen ADDR …`: a new VM
 * through the same supervisor path, its state read from a stream. */
int restore_main(int argc, char **argv);
int incoming_main(int argc, char **argv);
/* Checks `lockvm run ARGS…` as run would before it takes anything (the
 * options and how they go together); dies (125) on what run refuses. */
void run_options_check(int argc, char **argv);

#endif
