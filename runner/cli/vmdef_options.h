/* The [vm] keys of a definition that are `lockvm run` options as they are (linux, fs, env, net, ...): one table entry each. */
#ifndef LOCKVM_VMDEF_OPTIONS_H
#define LOCKVM_VMDEF_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

/* The index of the [vm] key name in the table, or -1 when it is none of them. */
int vmdef_option_find(const char *key);

/* Whether the key may be given more than once (env, volume). */
bool vmdef_option_repeats(int index);

/* Checks value for the key with run's own parsers; 0, or -1 with why
 * (without the key's name) in why[len]. */
int vmdef_option_check(int index, const char *value, char *why, size_t len);

/* The run argument for key = value ("--linux", "--env=A=B"); NULL for a
 * flag set to no. Points into buf[len]. */
const char *vmdef_option_argument(int index, const char *value, char *buf, size_t len);

/* "linux, strace, ..." for messages. */
const char *vmdef_option_names(void);

#endif
