/* The check() of the --linux test programs that print "... ok" or the checks that failed. */
#ifndef LX_CHECK_H
#define LX_CHECK_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int fails;

/* Prints what failed (with errno) and counts it. */
static void check(int ok, const char *what)
{
	if (!ok) {
		printf("FAIL %s (errno %d %s)\n", what, errno, strerror(errno));
		fails++;
	}
}

#endif
