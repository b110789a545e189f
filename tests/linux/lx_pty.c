/* --linux test program: a pty pair from /dev/ptmx — canonical lines, echo, ICRNL/ONLCR, VEOF, ^C as SIGINT to the foreground group, window size with SIGWINCH, a shell (argv[1]) driven through the master; prints "pty ok" or the first check that failed. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "lx_check.h"


/* Reads the master until `want` shows up (or EOF/EIO); true if it did. */
static int read_until(int m, const char *want, char *all, size_t size)
{
	size_t got = 0;
	all[0] = '\0';
	for (int i = 0; i < 200 && !strstr(all, want); i++) {
		ssize_t n = read(m, all + got, size - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		all[got] = '\0';
	}
	return strstr(all, want) != NULL;
}

static volatile sig_atomic_t got_int, got_winch;
static void on_int(int sig)
{
	got_int = 1;
}
static void on_winch(int sig)
{
	got_winch = 1;
}

/* A session leader with the slave as its terminal. */
static int take_slave(const char *name)
{
	if (setsid() < 0)
		return -1;
	int s = open(name, O_RDWR);
	if (s < 0 || ioctl(s, TIOCSCTTY, 0) < 0)
		return -1;
	return s;
}

int main(int argc, char **argv)
{
	char buf[4096], name[64];
	setvbuf(stdout, NULL, _IONBF, 0); /* a failure shows even if a later check hangs */
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	check(m >= 0 && grantpt(m) == 0, "posix_openpt, grantpt");
	check(ptsname_r(m, name, sizeof(name)) == 0 && strncmp(name, "/dev/pts/", 9) == 0,
	      "ptsname is /dev/pts/N");
	check(open(name, O_RDWR | O_NOCTTY) < 0 && errno == EIO, "a locked slave: EIO");
	check(unlockpt(m) == 0, "unlockpt");
	int s = open(name, O_RDWR | O_NOCTTY);
	check(s >= 0 && isatty(s), "the slave opens and is a tty");
	/* canonical input with echo: ICRNL turns the \r into \n */
	check(write(m, "abc\r", 4) == 4, "write to the master");
	ssize_t n = read(s, buf, sizeof(buf));
	check(n == 4 && memcmp(buf, "abc\n", 4) == 0, "the slave reads one line, \\r made \\n");
	check(read_until(m, "abc\r\n", buf, sizeof(buf)), "the master reads the echo");
	/* output: ONLCR */
	check(write(s, "x\n", 2) == 2 && read(m, buf, sizeof(buf)) == 3 &&
		  memcmp(buf, "x\r\n", 3) == 0,
	      "slave output \\n reaches the master as \\r\\n");
	/* VEOF on an empty line: a read of 0 */
	check(write(m, "\x04", 1) == 1 && read(s, buf, sizeof(buf)) == 0, "^D gives end of file");
	/* raw mode: no echo, bytes as they come */
	struct termios t;
	check(tcgetattr(s, &t) == 0, "tcgetattr");
	cfmakeraw(&t);
	check(tcsetattr(s, TCSANOW, &t) == 0, "tcsetattr raw");
	check(write(m, "q", 1) == 1 && read(s, buf, 1) == 1 && buf[0] == 'q', "raw: one byte");
	close(s);

	/* a session with the slave as its terminal: ^C and window size */
	m = posix_openpt(O_RDWR | O_NOCTTY);
	check(m >= 0 && grantpt(m) == 0 && unlockpt(m) == 0 && ptsname_r(m, name, 64) == 0,
	      "second pty");
	pid_t child = fork();
	if (child == 0) {
		signal(SIGINT, on_int);
		signal(SIGWINCH, on_winch);
		int cs = take_slave(name);
		if (cs < 0)
			_exit(3);
		dprintf(cs, "ready pgrp=%d\n", tcgetpgrp(cs) == getpgrp());
		while (!got_winch)
			usleep(1000); /* the flag is looked at again after each signal */
		struct winsize ws;
		ioctl(cs, TIOCGWINSZ, &ws);
		dprintf(cs, "winch %ux%u\n", ws.ws_row, ws.ws_col);
		while (!got_int)
			usleep(1000);
		dprintf(cs, "got INT\n");
		_exit(0);
	}
	check(read_until(m, "ready pgrp=1", buf, sizeof(buf)), "the child took the terminal");
	struct winsize ws = {.ws_row = 50, .ws_col = 132};
	check(ioctl(m, TIOCSWINSZ, &ws) == 0, "TIOCSWINSZ");
	check(read_until(m, "winch 50x132", buf, sizeof(buf)), "SIGWINCH and the new size");
	check(write(m, "\x03", 1) == 1, "write ^C");
	check(read_until(m, "got INT", buf, sizeof(buf)), "^C is SIGINT to the foreground group");
	int st;
	check(waitpid(child, &st, 0) == child && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "the child ends");

	/* a shell driven through the master, as expect or script does */
	if (argc > 1) {
		/* held open until the shell has it: no hangup (EIO) meanwhile */
		int held = open(name, O_RDWR | O_NOCTTY);
		check(held >= 0, "open the slave before the shell starts");
		child = fork();
		if (child == 0) {
			int cs = take_slave(name);
			if (cs < 0)
				_exit(3);
			dup2(cs, 0);
			dup2(cs, 1);
			dup2(cs, 2);
			close(held);
			execl(argv[1], argv[1], (char *)NULL);
			_exit(4);
		}
		check(write(m, "echo hi$((40+2))\n", 17) == 17, "write a command");
		check(read_until(m, "hi42", buf, sizeof(buf)), "the shell's output comes back");
		close(held);
		check(write(m, "exit 5\n", 7) == 7, "write exit");
		check(waitpid(child, &st, 0) == child && WIFEXITED(st) && WEXITSTATUS(st) == 5,
		      "the shell exits 5");
	}
	if (!fails)
		printf("pty ok\n");
	return fails ? 1 : 0;
}
