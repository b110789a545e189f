/* One command-line grammar for every lockvm command: getopt_long over a table that also writes the help. */
#ifndef LOCKVM_CLIOPT_H
#define LOCKVM_CLIOPT_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Most options a command may have (the parser's arrays are fixed). */
#define CLIOPT_MAX 48
/* max_operands: no upper bound. */
#define CLIOPT_MANY (-1)

/* One option: `--name`, `--name VALUE` or `--name=VALUE`, and `-s` when
 * short is set. cliopt_next returns key when it is given. */
struct cliopt {
	const char *name;    /* long name, without "--" */
	int key;	     /* nonzero; returned by cliopt_next */
	int has_arg;	     /* no_argument, required_argument or optional_argument */
	char short_name;     /* '-x' spelling, or 0 */
	const char *arg;     /* the value's name in the help ("SIZE"), NULL without one */
	const char *summary; /* one line of help */
};

/* A command: its name for messages and help, its operands and options. */
struct cliopt_spec {
	const char *command;	      /* "stop", "net define" */
	const char *operands;	      /* "NAME", "GUEST [-- ARGS...]", "" */
	const char *summary;	      /* what it does, one line */
	const struct cliopt *options; /* may be NULL */
	size_t count;
	int min_operands, max_operands; /* max: CLIOPT_MANY for no bound */
	/* Options end at the first operand (`run GUEST ARGS...`: the
	 * guest's own options are not ours); otherwise they go anywhere. */
	bool options_end_at_operand;
	const char *more; /* help text after the options, or NULL */
};

struct cliopt_parser {
	const struct cliopt_spec *spec;
	int argc;
	char **argv;
	char *value; /* the current option's value (NULL when none given) */
	struct option longopts[CLIOPT_MAX + 2];
	char shortopts[2 * CLIOPT_MAX + 8];
};

/* Starts parsing argv[1..argc) (argv[0] is the command's name) against
 * spec. Dies if the table is larger than CLIOPT_MAX. */
void cliopt_begin(struct cliopt_parser *p, const struct cliopt_spec *spec, int argc, char **argv);

/* The next option's key, with its value in p->value; 0 when the options
 * are done. Prints the help and exits 0 on -h/--help; dies (125) naming
 * the option, with a suggestion, on an unknown or malformed option. */
int cliopt_next(struct cliopt_parser *p);

/* After cliopt_next returned 0: the operands, in order, and their count in
 * *count (the array lives until the next cliopt_begin; its strings are
 * argv's). Dies (125) with the usage when there are too few or too many. */
char **cliopt_operands(struct cliopt_parser *p, int *count);

/* For a command without options but --help: parses, and returns the
 * operands as cliopt_operands does. */
char **cliopt_parse(const struct cliopt_spec *spec, int argc, char **argv, int *count);

/* Prints the command's help (usage, summary, options) to out. */
void cliopt_help(const struct cliopt_spec *spec, FILE *out);

/* Dies (125) with "COMMAND: WHAT (usage: ...)" for a usage error the
 * table cannot express (options that exclude each other). */
void cliopt_usage_die(const struct cliopt_spec *spec, const char *what) __attribute__((noreturn));

/* The candidate closest to word (edit distance with transpositions, or a
 * prefix either way), or NULL when none is close enough to suggest. */
const char *cliopt_suggest(const char *word, const char *const *candidates, size_t count);

/* A group of commands: `lockvm`, `lockvm net`, `lockvm audit`. */
struct cliopt_command {
	const char *name;
	int (*main)(int argc, char **argv);
	const char *summary;
};

/*
 * Runs the command argv[1] names with argv[1..argc) (so its argv[0] is its
 * name). `help [COMMAND...]`, `-h` and `--help` list the commands (exit 0)
 * or ask COMMAND for its own help; no command prints a short usage and
 * dies (125); an unknown one dies suggesting the closest name. group is
 * the words between "lockvm" and the command ("" or "net").
 */
int cliopt_dispatch(const char *group, const struct cliopt_command *commands, size_t count,
		    int argc, char **argv);

#endif
