/* --linux test program: timerfd, signalfd, alarm, setitimer, timer_create and signals from timers (modes: all, storm: a timer storm that only --timeout ends). */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lx_checkline.h"

static volatile int alarms, usr1s;

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void on_alarm(int sig)
{
	alarms++;
}

static void on_usr1(int sig)
{
	usr1s++;
}

static void handle(int sig, void (*fn)(int), int flags)
{
	struct sigaction sa = {.sa_handler = fn, .sa_flags = flags};
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

static void timerfds(void)
{
	int tf = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	uint64_t n = 0;
	CHECK(tf >= 0, "timerfd_create");
	struct itimerspec its = {.it_interval = {0, 20000000}, .it_value = {0, 20000000}}, cur;
	CHECK(timerfd_settime(tf, 0, &its, NULL) == 0, "settime 20 ms interval");
	CHECK(timerfd_gettime(tf, &cur) == 0 && cur.it_interval.tv_nsec == 20000000 &&
		  cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0,
	      "gettime");
	usleep(110000);
	CHECK(read(tf, &n, 8) == 8 && n >= 4 && n <= 6, "110 ms of a 20 ms timer: %llu",
	      (unsigned long long)n);
	double t0 = now_ms();
	CHECK(read(tf, &n, 8) == 8 && n == 1, "a blocking read waits for the next: %llu",
	      (unsigned long long)n);
	CHECK(now_ms() - t0 < 100, "within the interval: %.1f ms", now_ms() - t0);
	/* epoll over a timerfd */
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 3}, out;
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, tf, &ev) == 0, "epoll add");
	CHECK(epoll_wait(ep, &out, 1, 1000) == 1 && out.data.u32 == 3, "epoll sees it expire");
	/* an absolute one-shot in the past fires at once; disarmed after */
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	its = (struct itimerspec){.it_value = now};
	CHECK(timerfd_settime(tf, TFD_TIMER_ABSTIME, &its, NULL) == 0, "ABSTIME");
	CHECK(read(tf, &n, 8) == 8 && n == 1, "fired once");
	CHECK(timerfd_gettime(tf, &cur) == 0 && cur.it_value.tv_sec == 0 &&
		  cur.it_value.tv_nsec == 0,
	      "disarmed");
	int nb = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK);
	CHECK(read(nb, &n, 8) == -1 && errno == EAGAIN, "unarmed nonblocking: EAGAIN");
	CHECK(read(nb, &n, 4) == -1 && errno == EINVAL, "short read: EINVAL");
	CHECK(timerfd_create(99, 0) == -1 && errno == EINVAL, "bad clock");
	its = (struct itimerspec){.it_value = {0, 1000000000}};
	CHECK(timerfd_settime(nb, 0, &its, NULL) == -1 && errno == EINVAL, "tv_nsec 1e9");
	CHECK(timerfd_settime(ep, 0, &its, NULL) == -1 && errno == EINVAL, "not a timerfd");
	close(nb);
	close(ep);
	close(tf);
}

static void signalfds(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGALRM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	int sf = signalfd(-1, &set, SFD_CLOEXEC);
	struct signalfd_siginfo si[2];
	CHECK(sf >= 0, "signalfd");
	kill(getpid(), SIGUSR1);
	CHECK(read(sf, si, sizeof(si)) == sizeof(si[0]) && si[0].ssi_signo == SIGUSR1,
	      "signalfd reads SIGUSR1");
	/* a blocked SIGALRM with its default action stays pending; a timer's
	 * signal wakes a blocking read */
	struct itimerval itv = {.it_value = {0, 50000}};
	CHECK(setitimer(ITIMER_REAL, &itv, NULL) == 0, "setitimer 50 ms");
	double t0 = now_ms();
	CHECK(read(sf, si, sizeof(si[0])) == sizeof(si[0]) && si[0].ssi_signo == SIGALRM,
	      "a blocking read gets the timer's SIGALRM");
	CHECK(now_ms() - t0 < 1000, "soon: %.1f ms", now_ms() - t0);
	struct pollfd pfd = {.fd = sf, .events = POLLIN};
	CHECK(poll(&pfd, 1, 0) == 0, "none pending");
	kill(getpid(), SIGALRM);
	CHECK(poll(&pfd, 1, 0) == 1, "poll sees one pending");
	sigset_t pend;
	CHECK(sigpending(&pend) == 0 && sigismember(&pend, SIGALRM), "sigpending");
	CHECK(read(sf, si, sizeof(si)) == sizeof(si[0]), "taken");
	CHECK(read(sf, si, 8) == -1 && errno == EINVAL, "short read: EINVAL");
	close(sf);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static void alarms_itimers(void)
{
	int p[2];
	char c;
	CHECK(pipe(p) == 0, "pipe");
	handle(SIGALRM, on_alarm, 0); /* no SA_RESTART */
	CHECK(alarm(5) == 0, "alarm(5)");
	unsigned left = alarm(1);
	CHECK(left == 5 || left == 4, "alarm(1) returns what was left: %u", left);
	double t0 = now_ms();
	alarms = 0;
	CHECK(read(p[0], &c, 1) == -1 && errno == EINTR, "alarm interrupts a blocking read");
	CHECK(alarms == 1 && now_ms() - t0 > 900 && now_ms() - t0 < 3000,
	      "after a second: %d alarms, %.0f ms", alarms, now_ms() - t0);
	CHECK(alarm(0) == 0, "none left");
	/* a repeating ITIMER_REAL, while sleeping and while spinning */
	alarms = 0;
	struct itimerval itv = {.it_interval = {0, 20000}, .it_value = {0, 20000}}, old;
	CHECK(setitimer(ITIMER_REAL, &itv, NULL) == 0, "setitimer 20 ms");
	while (alarms < 3)
		pause();
	CHECK(getitimer(ITIMER_REAL, &old) == 0 && old.it_interval.tv_usec == 20000,
	      "getitimer");
	int before = alarms;
	t0 = now_ms();
	while (now_ms() - t0 < 300) /* no call: the slice kicks deliver it */
		;
	CHECK(alarms - before >= 5, "a spinning task gets its alarms: %d", alarms - before);
	struct timespec ts = {2, 0}, rem = {0, 0};
	CHECK(nanosleep(&ts, &rem) == -1 && errno == EINTR && rem.tv_sec >= 1,
	      "nanosleep cut short: EINTR, %ld s left", (long)rem.tv_sec);
	itv = (struct itimerval){0};
	CHECK(setitimer(ITIMER_REAL, &itv, &old) == 0 && old.it_interval.tv_usec == 20000,
	      "disarm, old value");
	/* SA_RESTART: the read goes on after the handler */
	handle(SIGALRM, on_alarm, SA_RESTART);
	if (fork() == 0) {
		usleep(300000);
		_exit(write(p[1], "r", 1) == 1 ? 0 : 1);
	}
	itv = (struct itimerval){.it_value = {0, 50000}};
	setitimer(ITIMER_REAL, &itv, NULL);
	alarms = 0;
	CHECK(read(p[0], &c, 1) == 1 && alarms == 1, "SA_RESTART: read restarted, %d", alarms);
	wait(NULL);
	close(p[0]);
	close(p[1]);
}

static void posix_timers(void)
{
	timer_t t, none;
	struct sigevent sev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1};
	handle(SIGUSR1, on_usr1, SA_RESTART);
	CHECK(timer_create(CLOCK_MONOTONIC, &sev, &t) == 0, "timer_create");
	struct itimerspec its = {.it_interval = {0, 10000000}, .it_value = {0, 10000000}}, cur;
	usr1s = 0;
	CHECK(timer_settime(t, 0, &its, NULL) == 0, "settime");
	while (usr1s < 3)
		pause();
	CHECK(timer_gettime(t, &cur) == 0 && cur.it_interval.tv_nsec == 10000000, "gettime");
	CHECK(timer_getoverrun(t) >= 0, "getoverrun");
	CHECK(timer_delete(t) == 0, "delete");
	CHECK(timer_gettime(t, &cur) == -1 && errno == EINVAL, "deleted: EINVAL");
	sev.sigev_notify = SIGEV_NONE;
	CHECK(timer_create(CLOCK_REALTIME, &sev, &none) == 0, "SIGEV_NONE");
	its = (struct itimerspec){.it_value = {5, 0}};
	CHECK(timer_settime(none, 0, &its, NULL) == 0, "arm");
	CHECK(timer_gettime(none, &cur) == 0 && cur.it_value.tv_sec == 4, "4.x s left: %ld",
	      (long)cur.it_value.tv_sec);
	timer_delete(none);
	sev = (struct sigevent){.sigev_notify = SIGEV_SIGNAL, .sigev_signo = 99};
	CHECK(timer_create(CLOCK_MONOTONIC, &sev, &t) == -1 && errno == EINVAL, "bad signal");
	/* not inherited by a forked child */
	sev = (struct sigevent){.sigev_notify = SIGEV_NONE};
	CHECK(timer_create(CLOCK_MONOTONIC, &sev, &t) == 0, "create");
	pid_t pid = fork();
	if (pid == 0)
		_exit(timer_gettime(t, &cur) == -1 && errno == EINVAL ? 0 : 1);
	int st;
	CHECK(waitpid(pid, &st, 0) == pid && st == 0, "the child has no timer: %#x", st);
	timer_delete(t);
}

/* A 1 µs interval timer and a handler, forever: only --timeout ends it. */
static int storm(void)
{
	handle(SIGALRM, on_alarm, SA_RESTART);
	int tf = timerfd_create(CLOCK_MONOTONIC, 0);
	struct itimerspec its = {.it_interval = {0, 1}, .it_value = {0, 1}};
	timerfd_settime(tf, 0, &its, NULL);
	printf("storm started\n"); /* the handler may leave no time for a write after this */
	struct itimerval itv = {.it_interval = {0, 1}, .it_value = {0, 1}};
	setitimer(ITIMER_REAL, &itv, NULL);
	for (uint64_t n;;)
		if (read(tf, &n, 8) < 0 && errno != EINTR)
			return 1;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc > 1 && strcmp(argv[1], "storm") == 0)
		return storm();
	timerfds();
	signalfds();
	alarms_itimers();
	posix_timers();
	if (failures) {
		printf("%d failures\n", failures);
		return 1;
	}
	printf("timers ok\n");
	return 0;
}
