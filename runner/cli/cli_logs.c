/* `lockvm logs`: a VM's log, both parts (NAME.log.1 then NAME.log), following rotation; gc of old logs. */
#include "cli_vm.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cliopt.h"
#include "config.h"
#include "paths.h"
#include "registry.h"
#include "termfilter.h"
#include "util.h"
#include "vmlog.h"

/* What a terminal is shown for a read of the log (termfilter.h). */
static char shown[TERM_FILTER_OUT_MAX(65536)];

/* Writes log bytes to stdout, through the filter when it is a terminal. */
static int log_write(struct term_filter *tty, const char *buf, size_t n)
{
	if (!tty)
		return write_all(STDOUT_FILENO, buf, n);
	return write_all(STDOUT_FILENO, shown, term_filter(tty, buf, n, shown));
}

/* Copies what fd holds from its offset to stdout. -1 when stdout fails. */
static int copy_out(int fd, struct term_filter *tty)
{
	static char buf[65536];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		if (log_write(tty, buf, (size_t)n) < 0)
			return -1;
	}
}

/* Whether path now names another file than fd: the supervisor rotated it. */
static bool rotated(const char *path, int fd)
{
	struct stat now, open_one;
	return stat(path, &now) == 0 && fstat(fd, &open_one) == 0 &&
	       (now.st_ino != open_one.st_ino || now.st_dev != open_one.st_dev);
}

static void log_path(const char *name, const char *suffix, char *path)
{
	char leaf[PATHS_NAME_MAX + 8];
	snprintf(leaf, sizeof(leaf), "%s%s", name, suffix);
	if (paths_join(path, PATH_MAX, PATHS_LOG_DIR, leaf) < 0)
		die("log path too long");
}

int cmd_logs(int argc, char **argv)
{
	static const struct cliopt options[] = {
	    {"follow", 'f', no_argument, 'f', NULL, "keep printing while the VM runs"}};
	static const struct cliopt_spec spec = {
	    .command = "logs",
	    .operands = "NAME",
	    .summary = "a VM's console and lifecycle log (NAME.log.1, then NAME.log), also of "
		       "a VM that ended, until gc removes it",
	    .options = options,
	    .count = ARRAY_SIZE(options),
	    .min_operands = 1,
	    .max_operands = 1};
	bool follow = false;
	struct cliopt_parser p;
	int count;
	cliopt_begin(&p, &spec, argc, argv);
	while (cliopt_next(&p))
		follow = true; /* -f, the only option */
	char *name = cliopt_operands(&p, &count)[0];
	const char *why;
	if (!paths_name_valid(name, &why))
		die("VM name '%s': %s", name, why);
	char path[PATH_MAX], old_path[PATH_MAX];
	log_path(name, ".log", path);
	log_path(name, ".log.1", old_path);
	int old_fd = open(old_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		die_errno("no log for '%s' (%s)", name, path);
	/* The log holds the guest's bytes raw: a terminal gets escape
	 * sequences shown, not obeyed; a pipe or file gets the exact bytes. */
	struct term_filter filter = {0};
	struct term_filter *tty = isatty(STDOUT_FILENO) ? &filter : NULL;
	int rc = old_fd >= 0 ? copy_out(old_fd, tty) : 0;
	if (old_fd >= 0)
		close(old_fd);
	while (rc == 0) {
		if (copy_out(fd, tty) < 0)
			break;
		/* At the end: -f follows while the VM lives, into each new part. */
		bool live = follow && registry_live(name) == 1;
		if (follow && rotated(path, fd)) {
			int next = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
			if (next >= 0) {
				(void)copy_out(fd, tty); /* what the old part got last */
				close(fd);
				fd = next;
				continue;
			}
		}
		if (!live) {
			(void)copy_out(fd, tty); /* what the last moment added */
			break;
		}
		struct timespec ts = {0, 100L * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	if (tty)
		(void)write_all(STDOUT_FILENO, shown, term_filter_flush(tty, shown));
	close(fd);
	return 0;
}

static bool vm_runs(const char *name)
{
	return registry_live(name) == 1;
}

int logs_gc(void)
{
	struct lockvm_config cfg;
	char err[PATH_MAX + 256];
	if (config_load(&cfg, err, sizeof(err)) < 0) {
		warn_msg("gc: %s", err);
		return -1;
	}
	int n = vmlog_gc(cfg.log_max_age_s, vm_runs);
	if (n < 0) {
		warn_errno("gc: reading %s/%s", paths_root(), PATHS_LOG_DIR);
		return -1;
	}
	printf("gc: removed the logs of %d VM%s gone for more than %llu s\n", n, n == 1 ? "" : "s",
	       (unsigned long long)cfg.log_max_age_s);
	return 0;
}
