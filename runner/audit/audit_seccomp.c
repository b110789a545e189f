/* `lockvm audit seccomp`: review seccomp policies and flag dangerous syscalls. */
#include "audit_seccomp.h"

#include <errno.h>
#include <glob.h>
#include <json-c/json.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif

struct audit_seccomp_danger {
	const char *name;
	const char *reason;
};

/* Allowed at all, these let a compromised VMM escape or widen its reach. */
static const struct audit_seccomp_danger audit_seccomp_dangers[] = {
    {"execve", "runs another program"},
    {"execveat", "runs another program"},
    {"ptrace", "controls other processes"},
    {"process_vm_readv", "reads another process's memory"},
    {"process_vm_writev", "writes another process's memory"},
    {"mount", "changes the filesystem view"},
    {"umount2", "changes the filesystem view"},
    {"pivot_root", "changes the filesystem view"},
    {"move_mount", "changes the filesystem view"},
    {"fsopen", "creates a mount"},
    {"fsmount", "creates a mount"},
    {"open_tree", "creates a mount"},
    {"chroot", "changes the filesystem view"},
    {"open", "opens files (the VMM must see no filesystem)"},
    {"openat", "opens files (the VMM must see no filesystem)"},
    {"openat2", "opens files (the VMM must see no filesystem)"},
    {"creat", "creates files"},
    {"socket", "opens network or IPC endpoints"},
    {"socketpair", "creates IPC endpoints"},
    {"connect", "reaches network or IPC endpoints"},
    {"bind", "exposes network or IPC endpoints"},
    {"bpf", "loads kernel programs"},
    {"io_uring_setup", "io_uring bypasses seccomp for the operations it runs"},
    {"io_uring_enter", "io_uring bypasses seccomp for the operations it runs"},
    {"io_uring_register", "io_uring bypasses seccomp for the operations it runs"},
    {"userfaultfd", "stalls kernel accesses (exploitation primitive)"},
    {"perf_event_open", "large kernel attack surface"},
    {"keyctl", "kernel keyrings"},
    {"add_key", "kernel keyrings"},
    {"request_key", "kernel keyrings"},
    {"clone3", "flags live in memory and cannot be checked"},
    {"fork", "creates processes"},
    {"vfork", "creates processes"},
    {"kexec_load", "replaces the kernel"},
    {"kexec_file_load", "replaces the kernel"},
    {"init_module", "loads kernel modules"},
    {"finit_module", "loads kernel modules"},
    {"setuid", "changes credentials"},
    {"setgid", "changes credentials"},
    {"setreuid", "changes credentials"},
    {"setregid", "changes credentials"},
    {"setresuid", "changes credentials"},
    {"setresgid", "changes credentials"},
    {"setfsuid", "changes credentials"},
    {"setfsgid", "changes credentials"},
    {"setgroups", "changes credentials"},
    {"capset", "changes capabilities"},
    {"unshare", "creates namespaces"},
    {"setns", "enters namespaces"},
};

/* True when every rule of e forces all of bits set in argument arg. */
static bool audit_seccomp_requires_bits(const struct seccomp_policy_entry *e, unsigned int arg,
					uint64_t bits)
{
	if (e->always)
		return false;
	for (size_t r = 0; r < e->nrules; r++) {
		uint64_t mask, datum;
		if (!seccomp_policy_rule_arg_mask(&e->rules[r], arg, &mask, &datum) ||
		    (mask & bits) != bits || (datum & bits) != bits)
			return false;
	}
	return true;
}

/* True when every rule of e fixes argument arg to one value. */
static bool audit_seccomp_fixes_arg(const struct seccomp_policy_entry *e, unsigned int arg)
{
	if (e->always)
		return false;
	for (size_t r = 0; r < e->nrules; r++) {
		uint64_t mask, datum;
		if (!seccomp_policy_rule_arg_mask(&e->rules[r], arg, &mask, &datum) ||
		    mask != UINT64_MAX)
			return false;
	}
	return true;
}

bool audit_seccomp_is_dangerous(const struct seccomp_policy_entry *e, char *reason,
				size_t reasonlen)
{
	if (e->errno_value)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(audit_seccomp_dangers); i++) {
		if (strcmp(e->name, audit_seccomp_dangers[i].name) == 0) {
			snprintf(reason, reasonlen, "%s", audit_seccomp_dangers[i].reason);
			return true;
		}
	}
	if (strcmp(e->name, "clone") == 0 && !audit_seccomp_requires_bits(e, 0, CLONE_THREAD)) {
		snprintf(reason, reasonlen, "creates processes: CLONE_THREAD is not required");
		return true;
	}
	if (strcmp(e->name, "memfd_create") == 0 &&
	    !audit_seccomp_requires_bits(e, 1, MFD_NOEXEC_SEAL)) {
		snprintf(reason, reasonlen, "executable memfd: MFD_NOEXEC_SEAL is not required");
		return true;
	}
	if (strcmp(e->name, "prctl") == 0 && !audit_seccomp_fixes_arg(e, 0)) {
		snprintf(reason, reasonlen, "unrestricted: arg0 (the option) is not fixed");
		return true;
	}
	return false;
}

/* The condition of rule r of e as text ("1", "return EPERM", "arg1 == ..."). */
static void audit_seccomp_condition(const struct seccomp_policy_entry *e, size_t r, bool numeric,
				    char *buf, size_t buflen)
{
	if (e->errno_value) {
		const char *name = seccomp_policy_errno_name(e->errno_value);
		if (name)
			snprintf(buf, buflen, "return %s", name);
		else
			snprintf(buf, buflen, "return %d", e->errno_value);
	} else if (e->always) {
		snprintf(buf, buflen, "1");
	} else {
		seccomp_policy_rule_text(&e->rules[r], numeric, buf, buflen);
	}
}

static size_t audit_seccomp_nconditions(const struct seccomp_policy_entry *e)
{
	return (e->errno_value || e->always) ? 1 : e->nrules;
}

static struct seccomp_policy *audit_seccomp_load(const char *path)
{
	char err[1024];
	struct seccomp_policy *policy = seccomp_policy_parse_file(path, err, sizeof(err));
	scmp_filter_ctx ctx;
	if (!policy)
		die("%s", err);
	/* A policy that libseccomp refuses is as broken as one that does not parse. */
	ctx = seccomp_policy_compile(policy, SECCOMP_POLICY_MODE_KILL, err, sizeof(err));
	if (!ctx)
		die("%s", err);
	seccomp_release(ctx);
	return policy;
}

/* "policy/seccomp/vcpu.policy" -> "vcpu" */
static void audit_seccomp_role(const char *path, char *role, size_t rolelen)
{
	const char *base = strrchr(path, '/');
	size_t len;
	base = base ? base + 1 : path;
	len = strlen(base);
	if (len > 7 && strcmp(base + len - 7, ".policy") == 0)
		len -= 7;
	snprintf(role, rolelen, "%.*s", (int)len, base);
}

static json_object *audit_seccomp_json_string(const char *s)
{
	json_object *o = json_object_new_string(s);
	if (!o)
		die("json_object_new_string: out of memory");
	return o;
}

/* Audits one file; prints text (or adds to json_policies). Returns true if it passes. */
static bool audit_seccomp_file(const char *path, json_object *json_policies)
{
	struct seccomp_policy *policy = audit_seccomp_load(path);
	char role[256], cond[1024], reason[256];
	size_t ndangerous = 0;
	json_object *jpolicy = NULL, *jsyscalls = NULL, *jdangerous = NULL;

	audit_seccomp_role(path, role, sizeof(role));
	if (json_policies) {
		jpolicy = json_object_new_object();
		jsyscalls = json_object_new_array();
		jdangerous = json_object_new_array();
		json_object_object_add(jpolicy, "role", audit_seccomp_json_string(role));
		json_object_object_add(jpolicy, "file", audit_seccomp_json_string(path));
	} else {
		printf("== %s (%s): %zu syscalls\n", role, path, policy->nentries);
	}
	for (size_t i = 0; i < policy->nentries; i++) {
		const struct seccomp_policy_entry *e = &policy->entries[i];
		bool dangerous = audit_seccomp_is_dangerous(e, reason, sizeof(reason));
		json_object *jsys = NULL, *jconds = NULL;
		ndangerous += dangerous;
		if (json_policies) {
			jsys = json_object_new_object();
			jconds = json_object_new_array();
			json_object_object_add(jsys, "name", audit_seccomp_json_string(e->name));
			json_object_object_add(jsys, "nr", json_object_new_int(e->nr));
			json_object_object_add(
			    jsys, "action",
			    audit_seccomp_json_string(e->errno_value ? "errno" : "allow"));
			json_object_object_add(jsys, "dangerous",
					       json_object_new_boolean(dangerous));
			if (dangerous) {
				json_object *jd = json_object_new_object();
				json_object_object_add(jsys, "reason",
						       audit_seccomp_json_string(reason));
				json_object_object_add(jd, "syscall",
						       audit_seccomp_json_string(e->name));
				json_object_object_add(jd, "reason",
						       audit_seccomp_json_string(reason));
				json_object_array_add(jdangerous, jd);
			}
		} else {
			printf("  %s:", e->name);
		}
		for (size_t r = 0; r < audit_seccomp_nconditions(e); r++) {
			audit_seccomp_condition(e, r, false, cond, sizeof(cond));
			if (jconds)
				json_object_array_add(jconds, audit_seccomp_json_string(cond));
			else
				printf("%s%s", r ? " || " : " ", cond);
		}
		if (jsys) {
			json_object_object_add(jsys, "conditions", jconds);
			json_object_array_add(jsyscalls, jsys);
		} else {
			printf("%s\n", dangerous ? "   <-- DANGEROUS" : "");
		}
	}
	if (json_policies) {
		json_object_object_add(jpolicy, "syscalls", jsyscalls);
		json_object_object_add(jpolicy, "dangerous", jdangerous);
		json_object_object_add(jpolicy, "pass", json_object_new_boolean(ndangerous == 0));
		json_object_array_add(json_policies, jpolicy);
	} else if (ndangerous == 0) {
		printf("PASS: seccomp audit %s: no dangerous syscall allowed\n", role);
	} else {
		for (size_t i = 0; i < policy->nentries; i++)
			if (audit_seccomp_is_dangerous(&policy->entries[i], reason, sizeof(reason)))
				printf("FAIL: seccomp audit %s: %s allowed: %s\n", role,
				       policy->entries[i].name, reason);
	}
	seccomp_policy_free(policy);
	return ndangerous == 0;
}

struct audit_seccomp_line {
	const char *name;
	char display[1024];
	char key[1024]; /* syscall + numeric condition: what is compared */
	bool dangerous;
};

static struct audit_seccomp_line *audit_seccomp_lines(const struct seccomp_policy *policy,
						      size_t *count)
{
	size_t n = 0, k = 0;
	struct audit_seccomp_line *lines;
	char reason[256], cond[1024];
	for (size_t i = 0; i < policy->nentries; i++)
		n += audit_seccomp_nconditions(&policy->entries[i]);
	lines = calloc(n ? n : 1, sizeof(*lines));
	if (!lines)
		die("calloc(%zu lines): out of memory", n);
	for (size_t i = 0; i < policy->nentries; i++) {
		const struct seccomp_policy_entry *e = &policy->entries[i];
		bool dangerous = audit_seccomp_is_dangerous(e, reason, sizeof(reason));
		for (size_t r = 0; r < audit_seccomp_nconditions(e); r++, k++) {
			lines[k].name = e->name;
			lines[k].dangerous = dangerous;
			audit_seccomp_condition(e, r, false, lines[k].display,
						sizeof(lines[k].display));
			audit_seccomp_condition(e, r, true, cond, sizeof(cond));
			snprintf(lines[k].key, sizeof(lines[k].key), "%s: %.1000s", e->name, cond);
		}
	}
	*count = n;
	return lines;
}

static bool audit_seccomp_has_key(const struct audit_seccomp_line *lines, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(lines[i].key, key) == 0)
			return true;
	return false;
}

/* Lines of `from` missing in `other`, printed with sign, or added to jarray. */
static size_t audit_seccomp_diff_side(const struct audit_seccomp_line *from, size_t nfrom,
				      const struct audit_seccomp_line *other, size_t nother,
				      char sign, json_object *jarray)
{
	size_t count = 0;
	for (size_t i = 0; i < nfrom; i++) {
		if (audit_seccomp_has_key(other, nother, from[i].key))
			continue;
		count++;
		if (jarray) {
			json_object *j = json_object_new_object();
			json_object_object_add(j, "syscall",
					       audit_seccomp_json_string(from[i].name));
			json_object_object_add(j, "condition",
					       audit_seccomp_json_string(from[i].display));
			json_object_object_add(j, "dangerous",
					       json_object_new_boolean(from[i].dangerous));
			json_object_array_add(jarray, j);
		} else {
			printf("%c %s: %s%s\n", sign, from[i].name, from[i].display,
			       sign == '+' && from[i].dangerous ? "   <-- DANGEROUS" : "");
		}
	}
	return count;
}

static int audit_seccomp_diff(const char *a, const char *b, bool json)
{
	struct seccomp_policy *pa = audit_seccomp_load(a), *pb = audit_seccomp_load(b);
	size_t na, nb, added, removed;
	struct audit_seccomp_line *la = audit_seccomp_lines(pa, &na);
	struct audit_seccomp_line *lb = audit_seccomp_lines(pb, &nb);
	json_object *root = NULL, *jadded = NULL, *jremoved = NULL;

	if (json) {
		root = json_object_new_object();
		jadded = json_object_new_array();
		jremoved = json_object_new_array();
		json_object_object_add(root, "a", audit_seccomp_json_string(a));
		json_object_object_add(root, "b", audit_seccomp_json_string(b));
	} else {
		printf("--- %s\n+++ %s\n", a, b);
	}
	removed = audit_seccomp_diff_side(la, na, lb, nb, '-', jremoved);
	added = audit_seccomp_diff_side(lb, nb, la, na, '+', jadded);
	if (json) {
		json_object_object_add(root, "added", jadded);
		json_object_object_add(root, "removed", jremoved);
		printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY));
		json_object_put(root);
	} else {
		printf("%zu added, %zu removed\n", added, removed);
	}
	free(la);
	free(lb);
	seccomp_policy_free(pa);
	seccomp_policy_free(pb);
	return 0;
}

int audit_seccomp_main(int argc, char **argv)
{
	static const char usage[] =
	    "usage: lockvm audit seccomp [--json] [FILE...] | [--json] --diff A B";
	bool json = false, all_pass = true;
	const char *diff_a = NULL, *diff_b = NULL;
	const char **files = calloc((size_t)argc + 1, sizeof(*files));
	size_t nfiles = 0;
	glob_t found = {0};
	json_object *root = NULL, *jpolicies = NULL;

	if (!files)
		die("calloc: out of memory");
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (strcmp(argv[i], "--diff") == 0) {
			if (i + 2 >= argc)
				die("--diff needs two policy files (%s)", usage);
			diff_a = argv[++i];
			diff_b = argv[++i];
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			printf("%s\n", usage);
			free(files);
			return 0;
		} else if (argv[i][0] == '-') {
			die("unknown option '%s' (%s)", argv[i], usage);
		} else {
			files[nfiles++] = argv[i];
		}
	}
	if (diff_a) {
		if (nfiles)
			die("--diff takes exactly two files (%s)", usage);
		free(files);
		return audit_seccomp_diff(diff_a, diff_b, json);
	}
	if (nfiles == 0) {
		char dir[PATH_MAX], pattern[PATH_MAX + 16];
		int rc;
		seccomp_policy_default_dir(dir, sizeof(dir));
		if ((size_t)snprintf(pattern, sizeof(pattern), "%s/*.policy", dir) >=
		    sizeof(pattern))
			die("policy directory path too long: %s", dir);
		rc = glob(pattern, 0, NULL, &found);
		if (rc == GLOB_NOMATCH)
			die("no *.policy files in %s (set LOCKVM_POLICY_DIR or name files)", dir);
		if (rc != 0)
			die("glob(%s) failed", pattern);
		free(files);
		files = (const char **)found.gl_pathv;
		nfiles = found.gl_pathc;
	}
	if (json) {
		root = json_object_new_object();
		jpolicies = json_object_new_array();
	}
	for (size_t i = 0; i < nfiles; i++)
		all_pass &= audit_seccomp_file(files[i], jpolicies);
	if (json) {
		json_object_object_add(root, "policies", jpolicies);
		json_object_object_add(root, "pass", json_object_new_boolean(all_pass));
		printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY));
		json_object_put(root);
	}
	if (found.gl_pathv)
		globfree(&found);
	else
		free(files);
	return all_pass ? 0 : 1;
}
