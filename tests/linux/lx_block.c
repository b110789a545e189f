/* --linux test program: blocks and ignores every signal it can, then spins or sleeps (--timeout must still end it). */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "spin";
	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_IGN); /* SIGKILL and SIGSTOP refuse: fine */
	printf("all signals blocked\n");
	fflush(stdout);
	if (strcmp(mode, "sleep") == 0) {
		sleep(30);
		return 0; /* a sleep cut short at the deadline must not win */
	}
	for (volatile unsigned long i = 0;; i++)
		;
}
