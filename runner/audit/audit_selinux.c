/* `lockvm audit selinux`: proves from a binary policy what a lockvm VM can and cannot reach. */
#include "audit_selinux.h"

#include "util.h"

#include <errno.h>
#include <json-c/json.h>
#include <selinux/selinux.h>
#include <sepol/policydb/avtab.h>
#include <sepol/policydb/ebitmap.h>
#include <sepol/policydb/policydb.h>
#include <sepol/policydb/services.h>
#include <sepol/sepol.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The contexts the properties are stated over: one VM at c1,c2, a second
 * VM at c3,c4, the supervisor at the full MCS range. */
#define VM_CONTEXT	    "system_u:system_r:lockvm_vm_t:s0:c1,c2"
#define OTHER_VM_CONTEXT    "system_u:system_r:lockvm_vm_t:s0:c3,c4"
#define SUPERVISOR_CONTEXT  "system_u:system_r:lockvm_t:s0-s0:c0.c1023"
#define OWN_IMAGE_CONTEXT   "system_u:object_r:lockvm_image_t:s0:c1,c2"
#define OTHER_IMAGE_CONTEXT "system_u:object_r:lockvm_image_t:s0:c3,c4"
#define CONTENT_CONTEXT	    "system_u:object_r:lockvm_content_t:s0"
#define POOL_CONTEXT	    "system_u:object_r:lockvm_var_lib_t:s0"

/* EXPECT_DENIED_BY_MCS: denied, and every requested permission is granted
 * by a type rule, so only a constraint (MCS) can be what denies it: the
 * property proves the category separation, not a missing rule. */
enum expectation { EXPECT_ALLOWED, EXPECT_DENIED, EXPECT_DENIED_BY_MCS };

struct audit_property {
	const char *name;	 /* short identifier, stable for scripts */
	const char *description; /* what must hold, printed after PASS/FAIL */
	const char *source;
	const char *target;
	const char *object_class;
	const char *permissions; /* space separated */
	enum expectation expect;
	/* For an allowed "ioctl": the only ioctl commands the extended
	 * permissions (allowxperm) may allow, space separated; NULL: none. */
	const char *ioctl_only;
};

static const struct audit_property audit_properties[] = {
    {"vm-own-image", "VM s0:c1,c2 reads and writes its own image (lockvm_image_t:s0:c1,c2)",
     VM_CONTEXT, OWN_IMAGE_CONTEXT, "file", "getattr read write lock", EXPECT_ALLOWED, NULL},
    {"vm-other-image",
     "VM s0:c1,c2 cannot read or write the image of another VM (lockvm_image_t:s0:c3,c4)",
     VM_CONTEXT, OTHER_IMAGE_CONTEXT, "file", "open read write append lock ioctl", EXPECT_DENIED,
     NULL},
    {"vm-content-read", "VM reads shared content (lockvm_content_t:s0)", VM_CONTEXT,
     CONTENT_CONTEXT, "file", "getattr read", EXPECT_ALLOWED, NULL},
    {"vm-content-no-write", "VM cannot write shared content (lockvm_content_t:s0)", VM_CONTEXT,
     CONTENT_CONTEXT, "file", "write append setattr unlink rename", EXPECT_DENIED, NULL},
    {"vm-image-no-exec-relabel", "VM cannot execute, relabel or unlink its own image", VM_CONTEXT,
     OWN_IMAGE_CONTEXT, "file", "execute execute_no_trans relabelfrom relabelto setattr unlink",
     EXPECT_DENIED, NULL},
    {"vm-host-etc", "VM cannot read or write host configuration (etc_t)", VM_CONTEXT,
     "system_u:object_r:etc_t:s0", "file", "getattr open read write append", EXPECT_DENIED, NULL},
    {"vm-host-shadow", "VM cannot read or write /etc/shadow (shadow_t)", VM_CONTEXT,
     "system_u:object_r:shadow_t:s0", "file", "getattr open read write append", EXPECT_DENIED,
     NULL},
    {"vm-host-home", "VM cannot read or write home directories (user_home_t)", VM_CONTEXT,
     "unconfined_u:object_r:user_home_t:s0", "file", "getattr open read write append",
     EXPECT_DENIED, NULL},
    {"vm-host-tmp", "VM cannot use /tmp (tmp_t)", VM_CONTEXT, "system_u:object_r:tmp_t:s0", "dir",
     "search read write add_name remove_name", EXPECT_DENIED, NULL},
    {"vm-ptrace-other-vm", "VM cannot ptrace another VM (lockvm_vm_t:s0:c3,c4)", VM_CONTEXT,
     OTHER_VM_CONTEXT, "process", "ptrace", EXPECT_DENIED, NULL},
    {"vm-signal-other-vm", "VM cannot signal or kill another VM (lockvm_vm_t:s0:c3,c4)", VM_CONTEXT,
     OTHER_VM_CONTEXT, "process", "signal sigkill sigstop", EXPECT_DENIED, NULL},
    {"vm-transition-unconfined", "VM cannot transition to unconfined_t", VM_CONTEXT,
     "unconfined_u:unconfined_r:unconfined_t:s0", "process", "transition dyntransition",
     EXPECT_DENIED, NULL},
    {"vm-transition-supervisor", "VM cannot transition to the supervisor domain lockvm_t",
     VM_CONTEXT, SUPERVISOR_CONTEXT, "process", "transition dyntransition", EXPECT_DENIED, NULL},
    {"vm-no-setexec", "VM cannot set its exec, current or file creation context", VM_CONTEXT,
     VM_CONTEXT, "process", "setexec setcurrent setfscreate dyntransition", EXPECT_DENIED, NULL},
    {"vm-lockvm-pool", "VM cannot read or write the image pool /var/lib/lockvm (lockvm_var_lib_t)",
     VM_CONTEXT, POOL_CONTEXT, "file", "getattr open read write append", EXPECT_DENIED, NULL},
    {"vm-lockvm-run", "VM cannot read or write the registry under /run/lockvm (lockvm_var_run_t)",
     VM_CONTEXT, "system_u:object_r:lockvm_var_run_t:s0", "file", "getattr open read write append",
     EXPECT_DENIED, NULL},
    {"vm-inherited-fds", "VM uses the fds the supervisor hands it (fd use)", VM_CONTEXT,
     SUPERVISOR_CONTEXT, "fd", "use", EXPECT_ALLOWED, NULL},
    {"vm-seccomp-memfd", "VM reads the seccomp memfd of the supervisor (lockvm_tmpfs_t)",
     VM_CONTEXT, "system_u:object_r:lockvm_tmpfs_t:s0", "file", "getattr read map", EXPECT_ALLOWED,
     NULL},
    {"vm-seccomp-memfd-no-write", "VM cannot write the seccomp memfd of the supervisor", VM_CONTEXT,
     "system_u:object_r:lockvm_tmpfs_t:s0", "file", "write append setattr open", EXPECT_DENIED,
     NULL},
    {"vm-nic-counters", "VM maps its NIC counters memfd read-write (lockvm_vm_tmpfs_t:s0:c1,c2)",
     VM_CONTEXT, "system_u:object_r:lockvm_vm_tmpfs_t:s0:c1,c2", "file", "getattr read write map",
     EXPECT_ALLOWED, NULL},
    {"vm-nic-counters-other-vm", "VM cannot read or write another VM's memfds (s0:c3,c4)",
     VM_CONTEXT, "system_u:object_r:lockvm_vm_tmpfs_t:s0:c3,c4", "file", "read write",
     EXPECT_DENIED, NULL},
    {"supervisor-nic-counters", "supervisor labels a VM's NIC counters memfd and reads it back",
     SUPERVISOR_CONTEXT, "system_u:object_r:lockvm_vm_tmpfs_t:s0:c1,c2", "file",
     "relabelto open read", EXPECT_ALLOWED, NULL},
    {"vm-kvm", "VM uses /dev/kvm (kvm_device_t)", VM_CONTEXT, "system_u:object_r:kvm_device_t:s0",
     "chr_file", "getattr open read write ioctl", EXPECT_ALLOWED, NULL},
    {"vm-tap-rw", "VM reads and writes frames on the tun fd it is given (tun_tap_device_t)",
     VM_CONTEXT, "system_u:object_r:tun_tap_device_t:s0", "chr_file", "getattr read write",
     EXPECT_ALLOWED, NULL},
    {"vm-tap-ioctl-attach-only",
     "VM's only ioctls on /dev/net/tun are TUNSETIFF and TUNSETPERSIST (allowxperm)", VM_CONTEXT,
     "system_u:object_r:tun_tap_device_t:s0", "chr_file", "ioctl", EXPECT_ALLOWED, "0x54ca 0x54cb"},
    {"vm-tap-no-open", "VM cannot open /dev/net/tun, change or relabel it", VM_CONTEXT,
     "system_u:object_r:tun_tap_device_t:s0", "chr_file", "open setattr relabelfrom relabelto",
     EXPECT_DENIED, NULL},
    {"vm-tun-take-over", "VM's TUNSETIFF moves its tap's tun_socket from the supervisor's context",
     VM_CONTEXT, SUPERVISOR_CONTEXT, "tun_socket", "relabelfrom", EXPECT_ALLOWED, NULL},
    {"vm-tun-own", "VM's TUNSETIFF gives its tap's tun_socket the VM's own context", VM_CONTEXT,
     VM_CONTEXT, "tun_socket", "relabelto", EXPECT_ALLOWED, NULL},
    {"vm-tun-no-create-queue", "VM creates no tun device and attaches no extra queue to its own",
     VM_CONTEXT, VM_CONTEXT, "tun_socket", "create attach_queue", EXPECT_DENIED, NULL},
    {"vm-tun-not-supervisor", "VM cannot use a tun_socket still in the supervisor's context",
     VM_CONTEXT, SUPERVISOR_CONTEXT, "tun_socket", "create attach_queue relabelto", EXPECT_DENIED,
     NULL},
    {"vm-tun-not-other-vm", "VM cannot take over or use the tap of another VM (s0:c3,c4)",
     VM_CONTEXT, OTHER_VM_CONTEXT, "tun_socket", "relabelfrom attach_queue", EXPECT_DENIED, NULL},
    {"supervisor-tap-create", "supervisor creates the tun socket of a VM's tap", SUPERVISOR_CONTEXT,
     SUPERVISOR_CONTEXT, "tun_socket", "create", EXPECT_ALLOWED, NULL},
    {"supervisor-relabel-pool",
     "supervisor relabels pool images (lockvm_var_lib_t) from and back to", SUPERVISOR_CONTEXT,
     POOL_CONTEXT, "file", "relabelfrom relabelto", EXPECT_ALLOWED, NULL},
    {"supervisor-relabel-image", "supervisor relabels images to and from lockvm_image_t:s0:c1,c2",
     SUPERVISOR_CONTEXT, OWN_IMAGE_CONTEXT, "file", "relabelfrom relabelto", EXPECT_ALLOWED, NULL},
    {"supervisor-relabel-content", "supervisor relabels images to and from lockvm_content_t:s0",
     SUPERVISOR_CONTEXT, CONTENT_CONTEXT, "file", "relabelfrom relabelto", EXPECT_ALLOWED, NULL},
    /* MCS between VMs, class by class: VM s0:c1,c2 against an object of the
     * same type at s0:c3,c4 (another VM's), with the permissions a type rule
     * gives the VM on its own objects of that type. Reference policy's MCS
     * constraints leave getattr (stat), map (needs an fd opened for read,
     * which they refuse) and signull (is the pid alive) open across
     * categories: those are left out. A tun_socket's relabelto is checked
     * against the caller's own context only, so MCS has nothing to do there;
     * another VM's tap is refused by type rules (vm-tun-not-other-vm). */
    {"vm-mcs-image-file", "VM cannot use another VM's image file (lockvm_image_t:s0:c3,c4)",
     VM_CONTEXT, OTHER_IMAGE_CONTEXT, "file", "read write append lock ioctl", EXPECT_DENIED_BY_MCS,
     NULL},
    {"vm-mcs-image-blk", "VM cannot use another VM's block-device disk (lockvm_image_t:s0:c3,c4)",
     VM_CONTEXT, OTHER_IMAGE_CONTEXT, "blk_file", "read write append lock ioctl",
     EXPECT_DENIED_BY_MCS, NULL},
    {"vm-mcs-memfd",
     "VM cannot create, use or unlink another VM's memfds (lockvm_vm_tmpfs_t:s0:c3,c4)", VM_CONTEXT,
     "system_u:object_r:lockvm_vm_tmpfs_t:s0:c3,c4", "file", "create read write unlink",
     EXPECT_DENIED_BY_MCS, NULL},
    {"vm-mcs-proc-dir", "VM cannot list another VM's /proc/PID (lockvm_vm_t:s0:c3,c4)", VM_CONTEXT,
     OTHER_VM_CONTEXT, "dir", "open read search", EXPECT_DENIED_BY_MCS, NULL},
    {"vm-mcs-proc-file", "VM cannot read or write another VM's /proc/PID files", VM_CONTEXT,
     OTHER_VM_CONTEXT, "file", "open read write append", EXPECT_DENIED_BY_MCS, NULL},
    {"vm-mcs-fifo", "VM cannot use another VM's pipes (lockvm_vm_t:s0:c3,c4)", VM_CONTEXT,
     OTHER_VM_CONTEXT, "fifo_file", "open read write append ioctl lock", EXPECT_DENIED_BY_MCS,
     NULL},
    {"vm-mcs-unix-stream", "VM cannot use another VM's unix stream sockets (lockvm_vm_t:s0:c3,c4)",
     VM_CONTEXT, OTHER_VM_CONTEXT, "unix_stream_socket",
     "read write append ioctl shutdown bind connect listen accept getopt setopt",
     EXPECT_DENIED_BY_MCS, NULL},
    {"vm-mcs-signal", "VM cannot signal another VM or change its scheduling (s0:c3,c4)", VM_CONTEXT,
     OTHER_VM_CONTEXT, "process", "sigkill sigstop signal getsched setsched", EXPECT_DENIED_BY_MCS,
     NULL},
    /* Denied to another VM by type rules alone (no rule for the VM at all),
     * so MCS is not what these prove: named for the report. */
    {"vm-other-vm-ptrace-type", "VM cannot ptrace another VM (type rules alone, not MCS)",
     VM_CONTEXT, OTHER_VM_CONTEXT, "process", "ptrace", EXPECT_DENIED, NULL},
    {"vm-other-vm-tcp-type", "VM cannot use another VM's TCP sockets (type rules alone, not MCS)",
     VM_CONTEXT, OTHER_VM_CONTEXT, "tcp_socket", "create read write connect bind listen accept",
     EXPECT_DENIED, NULL},
    {"vm-other-vm-tun-type",
     "VM cannot take over or attach to another VM's tap (type rules alone, not MCS)", VM_CONTEXT,
     OTHER_VM_CONTEXT, "tun_socket", "relabelfrom attach_queue create", EXPECT_DENIED, NULL},
    {"vm-other-vm-udp-type", "VM cannot use another VM's UDP sockets (type rules alone, not MCS)",
     VM_CONTEXT, OTHER_VM_CONTEXT, "udp_socket", "create read write connect bind", EXPECT_DENIED,
     NULL},
    {"vm-other-vm-unix-connect-type",
     "VM cannot connect to another VM's listening socket (type rules alone, not MCS)", VM_CONTEXT,
     OTHER_VM_CONTEXT, "unix_stream_socket", "connectto", EXPECT_DENIED, NULL},
    {"supervisor-exec-vm", "supervisor execs the VMM into lockvm_vm_t:s0:c1,c2", SUPERVISOR_CONTEXT,
     VM_CONTEXT, "process", "transition", EXPECT_ALLOWED, NULL},
};

/* The policy loaded twice: `policy` is our own copy whose avtab we walk to
 * name the allow rules behind a decision; libsepol's global copy (set by
 * sepol_set_policydb_from_file) answers sepol_compute_av_reason_buffer. */
struct audit_context {
	sepol_policydb_t *policy;
	bool json;
	json_object *results;
	unsigned passed, failed;
};

struct audit_decision {
	sepol_access_vector_t requested, allowed, te_allowed;
	unsigned reason;
	char *constraint_text; /* from the reason buffer, may be NULL */
	char rules[2048];      /* allow rules granting any requested permission */
	char error[256];       /* set when the property could not be evaluated */
};

static bool type_has_attribute(const ebitmap_t *map, unsigned bit)
{
	for (const ebitmap_node_t *node = map->node; node; node = node->next) {
		if (bit >= node->startbit && bit < node->startbit + MAPSIZE)
			return ebitmap_node_get_bit(node, bit) != 0;
	}
	return false;
}

/* Type value (1-based) of the type field of a context, 0 when unknown. */
static unsigned type_value_of_context(const policydb_t *db, const char *context)
{
	const char *start = strchr(context, ':');
	start = start ? strchr(start + 1, ':') : NULL;
	if (!start)
		return 0;
	start++;
	size_t len = strcspn(start, ":");
	for (unsigned i = 0; i < db->p_types.nprim; i++) {
		const char *name = db->p_type_val_to_name[i];
		if (name && strlen(name) == len && strncmp(name, start, len) == 0)
			return i + 1;
	}
	return 0;
}

static const char *type_name(const policydb_t *db, unsigned value)
{
	if (value == 0 || value > db->p_types.nprim || !db->p_type_val_to_name[value - 1])
		return "?";
	return db->p_type_val_to_name[value - 1];
}

static void append_text(char *buf, size_t size, const char *fmt, ...) PRINTF_LIKE(3, 4);
static void append_text(char *buf, size_t size, const char *fmt, ...)
{
	size_t used = strlen(buf);
	if (used + 1 >= size)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + used, size - used, fmt, ap);
	va_end(ap);
}

static void append_permissions(char *buf, size_t size, sepol_security_class_t object_class,
			       sepol_access_vector_t vector)
{
	for (unsigned bit = 0; bit < 32; bit++) {
		if (!(vector & (1U << bit)))
			continue;
		/* libsepol returns " name" in a static buffer. */
		const char *name = sepol_av_perm_to_string(object_class, 1U << bit);
		while (name && *name == ' ')
			name++;
		append_text(buf, size, " %s", name && *name ? name : "?");
	}
}

/* Walks one avtab for the allow rules of (source, target, class) covering any
 * of `wanted`; returns the union of what they grant and names them. */
static sepol_access_vector_t
collect_allow_rules(const policydb_t *db, const avtab_t *table, bool conditional, unsigned source,
		    unsigned target, sepol_security_class_t object_class, const char *class_name,
		    sepol_access_vector_t wanted, char *rules, size_t size)
{
	sepol_access_vector_t granted = 0;
	const ebitmap_t *source_attrs = &db->type_attr_map[source - 1];
	const ebitmap_t *target_attrs = &db->type_attr_map[target - 1];
	for (uint32_t slot = 0; table->htable && slot < table->nslot; slot++) {
		for (const struct avtab_node *node = table->htable[slot]; node; node = node->next) {
			if (!(node->key.specified & AVTAB_ALLOWED) ||
			    node->key.target_class != object_class)
				continue;
			if (conditional && !(node->key.specified & AVTAB_ENABLED))
				continue;
			sepol_access_vector_t hit = node->datum.data & wanted;
			if (!hit || !type_has_attribute(source_attrs, node->key.source_type - 1u) ||
			    !type_has_attribute(target_attrs, node->key.target_type - 1u))
				continue;
			granted |= hit;
			append_text(rules, size, "%sallow %s %s:%s {", rules[0] ? "; " : "",
				    type_name(db, node->key.source_type),
				    type_name(db, node->key.target_type), class_name);
			append_permissions(rules, size, object_class, hit);
			append_text(rules, size, " }%s", conditional ? " (conditional)" : "");
		}
	}
	return granted;
}

/* The ioctl commands the XPERMS_ALLOWED rules of (source, target, class)
 * allow, as text ("0x54ca 0x54cb", "driver 0x54" for a whole driver), or
 * "" when no rule restricts them (then every ioctl is allowed). */
static void collect_ioctl_xperms(const policydb_t *db, unsigned source, unsigned target,
				 sepol_security_class_t object_class, char *out, size_t size)
{
	const avtab_t *table = &db->te_avtab;
	const ebitmap_t *source_attrs = &db->type_attr_map[source - 1];
	const ebitmap_t *target_attrs = &db->type_attr_map[target - 1];
	out[0] = '\0';
	for (uint32_t slot = 0; table->htable && slot < table->nslot; slot++) {
		for (const struct avtab_node *node = table->htable[slot]; node; node = node->next) {
			const avtab_extended_perms_t *x = node->datum.xperms;
			if (!(node->key.specified & AVTAB_XPERMS_ALLOWED) || !x ||
			    node->key.target_class != object_class ||
			    !type_has_attribute(source_attrs, node->key.source_type - 1u) ||
			    !type_has_attribute(target_attrs, node->key.target_type - 1u))
				continue;
			for (unsigned bit = 0; bit < 256; bit++) {
				if (!((x->perms[bit >> 5] >> (bit & 31)) & 1))
					continue;
				if (x->specified == AVTAB_XPERMS_IOCTLDRIVER)
					append_text(out, size, "%sdriver 0x%02x", out[0] ? " " : "",
						    bit);
				else
					append_text(out, size, "%s0x%02x%02x", out[0] ? " " : "",
						    x->driver, bit);
			}
		}
	}
}

/* Splits `permissions` and maps each name to its bit; false (with a message)
 * when the policy lacks the class or a permission. */
static bool request_vector(const struct audit_property *property,
			   sepol_security_class_t *object_class, sepol_access_vector_t *vector,
			   char *error, size_t error_size)
{
	if (sepol_string_to_security_class(property->object_class, object_class) < 0) {
		snprintf(error, error_size, "class %s is not in this policy",
			 property->object_class);
		return false;
	}
	char names[256];
	snprintf(names, sizeof(names), "%s", property->permissions);
	*vector = 0;
	char *save = NULL;
	for (char *name = strtok_r(names, " ", &save); name; name = strtok_r(NULL, " ", &save)) {
		sepol_access_vector_t bit = 0;
		if (sepol_string_to_av_perm(*object_class, name, &bit) < 0 || bit == 0) {
			snprintf(error, error_size, "permission %s:%s is not in this policy",
				 property->object_class, name);
			return false;
		}
		*vector |= bit;
	}
	return true;
}

static bool context_sid(const char *context, sepol_security_id_t *sid, char *error,
			size_t error_size)
{
	if (sepol_context_to_sid(context, strlen(context) + 1, sid) < 0) {
		snprintf(error, error_size,
			 "context %s is not valid in this policy (is the lockvm module linked in?)",
			 context);
		return false;
	}
	return true;
}

/* Computes the decision for one property, with the rules and constraint
 * behind it. Returns false when it could not be evaluated (decision->error). */
static bool decide(const struct audit_context *audit, const struct audit_property *property,
		   struct audit_decision *decision)
{
	const policydb_t *db = &audit->policy->p;
	sepol_security_id_t source_sid, target_sid;
	sepol_security_class_t object_class;
	struct sepol_av_decision avd;

	memset(decision, 0, sizeof(*decision));
	if (!request_vector(property, &object_class, &decision->requested, decision->error,
			    sizeof(decision->error)) ||
	    !context_sid(property->source, &source_sid, decision->error, sizeof(decision->error)) ||
	    !context_sid(property->target, &target_sid, decision->error, sizeof(decision->error)))
		return false;
	if (sepol_compute_av_reason_buffer(source_sid, target_sid, object_class,
					   decision->requested, &avd, &decision->reason,
					   &decision->constraint_text, 0) < 0) {
		snprintf(decision->error, sizeof(decision->error),
			 "sepol_compute_av_reason_buffer(%s, %s, %s) failed", property->source,
			 property->target, property->object_class);
		return false;
	}
	decision->allowed = avd.allowed & decision->requested;

	unsigned source = type_value_of_context(db, property->source);
	unsigned target = type_value_of_context(db, property->target);
	if (source && target) {
		decision->te_allowed = collect_allow_rules(
		    db, &db->te_avtab, false, source, target, object_class, property->object_class,
		    decision->requested, decision->rules, sizeof(decision->rules));
		decision->te_allowed |=
		    collect_allow_rules(db, &db->te_cond_avtab, true, source, target, object_class,
					property->object_class, decision->requested,
					decision->rules, sizeof(decision->rules));
	}
	return true;
}

/* The first constraint line of the reason buffer ("mlsconstrain file {...}
 * (...);"), flattened to one line, or NULL. */
static void constraint_summary(const char *text, char *out, size_t size)
{
	out[0] = '\0';
	if (!text)
		return;
	const char *start = strstr(text, "constrain ");
	if (!start)
		return;
	while (start > text && start[-1] != '\n' && start[-1] != ' ')
		start--;
	size_t used = 0;
	for (const char *c = start; *c && used + 1 < size; c++) {
		if (*c == '\n')
			break;
		out[used++] = *c;
	}
	out[used] = '\0';
}

/* Explains a FAIL: the rule or constraint responsible. */
static void explain_failure(const struct audit_property *property,
			    const struct audit_decision *decision, char *out, size_t size)
{
	char constraint[512];
	sepol_security_class_t object_class = 0;
	out[0] = '\0';
	if (decision->error[0]) {
		snprintf(out, size, "%s", decision->error);
		return;
	}
	sepol_string_to_security_class(property->object_class, &object_class);
	if (property->expect == EXPECT_DENIED_BY_MCS && !decision->allowed) {
		append_text(out, size, "denied, but by type rules alone (no allow rule grants {");
		append_permissions(out, size, object_class,
				   decision->requested & ~decision->te_allowed);
		append_text(out, size, " }), so this does not prove MCS separation");
		return;
	}
	if (property->expect != EXPECT_ALLOWED) {
		append_text(out, size, "allowed {");
		append_permissions(out, size, object_class, decision->allowed);
		append_text(out, size, " } by %s",
			    decision->rules[0] ? decision->rules : "a rule not found in the avtab");
		if (decision->allowed & decision->te_allowed)
			append_text(out, size, "; no constraint denies it");
		return;
	}
	sepol_access_vector_t denied = decision->requested & ~decision->allowed;
	sepol_access_vector_t no_rule = denied & ~decision->te_allowed;
	sepol_access_vector_t by_constraint = denied & decision->te_allowed;
	append_text(out, size, "denied {");
	append_permissions(out, size, object_class, denied);
	append_text(out, size, " }");
	if (no_rule) {
		append_text(out, size, ": no allow rule grants {");
		append_permissions(out, size, object_class, no_rule);
		append_text(out, size, " }");
	}
	if (by_constraint || (decision->reason & SEPOL_COMPUTEAV_CONS)) {
		constraint_summary(decision->constraint_text, constraint, sizeof(constraint));
		append_text(out, size, "%s denied by constraint: %s", no_rule ? ";" : ":",
			    constraint[0] ? constraint : "(no text from libsepol)");
	}
	if (decision->reason & SEPOL_COMPUTEAV_RBAC)
		append_text(out, size, "; denied by role-based access control");
	if (decision->reason & SEPOL_COMPUTEAV_BOUNDS)
		append_text(out, size, "; denied by type bounds");
}

static void report(struct audit_context *audit, const struct audit_property *property,
		   const struct audit_decision *decision, bool pass, const char *why)
{
	if (pass)
		audit->passed++;
	else
		audit->failed++;
	if (!audit->json) {
		if (pass && property->expect != EXPECT_ALLOWED)
			printf("PASS %s: %s [%s]\n", property->name, property->description,
			       (decision->te_allowed & decision->requested)
				   ? "denied by MCS constraint"
				   : "no allow rule");
		else if (pass)
			printf("PASS %s: %s\n", property->name, property->description);
		else
			printf("FAIL %s: %s: %s\n", property->name, property->description, why);
		return;
	}
	json_object *entry = json_object_new_object();
	json_object_object_add(entry, "property", json_object_new_string(property->name));
	json_object_object_add(entry, "description", json_object_new_string(property->description));
	json_object_object_add(entry, "result", json_object_new_string(pass ? "PASS" : "FAIL"));
	json_object_object_add(entry, "expected",
			       json_object_new_string(property->expect == EXPECT_ALLOWED ? "allowed"
						      : property->expect == EXPECT_DENIED_BY_MCS
							  ? "denied by MCS"
							  : "denied"));
	json_object_object_add(entry, "source", json_object_new_string(property->source));
	json_object_object_add(entry, "target", json_object_new_string(property->target));
	json_object_object_add(entry, "class", json_object_new_string(property->object_class));
	json_object_object_add(entry, "permissions", json_object_new_string(property->permissions));
	if (!pass)
		json_object_object_add(entry, "reason", json_object_new_string(why));
	if (decision->rules[0])
		json_object_object_add(entry, "allow_rules",
				       json_object_new_string(decision->rules));
	json_object_array_add(audit->results, entry);
}

static void check_property(struct audit_context *audit, const struct audit_property *property)
{
	struct audit_decision decision;
	char why[3072] = "";
	bool pass = false;

	if (decide(audit, property, &decision)) {
		if (property->expect == EXPECT_ALLOWED)
			pass = decision.allowed == decision.requested;
		else
			pass = decision.allowed == 0;
		if (property->expect == EXPECT_DENIED_BY_MCS)
			pass = pass &&
			       (decision.te_allowed & decision.requested) == decision.requested;
	}
	if (!pass)
		explain_failure(property, &decision, why, sizeof(why));
	if (pass && property->ioctl_only) {
		const policydb_t *db = &audit->policy->p;
		unsigned source = type_value_of_context(db, property->source);
		unsigned target = type_value_of_context(db, property->target);
		sepol_security_class_t object_class = 0;
		char ioctls[1024] = "";
		sepol_string_to_security_class(property->object_class, &object_class);
		if (source && target)
			collect_ioctl_xperms(db, source, target, object_class, ioctls,
					     sizeof(ioctls));
		pass = strcmp(ioctls, property->ioctl_only) == 0;
		if (!pass)
			snprintf(why, sizeof(why), "ioctls allowed: %s (want exactly %s)",
				 ioctls[0] ? ioctls : "every command (no allowxperm rule)",
				 property->ioctl_only);
	}
	report(audit, property, &decision, pass, why);
	free(decision.constraint_text);
}

/* The allowlists: every allow rule whose source is one of these domains
 * (directly or through an attribute) must be covered, after its target
 * attribute is expanded to types, by policy/selinux/<domain>.allow. */
static const char *const allowlist_domains[] = {"lockvm_vm_t", "lockvm_t"};

/* One entry line: "TARGET CLASS PERM... # who needs it". */
struct allowlist_entry {
	unsigned target; /* a type, or an attribute (matches rules written on it) */
	bool attribute;
	sepol_security_class_t object_class;
	sepol_access_vector_t permissions;
	sepol_access_vector_t used; /* the part some rule grants */
	unsigned line;
};

struct allowlist {
	const char *domain;
	char path[4096];
	struct allowlist_entry *entries;
	size_t count;
};

/* Type or attribute value of `name`, 0 when the policy has none. */
static unsigned type_value_of_name(const policydb_t *db, const char *name)
{
	/* hashtab_search is not exported by the shared libsepol. */
	for (unsigned i = 0; i < db->p_types.nprim; i++) {
		if (db->p_type_val_to_name[i] && strcmp(db->p_type_val_to_name[i], name) == 0)
			return i + 1;
	}
	return 0;
}

static bool type_is_attribute(const policydb_t *db, unsigned value)
{
	return db->type_val_to_struct[value - 1] &&
	       db->type_val_to_struct[value - 1]->flavor == TYPE_ATTRIB;
}

/* Parses one entry line into `entry`; false with a message in `error`. A
 * TARGET this policy lacks (an optional module not linked) gives target 0. */
static bool allowlist_parse_line(const policydb_t *db, char *text, struct allowlist_entry *entry,
				 char *error, size_t error_size)
{
	char *comment = strchr(text, '#');
	if (!comment || !comment[1 + strspn(comment + 1, " \t")]) {
		snprintf(error, error_size,
			 "entry without a '# who needs it' comment (write TARGET CLASS PERM... "
			 "# who needs it)");
		return false;
	}
	*comment = '\0';
	char *save = NULL;
	const char *target = strtok_r(text, " \t", &save);
	const char *class_name = strtok_r(NULL, " \t", &save);
	const char *permission = strtok_r(NULL, " \t", &save);
	if (!target || !class_name || !permission) {
		snprintf(error, error_size, "want TARGET CLASS PERM... # who needs it");
		return false;
	}
	entry->target = type_value_of_name(db, target);
	entry->attribute = entry->target && type_is_attribute(db, entry->target);
	if (sepol_string_to_security_class(class_name, &entry->object_class) < 0) {
		snprintf(error, error_size, "class %s is not in this policy", class_name);
		return false;
	}
	for (; permission; permission = strtok_r(NULL, " \t", &save)) {
		sepol_access_vector_t bit = 0;
		if (sepol_string_to_av_perm(entry->object_class, permission, &bit) < 0 || !bit) {
			snprintf(error, error_size, "permission %s:%s is not in this policy",
				 class_name, permission);
			return false;
		}
		entry->permissions |= bit;
	}
	return true;
}

/* Reads DIR/<domain>.allow; false (message printed) when it cannot be used. */
static bool allowlist_load(const policydb_t *db, const char *dir, const char *domain,
			   struct allowlist *list)
{
	char text[1024], error[256];
	unsigned line = 0;
	memset(list, 0, sizeof(*list));
	list->domain = domain;
	if ((size_t)snprintf(list->path, sizeof(list->path), "%s/%s.allow", dir, domain) >=
	    sizeof(list->path)) {
		fprintf(stderr, "%s: audit selinux: allowlist directory path too long: %s\n",
			util_progname, dir);
		return false;
	}
	FILE *file = fopen(list->path, "r");
	if (!file) {
		fprintf(stderr,
			"%s: audit selinux: cannot open allowlist %s: %s (pass --allowlist-dir "
			"DIR, the policy/selinux folder of lockvm)\n",
			util_progname, list->path, strerror(errno));
		return false;
	}
	while (fgets(text, sizeof(text), file)) {
		line++;
		text[strcspn(text, "\n")] = '\0';
		const char *start = text + strspn(text, " \t");
		if (!*start || *start == '#')
			continue;
		struct allowlist_entry entry = {.line = line};
		struct allowlist_entry *bigger =
		    realloc(list->entries, (list->count + 1) * sizeof(*list->entries));
		if (!bigger || !allowlist_parse_line(db, text, &entry, error, sizeof(error))) {
			fprintf(stderr, "%s: audit selinux: %s:%u: %s\n", util_progname, list->path,
				line, bigger ? error : "out of memory");
			if (bigger)
				list->entries = bigger;
			fclose(file);
			return false;
		}
		list->entries = bigger;
		list->entries[list->count++] = entry;
	}
	fclose(file);
	return true;
}

/* What the list allows on (type, class) for a rule written on `rule_target`;
 * marks the entries that cover some of `granted` as used. */
static sepol_access_vector_t allowlist_covered(struct allowlist *list, unsigned type,
					       unsigned rule_target,
					       sepol_security_class_t object_class,
					       sepol_access_vector_t granted)
{
	sepol_access_vector_t covered = 0;
	for (size_t i = 0; i < list->count; i++) {
		struct allowlist_entry *entry = &list->entries[i];
		if (entry->object_class != object_class || !entry->target ||
		    entry->target != (entry->attribute ? rule_target : type))
			continue;
		covered |= entry->permissions;
		entry->used |= entry->permissions & granted;
	}
	return covered;
}

static void report_allowlist(struct audit_context *audit, const char *domain, bool pass,
			     const char *text)
{
	if (pass)
		audit->passed++;
	else
		audit->failed++;
	if (!audit->json) {
		printf("%s allowlist: %s\n", pass ? "PASS" : "FAIL", text);
		return;
	}
	json_object *entry = json_object_new_object();
	json_object_object_add(entry, "property", json_object_new_string("allowlist"));
	json_object_object_add(entry, "source", json_object_new_string(domain));
	json_object_object_add(entry, "result", json_object_new_string(pass ? "PASS" : "FAIL"));
	json_object_object_add(entry, pass ? "description" : "reason",
			       json_object_new_string(text));
	json_object_array_add(audit->results, entry);
}

/* One granted (type, class) of one rule, checked against the list (or, with
 * list NULL, printed as a draft entry for --print-allowlist). */
static unsigned allowlist_check_grant(struct audit_context *audit, struct allowlist *list,
				      const char *domain, const struct avtab_node *node,
				      unsigned type, bool conditional)
{
	const policydb_t *db = &audit->policy->p;
	sepol_security_class_t object_class = node->key.target_class;
	const char *class_name = db->p_class_val_to_name[object_class - 1];
	sepol_access_vector_t granted = node->datum.data;
	char text[sizeof(list->path) + 1024] = "";
	if (!list) {
		append_permissions(text, sizeof(text), object_class, granted);
		printf("%s %s%s # TODO who needs it (rule: allow %s %s:%s%s)\n",
		       type_name(db, type), class_name, text, type_name(db, node->key.source_type),
		       type_name(db, node->key.target_type), class_name,
		       conditional ? ", conditional" : "");
		return 0;
	}
	sepol_access_vector_t extra =
	    granted & ~allowlist_covered(list, type, node->key.target_type, object_class, granted);
	if (!extra)
		return 0;
	append_text(text, sizeof(text), "%s %s:%s {", domain, type_name(db, type), class_name);
	append_permissions(text, sizeof(text), object_class, extra);
	append_text(text, sizeof(text), " } not in %s (rule: allow %s %s:%s {", list->path,
		    type_name(db, node->key.source_type), type_name(db, node->key.target_type),
		    class_name);
	append_permissions(text, sizeof(text), object_class, granted);
	append_text(text, sizeof(text), " }%s)", conditional ? ", conditional on a boolean" : "");
	report_allowlist(audit, domain, false, text);
	return 1;
}

/* Walks every allow rule whose source covers `domain` (the type itself or an
 * attribute of it), in the unconditional and the conditional table (both
 * branches: a boolean can be flipped at run time), expanding a target
 * attribute to each of its types. Counts rules and findings. */
static void allowlist_walk(struct audit_context *audit, struct allowlist *list, const char *domain,
			   unsigned domain_value, unsigned *rules, unsigned *findings)
{
	const policydb_t *db = &audit->policy->p;
	const ebitmap_t *source_attrs = &db->type_attr_map[domain_value - 1];
	const avtab_t *tables[] = {&db->te_avtab, &db->te_cond_avtab};
	for (size_t t = 0; t < ARRAY_SIZE(tables); t++) {
		const avtab_t *table = tables[t];
		for (uint32_t slot = 0; table->htable && slot < table->nslot; slot++) {
			for (const struct avtab_node *node = table->htable[slot]; node;
			     node = node->next) {
				if (!(node->key.specified & AVTAB_ALLOWED) ||
				    !type_has_attribute(source_attrs, node->key.source_type - 1u))
					continue;
				(*rules)++;
				unsigned target = node->key.target_type;
				/* A draft names an attribute target as written. */
				if (!list || !type_is_attribute(db, target)) {
					*findings += allowlist_check_grant(audit, list, domain,
									   node, target, t == 1);
					continue;
				}
				for (unsigned type = 1; type <= db->p_types.nprim; type++) {
					if (type_is_attribute(db, type) ||
					    !type_has_attribute(&db->type_attr_map[type - 1],
								target - 1u))
						continue;
					*findings += allowlist_check_grant(audit, list, domain,
									   node, type, t == 1);
				}
			}
		}
	}
}

/* Holds `domain` to DIR/<domain>.allow: one FAIL line per grant beyond it,
 * else one PASS line; entries no rule uses are noted (not a failure).
 * False when the list cannot be read (an error, exit 2). */
static bool check_allowlist(struct audit_context *audit, const char *dir, const char *domain)
{
	const policydb_t *db = &audit->policy->p;
	struct allowlist list;
	char text[sizeof(list.path) + 256];
	unsigned rules = 0, findings = 0;
	unsigned domain_value = type_value_of_name(db, domain);
	if (!domain_value || type_is_attribute(db, domain_value)) {
		snprintf(text, sizeof(text),
			 "%s is not a type in this policy (is the lockvm module linked in?)",
			 domain);
		report_allowlist(audit, domain, false, text);
		return true;
	}
	if (!allowlist_load(db, dir, domain, &list)) {
		free(list.entries);
		return false;
	}
	allowlist_walk(audit, &list, domain, domain_value, &rules, &findings);
	if (!findings) {
		snprintf(text, sizeof(text), "every allow rule of %s (%u rules) is in %s", domain,
			 rules, list.path);
		report_allowlist(audit, domain, true, text);
	}
	for (size_t i = 0; i < list.count && !audit->json; i++) {
		const struct allowlist_entry *entry = &list.entries[i];
		if (!entry->target || entry->used == entry->permissions)
			continue;
		text[0] = '\0';
		append_permissions(text, sizeof(text), entry->object_class,
				   entry->permissions & ~entry->used);
		printf(
		    "NOTE allowlist: %s:%u: {%s } is not granted by this policy (stale entry?)\n",
		    list.path, entry->line, text);
	}
	free(list.entries);
	return true;
}

/* --print-allowlist DOMAIN: every grant as a draft entry line, to review. */
static int print_allowlist(struct audit_context *audit, const char *domain)
{
	const policydb_t *db = &audit->policy->p;
	unsigned rules = 0, findings = 0;
	unsigned domain_value = type_value_of_name(db, domain);
	if (!domain_value || type_is_attribute(db, domain_value)) {
		fprintf(stderr, "%s: audit selinux: %s is not a type in this policy\n",
			util_progname, domain);
		return 2;
	}
	allowlist_walk(audit, NULL, domain, domain_value, &rules, &findings);
	return 0;
}

/* Reads the whole policy file: the policy is loaded twice from memory. */
static char *read_policy_file(const char *path, size_t *len)
{
	FILE *file = fopen(path, "rb");
	if (!file) {
		fprintf(stderr, "%s: audit selinux: cannot open policy %s: %s\n", util_progname,
			path, strerror(errno));
		return NULL;
	}
	size_t cap = 1 << 22, used = 0;
	char *data = malloc(cap);
	while (data) {
		size_t n = fread(data + used, 1, cap - used, file);
		used += n;
		if (used < cap)
			break;
		char *bigger = cap < (1UL << 30) ? realloc(data, cap * 2) : NULL;
		if (!bigger) {
			free(data);
			data = NULL;
			break;
		}
		data = bigger;
		cap *= 2;
	}
	if (data && ferror(file)) {
		free(data);
		data = NULL;
	}
	fclose(file);
	if (!data)
		fprintf(stderr, "%s: audit selinux: cannot read policy %s\n", util_progname, path);
	*len = used;
	return data;
}

static bool load_policy(struct audit_context *audit, const char *path)
{
	size_t len = 0;
	sepol_policy_file_t *policy_file = NULL;
	bool ok = false;
	char *data = read_policy_file(path, &len);
	if (!data)
		return false;
	/* libsepol is chatty on stderr for every load; errors are ours to say. */
	sepol_debug(0);
	if (sepol_policydb_create(&audit->policy) < 0 || sepol_policy_file_create(&policy_file) < 0)
		goto out;
	sepol_policy_file_set_mem(policy_file, data, len);
	if (sepol_policydb_read(audit->policy, policy_file) < 0)
		goto out;
	if (audit->policy->p.policy_type != POLICY_KERN) {
		fprintf(stderr, "%s: audit selinux: %s is a policy module, not a kernel policy\n",
			util_progname, path);
		goto out_quiet;
	}
	FILE *stream = fmemopen(data, len, "rb");
	if (!stream)
		goto out;
	int rc = sepol_set_policydb_from_file(stream);
	fclose(stream);
	if (rc < 0)
		goto out;
	ok = true;
	goto out_quiet;
out:
	fprintf(stderr, "%s: audit selinux: %s is not a binary SELinux policy libsepol can load\n",
		util_progname, path);
out_quiet:
	sepol_policy_file_free(policy_file);
	free(data);
	return ok;
}

static int usage(FILE *out, int status)
{
	fprintf(out,
		"usage: %s audit selinux [--policy FILE] [--allowlist-dir DIR] [--json]\n"
		"       %s audit selinux [--policy FILE] --print-allowlist DOMAIN\n"
		"  Checks what a VM at s0:c1,c2 may reach in a binary SELinux policy\n"
		"  (default: the running one), and that every allow rule of lockvm_vm_t\n"
		"  and lockvm_t is in DIR/<domain>.allow (default: ../policy/selinux\n"
		"  next to this program). Exit 0: all PASS; 1: a FAIL; 2: error.\n"
		"  --print-allowlist prints every grant of DOMAIN as draft entries.\n",
		util_progname, util_progname);
	return status;
}

int audit_selinux_main(int argc, char **argv)
{
	struct audit_context audit = {0};
	const char *policy_path = NULL, *allowlist_dir = NULL, *print_domain = NULL;
	char default_dir[4096 + 32];
	int status = 0;

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "--json") == 0) {
			audit.json = true;
		} else if (strcmp(arg, "--policy") == 0) {
			if (++i >= argc) {
				fprintf(stderr, "%s: audit selinux: --policy needs a FILE\n",
					util_progname);
				return 2;
			}
			policy_path = argv[i];
		} else if (strncmp(arg, "--policy=", 9) == 0 && arg[9]) {
			policy_path = arg + 9;
		} else if (strcmp(arg, "--allowlist-dir") == 0 ||
			   strcmp(arg, "--print-allowlist") == 0) {
			if (++i >= argc) {
				fprintf(stderr, "%s: audit selinux: %s needs %s\n", util_progname,
					arg, arg[2] == 'a' ? "a DIR" : "a DOMAIN");
				return 2;
			}
			*(arg[2] == 'a' ? &allowlist_dir : &print_domain) = argv[i];
		} else if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			return usage(stdout, 0);
		} else {
			fprintf(stderr, "%s: audit selinux: unknown argument '%s'\n", util_progname,
				arg);
			return usage(stderr, 2);
		}
	}
	if (!policy_path) {
		if (is_selinux_enabled() <= 0) {
			fprintf(
			    stderr,
			    "%s: audit selinux: SELinux is not enabled on this host, so there is "
			    "no running policy; pass --policy FILE (for example "
			    "build/sepolicy/policy.bin from `make sepolicy`)\n",
			    util_progname);
			return 2;
		}
		/* The loaded policy (/sys/fs/selinux/policy) when the kernel exports it,
		 * else the installed binary (selinux_binary_policy_path() plus version). */
		policy_path = selinux_current_policy_path();
		if (!policy_path) {
			fprintf(stderr,
				"%s: audit selinux: cannot find the running policy under %s; pass "
				"--policy FILE\n",
				util_progname, selinux_binary_policy_path());
			return 2;
		}
	}
	if (!load_policy(&audit, policy_path)) {
		sepol_policydb_free(audit.policy);
		return 2;
	}
	if (print_domain) {
		status = print_allowlist(&audit, print_domain);
		sepol_policydb_free(audit.policy);
		return status;
	}
	if (!allowlist_dir) {
		char exe[4096];
		util_exe_dir(exe, sizeof(exe));
		snprintf(default_dir, sizeof(default_dir), "%s/../policy/selinux", exe);
		allowlist_dir = default_dir;
	}
	if (audit.json)
		audit.results = json_object_new_array();
	for (size_t i = 0; i < ARRAY_SIZE(audit_properties); i++)
		check_property(&audit, &audit_properties[i]);
	for (size_t i = 0; i < ARRAY_SIZE(allowlist_domains); i++) {
		if (!check_allowlist(&audit, allowlist_dir, allowlist_domains[i])) {
			json_object_put(audit.results);
			sepol_policydb_free(audit.policy);
			return 2;
		}
	}
	if (audit.json) {
		json_object *document = json_object_new_object();
		json_object_object_add(document, "policy", json_object_new_string(policy_path));
		json_object_object_add(document, "passed", json_object_new_int((int)audit.passed));
		json_object_object_add(document, "failed", json_object_new_int((int)audit.failed));
		json_object_object_add(document, "properties", audit.results);
		printf("%s\n",
		       json_object_to_json_string_ext(
			   document, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(document);
	} else {
		printf("%u passed, %u failed\n", audit.passed, audit.failed);
	}
	sepol_policydb_free(audit.policy);
	return audit.failed ? 1 : 0;
}
