/* Seccomp policy files (policy/seccomp/NAME.policy): lexer, parser with
 * @include, and the normalized dump the golden tests compare. The language
 * is described in seccomp_policy.h. */
#include "seccomp_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <sys/stat.h>

#include "util.h"

struct seccomp_parse_file {
	dev_t dev;
	ino_t ino;
};

struct seccomp_parser {
	struct seccomp_policy *policy;
	size_t capacity;
	char *err;
	size_t errlen;
	struct seccomp_parse_file open[SECCOMP_POLICY_MAX_INCLUDE_DEPTH + 1];
	unsigned int depth;
	const char *file; /* location of the line being parsed */
	unsigned int line;
};

static int parse_error(struct seccomp_parser *p, const char *fmt, ...) PRINTF_LIKE(2, 3);
static int parse_error(struct seccomp_parser *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->line)
		snprintf(p->err, p->errlen, "%s:%u: %s", p->file, p->line, msg);
	else
		snprintf(p->err, p->errlen, "%s: %s", p->file, msg);
	return -1;
}

enum seccomp_token_kind {
	TOK_WORD,
	TOK_EQ,
	TOK_NE,
	TOK_AND,
	TOK_OR,
	TOK_AMP,
	TOK_BAR,
	TOK_END,
};

#define SECCOMP_TOKEN_MAX 64

struct seccomp_token {
	enum seccomp_token_kind kind;
	char text[SECCOMP_TOKEN_MAX];
};

struct seccomp_lexer {
	const char *pos;
	struct seccomp_token tok;
};

static bool is_word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

/* Reads the next token into lx->tok. */
static int lex_next(struct seccomp_parser *p, struct seccomp_lexer *lx)
{
	const char *s = lx->pos;
	struct seccomp_token *t = &lx->tok;
	static const struct {
		const char *text;
		enum seccomp_token_kind kind;
	} ops[] = {{"==", TOK_EQ}, {"!=", TOK_NE}, {"&&", TOK_AND},
		   {"||", TOK_OR}, {"&", TOK_AMP}, {"|", TOK_BAR}};

	while (*s == ' ' || *s == '\t')
		s++;
	t->text[0] = '\0';
	if (*s == '\0') {
		t->kind = TOK_END;
		snprintf(t->text, sizeof(t->text), "end of line");
		lx->pos = s;
		return 0;
	}
	if (is_word_char(*s)) {
		size_t n = 0;
		while (is_word_char(s[n]))
			n++;
		if (n >= sizeof(t->text))
			return parse_error(p, "syntax error: word too long: '%.20s...'", s);
		memcpy(t->text, s, n);
		t->text[n] = '\0';
		t->kind = TOK_WORD;
		lx->pos = s + n;
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++) {
		size_t n = strlen(ops[i].text);
		if (strncmp(s, ops[i].text, n) == 0) {
			t->kind = ops[i].kind;
			snprintf(t->text, sizeof(t->text), "%s", ops[i].text);
			lx->pos = s + n;
			return 0;
		}
	}
	return parse_error(p, "syntax error: unexpected character '%c'", *s);
}

/* Strict decimal or 0x-hex 64-bit number. */
static int parse_number(const char *text, uint64_t *out)
{
	uint64_t value = 0;
	const char *s = text;
	unsigned int base = 10;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (*s == '\0')
		return -1;
	for (; *s; s++) {
		unsigned int digit;
		if (*s >= '0' && *s <= '9')
			digit = (unsigned int)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			digit = (unsigned int)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			digit = (unsigned int)(*s - 'A' + 10);
		else
			return -1;
		if (__builtin_mul_overflow(value, base, &value) ||
		    __builtin_add_overflow(value, digit, &value))
			return -1;
	}
	*out = value;
	return 0;
}

static int resolve_atom(struct seccomp_parser *p, const char *word, uint64_t *out)
{
	if (word[0] >= '0' && word[0] <= '9') {
		if (parse_number(word, out) < 0)
			return parse_error(p, "bad number '%s'", word);
		return 0;
	}
	if (seccomp_policy_constant_lookup(word, out) == 0)
		return 0;
	return parse_error(p, "unknown constant '%s'", word);
}

/* VALUE := ATOM ('|' ATOM)*; leaves the token after VALUE in lx->tok. */
static int parse_value(struct seccomp_parser *p, struct seccomp_lexer *lx,
		       struct seccomp_policy_cmp *cmp)
{
	char text[256] = "";
	size_t used = 0;
	uint64_t value = 0;
	for (;;) {
		uint64_t atom = 0;
		int n;
		if (lx->tok.kind != TOK_WORD)
			return parse_error(p, "syntax error: expected a value, got '%s'",
					   lx->tok.text);
		if (resolve_atom(p, lx->tok.text, &atom) < 0)
			return -1;
		value |= atom;
		n = snprintf(text + used, sizeof(text) - used, "%s%s", used ? "|" : "",
			     lx->tok.text);
		if (n < 0 || (size_t)n >= sizeof(text) - used)
			return parse_error(p, "value too long");
		used += (size_t)n;
		if (lex_next(p, lx) < 0)
			return -1;
		if (lx->tok.kind != TOK_BAR)
			break;
		if (lex_next(p, lx) < 0)
			return -1;
	}
	cmp->value = value;
	cmp->text = strdup(text);
	if (!cmp->text)
		return parse_error(p, "out of memory");
	return 0;
}

/* CMP := argN OP VALUE */
static int parse_cmp(struct seccomp_parser *p, struct seccomp_lexer *lx,
		     struct seccomp_policy_cmp *cmp)
{
	const char *w = lx->tok.text;
	uint64_t index;
	if (lx->tok.kind != TOK_WORD || strncmp(w, "arg", 3) != 0 ||
	    parse_uint(w + 3, 0, UINT32_MAX, &index) < 0 || (w[3] == '0' && w[4] != '\0'))
		return parse_error(p, "syntax error: expected argN, got '%s'", w);
	if (index >= SECCOMP_POLICY_MAX_ARGS)
		return parse_error(p, "argument index %" PRIu64 " out of range (arg0-arg5)", index);
	cmp->arg = (unsigned int)index;
	if (lex_next(p, lx) < 0)
		return -1;
	switch (lx->tok.kind) {
	case TOK_EQ: cmp->op = SECCOMP_POLICY_OP_EQ; break;
	case TOK_NE: cmp->op = SECCOMP_POLICY_OP_NE; break;
	case TOK_AMP: cmp->op = SECCOMP_POLICY_OP_ALL; break;
	default:
		if (lx->tok.kind == TOK_WORD && strcmp(lx->tok.text, "in") == 0) {
			cmp->op = SECCOMP_POLICY_OP_IN;
			break;
		}
		return parse_error(p,
				   "syntax error: expected '==', '!=', '&' or 'in' after 'arg%u', "
				   "got '%s'",
				   cmp->arg, lx->tok.text);
	}
	if (lex_next(p, lx) < 0)
		return -1;
	return parse_value(p, lx, cmp);
}

static void entry_free(struct seccomp_policy_entry *e)
{
	for (size_t i = 0; i < e->nrules; i++)
		seccomp_policy_rule_clear(&e->rules[i]);
	free(e->rules);
	free(e->name);
	free(e->file);
	free(e->always_file);
}

/* Adds what one line says about syscall nr; takes ownership of rules. */
static int policy_add(struct seccomp_parser *p, const char *name, int nr, int errno_value,
		      bool always, struct seccomp_policy_rule *rules, size_t nrules)
{
	struct seccomp_policy *pol = p->policy;
	struct seccomp_policy_entry *e = NULL;
	for (size_t i = 0; i < pol->nentries; i++)
		if (pol->entries[i].nr == nr)
			e = &pol->entries[i];
	if (!e) {
		if (pol->nentries == p->capacity) {
			size_t cap = p->capacity ? p->capacity * 2 : 64;
			void *grown = reallocarray(pol->entries, cap, sizeof(*pol->entries));
			if (!grown)
				goto oom;
			pol->entries = grown;
			p->capacity = cap;
		}
		e = &pol->entries[pol->nentries];
		memset(e, 0, sizeof(*e));
		e->name = strdup(name);
		e->file = strdup(p->file);
		e->line = p->line;
		e->nr = nr;
		e->errno_value = errno_value;
		pol->nentries++;
		if (!e->name || !e->file)
			goto oom;
	} else if (e->errno_value != errno_value) {
		parse_error(p, "syscall '%s' has a different action at %s:%u", name, e->file,
			    e->line);
		goto fail;
	}
	if (errno_value || e->always)
		goto done;
	if (always) {
		for (size_t i = 0; i < e->nrules; i++)
			seccomp_policy_rule_clear(&e->rules[i]);
		e->nrules = 0;
		e->always = true;
		e->always_file = strdup(p->file);
		e->always_line = p->line;
		if (!e->always_file)
			goto oom;
		goto done;
	}
	for (size_t r = 0; r < nrules; r++) {
		bool dup = false;
		for (size_t i = 0; i < e->nrules && !dup; i++)
			dup = seccomp_policy_rule_equal(&e->rules[i], &rules[r]);
		if (dup) {
			seccomp_policy_rule_clear(&rules[r]);
			continue;
		}
		void *grown = reallocarray(e->rules, e->nrules + 1, sizeof(*e->rules));
		if (!grown)
			goto oom;
		e->rules = grown;
		e->rules[e->nrules++] = rules[r];
		rules[r].ncmps = 0; /* moved */
		rules[r].file = NULL;
	}
done:
	for (size_t r = 0; r < nrules; r++)
		seccomp_policy_rule_clear(&rules[r]);
	free(rules);
	return 0;
oom:
	parse_error(p, "out of memory");
fail:
	for (size_t r = 0; r < nrules; r++)
		seccomp_policy_rule_clear(&rules[r]);
	free(rules);
	return -1;
}

/* CONDITION of "SYSCALL: CONDITION". */
static int parse_condition(struct seccomp_parser *p, const char *name, int nr, const char *text)
{
	struct seccomp_lexer lx = {.pos = text};
	struct seccomp_policy_rule *rules = NULL;
	size_t nrules = 0;
	char msg[256];

	if (lex_next(p, &lx) < 0)
		return -1;
	if (lx.tok.kind == TOK_WORD && strcmp(lx.tok.text, "1") == 0) {
		if (lex_next(p, &lx) < 0)
			return -1;
		if (lx.tok.kind != TOK_END)
			return parse_error(p, "syntax error: '1' must be the whole condition");
		return policy_add(p, name, nr, 0, true, NULL, 0);
	}
	if (lx.tok.kind == TOK_WORD && strcmp(lx.tok.text, "return") == 0) {
		uint64_t e = 0;
		const char *ename;
		if (lex_next(p, &lx) < 0)
			return -1;
		if (lx.tok.kind != TOK_WORD)
			return parse_error(p, "syntax error: expected 'return ERRNO'");
		ename = lx.tok.text;
		if (ename[0] >= '0' && ename[0] <= '9') {
			if (parse_number(ename, &e) < 0 || e == 0 || e > SECCOMP_POLICY_MAX_ERRNO)
				return parse_error(p, "errno '%s' out of range (1-%d)", ename,
						   SECCOMP_POLICY_MAX_ERRNO);
		} else {
			e = (uint64_t)seccomp_policy_errno_lookup(ename);
			if (!e)
				return parse_error(p, "unknown errno '%s'", ename);
		}
		if (lex_next(p, &lx) < 0)
			return -1;
		if (lx.tok.kind != TOK_END)
			return parse_error(p, "syntax error: unexpected '%s' after 'return %s'",
					   lx.tok.text, ename);
		return policy_add(p, name, nr, (int)e, false, NULL, 0);
	}

	for (;;) {
		struct seccomp_policy_rule *rule;
		struct scmp_arg_cmp lowered[SECCOMP_POLICY_MAX_ARGS];
		void *grown = reallocarray(rules, nrules + 1, sizeof(*rules));
		if (!grown) {
			parse_error(p, "out of memory");
			goto fail;
		}
		rules = grown;
		rule = &rules[nrules++];
		rule->ncmps = 0;
		rule->line = p->line;
		rule->file = strdup(p->file);
		if (!rule->file) {
			parse_error(p, "out of memory");
			goto fail;
		}
		for (;;) {
			if (rule->ncmps == ARRAY_SIZE(rule->cmps)) {
				parse_error(p, "more than %zu comparisons in one rule",
					    ARRAY_SIZE(rule->cmps));
				goto fail;
			}
			rule->cmps[rule->ncmps].text = NULL;
			if (parse_cmp(p, &lx, &rule->cmps[rule->ncmps]) < 0) {
				free(rule->cmps[rule->ncmps].text);
				goto fail;
			}
			rule->ncmps++;
			if (lx.tok.kind != TOK_AND)
				break;
			if (lex_next(p, &lx) < 0)
				goto fail;
		}
		if (seccomp_policy_rule_lower(rule, lowered, msg, sizeof(msg)) < 0) {
			parse_error(p, "%s", msg);
			goto fail;
		}
		if (lx.tok.kind == TOK_END)
			break;
		if (lx.tok.kind != TOK_OR) {
			parse_error(p, "syntax error: expected '&&', '||' or end of line, got '%s'",
				    lx.tok.text);
			goto fail;
		}
		if (lex_next(p, &lx) < 0)
			goto fail;
	}
	return policy_add(p, name, nr, 0, false, rules, nrules);
fail:
	for (size_t r = 0; r < nrules; r++)
		seccomp_policy_rule_clear(&rules[r]);
	free(rules);
	return -1;
}

static char *trim(char *s)
{
	char *end;
	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

static int parse_path(struct seccomp_parser *p, const char *path);

/* "@include NAME": NAME is relative to the including file's directory. */
static int parse_include(struct seccomp_parser *p, char *args)
{
	const char *name = trim(args);
	const char *slash = strrchr(p->file, '/');
	size_t len = strlen(name);
	bool add_suffix = len < 7 || strcmp(name + len - 7, ".policy") != 0;
	char path[4096];
	int n;

	if (*name == '\0' || strpbrk(name, " \t"))
		return parse_error(p, "syntax error: expected '@include NAME'");
	if (p->depth > SECCOMP_POLICY_MAX_INCLUDE_DEPTH) /* top file + 8 includes open */
		return parse_error(p, "@include nested deeper than %d",
				   SECCOMP_POLICY_MAX_INCLUDE_DEPTH);
	if (name[0] == '/' || !slash)
		n = snprintf(path, sizeof(path), "%s%s", name, add_suffix ? ".policy" : "");
	else
		n = snprintf(path, sizeof(path), "%.*s/%s%s", (int)(slash - p->file), p->file, name,
			     add_suffix ? ".policy" : "");
	if (n < 0 || (size_t)n >= sizeof(path))
		return parse_error(p, "include path too long");
	return parse_path(p, path);
}

static int parse_line(struct seccomp_parser *p, char *text)
{
	char *hash = strchr(text, '#');
	char *colon, *name;
	int nr;

	if (hash)
		*hash = '\0';
	text = trim(text);
	if (*text == '\0')
		return 0;
	if (text[0] == '@') {
		if (strncmp(text, "@include", 8) == 0 && (text[8] == ' ' || text[8] == '\t'))
			return parse_include(p, text + 8);
		return parse_error(p, "unknown directive '%s'", text);
	}
	colon = strchr(text, ':');
	if (!colon)
		return parse_error(p, "syntax error: expected 'SYSCALL: CONDITION'");
	*colon = '\0';
	name = trim(text);
	if (*name == '\0')
		return parse_error(p, "syntax error: missing syscall name before ':'");
	for (const char *c = name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_'))
			return parse_error(p, "syntax error: bad syscall name '%s'", name);
	nr = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, name);
	if (nr < 0)
		return parse_error(p, "unknown syscall '%s'", name);
	if (*trim(colon + 1) == '\0')
		return parse_error(p, "syntax error: missing condition after '%s:'", name);
	return parse_condition(p, name, nr, trim(colon + 1));
}

/* Reads one file; the caller's location (p->file, p->line) names the include. */
static int parse_path(struct seccomp_parser *p, const char *path)
{
	const char *outer_file = p->file;
	unsigned int outer_line = p->line;
	struct stat st;
	char *line = NULL;
	size_t cap = 0;
	int rc = 0;
	FILE *f = fopen(path, "re");

	if (!f && p->depth == 0) /* the top file: "FILE: reason" says it all */
		return parse_error(p, "%s", strerror(errno));
	if (!f)
		return parse_error(p, "cannot open '%s': %s", path, strerror(errno));
	if (fstat(fileno(f), &st) < 0) {
		fclose(f);
		return parse_error(p, "fstat '%s': %s", path, strerror(errno));
	}
	if (!S_ISREG(st.st_mode)) {
		fclose(f);
		return parse_error(p, "'%s' is not a regular file", path);
	}
	for (unsigned int i = 0; i < p->depth; i++) {
		if (p->open[i].dev == st.st_dev && p->open[i].ino == st.st_ino) {
			fclose(f);
			return parse_error(p, "include cycle: '%s' is already being read", path);
		}
	}
	struct seccomp_policy_file *files =
	    realloc(p->policy->files, (p->policy->nfiles + 1) * sizeof(*files));
	if (files)
		p->policy->files = files;
	char *copy = files ? strdup(path) : NULL;
	if (!copy) {
		fclose(f);
		return parse_error(p, "out of memory");
	}
	size_t file_index = p->policy->nfiles++;
	files[file_index] = (struct seccomp_policy_file){.path = copy};
	/* The digest covers exactly the bytes parsed (lines before parse_line edits them). */
	crypto_generichash_state digest;
	crypto_generichash_init(&digest, NULL, 0, SECCOMP_POLICY_DIGEST);
	p->open[p->depth].dev = st.st_dev;
	p->open[p->depth].ino = st.st_ino;
	p->depth++;
	p->file = path;
	p->line = 0;
	ssize_t got;
	while ((got = getline(&line, &cap, f)) >= 0) {
		p->line++;
		crypto_generichash_update(&digest, (const unsigned char *)line, (size_t)got);
		if (parse_line(p, line) < 0) {
			rc = -1;
			break;
		}
	}
	if (rc == 0 && ferror(f)) {
		p->line = 0;
		rc = parse_error(p, "read error");
	}
	crypto_generichash_final(&digest, p->policy->files[file_index].digest,
				 SECCOMP_POLICY_DIGEST);
	free(line);
	fclose(f);
	p->depth--;
	p->file = outer_file;
	p->line = outer_line;
	return rc;
}

static int entry_compare(const void *a, const void *b)
{
	const struct seccomp_policy_entry *x = a, *y = b;
	return strcmp(x->name, y->name);
}

struct seccomp_policy *seccomp_policy_parse_file(const char *path, char *err, size_t errlen)
{
	struct seccomp_parser p = {.err = err, .errlen = errlen, .file = path};
	if (sodium_init() < 0) { /* the file digests' BLAKE2b */
		snprintf(err, errlen, "%s: libsodium failed to start", path);
		return NULL;
	}
	p.policy = calloc(1, sizeof(*p.policy));
	if (!p.policy) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	if (parse_path(&p, path) < 0) {
		seccomp_policy_free(p.policy);
		return NULL;
	}
	if (p.policy->nentries)
		qsort(p.policy->entries, p.policy->nentries, sizeof(*p.policy->entries),
		      entry_compare);
	return p.policy;
}

void seccomp_policy_free(struct seccomp_policy *policy)
{
	if (!policy)
		return;
	for (size_t i = 0; i < policy->nentries; i++)
		entry_free(&policy->entries[i]);
	free(policy->entries);
	for (size_t i = 0; i < policy->nfiles; i++)
		free(policy->files[i].path);
	free(policy->files);
	free(policy);
}

void seccomp_policy_dump(const struct seccomp_policy *policy, FILE *out)
{
	char buf[1024];
	for (size_t i = 0; i < policy->nentries; i++) {
		const struct seccomp_policy_entry *e = &policy->entries[i];
		fprintf(out, "%s:", e->name);
		if (e->errno_value) {
			const char *name = seccomp_policy_errno_name(e->errno_value);
			if (name)
				fprintf(out, " return %s\n", name);
			else
				fprintf(out, " return %d\n", e->errno_value);
			continue;
		}
		if (e->always) {
			fprintf(out, " 1\n");
			continue;
		}
		for (size_t r = 0; r < e->nrules; r++) {
			seccomp_policy_rule_text(&e->rules[r], true, buf, sizeof(buf));
			fprintf(out, "%s%s", r ? " || " : " ", buf);
		}
		fprintf(out, "\n");
	}
}
