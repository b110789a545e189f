/* One command-line grammar for every lockvm command: getopt_long over a table that also writes the help. */
#include "cliopt.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

/* cliopt_next's key for -h/--help (outside any table's keys). */
#define CLIOPT_KEY_HELP 0x7fff0001
/* getopt_long's key for an operand in RETURN_IN_ORDER mode ('-'). */
#define CLIOPT_KEY_OPERAND 1

static const struct cliopt help_option = {"help", CLIOPT_KEY_HELP, no_argument, 'h',
					  NULL,	  "this help"};

/* Operands met between options (RETURN_IN_ORDER), then those after "--":
 * one parse at a time, as getopt itself allows. */
static char **operands;
static int operand_count;

void cliopt_begin(struct cliopt_parser *p, const struct cliopt_spec *spec, int argc, char **argv)
{
	size_t s = 0;
	*p = (struct cliopt_parser){.spec = spec, .argc = argc, .argv = argv};
	if (spec->count > CLIOPT_MAX)
		die("%s: %zu options, at most %d", spec->command, spec->count, CLIOPT_MAX);
	/* '+': options end at the first operand; '-': operands come back in
	 * order between options (either way POSIXLY_CORRECT cannot change
	 * it); ':' tells a missing value from an unknown option. */
	p->shortopts[s++] = spec->options_end_at_operand ? '+' : '-';
	p->shortopts[s++] = ':';
	for (size_t i = 0; i <= spec->count; i++) {
		const struct cliopt *o = i < spec->count ? &spec->options[i] : &help_option;
		p->longopts[i] = (struct option){o->name, o->has_arg, NULL, o->key};
		if (!o->short_name)
			continue;
		/* getopt returns a short option's letter: it must not be
		 * another option's key (cliopt_next maps it to this one's). */
		for (size_t j = 0; j < spec->count; j++)
			if (spec->options[j].key == o->short_name && &spec->options[j] != o)
				die("%s: option table: -%c is also the key of --%s", spec->command,
				    o->short_name, spec->options[j].name);
		p->shortopts[s++] = o->short_name;
		if (o->has_arg != no_argument)
			p->shortopts[s++] = ':';
		if (o->has_arg == optional_argument)
			p->shortopts[s++] = ':';
	}
	p->shortopts[s] = '\0';
	free(operands);
	operands = calloc((size_t)argc + 1, sizeof(*operands));
	if (!operands)
		die("%s: out of memory", spec->command);
	operand_count = 0;
	optind = 0; /* glibc: start over, also after an earlier parse */
	opterr = 0;
}

static const struct cliopt *find_key(const struct cliopt_spec *spec, int key)
{
	for (size_t i = 0; i < spec->count; i++)
		if (spec->options[i].key == key)
			return &spec->options[i];
	return key == CLIOPT_KEY_HELP ? &help_option : NULL;
}

static const struct cliopt *find_short(const struct cliopt_spec *spec, int letter)
{
	for (size_t i = 0; i < spec->count; i++)
		if (letter && spec->options[i].short_name == letter)
			return &spec->options[i];
	return letter == 'h' ? &help_option : NULL;
}

/* Dies naming the unknown long option word ("--memory=1G"), with the
 * closest known one when there is a close one. */
static void NORETURN unknown_long(const struct cliopt_spec *spec, const char *word)
{
	const char *names[CLIOPT_MAX + 1];
	char name[64];
	size_t n = 0;
	snprintf(name, sizeof(name), "%.*s", (int)strcspn(word + 2, "="), word + 2);
	for (size_t i = 0; i < spec->count; i++)
		names[n++] = spec->options[i].name;
	names[n++] = help_option.name;
	const char *near = cliopt_suggest(name, names, n);
	if (near)
		die("%s: unknown option '--%s' (did you mean '--%s'? see 'lockvm %s --help')",
		    spec->command, name, near, spec->command);
	die("%s: unknown option '--%s' (see 'lockvm %s --help')", spec->command, name,
	    spec->command);
}

int cliopt_next(struct cliopt_parser *p)
{
	const struct cliopt_spec *spec = p->spec;
	for (;;) {
		int key = getopt_long(p->argc, p->argv, p->shortopts, p->longopts, NULL);
		const char *word = optind > 1 ? p->argv[optind - 1] : "";
		const struct cliopt *o;
		p->value = optarg;
		if (key == -1) {
			while (optind < p->argc)
				operands[operand_count++] = p->argv[optind++];
			return 0;
		}
		if (key > ' ' && key < 127 && (o = find_short(spec, key)))
			key = o->key;
		if (key == CLIOPT_KEY_OPERAND) {
			operands[operand_count++] = optarg;
			continue;
		}
		if (key == CLIOPT_KEY_HELP) {
			cliopt_help(spec, stdout);
			exit(0);
		}
		if (key == ':') {
			o = find_key(spec, optopt);
			if (!o)
				o = find_short(spec, optopt);
			die("%s: option '--%s' needs a value (%s; see 'lockvm %s --help')",
			    spec->command, o ? o->name : "?", o && o->arg ? o->arg : "VALUE",
			    spec->command);
		}
		if (key != '?')
			return key;
		if (strncmp(word, "--", 2) == 0) {
			/* A known option given "=VALUE" it does not take has its key
			 * in optopt; an unknown one has 0. */
			if (optopt && (o = find_key(spec, optopt)))
				die("%s: option '--%s' takes no value (see 'lockvm %s --help')",
				    spec->command, o->name, spec->command);
			unknown_long(spec, word);
		}
		die("%s: unknown option '-%c' (see 'lockvm %s --help')", spec->command,
		    optopt > ' ' && optopt < 127 ? optopt : '?', spec->command);
	}
}

char **cliopt_operands(struct cliopt_parser *p, int *count)
{
	const struct cliopt_spec *spec = p->spec;
	char what[256];
	if (operand_count < spec->min_operands) {
		snprintf(what, sizeof(what), "missing %s", spec->operands);
		cliopt_usage_die(spec, what);
	}
	if (spec->max_operands != CLIOPT_MANY && operand_count > spec->max_operands) {
		snprintf(what, sizeof(what), "unexpected argument '%.160s'",
			 operands[spec->max_operands]);
		cliopt_usage_die(spec, what);
	}
	*count = operand_count;
	return operands;
}

char **cliopt_parse(const struct cliopt_spec *spec, int argc, char **argv, int *count)
{
	struct cliopt_parser p;
	cliopt_begin(&p, spec, argc, argv);
	if (cliopt_next(&p))
		die("%s: option table given to cliopt_parse", spec->command);
	return cliopt_operands(&p, count);
}

static void print_usage_line(const struct cliopt_spec *spec, FILE *out)
{
	fprintf(out, "usage: lockvm %s%s%s%s", spec->command, spec->count ? " [OPTIONS]" : "",
		spec->operands[0] ? " " : "", spec->operands);
}

void cliopt_usage_die(const struct cliopt_spec *spec, const char *what)
{
	fflush(stdout);
	fprintf(stderr, "%s: %s: %s (", util_progname, spec->command, what);
	print_usage_line(spec, stderr);
	fprintf(stderr, "; see 'lockvm %s --help')\n", spec->command);
	exit(EXIT_REFUSED);
}

void cliopt_help(const struct cliopt_spec *spec, FILE *out)
{
	print_usage_line(spec, out);
	fprintf(out, "\n%s\n\noptions:\n", spec->summary);
	for (size_t i = 0; i <= spec->count; i++) {
		const struct cliopt *o = i < spec->count ? &spec->options[i] : &help_option;
		char left[96];
		int n = snprintf(left, sizeof(left), "  %c%c%s--%s%s%s%s",
				 o->short_name ? '-' : ' ', o->short_name ? o->short_name : ' ',
				 o->short_name ? ", " : "  ", o->name,
				 o->has_arg == optional_argument   ? "[="
				 : o->has_arg == required_argument ? " "
								   : "",
				 o->arg ? o->arg : "", o->has_arg == optional_argument ? "]" : "");
		if (n > 30)
			fprintf(out, "%s\n%32s%s\n", left, "", o->summary);
		else
			fprintf(out, "%-32s%s\n", left, o->summary);
	}
	if (spec->more)
		fprintf(out, "\n%s", spec->more);
}

/* Edit distance with adjacent transpositions ("rnu" is one from "run"). */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t d[33][33];
	if (la > 32 || lb > 32)
		return (size_t)-1;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1], best = d[i - 1][j - 1] + cost;
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

/* Whether a and b hold the same letters: a slip of order, the likelier one. */
static bool same_letters(const char *a, const char *b)
{
	unsigned counts[256] = {0};
	if (strlen(a) != strlen(b))
		return false;
	for (; *a; a++, b++) {
		counts[(unsigned char)*a]++;
		counts[(unsigned char)*b]--;
	}
	for (size_t i = 0; i < 256; i++)
		if (counts[i])
			return false;
	return true;
}

const char *cliopt_suggest(const char *word, const char *const *candidates, size_t count)
{
	const char *best = NULL;
	size_t best_distance = (size_t)-1, len = strlen(word);
	/* Close means a slip of one or two keys, not another word. */
	size_t limit = len <= 3 ? 1 : 2;
	for (size_t i = 0; i < count; i++) {
		size_t cl = strlen(candidates[i]), d = edit_distance(word, candidates[i]);
		/* "--memory" for "--mem": one word starts the other. */
		bool prefix =
		    len >= 3 && cl >= 3 && strncmp(word, candidates[i], len < cl ? len : cl) == 0;
		if (prefix && d > limit)
			d = limit;
		/* Between two as close, the one with the same letters ("statr":
		 * start, not stats). */
		bool better =
		    d < best_distance || (d == best_distance && same_letters(word, candidates[i]) &&
					  !same_letters(word, best));
		if (d <= limit && better) {
			best = candidates[i];
			best_distance = d;
		}
	}
	return best;
}

/* "lockvm" or "lockvm net": how the group is typed. */
static void full_name(const char *group, char *out, size_t size)
{
	snprintf(out, size, "lockvm%s%s", group[0] ? " " : "", group);
}

static void list_commands(const char *group, const struct cliopt_command *commands, size_t count,
			  FILE *out)
{
	char full[64];
	full_name(group, full, sizeof(full));
	fprintf(out, "usage: %s%s COMMAND [ARGS...]\n\ncommands:\n", full,
		group[0] ? "" : " [--root DIR]");
	for (size_t i = 0; i < count; i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "  %-10s %s\n", "help", "this list, or 'help COMMAND': that command's help");
	fprintf(out, "\n'%s COMMAND --help' says what COMMAND takes.\n", full);
}

static const struct cliopt_command *find_command(const char *group,
						 const struct cliopt_command *commands,
						 size_t count, const char *name)
{
	const char *names[64];
	char full[64], said[80];
	size_t n = 0;
	for (size_t i = 0; i < count; i++) {
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
		if (n < ARRAY_SIZE(names))
			names[n++] = commands[i].name;
	}
	full_name(group, full, sizeof(full));
	snprintf(said, sizeof(said), "%s%s", group, group[0] ? ": " : "");
	const char *near = cliopt_suggest(name, names, n);
	if (near)
		die("%sunknown command '%s' (did you mean '%s'? usage: %s COMMAND [ARGS...]; "
		    "see '%s help')",
		    said, name, near, full, full);
	die("%sunknown command '%s' (usage: %s COMMAND [ARGS...]; see '%s help')", said, name, full,
	    full);
}

int cliopt_dispatch(const char *group, const struct cliopt_command *commands, size_t count,
		    int argc, char **argv)
{
	if (argc < 2) {
		char full[64];
		full_name(group, full, sizeof(full));
		fprintf(stderr, "usage: %s COMMAND [ARGS...]\nsee '%s help' for the commands\n",
			full, full);
		return EXIT_REFUSED;
	}
	const char *name = argv[1];
	bool help = strcmp(name, "help") == 0;
	if (help || strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
		if (!help || argc < 3 || argv[2][0] == '-') {
			list_commands(group, commands, count, stdout);
			return 0;
		}
		/* help COMMAND [SUB...]: COMMAND [SUB...] --help */
		const struct cliopt_command *c = find_command(group, commands, count, argv[2]);
		char **args = calloc((size_t)argc, sizeof(*args));
		if (!args)
			die("out of memory");
		for (int i = 2; i < argc; i++)
			args[i - 2] = argv[i];
		args[argc - 2] = "--help";
		return c->main(argc - 1, args);
	}
	return find_command(group, commands, count, name)->main(argc - 1, argv + 1);
}
