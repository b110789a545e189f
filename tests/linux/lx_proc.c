/* --linux test program: the first process's ids and process calls (pid 1, session and group leader, no parent; kill to a pid, group or -1; wait4/waitid with no child). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures;
static volatile int got;

#define CHECK(cond, what)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			printf("FAIL line %d: %s (errno %d %s)\n", __LINE__, what, errno,          \
			       strerror(errno));                                                   \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

static void on_usr1(int sig)
{
	got++;
}

int main(void)
{
	CHECK(getpid() == 1 && syscall(SYS_gettid) == 1, "pid and tid 1");
	CHECK(getppid() == 0, "no parent in the VM");
	CHECK(getpgrp() == 1 && getpgid(0) == 1 && getpgid(1) == 1, "process group 1");
	CHECK(getsid(0) == 1 && getsid(1) == 1, "session 1");
	CHECK(getpgid(2) == -1 && errno == ESRCH, "getpgid of no process: ESRCH");
	CHECK(getsid(77) == -1 && errno == ESRCH, "getsid of no process: ESRCH");
	CHECK(setsid() == -1 && errno == EPERM, "setsid of a group leader: EPERM");
	CHECK(setpgid(0, 0) == -1 && errno == EPERM, "setpgid of a session leader: EPERM");
	CHECK(setpgid(5, 0) == -1 && errno == ESRCH, "setpgid of no process: ESRCH");
	CHECK(setpgid(0, -1) == -1 && errno == EINVAL, "setpgid to a negative group: EINVAL");
	signal(SIGUSR1, on_usr1);
	CHECK(kill(1, SIGUSR1) == 0 && got == 1, "kill(1) reaches itself");
	CHECK(kill(0, SIGUSR1) == 0 && got == 2, "kill(0): its own group");
	CHECK(kill(-1, SIGUSR1) == -1 && errno == ESRCH && got == 2,
	      "kill(-1): nobody but init and itself: ESRCH");
	CHECK(kill(-2, 0) == -1 && errno == ESRCH, "kill of no group: ESRCH");
	CHECK(kill(2, 0) == -1 && errno == ESRCH, "kill of no process: ESRCH");
	CHECK(kill(1, 65) == -1 && errno == EINVAL, "kill with signal 65: EINVAL");
	CHECK(syscall(SYS_tgkill, 1, 1, SIGUSR1) == 0 && got == 3, "tgkill(1, 1)");
	CHECK(syscall(SYS_tgkill, 0, 1, 0) == -1 && errno == EINVAL, "tgkill tgid 0: EINVAL");
	CHECK(syscall(SYS_tgkill, 1, 2, 0) == -1 && errno == ESRCH, "tgkill of no thread: ESRCH");
	int status;
	CHECK(waitpid(-1, &status, 0) == -1 && errno == ECHILD, "wait with no child: ECHILD");
	CHECK(waitpid(-1, &status, WNOHANG) == -1 && errno == ECHILD, "WNOHANG: ECHILD");
	CHECK(waitpid(3, &status, WUNTRACED) == -1 && errno == ECHILD, "WUNTRACED: ECHILD");
	CHECK(waitpid(-1, &status, 0x100) == -1 && errno == EINVAL, "unknown wait option: EINVAL");
	siginfo_t si;
	CHECK(waitid(P_ALL, 0, &si, WEXITED) == -1 && errno == ECHILD, "waitid: ECHILD");
	CHECK(waitid(P_ALL, 0, &si, 0) == -1 && errno == EINVAL, "waitid without what: EINVAL");
	CHECK(waitid(P_PID, 0, &si, WEXITED) == -1 && errno == EINVAL, "waitid P_PID 0: EINVAL");
	CHECK(waitid(7, 0, &si, WEXITED) == -1 && errno == EINVAL, "waitid idtype 7: EINVAL");
	if (failures)
		return 1;
	printf("process calls ok\n");
	return 0;
}
