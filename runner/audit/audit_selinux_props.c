/* `lockvm audit selinux`: the property table and the libsepol access decision behind each. */
#include "audit_selinux_internal.h"

#include <stdlib.h>

/* The contexts the properties are stated over: one VM at c1,c2, a second
 * VM at c3,c4, the supervisor at the full MCS range. */
#define VM_CONTEXT	    "system_u:system_r:lockvm_vm_t:s0:c1,c2"
#define OTHER_VM_CONTEXT    "system_u:system_r:lockvm_vm_t:s0:c3,c4"
#define SUPERVISOR_CONTEXT  "system_u:system_r:lockvm_t:s0-s0:c0.c1023"
#define OWN_IMAGE_CONTEXT   "system_u:object_r:lockvm_image_t:s0:c1,c2"
#define OTHER_IMAGE_CONTEXT "system_u:object_r:lockvm_image_t:s0:c3,c4"
#define CONTENT_CONTEXT	    "system_u:object_r:lockvm_content_t:s0"
#define POOL_CONTEXT	    "system_u:object_r:lockvm_var_lib_t:s0"
#define HOST_BIN_CONTEXT    "system_u:object_r:bin_t:s0"
#define USER_HOME_CONTEXT   "unconfined_u:object_r:user_home_t:s0"
#define SHADOW_CONTEXT	    "system_u:object_r:shadow_t:s0"
/* The boolean behind --linux --fs / (sepolicy/lockvm.te). */
#define HOST_FILES_BOOLEAN "lockvm_vm_read_host_files"

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
    /* setattr and unlink on its own lockvm_image_t are the job's, in a
     * --linux ,Z volume; its disk image stays out of reach by name, as
     * the pool's directories are closed to it (vm-pool-dir-no-entries). */
    {"vm-image-no-exec-relabel", "VM cannot execute or relabel its own image", VM_CONTEXT,
     OWN_IMAGE_CONTEXT, "file", "execute execute_no_trans relabelfrom relabelto", EXPECT_DENIED,
     NULL},
    {"vm-pool-dir-no-entries",
     "VM cannot look up, add or remove entries in the image pool's directories", VM_CONTEXT,
     POOL_CONTEXT, "dir", "search read write add_name remove_name", EXPECT_DENIED, NULL},
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
    /* --linux trees and volumes (issue 17). */
    {"vm-tree-content", "VM lists and reads a --fs tree of lockvm_content_t (dirs)", VM_CONTEXT,
     CONTENT_CONTEXT, "dir", "getattr search open read", EXPECT_ALLOWED, NULL},
    {"vm-tree-content-files", "VM opens and reads a --fs tree's files and symlinks (file)",
     VM_CONTEXT, CONTENT_CONTEXT, "file", "getattr open read map", EXPECT_ALLOWED, NULL},
    {"vm-host-files-off",
     "VM cannot read host files (bin_t) while lockvm_vm_read_host_files is off", VM_CONTEXT,
     HOST_BIN_CONTEXT, "file", "open read", EXPECT_DENIED, NULL},
    {"vm-own-volume", "VM manages its own ,Z volume (lockvm_image_t:s0:c1,c2 directories)",
     VM_CONTEXT, OWN_IMAGE_CONTEXT, "dir", "search read write add_name remove_name create rmdir",
     EXPECT_ALLOWED, NULL},
    {"vm-mcs-volume", "VM cannot use another VM's ,Z volume (lockvm_image_t:s0:c3,c4 directories)",
     VM_CONTEXT, OTHER_IMAGE_CONTEXT, "dir", "search read write add_name remove_name",
     EXPECT_DENIED_BY_MCS, NULL},
    {"supervisor-relabel-user-dir",
     "supervisor relabels a ,z/,Z volume of a user's type (user_home_t) and back",
     SUPERVISOR_CONTEXT, USER_HOME_CONTEXT, "dir", "search relabelfrom relabelto", EXPECT_ALLOWED,
     NULL},
    {"supervisor-relabel-user-file", "supervisor relabels a volume's files (user_home_t) and back",
     SUPERVISOR_CONTEXT, USER_HOME_CONTEXT, "file", "relabelfrom relabelto", EXPECT_ALLOWED, NULL},
    {"supervisor-volume-no-read", "supervisor does not read a volume's files (user_home_t)",
     SUPERVISOR_CONTEXT, USER_HOME_CONTEXT, "file", "open read write", EXPECT_DENIED, NULL},
    {"supervisor-volume-no-list", "supervisor does not list a user's directories (user_home_t)",
     SUPERVISOR_CONTEXT, USER_HOME_CONTEXT, "dir", "read write add_name remove_name", EXPECT_DENIED,
     NULL},
    {"supervisor-no-relabel-shadow",
     "supervisor cannot relabel a security type (shadow_t), as a volume or otherwise",
     SUPERVISOR_CONTEXT, SHADOW_CONTEXT, "file", "relabelfrom relabelto", EXPECT_DENIED, NULL},
    {"supervisor-no-relabel-to-shadow", "supervisor cannot relabel a directory to shadow_t",
     SUPERVISOR_CONTEXT, SHADOW_CONTEXT, "dir", "relabelto", EXPECT_DENIED, NULL},
};

/* Properties stated with one boolean of the policy on (the table above is
 * stated at every boolean's default, as the policy loads). */
struct audit_boolean_property {
	const char *boolean;
	struct audit_property property;
};

static const struct audit_boolean_property audit_boolean_properties[] = {
    /* lockvm_vm_read_host_files (--linux --fs /): read only, never a
     * security type, lockvm's own files or another VM's. */
    {HOST_FILES_BOOLEAN,
     {"vm-host-files-on", "with lockvm_vm_read_host_files: VM reads host files (bin_t)", VM_CONTEXT,
      HOST_BIN_CONTEXT, "file", "getattr open read map", EXPECT_ALLOWED, NULL}},
    {HOST_FILES_BOOLEAN,
     {"vm-host-files-on-read-only",
      "with lockvm_vm_read_host_files: VM cannot write, execute or relabel host files (bin_t)",
      VM_CONTEXT, HOST_BIN_CONTEXT, "file",
      "write append setattr unlink rename execute execute_no_trans relabelfrom", EXPECT_DENIED,
      NULL}},
    {HOST_FILES_BOOLEAN,
     {"vm-host-files-on-no-shadow",
      "with lockvm_vm_read_host_files: VM still cannot read a security type (shadow_t)", VM_CONTEXT,
      SHADOW_CONTEXT, "file", "getattr open read", EXPECT_DENIED, NULL}},
    {HOST_FILES_BOOLEAN,
     {"vm-host-files-on-no-pool",
      "with lockvm_vm_read_host_files: VM still cannot read the pool (lockvm_var_lib_t)",
      VM_CONTEXT, POOL_CONTEXT, "file", "open read", EXPECT_DENIED, NULL}},
    {HOST_FILES_BOOLEAN,
     {"vm-host-files-on-no-registry",
      "with lockvm_vm_read_host_files: VM still cannot read the registry (lockvm_var_run_t)",
      VM_CONTEXT, "system_u:object_r:lockvm_var_run_t:s0", "file", "open read", EXPECT_DENIED,
      NULL}},
    {HOST_FILES_BOOLEAN,
     {"vm-host-files-on-mcs",
      "with lockvm_vm_read_host_files: VM still cannot read another VM's image (s0:c3,c4)",
      VM_CONTEXT, OTHER_IMAGE_CONTEXT, "file", "open read", EXPECT_DENIED, NULL}},
};

struct audit_decision {
	sepol_access_vector_t requested, allowed, te_allowed;
	unsigned reason;
	char *constraint_text; /* from the reason buffer, may be NULL */
	char rules[2048];      /* allow rules granting any requested permission */
	char error[256];       /* set when the property could not be evaluated */
};

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

/*
 * Turns boolean `name` on (value 1) or back to how the policy was read
 * (value -1) in libsepol's global copy, the one that answers the
 * decisions: set in our copy, written out as an image and loaded again.
 * False (message in error) when the policy has no such boolean.
 */
static bool global_boolean_set(struct audit_context *audit, const char *name, int value,
			       char *error, size_t error_size)
{
	sepol_handle_t *handle = sepol_handle_create();
	sepol_bool_key_t *key = NULL;
	sepol_bool_t *boolean = NULL;
	void *image = NULL;
	size_t len = 0;
	bool ok = false;
	int exists = 0;
	if (!handle || sepol_bool_key_create(handle, name, &key) < 0 ||
	    sepol_bool_exists(handle, audit->policy, key, &exists) < 0 || !exists) {
		snprintf(error, error_size, "boolean %s is not in this policy", name);
		goto out;
	}
	if (sepol_bool_query(handle, audit->policy, key, &boolean) < 0 || !boolean)
		goto failed;
	if (value < 0)
		value = audit->boolean_was;
	else
		audit->boolean_was = sepol_bool_get_value(boolean);
	sepol_bool_set_value(boolean, value);
	if (sepol_bool_set(handle, audit->policy, key, boolean) < 0 ||
	    sepol_policydb_to_image(handle, audit->policy, &image, &len) < 0)
		goto failed;
	FILE *stream = fmemopen(image, len, "rb");
	if (!stream || sepol_set_policydb_from_file(stream) < 0) {
		if (stream)
			fclose(stream);
		goto failed;
	}
	fclose(stream);
	ok = true;
	goto out;
failed:
	snprintf(error, error_size, "setting boolean %s in the loaded policy failed", name);
out:
	free(image);
	sepol_bool_free(boolean);
	sepol_bool_key_free(key);
	sepol_handle_destroy(handle);
	return ok;
}

void audit_selinux_check_properties(struct audit_context *audit)
{
	/* Every property at the booleans' defaults first, then those that
	 * name a boolean with it on (one boolean at a time, then reset). */
	for (size_t i = 0; i < ARRAY_SIZE(audit_properties); i++)
		check_property(audit, &audit_properties[i]);
	for (size_t i = 0; i < ARRAY_SIZE(audit_boolean_properties); i++) {
		const struct audit_property *property = &audit_boolean_properties[i].property;
		const char *boolean = audit_boolean_properties[i].boolean;
		char error[256];
		if (!global_boolean_set(audit, boolean, 1, error, sizeof(error))) {
			struct audit_decision none = {0};
			report(audit, property, &none, false, error);
			continue;
		}
		check_property(audit, property);
		if (!global_boolean_set(audit, boolean, -1, error, sizeof(error))) {
			struct audit_decision none = {0};
			report(audit, property, &none, false, error);
		}
	}
}
