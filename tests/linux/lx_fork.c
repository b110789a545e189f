/* --linux test program: processes — a forked child's writes stay its own, waitpid statuses (exit code, killed by a signal or a fault), WNOHANG, a SIGCHLD handler, setpgid and kill(-pgid), vfork+exec, posix_spawn, a pipe between parent and child; "fork-bomb" forks until EAGAIN, "fork-bomb-forever" goes on trying; "kill-faulting N" kills, N times, a child that takes page fault after page fault. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
static int failures;
static volatile int chld;

#define CHECK(cond, what)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			printf("FAIL line %d: %s (errno %d %s)\n", __LINE__, what, errno,          \
			       strerror(errno));                                                   \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

static void on_chld(int sig)
{
	chld++;
}

static char page[3 * 4096];
static volatile int *volatile bad; /* NULL */

static void cow(void)
{
	memset(page, 'p', sizeof(page));
	char *shared = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(shared != MAP_FAILED, "mmap shared");
	shared[0] = 'p';
	pid_t pid = fork();
	if (pid == 0) {
		memset(page, 'c', sizeof(page));
		shared[0] = 'c';
		_exit(page[4096] == 'c' ? 3 : 4);
	}
	CHECK(pid > 1, "fork returns the child's pid");
	int st = 0;
	CHECK(waitpid(pid, &st, 0) == pid, "waitpid");
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 3, "the child's exit code 3");
	CHECK(page[0] == 'p' && page[4096] == 'p' && page[8191] == 'p',
	      "the parent's copy is unchanged by the child's writes");
	CHECK(shared[0] == 'c', "MAP_SHARED is shared with the child");
	memset(page, 'q', sizeof(page)); /* the parent writes again after the child left */
	CHECK(page[100] == 'q', "the parent writes its pages");
}

static void statuses(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		pause();
		_exit(0);
	}
	int st = 0;
	CHECK(waitpid(pid, &st, WNOHANG) == 0, "WNOHANG with a running child: 0");
	CHECK(kill(pid, SIGTERM) == 0, "kill the child");
	CHECK(waitpid(pid, &st, 0) == pid, "waitpid after kill");
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM, "killed by SIGTERM");
	pid = fork();
	if (pid == 0)
		*bad = 1; /* a fault without a handler kills the child alone */
	CHECK(waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV,
	      "a child's unhandled fault: killed by SIGSEGV, the parent goes on");
	CHECK(waitpid(-1, &st, WNOHANG) == -1 && errno == ECHILD, "no child left: ECHILD");
	CHECK(getppid() == 0 || getppid() > 0, "getppid");
	pid = fork();
	if (pid == 0)
		_exit(getppid() == 1 ? 0 : 1);
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "the child's parent is pid 1");
}

static void sigchld(void)
{
	struct sigaction sa = {.sa_handler = on_chld};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
	pid_t pid = fork();
	if (pid == 0)
		_exit(5);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	CHECK(chld == 1, "the SIGCHLD handler ran once");
	signal(SIGCHLD, SIG_DFL);
}

static void groups(void)
{
	int fds[2];
	CHECK(pipe(fds) == 0, "pipe");
	pid_t kids[2];
	for (int i = 0; i < 2; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			close(fds[0]);
			CHECK(setpgid(0, i == 0 ? 0 : getpgid(kids[0])) == 0 || 1, "setpgid in child");
			write(fds[1], "r", 1);
			for (;;)
				pause();
		}
		setpgid(kids[i], kids[0]); /* as a shell: both sides set it */
	}
	close(fds[1]);
	char c;
	CHECK(read(fds[0], &c, 1) == 1 && read(fds[0], &c, 1) == 1, "children ready");
	CHECK(getpgid(kids[1]) == kids[0], "the second child is in the first's group");
	CHECK(getpgid(0) != kids[0], "the parent is not");
	CHECK(kill(-kids[0], SIGKILL) == 0, "kill the group");
	for (int i = 0; i < 2; i++) {
		int st = 0;
		CHECK(waitpid(kids[i], &st, 0) == kids[i] && WIFSIGNALED(st) &&
			  WTERMSIG(st) == SIGKILL,
		      "each group member killed");
	}
	CHECK(read(fds[0], &c, 1) == 0, "the pipe's writers are gone: EOF");
	close(fds[0]);
	CHECK(kill(-kids[0], 0) == -1 && errno == ESRCH, "the group is gone");
}

static void spawn(const char *self)
{
	pid_t pid = vfork();
	if (pid == 0) {
		execl(self, self, "exit", "9", (char *)NULL);
		_exit(127);
	}
	int st = 0;
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 9,
	      "vfork + exec: exit 9");
	char *argv[] = {(char *)self, "exit", "11", NULL};
	CHECK(posix_spawn(&pid, self, NULL, NULL, argv, environ) == 0, "posix_spawn");
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 11,
	      "posix_spawn: exit 11");
}

static int bomb(int forever)
{
	int n = 0;
	for (;;) {
		pid_t pid = fork();
		if (pid == 0) {
			for (;;)
				pause();
		}
		if (pid < 0 && forever)
			continue; /* only --timeout ends it */
		if (pid < 0) {
			printf("fork failed after %d children: %s\n", n, strerror(errno));
			return errno == EAGAIN ? 0 : 1;
		}
		n++;
	}
}

/* N times: a child takes one page fault after another (each page of a big
 * mapping written once) and is killed while it does. With several vCPUs the
 * kill is served on the parent's while the child's is often in its fault's
 * ring-0 stub or has KVM delivering its #PF: that must end with the child,
 * not go on on the child's freed page tables (a triple fault of the VM). */
static int kill_faulting(int n)
{
	const size_t len = (size_t)256 << 20;
	char *mem = mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			 -1, 0);
	if (mem == MAP_FAILED)
		return printf("kill-faulting: mmap: %s\n", strerror(errno)), 1;
	for (int i = 0; i < n; i++) {
		int fds[2];
		if (pipe(fds) < 0)
			return printf("kill-faulting: pipe: %s\n", strerror(errno)), 1;
		pid_t pid = fork();
		if (pid == 0) {
			if (write(fds[1], "r", 1) != 1)
				_exit(1);
			for (size_t off = 0;; off = (off + 4096) % len)
				mem[off] = 1;
		}
		char c;
		if (pid < 0 || read(fds[0], &c, 1) != 1)
			return printf("kill-faulting: round %d: no child\n", i), 1;
		close(fds[0]);
		close(fds[1]);
		usleep((useconds_t)(i % 5) * 100); /* the kill lands at another point each round */
		int st = 0;
		if (kill(pid, SIGKILL) != 0 || waitpid(pid, &st, 0) != pid || !WIFSIGNALED(st) ||
		    WTERMSIG(st) != SIGKILL)
			return printf("kill-faulting: round %d: status 0x%x\n", i, st), 1;
	}
	printf("killed %d faulting children\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 2 && strcmp(argv[1], "kill-faulting") == 0)
		return kill_faulting(atoi(argv[2]));
	if (argc > 2 && strcmp(argv[1], "exit") == 0)
		return atoi(argv[2]);
	if (argc > 1 && strncmp(argv[1], "fork-bomb", 9) == 0)
		return bomb(strcmp(argv[1], "fork-bomb-forever") == 0);
	cow();
	statuses();
	sigchld();
	groups();
	spawn(argv[0]);
	if (failures)
		return 1;
	printf("fork ok\n");
	return 0;
}
