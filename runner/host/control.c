/* The control path: `lockvm save|migrate` reach a running VM's supervisor on vms/NAME/control, which relays to its VMM with the stream fd. */
#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "cliopt.h"
#include "events.h"
#include "migrate_addr.h"
#include "paths.h"
#include "progress_line.h"
#include "registry.h"
#include "save_record.h"
#include "util.h"

/* How long the client and the relay wait for a peer that went quiet. */
#define CONTROL_IO_TIMEOUT_S 30

/* sockaddr for vms/NAME/control, through /proc/self/fd so that a long
 * root still fits sun_path; *dir_fd must be closed by the caller. */
static int control_addr(const char *name, struct sockaddr_un *sa, int *dir_fd)
{
	char dir[PATH_MAX];
	if (paths_join(dir, sizeof(dir), PATHS_VMS_DIR, name) < 0)
		return -1;
	*dir_fd = open(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (*dir_fd < 0)
		return -1;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	snprintf(sa->sun_path, sizeof(sa->sun_path), "/proc/self/fd/%d/control", *dir_fd);
	return 0;
}

int control_listen(const char *name)
{
	struct sockaddr_un sa;
	int dir_fd, fd = -1;
	if (control_addr(name, &sa, &dir_fd) < 0) {
		warn_errno("control socket of '%s'", name);
		return -1;
	}
	unlinkat(dir_fd, "control", 0);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	mode_t old = umask(077); /* root 0600: only the owner may connect */
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4) < 0) {
		warn_errno("control socket of '%s' (save and migrate will not reach it)", name);
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	umask(old);
	close(dir_fd);
	return fd;
}

void control_relay_init(struct control_relay *r, int listen_fd, int vmm_fd, struct reg_vm *vm)
{
	*r = (struct control_relay){
	    .listen_fd = listen_fd, .vmm_fd = vmm_fd, .client = -1, .vm = vm};
	for (unsigned i = 0; i < CONTROL_EXEC_SLOTS; i++)
		r->execs[i].fd = -1;
}

void control_relay_attach(struct control_relay *r, int vmm_fd)
{
	r->vmm_fd = vmm_fd;
}

/* What `list` and `inspect` say while a request runs ("running" after). */
static void relay_state(struct control_relay *r, const char *state)
{
	if (!r->vm || !r->vm->name[0])
		return;
	snprintf(r->vm->state, sizeof(r->vm->state), "%s", state);
	if (registry_save(r->vm) < 0)
		warn_errno("registry: state %s of '%s'", state, r->vm->name);
}

static void reply_error(int client, int status, const char *text)
{
	struct control_msg m = {.magic = CONTROL_MAGIC, .op = CONTROL_REPLY, .status = status};
	snprintf(m.text, sizeof(m.text), "%s", text);
	(void)control_send(client, &m, -1);
}

/* EXEC_STARTED with status 125 to an exec client: nothing ran. */
static void exec_refuse(int client, const char *why)
{
	struct control_msg m = {
	    .magic = CONTROL_MAGIC, .op = CONTROL_EXEC_STARTED, .status = EXIT_REFUSED};
	snprintf(m.text, sizeof(m.text), "%s", why);
	(void)control_send(client, &m, -1);
}

/* A stdio fd an exec'd process may have: no directory (an fd the VMM
 * could resolve paths beneath), nothing that is not open. */
static bool stdio_fd_ok(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode);
}

/* `lockvm exec`: the request checked whole here (the VMM checks it again),
 * given an id and passed on with its fds; the client stays connected for
 * its process's start, signals and exit status. */
static void exec_request(struct control_relay *r, int client, struct control_msg *m,
			 const uint8_t *payload, int *fds, unsigned nfds)
{
	struct control_exec req;
	char err[256];
	struct control_exec_client *slot = NULL;
	for (unsigned i = 0; i < CONTROL_EXEC_SLOTS && !slot; i++)
		if (r->execs[i].fd < 0)
			slot = &r->execs[i];
	bool ok = control_exec_decode(payload, m->payload_len, &req, err, sizeof(err)) == 0;
	unsigned want = ok && (req.flags & CONTROL_EXEC_TTY) ? 1 : 3;
	if (ok && nfds != want) {
		snprintf(err, sizeof(err), "exec: %u stdio fds passed (want %u)", nfds, want);
		ok = false;
	}
	for (unsigned i = 0; ok && i < nfds; i++)
		if (!stdio_fd_ok(fds[i])) {
			snprintf(err, sizeof(err), "exec: stdio fd %u is a directory or not open",
				 i);
			ok = false;
		}
	if (ok && (r->vmm_fd < 0 || !slot)) {
		snprintf(err, sizeof(err),
			 r->vmm_fd < 0 ? "exec: the VM is ending"
				       : "exec: %u processes started by exec run "
					 "already",
			 CONTROL_EXEC_SLOTS);
		ok = false;
	}
	if (ok) {
		m->id = ++r->next_exec_id;
		ok = control_send_ex(r->vmm_fd, m, payload, fds, nfds) == 0;
		if (!ok)
			snprintf(err, sizeof(err), "exec: the VMM did not take the request");
	}
	while (nfds > 0)
		close(fds[--nfds]);
	if (!ok) {
		exec_refuse(client, err);
		close(client);
		return;
	}
	struct timeval none = {0}; /* it waits as long as its process runs */
	setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof(none));
	*slot = (struct control_exec_client){.fd = client, .id = m->id};
}

static void accept_request(struct control_relay *r)
{
	int client = accept4(r->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (client < 0)
		return;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct timeval tv = {.tv_sec = 5};
	setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	/* The socket is 0600; the peer's uid is checked as well. */
	if (getsockopt(client, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
	    (cred.uid != 0 && cred.uid != getuid())) {
		close(client);
		return;
	}
	static uint8_t payload[CONTROL_EXEC_PAYLOAD_MAX];
	struct control_msg m;
	int fds[CONTROL_EXEC_MAX_FDS];
	unsigned nfds;
	if (control_recv_ex(client, &m, payload, sizeof(payload), fds, CONTROL_EXEC_MAX_FDS,
			    &nfds) != 0) {
		reply_error(client, EXIT_REFUSED, "malformed control request");
		close(client);
		return;
	}
	if (m.op == CONTROL_EXEC) {
		exec_request(r, client, &m, payload, fds, nfds);
		return;
	}
	if (nfds > 1 || m.payload_len) {
		reply_error(client, EXIT_REFUSED, "malformed control request");
		while (nfds > 0)
			close(fds[--nfds]);
		close(client);
		return;
	}
	int fd = nfds ? fds[0] : -1;
	bool stats = m.op == CONTROL_STATS && fd < 0;
	if (r->client >= 0 || r->vmm_fd < 0 ||
	    (!stats && ((m.op != CONTROL_SAVE && m.op != CONTROL_MIGRATE) || fd < 0))) {
		reply_error(client, EXIT_REFUSED,
			    r->client >= 0 ? "another save or migration of this VM is running"
					   : "bad control request");
		if (fd >= 0)
			close(fd);
		close(client);
		return;
	}
	int rc = control_send(r->vmm_fd, &m, fd);
	close(fd);
	if (rc < 0) {
		reply_error(client, EXIT_REFUSED, "the VMM did not take the request");
		close(client);
		return;
	}
	r->client = client;
	r->stats = stats;
	if (!stats)
		relay_state(r, m.op == CONTROL_SAVE ? "saving" : "migrating");
}

/* The VMM's news of an exec'd process, to its client; the last one
 * (refused, or exited) ends the client's connection. */
static void exec_answer(struct control_relay *r, const struct control_msg *m)
{
	for (unsigned i = 0; i < CONTROL_EXEC_SLOTS; i++) {
		struct control_exec_client *c = &r->execs[i];
		if (c->fd < 0 || c->id != m->id)
			continue;
		(void)control_send(c->fd, m, -1);
		if (m->op == CONTROL_EXEC_EXITED || m->status != 0) {
			close(c->fd);
			c->fd = -1;
		}
	}
}

void control_relay_exec_fds(const struct control_relay *r, struct pollfd *fds)
{
	for (unsigned i = 0; i < CONTROL_EXEC_SLOTS; i++)
		fds[i] = (struct pollfd){.fd = r->execs[i].fd, .events = POLLIN};
}

void control_relay_exec_poll(struct control_relay *r, const struct pollfd *fds)
{
	for (unsigned i = 0; i < CONTROL_EXEC_SLOTS; i++) {
		struct control_exec_client *c = &r->execs[i];
		if (c->fd < 0 || fds[i].fd != c->fd || !fds[i].revents)
			continue;
		struct control_msg m;
		int fd;
		int rc = control_recv(c->fd, &m, &fd);
		if (fd >= 0)
			close(fd);
		/* A signal from the client; its id is the one it was given. A
		 * client gone (or talking nonsense) takes its process along. */
		bool gone = rc != 0 || m.op != CONTROL_EXEC_KILL;
		struct control_msg kill_msg = {.magic = CONTROL_MAGIC,
					       .op = CONTROL_EXEC_KILL,
					       .id = c->id,
					       .wstatus = gone ? SIGKILL : m.wstatus};
		if (r->vmm_fd >= 0)
			(void)control_send(r->vmm_fd, &kill_msg, -1);
		if (gone) {
			close(c->fd);
			c->fd = -1;
		}
	}
}

void control_relay_poll(struct control_relay *r, short listen_events, short vmm_events)
{
	if (r->listen_fd >= 0 && (listen_events & POLLIN))
		accept_request(r);
	if (r->vmm_fd < 0 || !(vmm_events & (POLLIN | POLLHUP | POLLERR)))
		return;
	struct control_msg m;
	int fd;
	int rc = control_recv(r->vmm_fd, &m, &fd);
	if (fd >= 0)
		close(fd);
	if (rc == 0 && (m.op == CONTROL_EXEC_STARTED || m.op == CONTROL_EXEC_EXITED)) {
		exec_answer(r, &m);
		return;
	}
	if (rc == 0 && m.op == CONTROL_PROGRESS) {
		/* Passed on as it came; a client too slow to read misses some. */
		if (r->client >= 0)
			(void)control_send_nowait(r->client, &m);
		return;
	}
	if (r->client >= 0 && !r->stats)
		relay_state(r, "running");
	if (rc == 0 && r->client >= 0)
		(void)control_send(r->client, &m, -1);
	if (rc != 0) { /* the VMM hung up: no more requests */
		close(r->vmm_fd);
		r->vmm_fd = -1;
		if (r->client >= 0)
			reply_error(r->client, EXIT_REFUSED, "the VM ended before it answered");
	}
	if (r->client >= 0)
		close(r->client);
	r->client = -1;
}

/* Whether fd has something to read (or its peer is gone) right now. */
static bool readable_now(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	return poll(&p, 1, 0) == 1;
}

void control_relay_close(struct control_relay *r, const char *name)
{
	/* The VMM's answer may still be queued behind its progress messages
	 * when the supervisor sees it exit (save stops the VM): pass it on. */
	while (r->client >= 0 && r->vmm_fd >= 0 && readable_now(r->vmm_fd))
		control_relay_poll(r, 0, POLLIN);
	if (r->client >= 0) {
		reply_error(r->client, EXIT_REFUSED, "the VM ended before it answered");
		close(r->client);
	}
	for (unsigned i = 0; i < CONTROL_EXEC_SLOTS; i++)
		if (r->execs[i].fd >= 0) /* EOF: the client says its VM ended */
			close(r->execs[i].fd);
	if (r->listen_fd >= 0) {
		struct sockaddr_un sa;
		int dir_fd;
		if (control_addr(name, &sa, &dir_fd) == 0) {
			unlinkat(dir_fd, "control", 0);
			close(dir_fd);
		}
		close(r->listen_fd);
	}
	if (r->vmm_fd >= 0)
		close(r->vmm_fd);
	control_relay_init(r, -1, -1, NULL);
}

/* ---- the client commands --------------------------------------------- */

void control_read_key(const char *path, uint8_t key[SNAPSHOT_KEY_SIZE])
{
	size_t len;
	char *data = paths_read_file(path, 4096, &len);
	if (!data)
		die_errno("--key %s", path);
	if (len < 16) {
		free(data);
		die("--key %s: a key file holds at least 16 bytes (e.g. head -c 32 /dev/urandom)",
		    path);
	}
	snapshot_derive_key(data, len, key);
	sodium_memzero(data, len);
	free(data);
}

int control_connect(const char *name)
{
	struct sockaddr_un sa;
	int dir_fd;
	int sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return -1;
	if (control_addr(name, &sa, &dir_fd) < 0) {
		close(sock);
		return -1;
	}
	int rc = connect(sock, (struct sockaddr *)&sa, sizeof(sa));
	close(dir_fd);
	if (rc < 0) {
		close(sock);
		return -1;
	}
	return sock;
}

int control_stats(const char *name, struct control_msg *out)
{
	struct control_msg m = {.magic = CONTROL_MAGIC, .op = CONTROL_STATS}, reply;
	int sock = control_connect(name), fd = -1;
	if (sock < 0)
		return -1;
	/* A VMM busy saving (or stopped) does not hold `stats` up for long. */
	struct timeval tv = {.tv_sec = 2};
	setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	int rc = control_send(sock, &m, -1) < 0 ? -1 : control_recv(sock, &reply, &fd);
	if (fd >= 0)
		close(fd);
	close(sock);
	if (rc != 0 || reply.op != CONTROL_REPLY || reply.status != 0)
		return -1;
	*out = reply;
	return 0;
}

/* Sends the request for VM `name` with `fd`, shows the progress the VMM
 * tells on pl, waits for the reply (the operation may take long: no
 * timeout) and returns it. */
static void control_request(const char *name, struct control_msg *m, int fd,
			    struct progress_line *pl, struct control_msg *reply)
{
	const char *why;
	if (!paths_name_valid(name, &why))
		die("VM name '%s': %s", name, why);
	if (registry_live(name) != 1)
		die("no running VM named '%s'", name);
	int sock = control_connect(name);
	if (sock < 0)
		die_errno("connecting to the supervisor of '%s'", name);
	if (control_send(sock, m, fd) < 0)
		die_errno("sending the request to '%s'", name);
	int rfd, rc;
	bool paused = false;
	const char *by = m->op == CONTROL_SAVE ? "save" : "migrate";
	do {
		rc = control_recv(sock, reply, &rfd);
		if (rfd >= 0)
			close(rfd);
		if (rc == 0 && reply->op == CONTROL_PROGRESS)
			progress_line_update(pl, reply);
		if (rc == 0 && reply->op == CONTROL_PROGRESS && (reply->flags & CONTROL_PAUSED) &&
		    !paused) {
			paused = true;
			json_object *o = json_object_new_object();
			json_object_object_add(o, "by", json_object_new_string(by));
			events_emit("paused", name, o);
		}
	} while (rc == 0 && reply->op == CONTROL_PROGRESS);
	/* The VMM resumes the guest after a save that keeps it running and
	 * after any save or migration that failed once it had paused it. */
	if (paused && rc == 0 && reply->op == CONTROL_REPLY &&
	    (reply->status != 0 || (m->flags & CONTROL_KEEP_RUNNING))) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "by", json_object_new_string(by));
		events_emit("resumed", name, o);
	}
	if (rc != 0 || reply->op != CONTROL_REPLY) {
		progress_line_abort(pl);
		die("'%s' ended without answering", name);
	}
	close(sock);
	if (reply->status == 0)
		progress_line_done(pl, reply->bytes);
	else
		progress_line_abort(pl);
}

/* Refuses early, before a file is made or a target contacted, what the
 * VMM would refuse anyway: a --linux VM has no stream format. */
static void refuse_unsaveable(const char *name, const char *what, struct reg_vm *vm)
{
	registry_load_live(name, vm);
	if (vm->linux_abi)
		die("%s %s: a --linux VM cannot be saved or migrated yet (its VMM-side process "
		    "state has no stream format)",
		    what, name);
}

/* What save and migrate both report as JSON (README): vm, total_ms,
 * downtime_ms, bytes. */
static json_object *transfer_json(const char *name, const struct control_msg *reply)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "vm", json_object_new_string(name));
	json_object_object_add(o, "total_ms",
			       json_object_new_double((double)reply->total_ns / 1e6));
	json_object_object_add(o, "downtime_ms",
			       json_object_new_double((double)reply->downtime_ns / 1e6));
	json_object_object_add(o, "bytes", json_object_new_uint64(reply->bytes));
	return o;
}

static void print_json_line(json_object *o)
{
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

int cmd_save(int argc, char **argv)
{
	static const struct cliopt options[] = {
	    {"keep-running", 'k', no_argument, 0, NULL, "the VM goes on running after the save"},
	    {"key", 'y', required_argument, 0, "FILE",
	     "authenticate the stream with this key (restore --key FILE checks it)"},
	    {"json", 'j', no_argument, 0, NULL, "the result as JSON (fields in README)"},
	};
	static const struct cliopt_spec spec = {
	    .command = "save",
	    .operands = "NAME FILE",
	    .summary = "save a running VM's state to FILE (a new file), then stop it",
	    .options = options,
	    .count = ARRAY_SIZE(options),
	    .min_operands = 2,
	    .max_operands = 2};
	const char *key_path = NULL;
	bool json = false;
	struct control_msg m = {.magic = CONTROL_MAGIC, .op = CONTROL_SAVE};
	struct cliopt_parser p;
	int key, count;
	cliopt_begin(&p, &spec, argc, argv);
	while ((key = cliopt_next(&p))) {
		switch (key) {
		case 'k': m.flags |= CONTROL_KEEP_RUNNING; break;
		case 'y': key_path = p.value; break;
		case 'j': json = true; break;
		}
	}
	char **operands = cliopt_operands(&p, &count);
	const char *name = operands[0], *file = operands[1];
	static struct reg_vm vm;
	refuse_unsaveable(name, "save", &vm);
	if (key_path) {
		control_read_key(key_path, m.key);
		m.flags |= CONTROL_KEYED;
	}
	/* Opened here, while privileged; the VMM writes to the fd only. A
	 * new file, never one that exists (no clobbering, no symlink). */
	int fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		die_errno("save file %s", file);
	struct control_msg reply;
	struct progress_line pl;
	progress_line_init(&pl, "save", name, json);
	control_request(name, &m, fd, &pl, &reply);
	char err[PATH_MAX + 256];
	/* restore takes the label kind, static label, group and NIC from
	 * this record (the stream is read only by the confined VMM). */
	if (reply.status == 0 && save_record_write(fd, file, &vm, err, sizeof(err)) < 0)
		warn_msg("save %s: no save record (%s): restore will give a fresh dynamic label "
			 "and needs --net/--mac again",
			 name, err);
	close(fd);
	if (reply.status != 0) {
		unlink(file);
		fprintf(stderr, "lockvm: save %s: %s\n", name, reply.text);
		return reply.status;
	}
	json_object *event = transfer_json(name, &reply);
	json_object_object_add(event, "file", json_object_new_string(file));
	json_object_object_add(event, "running",
			       json_object_new_boolean(m.flags & CONTROL_KEEP_RUNNING));
	events_emit("saved", name, event);
	if (json) {
		json_object *o = transfer_json(name, &reply);
		json_object_object_add(o, "file", json_object_new_string(file));
		json_object_object_add(o, "running",
				       json_object_new_boolean(m.flags & CONTROL_KEEP_RUNNING));
		print_json_line(o);
		return 0;
	}
	printf("saved %s to %s: %" PRIu64 " bytes in %.1f ms (paused %.1f ms)%s\n", name, file,
	       reply.bytes, (double)reply.total_ns / 1e6, (double)reply.downtime_ns / 1e6,
	       (m.flags & CONTROL_KEEP_RUNNING) ? ", still running" : ", stopped");
	return 0;
}

int cmd_migrate(int argc, char **argv)
{
	static const struct cliopt options[] = {
	    {"to", 't', required_argument, 0, "unix:PATH|tcp:HOST:PORT",
	     "where 'lockvm incoming' listens (needed)"},
	    {"key", 'y', required_argument, 0, "FILE",
	     "authenticate the stream with this key (incoming --key FILE checks it)"},
	    {"json", 'j', no_argument, 0, NULL, "the result as JSON (fields in README)"},
	};
	static const struct cliopt_spec spec = {
	    .command = "migrate",
	    .operands = "NAME",
	    .summary = "live-migrate a running VM to an incoming lockvm",
	    .options = options,
	    .count = ARRAY_SIZE(options),
	    .min_operands = 1,
	    .max_operands = 1};
	const char *to = NULL, *key_path = NULL;
	bool json = false;
	struct control_msg m = {.magic = CONTROL_MAGIC, .op = CONTROL_MIGRATE};
	struct cliopt_parser p;
	int key, count;
	cliopt_begin(&p, &spec, argc, argv);
	while ((key = cliopt_next(&p))) {
		switch (key) {
		case 't': to = p.value; break;
		case 'y': key_path = p.value; break;
		case 'j': json = true; break;
		}
	}
	const char *name = cliopt_operands(&p, &count)[0];
	if (!to)
		cliopt_usage_die(&spec, "--to is needed");
	static struct reg_vm vm;
	refuse_unsaveable(name, "migrate", &vm);
	if (key_path) {
		control_read_key(key_path, m.key);
		m.flags |= CONTROL_KEYED;
	}
	char err[512];
	int fd = migrate_addr_connect(to, CONTROL_IO_TIMEOUT_S, err, sizeof(err));
	if (fd < 0)
		die("migrate --to %s: %s", to, err);
	struct control_msg reply;
	struct progress_line pl;
	progress_line_init(&pl, "migrate", name, json);
	control_request(name, &m, fd, &pl, &reply);
	close(fd);
	if (reply.status != 0) {
		fprintf(stderr, "lockvm: migrate %s: %s (the VM keeps running here)\n", name,
			reply.text);
		return reply.status;
	}
	json_object *event = transfer_json(name, &reply);
	json_object_object_add(event, "to", json_object_new_string(to));
	events_emit("migrated", name, event);
	if (json) {
		json_object *o = transfer_json(name, &reply);
		json_object_object_add(o, "to", json_object_new_string(to));
		json_object_object_add(o, "iterations", json_object_new_uint64(reply.iterations));
		print_json_line(o);
		return 0;
	}
	printf("migrated %s to %s: total %.1f ms, downtime %.1f ms, %" PRIu64 " bytes, %" PRIu64
	       " iterations\n",
	       name, to, (double)reply.total_ns / 1e6, (double)reply.downtime_ns / 1e6, reply.bytes,
	       reply.iterations);
	return 0;
}
