/* --linux test program: stdio, argv and the environment. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	printf("argc=%d\n", argc);
	for (int i = 0; i < argc; i++)
		printf("argv[%d]=%s\n", i, argv[i]);
	for (char **e = environ; *e; e++)
		printf("env %s\n", *e);
	fprintf(stderr, "to stderr\n");
	const char *code = getenv("EXIT_CODE");
	return code ? atoi(code) : 0;
}
