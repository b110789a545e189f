/* `lockvm run --json`: the VM's result, one JSON line on stdout when it ends (field names are an interface: README). */
#include "run_internal.h"

#include <json-c/json.h>
#include <stdio.h>
#include <time.h>

static void add_u64(json_object *o, const char *key, uint64_t value)
{
	json_object_object_add(o, key, json_object_new_uint64(value));
}

void run_result_print(const struct run_state *st, int status, const char *why,
		      const struct memstat *stats)
{
	json_object *o = json_object_new_object();
	json_object *mem = json_object_new_object();
	uint64_t duration_ns = now_ns() - st->started_ns;
	json_object_object_add(o, "name", json_object_new_string(st->vm.name));
	json_object_object_add(o, "uuid", json_object_new_string(st->vm.uuid));
	json_object_object_add(o, "status", json_object_new_int(status));
	json_object_object_add(o, "reason", json_object_new_string(why));
	json_object_object_add(o, "started", json_object_new_int64(st->vm.started));
	json_object_object_add(o, "ended", json_object_new_int64((int64_t)time(NULL)));
	char ms[32];
	snprintf(ms, sizeof(ms), "%.3f", (double)duration_ns / 1e6);
	json_object_object_add(o, "duration_ms",
			       json_object_new_double_s((double)duration_ns / 1e6, ms));
	add_u64(mem, "rss_bytes", stats->rss_bytes);
	add_u64(mem, "peak_rss_bytes", stats->peak_rss_bytes);
	add_u64(mem, "anon_huge_bytes", stats->anon_huge_bytes);
	add_u64(mem, "hugetlb_bytes", stats->hugetlb_bytes);
	json_object_object_add(mem, "ksm_merging_pages",
			       stats->have_ksm ? json_object_new_uint64(stats->ksm_merging_pages)
					       : NULL);
	json_object_object_add(o, "memory", mem);
	/* Its own line, whatever the guest's output ended with. */
	printf("%s%s\n", st->stdout_mid_line ? "\n" : "",
	       json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	fflush(stdout);
	json_object_put(o);
}
