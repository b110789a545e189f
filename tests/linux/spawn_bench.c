/* --linux bench program: "spawn N PROG" times N posix_spawn+waitpid of PROG, "fork MIB N" times N fork+_exit+wait of a process with MIB MiB touched; prints ns per round. */
#define _GNU_SOURCE
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static long long now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "spawn") == 0) {
		int n = atoi(argv[2]);
		char *child_argv[] = {argv[3], NULL};
		long long t0 = now();
		for (int i = 0; i < n; i++) {
			pid_t pid;
			int st;
			if (posix_spawn(&pid, argv[3], NULL, NULL, child_argv, environ) != 0 ||
			    waitpid(pid, &st, 0) != pid || st != 0)
				return printf("spawn %d failed\n", i), 1;
		}
		printf("spawn_ns %lld\n", (now() - t0) / n);
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "fork") == 0) {
		size_t len = (size_t)atoi(argv[2]) << 20;
		int n = atoi(argv[3]);
		char *mem = malloc(len);
		if (!mem)
			return 1;
		memset(mem, 1, len);
		long long t0 = now();
		for (int i = 0; i < n; i++) {
			pid_t pid = fork();
			if (pid == 0)
				_exit(0);
			int st;
			if (pid < 0 || waitpid(pid, &st, 0) != pid)
				return printf("fork %d failed\n", i), 1;
		}
		printf("fork_ns %lld\n", (now() - t0) / n);
		return mem[len - 1] == 1 ? 0 : 1;
	}
	fprintf(stderr, "usage: spawn_bench spawn N PROG | fork MIB N\n");
	return 2;
}
