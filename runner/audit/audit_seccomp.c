/* `lockvm audit seccomp`: each thread role's policy compiled as `lockvm run`
 * compiles it, its BPF judged as the kernel would run it (audit_seccomp_eval.c),
 * every allowance wider than the role needs reported with the line granting it. */
#include "audit_seccomp.h"

#include <errno.h>
#include <glob.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_seccomp_eval.h"
#include "cliopt.h"
#include "util.h"

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

/* A role's policy, its compiled filter and what the filter allows. */
struct audit_seccomp_role {
	char role[256];
	struct seccomp_policy *policy;
	struct audit_seccomp_filter filter;
	struct audit_seccomp_result result;
};

/* Parses and compiles path (dies with 125 when either fails). */
static void audit_seccomp_role_load(const char *path, struct audit_seccomp_role *r)
{
	char err[1024];
	memset(r, 0, sizeof(*r));
	audit_seccomp_role(path, r->role, sizeof(r->role));
	r->policy = seccomp_policy_parse_file(path, err, sizeof(err));
	if (!r->policy)
		die("%s", err);
	/* A policy that libseccomp refuses is as broken as one that does not parse. */
	if (audit_seccomp_filter_build(r->policy, &r->filter, err, sizeof(err)) < 0)
		die("%s: %s", path, err);
}

static void audit_seccomp_role_evaluate(struct audit_seccomp_role *r, const char *path,
					const struct seccomp_policy *other)
{
	char err[512];
	if (audit_seccomp_evaluate(r->role, &r->filter, r->policy, other, &r->result, err,
				   sizeof(err)) < 0)
		die("%s: the compiled filter cannot be judged: %s", path, err);
}

static void audit_seccomp_role_free(struct audit_seccomp_role *r)
{
	audit_seccomp_result_free(&r->result);
	audit_seccomp_filter_free(&r->filter);
	seccomp_policy_free(r->policy);
}

static json_object *audit_seccomp_json_allowance(const struct audit_seccomp_allowance *a)
{
	json_object *j = json_object_new_object();
	json_object_object_add(j, "syscall", audit_seccomp_json_string(a->syscall));
	json_object_object_add(j, "nr", json_object_new_int(a->nr));
	json_object_object_add(j, "class", audit_seccomp_json_string(a->cls));
	json_object_object_add(j, "line", audit_seccomp_json_string(a->where));
	if (a->finding[0]) {
		json_object_object_add(j, "reason", audit_seccomp_json_string(a->finding));
		if (a->accepted)
			json_object_object_add(j, "accepted",
					       audit_seccomp_json_string(a->accepted));
	}
	return j;
}

/* Audits one role file; prints text (or adds to json_policies). True if it passes. */
static bool audit_seccomp_file(const char *path, json_object *json_policies)
{
	struct audit_seccomp_role r;
	json_object *jpolicy = NULL, *jallowed = NULL, *jfindings = NULL;
	bool pass;

	audit_seccomp_role_load(path, &r);
	audit_seccomp_role_evaluate(&r, path, NULL);
	pass = r.result.nfindings == 0;
	if (json_policies) {
		jpolicy = json_object_new_object();
		jallowed = json_object_new_array();
		jfindings = json_object_new_array();
		json_object_object_add(jpolicy, "role", audit_seccomp_json_string(r.role));
		json_object_object_add(jpolicy, "file", audit_seccomp_json_string(path));
	} else {
		printf("== %s (%s): %zu allowances in the compiled filter (%zu instructions)\n",
		       r.role, path, r.result.n, r.filter.n);
	}
	for (size_t i = 0; i < r.result.n; i++) {
		const struct audit_seccomp_allowance *a = &r.result.allowed[i];
		if (json_policies) {
			json_object_array_add(jallowed, audit_seccomp_json_allowance(a));
			if (a->finding[0])
				json_object_array_add(jfindings, audit_seccomp_json_allowance(a));
		} else {
			printf("  %s: %s  (%s)%s\n", a->syscall, a->cls, a->where,
			       a->finding[0] ? (a->accepted ? "   <-- accepted" : "   <-- FAIL")
					     : "");
		}
	}
	if (json_policies) {
		json_object_object_add(jpolicy, "allowed", jallowed);
		json_object_object_add(jpolicy, "findings", jfindings);
		json_object_object_add(jpolicy, "pass", json_object_new_boolean(pass));
		json_object_array_add(json_policies, jpolicy);
		audit_seccomp_role_free(&r);
		return pass;
	}
	for (size_t i = 0; i < r.result.n; i++) {
		const struct audit_seccomp_allowance *a = &r.result.allowed[i];
		if (a->finding[0] && a->accepted)
			printf("ACCEPTED %s: %s (a declared need of %s: %s)\n", a->where,
			       a->finding, r.role, a->accepted);
		else if (a->finding[0])
			printf("FAIL %s: %s\n", a->where, a->finding);
	}
	if (pass)
		printf(
		    "PASS: seccomp audit %s: no dangerous syscall allowed by the compiled filter\n",
		    r.role);
	else
		printf("FAIL: seccomp audit %s: %zu allowances wider than the role needs\n", r.role,
		       r.result.nfindings);
	audit_seccomp_role_free(&r);
	return pass;
}

static bool audit_seccomp_has(const struct audit_seccomp_result *res,
			      const struct audit_seccomp_allowance *a)
{
	for (size_t i = 0; i < res->n; i++)
		if (strcmp(res->allowed[i].syscall, a->syscall) == 0 &&
		    strcmp(res->allowed[i].cls, a->cls) == 0)
			return true;
	return false;
}

/* Allowances of from missing in other, printed with sign, or added to jarray. */
static size_t audit_seccomp_diff_side(const struct audit_seccomp_result *from,
				      const struct audit_seccomp_result *other, char sign,
				      json_object *jarray)
{
	size_t count = 0;
	for (size_t i = 0; i < from->n; i++) {
		const struct audit_seccomp_allowance *a = &from->allowed[i];
		bool fails = a->finding[0] && !a->accepted;
		if (audit_seccomp_has(other, a))
			continue;
		count++;
		if (jarray) {
			json_object *j = audit_seccomp_json_allowance(a);
			json_object_object_add(j, "dangerous", json_object_new_boolean(fails));
			json_object_array_add(jarray, j);
		} else if (sign == '+' && fails) {
			printf("+ %s: %s  (%s)   <-- FAIL: %s\n", a->syscall, a->cls, a->where,
			       a->finding);
		} else {
			printf("%c %s: %s  (%s)\n", sign, a->syscall, a->cls, a->where);
		}
	}
	return count;
}

/* What B's compiled filter allows that A's does not (+), and the reverse (-),
 * both evaluated over the argument values either policy names. */
static int audit_seccomp_diff(const char *a, const char *b, bool json)
{
	struct audit_seccomp_role ra, rb;
	size_t added, removed;
	json_object *root = NULL, *jadded = NULL, *jremoved = NULL;

	audit_seccomp_role_load(a, &ra);
	audit_seccomp_role_load(b, &rb);
	audit_seccomp_role_evaluate(&ra, a, rb.policy);
	audit_seccomp_role_evaluate(&rb, b, ra.policy);
	if (json) {
		root = json_object_new_object();
		jadded = json_object_new_array();
		jremoved = json_object_new_array();
		json_object_object_add(root, "a", audit_seccomp_json_string(a));
		json_object_object_add(root, "b", audit_seccomp_json_string(b));
	} else {
		printf("--- %s\n+++ %s\n", a, b);
	}
	removed = audit_seccomp_diff_side(&ra.result, &rb.result, '-', jremoved);
	added = audit_seccomp_diff_side(&rb.result, &ra.result, '+', jadded);
	if (json) {
		json_object_object_add(root, "added", jadded);
		json_object_object_add(root, "removed", jremoved);
		printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY));
		json_object_put(root);
	} else {
		printf("%zu added, %zu removed\n", added, removed);
	}
	audit_seccomp_role_free(&ra);
	audit_seccomp_role_free(&rb);
	return 0;
}

/* "name" of "@include name" in path's line, as a file name ("name.policy"). */
static bool audit_seccomp_include_name(const char *line, char *name, size_t namelen)
{
	const char *s = line, *slash;
	size_t len;
	while (*s == ' ' || *s == '\t')
		s++;
	if (strncmp(s, "@include", 8) != 0 || (s[8] != ' ' && s[8] != '\t'))
		return false;
	s += 8;
	while (*s == ' ' || *s == '\t')
		s++;
	len = strcspn(s, " \t\r\n#");
	slash = memrchr(s, '/', len);
	if (slash) {
		len -= (size_t)(slash + 1 - s);
		s = slash + 1;
	}
	if (len >= 7 && strncmp(s + len - 7, ".policy", 7) == 0)
		len -= 7;
	snprintf(name, namelen, "%.*s.policy", (int)len, s);
	return true;
}

/* The thread roles lockvm installs a filter for: always audited, even when
 * another role's file @includes one (vmm_setup includes vmm and vcpu). */
static bool audit_seccomp_known_role(const char *path)
{
	static const char *const known[] = {"vmm.policy", "vcpu.policy", "vmm_setup.policy"};
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	for (size_t i = 0; i < ARRAY_SIZE(known); i++)
		if (strcmp(base, known[i]) == 0)
			return true;
	return false;
}

/*
 * Keeps the role files of found: the known roles, and any other policy
 * file that no file in the same directory @includes; a file only
 * @included (common.policy) is a part, not a role.
 */
static size_t audit_seccomp_roles(glob_t *found, const char **roles)
{
	size_t n = 0;
	bool *included = calloc(found->gl_pathc + 1, sizeof(*included));
	if (!included)
		die("calloc: out of memory");
	for (size_t i = 0; i < found->gl_pathc; i++) {
		FILE *f = fopen(found->gl_pathv[i], "re");
		char *line = NULL, name[PATH_MAX];
		size_t cap = 0;
		if (!f)
			die_errno("open %s", found->gl_pathv[i]);
		while (getline(&line, &cap, f) >= 0) {
			if (!audit_seccomp_include_name(line, name, sizeof(name)))
				continue;
			for (size_t j = 0; j < found->gl_pathc; j++) {
				const char *base = strrchr(found->gl_pathv[j], '/');
				base = base ? base + 1 : found->gl_pathv[j];
				if (strcmp(base, name) == 0)
					included[j] = true;
			}
		}
		free(line);
		fclose(f);
	}
	for (size_t i = 0; i < found->gl_pathc; i++)
		if (!included[i] || audit_seccomp_known_role(found->gl_pathv[i]))
			roles[n++] = found->gl_pathv[i];
	free(included);
	return n;
}

int audit_seccomp_main(int argc, char **argv)
{
	static const struct cliopt options[] = {
	    {"json", 'j', no_argument, 0, NULL, "the results as JSON (fields in README)"},
	    {"diff", 'd', no_argument, 0, NULL,
	     "compare two policies A B: what B allows that A does not"},
	};
	static const struct cliopt_spec spec = {
	    .command = "audit seccomp",
	    .operands = "[FILE...] | --diff A B",
	    .summary = "prove what each seccomp policy allows (default: every role policy "
		       "shipped); exit 1 on a FAIL",
	    .options = options,
	    .count = ARRAY_SIZE(options),
	    .max_operands = CLIOPT_MANY};
	struct cliopt_parser p;
	int key;
	bool diff = false;
	bool json = false, all_pass = true;
	const char *diff_a = NULL, *diff_b = NULL;
	const char **files = calloc((size_t)argc + 1, sizeof(*files));
	size_t nfiles = 0;
	glob_t found = {0};
	json_object *root = NULL, *jpolicies = NULL;

	if (!files)
		die("calloc: out of memory");
	cliopt_begin(&p, &spec, argc, argv);
	while ((key = cliopt_next(&p)))
		*(key == 'j' ? &json : &diff) = true;
	int count;
	char **operands = cliopt_operands(&p, &count);
	for (int i = 0; i < count; i++)
		files[nfiles++] = operands[i];
	if (diff) {
		if (nfiles != 2)
			cliopt_usage_die(&spec, "--diff takes exactly two files");
		diff_a = files[0];
		diff_b = files[1];
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
		files = calloc(found.gl_pathc + 1, sizeof(*files));
		if (!files)
			die("calloc: out of memory");
		nfiles = audit_seccomp_roles(&found, files);
		if (nfiles == 0)
			die("no role policy in %s: every *.policy is @included by another", dir);
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
	free(files);
	return all_pass ? 0 : 1;
}
