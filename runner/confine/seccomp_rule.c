/* One rule of a seccomp policy (argN comparisons that must all hold): merged
 * and lowered to libseccomp comparisons, printed, compared. */
#include "seccomp_internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char *const seccomp_op_text[] = {
    [SECCOMP_POLICY_OP_EQ] = "==",
    [SECCOMP_POLICY_OP_NE] = "!=",
    [SECCOMP_POLICY_OP_ALL] = "&",
    [SECCOMP_POLICY_OP_IN] = "in",
};

void seccomp_policy_rule_clear(struct seccomp_policy_rule *rule)
{
	for (size_t i = 0; i < rule->ncmps; i++)
		free(rule->cmps[i].text);
	rule->ncmps = 0;
	free(rule->file);
	rule->file = NULL;
}

int seccomp_policy_rule_lower(const struct seccomp_policy_rule *rule,
			      struct scmp_arg_cmp out[SECCOMP_POLICY_MAX_ARGS], char *msg,
			      size_t msglen)
{
	int n = 0;
	for (unsigned int arg = 0; arg < SECCOMP_POLICY_MAX_ARGS; arg++) {
		uint64_t mask = 0, datum = 0;
		size_t count = 0;
		const struct seccomp_policy_cmp *ne = NULL;
		for (size_t i = 0; i < rule->ncmps; i++) {
			const struct seccomp_policy_cmp *c = &rule->cmps[i];
			uint64_t m, d;
			if (c->arg != arg)
				continue;
			count++;
			switch (c->op) {
			case SECCOMP_POLICY_OP_NE: ne = c; continue;
			case SECCOMP_POLICY_OP_EQ:
				m = UINT64_MAX;
				d = c->value;
				break;
			case SECCOMP_POLICY_OP_ALL:
				m = c->value;
				d = c->value;
				break;
			default: /* SECCOMP_POLICY_OP_IN */
				m = ~c->value;
				d = 0;
				break;
			}
			if ((datum ^ d) & mask & m) {
				snprintf(msg, msglen, "conditions on arg%u can never hold together",
					 arg);
				return -1;
			}
			mask |= m;
			datum |= d;
		}
		if (count == 0)
			continue;
		if (ne && count > 1) {
			snprintf(msg, msglen,
				 "'!=' on arg%u cannot be combined with another test of arg%u", arg,
				 arg);
			return -1;
		}
		if (ne)
			out[n++] = SCMP_CMP64(arg, SCMP_CMP_NE, ne->value);
		else if (mask == UINT64_MAX)
			out[n++] = SCMP_CMP64(arg, SCMP_CMP_EQ, datum);
		else
			out[n++] = SCMP_CMP64(arg, SCMP_CMP_MASKED_EQ, mask, datum);
	}
	return n;
}

bool seccomp_policy_rule_arg_mask(const struct seccomp_policy_rule *rule, unsigned int arg,
				  uint64_t *mask, uint64_t *datum)
{
	struct scmp_arg_cmp cmps[SECCOMP_POLICY_MAX_ARGS];
	char msg[128];
	int n = seccomp_policy_rule_lower(rule, cmps, msg, sizeof(msg));
	for (int i = 0; i < n; i++) {
		if (cmps[i].arg != arg)
			continue;
		if (cmps[i].op == SCMP_CMP_EQ) {
			*mask = UINT64_MAX;
			*datum = cmps[i].datum_a;
			return true;
		}
		if (cmps[i].op == SCMP_CMP_MASKED_EQ) {
			*mask = cmps[i].datum_a;
			*datum = cmps[i].datum_b;
			return true;
		}
	}
	return false;
}

void seccomp_policy_rule_text(const struct seccomp_policy_rule *rule, bool numeric, char *buf,
			      size_t buflen)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < rule->ncmps && used < buflen; i++) {
		const struct seccomp_policy_cmp *c = &rule->cmps[i];
		int n;
		if (numeric)
			n = snprintf(buf + used, buflen - used, "%sarg%u %s 0x%" PRIx64,
				     i ? " && " : "", c->arg, seccomp_op_text[c->op], c->value);
		else
			n = snprintf(buf + used, buflen - used, "%sarg%u %s %s", i ? " && " : "",
				     c->arg, seccomp_op_text[c->op], c->text);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

bool seccomp_policy_rule_equal(const struct seccomp_policy_rule *a,
			       const struct seccomp_policy_rule *b)
{
	if (a->ncmps != b->ncmps)
		return false;
	for (size_t i = 0; i < a->ncmps; i++)
		if (a->cmps[i].arg != b->cmps[i].arg || a->cmps[i].op != b->cmps[i].op ||
		    a->cmps[i].value != b->cmps[i].value)
			return false;
	return true;
}
