/* VM definitions and the storage pool on the command line: define, undefine, start, pool. */
#include "cli_vmdef.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "paths.h"
#include "pool.h"
#include "registry.h"
#include "images.h"
#include "run.h"
#include "util.h"
#include "vmdef.h"

#define DEFINITION_EXT ".conf"

/* Dies (125) unless name is a valid VM name. */
static void check_vm_name(const char *command, const char *name)
{
	const char *why;
	if (!paths_name_valid(name, &why))
		die("%s: VM name '%s' %s (want 1-64 of [A-Za-z0-9_.-], not starting with '.' or "
		    "'-')",
		    command, name, why);
}

/* out = <root>/etc/lockvm/vms/NAME.conf for a valid name. */
static void definition_path(const char *command, const char *name, char *out, size_t size)
{
	char leaf[PATHS_NAME_MAX + sizeof(DEFINITION_EXT)];
	check_vm_name(command, name);
	snprintf(leaf, sizeof(leaf), "%s%s", name, DEFINITION_EXT);
	if (paths_join(out, size, PATHS_DEFS_DIR, leaf) < 0)
		die("%s: %s: path too long under root %s", command, name, paths_root());
}

int cmd_define(int argc, char **argv)
{
	char path[PATH_MAX], err[1024];
	struct vmdef def;
	struct stat st;
	size_t len;

	if (argc != 3)
		die("usage: lockvm define NAME FILE");
	definition_path("define", argv[1], path, sizeof(path));
	char *text = vmdef_read_text(argv[2], &len, err, sizeof(err));
	if (!text)
		die("define: %s", err);
	/* The file is checked as a whole before anything is installed, and
	 * installed byte for byte, comments included. */
	if (vmdef_parse(text, len, argv[2], &def, err, sizeof(err)) < 0) {
		free(text);
		die("%s", err);
	}
	vmdef_free(&def);
	if (paths_mkdir(PATHS_DEFS_DIR) < 0)
		die_errno("define: cannot create %s under %s", PATHS_DEFS_DIR, paths_root());
	bool existed = lstat(path, &st) == 0;
	if (paths_write_atomic(path, text, len, 0600) < 0)
		die_errno("define: cannot write %s", path);
	free(text);
	if (existed)
		printf("VM %s redefined from %s: replaced the previous definition (%s)\n", argv[1],
		       argv[2], path);
	else
		printf("VM %s defined from %s (%s)\n", argv[1], argv[2], path);
	return 0;
}

int cmd_undefine(int argc, char **argv)
{
	char path[PATH_MAX];
	if (argc != 2)
		die("usage: lockvm undefine NAME");
	definition_path("undefine", argv[1], path, sizeof(path));
	if (unlink(path) < 0) {
		if (errno == ENOENT)
			die("undefine: no VM named '%s' is defined", argv[1]);
		die_errno("undefine: unlink(%s)", path);
	}
	printf("VM %s undefined (%s removed)\n", argv[1], path);
	return 0;
}

int cmd_start(int argc, char **argv)
{
	char path[PATH_MAX], err[1024];
	struct vmdef def;
	int run_argc;

	if (argc != 2)
		die("usage: lockvm start NAME");
	definition_path("start", argv[1], path, sizeof(path));
	if (vmdef_load(path, &def, err, sizeof(err)) < 0) {
		if (errno == ENOENT)
			die("start: no VM named '%s' is defined (see 'lockvm define')", argv[1]);
		die("start: %s", err);
	}
	char **run_argv = vmdef_run_argv(&def, argv[1], &run_argc);
	vmdef_free(&def);
	if (!run_argv)
		die("start: out of memory");
	/* run_main may rearrange the pointers it is given (it drops the "--"
	 * before guest arguments), so it gets a copy of the array and the
	 * strings are freed from the original. */
	char **call = calloc((size_t)run_argc + 1, sizeof(*call));
	if (!call)
		die("start: out of memory");
	memcpy(call, run_argv, (size_t)run_argc * sizeof(*call));
	int status = run_main(run_argc, call);
	free(call);
	vmdef_argv_free(run_argv);
	return status;
}

/* "512 B", "64.00 MiB": sizes as people read them. */
static void human_size(uint64_t bytes, char *out, size_t size)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	double value = (double)bytes;
	unsigned unit = 0;
	while (value >= 1024 && unit + 1 < ARRAY_SIZE(units)) {
		value /= 1024;
		unit++;
	}
	if (unit == 0)
		snprintf(out, size, "%" PRIu64 " B", bytes);
	else
		snprintf(out, size, "%.2f %s", value, units[unit]);
}

static int pool_list_main(int argc, char **argv)
{
	struct pool_image *images;
	size_t count;
	char err[PATH_MAX + 128];
	bool json = false;

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else
			die("pool list: unknown argument '%s' (usage: lockvm pool list [--json])",
			    argv[i]);
	}
	if (pool_list(&images, &count, err, sizeof(err)) < 0)
		die("pool list: %s", err);
	if (json) {
		/* Field names are part of the interface (README): keep them. */
		struct json_object *array = json_object_new_array();
		for (size_t i = 0; i < count; i++) {
			struct json_object *image = json_object_new_object();
			json_object_object_add(image, "name",
					       json_object_new_string(images[i].name));
			json_object_object_add(image, "path",
					       json_object_new_string(images[i].path));
			json_object_object_add(image, "size",
					       json_object_new_int64((int64_t)images[i].size));
			json_object_object_add(image, "allocated",
					       json_object_new_int64((int64_t)images[i].allocated));
			json_object_array_add(array, image);
		}
		printf("%s\n",
		       json_object_to_json_string_ext(array, JSON_C_TO_STRING_PRETTY |
								 JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(array);
		free(images);
		return 0;
	}
	char(*sizes)[2][32] = calloc(count ? count : 1, sizeof(*sizes));
	if (!sizes)
		die("pool list: out of memory");
	int name_width = (int)strlen("NAME"), size_width = (int)strlen("SIZE"),
	    allocated_width = (int)strlen("ALLOCATED");
	for (size_t i = 0; i < count; i++) {
		human_size(images[i].size, sizes[i][0], sizeof(sizes[i][0]));
		human_size(images[i].allocated, sizes[i][1], sizeof(sizes[i][1]));
		int n = (int)strlen(images[i].name), s = (int)strlen(sizes[i][0]),
		    a = (int)strlen(sizes[i][1]);
		name_width = n > name_width ? n : name_width;
		size_width = s > size_width ? s : size_width;
		allocated_width = a > allocated_width ? a : allocated_width;
	}
	printf("%-*s  %*s  %*s  %s\n", name_width, "NAME", size_width, "SIZE", allocated_width,
	       "ALLOCATED", "PATH");
	for (size_t i = 0; i < count; i++)
		printf("%-*s  %*s  %*s  %s\n", name_width, images[i].name, size_width, sizes[i][0],
		       allocated_width, sizes[i][1], images[i].path);
	free(sizes);
	free(images);
	return 0;
}

/* pool_delete's question: does a live VM have path as a disk? The
 * registry's image records say (by the path the VM was given); ctx
 * receives the first user's name. */
static bool image_in_use(const char *path, void *ctx)
{
	char users[1][PATHS_NAME_MAX + 1];
	if (images_users(path, users, 1) < 1)
		return false;
	snprintf(ctx, PATHS_NAME_MAX + 1, "%s", users[0]);
	return true;
}

int cmd_pool(int argc, char **argv)
{
	static const char usage[] =
	    "usage: lockvm pool list [--json] | pool create NAME SIZE | pool delete NAME";
	char err[PATH_MAX + 256], human[32], path[PATH_MAX];
	uint64_t size;

	if (argc < 2)
		die("%s", usage);
	if (strcmp(argv[1], "list") == 0)
		return pool_list_main(argc, argv);
	if (strcmp(argv[1], "create") == 0) {
		if (argc != 4)
			die("%s", usage);
		if (parse_size(argv[3], &size) < 0)
			die("pool create: size '%s': not a size (use e.g. 64M or 1G)", argv[3]);
		if (pool_create(argv[2], size, err, sizeof(err)) < 0 ||
		    pool_image_path(argv[2], path, sizeof(path), err, sizeof(err)) < 0)
			die("pool create: %s", err);
		human_size(size, human, sizeof(human));
		printf("image %s created: %s, %s\n", argv[2], human, path);
		return 0;
	}
	if (strcmp(argv[1], "delete") == 0) {
		char user[PATHS_NAME_MAX + 1] = "";
		if (argc != 3)
			die("%s", usage);
		/* Under the registry lock, which a VM holds while it takes its
		 * disks: no VM can start using the image between the check and
		 * the unlink. */
		int lock = registry_lock();
		if (lock < 0)
			die("pool delete: cannot lock the VM registry under %s", paths_root());
		int rc = pool_delete(argv[2], image_in_use, user, err, sizeof(err));
		int saved = errno;
		registry_unlock(lock);
		if (rc < 0 && saved == EBUSY)
			die("pool delete: image %s is a disk of the running VM '%s'; stop it first "
			    "(lockvm stop %s)",
			    argv[2], user, user);
		if (rc < 0)
			die("pool delete: %s", err);
		printf("image %s deleted\n", argv[2]);
		return 0;
	}
	die("pool: unknown subcommand '%s' (%s)", argv[1], usage);
}
