/* `lockvm policy compile`: a seccomp policy file's filter, printed as libseccomp PFC. */
#include "cli_policy.h"

#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cliopt.h"
#include "seccomp_policy.h"
#include "util.h"

int seccomp_policy_print_main(int argc, char **argv)
{
	static const struct cliopt options[] = {
	    {"mode", 'm', required_argument, 0, "kill|log|trap",
	     "the action for a syscall outside the policy (default kill)"}};
	static const struct cliopt_spec spec = {
	    .command = "policy compile",
	    .operands = "FILE",
	    .summary = "compile a seccomp policy file and print the filter (libseccomp PFC)",
	    .options = options,
	    .count = ARRAY_SIZE(options),
	    .min_operands = 1,
	    .max_operands = 1};
	struct cliopt_parser p;
	int count;
	enum seccomp_policy_mode mode = SECCOMP_POLICY_MODE_KILL;
	const char *file = NULL, *mode_text = "kill";
	char err[1024];
	scmp_filter_ctx ctx;
	int rc;

	cliopt_begin(&p, &spec, argc, argv);
	while (cliopt_next(&p)) {
		mode_text = p.value; /* --mode, the only option */
		if (seccomp_policy_mode_parse(mode_text, &mode) < 0)
			die("unknown mode '%s': use kill, log or trap", mode_text);
	}
	file = cliopt_operands(&p, &count)[0];
	ctx = seccomp_policy_compile_file(file, mode, err, sizeof(err));
	if (!ctx)
		die("%s", err);
	printf("# lockvm seccomp filter for %s, mode %s\n", file, mode_text);
	printf("# prologue (before the code below): arch != x86_64 or an x32 syscall number"
	       " -> KILL_PROCESS\n");
	fflush(stdout);
	rc = seccomp_export_pfc(ctx, STDOUT_FILENO);
	seccomp_release(ctx);
	if (rc < 0) {
		errno = -rc;
		die_errno("seccomp_export_pfc(%s)", file);
	}
	return 0;
}
