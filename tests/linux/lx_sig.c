/* --linux test program: SIGTERM/SIGINT from the host (modes: read, restart, spin, sleep, ignore, blocked, default); prints "ready" once it waits. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t got;
static int wake_fd = -1;

static void on_signal(int sig)
{
	got = sig;
	if (wake_fd >= 0)
		(void)!write(wake_fd, "w", 1); /* what the restarted read then gets */
}

static void handle(int sig, int flags)
{
	struct sigaction sa = {.sa_handler = on_signal, .sa_flags = flags};
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

static void ready(void)
{
	printf("ready\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "read";
	int p[2];
	char c;
	if (pipe(p) != 0)
		return 2;
	if (strcmp(mode, "read") == 0) { /* no SA_RESTART: the blocked read fails with EINTR */
		handle(SIGTERM, 0);
		handle(SIGINT, 0);
		ready();
		ssize_t n = read(p[0], &c, 1);
		printf("read returned %zd (%s) after signal %d\n", n, n < 0 ? strerror(errno) : "-",
		       (int)got);
		return n == -1 && errno == EINTR && got ? 0 : 1;
	}
	if (strcmp(mode, "restart") == 0) { /* SA_RESTART: the read resumes and gets the byte */
		wake_fd = p[1];
		handle(SIGTERM, SA_RESTART);
		ready();
		ssize_t n = read(p[0], &c, 1);
		printf("restarted read returned %zd '%c' after signal %d\n", n, n == 1 ? c : '?',
		       (int)got);
		return n == 1 && c == 'w' && got == SIGTERM ? 0 : 1;
	}
	if (strcmp(mode, "spin") == 0) { /* no call at all: the kick brings it in */
		handle(SIGTERM, 0);
		ready();
		while (!got)
			;
		printf("spin interrupted by signal %d\n", (int)got);
		return 0;
	}
	if (strcmp(mode, "sleep") == 0) {
		handle(SIGTERM, 0);
		ready();
		struct timespec ts = {30, 0}, rem = {0, 0};
		int rc = nanosleep(&ts, &rem);
		printf("nanosleep returned %d (%s), %ld s left, signal %d\n", rc,
		       rc ? strerror(errno) : "-", (long)rem.tv_sec, (int)got);
		return rc == -1 && errno == EINTR && rem.tv_sec > 20 && got ? 0 : 1;
	}
	if (strcmp(mode, "ignore") == 0) { /* ignored: only the host's second signal ends it */
		signal(SIGTERM, SIG_IGN);
		ready();
		sleep(30);
		printf("slept through\n");
		return 0;
	}
	if (strcmp(mode, "blocked") == 0) { /* kept pending while blocked, taken on unblock */
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, SIGTERM);
		handle(SIGTERM, 0);
		sigprocmask(SIG_BLOCK, &set, NULL);
		ready();
		struct timespec ts = {2, 0};
		int rc = nanosleep(&ts, NULL);
		printf("blocked: sleep returned %d, signal %d so far\n", rc, (int)got);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		printf("after unblock: signal %d\n", (int)got);
		return rc == 0 && got == SIGTERM ? 0 : 1;
	}
	ready(); /* default action: the VM ends with 128 + the signal */
	sleep(30);
	printf("still alive?\n");
	return 1;
}
