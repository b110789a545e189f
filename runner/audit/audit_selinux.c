/* `lockvm audit selinux`: the command line, loading the binary policy, and the summary. */
#include "audit_selinux.h"
#include "audit_selinux_internal.h"
#include "install_dirs.h"

#include <errno.h>
#include <selinux/selinux.h>
#include <stdlib.h>

#include "cliopt.h"

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

static const struct cliopt options[] = {
    {"policy", 'p', required_argument, 0, "FILE", "a binary policy (default: the running one)"},
    {"allowlist-dir", 'a', required_argument, 0, "DIR",
     "where DOMAIN.allow lists live (default: the compiled-in allowlist directory)"},
    {"print-allowlist", 'P', required_argument, 0, "DOMAIN",
     "print every grant of DOMAIN as draft allowlist entries"},
    {"json", 'j', no_argument, 0, NULL, "the results as JSON (fields in README)"},
};
static const struct cliopt_spec spec = {
    .command = "audit selinux",
    .operands = "",
    .summary = "check what a VM at s0:c1,c2 may reach in a binary SELinux policy, and that "
	       "every allow rule of lockvm_vm_t and lockvm_t is in its allowlist",
    .options = options,
    .count = ARRAY_SIZE(options),
    .more = "Exit 0: all PASS; 1: a FAIL; 2: the policy could not be read; 125: usage.\n"};

int audit_selinux_main(int argc, char **argv)
{
	struct audit_context audit = {0};
	const char *policy_path = NULL, *allowlist_dir = NULL, *print_domain = NULL;
	int status = 0;

	struct cliopt_parser p;
	int key, count;
	cliopt_begin(&p, &spec, argc, argv);
	while ((key = cliopt_next(&p))) {
		switch (key) {
		case 'j': audit.json = true; break;
		case 'p': policy_path = p.value; break;
		case 'a': allowlist_dir = p.value; break;
		case 'P': print_domain = p.value; break;
		}
	}
	cliopt_operands(&p, &count);
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
		status = audit_selinux_print_allowlist(&audit, print_domain);
		sepol_policydb_free(audit.policy);
		return status;
	}
	if (!allowlist_dir)
		allowlist_dir = install_selinux_allow_dir();
	if (audit.json)
		audit.results = json_object_new_array();
	audit_selinux_check_properties(&audit);
	if (!audit_selinux_check_allowlists(&audit, allowlist_dir)) {
		json_object_put(audit.results);
		sepol_policydb_free(audit.policy);
		return 2;
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
