/* --record FILE.json: the VMM serves every call, so it knows what a --linux job touched; this file keeps it within fixed bounds and writes it in record_wire.h's binary form when the VM ends (the supervisor, host/record_json.c, makes the JSON: no JSON code in the VMM). */
#include "linux_record.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arch.h"
#include "bufwrite.h"
#include "linux.h"

/* Slots of the path index: twice the paths, so probes stay short. */
#define INDEX_SLOTS ((size_t)2 * LINUX_RECORD_MAX_PATHS)
#define PID_SLOTS   ((size_t)2 * LINUX_RECORD_MAX_PROCESSES)
#define NO_ENTRY    UINT32_MAX

struct record_path {
	uint32_t text, len; /* in strings */
	uint64_t key;
	uint16_t ops;	/* enum linux_record_op */
	uint8_t source; /* enum record_source, at its first touch */
	bool hashed;	/* size and sha256 hold what was read */
	uint64_t size;	/* bytes hashed */
	uint8_t sha256[crypto_hash_sha256_BYTES];
};

struct record_process {
	int pid, ppid;
	uint32_t argv, argv_len; /* NUL-separated, in strings */
	uint32_t exe;		 /* path index, or NO_ENTRY (a fork that did not exec) */
	bool ended;
	int wstatus;
	uint64_t utime_ns, stime_ns;
};

struct linux_record {
	int fd;
	bool truncated;
	uint64_t dropped_paths, dropped_processes, dropped_renames;
	uint8_t
	    key[crypto_shorthash_KEYBYTES]; /* the index's hash: a guest cannot aim collisions */
	/* Each list is allocated whole at its bound once: malloc maps it and
	 * only the pages used are ever touched (no realloc: growing a big block
	 * is mremap, which the vCPU thread's seccomp filter does not allow). */
	struct record_path *paths;
	uint32_t npaths;
	uint32_t *index; /* INDEX_SLOTS: a path's index, or NO_ENTRY */
	char *strings;
	uint32_t nstrings;
	struct record_process *procs;
	uint32_t nprocs;
	uint32_t *pids; /* PID_SLOTS: a pid's latest process entry, or NO_ENTRY */
	struct {
		uint32_t from, to;
	} * renames;
	uint32_t nrenames;
};

/* What the bounds cost at most, within what the supervisor allows for (launch.h). */
_Static_assert((uint64_t)LINUX_RECORD_MAX_PATHS * sizeof(struct record_path) +
		       INDEX_SLOTS * sizeof(uint32_t) + LINUX_RECORD_MAX_STRINGS +
		       (uint64_t)LINUX_RECORD_MAX_PROCESSES * sizeof(struct record_process) +
		       PID_SLOTS * sizeof(uint32_t) + LINUX_RECORD_MAX_RENAMES * 8ULL +
		       sizeof(struct linux_record) + (1u << 17) + (1u << 16) +
		       20ULL * LINUX_PATH_MAX <=
		   LINUX_RECORD_MAX_BYTES,
	       "the record's memory fits its bound");

/* Copies len bytes into the string arena: its offset, or NO_ENTRY past the bound. */
static uint32_t keep_text(struct linux_record *r, const char *s, size_t len)
{
	if (len > LINUX_RECORD_MAX_STRINGS - r->nstrings)
		return NO_ENTRY;
	uint32_t at = r->nstrings;
	memcpy(r->strings + at, s, len);
	r->nstrings += (uint32_t)len;
	return at;
}

static void record_walked(struct linux_fs *fs, struct linux_node *dir, const char *name, size_t len,
			  const struct linux_node *node);

int linux_record_init(struct linux_proc *proc, char *err, size_t errlen)
{
	if (proc->cfg.record_fd < 0)
		return 0;
	struct linux_record *r = calloc(1, sizeof(*r));
	if (r) {
		r->fd = -1;
		r->index = malloc(INDEX_SLOTS * sizeof(*r->index));
		r->pids = malloc(PID_SLOTS * sizeof(*r->pids));
		r->paths = malloc((size_t)LINUX_RECORD_MAX_PATHS * sizeof(*r->paths));
		r->strings = malloc(LINUX_RECORD_MAX_STRINGS);
		r->procs = malloc((size_t)LINUX_RECORD_MAX_PROCESSES * sizeof(*r->procs));
		r->renames = malloc((size_t)LINUX_RECORD_MAX_RENAMES * sizeof(*r->renames));
	}
	proc->record = r;
	if (!r || !r->index || !r->pids || !r->paths || !r->strings || !r->procs || !r->renames ||
	    getrandom(r->key, sizeof(r->key), GRND_NONBLOCK) != (ssize_t)sizeof(r->key)) {
		linux_record_free(proc);
		snprintf(err, errlen, "--record: setting up the record: %s", strerror(errno));
		return -1;
	}
	memset(r->index, 0xff, INDEX_SLOTS * sizeof(*r->index));
	memset(r->pids, 0xff, PID_SLOTS * sizeof(*r->pids));
	r->fd = proc->cfg.record_fd;
	proc->cfg.record_fd = -1; /* the record's now */
	proc->fs.walked = record_walked;
	return 0;
}

/* A node's absolute path in the VM's tree into buf (size LINUX_PATH_MAX):
 * its length, or 0 when it does not fit. */
static size_t node_path(const struct linux_proc *proc, const struct linux_node *n, char *buf)
{
	size_t pos = LINUX_PATH_MAX;
	for (; n && n != proc->fs.root; n = n->parent) {
		if (pos < n->name_len + 1)
			return 0;
		pos -= n->name_len;
		memcpy(buf + pos, n->name, n->name_len);
		buf[--pos] = '/';
	}
	if (pos == LINUX_PATH_MAX)
		buf[--pos] = '/';
	size_t len = LINUX_PATH_MAX - pos;
	memmove(buf, buf + pos, len);
	return len;
}

static enum record_source source_of(const struct linux_node *n)
{
	if (n->vol)
		return RECORD_SOURCE_VOLUME;
	if (n->proc_kind)
		return RECORD_SOURCE_PROC;
	if (n->dev_kind)
		return RECORD_SOURCE_DEV;
	if (n->host)
		return RECORD_SOURCE_LOWER;
	if (n->pool == LINUX_POOL_UPPER)
		return RECORD_SOURCE_UPPER;
	if (n->pool != LINUX_POOL_NONE)
		return RECORD_SOURCE_TMPFS;
	return n->lower ? RECORD_SOURCE_LOWER : RECORD_SOURCE_OTHER;
}

/* The entry of path[0, len): found or added with source; NULL past a bound. */
static struct record_path *path_entry(struct linux_record *r, const char *path, size_t len,
				      enum record_source source)
{
	if (!len)
		return NULL;
	uint8_t hash[crypto_shorthash_BYTES];
	crypto_shorthash(hash, (const uint8_t *)path, len, r->key);
	uint64_t key;
	memcpy(&key, hash, sizeof(key));
	uint32_t slot = (uint32_t)(key % INDEX_SLOTS);
	for (;; slot = (slot + 1) % INDEX_SLOTS) {
		uint32_t i = r->index[slot];
		if (i == NO_ENTRY)
			break;
		struct record_path *e = &r->paths[i];
		if (e->key == key && e->len == len && memcmp(r->strings + e->text, path, len) == 0)
			return e;
	}
	uint32_t text = NO_ENTRY;
	if (r->npaths >= LINUX_RECORD_MAX_PATHS || (text = keep_text(r, path, len)) == NO_ENTRY) {
		r->truncated = true;
		r->dropped_paths++;
		return NULL;
	}
	r->index[slot] = r->npaths;
	struct record_path *e = &r->paths[r->npaths++];
	*e = (struct record_path){.text = text, .len = (uint32_t)len, .key = key, .source = source};
	return e;
}

static struct record_path *node_entry(struct linux_proc *proc, const struct linux_node *n)
{
	static char path[LINUX_PATH_MAX]; /* the vCPU thread holds proc's lock */
	size_t len = node_path(proc, n, path);
	return path_entry(proc->record, path, len, source_of(n));
}

/* SHA-256 of a stream: with the CPU's instructions where it has them
 * (arch_sha256_blocks), else libsodium's portable code. */
struct sha {
	bool cpu;
	crypto_hash_sha256_state sodium;
	uint32_t h[8];
	uint8_t buf[64];
	size_t buffered;
	uint64_t bytes;
};

static void sha_init(struct sha *s)
{
	static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
				       0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
	static int cpu = -1;
	if (cpu < 0)
		cpu = arch_has_sha256();
	s->cpu = cpu;
	memcpy(s->h, h0, sizeof(h0));
	s->buffered = 0;
	s->bytes = 0;
	if (!s->cpu)
		crypto_hash_sha256_init(&s->sodium);
}

static void sha_update(struct sha *s, const uint8_t *p, size_t len)
{
	if (!s->cpu) {
		crypto_hash_sha256_update(&s->sodium, p, len);
		return;
	}
	s->bytes += len;
	if (s->buffered) {
		size_t n = sizeof(s->buf) - s->buffered < len ? sizeof(s->buf) - s->buffered : len;
		memcpy(s->buf + s->buffered, p, n);
		s->buffered += n;
		p += n;
		len -= n;
		if (s->buffered < sizeof(s->buf))
			return;
		arch_sha256_blocks(s->h, s->buf, 1);
		s->buffered = 0;
	}
	if (len >= 64) {
		arch_sha256_blocks(s->h, p, len / 64);
		p += len & ~(size_t)63;
		len &= 63;
	}
	memcpy(s->buf, p, len);
	s->buffered = len;
}

static void sha_final(struct sha *s, uint8_t out[crypto_hash_sha256_BYTES])
{
	if (!s->cpu) {
		crypto_hash_sha256_final(&s->sodium, out);
		return;
	}
	/* FIPS 180-4 padding: 0x80, zeros to 56 mod 64, the length in bits. */
	uint64_t bits = s->bytes * 8;
	uint8_t pad[72] = {0x80};
	size_t padlen = (s->buffered < 56 ? 56 : 120) - s->buffered;
	for (int i = 0; i < 8; i++)
		pad[padlen + (size_t)i] = (uint8_t)(bits >> (56 - 8 * i));
	sha_update(s, pad, padlen + 8);
	for (int i = 0; i < 8; i++)
		for (int b = 0; b < 4; b++)
			out[4 * i + b] = (uint8_t)(s->h[i] >> (24 - 8 * b));
}

void linux_record_sha256(const uint8_t *data, size_t len, size_t piece,
			 uint8_t out[crypto_hash_sha256_BYTES])
{
	struct sha s;
	sha_init(&s);
	for (size_t at = 0; at < len; at += piece)
		sha_update(&s, data + at, len - at < piece ? len - at : piece);
	sha_final(&s, out);
}

/* Hashes a host file whole through fd, once per path. */
static void hash_host_file(struct record_path *e, int fd)
{
	static uint8_t buf[1u << 17];
	struct sha st;
	sha_init(&st);
	uint64_t at = 0;
	for (;;) {
		ssize_t got = pread(fd, buf, sizeof(buf), (off_t)at);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return; /* no hash: the record says only what it knows */
		if (got == 0)
			break;
		sha_update(&st, buf, (size_t)got);
		at += (uint64_t)got;
	}
	sha_final(&st, e->sha256);
	e->size = at;
	e->hashed = true;
}

void linux_record_open(struct linux_proc *proc, struct linux_node *node, unsigned flags,
		       bool created, int host_fd)
{
	if (!proc->record)
		return;
	struct record_path *e = node_entry(proc, node);
	if (!e)
		return;
	if (flags & L_O_PATH) { /* a handle to the path, no content */
		e->ops |= LINUX_RECORD_STAT;
		return;
	}
	unsigned acc = flags & O_ACCMODE;
	if (acc != O_WRONLY)
		e->ops |= LINUX_RECORD_READ;
	if (acc != O_RDONLY)
		e->ops |= LINUX_RECORD_WRITE;
	if (created)
		e->ops |= LINUX_RECORD_CREATE;
	/* What it read of the host's trees, hashed once: a later write of a
	 * volume file is in its ops, not in this hash. */
	if (!e->hashed && acc != O_WRONLY && host_fd >= 0 && S_ISREG(node->mode) &&
	    (e->source == RECORD_SOURCE_LOWER || e->source == RECORD_SOURCE_VOLUME))
		hash_host_file(e, host_fd);
}

void linux_record_node(struct linux_proc *proc, const struct linux_node *node, unsigned op)
{
	if (!proc->record || !node)
		return;
	struct record_path *e = node_entry(proc, node);
	if (e)
		e->ops |= (uint16_t)op;
}

/* dir's entry name as a path into buf (LINUX_PATH_MAX): its length or 0. */
static size_t name_path(struct linux_proc *proc, struct linux_node *dir, const char *name,
			char *buf)
{
	size_t len = node_path(proc, dir, buf), nlen = strlen(name);
	if (!len || len + 1 + nlen >= LINUX_PATH_MAX)
		return 0;
	if (len > 1)
		buf[len++] = '/';
	memcpy(buf + len, name, nlen + 1);
	return len + nlen;
}

static struct record_path *name_entry(struct linux_proc *proc, struct linux_node *dir,
				      const char *name)
{
	static char path[LINUX_PATH_MAX];
	size_t len = name_path(proc, dir, name, path);
	struct linux_node *n = linux_fs_lookup(&proc->fs, dir, name, strlen(name));
	return path_entry(proc->record, path, len, n ? source_of(n) : source_of(dir));
}

/* fs->walked: a guest call's walk followed a symlink (recorded as looked
 * at, as readlink is) or found dir's entry name[0, len) missing. */
static void record_walked(struct linux_fs *fs, struct linux_node *dir, const char *name, size_t len,
			  const struct linux_node *node)
{
	struct linux_proc *proc = fs->owner;
	if (!proc || !proc->record)
		return;
	if (node) {
		linux_record_node(proc, node, LINUX_RECORD_STAT);
		return;
	}
	char entry[256];
	static char path[LINUX_PATH_MAX];
	if (len >= sizeof(entry))
		return;
	memcpy(entry, name, len);
	entry[len] = '\0';
	size_t plen = name_path(proc, dir, entry, path);
	struct record_path *e = plen ? path_entry(proc->record, path, plen, source_of(dir)) : NULL;
	if (e)
		e->ops |= LINUX_RECORD_ABSENT;
}

long linux_record_name(struct linux_proc *proc, long rc, struct linux_node *dir, const char *name,
		       unsigned op)
{
	if (rc < 0 || !proc->record)
		return rc;
	struct record_path *e = name_entry(proc, dir, name);
	if (e)
		e->ops |= (uint16_t)op;
	return rc;
}

long linux_record_rename(struct linux_proc *proc, long rc, struct linux_node *odir,
			 const char *oname, struct linux_node *ndir, const char *nname)
{
	struct linux_record *r = proc->record;
	if (rc < 0 || !r)
		return rc;
	struct record_path *from = name_entry(proc, odir, oname);
	uint32_t from_i = from ? (uint32_t)(from - r->paths) : NO_ENTRY;
	struct record_path *to = name_entry(proc, ndir, nname); /* may move r->paths */
	if (!to || from_i == NO_ENTRY)
		return rc;
	r->paths[from_i].ops |= LINUX_RECORD_RENAME_FROM;
	to->ops |= LINUX_RECORD_RENAME_TO;
	if (r->nrenames >= LINUX_RECORD_MAX_RENAMES) {
		r->truncated = true;
		r->dropped_renames++;
		return rc;
	}
	r->renames[r->nrenames].from = from_i;
	r->renames[r->nrenames++].to = (uint32_t)(to - r->paths);
	return rc;
}

/* pid's slot in the pid index (its own, or the empty one it would take). */
static uint32_t *pid_slot(struct linux_record *r, int pid)
{
	uint32_t slot = (uint32_t)pid % PID_SLOTS;
	for (;; slot = (slot + 1) % PID_SLOTS) {
		uint32_t i = r->pids[slot];
		if (i == NO_ENTRY || r->procs[i].pid == pid)
			return &r->pids[slot];
	}
}

/* A new process entry for pid (the latest one of that pid from now on). */
static struct record_process *process_new(struct linux_record *r, int pid, int ppid)
{
	if (r->nprocs >= LINUX_RECORD_MAX_PROCESSES) {
		r->truncated = true;
		r->dropped_processes++;
		return NULL;
	}
	uint32_t *slot = pid_slot(r, pid);
	*slot = r->nprocs;
	struct record_process *p = &r->procs[r->nprocs++];
	*p = (struct record_process){.pid = pid, .ppid = ppid, .exe = NO_ENTRY};
	return p;
}

static struct record_process *process_of(struct linux_record *r, int pid)
{
	uint32_t i = *pid_slot(r, pid);
	return i == NO_ENTRY ? NULL : &r->procs[i];
}

/* path, run by an exec (file[0, size) its bytes): executed, hashed from
 * file (the whole image was read to run it). Its entry, or NULL. */
static struct record_path *executed(struct linux_proc *proc, const char *path, const uint8_t *file,
				    uint64_t size)
{
	struct linux_node *node = NULL;
	struct record_path *e = NULL;
	if (linux_fs_resolve(&proc->fs, proc->cwd ? proc->cwd : proc->fs.root, path,
			     LINUX_RESOLVE_FOLLOW, &node, NULL, NULL, 0) == 0)
		e = node_entry(proc, node);
	if (e) {
		e->ops |= LINUX_RECORD_EXEC;
		if (!e->hashed) {
			linux_record_sha256(file, size, size ? size : 1, e->sha256);
			e->size = size;
			e->hashed = true;
		}
	}
	return e;
}

void linux_record_exec(struct linux_proc *proc, const char *filename, const uint8_t *file,
		       uint64_t size, const struct linux_exec_args *args,
		       const struct linux_record_loaded *loaded)
{
	struct linux_record *r = proc->record;
	if (!r)
		return;
	struct record_path *e = executed(proc, filename, file, size);
	if (loaded && loaded->program)
		executed(proc, loaded->program, loaded->program_file, loaded->program_size);
	if (loaded && loaded->loader)
		executed(proc, loaded->loader, loaded->loader_file, loaded->loader_size);
	struct linux_task *t = linux_thread_leader(proc, proc->cur);
	struct record_process *p = process_of(r, t->pid);
	if (!p || p->exe != NO_ENTRY || p->ended) /* a second exec: a new entry */
		p = process_new(r, t->pid, t->ppid);
	if (!p)
		return;
	p->exe = e ? (uint32_t)(e - r->paths) : NO_ENTRY - 1; /* exec'd, path not kept */
	size_t len = 0; /* argv comes first in the buffer, then envp */
	for (unsigned i = 0; i < args->argc && len < args->len; i++)
		len += strnlen(args->buf + len, args->len - len) + 1;
	if (len > LINUX_RECORD_MAX_ARGV) {
		len = LINUX_RECORD_MAX_ARGV;
		r->truncated = true;
	}
	uint32_t at = keep_text(r, args->buf, len);
	if (at == NO_ENTRY) {
		r->truncated = true;
		len = 0;
	}
	p->argv = at;
	p->argv_len = (uint32_t)len;
}

void linux_record_fork(struct linux_proc *proc, const struct linux_task *child)
{
	struct linux_record *r = proc->record;
	if (!r || child->tgid != child->pid)
		return;
	const struct record_process *parent = process_of(r, child->ppid);
	uint32_t argv = parent ? parent->argv : 0, argv_len = parent ? parent->argv_len : 0;
	struct record_process *p = process_new(r, child->pid, child->ppid);
	if (p) {
		p->argv = argv;
		p->argv_len = argv_len;
	}
}

/* The CPU time of leader's process: every thread of it still in the table. */
static void process_time(struct linux_proc *proc, const struct linux_task *leader,
			 struct record_process *p)
{
	p->utime_ns = p->stime_ns = 0;
	for (unsigned i = 0; i < proc->ntasks; i++)
		if (proc->tasks[i]->tgid == leader->pid) {
			p->utime_ns += proc->tasks[i]->utime_ns;
			p->stime_ns += proc->tasks[i]->stime_ns;
		}
}

void linux_record_exit(struct linux_proc *proc, struct linux_task *t, int wstatus)
{
	struct linux_record *r = proc->record;
	if (!r)
		return;
	struct record_process *p = process_of(r, t->pid);
	if (!p || p->ended)
		return;
	if (proc->cur && proc->cur->tgid == t->pid)
		linux_account(proc); /* its time up to now */
	p->ended = true;
	p->wstatus = wstatus;
	process_time(proc, t, p);
}

/* ---- the binary record (record_wire.h) ---- */

static void put_path(struct bufwrite *w, const struct linux_record *r, const struct record_path *e)
{
	uint8_t h[RECORD_WIRE_PATH] = {0};
	record_wire_put16(h + RECORD_WIRE_PATH_OPS, e->ops);
	h[RECORD_WIRE_PATH_SOURCE] = e->source;
	h[RECORD_WIRE_PATH_HASHED] = e->hashed;
	record_wire_put32(h + RECORD_WIRE_PATH_LEN, e->len);
	if (e->hashed) {
		record_wire_put64(h + RECORD_WIRE_PATH_SIZE, e->size);
		memcpy(h + RECORD_WIRE_PATH_SHA256, e->sha256, sizeof(e->sha256));
	}
	bufwrite_put(w, h, sizeof(h));
	bufwrite_put(w, r->strings + e->text, e->len);
}

static void put_process(struct bufwrite *w, const struct linux_record *r,
			const struct record_process *p)
{
	uint8_t h[RECORD_WIRE_PROC];
	record_wire_put32(h + RECORD_WIRE_PROC_PID, (uint32_t)p->pid);
	record_wire_put32(h + RECORD_WIRE_PROC_PPID, (uint32_t)p->ppid);
	record_wire_put32(h + RECORD_WIRE_PROC_EXE,
			  p->exe < NO_ENTRY - 1 ? p->exe : RECORD_WIRE_NO_EXE);
	record_wire_put32(h + RECORD_WIRE_PROC_ENDED, p->ended);
	record_wire_put32(h + RECORD_WIRE_PROC_WSTATUS, (uint32_t)p->wstatus);
	record_wire_put32(h + RECORD_WIRE_PROC_ARGV, p->argv_len);
	record_wire_put64(h + RECORD_WIRE_PROC_UTIME, p->utime_ns);
	record_wire_put64(h + RECORD_WIRE_PROC_STIME, p->stime_ns);
	bufwrite_put(w, h, sizeof(h));
	bufwrite_put(w, r->strings + p->argv, p->argv_len);
}

void linux_record_write(struct linux_proc *proc)
{
	struct linux_record *r = proc->record;
	if (!r || r->fd < 0)
		return;
	/* Its size first: the processes past LINUX_RECORD_MAX_OUTPUT are left
	 * out (paths and renames always fit: record_wire.h). */
	uint64_t body = (uint64_t)r->nrenames * RECORD_WIRE_RENAME;
	for (uint32_t i = 0; i < r->npaths; i++)
		body += RECORD_WIRE_PATH + r->paths[i].len;
	uint32_t nprocs = 0;
	for (; nprocs < r->nprocs; nprocs++) {
		uint64_t more = RECORD_WIRE_PROC + r->procs[nprocs].argv_len;
		if (RECORD_WIRE_HEADER + body + more + 8 > LINUX_RECORD_MAX_OUTPUT)
			break;
		body += more;
	}
	/* Those still running: their time so far. */
	if (proc->cur)
		linux_account(proc);
	for (unsigned i = 0; i < proc->ntasks; i++) {
		struct linux_task *t = proc->tasks[i];
		struct record_process *p = t->tgid == t->pid ? process_of(r, t->pid) : NULL;
		if (p && !p->ended)
			process_time(proc, t, p);
	}
	uint32_t flags = (r->truncated ? RECORD_WIRE_TRUNCATED : 0) |
			 (nprocs < r->nprocs ? RECORD_WIRE_TRUNCATED | RECORD_WIRE_OUTPUT_CUT : 0);
	uint8_t h[RECORD_WIRE_HEADER] = {0};
	memcpy(h + RECORD_WIRE_AT_MAGIC, RECORD_WIRE_MAGIC, 8);
	record_wire_put32(h + RECORD_WIRE_AT_VERSION, RECORD_WIRE_VERSION);
	record_wire_put32(h + RECORD_WIRE_AT_FLAGS, flags);
	record_wire_put32(h + RECORD_WIRE_AT_EXIT_STATUS, (uint32_t)proc->vm->exit_status);
	record_wire_put32(h + RECORD_WIRE_AT_NPATHS, r->npaths);
	record_wire_put32(h + RECORD_WIRE_AT_NRENAMES, r->nrenames);
	record_wire_put32(h + RECORD_WIRE_AT_NPROCS, nprocs);
	record_wire_put64(h + RECORD_WIRE_AT_DROPPED_PATHS, r->dropped_paths);
	record_wire_put64(h + RECORD_WIRE_AT_DROPPED_PATHS + 8, r->dropped_processes);
	record_wire_put64(h + RECORD_WIRE_AT_DROPPED_PATHS + 16, r->dropped_renames);
	record_wire_put64(h + RECORD_WIRE_AT_BODY, body);
	static struct bufwrite w;
	w = (struct bufwrite){.fd = r->fd};
	bufwrite_put(&w, h, sizeof(h));
	for (uint32_t i = 0; i < r->npaths; i++)
		put_path(&w, r, &r->paths[i]);
	for (uint32_t i = 0; i < r->nrenames; i++) { /* indexes into paths */
		uint8_t e[RECORD_WIRE_RENAME];
		record_wire_put32(e, r->renames[i].from);
		record_wire_put32(e + 4, r->renames[i].to);
		bufwrite_put(&w, e, sizeof(e));
	}
	for (uint32_t i = 0; i < nprocs; i++)
		put_process(&w, r, &r->procs[i]);
	bufwrite_put(&w, RECORD_WIRE_END, 8);
	bufwrite_flush(&w);
	if (w.failed)
		fprintf(stderr, "lockvm: --record: writing the record: %s\n", strerror(errno));
	close(r->fd);
	r->fd = -1;
}

void linux_record_free(struct linux_proc *proc)
{
	struct linux_record *r = proc->record;
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	free(r->paths);
	free(r->index);
	free(r->strings);
	free(r->procs);
	free(r->pids);
	free(r->renames);
	free(r);
	proc->record = NULL;
}
