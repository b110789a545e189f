/* lockvm-oci's main: runc's global options, then one command. */
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "oci.h"

struct oci_globals oci_g = {.root = "/run/lockvm-oci"};

static void log_line(const char *level, const char *fmt, va_list ap)
{
	char msg[1024], when[64];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (strcmp(level, "debug") != 0)
		fprintf(stderr, "lockvm-oci: %s\n", msg);
	if (!oci_g.log_path)
		return;
	FILE *f = fopen(oci_g.log_path, "ae");
	if (!f)
		return;
	if (oci_g.log_json) {
		/* logrus's JSON lines, which conmon and containerd's shim read. */
		json_object *o = json_object_new_object();
		json_object_object_add(o, "level", json_object_new_string(level));
		json_object_object_add(o, "msg", json_object_new_string(msg));
		json_object_object_add(o, "time", json_object_new_string(when));
		fprintf(f, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
	} else {
		fprintf(f, "time=\"%s\" level=%s msg=\"%s\"\n", when, level, msg);
	}
	fclose(f);
}

void oci_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_line("error", fmt, ap);
	va_end(ap);
	exit(OCI_EXIT_FAIL);
}

void oci_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_line("warning", fmt, ap);
	va_end(ap);
}

void oci_debug(const char *fmt, ...)
{
	if (!oci_g.debug)
		return;
	va_list ap;
	va_start(ap, fmt);
	log_line("debug", fmt, ap);
	va_end(ap);
}

bool oci_opt_value(int argc, char **argv, int *i, const char *name, const char **value)
{
	size_t n = strlen(name);
	const char *a = argv[*i];
	/* urfave/cli takes -name as well as --name. */
	if (a[0] == '-' && a[1] == '-')
		a++;
	if (a[0] != '-' || strncmp(a + 1, name, n) != 0)
		return false;
	if (a[1 + n] == '=') {
		*value = a + 2 + n;
		return true;
	}
	if (a[1 + n] != '\0')
		return false;
	if (*i + 1 >= argc)
		oci_fail("option --%s needs a value", name);
	*value = argv[++*i];
	return true;
}

void oci_print_json(void *obj)
{
	printf("%s\n", json_object_to_json_string_ext(
			   (json_object *)obj, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
						   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put((json_object *)obj);
}

void oci_load_or_fail(const char *id, struct oci_state *s)
{
	if (oci_state_load(oci_g.root, id, s) < 0)
		oci_fail("container does not exist");
}

static const struct {
	const char *name;
	int (*fn)(int, char **);
} commands[] = {
    {"create", oci_cmd_create}, {"start", oci_cmd_start}, {"run", oci_cmd_run},
    {"state", oci_cmd_state},	{"kill", oci_cmd_kill},	  {"delete", oci_cmd_delete},
    {"list", oci_cmd_list},	{"ps", oci_cmd_ps},	  {"features", oci_cmd_features},
    {"spec", oci_cmd_spec},	{"exec", oci_cmd_exec},
};

static int usage(void)
{
	printf("usage: lockvm-oci [--root DIR] [--log FILE] [--log-format text|json] [--debug] "
	       "[--systemd-cgroup] COMMAND [OPTIONS] ID\n"
	       "commands: create, start, run, state, kill, delete, list, ps, features, spec, "
	       "exec (not yet)\n"
	       "A runc-compatible OCI runtime: each container is a lockvm VM (lockvm run "
	       "--linux).\n");
	return 0;
}

int main(int argc, char **argv)
{
	util_progname = "lockvm-oci";
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *v;
		if (oci_opt_value(argc, argv, &i, "root", &v))
			oci_g.root = v;
		else if (oci_opt_value(argc, argv, &i, "log", &v))
			oci_g.log_path = v;
		else if (oci_opt_value(argc, argv, &i, "log-format", &v)) {
			if (strcmp(v, "json") != 0 && strcmp(v, "text") != 0)
				oci_fail("--log-format %s: want text or json", v);
			oci_g.log_json = strcmp(v, "json") == 0;
		} else if (strcmp(argv[i], "--debug") == 0)
			oci_g.debug = true;
		else if (strcmp(argv[i], "--systemd-cgroup") == 0)
			oci_g.systemd_cgroup = true;
		else if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-v") == 0) {
			printf("lockvm-oci version 0.1\nspec: 1.1.0\n");
			return 0;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return usage();
		else
			oci_fail("unknown global option %s", argv[i]);
	}
	if (i >= argc)
		return usage();
	if (oci_g.root[0] != '/')
		oci_fail("--root %s: want an absolute path", oci_g.root);
	for (size_t c = 0; c < ARRAY_SIZE(commands); c++)
		if (strcmp(argv[i], commands[c].name) == 0)
			return commands[c].fn(argc - i, argv + i);
	oci_fail("no such command: %s", argv[i]);
}
