/* Small shared helpers: fatal errors that name the call, number parsing. */
#ifndef LOCKVM_UTIL_H
#define LOCKVM_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exit statuses of `lockvm run` (docs/ARCHITECTURE.md, "Exit status"). */
#define EXIT_GUEST_MAX	 123
#define EXIT_TIMEOUT	 124
#define EXIT_REFUSED	 125
#define EXIT_OOM_KILLED	 126 /* the VM went over its cgroup memory limit */
#define EXIT_SIGNAL_BASE 128
#define EXIT_GUEST_ERROR 134 /* like SIGABRT: the guest broke the ABI */
#define EXIT_SECCOMP	 159 /* 128 + SIGSYS */

#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#define NORETURN	  __attribute__((noreturn))
#define ARRAY_SIZE(a)	  (sizeof(a) / sizeof((a)[0]))

/* Name printed before every message ("lockvm", "lockvm-vmm"). */
extern const char *util_progname;

/* One line "PROG: message" on stderr, then exit(EXIT_REFUSED). */
NORETURN void die(const char *fmt, ...) PRINTF_LIKE(1, 2);
/* As die(), with ": strerror(errno)" appended. */
NORETURN void die_errno(const char *fmt, ...) PRINTF_LIKE(1, 2);
/* As die() but with the given exit status. */
NORETURN void die_status(int status, const char *fmt, ...) PRINTF_LIKE(2, 3);
void warn_msg(const char *fmt, ...) PRINTF_LIKE(1, 2);
void warn_errno(const char *fmt, ...) PRINTF_LIKE(1, 2);
/* Formats a refusal into err (for parsers that report in a buffer) and
 * returns -1, so that `return err_fmt(err, errlen, ...);` refuses. */
int err_fmt(char *err, size_t errlen, const char *fmt, ...) PRINTF_LIKE(3, 4);

/*
 * Parses a byte size: digits with an optional K, M, G or T suffix (powers of
 * 1024, optional trailing "iB"/"B"). Returns 0 and sets *out, or -1 on
 * malformed input or overflow.
 */
int parse_size(const char *text, uint64_t *out);

/* Parses a decimal unsigned integer in [min, max]. Returns 0 or -1. */
int parse_uint(const char *text, uint64_t min, uint64_t max, uint64_t *out);

/* Parses seconds as a decimal with up to 9 fractional digits, in (0, max].
 * Returns 0 and nanoseconds in *out_ns, or -1. */
int parse_seconds(const char *text, uint64_t max_seconds, uint64_t *out_ns);

/* Overflow-safe a + b into *sum; false on overflow. */
static inline bool add_overflows(uint64_t a, uint64_t b, uint64_t *sum)
{
	return __builtin_add_overflow(a, b, sum);
}

/* The directory holding the running executable (from /proc/self/exe), in
 * out[len]. Dies if it cannot be read or does not fit. */
void util_exe_dir(char *out, size_t len);

/* Monotonic clock in nanoseconds. */
uint64_t now_ns(void);

/* Whether path lies at or beneath dir: dir itself or dir "/" something
 * (both plain absolute paths: no trailing "/", no "." or ".."). */
bool path_beneath(const char *path, const char *dir);

/* write() all of buf, retrying on EINTR and short writes. 0 or -1. */
int write_all(int fd, const void *buf, size_t len);

/*
 * realloc for the VMM's vCPU threads: a new block, the old len bytes copied,
 * the old one freed (NULL, old untouched, when out of memory). glibc moves
 * a large block with mremap, which their seccomp filter refuses.
 */
void *realloc_copy(void *old, size_t old_len, size_t new_len);

#endif
