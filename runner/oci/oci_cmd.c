/* state, kill, delete, list and ps: the commands that read a container's record. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "install_dirs.h"
#include "oci.h"
#include "oci_bundle.h"
#include "oci_hooks.h"

int oci_cmd_state(int argc, char **argv)
{
	if (argc != 2)
		oci_fail("state: want exactly one container id");
	struct oci_state s;
	oci_load_or_fail(argv[1], &s);
	oci_print_json(oci_state_json(&s));
	oci_state_free(&s);
	return 0;
}

/* "TERM", "SIGTERM" or "15". */
static int parse_signal(const char *text)
{
	char *end;
	long n = strtol(text, &end, 10);
	if (*text && *end == '\0')
		return n > 0 && n < NSIG ? (int)n : -1;
	if (strncasecmp(text, "SIG", 3) == 0)
		text += 3;
	for (int sig = 1; sig < NSIG; sig++) {
		const char *abbrev = sigabbrev_np(sig);
		if (abbrev && strcasecmp(abbrev, text) == 0)
			return sig;
	}
	return -1;
}

static void mark_killed(const struct oci_state *s)
{
	int dir = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int fd = dir < 0 ? -1
			 : openat(dir, OCI_KILLED_MARK, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
				  0600);
	if (fd < 0)
		oci_warn("%s/%s: %s", s->dir, OCI_KILLED_MARK, strerror(errno));
	else
		close(fd);
	if (dir >= 0)
		close(dir);
}

static bool was_killed(const struct oci_state *s)
{
	int dir = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	bool marked = dir >= 0 && faccessat(dir, OCI_KILLED_MARK, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
	if (dir >= 0)
		close(dir);
	return marked;
}

int oci_cmd_kill(int argc, char **argv)
{
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++)
		if (strcmp(argv[i], "--all") != 0 && strcmp(argv[i], "-a") != 0)
			oci_fail("kill: unknown option %s", argv[i]);
	if (i >= argc || argc - i > 2)
		oci_fail("kill: want a container id and an optional signal");
	int sig = argc - i == 2 ? parse_signal(argv[i + 1]) : SIGTERM;
	if (sig < 0)
		oci_fail("unknown signal \"%s\"", argv[i + 1]);
	struct oci_state s;
	oci_load_or_fail(argv[i], &s);
	/* The supervisor is the container's one process the engine sees: it
	 * forwards SIGINT and SIGTERM to the VM, and the VMM dies with it. */
	if (oci_state_status(&s) == OCI_STOPPED)
		oci_fail("container not running");
	/* A supervisor killed outright cannot undo its VM's setup (label,
	 * uid, cgroup, the adopted interface's filters): the mark tells
	 * delete to recover it. */
	if (sig == SIGKILL)
		mark_killed(&s);
	if (kill(s.pid, sig) < 0)
		oci_fail("container not running");
	oci_state_free(&s);
	return 0;
}

/* Waits up to 10 s for the container's pid to end (it is the engine's
 * child, not ours: its exit is seen in its start time). */
static bool wait_gone(const struct oci_state *s)
{
	for (int i = 0; i < 1000; i++) {
		if (oci_pid_start(s->pid) != s->pid_start)
			return true;
		usleep(10000);
	}
	return false;
}

/* What a VM killed with its supervisor left (label, uid, cgroup) is
 * recovered by lockvm's own gc. */
static void recover_vm(void)
{
	const char *lockvm = install_lockvm_binary();
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		execl(lockvm, lockvm, "gc", (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

int oci_cmd_delete(int argc, char **argv)
{
	bool force = false;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--force") == 0 || strcmp(argv[i], "-f") == 0)
			force = true;
		else
			oci_fail("delete: unknown option %s", argv[i]);
	}
	if (i != argc - 1)
		oci_fail("delete: want exactly one container id");
	struct oci_state s;
	if (oci_state_load(oci_g.root, argv[i], &s) < 0) {
		if (force)
			return 0;
		oci_fail("container does not exist");
	}
	enum oci_status status = oci_state_status(&s);
	if (status == OCI_RUNNING && !force)
		oci_fail("cannot delete container %s that is not stopped: running", s.id);
	bool killed = false;
	if (status != OCI_STOPPED) {
		kill(s.pid, SIGKILL);
		if (!wait_gone(&s))
			oci_fail("container %s: pid %d did not end after SIGKILL", s.id,
				 (int)s.pid);
		killed = status == OCI_RUNNING;
	}
	killed |= was_killed(&s);
	struct oci_bundle b;
	char err[1024];
	if (oci_bundle_load(s.bundle, &b, err, sizeof(err)) == 0) {
		json_object *o = oci_state_json(&s);
		const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
		if (oci_hooks_run(&b.config, OCI_HOOK_POSTSTOP, text, err, sizeof(err)) < 0)
			oci_warn("poststop: %s", err);
		json_object_put(o);
	}
	oci_bundle_free(&b);
	if (killed)
		recover_vm();
	oci_remove_dir(s.dir);
	oci_state_free(&s);
	return 0;
}

static bool want_json(int argc, char **argv, int *i, bool *quiet)
{
	bool json = false;
	for (; *i < argc && argv[*i][0] == '-'; ++*i) {
		const char *v;
		if (oci_opt_value(argc, argv, i, "format", &v) ||
		    oci_opt_value(argc, argv, i, "f", &v)) {
			if (strcmp(v, "json") != 0 && strcmp(v, "table") != 0)
				oci_fail("invalid format option: %s", v);
			json = strcmp(v, "json") == 0;
		} else if (quiet &&
			   (strcmp(argv[*i], "-q") == 0 || strcmp(argv[*i], "--quiet") == 0))
			*quiet = true;
		else
			oci_fail("%s: unknown option %s", argv[0], argv[*i]);
	}
	return json;
}

int oci_cmd_list(int argc, char **argv)
{
	int i = 1;
	bool quiet = false;
	bool json = want_json(argc, argv, &i, &quiet);
	if (i != argc)
		oci_fail("list: takes no argument");
	json_object *all = json_object_new_array();
	DIR *d = opendir(oci_g.root);
	for (struct dirent *e; d && (e = readdir(d));) {
		struct oci_state s;
		if (e->d_name[0] == '.' || oci_state_load(oci_g.root, e->d_name, &s) < 0)
			continue;
		json_object_array_add(all, oci_state_json(&s));
		oci_state_free(&s);
	}
	if (d)
		closedir(d);
	if (json) {
		oci_print_json(all);
		return 0;
	}
	if (!quiet)
		printf("%-24s %-8s %-8s %-40s %-32s %s\n", "ID", "PID", "STATUS", "BUNDLE",
		       "CREATED", "OWNER");
	for (size_t k = 0; k < json_object_array_length(all); k++) {
		json_object *o = json_object_array_get_idx(all, k), *v;
#define FIELD(name) (json_object_object_get_ex(o, name, &v) ? json_object_get_string(v) : "")
		if (quiet)
			printf("%s\n", FIELD("id"));
		else {
			printf("%-24s ", FIELD("id"));
			printf("%-8s ", FIELD("pid"));
			printf("%-8s ", FIELD("status"));
			printf("%-40s ", FIELD("bundle"));
			printf("%-32s ", FIELD("created"));
			printf("%s\n", FIELD("owner"));
		}
#undef FIELD
	}
	json_object_put(all);
	return 0;
}

/* The container's processes on the host: the supervisor and its VMM. */
int oci_cmd_ps(int argc, char **argv)
{
	int i = 1;
	bool json = want_json(argc, argv, &i, NULL);
	if (i >= argc)
		oci_fail("ps: want a container id");
	struct oci_state s;
	oci_load_or_fail(argv[i], &s);
	if (oci_state_status(&s) == OCI_STOPPED)
		oci_fail("container not running");
	pid_t pids[2] = {s.pid, 0};
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)s.pid, (int)s.pid);
	FILE *f = fopen(path, "re");
	int child;
	if (f && fscanf(f, "%d", &child) == 1)
		pids[1] = child;
	if (f)
		fclose(f);
	if (json) {
		json_object *a = json_object_new_array();
		for (int k = 0; k < 2 && pids[k]; k++)
			json_object_array_add(a, json_object_new_int(pids[k]));
		printf("%s\n", json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN));
		json_object_put(a);
		return 0;
	}
	char list[64];
	if (pids[1])
		snprintf(list, sizeof(list), "%d,%d", (int)pids[0], (int)pids[1]);
	else
		snprintf(list, sizeof(list), "%d", (int)pids[0]);
	/* runc passes the rest of the line to ps(1) too. */
	const char *args[64] = {"ps"};
	int n = 1;
	for (int k = i + 1; k < argc && n < 60; k++)
		args[n++] = argv[k];
	if (n == 1)
		args[n++] = "-f";
	args[n++] = "-p";
	args[n++] = list;
	args[n] = NULL;
	fflush(stdout);
	execvp("ps", (char *const *)args);
	oci_fail("ps: %s", strerror(errno));
}
