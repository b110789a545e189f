/* `lockvm stats`: CPU, memory and NIC figures of running VMs. */
#ifndef LOCKVM_CLI_STATS_H
#define LOCKVM_CLI_STATS_H

/* Needs nothing; returns the exit status, or runs until killed while streaming. */
int cmd_stats(int argc, char **argv);

#endif
