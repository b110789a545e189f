/* config.json checked whole: process, root, mounts, hooks, annotations (linux: oci_config_linux.c). */
#include "oci_config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "apparmor_stack.h"
#include "launch.h"
#include "oci_config_internal.h"
#include "oci_json.h"
#include "util.h"

const char *const oci_hook_names[OCI_HOOK_KINDS + 1] = {
    "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop", NULL,
};

const char *oci_hook_name(enum oci_hook_kind kind)
{
	return oci_hook_names[kind];
}

/* OCI 1.0.0 up to 1.1.x (and their -rc/-dev suffixes). */
static int check_version(json_object *doc, char *err, size_t errlen)
{
	const char *v;
	if (ojson_string(doc, "ociVersion", "config", &v, err, errlen) < 0)
		return -1;
	if (!v)
		return err_fmt(err, errlen, "config.ociVersion: missing");
	if (strncmp(v, "1.0.", 4) != 0 && strncmp(v, "1.1.", 4) != 0 && strcmp(v, "1.0") != 0 &&
	    strcmp(v, "1.1") != 0)
		return err_fmt(err, errlen, "config.ociVersion: %.32s is not 1.0.x or 1.1.x", v);
	return 0;
}

static const char *const rlimit_names[] = {
    "RLIMIT_AS",
    "RLIMIT_CORE",
    "RLIMIT_CPU",
    "RLIMIT_DATA",
    "RLIMIT_FSIZE",
    "RLIMIT_LOCKS",
    "RLIMIT_MEMLOCK",
    "RLIMIT_MSGQUEUE",
    "RLIMIT_NICE",
    "RLIMIT_NOFILE",
    "RLIMIT_NPROC",
    "RLIMIT_RSS",
    "RLIMIT_RTPRIO",
    "RLIMIT_RTTIME",
    "RLIMIT_SIGPENDING",
    "RLIMIT_STACK",
    NULL,
};

/* A limit: a number up to RLIM_INFINITY (2^64-1, which json-c keeps as an
 * unsigned 64-bit value). */
static int rlimit_value(json_object *r, const char *key, size_t i, uint64_t *out, char *err,
			size_t errlen)
{
	json_object *v;
	if (!json_object_object_get_ex(r, key, &v))
		return err_fmt(err, errlen, "process.rlimits[%zu].%s: missing", i, key);
	if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
		return err_fmt(err, errlen, "process.rlimits[%zu].%s: want a number from 0", i,
			       key);
	*out = json_object_get_uint64(v);
	return 0;
}

/* process.rlimits: names the spec gives, soft <= hard; lockvm run --rlimit
 * makes them what getrlimit says in the VM (nofile bounds its fd table). */
static int parse_rlimits(json_object *process, struct oci_config *cfg, char *err, size_t errlen)
{
	bool bad = false;
	json_object *list =
	    ojson_get(process, "rlimits", json_type_array, "process", &bad, err, errlen);
	if (bad)
		return -1;
	static const char *const known[] = {"type", "soft", "hard", NULL};
	for (size_t i = 0; list && i < json_object_array_length(list); i++) {
		json_object *r = json_object_array_get_idx(list, i);
		const char *type;
		uint64_t soft = 0, hard = 0;
		if (!json_object_is_type(r, json_type_object))
			return err_fmt(err, errlen, "process.rlimits[%zu]: want an object", i);
		if (ojson_keys_known(r, "process.rlimits[]", known, err, errlen) < 0 ||
		    ojson_string(r, "type", "process.rlimits[]", &type, err, errlen) < 0 ||
		    rlimit_value(r, "soft", i, &soft, err, errlen) < 0 ||
		    rlimit_value(r, "hard", i, &hard, err, errlen) < 0)
			return -1;
		bool found = false;
		for (const char *const *n = rlimit_names; type && *n && !found; n++)
			found = strcmp(*n, type) == 0;
		if (!found)
			return err_fmt(err, errlen, "process.rlimits[%zu].type: unknown rlimit", i);
		if (soft > hard)
			return err_fmt(err, errlen, "process.rlimits[%zu]: soft above hard", i);
		if (cfg->rlimit_count == IDENT_RLIMITS)
			return err_fmt(err, errlen, "process.rlimits: more than %d entries",
				       IDENT_RLIMITS);
		cfg->rlimits[cfg->rlimit_count++] = (struct oci_rlimit){
		    .resource = (unsigned)ident_rlimit_number(type), .soft = soft, .hard = hard};
	}
	return 0;
}

/* process.user: the ids the program sees in its VM (lockvm run --user,
 * --group-add), never a host identity. */
static int parse_user(json_object *process, struct oci_config *cfg, char *err, size_t errlen)
{
	bool bad = false;
	json_object *user =
	    ojson_get(process, "user", json_type_object, "process", &bad, err, errlen);
	if (bad)
		return -1;
	static const char *const known[] = {"uid",	"gid", "umask", "additionalGids",
					    "username", NULL};
	int64_t id = 0, umask = 0;
	bool set;
	if (ojson_keys_known(user, "process.user", known, err, errlen) < 0)
		return -1;
	if (ojson_int(user, "uid", "process.user", 0, IDENT_ID_MAX, &id, &set, err, errlen) < 0)
		return -1;
	cfg->uid = (uint32_t)id;
	id = 0;
	if (ojson_int(user, "gid", "process.user", 0, IDENT_ID_MAX, &id, &set, err, errlen) < 0)
		return -1;
	cfg->gid = (uint32_t)id;
	if (ojson_int(user, "umask", "process.user", 0, 0777, &umask, &set, err, errlen) < 0)
		return -1;
	if (set && umask != 022)
		return err_fmt(err, errlen, "process.user.umask: the VM's umask is 022");
	json_object *gids =
	    ojson_get(user, "additionalGids", json_type_array, "process.user", &bad, err, errlen);
	if (bad)
		return -1;
	size_t n = gids ? json_object_array_length(gids) : 0;
	if (n > IDENT_MAX_GROUPS)
		return err_fmt(err, errlen, "process.user.additionalGids: %zu, at most %d", n,
			       IDENT_MAX_GROUPS);
	for (size_t i = 0; i < n; i++) {
		json_object *g = json_object_array_get_idx(gids, i);
		errno = 0;
		int64_t v = json_object_is_type(g, json_type_int) ? json_object_get_int64(g) : -1;
		if (errno || v < 0 || v > IDENT_ID_MAX)
			return err_fmt(err, errlen,
				       "process.user.additionalGids[%zu]: want a gid from 0 to %u",
				       i, IDENT_ID_MAX);
		cfg->groups[cfg->ngroups++] = (uint32_t)v;
	}
	return ojson_refuse_set(user, "username", "process.user", "a Windows field", err, errlen);
}

static int parse_process(json_object *doc, struct oci_config *cfg, char *err, size_t errlen)
{
	bool bad = false, set;
	json_object *p = ojson_get(doc, "process", json_type_object, "config", &bad, err, errlen);
	if (bad)
		return -1;
	if (!p)
		return err_fmt(err, errlen, "config.process: missing (nothing to run)");
	static const char *const known[] = {
	    "terminal",
	    "consoleSize",
	    "cwd",
	    "env",
	    "args",
	    "commandLine",
	    "rlimits",
	    "apparmorProfile",
	    "capabilities",
	    "noNewPrivileges",
	    "oomScoreAdj",
	    "scheduler",
	    "selinuxLabel",
	    "ioPriority",
	    "execCPUAffinity",
	    "user",
	    NULL,
	};
	if (ojson_keys_known(p, "process", known, err, errlen) < 0)
		return -1;
	if (ojson_strings(p, "args", "process", cfg->args, OCI_MAX_ARGS, &cfg->argc, err, errlen) <
		0 ||
	    ojson_strings(p, "env", "process", cfg->env, OCI_MAX_ENV, &cfg->envc, err, errlen) <
		0 ||
	    ojson_string(p, "cwd", "process", &cfg->cwd, err, errlen) < 0 ||
	    ojson_string(p, "selinuxLabel", "process", &cfg->selinux_label, err, errlen) < 0)
		return -1;
	if (cfg->argc == 0 || cfg->args[0][0] == '\0')
		return err_fmt(err, errlen, "process.args: missing or empty (nothing to run)");
	for (int i = 0; i < cfg->envc; i++)
		if (!strchr(cfg->env[i], '=') || cfg->env[i][0] == '=')
			return err_fmt(err, errlen, "process.env[%d]: want NAME=VALUE", i);
	/* lockvm run --workdir; the VMM looks it up in the VM's tree. */
	if (!cfg->cwd || cfg->cwd[0] != '/' || strlen(cfg->cwd) >= 4096)
		return err_fmt(err, errlen, "process.cwd: want an absolute path");
	json_object *t = ojson_get(p, "terminal", json_type_boolean, "process", &bad, err, errlen);
	json_object *nnp =
	    ojson_get(p, "noNewPrivileges", json_type_boolean, "process", &bad, err, errlen);
	json_object *caps =
	    ojson_get(p, "capabilities", json_type_object, "process", &bad, err, errlen);
	json_object *size =
	    ojson_get(p, "consoleSize", json_type_object, "process", &bad, err, errlen);
	if (bad)
		return -1;
	(void)nnp; /* a VM's program never gains privileges: no setuid exec */
	static const char *const cap_sets[] = {"bounding",  "effective", "inheritable",
					       "permitted", "ambient",	 NULL};
	static const char *const size_keys[] = {"height", "width", NULL};
	if (ojson_keys_known(caps, "process.capabilities", cap_sets, err, errlen) < 0 ||
	    ojson_keys_known(size, "process.consoleSize", size_keys, err, errlen) < 0)
		return -1;
	for (const char *const *s = cap_sets; caps && *s; s++) {
		const char *names[65];
		int n;
		if (ojson_strings(caps, *s, "process.capabilities", names, 64, &n, err, errlen) < 0)
			return -1;
	}
	cfg->terminal = t && json_object_get_boolean(t);
	int64_t v = 0;
	if (ojson_int(size, "height", "process.consoleSize", 0, 65535, &v, &set, err, errlen) < 0)
		return -1;
	cfg->console_rows = (unsigned)v;
	v = 0;
	if (ojson_int(size, "width", "process.consoleSize", 0, 65535, &v, &set, err, errlen) < 0)
		return -1;
	cfg->console_cols = (unsigned)v;
	if (ojson_int(p, "oomScoreAdj", "process", -1000, 1000, &v, &cfg->oom_score_adj_set, err,
		      errlen) < 0)
		return -1;
	cfg->oom_score_adj = (int)v;
	/* An engine's profile (podman's containers-default, a pod's
	 * localhost/NAME as the engine resolved it) is stacked on lockvm's own
	 * per-VM profile where AppArmor is on (lockvm run --apparmor-stack):
	 * both must allow. Untrusted text bound for a label: checked here.
	 * "unconfined" (or "") asks for no profile of the engine's. */
	if (ojson_string(p, "apparmorProfile", "process", &cfg->apparmor_profile, err, errlen) < 0)
		return -1;
	if (cfg->apparmor_profile && cfg->apparmor_profile[0] &&
	    strcmp(cfg->apparmor_profile, "unconfined") != 0) {
		char why[256];
		if (apparmor_stack_name_check(cfg->apparmor_profile, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "process.apparmorProfile: %s", why);
			return -1;
		}
	}
	if (parse_rlimits(p, cfg, err, errlen) < 0 || parse_user(p, cfg, err, errlen) < 0 ||
	    ojson_refuse_set(p, "commandLine", "process", "a Windows field", err, errlen) < 0 ||
	    ojson_refuse_set(p, "scheduler", "process", "the VM's vCPU threads are lockvm's", err,
			     errlen) < 0 ||
	    ojson_refuse_set(p, "ioPriority", "process", "a VM has no host I/O of its own", err,
			     errlen) < 0 ||
	    ojson_refuse_set(p, "execCPUAffinity", "process", "the VM's vCPU threads are lockvm's",
			     err, errlen) < 0)
		return -1;
	return 0;
}

static int parse_root(json_object *doc, struct oci_config *cfg, char *err, size_t errlen)
{
	bool bad = false;
	json_object *r = ojson_get(doc, "root", json_type_object, "config", &bad, err, errlen);
	if (bad)
		return -1;
	static const char *const known[] = {"path", "readonly", NULL};
	if (!r)
		return err_fmt(err, errlen,
			       "config.root: missing (lockvm runs a root file system)");
	if (ojson_keys_known(r, "root", known, err, errlen) < 0 ||
	    ojson_string(r, "path", "root", &cfg->root_path, err, errlen) < 0)
		return -1;
	if (!cfg->root_path || !cfg->root_path[0])
		return err_fmt(err, errlen, "root.path: missing");
	json_object *ro = ojson_get(r, "readonly", json_type_boolean, "root", &bad, err, errlen);
	if (bad)
		return -1;
	cfg->root_readonly = ro && json_object_get_boolean(ro);
	return 0;
}

static int parse_hooks(json_object *doc, struct oci_config *cfg, char *err, size_t errlen)
{
	bool bad = false;
	json_object *hooks = ojson_get(doc, "hooks", json_type_object, "config", &bad, err, errlen);
	if (bad)
		return -1;
	static const char *const known[] = {"path", "args", "env", "timeout", NULL};
	if (ojson_keys_known(hooks, "hooks", oci_hook_names, err, errlen) < 0)
		return -1;
	for (int k = 0; hooks && k < OCI_HOOK_KINDS; k++) {
		char where[64];
		snprintf(where, sizeof(where), "hooks.%s", oci_hook_names[k]);
		json_object *list = ojson_get(hooks, oci_hook_names[k], json_type_array, "hooks",
					      &bad, err, errlen);
		if (bad)
			return -1;
		size_t n = list ? json_object_array_length(list) : 0;
		if (n > OCI_MAX_HOOKS)
			return err_fmt(err, errlen, "%s: %zu hooks, at most %d", where, n,
				       OCI_MAX_HOOKS);
		for (size_t i = 0; i < n; i++) {
			json_object *h = json_object_array_get_idx(list, i);
			struct oci_hook *hook = &cfg->hooks[k][i];
			int count;
			int64_t timeout = 0;
			bool set;
			if (!json_object_is_type(h, json_type_object))
				return err_fmt(err, errlen, "%s[%zu]: want an object", where, i);
			if (ojson_keys_known(h, where, known, err, errlen) < 0 ||
			    ojson_string(h, "path", where, &hook->path, err, errlen) < 0 ||
			    ojson_strings(h, "args", where, hook->args, OCI_MAX_ARGS, &count, err,
					  errlen) < 0 ||
			    ojson_strings(h, "env", where, hook->env, OCI_MAX_ENV, &count, err,
					  errlen) < 0 ||
			    ojson_int(h, "timeout", where, 1, 3600, &timeout, &set, err, errlen) <
				0)
				return -1;
			if (!hook->path || hook->path[0] != '/')
				return err_fmt(err, errlen, "%s[%zu].path: want an absolute path",
					       where, i);
			hook->timeout_s = (int)timeout;
		}
		cfg->hook_count[k] = (int)n;
	}
	return 0;
}

/* io.lockvm.* carries lockvm's own options; other annotations are the
 * engine's, kept for `state`. */
static int parse_annotations(json_object *doc, struct oci_config *cfg, char *err, size_t errlen)
{
	bool bad = false;
	json_object *a =
	    ojson_get(doc, "annotations", json_type_object, "config", &bad, err, errlen);
	if (bad)
		return -1;
	if (!a)
		return 0;
	if (json_object_object_length(a) > OCI_MAX_ANNOTATION)
		return err_fmt(err, errlen, "annotations: at most %d", OCI_MAX_ANNOTATION);
	json_object_object_foreach(a, key, value)
	{
		const char *text;
		if (ojson_string(a, key, "annotations", &text, err, errlen) < 0)
			return -1;
		(void)value;
		if (strcmp(key, "io.lockvm.mem") == 0)
			cfg->vm_mem = text;
		else if (strcmp(key, "io.lockvm.seccomp") == 0)
			cfg->vm_seccomp = text;
		else if (strcmp(key, "io.lockvm.vcpus") == 0) {
			char *end;
			errno = 0;
			unsigned long n = strtoul(text, &end, 10);
			if (!isdigit((unsigned char)text[0]) || *end || errno || n < 1 ||
			    n > LAUNCH_MAX_LINUX_VCPUS)
				return err_fmt(err, errlen,
					       "annotations.io.lockvm.vcpus: want a number from 1 "
					       "to %d (a --linux VM's vCPUs)",
					       LAUNCH_MAX_LINUX_VCPUS);
			cfg->vm_vcpus = text;
		} else if (strcmp(key, "io.lockvm.record") == 0) {
			/* The runtime's cwd is the engine's: only an absolute path says where. */
			if (text[0] != '/' || strlen(text) >= LAUNCH_PATH_MAX)
				return err_fmt(
				    err, errlen,
				    "annotations.io.lockvm.record: want an absolute host "
				    "path (the file the job's record is written to)");
			cfg->vm_record = text;
		} else if (strncmp(key, "io.lockvm.", 10) == 0)
			return err_fmt(err, errlen,
				       "annotations.%.64s: unknown lockvm option (io.lockvm.mem, "
				       "io.lockvm.seccomp, io.lockvm.vcpus, io.lockvm.record)",
				       key);
		/* containerd's CRI marks the pod's sandbox (pause) container,
		 * which holds the pod's namespaces and uses no network: the
		 * pod's interface is left for the pod's container to adopt. */
		if (strcmp(key, "io.kubernetes.cri.container-type") == 0 &&
		    strcmp(text, "sandbox") == 0)
			cfg->cri_sandbox = true;
		/* and names it in each container of the pod (oci_pod.c) */
		if (strcmp(key, "io.kubernetes.cri.sandbox-id") == 0)
			cfg->cri_sandbox_id = text;
		cfg->annotations[cfg->annotation_count].key = key;
		cfg->annotations[cfg->annotation_count++].value = text;
	}
	return 0;
}

static int parse_all(const char *text, size_t len, struct oci_config *cfg, char *err, size_t errlen)
{
	*cfg = (struct oci_config){.cpu_period = 100000};
	if (len > OCI_MAX_CONFIG)
		return err_fmt(err, errlen, "config.json: over %u bytes", OCI_MAX_CONFIG);
	json_tokener *tok = json_tokener_new_ex(32);
	if (!tok)
		return err_fmt(err, errlen, "config.json: out of memory");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	json_object *doc = json_tokener_parse_ex(tok, text, (int)len);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	size_t used = tok->char_offset;
	json_tokener_free(tok);
	if (!doc || jerr != json_tokener_success || used != len) {
		json_object_put(doc);
		/* A truncated document says "continue", not why. */
		return err_fmt(err, errlen, "config.json: does not parse as JSON (%s)",
			       jerr == json_tokener_success || jerr == json_tokener_continue
				   ? "truncated or trailing bytes"
				   : json_tokener_error_desc(jerr));
	}
	cfg->doc = doc;
	static const char *const known[] = {
	    "ociVersion",  "process", "root",	 "hostname", "domainname", "mounts", "hooks",
	    "annotations", "linux",   "solaris", "windows",  "vm",	   "zos",    NULL};
	if (!json_object_is_type(doc, json_type_object))
		return err_fmt(err, errlen, "config.json: want an object");
	const char *domain;
	if (ojson_keys_known(doc, "config", known, err, errlen) < 0 ||
	    check_version(doc, err, errlen) < 0 || parse_process(doc, cfg, err, errlen) < 0 ||
	    parse_root(doc, cfg, err, errlen) < 0 ||
	    ojson_string(doc, "hostname", "config", &cfg->hostname, err, errlen) < 0 ||
	    ojson_string(doc, "domainname", "config", &domain, err, errlen) < 0 ||
	    oci_check_mounts(doc, cfg, err, errlen) < 0 || parse_hooks(doc, cfg, err, errlen) < 0 ||
	    parse_annotations(doc, cfg, err, errlen) < 0 ||
	    oci_parse_linux(doc, cfg, err, errlen) < 0)
		return -1;
	/* lockvm run --hostname: as sethostname(2) takes it (empty: lockvm's). */
	if (cfg->hostname && cfg->hostname[0] &&
	    ident_check_hostname(cfg->hostname, err, errlen) < 0)
		return err_fmt(err, errlen,
			       "hostname: %zu bytes or a control byte: want 1 to %d "
			       "printable bytes",
			       strlen(cfg->hostname), IDENT_HOSTNAME_MAX);
	static const char *const other_os[] = {"solaris", "windows", "vm", "zos"};
	for (size_t i = 0; i < ARRAY_SIZE(other_os); i++)
		if (ojson_refuse_set(doc, other_os[i], "config", "lockvm runs Linux programs", err,
				     errlen) < 0)
			return -1;
	return 0;
}

int oci_config_parse(const char *text, size_t len, struct oci_config *cfg, char *err, size_t errlen)
{
	err[0] = '\0';
	if (parse_all(text, len, cfg, err, errlen) == 0)
		return 0;
	/* Field names come from the document: the line shows no control byte. */
	for (char *c = err; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	if (!err[0])
		snprintf(err, errlen, "config.json: refused");
	return -1;
}

void oci_config_free(struct oci_config *cfg)
{
	json_object_put(cfg->doc);
	cfg->doc = NULL;
}

int oci_process_parse(const char *text, size_t len, struct oci_config *cfg, char *err,
		      size_t errlen)
{
	*cfg = (struct oci_config){0};
	json_tokener *tok = json_tokener_new_ex(32); /* as config.json: bounded depth */
	if (!tok)
		return err_fmt(err, errlen, "--process: out of memory");
	json_object *p = json_tokener_parse_ex(tok, text, (int)len);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	size_t used = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!p || jerr != json_tokener_success || used != len) {
		json_object_put(p);
		return err_fmt(err, errlen, "--process: does not parse as JSON");
	}
	/* The same checks as config.json's process, field by field. */
	json_object *doc = json_object_new_object();
	if (!doc || json_object_object_add(doc, "process", p) < 0) {
		json_object_put(doc);
		json_object_put(p);
		return err_fmt(err, errlen, "--process: out of memory");
	}
	cfg->doc = doc;
	err[0] = '\0';
	if (parse_process(doc, cfg, err, errlen) < 0) {
		for (char *c = err; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				*c = '?';
		return -1;
	}
	return 0;
}
