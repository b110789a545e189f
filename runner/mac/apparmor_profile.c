/* Per-VM AppArmor profiles: validates paths like virt-aa-helper, generates lockvm-<uuid>, loads and removes it. */
#include "apparmor_profile.h"

#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/apparmor.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Copy of profiles/lockvm-vm.template (tests/integration/apparmor.sh checks
 * that they match). Kept in the binary so the supervisor never reads a
 * template an attacker could have swapped. */
const char apparmor_profile_template[] =
    "# AppArmor per-VM profile template: lockvm writes lockvm-<uuid> from it with the VM's own "
    "files in place of the marker.\n"
    "# apparmor_profile_generate() (runner/mac/apparmor_profile.c) holds a copy of\n"
    "# this file that a test keeps identical. It replaces \"lockvm-UUID\" with the\n"
    "# profile name and the line \"  #LOCKVM_VM_FILES\" with one rule per disk:\n"
    "#   read-write disk:  \"PATH\" rwk,\n"
    "#   read-only disk:   \"PATH\" rk,  deny \"PATH\" w,\n"
    "abi <abi/3.0>,\n"
    "\n"
    "include <tunables/global>\n"
    "\n"
    "profile lockvm-UUID flags=(attach_disconnected) {\n"
    "  # Every VM: /dev/kvm, nothing else of the filesystem.\n"
    "  include <abstractions/lockvm-vm>\n"
    "\n"
    "  # This VM: its own disks and guest files, validated by apparmor_path_validate().\n"
    "  #LOCKVM_VM_FILES\n"
    "}\n";

/* The marker lines the generator replaces. */
#define TEMPLATE_NAME_TOKEN "profile lockvm-UUID "
#define TEMPLATE_FILES_LINE "\n  #LOCKVM_VM_FILES\n"

static void set_error(char *err, size_t errlen, const char *fmt, ...) PRINTF_LIKE(3, 4);
static void set_error(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || errlen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* A printable copy of a hostile path for error messages: control bytes
 * become '?', long paths are cut. */
static const char *printable(const char *path, char *buf, size_t size)
{
	size_t i = 0;
	for (; path[i] && i + 4 < size && i < 160; i++) {
		unsigned char c = (unsigned char)path[i];
		buf[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	if (path[i])
		buf[i++] = '.', buf[i++] = '.', buf[i++] = '.';
	buf[i] = '\0';
	return buf;
}

static bool all_chars_in(const char *text, const char *allowed)
{
	return *text && strspn(text, allowed) == strlen(text);
}

#define DIGITS "0123456789"
#define LOWER  "abcdefghijklmnopqrstuvwxyz"

/* Block devices a VM may be given; everything else under /dev is refused
 * (/dev/mem, /dev/kvm, /dev/mapper/control, /dev/loop-control, ttys ...). */
static bool is_allowed_device(const char *path)
{
	if (strncmp(path, "/dev/", 5) != 0) /* "/dev" itself */
		return false;
	const char *name = path + 5;
	if (strncmp(name, "mapper/", 7) == 0)
		return all_chars_in(name + 7, LOWER "ABCDEFGHIJKLMNOPQRSTUVWXYZ" DIGITS "_.+-") &&
		       strcmp(name + 7, "control") != 0 && name[7] != '.';
	static const struct {
		const char *prefix;
		const char *letters; /* what follows: a run of these, then digits */
	} devices[] = {
	    {"sd", LOWER},	   {"vd", LOWER}, {"xvd", LOWER}, {"hd", LOWER},
	    {"nvme", DIGITS "np"}, {"loop", ""},  {"dm-", ""},	  {"zd", ""},
	};
	for (size_t i = 0; i < ARRAY_SIZE(devices); i++) {
		size_t len = strlen(devices[i].prefix);
		if (strncmp(name, devices[i].prefix, len) != 0)
			continue;
		const char *rest = name + len;
		size_t run = strspn(rest, devices[i].letters);
		if (devices[i].letters[0] && run == 0)
			return false;
		rest += run;
		if (!devices[i].letters[0] && !*rest)
			return false; /* "loop", "dm-", "zd" need a number */
		return strspn(rest, DIGITS) == strlen(rest);
	}
	return false;
}

/* Host directories no VM ever gets a rule for (besides /dev and /lib*). */
static const char *const host_directories[] = {
    "/etc",
    "/bin",
    "/sbin",
    "/usr",
    "/proc",
    "/sys",
    "/boot",
    "/root",
    "/run",
    "/var/run",
    "/var/lib/dpkg",
    "/var/lib/apt",
    "/var/lib/apparmor",
    "/var/cache/apparmor",
    "/var/log/lockvm",
    "/snap",
    "/selinux",
};

int apparmor_path_validate(const char *path, char *err, size_t errlen)
{
	char shown[176];

	if (!path || !*path) {
		set_error(err, errlen, "empty path: give the absolute path of the image");
		return -1;
	}
	size_t len = strnlen(path, APPARMOR_PATH_MAX + 1);
	if (len > APPARMOR_PATH_MAX) {
		set_error(err, errlen, "path '%s' is longer than %d bytes",
			  printable(path, shown, sizeof(shown)), APPARMOR_PATH_MAX);
		return -1;
	}
	printable(path, shown, sizeof(shown));
	if (path[0] != '/') {
		set_error(err, errlen, "path '%s' is not absolute", shown);
		return -1;
	}
	for (const char *c = path; *c; c++) {
		unsigned char byte = (unsigned char)*c;
		if (byte < 0x20 || byte == 0x7f) {
			set_error(err, errlen,
				  "path '%s' contains a control character or newline (byte 0x%02x)",
				  shown, byte);
			return -1;
		}
		if (strchr("\"'\\", byte)) {
			set_error(err, errlen, "path '%s' contains a quote or backslash ('%c')",
				  shown, byte);
			return -1;
		}
		if (strchr("*?[]{}^", byte)) {
			set_error(err, errlen,
				  "path '%s' contains the globbing character '%c' (AppArmor would "
				  "match other files)",
				  shown, byte);
			return -1;
		}
		if (strchr("@#", byte)) {
			set_error(
			    err, errlen,
			    "path '%s' contains '%c', special in AppArmor policy (variable or "
			    "comment)",
			    shown, byte);
			return -1;
		}
	}
	if (strcmp(path, "/") == 0) {
		set_error(err, errlen, "path '/' is the root directory, not a file");
		return -1;
	}
	/* Canonical: walk the components. */
	for (const char *component = path + 1;;) {
		const char *end = strchrnul(component, '/');
		size_t clen = (size_t)(end - component);
		const char *why = NULL;
		if (clen == 0)
			why = *end ? "empty component \"//\"" : "trailing \"/\"";
		else if (clen == 1 && component[0] == '.')
			why = "\".\" component";
		else if (clen == 2 && component[0] == '.' && component[1] == '.')
			why = "\"..\" component";
		if (why) {
			set_error(err, errlen,
				  "path '%s' is not canonical (%s): pass the real path (realpath)",
				  shown, why);
			return -1;
		}
		if (clen > APPARMOR_NAME_MAX) {
			set_error(err, errlen, "path '%s' has a component longer than %d bytes",
				  shown, APPARMOR_NAME_MAX);
			return -1;
		}
		if (!*end)
			break;
		component = end + 1;
	}
	if (strncmp(path, "/lib", 4) == 0) {
		set_error(err, errlen,
			  "path '%s' is under /lib*, a host directory no VM may be given", shown);
		return -1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(host_directories); i++) {
		if (path_beneath(path, host_directories[i])) {
			set_error(err, errlen,
				  "path '%s' is under %s, a host directory no VM may be given",
				  shown, host_directories[i]);
			return -1;
		}
	}
	if (path_beneath(path, "/dev") && !is_allowed_device(path)) {
		set_error(err, errlen,
			  "path '%s' is under /dev and is not a disk device a VM may be given "
			  "(/dev/sdX, vdX, xvdX, nvmeXnY, loopN, dm-N, zdN, mapper/NAME)",
			  shown);
		return -1;
	}
	return 0;
}

int apparmor_profile_name(const char *uuid, char *name, size_t namelen, char *err, size_t errlen)
{
	static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
	bool ok = uuid && strlen(uuid) == sizeof(shape) - 1;
	for (size_t i = 0; ok && shape[i]; i++) {
		if (shape[i] == '-')
			ok = uuid[i] == '-';
		else
			ok = strchr("0123456789abcdef", uuid[i]) && uuid[i];
	}
	if (!ok) {
		char shown[176];
		set_error(
		    err, errlen,
		    "uuid '%s' is not a lowercase uuid (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
		    uuid ? printable(uuid, shown, sizeof(shown)) : "(null)");
		return -1;
	}
	int n = snprintf(name, namelen, "lockvm-%s", uuid);
	if (n < 0 || (size_t)n >= namelen) {
		set_error(err, errlen, "profile name buffer too small");
		return -1;
	}
	return 0;
}

/* Bounded appender over the caller's buffer. */
struct text_out {
	char *buf;
	size_t size, len;
	bool overflow;
};

static void put_text(struct text_out *out, const char *text, size_t len)
{
	if (out->overflow || len >= out->size - out->len) {
		out->overflow = true;
		return;
	}
	memcpy(out->buf + out->len, text, len);
	out->len += len;
	out->buf[out->len] = '\0';
}

static void put_string(struct text_out *out, const char *text)
{
	put_text(out, text, strlen(text));
}

/* Refuses a path that exists but is not its own real path: AppArmor
 * mediates the resolved path, so a rule for a symlink would be useless, and
 * the caller must decide about the target itself. */
static int check_real_path(const char *path, char *err, size_t errlen)
{
	char *real = realpath(path, NULL);
	if (!real) {
		if (errno == ENOENT)
			return 0; /* created later by the supervisor; lexical checks suffice */
		set_error(err, errlen, "realpath(%s): %s", path, strerror(errno));
		return -1;
	}
	int rc = 0;
	if (strcmp(real, path) != 0) {
		set_error(err, errlen,
			  "path '%s' resolves to '%s' through a symlink: pass the real path", path,
			  real);
		rc = -1;
	}
	free(real);
	return rc;
}

int apparmor_profile_generate(const char *uuid, const struct apparmor_disk *disks, size_t n,
			      char *out, size_t outlen, char *err, size_t errlen)
{
	char name[APPARMOR_PROFILE_NAME_SIZE];
	if (!out || outlen == 0) {
		set_error(err, errlen, "no output buffer");
		return -1;
	}
	out[0] = '\0';
	if (apparmor_profile_name(uuid, name, sizeof(name), err, errlen) < 0)
		return -1;
	if (n > 0 && !disks) {
		set_error(err, errlen, "no disk list");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (apparmor_path_validate(disks[i].path, err, errlen) < 0 ||
		    check_real_path(disks[i].path, err, errlen) < 0)
			return -1;
		for (size_t j = 0; j < i; j++) {
			if (strcmp(disks[i].path, disks[j].path) == 0) {
				set_error(err, errlen, "path '%s' is listed twice", disks[i].path);
				return -1;
			}
		}
	}

	const char *name_at = strstr(apparmor_profile_template, TEMPLATE_NAME_TOKEN);
	const char *files_at = strstr(apparmor_profile_template, TEMPLATE_FILES_LINE);
	if (!name_at || !files_at || files_at < name_at) {
		set_error(err, errlen, "internal: profile template lacks its markers");
		return -1;
	}
	struct text_out text = {.buf = out, .size = outlen};
	put_text(&text, apparmor_profile_template, (size_t)(name_at - apparmor_profile_template));
	put_string(&text, "profile ");
	put_string(&text, name);
	put_string(&text, " ");
	const char *after_name = name_at + strlen(TEMPLATE_NAME_TOKEN);
	put_text(&text, after_name, (size_t)(files_at - after_name));
	put_string(&text, "\n");
	for (size_t i = 0; i < n; i++) {
		/* Validated above: no quote, backslash or newline can break out.
		 * A tree: the directory and all beneath it; the VMM's file work
		 * for the guest in a writable one (create, rename, unlink: w;
		 * link: l; fcntl locks: k); a read-only one is also mounted so. */
		const char *all = disks[i].tree ? "/{,**}" : "";
		put_string(&text, "  \"");
		put_string(&text, disks[i].path);
		put_string(&text, all);
		put_string(&text, disks[i].readonly
				      ? (disks[i].tree ? "\" r,\n  deny \"" : "\" rk,\n  deny \"")
				      : (disks[i].tree ? "\" rwkl,\n" : "\" rwk,\n"));
		if (disks[i].readonly) {
			put_string(&text, disks[i].path);
			put_string(&text, all);
			put_string(&text, "\" w,\n");
		}
	}
	put_string(&text, files_at + strlen(TEMPLATE_FILES_LINE));
	if (text.overflow) {
		set_error(err, errlen, "profile for %s does not fit in %zu bytes", name, outlen);
		out[0] = '\0';
		return -1;
	}
	return (int)text.len;
}

static const char *apparmor_parser_path(void)
{
	static const char *const candidates[] = {"/sbin/apparmor_parser",
						 "/usr/sbin/apparmor_parser"};
	for (size_t i = 0; i < ARRAY_SIZE(candidates); i++) {
		if (access(candidates[i], X_OK) == 0)
			return candidates[i];
	}
	return NULL;
}

static int not_enforced(char *err, size_t errlen, const char *what)
{
	set_error(err, errlen, "AppArmor is not enabled on this host: %s (not enforced)", what);
	return APPARMOR_NOT_ENFORCED;
}

/* Writes all of text to fd with SIGPIPE held off, so a parser that dies
 * early gives EPIPE instead of killing the supervisor. */
static int write_without_sigpipe(int fd, const char *text)
{
	sigset_t pipe_set, old_set;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
	int rc = write_all(fd, text, strlen(text));
	int saved = errno;
	if (rc < 0 && saved == EPIPE) {
		const struct timespec zero = {0, 0};
		while (sigtimedwait(&pipe_set, NULL, &zero) == SIGPIPE)
			;
	}
	pthread_sigmask(SIG_SETMASK, &old_set, NULL);
	errno = saved;
	return rc;
}

int apparmor_profile_load(const char *profile_text, char *err, size_t errlen)
{
	if (!profile_text) {
		set_error(err, errlen, "no profile text");
		return -1;
	}
	if (aa_is_enabled() != 1)
		return not_enforced(err, errlen, "profile not loaded");
	const char *parser = apparmor_parser_path();
	if (!parser) {
		set_error(err, errlen, "apparmor_parser not found in /sbin or /usr/sbin");
		return -1;
	}
	int input[2], errors[2];
	if (pipe2(input, O_CLOEXEC) < 0) {
		set_error(err, errlen, "pipe2: %s", strerror(errno));
		return -1;
	}
	if (pipe2(errors, O_CLOEXEC) < 0) {
		set_error(err, errlen, "pipe2: %s", strerror(errno));
		close(input[0]), close(input[1]);
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		set_error(err, errlen, "fork: %s", strerror(errno));
		close(input[0]), close(input[1]), close(errors[0]), close(errors[1]);
		return -1;
	}
	if (pid == 0) {
		/* Child: stdin is the profile, stderr goes back, nothing else open,
		 * empty environment. */
		char *const argv[] = {"apparmor_parser", "--replace", "--quiet", NULL};
		char *const envp[] = {NULL};
		int null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (dup2(input[0], 0) < 0 || dup2(errors[1], 2) < 0 ||
		    (null_fd >= 0 && dup2(null_fd, 1) < 0))
			_exit(126);
		close_range(3, ~0U, 0);
		execve(parser, argv, envp);
		_exit(127);
	}
	close(input[0]);
	close(errors[1]);
	int write_rc = write_without_sigpipe(input[1], profile_text);
	int write_errno = errno;
	close(input[1]);
	char message[1024];
	size_t used = 0;
	for (;;) {
		ssize_t got = read(errors[0], message + used, sizeof(message) - 1 - used);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		used += (size_t)got;
		if (used == sizeof(message) - 1) {
			char sink[256]; /* drain so the parser never blocks on stderr */
			while (read(errors[0], sink, sizeof(sink)) > 0)
				;
			break;
		}
	}
	message[used] = '\0';
	message[strcspn(message, "\n")] = '\0';
	close(errors[0]);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && write_rc == 0)
		return 0;
	if (write_rc < 0 && !message[0])
		snprintf(message, sizeof(message), "writing the profile: %s",
			 strerror(write_errno));
	set_error(err, errlen, "%s --replace failed (%s %d): %s", parser,
		  WIFEXITED(status) ? "exit" : "signal",
		  WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
		  message[0] ? message : "no message");
	return -1;
}

int apparmor_profile_remove(const char *name, char *err, size_t errlen)
{
	char expected[APPARMOR_PROFILE_NAME_SIZE];
	if (!name || strncmp(name, "lockvm-", 7) != 0 ||
	    apparmor_profile_name(name + 7, expected, sizeof(expected), err, errlen) < 0) {
		set_error(err, errlen, "refusing to remove '%s': only lockvm-<uuid> profiles",
			  name ? name : "(null)");
		return -1;
	}
	if (aa_is_enabled() != 1)
		return not_enforced(err, errlen, "no profile to remove");
	char *mount_point = NULL, path[PATH_MAX];
	if (aa_find_mountpoint(&mount_point) < 0) {
		set_error(err, errlen, "aa_find_mountpoint: %s", strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/.remove", mount_point);
	free(mount_point);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		set_error(err, errlen, "open(%s): %s", path, strerror(errno));
		return -1;
	}
	int rc = write_all(fd, expected, strlen(expected));
	int saved = errno;
	close(fd);
	if (rc < 0) {
		set_error(err, errlen, "removing profile %s via %s: %s", expected, path,
			  strerror(saved));
		return -1;
	}
	return 0;
}
