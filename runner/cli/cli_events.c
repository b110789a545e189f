/* `lockvm events`: the lifecycle journal, filtered, as lines or JSON, followed like `podman events`. */
#include "cli_events.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cliopt.h"
#include "events.h"
#include "util.h"
#include "vmlog.h"

#define EVENTS_FILTERS_MAX 16

struct events_view {
	bool json;
	int64_t since;
	struct {
		char key[16];
		const char *value;
	} filters[EVENTS_FILTERS_MAX];
	size_t nfilters;
};

static const char *field(json_object *event, const char *key)
{
	json_object *v = NULL;
	return json_object_object_get_ex(event, key, &v) ? json_object_get_string(v) : "";
}

/* Same key: any of its values; different keys: all of them. */
static bool matches(const struct events_view *view, json_object *event)
{
	for (size_t i = 0; i < view->nfilters; i++) {
		bool any = false;
		for (size_t j = 0; j < view->nfilters; j++)
			if (strcmp(view->filters[j].key, view->filters[i].key) == 0 &&
			    strcmp(field(event, view->filters[j].key), view->filters[j].value) == 0)
				any = true;
		if (!any)
			return false;
	}
	return true;
}

static void show(json_object *event, void *ctx)
{
	const struct events_view *view = ctx;
	json_object *t = NULL;
	json_object_object_get_ex(event, "time", &t);
	time_t when = (time_t)json_object_get_int64(t);
	if (when < view->since || !matches(view, event))
		return;
	if (view->json) {
		printf("%s\n", json_object_to_json_string_ext(
				   event, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		return;
	}
	char stamp[32];
	struct tm tm;
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&when, &tm));
	printf("%s %-9s %s", stamp, field(event, "type"), field(event, "name"));
	json_object_object_foreach(event, key, value)
	{
		if (strcmp(key, "time") != 0 && strcmp(key, "type") != 0 &&
		    strcmp(key, "name") != 0)
			printf(" %s=%s", key, json_object_get_string(value));
	}
	printf("\n");
}

/* --since: a duration back from now (10m, 2h, 7d) or a UTC time
 * YYYY-MM-DDTHH:MM:SSZ. */
static int64_t parse_since(const char *text)
{
	uint64_t ago;
	struct tm tm = {0};
	const char *end = strptime(text, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end && *end == '\0')
		return (int64_t)timegm(&tm);
	if (vmlog_parse_age(text, &ago) == 0 && ago <= (uint64_t)time(NULL))
		return (int64_t)time(NULL) - (int64_t)ago;
	die("events: --since '%s': want a duration such as 10m or 2h, or a time such as "
	    "2026-01-31T12:00:00Z",
	    text);
}

int cmd_events(int argc, char **argv)
{
	static const struct cliopt options[] = {
	    {"json", 'j', no_argument, 0, NULL, "one JSON object per line (fields in README)"},
	    {"since", 's', required_argument, 0, "TIME",
	     "only events since then: a duration back (10m, 2h) or 2026-01-31T12:00:00Z"},
	    {"filter", 'f', required_argument, 0, "KEY=VALUE",
	     "only events whose KEY (name, type, uuid, ...) is VALUE; repeatable"},
	    {"no-stream", 'n', no_argument, 0, NULL, "print the journal and exit, do not follow"},
	};
	static const struct cliopt_spec spec = {
	    .command = "events",
	    .operands = "",
	    .summary = "lifecycle events (defined, started, label, paused, resumed, saved, "
		       "migrated, stopped, exited, oom, seccomp, drift) from the journal, then as "
		       "they come",
	    .options = options,
	    .count = ARRAY_SIZE(options)};
	struct events_view view = {0};
	struct cliopt_parser p;
	bool stream = true;
	int key, count;
	cliopt_begin(&p, &spec, argc, argv);
	while ((key = cliopt_next(&p))) {
		switch (key) {
		case 'j': view.json = true; break;
		case 's': view.since = parse_since(p.value); break;
		case 'n': stream = false; break;
		case 'f': {
			const char *eq = strchr(p.value, '=');
			if (!eq || eq == p.value ||
			    (size_t)(eq - p.value) >= sizeof(view.filters[0].key))
				die("events: --filter '%s': want KEY=VALUE, e.g. name=web or "
				    "type=exited",
				    p.value);
			if (view.nfilters == EVENTS_FILTERS_MAX)
				die("events: at most %d --filter", EVENTS_FILTERS_MAX);
			snprintf(view.filters[view.nfilters].key, sizeof(view.filters[0].key),
				 "%.*s", (int)(eq - p.value), p.value);
			view.filters[view.nfilters++].value = eq + 1;
			break;
		}
		}
	}
	cliopt_operands(&p, &count);
	struct events_cursor cursor = {0};
	for (;;) {
		if (events_read(show, &view, &cursor) < 0)
			die_errno("events: reading the journal");
		fflush(stdout);
		if (!stream)
			return 0;
		struct timespec ts = {0, 200L * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
}
