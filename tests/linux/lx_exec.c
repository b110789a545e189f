/* --linux test program: execve/execveat and what a new image gets (auxv values as Linux gives them, close-on-exec fds closed, caught signals reset, ignored ones and the mask kept, errors that leave the caller intact; a write into the program's own read-only data changes only the writer's copy). */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;
extern const Elf64_Ehdr __ehdr_start;
extern void _start(void);

static int failures;

#define CHECK(cond, what)                                                                          \
	do {                                                                                       \
		if (cond) {                                                                        \
			printf("ok %s\n", what);                                                   \
		} else {                                                                           \
			printf("FAILED %s (errno %d %s)\n", what, errno, strerror(errno));         \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

static void on_usr1(int sig)
{
}

/* auxv: every value a libc start-up reads, checked against what it means. */
static int auxv(const char *want_execfn)
{
	const Elf64_Phdr *phdr = (const Elf64_Phdr *)getauxval(AT_PHDR);
	CHECK(phdr == (const Elf64_Phdr *)((const char *)&__ehdr_start + __ehdr_start.e_phoff),
	      "AT_PHDR: this program's headers");
	CHECK(getauxval(AT_PHENT) == sizeof(Elf64_Phdr), "AT_PHENT: 56");
	CHECK(getauxval(AT_PHNUM) == __ehdr_start.e_phnum, "AT_PHNUM: e_phnum");
	CHECK(getauxval(AT_PAGESZ) == 4096, "AT_PAGESZ: 4096");
	CHECK(getauxval(AT_ENTRY) == (unsigned long)&_start, "AT_ENTRY: _start");
	unsigned long base = getauxval(AT_BASE);
	if (want_execfn && getenv("LX_DYNAMIC"))
		CHECK(base != 0 && base % 4096 == 0 && (base > (unsigned long)&_start),
		      "AT_BASE: the interpreter's page-aligned base");
	else
		CHECK(base == 0, "AT_BASE: 0 without an interpreter");
	CHECK(getauxval(AT_UID) == 0 && getauxval(AT_EUID) == 0 && getauxval(AT_GID) == 0 &&
		  getauxval(AT_EGID) == 0,
	      "AT_UID, AT_EUID, AT_GID, AT_EGID: 0");
	errno = 0;
	CHECK(getauxval(AT_SECURE) == 0 && errno == 0, "AT_SECURE: present, 0");
	CHECK(getauxval(AT_CLKTCK) == 100, "AT_CLKTCK: 100");
	CHECK(getauxval(AT_HWCAP) != 0, "AT_HWCAP: the CPU's features");
	errno = 0;
	getauxval(AT_HWCAP2);
	CHECK(errno == 0, "AT_HWCAP2: present");
	CHECK(getauxval(AT_MINSIGSTKSZ) >= 2048, "AT_MINSIGSTKSZ: at least 2048");
	const char *platform = (const char *)getauxval(AT_PLATFORM);
	CHECK(platform && strcmp(platform, "x86_64") == 0, "AT_PLATFORM: \"x86_64\"");
	const unsigned char *rnd = (const unsigned char *)getauxval(AT_RANDOM);
	int nonzero = 0;
	for (int i = 0; rnd && i < 16; i++)
		nonzero |= rnd[i];
	CHECK(rnd && nonzero, "AT_RANDOM: 16 bytes, not all zero");
	const char *execfn = (const char *)getauxval(AT_EXECFN);
	CHECK(execfn && (!want_execfn || strcmp(execfn, want_execfn) == 0),
	      "AT_EXECFN: the path execve was given");
	printf("execfn %s\n", execfn ? execfn : "(none)");
	errno = 0;
	CHECK(getauxval(AT_SYSINFO_EHDR) == 0 && errno == ENOENT, "AT_SYSINFO_EHDR: no vDSO");
	return failures;
}

/* The state a first image sets up, checked after the exec by "after". */
static int before(const char *self)
{
	int keep = open("/", O_RDONLY | O_DIRECTORY);
	int drop = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = SA_RESTART};
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGUSR2, SIG_IGN);
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	static char alt[65536];
	stack_t ss = {.ss_sp = alt, .ss_size = sizeof(alt)};
	sigaltstack(&ss, NULL);
	char k[16], d[16];
	snprintf(k, sizeof(k), "%d", keep);
	snprintf(d, sizeof(d), "%d", drop);
	char *argv[] = {(char *)self, "after", k, d, NULL};
	char *envp[] = {"LX_EXEC=passed", NULL};
	execve(self, argv, envp);
	printf("FAILED execve %s: %s\n", self, strerror(errno));
	return 1;
}

static int after(int keep, int drop)
{
	CHECK(fcntl(keep, F_GETFD) == 0, "exec keeps an fd without close-on-exec");
	CHECK(fcntl(drop, F_GETFD) == -1 && errno == EBADF, "exec closes a close-on-exec fd");
	struct sigaction sa;
	sigaction(SIGUSR1, NULL, &sa);
	CHECK(sa.sa_handler == SIG_DFL && sa.sa_flags == 0, "exec resets a caught signal");
	sigaction(SIGUSR2, NULL, &sa);
	CHECK(sa.sa_handler == SIG_IGN, "exec keeps an ignored signal ignored");
	sigset_t mask;
	sigprocmask(SIG_BLOCK, NULL, &mask);
	CHECK(sigismember(&mask, SIGTERM), "exec keeps the signal mask");
	stack_t ss;
	sigaltstack(NULL, &ss);
	CHECK(ss.ss_flags & SS_DISABLE, "exec clears the alternate signal stack");
	CHECK(getenv("LX_EXEC") && strcmp(getenv("LX_EXEC"), "passed") == 0 && !environ[1],
	      "exec passes exactly the new environment");
	return failures;
}

static const char *errno_name(int e)
{
	switch (e) {
	case ENOEXEC: return "ENOEXEC";
	case EACCES: return "EACCES";
	case ENOENT: return "ENOENT";
	case ELOOP: return "ELOOP";
	case E2BIG: return "E2BIG";
	case EFAULT: return "EFAULT";
	case ELIBBAD: return "ELIBBAD";
	case EINVAL: return "EINVAL";
	case ENOTDIR: return "ENOTDIR";
	default: return strerror(e);
	}
}

/* try PATH [ARGS...]: execve and, if it fails, say how and that the
 * caller is intact (its memory and stack still work). */
static int try_exec(char **argv)
{
	char *envp[] = {"LX_TRY=1", NULL};
	execve(argv[0], argv, envp);
	int e = errno;
	char *copy = strdup(argv[0]);
	printf("execve %s: %s\n", copy ? copy : "?", errno_name(e));
	free(copy);
	return 0;
}

/* big: an argument past MAX_ARG_STRLEN (128 KiB), then argv past ARG_MAX. */
static int big(const char *self)
{
	size_t n = 200 * 1024;
	char *huge = malloc(n + 1);
	memset(huge, 'x', n);
	huge[n] = '\0';
	char *argv[] = {(char *)self, huge, NULL};
	execve(self, argv, environ);
	printf("one 200 KiB argument: %s\n", errno_name(errno));
	static char *many[40001];
	char *arg = malloc(100);
	memset(arg, 'y', 99);
	arg[99] = '\0';
	many[0] = (char *)self;
	for (int i = 1; i < 40000; i++)
		many[i] = arg; /* 4 MB in all */
	execve(self, many, environ);
	printf("4 MB of arguments: %s\n", errno_name(errno));
	char *bad[] = {(char *)self, (char *)8, NULL};
	execve(self, bad, environ);
	printf("a bad argument pointer: %s\n", errno_name(errno));
	return 0;
}

/* at: execveat with AT_EMPTY_PATH on an fd, and relative to a dirfd. */
static int at(const char *dir, const char *name)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_RDONLY);
	char *argv[] = {(char *)name, "auxv", NULL};
	if (getenv("LX_AT_FD")) {
		syscall(SYS_execveat, fd, "", argv, environ, AT_EMPTY_PATH);
		printf("execveat AT_EMPTY_PATH: %s\n", errno_name(errno));
	}
	syscall(SYS_execveat, dfd, name, argv, environ, 0);
	printf("execveat dirfd: %s\n", errno_name(errno));
	return 1;
}

/* The exec cache maps the pages of a program's read-only segments from
 * frames every process running it shares: copy-on-write. "text write"
 * makes its read-only data writable, writes into it and execs itself;
 * "text check" (the same file, its pages from the same frames) must read
 * the file's bytes. */
static const char text_marker[] = "lx_exec read-only data, as the file has it";

static int text(const char *self, const char *stage)
{
	if (strcmp(stage, "start") == 0 || strcmp(stage, "write") == 0) {
		if (strcmp(stage, "write") == 0) {
			uintptr_t page = (uintptr_t)text_marker & ~(uintptr_t)4095;
			CHECK(mprotect((void *)page, 4096, PROT_READ | PROT_WRITE) == 0,
			      "mprotect of read-only data to read-write");
			((volatile char *)text_marker)[0] = 'X';
			CHECK(((volatile const char *)text_marker)[0] == 'X',
			      "a write into data made writable takes effect");
		}
		/* start: the first image (not read through the VM's tree) execs
		 * the file; write: the image the cache mapped execs it again. */
		char *args[] = {(char *)self, "text", strcmp(stage, "start") == 0 ? "write" : "check",
				NULL};
		execve(self, args, environ);
		CHECK(0, "execve of itself");
		return 1;
	}
	CHECK(((volatile const char *)text_marker)[0] == 'l',
	      "exec after a write into read-only data: the file's bytes (the writer had a copy)");
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc >= 2 && strcmp(argv[1], "auxv") == 0)
		return auxv(argc >= 3 ? argv[2] : NULL) ? 1 : 0;
	if (argc >= 2 && strcmp(argv[1], "before") == 0)
		return before(argv[0]);
	if (argc >= 4 && strcmp(argv[1], "after") == 0)
		return after(atoi(argv[2]), atoi(argv[3])) ? 1 : 0;
	if (argc >= 3 && strcmp(argv[1], "try") == 0)
		return try_exec(argv + 2);
	if (argc >= 2 && strcmp(argv[1], "big") == 0)
		return big(argv[0]);
	if (argc >= 4 && strcmp(argv[1], "at") == 0)
		return at(argv[2], argv[3]);
	if (argc >= 3 && strcmp(argv[1], "text") == 0)
		return text(argv[0], argv[2]);
	fprintf(stderr, "usage: lx_exec auxv [EXECFN] | before | try PATH ARGS... | big | at DIR NAME | text start\n");
	return 2;
}
