/* Shared by the audit_selinux*.c files: the audit's state and small helpers over a loaded policy. */
#ifndef LOCKVM_AUDIT_SELINUX_INTERNAL_H
#define LOCKVM_AUDIT_SELINUX_INTERNAL_H

#include "util.h"

#include <json-c/json.h>
#include <sepol/policydb/avtab.h>
#include <sepol/policydb/ebitmap.h>
#include <sepol/policydb/policydb.h>
#include <sepol/policydb/services.h>
#include <sepol/sepol.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* The policy loaded twice: `policy` is our own copy whose avtab we walk to
 * name the allow rules behind a decision; libsepol's global copy (set by
 * sepol_set_policydb_from_file) answers sepol_compute_av_reason_buffer. */
struct audit_context {
	sepol_policydb_t *policy;
	int boolean_was; /* a boolean's value before a property turned it on */
	bool json;
	json_object *results;
	unsigned passed, failed;
};

/* Helpers over the loaded policy and the report text, used by the property
 * checks and the allowlist check alike. */

static inline bool type_has_attribute(const ebitmap_t *map, unsigned bit)
{
	for (const ebitmap_node_t *node = map->node; node; node = node->next) {
		if (bit >= node->startbit && bit < node->startbit + MAPSIZE)
			return ebitmap_node_get_bit(node, bit) != 0;
	}
	return false;
}

static inline const char *type_name(const policydb_t *db, unsigned value)
{
	if (value == 0 || value > db->p_types.nprim || !db->p_type_val_to_name[value - 1])
		return "?";
	return db->p_type_val_to_name[value - 1];
}

static inline void append_text(char *buf, size_t size, const char *fmt, ...) PRINTF_LIKE(3, 4);
static inline void append_text(char *buf, size_t size, const char *fmt, ...)
{
	size_t used = strlen(buf);
	if (used + 1 >= size)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + used, size - used, fmt, ap);
	va_end(ap);
}

static inline void append_permissions(char *buf, size_t size, sepol_security_class_t object_class,
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

/* ---- audit_selinux_props.c ---- */

/* Checks every property of the table, one PASS/FAIL line (or JSON entry)
 * each, counting them in audit. Needs the policy loaded (both copies). */
void audit_selinux_check_properties(struct audit_context *audit);

/* ---- audit_selinux_allowlist.c ---- */

/* Holds lockvm_vm_t and lockvm_t to DIR/<domain>.allow, one PASS line or
 * FAIL lines each. Needs audit->policy loaded. Returns false (message
 * printed) when a list cannot be read: the audit ends with exit status 2. */
bool audit_selinux_check_allowlists(struct audit_context *audit, const char *dir);

/* --print-allowlist DOMAIN: prints every grant of DOMAIN as a draft entry.
 * Needs audit->policy loaded. Returns the exit status (0, or 2 when DOMAIN
 * is not a type of the policy). */
int audit_selinux_print_allowlist(struct audit_context *audit, const char *domain);

#endif
