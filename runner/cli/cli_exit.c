/* lockvm wait and rm, and the exit records shown by inspect and list -a. */
#include "cli_exit.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli_vm.h"
#include "exits.h"
#include "paths.h"
#include "registry.h"
#include "util.h"

static void check_name(const char *name)
{
	const char *why;
	if (!paths_name_valid(name, &why))
		die("'%s': %s", name, why);
}

int cmd_wait(int argc, char **argv)
{
	const char *name = cli_parse_name(
	    "wait", "wait for a VM to end, print and exit with its status", argc, argv, NULL);
	check_name(name);
	struct exit_record r;
	if (registry_live(name) != 1 && exits_load(name, &r) < 0)
		die("no VM named %s (running, or ended detached with an exit record)", name);
	/* The supervisor writes the record before it lets go of its lock. */
	while (registry_live(name) == 1) {
		struct timespec ts = {0, 20L * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	if (exits_load(name, &r) < 0)
		die("%s ended without an exit record (its supervisor was killed, or it was not "
		    "detached)",
		    name);
	printf("%d\n", r.status);
	return r.status;
}

int cmd_rm(int argc, char **argv)
{
	const char *name =
	    cli_parse_name("rm", "remove an ended detached VM's exit record", argc, argv, NULL);
	check_name(name);
	if (registry_live(name) == 1)
		die("%s is running: stop or kill it first", name);
	if (exits_remove(name) < 0)
		die("%s: no exit record", name);
	return 0;
}

static json_object *record_json(const struct exit_record *r)
{
	json_object *o = json_object_new_object();
	char state[32];
	snprintf(state, sizeof(state), "exited (%d)", r->status);
	json_object_object_add(o, "name", json_object_new_string(r->name));
	json_object_object_add(o, "state", json_object_new_string(state));
	json_object_object_add(o, "exit_status", json_object_new_int(r->status));
	json_object_object_add(o, "reason", json_object_new_string(r->reason));
	json_object_object_add(o, "ended", json_object_new_int64(r->ended));
	if (r->upper[0]) {
		json_object_object_add(o, "upper", json_object_new_string(r->upper));
		json_object_object_add(o, "upper_state", json_object_new_string(r->upper_state));
	}
	return o;
}

bool cli_exit_inspect(const char *name, bool json)
{
	struct exit_record r;
	if (exits_load(name, &r) < 0)
		return false;
	if (json) {
		json_object *o = record_json(&r);
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
		json_object_put(o);
		return true;
	}
	char when[64];
	time_t t = (time_t)r.ended;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("name:        %s\nstate:       exited (%d)\nexit status: %d\nreason:      %s\n"
	       "ended:       %s\n",
	       r.name, r.status, r.status, r.reason, when);
	if (r.upper[0])
		printf("upper:       %s\nupper state: %s\n", r.upper, r.upper_state);
	return true;
}

void cli_exit_list(void *json_array)
{
	char **names;
	size_t n;
	if (exits_names(&names, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		struct exit_record r;
		if (registry_live(names[i]) == 1 || exits_load(names[i], &r) < 0)
			continue;
		if (json_array) {
			json_object_array_add((json_object *)json_array, record_json(&r));
		} else {
			char state[32];
			snprintf(state, sizeof(state), "exited (%d)", r.status);
			printf("%-20s %-9s %8s %8s %8s %5s %8s\n", r.name, state, "-", "-", "-",
			       "-", "-");
		}
	}
	paths_names_free(names, n);
}
