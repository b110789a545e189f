/* --linux test program: faults with and without a handler (pf, ud, de, abort, segv-handler, ud-handler); bad-sigstack: children whose signal frame cannot be written (the stack pointer unmapped, an alternate stack read-only, the stack pointer past the top of user space) die of SIGSEGV, and pid 1 lives on to say so. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static sigjmp_buf back;
static volatile void *fault_addr;
static volatile int fault_sig;

static void handler(int sig, siginfo_t *si, void *uc)
{
	fault_sig = sig;
	fault_addr = si->si_addr;
	siglongjmp(back, 1);
}

static void on_usr1(int sig)
{
	(void)sig;
	_exit(0); /* never: the frame cannot be written */
}

/* A child takes SIGUSR1 with its handler's frame going to stack: rsp set to
 * it just before a raw kill (no C code runs on that stack). */
static void raise_on(uintptr_t stack)
{
	long pid = getpid();
	__asm__ volatile("mov %%rsp, %%r12\n\t"
			 "mov %[stack], %%rsp\n\t"
			 "syscall\n\t"
			 "mov %%r12, %%rsp"
			 :
			 : "a"(SYS_kill), "D"(pid), "S"(SIGUSR1), [stack] "r"(stack)
			 : "rcx", "r11", "r12", "memory");
}

static int bad_sigstacks(void)
{
	int bad = 0;
	for (int kind = 0; kind < 3; kind++) {
		pid_t pid = fork();
		if (pid == 0) {
			struct sigaction sa = {.sa_handler = on_usr1};
			sigemptyset(&sa.sa_mask);
			if (kind == 1) { /* an alternate stack the process cannot write */
				void *ro = mmap(NULL, 65536, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
				stack_t ss = {.ss_sp = ro, .ss_size = 65536};
				if (ro == MAP_FAILED || sigaltstack(&ss, NULL) < 0)
					_exit(3);
				sa.sa_flags = SA_ONSTACK;
			}
			sigaction(SIGUSR1, &sa, NULL);
			if (kind == 0) { /* unmapped: a page given back */
				char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
					       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
				munmap(p, 4096);
				raise_on((uintptr_t)p + 4096);
			} else if (kind == 1) {
				raise(SIGUSR1);
			} else { /* the top of user space and beyond */
				raise_on(0x800000000000ULL + 4096);
			}
			_exit(4); /* the signal was not delivered at all */
		}
		int st = 0;
		if (waitpid(pid, &st, 0) != pid || !WIFSIGNALED(st) || WTERMSIG(st) != SIGSEGV) {
			printf("FAIL bad stack %d: status %#x\n", kind, st);
			bad++;
		}
	}
	if (!bad)
		printf("bad signal stacks: SIGSEGV, 3 of 3; pid 1 lives on\n");
	return bad ? 1 : 0;
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
	if (strcmp(mode, "bad-sigstack") == 0)
		return bad_sigstacks();
	/* An SDK hypercall slot of the doorbell page (at LINUX_DOORBELL_VA): not for Linux programs */
	if (strcmp(mode, "doorbell") == 0)
		*(volatile uint32_t *)(uintptr_t)0x7f0000000000ULL = 0x1000;
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
