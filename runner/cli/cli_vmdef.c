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

#include "cliopt.h"
#include "paths.h"
#include "pool.h"
#include "registry.h"
#include "events.h"
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

/* Parses a command that takes operands and no option but --help. */
static char **operands_only(const char *command, const char *operands, const char *summary, int n,
			    int argc, char **argv)
{
	const struct cliopt_spec spec = {.command = command,
					 .operands = operands,
					 .summary = summary,
					 .min_operands = n,
					 .max_operands = n};
	int count;
	return cliopt_parse(&spec, argc, argv, &count);
}

int cmd_define(int argc, char **argv)
{
	char path[PATH_MAX], err[1024];
	struct vmdef def;
	struct stat st;
	size_t len;

	/* Kept apart from the operands array, which run's check below reuses. */
	char **ops =
	    operands_only("define", "NAME FILE",
			  "check a VM definition (INI) and install it under a name", 2, argc, argv);
	const char *name = ops[0], *file = ops[1];
	definition_path("define", name, path, sizeof(path));
	char *text = vmdef_read_text(file, &len, err, sizeof(err));
	if (!text)
		die("define: %s", err);
	/* The file is checked as a whole before anything is installed, and
	 * installed byte for byte, comments included. */
	if (vmdef_parse(text, len, file, &def, err, sizeof(err)) < 0) {
		free(text);
		die("%s", err);
	}
	/* How the options go together is run's to say (--fs needs --linux, ...). */
	int run_argc;
	char **run_argv = vmdef_run_argv(&def, name, &run_argc);
	vmdef_free(&def);
	if (!run_argv)
		die("define: out of memory");
	run_options_check(run_argc, run_argv);
	vmdef_argv_free(run_argv);
	if (paths_mkdir(PATHS_DEFS_DIR) < 0)
		die_errno("define: cannot create %s under %s", PATHS_DEFS_DIR, paths_root());
	bool existed = lstat(path, &st) == 0;
	if (paths_write_atomic(path, text, len, 0600) < 0)
		die_errno("define: cannot write %s", path);
	free(text);
	events_emit(existed ? "redefined" : "defined", name, NULL);
	if (existed)
		printf("VM %s redefined from %s: replaced the previous definition (%s)\n", name,
		       file, path);
	else
		printf("VM %s defined from %s (%s)\n", name, file, path);
	return 0;
}

int cmd_undefine(int argc, char **argv)
{
	char path[PATH_MAX];
	char **ops = operands_only("undefine", "NAME", "remove a VM definition", 1, argc, argv);
	definition_path("undefine", ops[0], path, sizeof(path));
	if (unlink(path) < 0) {
		if (errno == ENOENT)
			die("undefine: no VM named '%s' is defined", ops[0]);
		die_errno("undefine: unlink(%s)", path);
	}
	events_emit("undefined", ops[0], NULL);
	printf("VM %s undefined (%s removed)\n", ops[0], path);
	return 0;
}

int cmd_start(int argc, char **argv)
{
	char path[PATH_MAX], err[1024];
	struct vmdef def;
	int run_argc;

	char **ops = operands_only("start", "NAME", "start a defined VM, detached", 1, argc, argv);
	definition_path("start", ops[0], path, sizeof(path));
	if (vmdef_load(path, &def, err, sizeof(err)) < 0) {
		if (errno == ENOENT)
			die("start: no VM named '%s' is defined (see 'lockvm define')", ops[0]);
		die("start: %s", err);
	}
	char **run_argv = vmdef_run_argv(&def, ops[0], &run_argc);
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
	static const struct cliopt options[] = {
	    {"json", 'j', no_argument, 0, NULL, "a JSON array (fields in README)"}};
	static const struct cliopt_spec spec = {.command = "pool list",
						.operands = "",
						.summary =
						    "list the disk images in the default pool",
						.options = options,
						.count = ARRAY_SIZE(options)};
	bool json = false;
	struct cliopt_parser p;
	int operand_count;
	cliopt_begin(&p, &spec, argc, argv);
	while (cliopt_next(&p))
		json = true; /* --json, the only option */
	cliopt_operands(&p, &operand_count);
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

static int pool_create_main(int argc, char **argv)
{
	char err[PATH_MAX + 256], human[32], path[PATH_MAX];
	uint64_t size;
	char **ops = operands_only("pool create", "NAME SIZE",
				   "create a sparse disk image of SIZE (K/M/G suffix) in the pool",
				   2, argc, argv);
	if (parse_size(ops[1], &size) < 0)
		die("pool create: size '%s': not a size (use e.g. 64M or 1G)", ops[1]);
	if (pool_create(ops[0], size, err, sizeof(err)) < 0 ||
	    pool_image_path(ops[0], path, sizeof(path), err, sizeof(err)) < 0)
		die("pool create: %s", err);
	human_size(size, human, sizeof(human));
	printf("image %s created: %s, %s\n", ops[0], human, path);
	return 0;
}

static int pool_delete_main(int argc, char **argv)
{
	char err[PATH_MAX + 256], user[PATHS_NAME_MAX + 1] = "";
	char **ops = operands_only("pool delete", "NAME", "delete a disk image no running VM uses",
				   1, argc, argv);
	/* Under the registry lock, which a VM holds while it takes its
	 * disks: no VM can start using the image between the check and
	 * the unlink. */
	int lock = registry_lock();
	if (lock < 0)
		die("pool delete: cannot lock the VM registry under %s", paths_root());
	int rc = pool_delete(ops[0], image_in_use, user, err, sizeof(err));
	int saved = errno;
	registry_unlock(lock);
	if (rc < 0 && saved == EBUSY)
		die("pool delete: image %s is a disk of the running VM '%s'; stop it first "
		    "(lockvm stop %s)",
		    ops[0], user, user);
	if (rc < 0)
		die("pool delete: %s", err);
	printf("image %s deleted\n", ops[0]);
	return 0;
}

int cmd_pool(int argc, char **argv)
{
	static const struct cliopt_command pool[] = {
	    {"list", pool_list_main, "list the disk images in the default pool"},
	    {"create", pool_create_main, "create a sparse disk image"},
	    {"delete", pool_delete_main, "delete a disk image no running VM uses"},
	};
	return cliopt_dispatch("pool", pool, ARRAY_SIZE(pool), argc, argv);
}
