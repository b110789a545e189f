/* --linux test program: faults with and without a handler (pf, ud, de, abort, segv-handler, ud-handler). */
#include <setjmp.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static sigjmp_buf back;
static volatile void *fault_addr;
static volatile int fault_sig;

static void handler(int sig, siginfo_t *si, void *uc)
{
	fault_sig = sig;
	fault_addr = si->si_addr;
	siglongjmp(back, 1);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "pf";
	volatile int zero = 0;
	if (strcmp(mode, "pf") == 0)
		return *(volatile int *)0;
	if (strcmp(mode, "ud") == 0)
		__asm__ volatile("ud2");
	if (strcmp(mode, "de") == 0)
		return 1000 / zero; /* not 1/x, which gcc computes without dividing */
	if (strcmp(mode, "abort") == 0)
		abort();
	if (strcmp(mode, "doorbell") == 0) /* an SDK hypercall slot: not for Linux programs */
		*(volatile uint32_t *)(uintptr_t)0x4000000000ULL = 0x1000;
	struct sigaction sa = {.sa_sigaction = handler, .sa_flags = SA_SIGINFO};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);
	for (int round = 0; round < 3; round++) {
		if (sigsetjmp(back, 1) == 0) {
			if (strcmp(mode, "ud-handler") == 0)
				__asm__ volatile("ud2");
			else
				*(volatile int *)(uintptr_t)(0x10 + round) = 1;
			printf("no fault?\n");
			return 1;
		}
		printf("caught signal %d addr=%p\n", fault_sig, (void *)fault_addr);
	}
	return 0;
}
