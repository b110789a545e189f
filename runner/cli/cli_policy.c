/* `lockvm policy compile`: a seccomp policy file's filter, printed as libseccomp PFC. */
#include "cli_policy.h"

#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "seccomp_policy.h"
#include "util.h"

int seccomp_policy_print_main(int argc, char **argv)
{
	static const char usage[] = "usage: lockvm policy compile FILE [--mode kill|log|trap]";
	enum seccomp_policy_mode mode = SECCOMP_POLICY_MODE_KILL;
	const char *file = NULL, *mode_text = "kill";
	char err[1024];
	scmp_filter_ctx ctx;
	int rc;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			printf("%s\n", usage);
			return 0;
		}
		if (strcmp(a, "--mode") == 0 || strncmp(a, "--mode=", 7) == 0) {
			if (a[6] == '=')
				mode_text = a + 7;
			else if (i + 1 < argc)
				mode_text = argv[++i];
			else
				die("--mode needs kill, log or trap (%s)", usage);
			if (seccomp_policy_mode_parse(mode_text, &mode) < 0)
				die("unknown mode '%s': use kill, log or trap", mode_text);
		} else if (a[0] == '-') {
			die("unknown option '%s' (%s)", a, usage);
		} else if (file) {
			die("one policy file only (%s)", usage);
		} else {
			file = a;
		}
	}
	if (!file)
		die("%s", usage);
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
