/* --linux test program: job control — SIGSTOP/SIGTSTP stop a process (all its threads, which then use no CPU), SIGCONT continues it, wait4/waitid report both (WUNTRACED, WCONTINUED, WNOWAIT), the parent gets SIGCHLD unless SA_NOCLDSTOP, a handled or blocked SIGTSTP does not stop, SIGKILL ends a stopped process. Prints "sigstop ok". */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lx_checkline.h"

static volatile sig_atomic_t chld, chld_code, chld_status, chld_pid;

static void on_chld(int sig, siginfo_t *si, void *uc)
{
	chld++;
	chld_code = si->si_code;
	chld_status = si->si_status;
	chld_pid = si->si_pid;
}

static void sigchld_action(int flags)
{
	struct sigaction sa = {.sa_sigaction = on_chld, .sa_flags = flags | SA_RESTART | SA_SIGINFO};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0)
		;
}

/* Counters the spinning children bump, shared with the parent. */
static volatile unsigned long *counters;

static void *spin_thread(void *arg)
{
	for (;;)
		counters[(long)arg]++;
	return NULL;
}

/* A child whose main thread (and, with threads, a second one) spins. */
static pid_t spinner(int threads)
{
	pid_t pid = fork();
	if (pid == 0) {
		pthread_t t;
		if (threads > 1)
			pthread_create(&t, NULL, spin_thread, (void *)1L);
		spin_thread((void *)0L);
	}
	return pid;
}

/* Until counter i moves (a bounded wait: it runs when the parent sleeps). */
static bool moves(int i)
{
	unsigned long before = counters[i];
	for (int k = 0; k < 200; k++) {
		sleep_ms(10);
		if (counters[i] != before)
			return true;
	}
	return false;
}

static void test_stop_continue(int threads)
{
	counters[0] = counters[1] = 0;
	chld = 0;
	sigchld_action(0);
	pid_t pid = spinner(threads);
	CHECK(moves(0), "the child runs");
	if (threads > 1)
		CHECK(moves(1), "its second thread runs");
	int st = 0;
	CHECK(kill(pid, SIGSTOP) == 0, "kill SIGSTOP");
	CHECK(waitpid(pid, &st, WUNTRACED) == pid && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP,
	      "waitpid WUNTRACED: stopped by SIGSTOP (status %#x)", st);
	CHECK(chld >= 1 && chld_code == CLD_STOPPED && chld_status == SIGSTOP && chld_pid == pid,
	      "SIGCHLD with CLD_STOPPED, SIGSTOP and the child's pid reached the parent (%d: "
	      "code %d status %d)",
	      (int)chld, (int)chld_code, (int)chld_status);
	unsigned long c0 = counters[0], c1 = counters[1];
	sleep_ms(300);
	CHECK(counters[0] == c0 && counters[1] == c1,
	      "a stopped process runs no thread (%lu -> %lu, %lu -> %lu)", c0, counters[0], c1,
	      counters[1]);
	CHECK(waitpid(pid, &st, WUNTRACED | WNOHANG) == 0, "a stop is reported once");
	chld = 0;
	CHECK(kill(pid, SIGCONT) == 0, "kill SIGCONT");
	CHECK(waitpid(pid, &st, WCONTINUED) == pid && WIFCONTINUED(st),
	      "waitpid WCONTINUED: continued (status %#x)", st);
	CHECK(moves(0), "the continued child runs again");
	/* Sent as it runs again. */
	CHECK(chld >= 1 && chld_code == CLD_CONTINUED && chld_status == SIGCONT,
	      "SIGCHLD with CLD_CONTINUED, SIGCONT reached the parent (%d: code %d status %d)",
	      (int)chld, (int)chld_code, (int)chld_status);
	if (threads > 1)
		CHECK(moves(1), "... and so does its second thread");
	/* Stopped again, then SIGKILL: it dies stopped. */
	kill(pid, SIGSTOP);
	CHECK(waitpid(pid, &st, WUNTRACED) == pid && WIFSTOPPED(st), "stopped again");
	kill(pid, SIGKILL);
	CHECK(waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
	      "SIGKILL ends a stopped process (status %#x)", st);
	CHECK(chld_code == CLD_KILLED && chld_status == SIGKILL,
	      "SIGCHLD with CLD_KILLED, SIGKILL for its end (code %d status %d)", (int)chld_code,
	      (int)chld_status);
}

static void test_waitid(void)
{
	pid_t pid = spinner(1);
	kill(pid, SIGTSTP);
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	CHECK(waitid(P_PID, pid, &si, WSTOPPED | WNOWAIT) == 0 && si.si_code == CLD_STOPPED &&
		  si.si_status == SIGTSTP && si.si_pid == pid,
	      "waitid WSTOPPED|WNOWAIT: CLD_STOPPED by SIGTSTP (code %d status %d)", si.si_code,
	      si.si_status);
	memset(&si, 0, sizeof(si));
	CHECK(waitid(P_PID, pid, &si, WSTOPPED) == 0 && si.si_code == CLD_STOPPED,
	      "WNOWAIT left the stop to report again (code %d)", si.si_code);
	kill(pid, SIGCONT);
	memset(&si, 0, sizeof(si));
	CHECK(waitid(P_PID, pid, &si, WCONTINUED) == 0 && si.si_code == CLD_CONTINUED &&
		  si.si_status == SIGCONT,
	      "waitid WCONTINUED: CLD_CONTINUED (code %d status %d)", si.si_code, si.si_status);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void test_nocldstop(void)
{
	sigchld_action(SA_NOCLDSTOP);
	chld = 0;
	pid_t pid = spinner(1);
	int st;
	kill(pid, SIGSTOP);
	waitpid(pid, &st, WUNTRACED);
	kill(pid, SIGCONT);
	waitpid(pid, &st, WCONTINUED);
	CHECK(chld == 0, "SA_NOCLDSTOP: no SIGCHLD for a stop or a continue (%d)", (int)chld);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	CHECK(chld == 1, "SA_NOCLDSTOP: SIGCHLD for the exit (%d)", (int)chld);
	sigchld_action(0);
}

static volatile sig_atomic_t tstp_handled;

static void on_tstp(int sig)
{
	tstp_handled++;
}

/* The child stops itself; after SIGCONT raise() returns and it goes on. */
static void test_self_stop_and_handled(void)
{
	int st;
	pid_t pid = fork();
	if (pid == 0) {
		raise(SIGTSTP);
		/* A handled SIGTSTP runs its handler and does not stop. */
		signal(SIGTSTP, on_tstp);
		raise(SIGTSTP);
		/* A blocked one stays pending; unblocked, its default stops. */
		signal(SIGTSTP, SIG_DFL);
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, SIGTSTP);
		sigprocmask(SIG_BLOCK, &set, NULL);
		raise(SIGTSTP);
		sleep_ms(100);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		_exit(tstp_handled == 1 ? 7 : 8);
	}
	CHECK(waitpid(pid, &st, WUNTRACED) == pid && WIFSTOPPED(st) && WSTOPSIG(st) == SIGTSTP,
	      "raise(SIGTSTP) stops the caller (status %#x)", st);
	kill(pid, SIGCONT);
	CHECK(waitpid(pid, &st, WUNTRACED) == pid && WIFSTOPPED(st) && WSTOPSIG(st) == SIGTSTP,
	      "a blocked SIGTSTP stops once unblocked (status %#x)", st);
	kill(pid, SIGCONT);
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 7,
	      "a handled SIGTSTP ran its handler; the child went on after SIGCONT (status %#x)",
	      st);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	counters = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (counters == MAP_FAILED)
		return 2;
	test_stop_continue(1);
	test_stop_continue(2);
	test_waitid();
	test_nocldstop();
	test_self_stop_and_handled();
	if (failures)
		return 1;
	printf("sigstop ok\n");
	return 0;
}
