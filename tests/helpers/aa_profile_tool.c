/* Test helper: drives runner/mac/apparmor_profile.c (template, validate, generate, load, remove) from scripts. */
#include "apparmor_profile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(void)
{
	fprintf(stderr, "usage: aa_profile_tool template\n"
			"       aa_profile_tool validate PATH\n"
			"       aa_profile_tool generate UUID [[tree-]rw:PATH|[tree-]ro:PATH]...\n"
			"       aa_profile_tool load FILE | remove NAME\n");
	return 2;
}

static char *read_file(const char *path)
{
	FILE *file = fopen(path, "rb");
	if (!file)
		return NULL;
	static char text[1 << 20];
	size_t n = fread(text, 1, sizeof(text) - 1, file);
	fclose(file);
	text[n] = '\0';
	return text;
}

int main(int argc, char **argv)
{
	char err[512] = "";
	if (argc < 2)
		return usage();
	if (strcmp(argv[1], "template") == 0) {
		fputs(apparmor_profile_template, stdout);
		return 0;
	}
	if (strcmp(argv[1], "validate") == 0 && argc == 3) {
		if (apparmor_path_validate(argv[2], err, sizeof(err)) < 0) {
			printf("refused: %s\n", err);
			return 1;
		}
		printf("ok\n");
		return 0;
	}
	if (strcmp(argv[1], "generate") == 0 && argc >= 3) {
		size_t n = (size_t)argc - 3;
		struct apparmor_disk *disks = calloc(n ? n : 1, sizeof(*disks));
		static char profile[1 << 20];
		for (size_t i = 0; i < n; i++) {
			const char *spec = argv[3 + i];
			disks[i].tree = strncmp(spec, "tree-", 5) == 0;
			if (disks[i].tree)
				spec += 5;
			if (strncmp(spec, "rw:", 3) != 0 && strncmp(spec, "ro:", 3) != 0)
				return usage();
			disks[i].readonly = spec[1] == 'o';
			disks[i].path = spec + 3;
		}
		int len = apparmor_profile_generate(argv[2], disks, n, profile, sizeof(profile),
						    err, sizeof(err));
		free(disks);
		if (len < 0) {
			printf("refused: %s\n", err);
			return 1;
		}
		fputs(profile, stdout);
		return 0;
	}
	if (strcmp(argv[1], "load") == 0 && argc == 3) {
		const char *text = read_file(argv[2]);
		if (!text)
			return usage();
		int rc = apparmor_profile_load(text, err, sizeof(err));
		printf("load: %d %s\n", rc, err);
		return rc < 0 ? 1 : 0;
	}
	if (strcmp(argv[1], "remove") == 0 && argc == 3) {
		int rc = apparmor_profile_remove(argv[2], err, sizeof(err));
		printf("remove: %d %s\n", rc, err);
		return rc < 0 ? 1 : 0;
	}
	return usage();
}
