/* The lifecycle events a VM's supervisor adds to the journal: started, label, and how it ended. */
#include "run_internal.h"

#include "events.h"

void run_event_started(const struct run_options *o, const struct run_state *st)
{
	json_object *a = json_object_new_object();
	json_object_object_add(a, "uuid", json_object_new_string(st->vm.uuid));
	json_object_object_add(a, "guest", json_object_new_string(o->guest));
	json_object_object_add(a, "vmm_pid", json_object_new_int64(st->vm.vmm_pid));
	events_append("started", st->vm.name, a, st->config.log_size_max);
	a = json_object_new_object();
	json_object_object_add(a, "uuid", json_object_new_string(st->vm.uuid));
	json_object_object_add(a, "label", json_object_new_string(st->vm.label.process));
	json_object_object_add(a, "label_kind",
			       json_object_new_string(label_kind_name(st->vm.label.kind)));
	json_object_object_add(a, "mac", json_object_new_string(st->vm.mac));
	json_object_object_add(a, "mac_mode", json_object_new_string(st->vm.mac_mode));
	events_append("label", st->vm.name, a, st->config.log_size_max);
}

void run_event_ended(const struct run_state *st, int status, const char *why)
{
	/* The two ends an operator watches for get types of their own. */
	const char *type = status == EXIT_OOM_KILLED ? "oom"
			   : status == EXIT_SECCOMP  ? "seccomp"
						     : "exited";
	json_object *a = json_object_new_object();
	json_object_object_add(a, "uuid", json_object_new_string(st->vm.uuid));
	json_object_object_add(a, "status", json_object_new_int(status));
	json_object_object_add(a, "reason", json_object_new_string(why));
	events_append(type, st->vm.name, a, st->config.log_size_max);
}
