/* Fatal-error helpers and strict number parsing shared by every binary. */
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *util_progname = "lockvm";

static void vmessage(const char *fmt, va_list ap, int saved_errno, bool with_errno)
{
	char line[1024];
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		line[0] = '\0';
	if (with_errno)
		fprintf(stderr, "%s: %s: %s\n", util_progname, line, strerror(saved_errno));
	else
		fprintf(stderr, "%s: %s\n", util_progname, line);
}

void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmessage(fmt, ap, 0, false);
	va_end(ap);
	exit(EXIT_REFUSED);
}

void die_errno(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	vmessage(fmt, ap, saved, true);
	va_end(ap);
	exit(EXIT_REFUSED);
}

void die_status(int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmessage(fmt, ap, 0, false);
	va_end(ap);
	exit(status);
}

void warn_msg(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmessage(fmt, ap, 0, false);
	va_end(ap);
}

void warn_errno(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	vmessage(fmt, ap, saved, true);
	va_end(ap);
}

int err_fmt(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int parse_digits(const char **p, uint64_t *out)
{
	uint64_t value = 0;
	const char *s = *p;
	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (__builtin_mul_overflow(value, 10, &value) ||
		    __builtin_add_overflow(value, (uint64_t)(*s - '0'), &value))
			return -1;
	}
	*p = s;
	*out = value;
	return 0;
}

int parse_size(const char *text, uint64_t *out)
{
	const char *s = text;
	uint64_t value, shift = 0;
	if (!text || parse_digits(&s, &value) < 0)
		return -1;
	switch (*s) {
	case 'k':
	case 'K':
		shift = 10;
		s++;
		break;
	case 'm':
	case 'M':
		shift = 20;
		s++;
		break;
	case 'g':
	case 'G':
		shift = 30;
		s++;
		break;
	case 't':
	case 'T':
		shift = 40;
		s++;
		break;
	default: break;
	}
	if (shift && (strcmp(s, "iB") == 0 || strcmp(s, "B") == 0))
		s += strlen(s);
	if (*s != '\0')
		return -1;
	if (shift && value > (UINT64_MAX >> shift))
		return -1;
	*out = value << shift;
	return 0;
}

int parse_uint(const char *text, uint64_t min, uint64_t max, uint64_t *out)
{
	const char *s = text;
	uint64_t value;
	if (!text || parse_digits(&s, &value) < 0 || *s != '\0')
		return -1;
	if (value < min || value > max)
		return -1;
	*out = value;
	return 0;
}

int parse_seconds(const char *text, uint64_t max_seconds, uint64_t *out_ns)
{
	const char *s = text;
	uint64_t whole, frac = 0;
	int digits = 0;
	if (!text || parse_digits(&s, &whole) < 0)
		return -1;
	if (*s == '.') {
		s++;
		for (; *s >= '0' && *s <= '9'; s++, digits++) {
			if (digits >= 9)
				return -1;
			frac = frac * 10 + (uint64_t)(*s - '0');
		}
		if (digits == 0)
			return -1;
		for (int i = digits; i < 9; i++)
			frac *= 10;
	}
	if (*s != '\0' || whole > max_seconds || (whole == max_seconds && frac) ||
	    (whole == 0 && frac == 0))
		return -1;
	*out_ns = whole * 1000000000ULL + frac;
	return 0;
}

void util_exe_dir(char *out, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", out, len - 1);
	if (n < 0)
		die_errno("readlink(/proc/self/exe)");
	if ((size_t)n >= len - 1)
		die("path of this executable is too long");
	out[n] = '\0';
	char *slash = strrchr(out, '/');
	if (slash)
		*slash = '\0';
}

bool path_beneath(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

void *realloc_copy(void *old, size_t old_len, size_t new_len)
{
	void *grown = malloc(new_len ? new_len : 1);
	if (!grown)
		return NULL;
	if (old && old_len)
		memcpy(grown, old, old_len < new_len ? old_len : new_len);
	free(old);
	return grown;
}
