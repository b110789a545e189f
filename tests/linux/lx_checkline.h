/* The CHECK(cond, fmt, ...) of the --linux test programs that count failures and go on: one line per failed check, with errno. */
#ifndef LX_CHECKLINE_H
#define LX_CHECKLINE_H
#include <errno.h>
#include <stdio.h>
#include <string.h>

static int failures;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			printf("FAIL line %d: ", __LINE__);                                        \
			printf(__VA_ARGS__);                                                       \
			printf(" (errno %d %s)\n", errno, strerror(errno));                        \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

#endif
