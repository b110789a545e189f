/* VM definitions: the INI files under $root/etc/lockvm/vms/NAME.conf, parsed with libinih, checked key by key, turned into `lockvm run` arguments. */
#include "vmdef.h"

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "label.h"
#include "memory.h"
#include "paths.h"
#include "util.h"
#include "vmdef_options.h"

enum section {
	SECTION_NONE,	 /* before the first header */
	SECTION_VM,	 /* [vm] */
	SECTION_DISK,	 /* [disk]: def->disks[disk_count - 1] */
	SECTION_UNKNOWN, /* refused header: its keys are skipped */
};

/* The single-valued [vm] keys, indexes into parse_state.vm_key_line. */
enum vm_key {
	KEY_GUEST,
	KEY_MEM,
	KEY_VCPUS,
	KEY_TIMEOUT,
	KEY_CPUS,
	KEY_SECCOMP,
	KEY_LABEL,
	KEY_GROUP,
	KEY_COUNT,
};

struct parse_state {
	const char *file;
	const char *text; /* the input, read line by line by read_line() */
	size_t len, pos;
	unsigned line; /* of the line last handed to inih */
	enum section section;
	unsigned vm_line;		    /* of [vm]; 0 while none */
	unsigned vm_key_line[KEY_COUNT];    /* where each [vm] key was set */
	unsigned arg_line[LOCKVM_MAX_ARGS]; /* where each arg was set */
	unsigned disk_path_line, disk_mode_line, disk_device_line;
	struct vmdef *def;
	/* The first error by line number: inih reports its own syntax errors
	 * separately, and the earlier of the two is the one shown. */
	bool failed;
	unsigned err_line; /* 0: the file as a whole */
	char *err;
	size_t errlen;
};

static void fail_at(struct parse_state *st, unsigned line, const char *fmt, ...) PRINTF_LIKE(3, 4);

static void fail_at(struct parse_state *st, unsigned line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	if (st->failed && (line == 0 || st->err_line <= line))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line)
		snprintf(st->err, st->errlen, "%s:%u: %s", st->file, line, msg);
	else
		snprintf(st->err, st->errlen, "%s: %s", st->file, msg);
	st->failed = true;
	st->err_line = line;
}

/* Stores a copy of value in *slot; false (error recorded) when out of memory. */
static bool keep(struct parse_state *st, char **slot, const char *value)
{
	*slot = strdup(value);
	if (!*slot)
		fail_at(st, st->line, "out of memory");
	return *slot != NULL;
}

static const char *disk_mode_name(enum vmdef_disk_mode mode)
{
	switch (mode) {
	case VMDEF_DISK_RO: return "ro";
	case VMDEF_DISK_SHARED: return "shared";
	case VMDEF_DISK_RW: break;
	}
	return "rw";
}

static bool absolute_path(struct parse_state *st, const char *key, const char *value)
{
	if (value[0] != '/') {
		fail_at(st, st->line, "%s '%s': want an absolute path", key, value);
		return false;
	}
	return true;
}

static void set_vm_key(struct parse_state *st, enum vm_key key, const char *name, const char *value)
{
	struct vmdef *def = st->def;
	uint64_t number;
	const char *why;

	if (st->vm_key_line[key]) {
		fail_at(st, st->line, "%s given twice (first on line %u)", name,
			st->vm_key_line[key]);
		return;
	}
	st->vm_key_line[key] = st->line;
	switch (key) {
	case KEY_GUEST:
		if (absolute_path(st, name, value))
			keep(st, &def->guest, value);
		break;
	case KEY_MEM:
		if (parse_size(value, &number) < 0)
			fail_at(st, st->line, "mem '%s': not a size (use e.g. 64M or 1G)", value);
		else if ((why = guest_mem_size_problem(number)))
			fail_at(st, st->line, "mem %s %s", value, why);
		else if (keep(st, &def->mem, value))
			def->mem_bytes = number;
		break;
	case KEY_VCPUS:
		if (parse_uint(value, 1, LOCKVM_MAX_VCPUS, &number) < 0)
			fail_at(st, st->line, "vcpus '%s': want a number from 1 to %d", value,
				LOCKVM_MAX_VCPUS);
		else
			def->vcpus = (unsigned)number;
		break;
	case KEY_TIMEOUT:
		if (parse_seconds(value, VMDEF_TIMEOUT_MAX, &number) < 0)
			fail_at(st, st->line,
				"timeout '%s': want seconds greater than 0 (at most %u), e.g. 10 "
				"or 0.5",
				value, VMDEF_TIMEOUT_MAX);
		else
			keep(st, &def->timeout, value);
		break;
	case KEY_CPUS:
		if (cgroup_cpus_to_quota(value, CGROUP_CPU_PERIOD_US, &number) < 0)
			fail_at(st, st->line,
				"cpus '%s': want a number of CPUs above 0, e.g. 0.5 or 2 (up to 3 "
				"decimals)",
				value);
		else
			keep(st, &def->cpus, value);
		break;
	case KEY_SECCOMP:
		if (strcmp(value, "kill") != 0 && strcmp(value, "log") != 0 &&
		    strcmp(value, "trap") != 0)
			fail_at(st, st->line, "seccomp '%s': want kill, log or trap", value);
		else
			keep(st, &def->seccomp, value);
		break;
	case KEY_LABEL: {
		/* A static context gets run's own check, the loaded policy's
		 * included where SELinux is on; its message names "--label". */
		char why_label[LABEL_MAX + 128];
		if (strcmp(value, "dynamic") == 0 || strcmp(value, "none") == 0 ||
		    label_static_check(value, why_label, sizeof(why_label)) == 0)
			keep(st, &def->label, value);
		else
			fail_at(st, st->line, "%s (or dynamic or none)",
				strncmp(why_label, "--", 2) == 0 ? why_label + 2 : why_label);
		break;
	}
	case KEY_GROUP:
		if (!paths_name_valid(value, &why))
			fail_at(st, st->line, "group '%s': %s", value, why);
		else
			keep(st, &def->group, value);
		break;
	case KEY_COUNT: break;
	}
}

static void add_arg(struct parse_state *st, const char *value)
{
	struct vmdef *def = st->def;
	/* run counts the guest itself as argv[0] against LOCKVM_MAX_ARGS. */
	if (def->arg_count + 1 >= LOCKVM_MAX_ARGS) {
		fail_at(st, st->line, "more than %d guest arguments", LOCKVM_MAX_ARGS - 1);
		return;
	}
	st->arg_line[def->arg_count] = st->line;
	if (keep(st, &def->args[def->arg_count], value))
		def->arg_count++;
}

/* A [vm] key that is a run option as it is: checked, kept in file order. */
static void add_option(struct parse_state *st, int index, const char *name, const char *value)
{
	struct vmdef *def = st->def;
	char why[256];
	for (unsigned i = 0; i < def->option_count && !vmdef_option_repeats(index); i++)
		if (def->options[i].index == index) {
			fail_at(st, st->line, "%s given twice (first on line %u)", name,
				def->options[i].line);
			return;
		}
	if (def->option_count == VMDEF_OPTIONS_MAX) {
		fail_at(st, st->line, "more than %u run options", VMDEF_OPTIONS_MAX);
		return;
	}
	if (vmdef_option_check(index, value, why, sizeof(why)) < 0) {
		fail_at(st, st->line, "%s '%s': %s", name, value, why);
		return;
	}
	struct vmdef_run_option *o = &def->options[def->option_count];
	o->index = index;
	o->line = st->line;
	if (keep(st, &o->value, value))
		def->option_count++;
}

static void set_disk_key(struct parse_state *st, const char *name, const char *value)
{
	struct vmdef *def = st->def;
	struct vmdef_disk *disk = &def->disks[def->disk_count - 1];

	if (strcmp(name, "path") == 0) {
		if (st->disk_path_line) {
			fail_at(st, st->line, "path given twice in one [disk] (first on line %u)",
				st->disk_path_line);
			return;
		}
		st->disk_path_line = st->line;
		if (!absolute_path(st, name, value))
			return;
		for (unsigned i = 0; i + 1 < def->disk_count; i++) {
			if (def->disks[i].path && strcmp(def->disks[i].path, value) == 0) {
				fail_at(st, st->line,
					"disk %s is already attached by the [disk] on line %u",
					value, def->disks[i].line);
				return;
			}
		}
		keep(st, &disk->path, value);
	} else if (strcmp(name, "mode") == 0) {
		if (st->disk_mode_line) {
			fail_at(st, st->line, "mode given twice in one [disk] (first on line %u)",
				st->disk_mode_line);
			return;
		}
		st->disk_mode_line = st->line;
		if (strcmp(value, "rw") == 0)
			disk->mode = VMDEF_DISK_RW;
		else if (strcmp(value, "ro") == 0)
			disk->mode = VMDEF_DISK_RO;
		else if (strcmp(value, "shared") == 0)
			disk->mode = VMDEF_DISK_SHARED;
		else
			fail_at(st, st->line, "mode '%s': want rw, ro or shared", value);
	} else if (strcmp(name, "device") == 0) {
		if (st->disk_device_line) {
			fail_at(st, st->line, "device given twice in one [disk] (first on line %u)",
				st->disk_device_line);
			return;
		}
		st->disk_device_line = st->line;
		if (strcmp(value, "yes") == 0)
			disk->device = true;
		else if (strcmp(value, "no") != 0)
			fail_at(st, st->line, "device '%s': want yes (a block device) or no",
				value);
	} else {
		fail_at(st, st->line, "unknown key '%s' in [disk] (known: path, mode, device)",
			name);
	}
}

/* inih's callback, once per "key = value" line. */
static int on_key(void *user, const char *section, const char *name, const char *value)
{
	static const char *const vm_keys[KEY_COUNT] = {
	    [KEY_GUEST] = "guest",     [KEY_MEM] = "mem",     [KEY_VCPUS] = "vcpus",
	    [KEY_TIMEOUT] = "timeout", [KEY_CPUS] = "cpus",   [KEY_SECCOMP] = "seccomp",
	    [KEY_LABEL] = "label",     [KEY_GROUP] = "group",
	};
	struct parse_state *st = user;

	switch (st->section) {
	case SECTION_UNKNOWN: return 1; /* its header was refused already */
	case SECTION_NONE:
		fail_at(st, st->line, "'%s' is outside a section (keys go under [vm] or [disk])",
			name);
		break;
	case SECTION_VM:
	case SECTION_DISK:
		/* read_line() tracks sections itself (inih has no callback for an
		 * empty one); the two must agree. */
		if (strcmp(section, st->section == SECTION_VM ? "vm" : "disk") != 0) {
			fail_at(st, st->line, "cannot tell which section '%s' belongs to", name);
			break;
		}
		if (name[0] == '\0') {
			fail_at(st, st->line, "no key before '='");
			break;
		}
		if (value[0] == '\0') {
			fail_at(st, st->line, "%s has no value", name);
			break;
		}
		if (st->section == SECTION_DISK) {
			set_disk_key(st, name, value);
			break;
		}
		if (strcmp(name, "arg") == 0) {
			add_arg(st, value);
			break;
		}
		for (int key = 0; key < KEY_COUNT; key++) {
			if (strcmp(name, vm_keys[key]) == 0) {
				set_vm_key(st, (enum vm_key)key, name, value);
				return 1;
			}
		}
		if (vmdef_option_find(name) >= 0) {
			add_option(st, vmdef_option_find(name), name, value);
			break;
		}
		fail_at(st, st->line,
			"unknown key '%s' in [vm] (known: guest, mem, vcpus, timeout, cpus, "
			"seccomp, label, group, arg, %s)",
			name, vmdef_option_names());
		break;
	}
	/* Our errors are kept in st; inih's return value then counts only
	 * its own syntax errors, and the earlier of the two is shown. */
	return 1;
}

/* Closes the section being read: a [disk] must have named its image. */
static void end_section(struct parse_state *st)
{
	if (st->section == SECTION_DISK) {
		const struct vmdef_disk *disk = &st->def->disks[st->def->disk_count - 1];
		if (!disk->path && !st->disk_path_line)
			fail_at(st, disk->line, "[disk] has no path");
	}
}

/* A "[name]" line, seen by read_line() before inih sees it. */
static void begin_section(struct parse_state *st, const char *text, size_t len)
{
	const char *close = memchr(text, ']', len);
	if (!close)
		return; /* inih reports the malformed header */
	const char *name = text + 1;
	size_t name_len = (size_t)(close - name);
	size_t rest = len - (size_t)(close + 1 - text);
	const char *after = close + 1;
	while (rest && (*after == ' ' || *after == '\t' || *after == '\r')) {
		after++;
		rest--;
	}
	end_section(st);
	st->section = SECTION_UNKNOWN;
	if (rest && *after != ';' && *after != '#') {
		fail_at(st, st->line, "text after [%.*s]", (int)name_len, name);
	} else if (name_len == 2 && memcmp(name, "vm", 2) == 0) {
		if (st->vm_line) {
			fail_at(st, st->line, "a second [vm] section (the first is on line %u)",
				st->vm_line);
			return;
		}
		st->vm_line = st->line;
		st->section = SECTION_VM;
	} else if (name_len == 4 && memcmp(name, "disk", 4) == 0) {
		if (st->def->disk_count == LOCKVM_MAX_DISKS) {
			fail_at(st, st->line, "more than %d [disk] sections", LOCKVM_MAX_DISKS);
			return;
		}
		struct vmdef_disk *disk = &st->def->disks[st->def->disk_count++];
		*disk = (struct vmdef_disk){.mode = VMDEF_DISK_RW, .line = st->line};
		st->disk_path_line = st->disk_mode_line = st->disk_device_line = 0;
		st->section = SECTION_DISK;
	} else {
		fail_at(st, st->line, "unknown section [%.*s] (want [vm] or [disk])", (int)name_len,
			name);
	}
}

/*
 * inih's reader: hands it one line of the input per call, so that our line
 * count is inih's. Lines are trimmed on the left, which turns off inih's
 * continuation lines (an indented "key = value" would otherwise be read as
 * more of the previous value). Lines that are too long for inih's buffer,
 * or hold control characters, are refused here and replaced by an empty
 * line, so inih never sees a line cut in two.
 */
static char *read_line(char *buf, int size, void *stream)
{
	struct parse_state *st = stream;
	if (st->pos >= st->len || size < 4)
		return NULL;
	const char *line = st->text + st->pos;
	const char *newline = memchr(line, '\n', st->len - st->pos);
	size_t len = newline ? (size_t)(newline - line) : st->len - st->pos;
	st->pos += len + (newline ? 1 : 0);
	st->line++;

	if (st->line == 1 && len >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) {
		line += 3; /* a UTF-8 byte order mark */
		len -= 3;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];
		if ((c < 0x20 && c != '\t' && !(c == '\r' && i + 1 == len)) || c == 0x7f) {
			fail_at(st, st->line, "control character 0x%02x in the line", c);
			memcpy(buf, "\n", 2);
			return buf;
		}
	}
	/* inih needs room for "\r\n\0" beyond the longest line. */
	if (len > (size_t)size - 3) {
		fail_at(st, st->line, "line longer than %d characters", size - 3);
		memcpy(buf, "\n", 2);
		return buf;
	}
	while (len && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	if (len && line[0] == '[')
		begin_section(st, line, len);
	memcpy(buf, line, len);
	buf[len] = '\n';
	buf[len + 1] = '\0';
	return buf;
}

/* Checks that need the whole file. */
static void check_whole(struct parse_state *st)
{
	struct vmdef *def = st->def;
	if (!st->vm_line) {
		fail_at(st, 0, "no [vm] section");
		return;
	}
	if (!def->guest) {
		fail_at(st, st->vm_line, "[vm] has no guest");
		return;
	}
	if (def->group && def->label && strcmp(def->label, "dynamic") != 0)
		fail_at(st, st->vm_key_line[KEY_GROUP],
			"group %s needs label = dynamic (a group shares one dynamic category pair)",
			def->group);
	/* The same limit `lockvm run` applies to what the guest receives:
	 * argv pointers (with the terminating NULL) and strings. */
	size_t bytes = (def->arg_count + 2) * sizeof(uint64_t) + strlen(def->guest) + 1;
	for (unsigned i = 0; i < def->arg_count; i++) {
		bytes += strlen(def->args[i]) + 1;
		if (bytes > LOCKVM_ARGS_AREA) {
			fail_at(st, st->arg_line[i],
				"the guest arguments up to here take more than %d bytes",
				LOCKVM_ARGS_AREA);
			return;
		}
	}
	/* mem and vcpus left out are run's own defaults (a linux = yes guest's
	 * differ from an SDK guest's): start passes neither. */
}

int vmdef_parse(const char *text, size_t len, const char *file, struct vmdef *def, char *err,
		size_t errlen)
{
	struct parse_state st = {
	    .file = file, .text = text, .len = len, .def = def, .err = err, .errlen = errlen};
	*def = (struct vmdef){0};
	if (errlen)
		err[0] = '\0';
	int rc = ini_parse_stream(read_line, &st, on_key, &st);
	end_section(&st);
	if (rc == -2)
		fail_at(&st, 0, "out of memory");
	else if (rc > 0 && (!st.failed || (unsigned)rc < st.err_line))
		fail_at(&st, (unsigned)rc, "not a [section] or 'key = value' line");
	if (!st.failed)
		check_whole(&st);
	if (st.failed) {
		vmdef_free(def);
		return -1;
	}
	return 0;
}

char *vmdef_read_text(const char *path, size_t *len, char *err, size_t errlen)
{
	/* O_NONBLOCK: a FIFO in place of the file must not hang us. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	char *text;
	size_t used = 0;
	int saved;

	if (fd < 0) {
		saved = errno;
		snprintf(err, errlen, "%s: cannot read it: %s", path, strerror(saved));
		errno = saved;
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		errno = EINVAL;
		return NULL;
	}
	text = malloc(VMDEF_FILE_MAX + 1);
	if (!text) {
		snprintf(err, errlen, "%s: out of memory", path);
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	for (;;) {
		ssize_t r = read(fd, text + used, VMDEF_FILE_MAX + 1 - used);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			saved = errno;
			snprintf(err, errlen, "%s: cannot read it: %s", path, strerror(saved));
			goto fail;
		}
		if (r == 0)
			break;
		used += (size_t)r;
		if (used > VMDEF_FILE_MAX) {
			snprintf(err, errlen,
				 "%s: larger than %u bytes, too large for a definition", path,
				 VMDEF_FILE_MAX);
			saved = EFBIG;
			goto fail;
		}
	}
	close(fd);
	text[used] = '\0';
	*len = used;
	return text;
fail:
	free(text);
	close(fd);
	errno = saved;
	return NULL;
}

int vmdef_load(const char *path, struct vmdef *def, char *err, size_t errlen)
{
	size_t len;
	char *text;

	*def = (struct vmdef){0};
	text = vmdef_read_text(path, &len, err, errlen);
	if (!text)
		return -1;
	int rc = vmdef_parse(text, len, path, def, err, errlen);
	free(text);
	if (rc < 0)
		errno = EINVAL;
	return rc;
}

void vmdef_free(struct vmdef *def)
{
	free(def->guest);
	free(def->mem);
	free(def->timeout);
	free(def->cpus);
	free(def->seccomp);
	free(def->label);
	free(def->group);
	for (unsigned i = 0; i < def->arg_count; i++)
		free(def->args[i]);
	for (unsigned i = 0; i < def->disk_count; i++)
		free(def->disks[i].path);
	for (unsigned i = 0; i < def->option_count; i++)
		free(def->options[i].value);
	*def = (struct vmdef){0};
}

static bool push(char **argv, int *argc, const char *fmt, ...) PRINTF_LIKE(3, 4);

static bool push(char **argv, int *argc, const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return false;
	argv[(*argc)++] = s;
	return true;
}

char **vmdef_run_argv(const struct vmdef *def, const char *name, int *argc_out)
{
	/* run, 2 × 9 options, the guest, "--", NULL; then disks and args */
	size_t cap = 24 + 2 * (size_t)def->disk_count + def->arg_count + def->option_count;
	char **argv = calloc(cap, sizeof(*argv));
	int argc = 0;
	bool ok;

	if (!argv)
		return NULL;
	ok = push(argv, &argc, "run") && push(argv, &argc, "--detach") &&
	     push(argv, &argc, "--name") && push(argv, &argc, "%s", name);
	if (ok && def->mem)
		ok = push(argv, &argc, "--mem") && push(argv, &argc, "%s", def->mem);
	if (ok && def->vcpus)
		ok = push(argv, &argc, "--vcpus") && push(argv, &argc, "%u", def->vcpus);
	if (ok && def->timeout)
		ok = push(argv, &argc, "--timeout") && push(argv, &argc, "%s", def->timeout);
	if (ok && def->cpus)
		ok = push(argv, &argc, "--cpus") && push(argv, &argc, "%s", def->cpus);
	if (ok && def->seccomp)
		ok = push(argv, &argc, "--seccomp") && push(argv, &argc, "%s", def->seccomp);
	/* A group implies a dynamic label (checked above); run takes one or
	 * the other, so "--label dynamic" is left out when there is a group. */
	if (ok && def->label && !def->group)
		ok = push(argv, &argc, "--label") && push(argv, &argc, "%s", def->label);
	if (ok && def->group)
		ok = push(argv, &argc, "--group") && push(argv, &argc, "%s", def->group);
	for (unsigned i = 0; ok && i < def->disk_count; i++)
		ok = push(argv, &argc, "--disk") &&
		     push(argv, &argc, "%s,%s%s", def->disks[i].path,
			  disk_mode_name(def->disks[i].mode), def->disks[i].device ? ",dev" : "");
	for (unsigned i = 0; ok && i < def->option_count; i++) {
		char buf[PATH_MAX + 64];
		const char *arg = vmdef_option_argument(def->options[i].index,
							def->options[i].value, buf, sizeof(buf));
		ok = !arg || push(argv, &argc, "%s", arg);
	}
	if (ok)
		ok = push(argv, &argc, "%s", def->guest);
	if (ok && def->arg_count)
		ok = push(argv, &argc, "--");
	for (unsigned i = 0; ok && i < def->arg_count; i++)
		ok = push(argv, &argc, "%s", def->args[i]);
	if (!ok) {
		vmdef_argv_free(argv);
		return NULL;
	}
	*argc_out = argc;
	return argv;
}

void vmdef_argv_free(char **argv)
{
	if (!argv)
		return;
	for (char **p = argv; *p; p++)
		free(*p);
	free(argv);
}
