/* lockvm-oci's shared pieces: globals, runc-style logging, option values, JSON output. */
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
