/* VM definitions: the INI files under $root/etc/lockvm/vms/NAME.conf, parsed, checked and turned into `lockvm run` arguments. */
#ifndef LOCKVM_VMDEF_H
#define LOCKVM_VMDEF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lockvm/abi.h>

/* A definition file larger than this is refused (it is a few lines). */
#define VMDEF_FILE_MAX 65536u
/* The longest --timeout `lockvm run` takes, in seconds (one year). */
#define VMDEF_TIMEOUT_MAX 31536000u
/* The most run-option keys (linux, env, net, ...) one definition may give. */
#define VMDEF_OPTIONS_MAX 64u

enum vmdef_disk_mode {
	VMDEF_DISK_RW,	   /* the VM's own image: gets the VM's category pair */
	VMDEF_DISK_RO,	   /* read-only: content label, no categories */
	VMDEF_DISK_SHARED, /* read-write, shared between VMs: content label */
};

struct vmdef_disk {
	char *path; /* absolute */
	enum vmdef_disk_mode mode;
	bool device;   /* device = yes: a block device (run's ,dev) */
	unsigned line; /* of its [disk] header, for messages */
};

/*
 * One parsed definition. Strings are owned (vmdef_free); the text of
 * mem/timeout/cpus is kept as written, after checking it with the very
 * parsers `lockvm run` applies to the same options.
 */
struct vmdef {
	char *guest; /* absolute path of the guest ELF */
	char *mem;   /* as written; NULL: run's default (64M, a linux = yes guest 1G) */
	uint64_t mem_bytes;
	unsigned vcpus; /* 0: run's default (1) */
	char *timeout;	/* NULL: none */
	char *cpus;	/* NULL: no quota */
	char *seccomp;	/* NULL, "kill", "log" or "trap" */
	char *label;	/* NULL, "dynamic", "none" or a full SELinux context */
	char *group;	/* NULL or a name */
	char *args[LOCKVM_MAX_ARGS];
	unsigned arg_count;
	struct vmdef_disk disks[LOCKVM_MAX_DISKS];
	unsigned disk_count;
	/* [vm] keys that are run options as they are (vmdef_options.c), in
	 * file order */
	struct vmdef_run_option {
		int index;
		char *value;
		unsigned line;
	} options[VMDEF_OPTIONS_MAX];
	unsigned option_count;
};

/*
 * Parses and checks the definition in text[0..len) (need not be
 * NUL-terminated). file names the source in messages. Returns 0 with *def
 * filled (vmdef_free it), or -1 with *def empty and one line in err:
 * "FILE:LINE: what is wrong" (or "FILE: ..." when no line is to blame).
 */
int vmdef_parse(const char *text, size_t len, const char *file, struct vmdef *def, char *err,
		size_t errlen);

/*
 * Reads the whole file at path (followed if a symlink; a regular file of at
 * most VMDEF_FILE_MAX bytes) into a malloc'd NUL-terminated buffer, its
 * length in *len. Returns it, or NULL with one line in err and errno set
 * (ENOENT when the file does not exist, EFBIG when too large).
 */
char *vmdef_read_text(const char *path, size_t *len, char *err, size_t errlen);

/*
 * Reads and parses the file at path (at most VMDEF_FILE_MAX bytes; path is
 * followed if it is a symlink). Returns 0, or -1 with one line in err;
 * errno is ENOENT when the file does not exist.
 */
int vmdef_load(const char *path, struct vmdef *def, char *err, size_t errlen);

/* Frees what vmdef_parse allocated and empties *def. Safe on an empty one. */
void vmdef_free(struct vmdef *def);

/*
 * The argv of `lockvm run` that starts def as VM name, argv[0] = "run":
 *   run --detach --name NAME [--mem M] [--vcpus N] [--timeout S] [--cpus C]
 *       [--seccomp MODE] [--label L | --group G] [--disk PATH,MODE[,dev]]...
 *       [--linux] [--env=A=B]... (the run-option keys, vmdef_options.c)
 *       GUEST [-- ARGS...]
 * --label is left out when there is a group (a group's label is dynamic).
 * Every disk carries its mode (",rw" too), so a path containing a comma
 * survives run's split at the last comma. Strings are writable copies
 * (run cuts --disk values in place). Returns a NULL-terminated array
 * (vmdef_argv_free) and its length in *argc, or NULL when out of memory.
 */
char **vmdef_run_argv(const struct vmdef *def, const char *name, int *argc);

void vmdef_argv_free(char **argv);

#endif
