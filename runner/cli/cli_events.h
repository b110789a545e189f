/* `lockvm events`: the lifecycle journal, filtered, as lines or JSON. */
#ifndef LOCKVM_CLI_EVENTS_H
#define LOCKVM_CLI_EVENTS_H

/* Needs nothing; returns the exit status (0), or runs until killed while streaming. */
int cmd_events(int argc, char **argv);

#endif
