/* --linux: prctl (name, parent-death signal, child subreaper, no_new_privs, dumpable), nice values, the set*id calls, membarrier, mlock and personality, each as Linux answers; prints "prctl ok" or the checks that failed. */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lx_checkline.h"

static long sys(long nr, long a, long b, long c, long d, long e)
{
	return syscall(nr, a, b, c, d, e);
}

/* The first line of a /proc file, without its newline. */
static void read_line(const char *path, char *out, size_t size)
{
	out[0] = '\0';
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return;
	ssize_t n = read(fd, out, size - 1);
	close(fd);
	out[n > 0 ? n : 0] = '\0';
	char *nl = strchr(out, '\n');
	if (nl)
		*nl = '\0';
}

/* Field n (from 1) of /proc/self/stat, past the comm in parentheses. */
static long stat_field(int n)
{
	char line[1024];
	read_line("/proc/self/stat", line, sizeof(line));
	char *p = strrchr(line, ')');
	if (!p)
		return -999;
	p += 2; /* field 3 */
	for (int f = 3; f < n && p; f++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	return p ? strtol(p, NULL, 10) : -999;
}

static void names(void)
{
	char name[32] = {0}, comm[64], path[64];
	CHECK(sys(SYS_prctl, PR_SET_NAME, (long)"worker-name-longer-than-15", 0, 0, 0) == 0,
	      "prctl: PR_SET_NAME");
	CHECK(sys(SYS_prctl, PR_GET_NAME, (long)name, 0, 0, 0) == 0 &&
		  strcmp(name, "worker-name-lon") == 0,
	      "prctl: PR_GET_NAME gives the first 15 bytes, got '%s'", name);
	read_line("/proc/self/comm", comm, sizeof(comm));
	CHECK(strcmp(comm, "worker-name-lon") == 0, "prctl: /proc/self/comm follows, got '%s'",
	      comm);
	snprintf(path, sizeof(path), "/proc/self/task/%d/comm", getpid());
	read_line(path, comm, sizeof(comm));
	CHECK(strcmp(comm, "worker-name-lon") == 0, "prctl: %s follows, got '%s'", path, comm);
	CHECK(sys(SYS_prctl, PR_SET_NAME, 8, 0, 0, 0) == -1 && errno == EFAULT,
	      "prctl: PR_SET_NAME of a bad address is EFAULT");
}

static void flags(void)
{
	CHECK(sys(SYS_prctl, PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 0, "prctl: no_new_privs starts 0");
	CHECK(sys(SYS_prctl, PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0) == -1 && errno == EINVAL,
	      "prctl: PR_SET_NO_NEW_PRIVS 0 is EINVAL");
	CHECK(sys(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0, "prctl: PR_SET_NO_NEW_PRIVS 1");
	CHECK(sys(SYS_prctl, PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1, "prctl: no_new_privs is 1 now");
	CHECK(sys(SYS_prctl, PR_GET_DUMPABLE, 0, 0, 0, 0) == 1, "prctl: dumpable starts 1");
	CHECK(sys(SYS_prctl, PR_SET_DUMPABLE, 0, 0, 0, 0) == 0 &&
		  sys(SYS_prctl, PR_GET_DUMPABLE, 0, 0, 0, 0) == 0,
	      "prctl: PR_SET_DUMPABLE 0 is kept");
	CHECK(sys(SYS_prctl, PR_SET_DUMPABLE, 2, 0, 0, 0) == -1 && errno == EINVAL,
	      "prctl: PR_SET_DUMPABLE 2 is EINVAL");
	CHECK(sys(SYS_prctl, PR_SET_DUMPABLE, 1, 0, 0, 0) == 0, "prctl: PR_SET_DUMPABLE 1");
	CHECK(sys(SYS_prctl, 9999, 0, 0, 0, 0) == -1 && errno == EINVAL,
	      "prctl: an unknown option is EINVAL");
	int sig = -1;
	CHECK(sys(SYS_prctl, PR_SET_PDEATHSIG, 65, 0, 0, 0) == -1 && errno == EINVAL,
	      "prctl: PR_SET_PDEATHSIG 65 is EINVAL");
	CHECK(sys(SYS_prctl, PR_GET_PDEATHSIG, (long)&sig, 0, 0, 0) == 0 && sig == 0,
	      "prctl: no parent-death signal at first (%d)", sig);
}

/*
 * The test process is a child subreaper; its child A forks B (which asks
 * for SIGTERM when its parent dies) and C (which does not). When A exits,
 * B is killed by SIGTERM and C sees the test process as its parent; both
 * are reaped here.
 */
static void orphans(void)
{
	int on = 0, ready[2], go[2];
	CHECK(sys(SYS_prctl, PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0, "prctl: SET_CHILD_SUBREAPER");
	CHECK(sys(SYS_prctl, PR_GET_CHILD_SUBREAPER, (long)&on, 0, 0, 0) == 0 && on == 1,
	      "prctl: GET_CHILD_SUBREAPER says 1 (%d)", on);
	if (pipe(ready) || pipe(go)) {
		CHECK(0, "pipe");
		return;
	}
	pid_t me = getpid(), a = fork();
	if (a == 0) {
		pid_t b = fork();
		if (b == 0) {
			int sig = 0;
			close(go[0]);
			close(go[1]);
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			prctl(PR_GET_PDEATHSIG, &sig);
			if (write(ready[1], sig == SIGTERM ? "b" : "x", 1) != 1)
				_exit(3);
			for (;;)
				pause();
		}
		pid_t c = fork();
		if (c == 0) {
			close(go[1]);
			char x;
			(void)!read(go[0], &x, 1); /* A's end closes: EOF once A is gone */
			for (int i = 0; i < 1000 && getppid() != me; i++)
				usleep(1000);
			_exit(getppid() == me ? 42 : 43);
		}
		close(go[1]);
		char x;
		(void)!read(go[0], &x, 1); /* the test process says when */
		_exit(7);
	}
	char got = 0;
	CHECK(read(ready[0], &got, 1) == 1 && got == 'b', "pdeathsig: B set its signal (%c)", got);
	int st = 0;
	close(go[0]);
	close(go[1]); /* A, then C, read EOF */
	CHECK(waitpid(a, &st, 0) == a && WIFEXITED(st) && WEXITSTATUS(st) == 7,
	      "pdeathsig: A exits 7 (status 0x%x)", st);
	int killed = 0, reparented = 0;
	for (int i = 0; i < 2; i++) {
		pid_t w = waitpid(-1, &st, 0);
		if (w < 0)
			break;
		if (WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM)
			killed++;
		else if (WIFEXITED(st) && WEXITSTATUS(st) == 42)
			reparented++;
		else
			CHECK(0, "orphans: pid %d ended with status 0x%x", (int)w, st);
	}
	CHECK(killed == 1, "pdeathsig: the orphan that asked got SIGTERM and the subreaper reaped it");
	CHECK(reparented == 1,
	      "subreaper: the other orphan's parent is the subreaper, which reaps it");
}

static void nice_values(void)
{
	errno = 0;
	CHECK(getpriority(PRIO_PROCESS, 0) == 0 && errno == 0, "nice: starts 0");
	CHECK(sys(SYS_getpriority, PRIO_PROCESS, 0, 0, 0, 0) == 20,
	      "nice: the raw getpriority answers 20 - nice");
	CHECK(setpriority(PRIO_PROCESS, 0, 5) == 0 && getpriority(PRIO_PROCESS, 0) == 5,
	      "nice: setpriority 5");
	CHECK(stat_field(19) == 5 && stat_field(18) == 25,
	      "nice: /proc/self/stat shows nice 5, priority 25 (%ld %ld)", stat_field(19),
	      stat_field(18));
	CHECK(setpriority(PRIO_PROCESS, 0, 99) == 0 && getpriority(PRIO_PROCESS, 0) == 19,
	      "nice: clamped to 19");
	CHECK(setpriority(PRIO_PROCESS, 999999, 1) == -1 && errno == ESRCH,
	      "nice: no such process is ESRCH");
	CHECK(setpriority(77, 0, 1) == -1 && errno == EINVAL, "nice: an unknown which is EINVAL");
	pid_t c = fork();
	if (c == 0)
		_exit(getpriority(PRIO_PROCESS, 0) == 19 ? 0 : 1);
	int st = 0;
	CHECK(waitpid(c, &st, 0) == c && st == 0, "nice: a child starts with its parent's");
	CHECK(setpriority(PRIO_PROCESS, 0, 0) == 0, "nice: root may lower it again");
}

/* As uid 1000 (a child): who may change what. */
static int unprivileged(void)
{
	gid_t groups[4];
	int bad = 0;
#define MUST(c)                                                                                    \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			printf("FAIL child: %s (errno %d)\n", #c, errno);                          \
			bad = 1;                                                                   \
		}                                                                                  \
	} while (0)
	gid_t set[2] = {7, 8};
	MUST(sys(SYS_setgroups, 2, (long)set, 0, 0, 0) == 0);
	MUST(sys(SYS_getgroups, 4, (long)groups, 0, 0, 0) == 2 && groups[0] == 7 && groups[1] == 8);
	MUST(sys(SYS_setgid, 1001, 0, 0, 0, 0) == 0 && getgid() == 1001 && getegid() == 1001);
	MUST(sys(SYS_setuid, -1, 0, 0, 0, 0) == -1 && errno == EINVAL);
	MUST(sys(SYS_setreuid, 1000, 1000, 0, 0, 0) == 0 && getuid() == 1000 && geteuid() == 1000);
	MUST(sys(SYS_setuid, 0, 0, 0, 0, 0) == -1 && errno == EPERM);
	MUST(sys(SYS_setreuid, 0, -1, 0, 0, 0) == -1 && errno == EPERM);
	MUST(sys(SYS_setresuid, -1, 0, -1, 0, 0) == -1 && errno == EPERM);
	MUST(sys(SYS_setgid, 0, 0, 0, 0, 0) == -1 && errno == EPERM);
	MUST(sys(SYS_setregid, 1001, 1001, 0, 0, 0) == 0);
	MUST(sys(SYS_setuid, 1000, 0, 0, 0, 0) == 0 && getuid() == 1000);
	MUST(sys(SYS_setresuid, 1000, 1000, 1000, 0, 0) == 0);
	MUST(sys(SYS_setgroups, 0, 0, 0, 0, 0) == -1 && errno == EPERM);
	MUST(sys(SYS_setfsuid, 0, 0, 0, 0, 0) == 1000 && getuid() == 1000);
	MUST(sys(SYS_setfsgid, -1, 0, 0, 0, 0) == 1001);
	MUST(setpriority(PRIO_PROCESS, 0, 3) == 0);
	MUST(setpriority(PRIO_PROCESS, 0, 2) == -1 && errno == EACCES);
	char line[256] = "";
	FILE *f = fopen("/proc/self/status", "r");
	int uid_ok = 0;
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "Uid:", 4) == 0)
			uid_ok = strcmp(line, "Uid:\t1000\t1000\t1000\t1000\n") == 0;
	if (f)
		fclose(f);
	MUST(uid_ok);
	return bad;
}

static void ids(void)
{
	if (getuid() != 0) {
		CHECK(0, "ids: the test runs as the VM's root");
		return;
	}
	pid_t c = fork();
	if (c == 0)
		_exit(unprivileged());
	int st = 0;
	CHECK(waitpid(c, &st, 0) == c && st == 0, "ids: uid 1000's calls (status 0x%x)", st);
	CHECK(getuid() == 0, "ids: the parent is still root");
}

static void memory(void)
{
	long q = sys(SYS_membarrier, 0 /* QUERY */, 0, 0, 0, 0);
	CHECK(q > 0 && (q & 8) && (q & 16), "membarrier: QUERY offers PRIVATE_EXPEDITED (%ld)", q);
	CHECK(sys(SYS_membarrier, 8, 0, 0, 0, 0) == -1 && errno == EPERM,
	      "membarrier: PRIVATE_EXPEDITED before REGISTER is EPERM");
	CHECK(sys(SYS_membarrier, 16, 0, 0, 0, 0) == 0 && sys(SYS_membarrier, 8, 0, 0, 0, 0) == 0,
	      "membarrier: REGISTER, then PRIVATE_EXPEDITED");
	CHECK(sys(SYS_membarrier, 8, 1, 0, 0, 0) == -1 && errno == EINVAL,
	      "membarrier: flags are EINVAL");
	CHECK(sys(SYS_membarrier, 1 << 20, 0, 0, 0, 0) == -1 && errno == EINVAL,
	      "membarrier: an unknown command is EINVAL");

	char *p = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED, "mmap");
	CHECK(mlock(p + 100, 8000) == 0 && munlock(p, 3 * 4096) == 0, "mlock: a mapped range");
	CHECK(munmap(p + 4096, 4096) == 0, "munmap the middle page");
	CHECK(mlock(p, 3 * 4096) == -1 && errno == ENOMEM, "mlock: a hole in the range is ENOMEM");
	CHECK(munlock(p + 4096, 10) == -1 && errno == ENOMEM, "munlock: an unmapped page is ENOMEM");
	CHECK(sys(SYS_mlock2, (long)p, 4096, 1, 0, 0) == 0, "mlock2: MLOCK_ONFAULT");
	CHECK(sys(SYS_mlock2, (long)p, 4096, 2, 0, 0) == -1 && errno == EINVAL,
	      "mlock2: an unknown flag is EINVAL");
	CHECK(sys(SYS_mlock, -4096L, 8192, 0, 0, 0) == -1 && errno == EINVAL,
	      "mlock: a range that wraps is EINVAL");
	CHECK(mlock(p, 0) == 0, "mlock: an empty range");
	CHECK(mlockall(0) == -1 && errno == EINVAL, "mlockall: no flag is EINVAL");
	CHECK(mlockall(MCL_ONFAULT) == -1 && errno == EINVAL, "mlockall: MCL_ONFAULT alone");
	CHECK(mlockall(MCL_CURRENT | MCL_FUTURE) == 0 && munlockall() == 0, "mlockall, munlockall");

	CHECK(sys(SYS_personality, 0xffffffffL, 0, 0, 0, 0) == 0, "personality: query is PER_LINUX");
	CHECK(sys(SYS_personality, 0, 0, 0, 0, 0) == 0, "personality: PER_LINUX");
	CHECK(sys(SYS_personality, 0x0400000, 0, 0, 0, 0) == -1 && errno == EINVAL,
	      "personality: READ_IMPLIES_EXEC is EINVAL");
	CHECK(sys(334 /* rseq */, 0, 0, 0, 0, 0) == -1 && errno == ENOSYS, "rseq stays ENOSYS");
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	names();
	flags();
	nice_values();
	ids();
	memory();
	orphans();
	if (failures)
		return 1;
	printf("prctl ok\n");
	return 0;
}
