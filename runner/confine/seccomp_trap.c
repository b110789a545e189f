/* --seccomp=trap: a SIGSYS handler that names the syscall a filter refused, then ends the VMM with 159. */
#include "seccomp_trap.h"
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "util.h"

#define TRAP_MAX_NR 512

static char *syscall_names[TRAP_MAX_NR];
static __thread const char *thread_role = "main";

void seccomp_trap_set_thread(const char *role)
{
	thread_role = role;
}

/* Appends s to buf (async-signal-safe: no stdio). */
static size_t append(char *buf, size_t len, size_t cap, const char *s)
{
	while (*s && len + 1 < cap)
		buf[len++] = *s++;
	buf[len] = '\0';
	return len;
}

static size_t append_uint(char *buf, size_t len, size_t cap, unsigned long v)
{
	char digits[24];
	int n = 0;
	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && n < (int)sizeof(digits));
	char rev[24];
	for (int i = 0; i < n; i++)
		rev[i] = digits[n - 1 - i];
	rev[n] = '\0';
	return append(buf, len, cap, rev);
}

static void on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	(void)ctx;
	char msg[256];
	size_t len = 0;
	int nr = si->si_syscall;
	const char *name =
	    nr >= 0 && nr < TRAP_MAX_NR && syscall_names[nr] ? syscall_names[nr] : "?";
	len = append(msg, len, sizeof(msg), "lockvm-vmm: seccomp: thread ");
	len = append(msg, len, sizeof(msg), thread_role);
	len = append(msg, len, sizeof(msg), " called ");
	len = append(msg, len, sizeof(msg), name);
	len = append(msg, len, sizeof(msg), " (syscall ");
	len = append_uint(msg, len, sizeof(msg), (unsigned long)(unsigned)nr);
	len = append(msg, len, sizeof(msg), "), which its policy does not allow\n");
	ssize_t ignored = write(STDERR_FILENO, msg, len);
	(void)ignored;
	_exit(EXIT_SECCOMP);
}

int seccomp_trap_install(void)
{
	for (int nr = 0; nr < TRAP_MAX_NR; nr++)
		syscall_names[nr] = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigfillset(&sa.sa_mask);
	return sigaction(SIGSYS, &sa, NULL);
}
