/* `lockvm audit selinux`: holds the allow rules of each lockvm domain to its <domain>.allow. */
#include "audit_selinux_internal.h"

#include <errno.h>
#include <stdlib.h>

/* The allowlists: every allow rule whose source is one of these domains
 * (directly or through an attribute) must be covered, after its target
 * attribute is expanded to types, by policy/selinux/<domain>.allow. */
static const char *const allowlist_domains[] = {"lockvm_vm_t", "lockvm_t"};

#define ALLOWLIST_PATH_MAX 4096

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
	char path[ALLOWLIST_PATH_MAX];
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
	/* Not sizeof(list->path): list is NULL for a draft (cppcheck reads that as a dereference). */
	char text[ALLOWLIST_PATH_MAX + 1024] = "";
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
int audit_selinux_print_allowlist(struct audit_context *audit, const char *domain)
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

bool audit_selinux_check_allowlists(struct audit_context *audit, const char *dir)
{
	for (size_t i = 0; i < ARRAY_SIZE(allowlist_domains); i++) {
		if (!check_allowlist(audit, dir, allowlist_domains[i]))
			return false;
	}
	return true;
}
