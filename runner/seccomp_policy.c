/* Seccomp allowlist files: parser, compiler to BPF, BPF hand-over via memfd. */
#include "seccomp_policy.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/* Not yet in Debian 12's headers; the kernels we run on (>= 6.3) know them. */
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#ifndef __X32_SYSCALL_BIT
#define __X32_SYSCALL_BIT 0x40000000U
#endif

struct seccomp_policy_constant {
	const char *name;
	uint64_t value;
};

/* clang-format off */
#define SECCOMP_CONST(x) { #x, (uint64_t)(x) }
/* clang-format on */

/* Named constants usable as values; extend here when a policy needs one. */
static const struct seccomp_policy_constant seccomp_constants[] = {
    /* KVM ioctl requests issued by a VMM (system, VM and vCPU fds). */
    SECCOMP_CONST(KVM_GET_API_VERSION),
    SECCOMP_CONST(KVM_CREATE_VM),
    SECCOMP_CONST(KVM_CHECK_EXTENSION),
    SECCOMP_CONST(KVM_GET_VCPU_MMAP_SIZE),
    SECCOMP_CONST(KVM_GET_SUPPORTED_CPUID),
    SECCOMP_CONST(KVM_GET_MSR_INDEX_LIST),
    SECCOMP_CONST(KVM_GET_MSR_FEATURE_INDEX_LIST),
    SECCOMP_CONST(KVM_CREATE_VCPU),
    SECCOMP_CONST(KVM_SET_USER_MEMORY_REGION),
    SECCOMP_CONST(KVM_SET_TSS_ADDR),
    SECCOMP_CONST(KVM_SET_IDENTITY_MAP_ADDR),
    SECCOMP_CONST(KVM_GET_DIRTY_LOG),
    SECCOMP_CONST(KVM_CLEAR_DIRTY_LOG),
    SECCOMP_CONST(KVM_CREATE_IRQCHIP),
    SECCOMP_CONST(KVM_CREATE_PIT2),
    SECCOMP_CONST(KVM_IRQ_LINE),
    SECCOMP_CONST(KVM_IRQFD),
    SECCOMP_CONST(KVM_IOEVENTFD),
    SECCOMP_CONST(KVM_ENABLE_CAP),
    SECCOMP_CONST(KVM_GET_CLOCK),
    SECCOMP_CONST(KVM_SET_CLOCK),
    SECCOMP_CONST(KVM_RUN),
    SECCOMP_CONST(KVM_GET_REGS),
    SECCOMP_CONST(KVM_SET_REGS),
    SECCOMP_CONST(KVM_GET_SREGS),
    SECCOMP_CONST(KVM_SET_SREGS),
    SECCOMP_CONST(KVM_GET_FPU),
    SECCOMP_CONST(KVM_SET_FPU),
    SECCOMP_CONST(KVM_SET_CPUID2),
    SECCOMP_CONST(KVM_GET_CPUID2),
    SECCOMP_CONST(KVM_GET_MSRS),
    SECCOMP_CONST(KVM_SET_MSRS),
    SECCOMP_CONST(KVM_GET_XSAVE),
    SECCOMP_CONST(KVM_SET_XSAVE),
    SECCOMP_CONST(KVM_GET_XCRS),
    SECCOMP_CONST(KVM_SET_XCRS),
    SECCOMP_CONST(KVM_GET_VCPU_EVENTS),
    SECCOMP_CONST(KVM_SET_VCPU_EVENTS),
    SECCOMP_CONST(KVM_SET_GUEST_DEBUG),
    SECCOMP_CONST(KVM_GET_DEBUGREGS),
    SECCOMP_CONST(KVM_SET_DEBUGREGS),
    SECCOMP_CONST(KVM_GET_LAPIC),
    SECCOMP_CONST(KVM_SET_LAPIC),
    SECCOMP_CONST(KVM_GET_MP_STATE),
    SECCOMP_CONST(KVM_SET_MP_STATE),
    SECCOMP_CONST(KVM_SET_SIGNAL_MASK),
    SECCOMP_CONST(KVM_INTERRUPT),
    SECCOMP_CONST(KVM_NMI),
    SECCOMP_CONST(KVM_TRANSLATE),
    SECCOMP_CONST(KVM_GET_TSC_KHZ),
    SECCOMP_CONST(KVM_SET_TSC_KHZ),
    SECCOMP_CONST(KVM_KVMCLOCK_CTRL),
    /* Terminal ioctls a console may issue. */
    SECCOMP_CONST(TCGETS),
    SECCOMP_CONST(TCSETS),
    SECCOMP_CONST(TIOCGWINSZ),
    SECCOMP_CONST(FIONREAD),
    SECCOMP_CONST(FIONBIO),
    SECCOMP_CONST(FIOCLEX),
    /* mmap / mprotect protections and flags. */
    SECCOMP_CONST(PROT_NONE),
    SECCOMP_CONST(PROT_READ),
    SECCOMP_CONST(PROT_WRITE),
    SECCOMP_CONST(PROT_EXEC),
    SECCOMP_CONST(PROT_GROWSDOWN),
    SECCOMP_CONST(PROT_GROWSUP),
    SECCOMP_CONST(MAP_SHARED),
    SECCOMP_CONST(MAP_PRIVATE),
    SECCOMP_CONST(MAP_SHARED_VALIDATE),
    SECCOMP_CONST(MAP_FIXED),
    SECCOMP_CONST(MAP_FIXED_NOREPLACE),
    SECCOMP_CONST(MAP_ANONYMOUS),
    SECCOMP_CONST(MAP_NORESERVE),
    SECCOMP_CONST(MAP_POPULATE),
    SECCOMP_CONST(MAP_STACK),
    SECCOMP_CONST(MAP_GROWSDOWN),
    SECCOMP_CONST(MAP_HUGETLB),
    SECCOMP_CONST(MAP_LOCKED),
    SECCOMP_CONST(MAP_NONBLOCK),
    SECCOMP_CONST(MAP_32BIT),
    SECCOMP_CONST(MAP_SYNC),
    /* madvise advice. */
    SECCOMP_CONST(MADV_NORMAL),
    SECCOMP_CONST(MADV_RANDOM),
    SECCOMP_CONST(MADV_SEQUENTIAL),
    SECCOMP_CONST(MADV_WILLNEED),
    SECCOMP_CONST(MADV_DONTNEED),
    SECCOMP_CONST(MADV_FREE),
    SECCOMP_CONST(MADV_REMOVE),
    SECCOMP_CONST(MADV_DONTFORK),
    SECCOMP_CONST(MADV_DOFORK),
    SECCOMP_CONST(MADV_MERGEABLE),
    SECCOMP_CONST(MADV_UNMERGEABLE),
    SECCOMP_CONST(MADV_HUGEPAGE),
    SECCOMP_CONST(MADV_NOHUGEPAGE),
    SECCOMP_CONST(MADV_DONTDUMP),
    SECCOMP_CONST(MADV_DODUMP),
    /* open flags. */
    SECCOMP_CONST(O_RDONLY),
    SECCOMP_CONST(O_WRONLY),
    SECCOMP_CONST(O_RDWR),
    SECCOMP_CONST(O_ACCMODE),
    SECCOMP_CONST(O_CREAT),
    SECCOMP_CONST(O_EXCL),
    SECCOMP_CONST(O_NOCTTY),
    SECCOMP_CONST(O_TRUNC),
    SECCOMP_CONST(O_APPEND),
    SECCOMP_CONST(O_NONBLOCK),
    SECCOMP_CONST(O_DSYNC),
    SECCOMP_CONST(O_SYNC),
    SECCOMP_CONST(O_ASYNC),
    SECCOMP_CONST(O_DIRECT),
    SECCOMP_CONST(O_DIRECTORY),
    SECCOMP_CONST(O_NOFOLLOW),
    SECCOMP_CONST(O_NOATIME),
    SECCOMP_CONST(O_CLOEXEC),
    SECCOMP_CONST(O_PATH),
    SECCOMP_CONST(O_TMPFILE),
    /* clone flags. */
    SECCOMP_CONST(CSIGNAL),
    SECCOMP_CONST(CLONE_VM),
    SECCOMP_CONST(CLONE_FS),
    SECCOMP_CONST(CLONE_FILES),
    SECCOMP_CONST(CLONE_SIGHAND),
    SECCOMP_CONST(CLONE_PIDFD),
    SECCOMP_CONST(CLONE_PTRACE),
    SECCOMP_CONST(CLONE_VFORK),
    SECCOMP_CONST(CLONE_PARENT),
    SECCOMP_CONST(CLONE_THREAD),
    SECCOMP_CONST(CLONE_NEWNS),
    SECCOMP_CONST(CLONE_SYSVSEM),
    SECCOMP_CONST(CLONE_SETTLS),
    SECCOMP_CONST(CLONE_PARENT_SETTID),
    SECCOMP_CONST(CLONE_CHILD_CLEARTID),
    SECCOMP_CONST(CLONE_DETACHED),
    SECCOMP_CONST(CLONE_UNTRACED),
    SECCOMP_CONST(CLONE_CHILD_SETTID),
    SECCOMP_CONST(CLONE_NEWCGROUP),
    SECCOMP_CONST(CLONE_NEWUTS),
    SECCOMP_CONST(CLONE_NEWIPC),
    SECCOMP_CONST(CLONE_NEWUSER),
    SECCOMP_CONST(CLONE_NEWPID),
    SECCOMP_CONST(CLONE_NEWNET),
    SECCOMP_CONST(CLONE_IO),
    /* futex operations (arg1). */
    SECCOMP_CONST(FUTEX_WAIT),
    SECCOMP_CONST(FUTEX_WAKE),
    SECCOMP_CONST(FUTEX_FD),
    SECCOMP_CONST(FUTEX_REQUEUE),
    SECCOMP_CONST(FUTEX_CMP_REQUEUE),
    SECCOMP_CONST(FUTEX_WAKE_OP),
    SECCOMP_CONST(FUTEX_LOCK_PI),
    SECCOMP_CONST(FUTEX_UNLOCK_PI),
    SECCOMP_CONST(FUTEX_TRYLOCK_PI),
    SECCOMP_CONST(FUTEX_WAIT_BITSET),
    SECCOMP_CONST(FUTEX_WAKE_BITSET),
    SECCOMP_CONST(FUTEX_WAIT_REQUEUE_PI),
    SECCOMP_CONST(FUTEX_CMP_REQUEUE_PI),
    SECCOMP_CONST(FUTEX_PRIVATE_FLAG),
    SECCOMP_CONST(FUTEX_CLOCK_REALTIME),
    SECCOMP_CONST(FUTEX_WAIT_PRIVATE),
    SECCOMP_CONST(FUTEX_WAKE_PRIVATE),
    SECCOMP_CONST(FUTEX_REQUEUE_PRIVATE),
    SECCOMP_CONST(FUTEX_CMP_REQUEUE_PRIVATE),
    SECCOMP_CONST(FUTEX_WAKE_OP_PRIVATE),
    SECCOMP_CONST(FUTEX_LOCK_PI_PRIVATE),
    SECCOMP_CONST(FUTEX_UNLOCK_PI_PRIVATE),
    SECCOMP_CONST(FUTEX_TRYLOCK_PI_PRIVATE),
    SECCOMP_CONST(FUTEX_WAIT_BITSET_PRIVATE),
    SECCOMP_CONST(FUTEX_WAKE_BITSET_PRIVATE),
    /* Address families (socket arg0). */
    SECCOMP_CONST(AF_UNSPEC),
    SECCOMP_CONST(AF_UNIX),
    SECCOMP_CONST(AF_INET),
    SECCOMP_CONST(AF_INET6),
    SECCOMP_CONST(AF_NETLINK),
    SECCOMP_CONST(AF_PACKET),
    SECCOMP_CONST(AF_VSOCK),
    /* Signals and sigprocmask operations. */
    SECCOMP_CONST(SIGHUP),
    SECCOMP_CONST(SIGINT),
    SECCOMP_CONST(SIGQUIT),
    SECCOMP_CONST(SIGILL),
    SECCOMP_CONST(SIGTRAP),
    SECCOMP_CONST(SIGABRT),
    SECCOMP_CONST(SIGBUS),
    SECCOMP_CONST(SIGFPE),
    SECCOMP_CONST(SIGKILL),
    SECCOMP_CONST(SIGUSR1),
    SECCOMP_CONST(SIGSEGV),
    SECCOMP_CONST(SIGUSR2),
    SECCOMP_CONST(SIGPIPE),
    SECCOMP_CONST(SIGALRM),
    SECCOMP_CONST(SIGTERM),
    SECCOMP_CONST(SIGSTKFLT),
    SECCOMP_CONST(SIGCHLD),
    SECCOMP_CONST(SIGCONT),
    SECCOMP_CONST(SIGSTOP),
    SECCOMP_CONST(SIGTSTP),
    SECCOMP_CONST(SIGTTIN),
    SECCOMP_CONST(SIGTTOU),
    SECCOMP_CONST(SIGURG),
    SECCOMP_CONST(SIGXCPU),
    SECCOMP_CONST(SIGXFSZ),
    SECCOMP_CONST(SIGVTALRM),
    SECCOMP_CONST(SIGPROF),
    SECCOMP_CONST(SIGWINCH),
    SECCOMP_CONST(SIGIO),
    SECCOMP_CONST(SIGPWR),
    SECCOMP_CONST(SIGSYS),
    /* glibc's internal real-time signals (nptl: __SIGRTMIN and __SIGRTMIN + 1). */
    {"SIGCANCEL", 32},
    {"SIGSETXID", 33},
    SECCOMP_CONST(SIG_BLOCK),
    SECCOMP_CONST(SIG_UNBLOCK),
    SECCOMP_CONST(SIG_SETMASK),
    /* Clocks, timerfd, eventfd, getrandom, memfd flags. */
    SECCOMP_CONST(CLOCK_REALTIME),
    SECCOMP_CONST(CLOCK_MONOTONIC),
    SECCOMP_CONST(CLOCK_MONOTONIC_RAW),
    SECCOMP_CONST(CLOCK_BOOTTIME),
    SECCOMP_CONST(CLOCK_PROCESS_CPUTIME_ID),
    SECCOMP_CONST(CLOCK_THREAD_CPUTIME_ID),
    SECCOMP_CONST(TFD_CLOEXEC),
    SECCOMP_CONST(TFD_NONBLOCK),
    SECCOMP_CONST(TFD_TIMER_ABSTIME),
    SECCOMP_CONST(EFD_CLOEXEC),
    SECCOMP_CONST(EFD_NONBLOCK),
    SECCOMP_CONST(EFD_SEMAPHORE),
    SECCOMP_CONST(GRND_NONBLOCK),
    SECCOMP_CONST(GRND_RANDOM),
    SECCOMP_CONST(MFD_CLOEXEC),
    SECCOMP_CONST(MFD_ALLOW_SEALING),
    SECCOMP_CONST(MFD_HUGETLB),
    SECCOMP_CONST(MFD_NOEXEC_SEAL),
    SECCOMP_CONST(MFD_EXEC),
    /* prctl options (arg0). */
    SECCOMP_CONST(PR_SET_NAME),
    SECCOMP_CONST(PR_GET_NAME),
    SECCOMP_CONST(PR_SET_NO_NEW_PRIVS),
    SECCOMP_CONST(PR_GET_NO_NEW_PRIVS),
    SECCOMP_CONST(PR_SET_SECCOMP),
    SECCOMP_CONST(PR_SET_DUMPABLE),
    SECCOMP_CONST(PR_GET_DUMPABLE),
    SECCOMP_CONST(PR_SET_PDEATHSIG),
    /* The VMM's setup phase (vmm_setup.policy): signalfd flags, fd-table sealing,
     * installing the steady-state filters. */
    SECCOMP_CONST(SFD_CLOEXEC),
    SECCOMP_CONST(SFD_NONBLOCK),
    SECCOMP_CONST(F_GETFD),
    SECCOMP_CONST(RLIMIT_NOFILE),
    SECCOMP_CONST(SECCOMP_SET_MODE_FILTER),
};

struct seccomp_policy_errno {
	const char *name;
	int value;
};

/* clang-format off */
#define SECCOMP_ERRNO(x) { #x, x }
/* clang-format on */

/* Errno names for `return ERRNO`; the first name of a value is printed. */
static const struct seccomp_policy_errno seccomp_errnos[] = {
    SECCOMP_ERRNO(EPERM),    SECCOMP_ERRNO(ENOENT),	  SECCOMP_ERRNO(ESRCH),
    SECCOMP_ERRNO(EINTR),    SECCOMP_ERRNO(EIO),	  SECCOMP_ERRNO(ENXIO),
    SECCOMP_ERRNO(E2BIG),    SECCOMP_ERRNO(ENOEXEC),	  SECCOMP_ERRNO(EBADF),
    SECCOMP_ERRNO(ECHILD),   SECCOMP_ERRNO(EAGAIN),	  SECCOMP_ERRNO(EWOULDBLOCK),
    SECCOMP_ERRNO(ENOMEM),   SECCOMP_ERRNO(EACCES),	  SECCOMP_ERRNO(EFAULT),
    SECCOMP_ERRNO(EBUSY),    SECCOMP_ERRNO(EEXIST),	  SECCOMP_ERRNO(EXDEV),
    SECCOMP_ERRNO(ENODEV),   SECCOMP_ERRNO(ENOTDIR),	  SECCOMP_ERRNO(EISDIR),
    SECCOMP_ERRNO(EINVAL),   SECCOMP_ERRNO(ENFILE),	  SECCOMP_ERRNO(EMFILE),
    SECCOMP_ERRNO(ENOTTY),   SECCOMP_ERRNO(ETXTBSY),	  SECCOMP_ERRNO(EFBIG),
    SECCOMP_ERRNO(ENOSPC),   SECCOMP_ERRNO(ESPIPE),	  SECCOMP_ERRNO(EROFS),
    SECCOMP_ERRNO(EMLINK),   SECCOMP_ERRNO(EPIPE),	  SECCOMP_ERRNO(ERANGE),
    SECCOMP_ERRNO(ENOSYS),   SECCOMP_ERRNO(EOPNOTSUPP),	  SECCOMP_ERRNO(ENOTSUP),
    SECCOMP_ERRNO(ENOTSOCK), SECCOMP_ERRNO(EAFNOSUPPORT), SECCOMP_ERRNO(ETIMEDOUT),
    SECCOMP_ERRNO(ENODATA),  SECCOMP_ERRNO(ECANCELED),
};

/* Largest errno a seccomp filter may return (the kernel's MAX_ERRNO). */
#define SECCOMP_POLICY_MAX_ERRNO 4095

const char *seccomp_policy_errno_name(int e)
{
	for (size_t i = 0; i < ARRAY_SIZE(seccomp_errnos); i++)
		if (seccomp_errnos[i].value == e)
			return seccomp_errnos[i].name;
	return NULL;
}

int seccomp_policy_mode_parse(const char *text, enum seccomp_policy_mode *mode)
{
	if (strcmp(text, "kill") == 0)
		*mode = SECCOMP_POLICY_MODE_KILL;
	else if (strcmp(text, "log") == 0)
		*mode = SECCOMP_POLICY_MODE_LOG;
	else if (strcmp(text, "trap") == 0)
		*mode = SECCOMP_POLICY_MODE_TRAP;
	else
		return -1;
	return 0;
}

/* ---- parser ---- */

struct seccomp_parse_file {
	dev_t dev;
	ino_t ino;
};

struct seccomp_parser {
	struct seccomp_policy *policy;
	size_t capacity;
	char *err;
	size_t errlen;
	struct seccomp_parse_file open[SECCOMP_POLICY_MAX_INCLUDE_DEPTH + 1];
	unsigned int depth;
	const char *file; /* location of the line being parsed */
	unsigned int line;
};

static int parse_error(struct seccomp_parser *p, const char *fmt, ...) PRINTF_LIKE(2, 3);
static int parse_error(struct seccomp_parser *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->line)
		snprintf(p->err, p->errlen, "%s:%u: %s", p->file, p->line, msg);
	else
		snprintf(p->err, p->errlen, "%s: %s", p->file, msg);
	return -1;
}

enum seccomp_token_kind {
	TOK_WORD,
	TOK_EQ,
	TOK_NE,
	TOK_AND,
	TOK_OR,
	TOK_AMP,
	TOK_BAR,
	TOK_END,
};

#define SECCOMP_TOKEN_MAX 64

struct seccomp_token {
	enum seccomp_token_kind kind;
	char text[SECCOMP_TOKEN_MAX];
};

struct seccomp_lexer {
	const char *pos;
	struct seccomp_token tok;
};

static bool is_word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

/* Reads the next token into lx->tok. */
static int lex_next(struct seccomp_parser *p, struct seccomp_lexer *lx)
{
	const char *s = lx->pos;
	struct seccomp_token *t = &lx->tok;
	static const struct {
		const char *text;
		enum seccomp_token_kind kind;
	} ops[] = {{"==", TOK_EQ}, {"!=", TOK_NE}, {"&&", TOK_AND},
		   {"||", TOK_OR}, {"&", TOK_AMP}, {"|", TOK_BAR}};

	while (*s == ' ' || *s == '\t')
		s++;
	t->text[0] = '\0';
	if (*s == '\0') {
		t->kind = TOK_END;
		snprintf(t->text, sizeof(t->text), "end of line");
		lx->pos = s;
		return 0;
	}
	if (is_word_char(*s)) {
		size_t n = 0;
		while (is_word_char(s[n]))
			n++;
		if (n >= sizeof(t->text))
			return parse_error(p, "syntax error: word too long: '%.20s...'", s);
		memcpy(t->text, s, n);
		t->text[n] = '\0';
		t->kind = TOK_WORD;
		lx->pos = s + n;
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++) {
		size_t n = strlen(ops[i].text);
		if (strncmp(s, ops[i].text, n) == 0) {
			t->kind = ops[i].kind;
			snprintf(t->text, sizeof(t->text), "%s", ops[i].text);
			lx->pos = s + n;
			return 0;
		}
	}
	return parse_error(p, "syntax error: unexpected character '%c'", *s);
}

/* Strict decimal or 0x-hex 64-bit number. */
static int parse_number(const char *text, uint64_t *out)
{
	uint64_t value = 0;
	const char *s = text;
	unsigned int base = 10;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (*s == '\0')
		return -1;
	for (; *s; s++) {
		unsigned int digit;
		if (*s >= '0' && *s <= '9')
			digit = (unsigned int)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			digit = (unsigned int)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			digit = (unsigned int)(*s - 'A' + 10);
		else
			return -1;
		if (__builtin_mul_overflow(value, base, &value) ||
		    __builtin_add_overflow(value, digit, &value))
			return -1;
	}
	*out = value;
	return 0;
}

static int resolve_atom(struct seccomp_parser *p, const char *word, uint64_t *out)
{
	if (word[0] >= '0' && word[0] <= '9') {
		if (parse_number(word, out) < 0)
			return parse_error(p, "bad number '%s'", word);
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(seccomp_constants); i++) {
		if (strcmp(seccomp_constants[i].name, word) == 0) {
			*out = seccomp_constants[i].value;
			return 0;
		}
	}
	return parse_error(p, "unknown constant '%s'", word);
}

/* VALUE := ATOM ('|' ATOM)*; leaves the token after VALUE in lx->tok. */
static int parse_value(struct seccomp_parser *p, struct seccomp_lexer *lx,
		       struct seccomp_policy_cmp *cmp)
{
	char text[256] = "";
	size_t used = 0;
	uint64_t value = 0;
	for (;;) {
		uint64_t atom = 0;
		int n;
		if (lx->tok.kind != TOK_WORD)
			return parse_error(p, "syntax error: expected a value, got '%s'",
					   lx->tok.text);
		if (resolve_atom(p, lx->tok.text, &atom) < 0)
			return -1;
		value |= atom;
		n = snprintf(text + used, sizeof(text) - used, "%s%s", used ? "|" : "",
			     lx->tok.text);
		if (n < 0 || (size_t)n >= sizeof(text) - used)
			return parse_error(p, "value too long");
		used += (size_t)n;
		if (lex_next(p, lx) < 0)
			return -1;
		if (lx->tok.kind != TOK_BAR)
			break;
		if (lex_next(p, lx) < 0)
			return -1;
	}
	cmp->value = value;
	cmp->text = strdup(text);
	if (!cmp->text)
		return parse_error(p, "out of memory");
	return 0;
}

static const char *const seccomp_op_text[] = {
    [SECCOMP_POLICY_OP_EQ] = "==",
    [SECCOMP_POLICY_OP_NE] = "!=",
    [SECCOMP_POLICY_OP_ALL] = "&",
    [SECCOMP_POLICY_OP_IN] = "in",
};

/* CMP := argN OP VALUE */
static int parse_cmp(struct seccomp_parser *p, struct seccomp_lexer *lx,
		     struct seccomp_policy_cmp *cmp)
{
	const char *w = lx->tok.text;
	uint64_t index;
	if (lx->tok.kind != TOK_WORD || strncmp(w, "arg", 3) != 0 ||
	    parse_uint(w + 3, 0, UINT32_MAX, &index) < 0 || (w[3] == '0' && w[4] != '\0'))
		return parse_error(p, "syntax error: expected argN, got '%s'", w);
	if (index >= SECCOMP_POLICY_MAX_ARGS)
		return parse_error(p, "argument index %" PRIu64 " out of range (arg0-arg5)", index);
	cmp->arg = (unsigned int)index;
	if (lex_next(p, lx) < 0)
		return -1;
	switch (lx->tok.kind) {
	case TOK_EQ: cmp->op = SECCOMP_POLICY_OP_EQ; break;
	case TOK_NE: cmp->op = SECCOMP_POLICY_OP_NE; break;
	case TOK_AMP: cmp->op = SECCOMP_POLICY_OP_ALL; break;
	default:
		if (lx->tok.kind == TOK_WORD && strcmp(lx->tok.text, "in") == 0) {
			cmp->op = SECCOMP_POLICY_OP_IN;
			break;
		}
		return parse_error(p,
				   "syntax error: expected '==', '!=', '&' or 'in' after 'arg%u', "
				   "got '%s'",
				   cmp->arg, lx->tok.text);
	}
	if (lex_next(p, lx) < 0)
		return -1;
	return parse_value(p, lx, cmp);
}

static void rule_clear(struct seccomp_policy_rule *rule)
{
	for (size_t i = 0; i < rule->ncmps; i++)
		free(rule->cmps[i].text);
	rule->ncmps = 0;
}

/*
 * Lowers a rule to libseccomp comparisons, one per argument: '==', '&' and
 * 'in' on one argument merge into a single masked-equal test. Returns the
 * number of comparisons, or -1 with a message (without location) in msg.
 */
static int rule_lower(const struct seccomp_policy_rule *rule,
		      struct scmp_arg_cmp out[SECCOMP_POLICY_MAX_ARGS], char *msg, size_t msglen)
{
	int n = 0;
	for (unsigned int arg = 0; arg < SECCOMP_POLICY_MAX_ARGS; arg++) {
		uint64_t mask = 0, datum = 0;
		size_t count = 0;
		const struct seccomp_policy_cmp *ne = NULL;
		for (size_t i = 0; i < rule->ncmps; i++) {
			const struct seccomp_policy_cmp *c = &rule->cmps[i];
			uint64_t m, d;
			if (c->arg != arg)
				continue;
			count++;
			switch (c->op) {
			case SECCOMP_POLICY_OP_NE: ne = c; continue;
			case SECCOMP_POLICY_OP_EQ:
				m = UINT64_MAX;
				d = c->value;
				break;
			case SECCOMP_POLICY_OP_ALL:
				m = c->value;
				d = c->value;
				break;
			default: /* SECCOMP_POLICY_OP_IN */
				m = ~c->value;
				d = 0;
				break;
			}
			if ((datum ^ d) & mask & m) {
				snprintf(msg, msglen, "conditions on arg%u can never hold together",
					 arg);
				return -1;
			}
			mask |= m;
			datum |= d;
		}
		if (count == 0)
			continue;
		if (ne && count > 1) {
			snprintf(msg, msglen,
				 "'!=' on arg%u cannot be combined with another test of arg%u", arg,
				 arg);
			return -1;
		}
		if (ne)
			out[n++] = SCMP_CMP64(arg, SCMP_CMP_NE, ne->value);
		else if (mask == UINT64_MAX)
			out[n++] = SCMP_CMP64(arg, SCMP_CMP_EQ, datum);
		else
			out[n++] = SCMP_CMP64(arg, SCMP_CMP_MASKED_EQ, mask, datum);
	}
	return n;
}

bool seccomp_policy_rule_arg_mask(const struct seccomp_policy_rule *rule, unsigned int arg,
				  uint64_t *mask, uint64_t *datum)
{
	struct scmp_arg_cmp cmps[SECCOMP_POLICY_MAX_ARGS];
	char msg[128];
	int n = rule_lower(rule, cmps, msg, sizeof(msg));
	for (int i = 0; i < n; i++) {
		if (cmps[i].arg != arg)
			continue;
		if (cmps[i].op == SCMP_CMP_EQ) {
			*mask = UINT64_MAX;
			*datum = cmps[i].datum_a;
			return true;
		}
		if (cmps[i].op == SCMP_CMP_MASKED_EQ) {
			*mask = cmps[i].datum_a;
			*datum = cmps[i].datum_b;
			return true;
		}
	}
	return false;
}

void seccomp_policy_rule_text(const struct seccomp_policy_rule *rule, bool numeric, char *buf,
			      size_t buflen)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < rule->ncmps && used < buflen; i++) {
		const struct seccomp_policy_cmp *c = &rule->cmps[i];
		int n;
		if (numeric)
			n = snprintf(buf + used, buflen - used, "%sarg%u %s 0x%" PRIx64,
				     i ? " && " : "", c->arg, seccomp_op_text[c->op], c->value);
		else
			n = snprintf(buf + used, buflen - used, "%sarg%u %s %s", i ? " && " : "",
				     c->arg, seccomp_op_text[c->op], c->text);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

static bool rule_equal(const struct seccomp_policy_rule *a, const struct seccomp_policy_rule *b)
{
	if (a->ncmps != b->ncmps)
		return false;
	for (size_t i = 0; i < a->ncmps; i++)
		if (a->cmps[i].arg != b->cmps[i].arg || a->cmps[i].op != b->cmps[i].op ||
		    a->cmps[i].value != b->cmps[i].value)
			return false;
	return true;
}

static void entry_free(struct seccomp_policy_entry *e)
{
	for (size_t i = 0; i < e->nrules; i++)
		rule_clear(&e->rules[i]);
	free(e->rules);
	free(e->name);
	free(e->file);
}

/* Adds what one line says about syscall nr; takes ownership of rules. */
static int policy_add(struct seccomp_parser *p, const char *name, int nr, int errno_value,
		      bool always, struct seccomp_policy_rule *rules, size_t nrules)
{
	struct seccomp_policy *pol = p->policy;
	struct seccomp_policy_entry *e = NULL;
	for (size_t i = 0; i < pol->nentries; i++)
		if (pol->entries[i].nr == nr)
			e = &pol->entries[i];
	if (!e) {
		if (pol->nentries == p->capacity) {
			size_t cap = p->capacity ? p->capacity * 2 : 64;
			void *grown = reallocarray(pol->entries, cap, sizeof(*pol->entries));
			if (!grown)
				goto oom;
			pol->entries = grown;
			p->capacity = cap;
		}
		e = &pol->entries[pol->nentries];
		memset(e, 0, sizeof(*e));
		e->name = strdup(name);
		e->file = strdup(p->file);
		e->line = p->line;
		e->nr = nr;
		e->errno_value = errno_value;
		pol->nentries++;
		if (!e->name || !e->file)
			goto oom;
	} else if (e->errno_value != errno_value) {
		parse_error(p, "syscall '%s' has a different action at %s:%u", name, e->file,
			    e->line);
		goto fail;
	}
	if (errno_value || e->always)
		goto done;
	if (always) {
		for (size_t i = 0; i < e->nrules; i++)
			rule_clear(&e->rules[i]);
		e->nrules = 0;
		e->always = true;
		goto done;
	}
	for (size_t r = 0; r < nrules; r++) {
		bool dup = false;
		for (size_t i = 0; i < e->nrules && !dup; i++)
			dup = rule_equal(&e->rules[i], &rules[r]);
		if (dup) {
			rule_clear(&rules[r]);
			continue;
		}
		void *grown = reallocarray(e->rules, e->nrules + 1, sizeof(*e->rules));
		if (!grown)
			goto oom;
		e->rules = grown;
		e->rules[e->nrules++] = rules[r];
		rules[r].ncmps = 0; /* moved */
	}
done:
	for (size_t r = 0; r < nrules; r++)
		rule_clear(&rules[r]);
	free(rules);
	return 0;
oom:
	parse_error(p, "out of memory");
fail:
	for (size_t r = 0; r < nrules; r++)
		rule_clear(&rules[r]);
	free(rules);
	return -1;
}

/* CONDITION of "SYSCALL: CONDITION". */
static int parse_condition(struct seccomp_parser *p, const char *name, int nr, const char *text)
{
	struct seccomp_lexer lx = {.pos = text};
	struct seccomp_policy_rule *rules = NULL;
	size_t nrules = 0;
	char msg[256];

	if (lex_next(p, &lx) < 0)
		return -1;
	if (lx.tok.kind == TOK_WORD && strcmp(lx.tok.text, "1") == 0) {
		if (lex_next(p, &lx) < 0)
			return -1;
		if (lx.tok.kind != TOK_END)
			return parse_error(p, "syntax error: '1' must be the whole condition");
		return policy_add(p, name, nr, 0, true, NULL, 0);
	}
	if (lx.tok.kind == TOK_WORD && strcmp(lx.tok.text, "return") == 0) {
		uint64_t e = 0;
		const char *ename;
		if (lex_next(p, &lx) < 0)
			return -1;
		if (lx.tok.kind != TOK_WORD)
			return parse_error(p, "syntax error: expected 'return ERRNO'");
		ename = lx.tok.text;
		if (ename[0] >= '0' && ename[0] <= '9') {
			if (parse_number(ename, &e) < 0 || e == 0 || e > SECCOMP_POLICY_MAX_ERRNO)
				return parse_error(p, "errno '%s' out of range (1-%d)", ename,
						   SECCOMP_POLICY_MAX_ERRNO);
		} else {
			for (size_t i = 0; i < ARRAY_SIZE(seccomp_errnos) && !e; i++)
				if (strcmp(seccomp_errnos[i].name, ename) == 0)
					e = (uint64_t)seccomp_errnos[i].value;
			if (!e)
				return parse_error(p, "unknown errno '%s'", ename);
		}
		if (lex_next(p, &lx) < 0)
			return -1;
		if (lx.tok.kind != TOK_END)
			return parse_error(p, "syntax error: unexpected '%s' after 'return %s'",
					   lx.tok.text, ename);
		return policy_add(p, name, nr, (int)e, false, NULL, 0);
	}

	for (;;) {
		struct seccomp_policy_rule *rule;
		struct scmp_arg_cmp lowered[SECCOMP_POLICY_MAX_ARGS];
		void *grown = reallocarray(rules, nrules + 1, sizeof(*rules));
		if (!grown) {
			parse_error(p, "out of memory");
			goto fail;
		}
		rules = grown;
		rule = &rules[nrules++];
		rule->ncmps = 0;
		for (;;) {
			if (rule->ncmps == ARRAY_SIZE(rule->cmps)) {
				parse_error(p, "more than %zu comparisons in one rule",
					    ARRAY_SIZE(rule->cmps));
				goto fail;
			}
			rule->cmps[rule->ncmps].text = NULL;
			if (parse_cmp(p, &lx, &rule->cmps[rule->ncmps]) < 0) {
				free(rule->cmps[rule->ncmps].text);
				goto fail;
			}
			rule->ncmps++;
			if (lx.tok.kind != TOK_AND)
				break;
			if (lex_next(p, &lx) < 0)
				goto fail;
		}
		if (rule_lower(rule, lowered, msg, sizeof(msg)) < 0) {
			parse_error(p, "%s", msg);
			goto fail;
		}
		if (lx.tok.kind == TOK_END)
			break;
		if (lx.tok.kind != TOK_OR) {
			parse_error(p, "syntax error: expected '&&', '||' or end of line, got '%s'",
				    lx.tok.text);
			goto fail;
		}
		if (lex_next(p, &lx) < 0)
			goto fail;
	}
	return policy_add(p, name, nr, 0, false, rules, nrules);
fail:
	for (size_t r = 0; r < nrules; r++)
		rule_clear(&rules[r]);
	free(rules);
	return -1;
}

static char *trim(char *s)
{
	char *end;
	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

static int parse_path(struct seccomp_parser *p, const char *path);

/* "@include NAME": NAME is relative to the including file's directory. */
static int parse_include(struct seccomp_parser *p, char *args)
{
	const char *name = trim(args);
	const char *slash = strrchr(p->file, '/');
	size_t len = strlen(name);
	bool add_suffix = len < 7 || strcmp(name + len - 7, ".policy") != 0;
	char path[4096];
	int n;

	if (*name == '\0' || strpbrk(name, " \t"))
		return parse_error(p, "syntax error: expected '@include NAME'");
	if (p->depth > SECCOMP_POLICY_MAX_INCLUDE_DEPTH) /* top file + 8 includes open */
		return parse_error(p, "@include nested deeper than %d",
				   SECCOMP_POLICY_MAX_INCLUDE_DEPTH);
	if (name[0] == '/' || !slash)
		n = snprintf(path, sizeof(path), "%s%s", name, add_suffix ? ".policy" : "");
	else
		n = snprintf(path, sizeof(path), "%.*s/%s%s", (int)(slash - p->file), p->file, name,
			     add_suffix ? ".policy" : "");
	if (n < 0 || (size_t)n >= sizeof(path))
		return parse_error(p, "include path too long");
	return parse_path(p, path);
}

static int parse_line(struct seccomp_parser *p, char *text)
{
	char *hash = strchr(text, '#');
	char *colon, *name;
	int nr;

	if (hash)
		*hash = '\0';
	text = trim(text);
	if (*text == '\0')
		return 0;
	if (text[0] == '@') {
		if (strncmp(text, "@include", 8) == 0 && (text[8] == ' ' || text[8] == '\t'))
			return parse_include(p, text + 8);
		return parse_error(p, "unknown directive '%s'", text);
	}
	colon = strchr(text, ':');
	if (!colon)
		return parse_error(p, "syntax error: expected 'SYSCALL: CONDITION'");
	*colon = '\0';
	name = trim(text);
	if (*name == '\0')
		return parse_error(p, "syntax error: missing syscall name before ':'");
	for (const char *c = name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_'))
			return parse_error(p, "syntax error: bad syscall name '%s'", name);
	nr = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, name);
	if (nr < 0)
		return parse_error(p, "unknown syscall '%s'", name);
	if (*trim(colon + 1) == '\0')
		return parse_error(p, "syntax error: missing condition after '%s:'", name);
	return parse_condition(p, name, nr, trim(colon + 1));
}

/* Reads one file; the caller's location (p->file, p->line) names the include. */
static int parse_path(struct seccomp_parser *p, const char *path)
{
	const char *outer_file = p->file;
	unsigned int outer_line = p->line;
	struct stat st;
	char *line = NULL;
	size_t cap = 0;
	int rc = 0;
	FILE *f = fopen(path, "re");

	if (!f && p->depth == 0) /* the top file: "FILE: reason" says it all */
		return parse_error(p, "%s", strerror(errno));
	if (!f)
		return parse_error(p, "cannot open '%s': %s", path, strerror(errno));
	if (fstat(fileno(f), &st) < 0) {
		fclose(f);
		return parse_error(p, "fstat '%s': %s", path, strerror(errno));
	}
	if (!S_ISREG(st.st_mode)) {
		fclose(f);
		return parse_error(p, "'%s' is not a regular file", path);
	}
	for (unsigned int i = 0; i < p->depth; i++) {
		if (p->open[i].dev == st.st_dev && p->open[i].ino == st.st_ino) {
			fclose(f);
			return parse_error(p, "include cycle: '%s' is already being read", path);
		}
	}
	p->open[p->depth].dev = st.st_dev;
	p->open[p->depth].ino = st.st_ino;
	p->depth++;
	p->file = path;
	p->line = 0;
	while (getline(&line, &cap, f) >= 0) {
		p->line++;
		if (parse_line(p, line) < 0) {
			rc = -1;
			break;
		}
	}
	if (rc == 0 && ferror(f)) {
		p->line = 0;
		rc = parse_error(p, "read error");
	}
	free(line);
	fclose(f);
	p->depth--;
	p->file = outer_file;
	p->line = outer_line;
	return rc;
}

static int entry_compare(const void *a, const void *b)
{
	const struct seccomp_policy_entry *x = a, *y = b;
	return strcmp(x->name, y->name);
}

struct seccomp_policy *seccomp_policy_parse_file(const char *path, char *err, size_t errlen)
{
	struct seccomp_parser p = {.err = err, .errlen = errlen, .file = path};
	p.policy = calloc(1, sizeof(*p.policy));
	if (!p.policy) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	if (parse_path(&p, path) < 0) {
		seccomp_policy_free(p.policy);
		return NULL;
	}
	if (p.policy->nentries)
		qsort(p.policy->entries, p.policy->nentries, sizeof(*p.policy->entries),
		      entry_compare);
	return p.policy;
}

void seccomp_policy_free(struct seccomp_policy *policy)
{
	if (!policy)
		return;
	for (size_t i = 0; i < policy->nentries; i++)
		entry_free(&policy->entries[i]);
	free(policy->entries);
	free(policy);
}

void seccomp_policy_dump(const struct seccomp_policy *policy, FILE *out)
{
	char buf[1024];
	for (size_t i = 0; i < policy->nentries; i++) {
		const struct seccomp_policy_entry *e = &policy->entries[i];
		fprintf(out, "%s:", e->name);
		if (e->errno_value) {
			const char *name = seccomp_policy_errno_name(e->errno_value);
			if (name)
				fprintf(out, " return %s\n", name);
			else
				fprintf(out, " return %d\n", e->errno_value);
			continue;
		}
		if (e->always) {
			fprintf(out, " 1\n");
			continue;
		}
		for (size_t r = 0; r < e->nrules; r++) {
			seccomp_policy_rule_text(&e->rules[r], true, buf, sizeof(buf));
			fprintf(out, "%s%s", r ? " || " : " ", buf);
		}
		fprintf(out, "\n");
	}
}

/* ---- compiler ---- */

scmp_filter_ctx seccomp_policy_compile(const struct seccomp_policy *policy,
				       enum seccomp_policy_mode mode, char *err, size_t errlen)
{
	uint32_t default_action;
	scmp_filter_ctx ctx;
	int rc;

	switch (mode) {
	case SECCOMP_POLICY_MODE_KILL: default_action = SCMP_ACT_KILL_PROCESS; break;
	case SECCOMP_POLICY_MODE_LOG: default_action = SCMP_ACT_LOG; break;
	case SECCOMP_POLICY_MODE_TRAP: default_action = SCMP_ACT_TRAP; break;
	default: snprintf(err, errlen, "bad seccomp mode %d", (int)mode); return NULL;
	}
	/* Policies name x86_64 syscalls; the filter must not be built for another ABI. */
	if (seccomp_arch_native() != SCMP_ARCH_X86_64) {
		snprintf(err, errlen, "seccomp policies are x86_64 only");
		return NULL;
	}
	ctx = seccomp_init(default_action);
	if (!ctx) {
		snprintf(err, errlen, "seccomp_init(0x%x) failed", default_action);
		return NULL;
	}
	/* Syscalls from another architecture (i386 via int 0x80) kill, in every mode. */
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (rc < 0) {
		snprintf(err, errlen, "seccomp_attr_set(ACT_BADARCH): %s", strerror(-rc));
		goto fail;
	}
	for (size_t i = 0; i < policy->nentries; i++) {
		const struct seccomp_policy_entry *e = &policy->entries[i];
		uint32_t action =
		    e->errno_value ? SCMP_ACT_ERRNO((uint32_t)e->errno_value) : SCMP_ACT_ALLOW;
		if (e->errno_value || e->always) {
			rc = seccomp_rule_add_exact(ctx, action, e->nr, 0);
			if (rc < 0) {
				snprintf(err, errlen, "%s:%u: seccomp_rule_add_exact(%s): %s",
					 e->file, e->line, e->name, strerror(-rc));
				goto fail;
			}
			continue;
		}
		for (size_t r = 0; r < e->nrules; r++) {
			struct scmp_arg_cmp cmps[SECCOMP_POLICY_MAX_ARGS];
			char msg[256];
			int n = rule_lower(&e->rules[r], cmps, msg, sizeof(msg));
			if (n < 0) {
				snprintf(err, errlen, "%s:%u: %s: %s", e->file, e->line, e->name,
					 msg);
				goto fail;
			}
			rc =
			    seccomp_rule_add_exact_array(ctx, action, e->nr, (unsigned int)n, cmps);
			if (rc < 0) {
				snprintf(err, errlen, "%s:%u: seccomp_rule_add_exact_array(%s): %s",
					 e->file, e->line, e->name, strerror(-rc));
				goto fail;
			}
		}
	}
	return ctx;
fail:
	seccomp_release(ctx);
	return NULL;
}

scmp_filter_ctx seccomp_policy_compile_file(const char *path, enum seccomp_policy_mode mode,
					    char *err, size_t errlen)
{
	struct seccomp_policy *policy = seccomp_policy_parse_file(path, err, errlen);
	scmp_filter_ctx ctx;
	if (!policy)
		return NULL;
	ctx = seccomp_policy_compile(policy, mode, err, errlen);
	seccomp_policy_free(policy);
	return ctx;
}

/*
 * Runs before libseccomp's program: a syscall from another architecture or
 * with an x32 syscall number kills the process in every mode. libseccomp
 * 2.5 does the same through ACT_BADARCH; the prologue keeps it true whatever
 * the libseccomp version or attributes, since the VMM only sees raw BPF.
 */
static const struct sock_filter seccomp_prologue[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
    BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, __X32_SYSCALL_BIT, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
};

int seccomp_policy_export_fd(scmp_filter_ctx ctx)
{
	struct stat st;
	int rc, saved;
	/* The BPF is data: ask for a memfd that can never be made executable. */
	int fd =
	    memfd_create("lockvm-seccomp-bpf", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL);
	if (fd < 0 && errno == EINVAL) /* kernels before 6.3 */
		fd = memfd_create("lockvm-seccomp-bpf", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -1;
	if (write_all(fd, seccomp_prologue, sizeof(seccomp_prologue)) < 0)
		goto fail;
	/* libseccomp writes at the current offset, after the prologue. */
	rc = seccomp_export_bpf(ctx, fd);
	if (rc < 0) {
		errno = -rc;
		goto fail;
	}
	if (fstat(fd, &st) < 0)
		goto fail;
	if ((uint64_t)st.st_size > BPF_MAXINSNS * sizeof(struct sock_filter)) {
		errno = E2BIG;
		goto fail;
	}
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
		goto fail;
	/* The VMM gets a read-only open of it: inheriting an fd open for
	 * writing would need write permission under SELinux (checked at the
	 * VMM's exec), which the VM domain has not and should not have. */
	char self[64];
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	int read_only = open(self, O_RDONLY | O_CLOEXEC);
	if (read_only < 0)
		goto fail;
	/* Same fd number as before, now read-only. */
	if (dup3(read_only, fd, O_CLOEXEC) < 0) {
		saved = errno;
		close(read_only);
		errno = saved;
		goto fail;
	}
	close(read_only);
	return fd;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

int seccomp_policy_install_fd(int fd)
{
	/* On the stack so no allocator call runs after the filter is in place. */
	struct sock_filter insns[BPF_MAXINSNS];
	struct sock_fprog prog;
	struct stat st;
	size_t size, done = 0;

	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) {
		errno = EPERM;
		return -1;
	}
	if (fstat(fd, &st) < 0)
		return -1;
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size % sizeof(insns[0]) != 0 ||
	    (uint64_t)st.st_size > sizeof(insns)) {
		errno = EINVAL;
		return -1;
	}
	size = (size_t)st.st_size;
	while (done < size) {
		ssize_t n = pread(fd, (char *)insns + done, size - done, (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) { /* shrank under us: not a sealed export */
			errno = EINVAL;
			return -1;
		}
		done += (size_t)n;
	}
	prog.len = (unsigned short)(size / sizeof(insns[0]));
	prog.filter = insns;
	/* Flags 0: this thread only; each thread role installs its own filter. */
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

int seccomp_policy_print_main(int argc, char **argv)
{
	static const char usage[] = "usage: lockvm policy compile FILE [--mode kill|log|trap]";
	enum seccomp_policy_mode mode = SECCOMP_POLICY_MODE_KILL;
	const char *file = NULL, *mode_text = "kill";
	char err[1024];
	scmp_filter_ctx ctx;
	int rc;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			printf("%s\n", usage);
			return 0;
		}
		if (strcmp(a, "--mode") == 0 || strncmp(a, "--mode=", 7) == 0) {
			if (a[6] == '=')
				mode_text = a + 7;
			else if (i + 1 < argc)
				mode_text = argv[++i];
			else
				die("--mode needs kill, log or trap (%s)", usage);
			if (seccomp_policy_mode_parse(mode_text, &mode) < 0)
				die("unknown mode '%s': use kill, log or trap", mode_text);
		} else if (a[0] == '-') {
			die("unknown option '%s' (%s)", a, usage);
		} else if (file) {
			die("one policy file only (%s)", usage);
		} else {
			file = a;
		}
	}
	if (!file)
		die("%s", usage);
	ctx = seccomp_policy_compile_file(file, mode, err, sizeof(err));
	if (!ctx)
		die("%s", err);
	printf("# lockvm seccomp filter for %s, mode %s\n", file, mode_text);
	printf("# prologue (before the code below): arch != x86_64 or an x32 syscall number"
	       " -> KILL_PROCESS\n");
	fflush(stdout);
	rc = seccomp_export_pfc(ctx, STDOUT_FILENO);
	seccomp_release(ctx);
	if (rc < 0) {
		errno = -rc;
		die_errno("seccomp_export_pfc(%s)", file);
	}
	return 0;
}

void seccomp_policy_default_dir(char *dir, size_t dirlen)
{
	const char *env = getenv("LOCKVM_POLICY_DIR");
	char exe[PATH_MAX];
	if (env && *env) {
		if ((size_t)snprintf(dir, dirlen, "%s", env) >= dirlen)
			die("LOCKVM_POLICY_DIR is too long");
		return;
	}
	util_exe_dir(exe, sizeof(exe));
	if ((size_t)snprintf(dir, dirlen, "%s/../policy/seccomp", exe) >= dirlen)
		die("policy directory path too long: %s/../policy/seccomp", exe);
}
